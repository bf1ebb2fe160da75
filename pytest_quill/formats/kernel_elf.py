"""The few facts of an ELF file that module checks need, read in Python
(no cross binutils needed on the machine that verifies): symbols and sections."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import VerifyError

SHN_UNDEF = 0
STB_LOCAL = 0


@dataclass(frozen=True)
class Symbol:
    name: str
    defined: bool
    local: bool


class Elf:
    def __init__(self, path: Path):
        self.path = path
        self.data = path.read_bytes()
        if self.data[:4] != b"\x7fELF":
            raise VerifyError(f"{path}: not an ELF file")
        self.is64 = self.data[4] == 2
        self.endian = "<" if self.data[5] == 1 else ">"
        self.sections = self._sections()

    def _unpack(self, fmt: str, offset: int) -> tuple:
        return struct.unpack_from(self.endian + fmt, self.data, offset)

    def _sections(self) -> list[dict]:
        if self.is64:
            shoff, = self._unpack("Q", 0x28)
            shentsize, shnum, shstrndx = self._unpack("HHH", 0x3A)
            fmt = "IIQQQQIIQQ"
        else:
            shoff, = self._unpack("I", 0x20)
            shentsize, shnum, shstrndx = self._unpack("HHH", 0x2E)
            fmt = "IIIIIIIIII"
        raw = []
        for index in range(shnum):
            name, kind, _flags, _addr, offset, size, link, _info, _align, entsize = \
                self._unpack(fmt, shoff + index * shentsize)
            raw.append({"name_at": name, "type": kind, "offset": offset, "size": size,
                        "link": link, "entsize": entsize})
        names = raw[shstrndx] if shnum else None
        for section in raw:
            section["name"] = self._string(names, section["name_at"]) if names else ""
        return raw

    def _string(self, table: dict, at: int) -> str:
        start = table["offset"] + at
        end = self.data.index(b"\0", start)
        return self.data[start:end].decode(errors="replace")

    def section_bytes(self, name: str) -> bytes | None:
        for section in self.sections:
            if section["name"] == name:
                return self.data[section["offset"]:section["offset"] + section["size"]]
        return None

    def symbols(self) -> list[Symbol]:
        table = next((s for s in self.sections if s["name"] == ".symtab"), None)
        if table is None:
            return []
        strings = self.sections[table["link"]]
        fmt, size = ("IBBHQQ", 24) if self.is64 else ("IIIBBH", 16)
        found = []
        for offset in range(table["offset"], table["offset"] + table["size"], size):
            fields = self._unpack(fmt, offset)
            name_at, info, shndx = ((fields[0], fields[1], fields[3]) if self.is64
                                    else (fields[0], fields[3], fields[5]))
            name = self._string(strings, name_at)
            if name:
                found.append(Symbol(name, shndx != SHN_UNDEF, info >> 4 == STB_LOCAL))
        return found


def modinfo(path: Path) -> dict[str, str]:
    """A module's .modinfo strings (vermagic, license, depends...)."""
    raw = Elf(path).section_bytes(".modinfo") or b""
    info = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.decode(errors="replace").partition("=")
        if sep:
            info.setdefault(key, value)
    return info
