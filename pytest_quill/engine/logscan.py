"""Find the one line of a build log that says what went wrong."""

import re

# Most specific first: a compiler diagnostic beats make's "Error 1" echo.
_PATTERNS = [
    re.compile(r"^\S+:\d+(:\d+)?: (fatal )?error: .*"),
    re.compile(r"^ERROR: .*"),
    re.compile(r".*\b(undefined reference|Unknown symbol|No rule to make target)\b.*"),
    re.compile(r".*\b(fatal|error|Error|ERROR|failed|FAILED)\b.*"),
]
_NOISE = re.compile(r"^make(\[\d+\])?: \*\*\* .*Error \d+|^make(\[\d+\])?: Leaving|^\s*$")


def first_error_line(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    for pattern in _PATTERNS:
        for line in lines:
            if pattern.match(line) and not _NOISE.match(line):
                return line.strip()
    tail = [line for line in lines if line.strip()]
    return tail[-1].strip() if tail else "no output"
