"""elf.parse on real binaries of this machine and of the ARM cross libc, and on
crafted headers for what no installed file shows (big-endian, 2.6.x floors)."""

import shutil
import struct
from pathlib import Path

import pytest

from pytest_quill.formats import elf
from pytest_quill.formats.version import format_version

ARM_LIBC = Path("/usr/arm-linux-gnueabihf/lib/libc.so.6")
ARMEL_LIBC = Path("/usr/arm-linux-gnueabi/lib/libc.so.6")


def craft_elf(machine=40, bits=32, order="<", abi=(2, 6, 16), interp=None, etype=2) -> bytes:
    """A minimal ELF: header, program headers (PT_NOTE with the GNU ABI tag, PT_INTERP)."""
    note = struct.pack(f"{order}III", 4, 16, elf.NT_GNU_ABI_TAG) + b"GNU\0"
    note += struct.pack(f"{order}IIII", 0, *abi)
    interp_bytes = interp.encode() + b"\0" if interp else b""
    ehsize, phentsize = (52, 32) if bits == 32 else (64, 56)
    segments = [(elf.PT_NOTE, note)] + ([(elf.PT_INTERP, interp_bytes)] if interp else [])
    offset = ehsize + phentsize * len(segments)
    phdrs, payload = b"", b""
    for p_type, data in segments:
        at = offset + len(payload)
        if bits == 32:
            phdrs += struct.pack(f"{order}IIIIIIII", p_type, at, 0, 0, len(data), len(data), 4, 4)
        else:
            phdrs += struct.pack(f"{order}IIQQQQQQ", p_type, 4, at, 0, 0, len(data), len(data), 4)
        payload += data
    word = "I" if bits == 32 else "Q"
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if order == "<" else 2, 1]) + bytes(9)
    header = ident + struct.pack(
        f"{order}HHI{word}{word}{word}IHHHHHH",
        etype,
        machine,
        1,
        0,
        ehsize,
        0,
        0,
        ehsize,
        phentsize,
        len(segments),
        0,
        0,
        0,
    )
    return header + phdrs + payload


def test_host_program_is_x86_64_dynamic_with_a_kernel_floor():
    info = elf.parse(Path(shutil.which("ls")).read_bytes())
    assert (info.machine, info.bits, info.endian) == ("X86_64", 64, "little")
    assert info.arm_float_abi is None
    assert info.interpreter and "ld-linux" in info.interpreter
    assert info.abi_min_kernel is not None and info.abi_min_kernel >= (2, 6, 0)


@pytest.mark.skipif(not ARM_LIBC.exists(), reason="libc6-armhf-cross not installed")
def test_armhf_libc_is_32_bit_arm_needing_kernel_3_2():
    info = elf.parse(ARM_LIBC.read_bytes())
    assert (info.machine, info.bits, info.endian) == ("ARM", 32, "little")
    assert info.abi_min_kernel == (3, 2, 0)
    assert info.arm_float_abi == "hard"


@pytest.mark.skipif(not ARMEL_LIBC.exists(), reason="libc6-armel-cross not installed")
def test_armel_libc_uses_the_soft_float_abi():
    assert elf.parse(ARMEL_LIBC.read_bytes()).arm_float_abi == "soft"


def test_crafted_static_arm_binary_states_its_floor():
    info = elf.parse(craft_elf(abi=(2, 6, 16)))
    assert info.machine == "ARM" and info.type == "EXEC"
    assert info.interpreter is None
    assert info.abi_min_kernel == (2, 6, 16)


def test_big_endian_64_bit_header_and_interpreter_are_read():
    info = elf.parse(
        craft_elf(machine=21, bits=64, order=">", abi=(3, 10, 0), interp="/lib64/ld64.so.2", etype=3)
    )
    assert (info.machine, info.bits, info.endian, info.type) == ("PPC64", 64, "big", "DYN")
    assert info.interpreter == "/lib64/ld64.so.2"
    assert info.abi_min_kernel == (3, 10, 0)


def test_unknown_machine_is_named_by_number():
    assert elf.parse(craft_elf(machine=999)).machine == "EM_999"


def test_truncated_program_headers_are_an_error():
    with pytest.raises(ValueError, match="program header"):
        elf.parse(craft_elf()[:60])


def test_non_elf_is_refused():
    assert not elf.is_elf(b"#!/bin/sh\n")
    with pytest.raises(ValueError, match="not an ELF"):
        elf.parse(b"#!/bin/sh\necho hello world, this is long enough to be a header\n")


def test_version_format():
    assert format_version((2, 6, 29)) == "2.6.29"


@pytest.mark.skipif(not ARM_LIBC.exists(), reason="libc6-armhf-cross not installed")
def test_relocatable_object_note_is_read_from_its_sections():
    info = elf.parse((ARM_LIBC.parent / "crt1.o").read_bytes())
    assert info.type == "REL"
    assert info.abi_min_kernel == (3, 2, 0)
