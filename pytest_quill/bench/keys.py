"""Text -> QEMU key codes (QMP send-key "qcode" names) for a US keyboard layout."""

from __future__ import annotations

from ..errors import InputError

_NAMED = {
    " ": "spc",
    "\n": "ret",
    "\t": "tab",
    ".": "dot",
    ",": "comma",
    "-": "minus",
    "=": "equal",
    "/": "slash",
    ";": "semicolon",
    "'": "apostrophe",
    "[": "bracket_left",
    "]": "bracket_right",
    "\\": "backslash",
    "`": "grave_accent",
}
_SHIFTED = {
    "!": "1",
    "@": "2",
    "#": "3",
    "$": "4",
    "%": "5",
    "^": "6",
    "&": "7",
    "*": "8",
    "(": "9",
    ")": "0",
    "_": "minus",
    "+": "equal",
    "?": "slash",
    ":": "semicolon",
    '"': "apostrophe",
    "<": "comma",
    ">": "dot",
    "{": "bracket_left",
    "}": "bracket_right",
    "|": "backslash",
    "~": "grave_accent",
}


def qcodes(char: str) -> list[str]:
    """The keys pressed together to type char: ["shift", "a"] for "A"."""
    if char.isascii() and (char.islower() or char.isdigit()):
        return [char]
    if char.isascii() and char.isupper():
        return ["shift", char.lower()]
    if char in _NAMED:
        return [_NAMED[char]]
    if char in _SHIFTED:
        return ["shift", _SHIFTED[char]]
    raise InputError(f"send_keys: no key on a US keyboard types {char!r}")
