"""The ELF facts a root filesystem is judged by: which machine a file is for,
its class and byte order, whether it is statically linked, and the minimum
kernel its GNU ABI tag note states (glibc refuses to start on an older one:
"FATAL: kernel too old").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"\x7fELF"

# e_machine values, named as profile target.elf_machine names them.
MACHINES = {3: "386", 8: "MIPS", 20: "PPC", 21: "PPC64", 40: "ARM", 62: "X86_64",
            183: "AArch64", 243: "RISCV"}
TYPES = {1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}

PT_INTERP = 3
PT_NOTE = 4
SHT_NOTE = 7
NT_GNU_ABI_TAG = 1
ABI_TAG_OS_LINUX = 0
# ARM EABI e_flags: which float calling convention (armhf or armel) a file uses.
EF_ARM_ABI_FLOAT_SOFT = 0x200
EF_ARM_ABI_FLOAT_HARD = 0x400


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


def is_elf(data: bytes) -> bool:
    return data[:4] == MAGIC


def parse(data: bytes) -> ElfInfo:
    """ELF facts of a whole file's bytes; ValueError when it is not a sound ELF."""
    if not is_elf(data) or len(data) < 52:
        raise ValueError("not an ELF file")
    bits = {1: 32, 2: 64}.get(data[4])
    endian = {1: "little", 2: "big"}.get(data[5])
    if bits is None or endian is None:
        raise ValueError(f"bad ELF ident: class {data[4]}, data {data[5]}")
    try:
        header = _Header(data, bits, endian)
        return ElfInfo(
            machine=MACHINES.get(header.machine, f"EM_{header.machine}"),
            bits=bits,
            endian=endian,
            type=TYPES.get(header.type, str(header.type)),
            interpreter=header.interpreter(),
            abi_min_kernel=header.abi_min_kernel(),
            flags=header.flags,
        )
    except struct.error as exc:
        raise ValueError(f"truncated ELF: {exc}") from None


class _Header:
    """The ELF header fields, and the program/section tables they point to."""

    def __init__(self, data: bytes, bits: int, endian: str):
        self.data = data
        self.order = "<" if endian == "little" else ">"
        word, offset = ("I", "I") if bits == 32 else ("Q", "Q")
        fmt = f"{self.order}HHI{word}{offset}{offset}IHHHHHH"
        fields = struct.unpack_from(fmt, data, 16)
        (self.type, self.machine, _version, _entry, self.phoff, self.shoff, self.flags,
         _ehsize, self.phentsize, self.phnum, self.shentsize, self.shnum, _shstrndx) = fields
        self.bits = bits

    def _segments(self):
        """(type, offset, size) of each program header."""
        fmt = "IIIIIIII" if self.bits == 32 else "IIQQQQQQ"
        for values in self._table(self.phoff, self.phnum, self.phentsize, fmt, "program header"):
            if self.bits == 32:
                p_type, p_offset, _vaddr, _paddr, p_filesz = values[:5]
            else:
                p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = values[:6]
            yield p_type, p_offset, p_filesz

    def _note_sections(self):
        """(offset, size) of each SHT_NOTE section: objects without program headers (.ko, .o)."""
        fmt = "IIIIIIIIII" if self.bits == 32 else "IIQQQQIIQQ"
        for values in self._table(self.shoff, self.shnum, self.shentsize, fmt, "section header"):
            if values[1] == SHT_NOTE:
                yield values[4], values[5]

    def _table(self, start: int, count: int, entry_size: int, fmt: str, what: str):
        """The unpacked entries of a header table; ValueError when it runs past the file."""
        fmt = self.order + fmt
        for index in range(count):
            at = start + index * entry_size
            if at + struct.calcsize(fmt) > len(self.data):
                raise ValueError(f"{what} table runs past the end of the file")
            yield struct.unpack_from(fmt, self.data, at)

    def interpreter(self) -> str | None:
        for p_type, offset, size in self._segments():
            if p_type == PT_INTERP:
                return self.data[offset:offset + size].rstrip(b"\0").decode(errors="replace")
        return None

    def abi_min_kernel(self) -> tuple[int, int, int] | None:
        regions = [(offset, size) for p_type, offset, size in self._segments() if p_type == PT_NOTE]
        if not regions:
            regions = list(self._note_sections())
        for offset, size in regions:
            found = self._abi_tag_in(offset, size)
            if found:
                return found
        return None

    def _abi_tag_in(self, offset: int, size: int) -> tuple[int, int, int] | None:
        end = min(offset + size, len(self.data))
        at = offset
        while at + 12 <= end:
            namesz, descsz, note_type = struct.unpack_from(f"{self.order}III", self.data, at)
            name_at = at + 12
            desc_at = name_at + _align4(namesz)
            name = self.data[name_at:name_at + namesz].rstrip(b"\0")
            if name == b"GNU" and note_type == NT_GNU_ABI_TAG and descsz >= 16:
                os_id, major, minor, patch = struct.unpack_from(f"{self.order}IIII", self.data, desc_at)
                if os_id == ABI_TAG_OS_LINUX:
                    return major, minor, patch
            at = desc_at + _align4(descsz)
        return None


def _align4(size: int) -> int:
    return (size + 3) & ~3
