"""Terminal output as text: ANSI escape sequences (colours, cursor queries such
as busybox ash's ESC[6n) removed."""

import re

ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[A-Za-z=>])")
ANSI_PARTIAL = re.compile(r"\x1b(\[[0-9;?]*|[()])?$")  # a sequence cut at the end of a read


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)
