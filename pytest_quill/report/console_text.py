"""A device's console as a person would read it in the report: escape codes gone,
lines the terminal wrapped joined again, and the harness's framing of each
command (bench/console.py sends `echo 'QB''TAG'; CMD; echo 'QE''TAG' $?` and
reads between the QB/QE lines) shown as `$ CMD` and, when it failed, its
exit status."""

from __future__ import annotations

import re

from ..formats.terminal import strip_ansi

_WRAPPED = "\r\r\n"  # where the terminal wrapped a long command line
# A line wrapped right at its end loses its own line break: QB follows on the same line.
_COMMAND = re.compile(
    r"^.*?echo 'QB''(?P<tag>[^']+)'; (?P<command>.*); "
    r"echo 'QE''(?P=tag)' \$\?(?:QB(?P=tag))?$"
)
_BEGIN = re.compile(r"^QB[0-9a-z]+$")
_END = re.compile(r"^QE[0-9a-z]+ (?P<status>\d+)$")
_PROMPT_ALONE = re.compile(r"^[A-Z-]+# ?$")


def readable(raw: bytes | str) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    text = strip_ansi(text).replace(_WRAPPED, "").replace("\r\n", "\n").replace("\r", "")
    lines = []
    for line in text.split("\n"):
        command = _COMMAND.match(line)
        end = _END.match(line)
        if command:
            lines.append(f"$ {command.group('command')}")
        elif end:
            if end.group("status") != "0":
                lines.append(f"(exit status {end.group('status')})")
        elif not _BEGIN.match(line) and not _PROMPT_ALONE.match(line):
            lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"
