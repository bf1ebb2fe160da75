"""U-Boot legacy images (uImage): the 64-byte header, read and held against a profile.

Header (big endian): magic, header CRC, time, data size, load address, entry
point, data CRC, OS, arch, type, compression, 32-byte name. The header CRC is
the CRC-32 of the header with its CRC field zeroed.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import VerifyError
from ..profile import Profile

MAGIC = 0x27051956
HEADER = struct.Struct(">7I4B32s")
HEADER_SIZE = HEADER.size  # 64

OS_CODES = {"linux": 5}
ARCH_CODES = {"arm": 2, "arm64": 22, "x86": 3}
TYPE_CODES = {"kernel": 2, "script": 6}
COMPRESSION_CODES = {"none": 0, "gzip": 1}


@dataclass(frozen=True)
class UImageHeader:
    magic: int
    header_crc: int
    time: int
    size: int
    load: int
    entry: int
    data_crc: int
    os: int
    arch: int
    type: int
    compression: int
    name: str

    def as_meta(self) -> dict[str, Any]:
        """JSON-able, addresses and CRCs in hex as mkimage -l prints them."""
        meta = asdict(self)
        for key in ("magic", "header_crc", "load", "entry", "data_crc"):
            meta[key] = f"0x{meta[key]:08x}"
        return meta


def read_header(path: Path) -> UImageHeader:
    with open(path, "rb") as image:
        raw = image.read(HEADER_SIZE)
    if len(raw) < HEADER_SIZE:
        raise VerifyError(f"{path}: {len(raw)} bytes, shorter than a 64-byte uImage header")
    fields = list(HEADER.unpack(raw))
    fields[-1] = fields[-1].split(b"\0", 1)[0].decode(errors="replace")
    return UImageHeader(*fields)


def header_crc(path: Path) -> int:
    with open(path, "rb") as image:
        raw = bytearray(image.read(HEADER_SIZE))
    raw[4:8] = b"\0\0\0\0"
    return zlib.crc32(bytes(raw))


def data_crc(path: Path, size: int) -> int:
    crc = 0
    with open(path, "rb") as image:
        image.seek(HEADER_SIZE)
        remaining = size
        while remaining > 0:
            chunk = image.read(min(remaining, 1 << 20))
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
            remaining -= len(chunk)
    return crc


def verify(path: Path, profile: Profile, image_type: str = "kernel") -> list[str]:
    """One line per broken fact: the file, the fact, what the profile says."""
    if not path.is_file():
        return [f"{path}: missing"]
    try:
        header = read_header(path)
    except VerifyError as error:
        return [error.message]
    if header.magic != MAGIC:
        return [f"{path}: magic 0x{header.magic:08x}, a uImage has 0x{MAGIC:08x}"]
    problems = []
    if header_crc(path) != header.header_crc:
        problems.append(
            f"{path}: header CRC 0x{header.header_crc:08x} does not match "
            f"the header (0x{header_crc(path):08x})"
        )
    length = path.stat().st_size - HEADER_SIZE
    if length != header.size:
        problems.append(f"{path}: header says {header.size} data bytes, the file has {length}")
    elif data_crc(path, header.size) != header.data_crc:
        problems.append(
            f"{path}: data CRC 0x{header.data_crc:08x} does not match the data "
            f"(0x{data_crc(path, header.size):08x})"
        )
    problems += _codes(path, header, profile, image_type)
    if image_type == "kernel":
        problems += _addresses(path, header, profile)
    return problems


def _codes(path: Path, header: UImageHeader, profile: Profile, image_type: str) -> list[str]:
    wanted = {
        "os": ("linux", OS_CODES),
        "arch": (profile.target.arch, ARCH_CODES),
        "type": (image_type, TYPE_CODES),
        "compression": ("none", COMPRESSION_CODES),
    }
    problems = []
    for field, (name, codes) in wanted.items():
        got = getattr(header, field)
        if got != codes.get(name):
            problems.append(f"{path}: {field} code {got}, the profile needs {name} ({codes.get(name)})")
    return problems


def _addresses(path: Path, header: UImageHeader, profile: Profile) -> list[str]:
    wanted = profile.uimage
    problems = []
    for field in ("load", "entry"):
        got, expected = getattr(header, field), getattr(wanted, field)
        if got != expected:
            label = "load address" if field == "load" else "entry point"
            problems.append(f"{path}: uImage {label} 0x{got:08x}, profile says 0x{expected:08x}")
    if header.name != wanted.name:
        problems.append(f"{path}: uImage name {header.name!r}, profile says {wanted.name!r}")
    total = path.stat().st_size
    if total > wanted.max_bytes:
        problems.append(
            f"{path}: {total} bytes, over the profile's budget of {wanted.max_bytes} (uimage.max_bytes)"
        )
    return problems


def mkimage_argv(zimage: Path, uimage: Path, profile: Profile) -> list[str]:
    """mkimage for a kernel at the profile's addresses, uncompressed (a zImage
    decompresses itself)."""
    settings = profile.uimage
    return [
        "mkimage",
        "-A",
        profile.target.arch,
        "-O",
        "linux",
        "-T",
        "kernel",
        "-C",
        "none",
        "-a",
        f"0x{settings.load:08x}",
        "-e",
        f"0x{settings.entry:08x}",
        "-n",
        settings.name,
        "-d",
        str(zimage),
        str(uimage),
    ]
