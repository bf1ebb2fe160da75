"""A U-Boot binary read as data: its version, default environment and commands.

The default environment is text inside the binary: NUL-separated `name=value`
entries ending at a double NUL. It is found as the longest such run around
one of the names every U-Boot has (bootcmd, bootdelay, baudrate, arch).

The command table is an array of fixed-size records whose first word points
to the command's name and a later word to its usage text (U-Boot 1.1.4: 24
bytes, 2023.01: 28). Pointers are link addresses: the link base is the one on
which the pointers of several known command names agree (a 4 KiB-aligned
offset), then the longest run of records at one stride is the table.

Scripts (boot.scr, the environment's own values) are read as U-Boot's shell
reads them: commands cut at unquoted ;, && and ||, keywords (if, then, ...)
set aside, words cut at blanks outside quotes, variables as ${name} or $name.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shlex
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_KEYS = (b"bootcmd=", b"bootdelay=", b"baudrate=", b"arch=")
ENTRY = re.compile(rb"[A-Za-z_][\w.\-]*=[\t\n\x20-\x7e]*")
ANCHORS = re.compile(rb"\0(printenv|setenv|help|bootm|echo|version)\0")
VERSION = re.compile(rb"U-Boot \d[\w.+\-]*(?: \([^)\0]*\))?")
NAME = re.compile(r"[\w.?\-]{1,24}")  # a command's name: no blank, short
WORD = re.compile(rb"(?<=[^\w.\-])[\w.\-]+(?=\0)")
STRIDES = range(12, 52, 4)  # record sizes tried, in bytes
MAX_STRING = 200
KEYWORDS = {"if", "then", "else", "elif", "while", "until", "do", "!"}  # before a command
ENDS = {"fi", "done"}  # a command of their own that runs nothing
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|\((\w+)\)|(\w+))")  # ${name}, $(name), $name
PRINTABLE = re.compile(rb"[\t\n\x20-\x7e]+")


@dataclass(frozen=True)
class UBoot:
    path: Path
    sha256: str
    version: str  # "U-Boot 1.1.4-... (date)", or "" when the banner is not found
    env: dict[str, str]  # the default environment
    env_offset: int  # file offset of its first entry
    commands: tuple[str, ...]  # names in the command table, in table order
    link_base: int | None  # address of file offset 0, None without a table
    stride: int | None  # bytes per command record
    words: frozenset[str]  # every NUL-terminated word of the binary (names its code uses)

    def has_string(self, name: str) -> bool:
        """NAME appears as a whole NUL-terminated string in the binary."""
        return name in self.words


def read(path: Path) -> UBoot:
    """The binary at PATH; ValueError when it holds no default environment."""
    data = Path(path).read_bytes()
    return _parse(Path(path), hashlib.sha256(data).hexdigest(), data)


@functools.lru_cache(maxsize=8)
def _parse(path: Path, sha256: str, data: bytes) -> UBoot:
    env_offset, env = find_env(data)
    if not env:
        raise ValueError(
            f"{path}: no U-Boot default environment (no NUL-separated bootcmd=/bootdelay=/baudrate= entries)"
        )
    version = VERSION.search(data)
    base, stride, commands = find_commands(data)
    words = frozenset(m.decode() for m in WORD.findall(data))
    return UBoot(
        path,
        sha256,
        version.group().decode() if version else "",
        env,
        env_offset,
        tuple(commands),
        base,
        stride,
        words,
    )


# The default environment.


def find_env(data: bytes) -> tuple[int, dict[str, str]]:
    """(offset, entries) of the longest run of name=value entries holding a key name."""
    best: tuple[int, list[str]] = (0, [])
    for key in ENV_KEYS:
        for match in re.finditer(re.escape(key), data):
            at = match.start()
            if at and 0x20 <= data[at - 1] <= 0x7E:
                continue  # inside a string (the first entry may follow a CRC, not a NUL)
            start = _entries_before(data, at)
            entries = _entries_from(data, start)
            if len(entries) > len(best[1]):
                best = (start, entries)
    offset, entries = best
    env: dict[str, str] = {}
    for entry in entries:
        name, _, value = entry.partition("=")
        env.setdefault(name, value)
    return offset, env


def _entries_before(data: bytes, at: int) -> int:
    """Walk back from AT over whole entries, each ended by one NUL."""
    start = at
    while start >= 2 and data[start - 1] == 0:
        previous = data.rfind(b"\0", 0, start - 1) + 1
        if previous == start - 1 or not ENTRY.fullmatch(data, previous, start - 1):
            break
        start = previous
    return start


def _entries_from(data: bytes, start: int) -> list[str]:
    entries, at = [], start
    while (end := data.find(b"\0", at)) > at and ENTRY.fullmatch(data, at, end):
        entries.append(data[at:end].decode())
        at = end + 1
    return entries


# The command table.


def find_commands(data: bytes) -> tuple[int | None, int | None, list[str]]:
    """(link base, record size, names) of the command table; (None, None, []) if none."""
    words = struct.unpack_from(f"<{len(data) // 4}I", data)
    base = _link_base(data, words)
    if base is None:
        return None, None, []
    texts = _texts_pointed_to(data, base, words)
    name_at = {word: text for word, text in texts.items() if NAME.fullmatch(text)}
    usage_at = {word for word, text in texts.items() if " " in text}
    names = [name_at.get(w) for w in words]  # the command name a word points to, or None
    usage = [w in usage_at for w in words]  # a word pointing to text with a blank
    best: list[int] = []
    best_stride = None
    named = {i: name for i, name in enumerate(names) if name}
    candidates = list(named)
    for stride in STRIDES:
        step = stride // 4
        run_length: dict[int, int] = {}
        for i in candidates:
            if any(usage[i + k] for k in range(1, step) if i + k < len(words)):
                run_length[i] = run_length.get(i - step, 0) + 1
                if run_length[i] > len(best):
                    best, best_stride = list(range(i - (run_length[i] - 1) * step, i + 1, step)), stride
    if len(best) < 2:
        return None, None, []
    return base, best_stride, [named[i] for i in best]


def _link_base(data: bytes, words: tuple[int, ...]) -> int | None:
    """The address of file offset 0 on which most known command names' pointers agree."""
    anchors = {m.start() + 1: m.group(1) for m in ANCHORS.finditer(data)}
    by_page_offset: dict[int, list[int]] = {}
    for offset in anchors:
        by_page_offset.setdefault(offset & 0xFFF, []).append(offset)
    votes: dict[int, set[bytes]] = {}
    for word in set(words):
        for offset in by_page_offset.get(word & 0xFFF, ()):
            if word >= offset:
                votes.setdefault(word - offset, set()).add(anchors[offset])
    if not votes:
        return None
    counts = Counter({base: len(names) for base, names in votes.items()})
    base, count = counts.most_common(1)[0]
    return base if count >= 2 else None


def _texts_pointed_to(data: bytes, base: int, words: tuple[int, ...]) -> dict[int, str]:
    """Each distinct word that points (at link base BASE) to a printable
    NUL-terminated string in DATA, and that string."""
    texts = {}
    for word in set(words):
        offset = word - base
        if not 0 <= offset < len(data):
            continue  # most words (code) point nowhere in the file
        end = data.find(b"\0", offset, offset + MAX_STRING)
        raw = data[offset:end] if end > offset else b""
        if raw and PRINTABLE.fullmatch(raw):
            texts[word] = raw.decode()
    return texts


# Scripts: U-Boot's command language (hush), read into commands and words.


def script_commands(text: str) -> Iterator[tuple[int, str]]:
    """(line number, command) for each command of a script, keywords stripped."""
    for number, line in enumerate(text.splitlines(), 1):
        for command in commands_of(line):
            yield number, command


def commands_of(text: str) -> list[str]:
    """The commands of one line (or one variable's value), keywords stripped."""
    commands = []
    for piece in _split_outside_quotes(text):
        argv = words(piece)
        while argv and argv[0] in KEYWORDS:
            argv = argv[1:]
        if argv and argv[0] and argv[0] not in ENDS and not argv[0].startswith("#"):
            commands.append(" ".join(argv))
    return commands


def _split_outside_quotes(text: str) -> list[str]:
    """TEXT cut at ;, && and || that are not quoted."""
    pieces, current, quote, i = [], "", "", 0
    while i < len(text):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";" or text[i : i + 2] in ("&&", "||"):
            pieces.append(current)
            current, i = "", i + (1 if char == ";" else 2)
            continue
        current += char
        i += 1
    return pieces + [current]


def words(command: str) -> list[str]:
    """COMMAND split at blanks outside quotes (quotes kept); [""] for none."""
    try:
        return shlex.split(command, comments=False, posix=False) or [""]
    except ValueError:
        return command.split() or [""]


def sets(argv: list[str]) -> set[str]:
    """The variables a command sets: setenv X, env set X, setexpr X, X=..., for X in."""
    if argv[0] in ("setenv", "setexpr", "for") and len(argv) > 1:
        return {argv[1]}
    if argv[:2] == ["env", "set"] and len(argv) > 2:
        return {argv[2]}
    assignment = re.fullmatch(r"(\w+)=.*", argv[0])
    return {assignment.group(1)} if assignment else set()


def command_name(command: str) -> str:
    """The command a command line runs: `itest.s ...` runs itest."""
    return words(command)[0].split(".")[0]


def variables(text: str) -> list[str]:
    """The names of the variables TEXT reads, once each, in order."""
    return list(dict.fromkeys(next(g for g in m.groups() if g) for m in VARIABLE.finditer(text)))
