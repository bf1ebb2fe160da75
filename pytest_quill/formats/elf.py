"""ELF facts, read with pyelftools: which machine a file is for, its class and
byte order, its ARM float ABI, whether it needs a loader, the minimum kernel its
GNU ABI tag note states (glibc refuses to start on an older one: "FATAL: kernel
too old"), its sections, its symbols and a module's .modinfo.

A file that is not ELF, or whose headers run past its end, is a ValueError
naming the file (when read from a path) and what is wrong.
"""

from __future__ import annotations

import io
import mmap
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_E_MACHINE, ENUM_E_TYPE
from elftools.elf.sections import SymbolTableSection

MAGIC = b"\x7fELF"

# e_machine values, named as profile target.elf_machine names them.
MACHINES = {
    3: "386",
    8: "MIPS",
    20: "PPC",
    21: "PPC64",
    40: "ARM",
    62: "X86_64",
    183: "AArch64",
    243: "RISCV",
}
TYPES = {1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}

PT_INTERP = 3
PT_NOTE = 4
SHT_NOTE = 7
SHF_ALLOC = 0x2
NT_GNU_ABI_TAG = 1
# ARM EABI e_flags: which float calling convention (armhf or armel) a file uses.
EF_ARM_ABI_FLOAT_SOFT = 0x200
EF_ARM_ABI_FLOAT_HARD = 0x400
# What pyelftools (and the struct and text decoding under it) raise on a broken file.
_BROKEN = (ELFError, ValueError, struct.error, EOFError)
T = TypeVar("T")


@dataclass(frozen=True)
class ElfInfo:
    machine: str  # MACHINES name, or "EM_<number>" for others
    bits: int  # 32 or 64
    endian: str  # "little" or "big"
    type: str  # REL, EXEC, DYN, CORE
    interpreter: str | None  # PT_INTERP: the dynamic loader; None when static
    abi_min_kernel: tuple[int, int, int] | None  # from the NT_GNU_ABI_TAG note
    flags: int = 0  # e_flags

    @property
    def arm_float_abi(self) -> str | None:
        """ "hard" (Debian armhf), "soft" (armel), or None when the file does not say."""
        if self.machine != "ARM":
            return None
        if self.flags & EF_ARM_ABI_FLOAT_HARD:
            return "hard"
        return "soft" if self.flags & EF_ARM_ABI_FLOAT_SOFT else None

    @property
    def static(self) -> bool:
        """No program interpreter: the kernel starts it as it is (a static
        executable or static PIE; a shared library has none either)."""
        return self.interpreter is None


@dataclass(frozen=True)
class Section:
    name: str
    address: int  # sh_addr: where it is loaded (0 for what is not loaded)
    size: int
    type: str  # "SHT_PROGBITS", "SHT_NOBITS", "SHT_NOTE"... as pyelftools names it
    flags: int = 0  # sh_flags

    @property
    def alloc(self) -> bool:
        """Occupies memory when the file is loaded (SHF_ALLOC)."""
        return bool(self.flags & SHF_ALLOC)


@dataclass(frozen=True)
class Symbol:
    name: str
    defined: bool  # not SHN_UNDEF
    local: bool  # STB_LOCAL
    address: int = 0  # st_value as nm and System.map show it (an ARM Thumb function's bit 0 clear)
    size: int = 0


def is_elf(data: bytes) -> bool:
    return data[:4] == MAGIC


def parse(data: bytes) -> ElfInfo:
    """ELF facts of a whole file's bytes; ValueError when it is not a sound ELF."""
    return Elf(data).info()


def symbols(path: Path) -> list[Symbol]:
    return Elf(path).symbols()


def modinfo(path: Path) -> dict[str, str]:
    """A module's .modinfo strings (vermagic, license, depends...)."""
    return Elf(path).modinfo()


class Elf:
    """One ELF file: its bytes (a tar member) or a path (mapped, not read whole)."""

    def __init__(self, source: Path | bytes):
        stream: IO[bytes]
        if isinstance(source, (bytes, bytearray)):
            self.name, stream = "", io.BytesIO(source)
        else:
            self.name, stream = str(source), _mapped(Path(source))
        head = stream.read(6)
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        if not is_elf(head) or size < 52:
            raise self._error("not an ELF file")
        if head[4] not in (1, 2) or head[5] not in (1, 2):
            raise self._error(f"bad ELF ident: class {head[4]}, data {head[5]}")
        try:
            self.elf = ELFFile(stream)
        except _BROKEN as exc:
            raise self._error(f"truncated ELF: {exc}") from None

    def _error(self, message: str) -> ValueError:
        return ValueError(f"{self.name}: {message}" if self.name else message)

    def info(self) -> ElfInfo:
        header = self.elf.header
        machine = _number(header["e_machine"], ENUM_E_MACHINE)
        kind = _number(header["e_type"], ENUM_E_TYPE)
        segments = self._segments()
        return ElfInfo(
            machine=MACHINES.get(machine, f"EM_{machine}"),
            bits=self.elf.elfclass,
            endian="little" if self.elf.little_endian else "big",
            type=TYPES.get(kind, str(kind)),
            interpreter=self._interpreter(segments),
            abi_min_kernel=self._abi_min_kernel(segments),
            flags=header["e_flags"],
        )

    def sections(self) -> list[Section]:
        return [
            Section(
                section.name,
                section["sh_addr"],
                section["sh_size"],
                str(section["sh_type"]),
                section["sh_flags"],
            )
            for section in self._sections()
        ]

    def section_bytes(self, name: str) -> bytes | None:
        for section in self._sections():
            if section.name == name:
                return self._read(section.data, "section " + name)
        return None

    def symbols(self) -> list[Symbol]:
        """The .symtab's named symbols (none when the file is stripped)."""
        table = next(
            (s for s in self._sections() if s.name == ".symtab" and isinstance(s, SymbolTableSection)), None
        )
        if table is None:
            return []
        thumb = self.elf.header["e_machine"] == "EM_ARM"
        return self._read(
            lambda: [
                Symbol(
                    symbol.name,
                    symbol["st_shndx"] != "SHN_UNDEF",
                    symbol["st_info"]["bind"] == "STB_LOCAL",
                    symbol["st_value"] & ~1
                    if thumb and symbol["st_info"]["type"] == "STT_FUNC"
                    else symbol["st_value"],
                    symbol["st_size"],
                )
                for symbol in table.iter_symbols()
                if symbol.name
            ],
            "symbol table",
        )

    def symbol(self, name: str) -> Symbol | None:
        """The symbol NAME (a defined one first), e.g. stext or _text of a vmlinux."""
        found = sorted((s for s in self.symbols() if s.name == name), key=lambda s: not s.defined)
        return found[0] if found else None

    def modinfo(self) -> dict[str, str]:
        """.modinfo's key=value strings; the first value of a repeated key."""
        info: dict[str, str] = {}
        for item in (self.section_bytes(".modinfo") or b"").split(b"\0"):
            key, sep, value = item.decode(errors="replace").partition("=")
            if sep:
                info.setdefault(key, value)
        return info

    def _segments(self) -> list[Any]:
        return self._table("p", self.elf.structs.Elf_Phdr, self.elf.iter_segments, "program header table")

    def _sections(self) -> list[Any]:
        return self._table("s", self.elf.structs.Elf_Shdr, self.elf.iter_sections, "section header table")

    def _table(self, letter: str, entry: Any, entries: Callable[[], Iterator[Any]], what: str) -> list[Any]:
        """A header table (e_phoff/e_shoff...), bounds-checked before pyelftools reads it."""
        header = self.elf.header
        count = header[f"e_{letter}hnum"]
        if count:
            last = header[f"e_{letter}hoff"] + (count - 1) * header[f"e_{letter}hentsize"]
            if last + entry.sizeof() > self.elf.stream_len:
                raise self._error(f"{what} runs past the end of the file")
        return self._read(lambda: list(entries()), what)

    def _interpreter(self, segments: list[Any]) -> str | None:
        for segment in segments:
            if segment["p_type"] == "PT_INTERP":
                data = self._read(segment.data, "interpreter")
                return data.rstrip(b"\0").decode(errors="replace")
        return None

    def _abi_min_kernel(self, segments: list[Any]) -> tuple[int, int, int] | None:
        """From the PT_NOTE segments; objects without program headers (.ko, .o)
        have it in their SHT_NOTE sections. A note cut off by the file's end is
        not read."""
        notes = [s for s in segments if s["p_type"] == "PT_NOTE"]
        if not notes:
            notes = [s for s in self._sections() if s["sh_type"] == "SHT_NOTE"]
        for region in notes:
            try:
                for note in region.iter_notes():
                    if (
                        note["n_name"] == "GNU"
                        and note["n_type"] == "NT_GNU_ABI_TAG"
                        and note["n_descsz"] >= 16
                        and note["n_desc"]["abi_os"] == "ELF_NOTE_OS_LINUX"
                    ):
                        desc = note["n_desc"]
                        return desc["abi_major"], desc["abi_minor"], desc["abi_tiny"]
            except _BROKEN:
                continue
        return None

    def _read(self, action: Callable[[], T], what: str) -> T:
        try:
            return action()
        except _BROKEN as exc:
            raise self._error(f"broken {what}: {exc}") from None


def _mapped(path: Path) -> IO[bytes]:
    """The file mapped read-only: pyelftools seeks in it without reading it whole."""
    with open(path, "rb") as handle:
        if not path.stat().st_size:
            return io.BytesIO(b"")
        # An mmap reads, seeks and tells as a binary file does, all pyelftools asks of one.
        return cast(IO[bytes], mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))


def _number(value: int | str, names: Mapping[str, int]) -> int:
    """A header field pyelftools names ("EM_ARM") back to its number."""
    return value if isinstance(value, int) else names.get(value, -1)
