"""Text -> QEMU key events (QMP "qcode" names) for a US keyboard layout.

QEMU's USB keyboard queues 16 key events and hands the guest one per poll of
its interrupt endpoint (every 8 ms on xHCI, 10 ms on OHCI); a full queue drops
what comes next. Text is therefore sent in batches of half the queue, each
followed by a pause of twice the slower poll per event: a guest that polls late
still finds room, and a key pressed and released in one batch is still seen as
two reports.
"""

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


KEY_BATCH = 8  # events sent at once: half of QEMU's HID queue
KEY_EVENT_S = 0.02  # the pause per event sent: twice a full-speed keyboard's poll


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


def key_batches(text: str) -> list[list[dict]]:
    """text as QMP input-send-event batches: each key pressed and released in order,
    a modifier around the key it shifts."""
    events = []
    for char in text:
        keys = qcodes(char)
        events += [_event(key, True) for key in keys] + [_event(key, False) for key in reversed(keys)]
    return [events[start : start + KEY_BATCH] for start in range(0, len(events), KEY_BATCH)]


def _event(key: str, down: bool) -> dict:
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": key}}}
