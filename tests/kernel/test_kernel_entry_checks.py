"""Gate 2's check of what a build cannot show: the kernel starts where the
uImage says. Small "vmlinux" files linked here by the real ARM toolchain the
way binutils 2.40 links 2.6.29 (.note.gnu.build-id first, .text.head aligned
to 32: stext at +0x40), their System.map from nm; and synthetic records."""

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.meta import write_meta
from pytest_quill.kernel import verify as kernel_verify
from tests.support.kernel_artifacts import SOUND_VMLINUX, make_artifact

CC = "arm-linux-gnueabihf-gcc"
NM = "arm-linux-gnueabihf-nm"
# The layout of 2.6.29's vmlinux.lds with the note a modern ld adds in front.
LDS = """SECTIONS {
  . = 0xc0008000;
  .note.gnu.build-id : { *(.note.gnu.build-id) }
  .text.head : { *(.text.head) }
  .text : { *(.text*) }
  .got : { *(.got) *(.got.plt) }
  .data : { *(.data*) *(.bss*) }
  /DISCARD/ : { *(.ARM.exidx*) *(.ARM.attributes) *(.comment) }
}
"""
KERNEL_C = """int counter;
__attribute__((section(".text.head"), aligned(32))) void stext(void) { }
int start_kernel(void) { return counter; }
"""
BUILD_ID_LINE = (
    "System.map: stext at 0xc0008040, 0x40 bytes after the uImage entry "
    "0x80008000: a section (.note.gnu.build-id) sits ahead of the kernel's text; "
    "link vmlinux without --build-id"
)

needs_cc = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} missing")


def link(folder: Path, *flags: str) -> tuple[str, dict]:
    """System.map (nm -n) and the recipe's record of a vmlinux linked with FLAGS."""
    folder.mkdir()
    (folder / "kernel.lds").write_text(LDS)
    (folder / "kernel.c").write_text(KERNEL_C)
    vmlinux = folder / "vmlinux"
    subprocess.run(
        [
            CC,
            "-O2",
            "-marm",
            "-nostdlib",
            "-static",
            "-Wl,-e,stext",
            *flags,
            "-Wl,-T," + str(folder / "kernel.lds"),
            str(folder / "kernel.c"),
            "-o",
            str(vmlinux),
        ],
        check=True,
        capture_output=True,
    )
    system_map = subprocess.run([NM, "-n", str(vmlinux)], check=True, capture_output=True, text=True).stdout
    return system_map, kernel_verify.vmlinux_record(vmlinux)


@needs_cc
def test_a_build_id_note_ahead_of_the_text_is_one_line_naming_the_fact(tmp_path):
    system_map, record = link(tmp_path / "k", "-fno-pie", "-Wl,--build-id=sha1")
    assert "c0008040 T stext" in system_map
    assert record["sections"][0]["name"] == ".note.gnu.build-id"
    assert kernel_verify.entry_problems(system_map, 0x80008000, record) == [BUILD_ID_LINE]


@needs_cc
def test_linked_without_build_id_the_text_starts_at_the_entry(tmp_path):
    system_map, record = link(tmp_path / "k", "-fno-pie", "-Wl,--build-id=none")
    assert "c0008000 T stext" in system_map
    assert record["entry"] == "0xc0008000"
    assert kernel_verify.entry_problems(system_map, 0x80008000, record) == []
    assert kernel_verify.entry_problems(system_map, 0x40008000, record) == []  # qemu-virt's


@needs_cc
def test_position_independent_code_leaves_a_got_that_is_named(tmp_path):
    system_map, record = link(tmp_path / "k", "-fPIC", "-Wl,--build-id=none")
    got = [s for s in record["sections"] if s["name"] == ".got"]
    assert got and got[0]["size"] > 0
    assert kernel_verify.entry_problems(system_map, 0x80008000, record) == [
        f"vmlinux: a .got section ({got[0]['size']} bytes at {got[0]['address']}): GOT "
        f"relocations in a kernel, its code was compiled position-independent "
        f"(build with -fno-pie)"
    ]


def record(*sections: tuple[str, int, int]) -> dict:
    return {
        "entry": "0xc0008000",
        "sections": [
            {"name": name, "address": f"0x{address:08x}", "size": size} for name, address, size in sections
        ],
    }


def test_stext_before_text_and_not_6_1s_stext_of_text():
    """2.6.29: _text is past .init (c002b000); 6.1: _stext is .text's start."""
    old = "c0008000 T stext\nc002b000 T _text\n"
    assert kernel_verify.text_start(old) == ("stext", 0xC0008000)
    new = "c0008000 T _text\nc0100000 T _stext\n"
    assert kernel_verify.text_start(new) == ("_text", 0xC0008000)
    assert (
        kernel_verify.entry_problems(
            new, 0x40008000, record((".head.text", 0xC0008000, 0x1E0), (".text", 0xC0100000, 9))
        )
        == []
    )


def test_a_map_without_a_text_symbol_is_named():
    assert kernel_verify.entry_problems("c0100000 T start_kernel\n", 0x80008000, record()) == [
        "System.map: no stext or _text symbol: where the kernel's text starts is unknown"
    ]


def test_a_section_ahead_of_the_text_is_named_even_when_the_offsets_agree():
    problems = kernel_verify.entry_problems(
        "c0008000 T stext\n",
        0x80008000,
        record((".stray", 0xC0007F00, 0x100), (".text.head", 0xC0008000, 0x3D4)),
    )
    assert problems == [
        "vmlinux: section .stray at 0xc0007f00 sits ahead of the kernel's text (stext at 0xc0008000)"
    ]


def test_a_build_id_note_elsewhere_is_still_named_and_a_text_off_without_cause_too():
    note_after = record((".text.head", 0xC0008000, 0x3D4), (".note.gnu.build-id", 0xC0400000, 36))
    assert kernel_verify.entry_problems("c0008000 T stext\n", 0x80008000, note_after) == [
        "vmlinux: a .note.gnu.build-id section at 0xc0400000: objcopy drops it from the Image; "
        "link vmlinux without --build-id"
    ]
    assert kernel_verify.entry_problems("c0008000 T stext\n", 0x80010000, record()) == [
        "System.map: stext at 0xc0008000, 0x8000 bytes before the uImage entry 0x80010000: "
        "the kernel does not start where the bootloader puts it"
    ]


@needs_cc
def test_verify_closes_on_stext_off_by_0x40_with_one_line(tmp_path, nook):
    artifact = make_artifact(tmp_path / "a", nook)
    artifact.file("System.map").write_text(
        artifact.file("System.map").read_text().replace("c0008000 T stext", "c0008040 T stext")
    )
    off = record((".note.gnu.build-id", 0xC0008000, 0x24), (".text.head", 0xC0008040, 0x3D4))
    problems = kernel_verify.verify(
        dataclasses.replace(artifact, meta=dataclasses.replace(artifact.meta, vmlinux=off)), nook
    )
    assert problems == [BUILD_ID_LINE]


@needs_cc
def test_verify_wants_the_vmlinux_record_and_the_uimage_of_this_zimage(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    assert artifact.meta.vmlinux == SOUND_VMLINUX
    meta = dataclasses.replace(artifact.meta, vmlinux=None)
    write_meta(artifact.path, meta)
    assert kernel_verify.verify(dataclasses.replace(artifact, meta=meta), profile) == [
        f"{artifact.path / 'meta.json'}: no vmlinux record (its sections, read at build time): "
        f"built by an older kernel recipe"
    ]
    artifact.file("zImage").write_bytes(b"another zImage")
    size = artifact.file("uImage").stat().st_size - 64
    assert kernel_verify.verify(artifact, profile) == [
        f"{artifact.file('uImage')}: holds {size} bytes of data, zImage is 14: not this build's image"
    ]
