"""formats.elf on real binaries: a static ARM program compiled here, Debian's
armel libc, a SquireOS .ko from the artifact cache. Sections and symbols are
checked against binutils' own readelf and nm."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.errors import VerifyError
from pytest_quill.formats import elf
from pytest_quill.kernel import modules as kernel_modules

GCC = "arm-linux-gnueabihf-gcc"
READELF = "arm-linux-gnueabihf-readelf"
NM = "arm-linux-gnueabihf-nm"
ARMEL_LIBC = Path("/usr/arm-linux-gnueabi/lib/libc.so.6")
KERNEL_CACHE = Path.home() / ".cache/pytest-quill/artifacts/kernel"
SECTION = re.compile(r"^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)")


@pytest.fixture(scope="module")
def static_program(tmp_path_factory) -> Path:
    """A static armhf program with its symbol table (not stripped)."""
    if shutil.which(GCC) is None:
        pytest.skip(f"{GCC} missing")
    folder = tmp_path_factory.mktemp("elf")
    source = folder / "answer.c"
    source.write_text("int answer = 42;\nint main(void) { return answer; }\n")
    subprocess.run([GCC, "-static", "-O2", "-o", folder / "answer", source], check=True)
    return folder / "answer"


def cached_kos() -> list[Path]:
    return sorted(KERNEL_CACHE.glob(f"*/modules/lib/modules/*/{kernel_modules.KO_DIR}/*.ko"))


def tool(*argv) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def test_static_arm_program_facts(static_program):
    info = elf.parse(static_program.read_bytes())
    assert (info.machine, info.bits, info.endian, info.type) == ("ARM", 32, "little", "EXEC")
    assert info.interpreter is None and info.static
    assert info.arm_float_abi == "hard"
    assert info.abi_min_kernel == (3, 2, 0)


def test_sections_are_the_ones_readelf_lists(static_program):
    listed = [
        match.groups()
        for line in tool(READELF, "-SW", str(static_program)).splitlines()
        if (match := SECTION.match(line)) and match.group(1) != "0"
    ]
    ours = elf.Elf(static_program).sections()[1:]
    assert [(s.name, s.type.removeprefix("SHT_"), s.address, s.size) for s in ours] == [
        (name, kind, int(address, 16), int(size, 16)) for _, name, kind, address, size in listed
    ]
    text = next(s for s in ours if s.name == ".text")
    assert text.alloc and text.type == "SHT_PROGBITS"
    assert not next(s for s in ours if s.name == ".comment").alloc
    # What the kernel's entry-point check looks for: the linker's build-id note.
    assert ".note.gnu.build-id" in {s.name for s in ours}


def test_symbols_by_name_match_nm(static_program):
    image = elf.Elf(static_program)
    by_nm = {
        fields[2]: int(fields[0], 16)
        for fields in (line.split() for line in tool(NM, str(static_program)).splitlines())
        if len(fields) == 3
    }
    main, answer = image.symbol("main"), image.symbol("answer")
    assert main.defined and not main.local and main.address == by_nm["main"]
    assert answer.address == by_nm["answer"] and answer.size == 4
    text = next(s for s in image.sections() if s.name == ".text")
    assert text.address <= main.address < text.address + text.size
    assert image.symbol("no_such_symbol") is None


@pytest.mark.skipif(not ARMEL_LIBC.exists(), reason="libc6-armel-cross not installed")
def test_armel_libc_states_its_kernel_floor_and_soft_floats():
    info = elf.parse(ARMEL_LIBC.read_bytes())
    assert (info.machine, info.type, info.arm_float_abi) == ("ARM", "DYN", "soft")
    assert info.abi_min_kernel == (3, 2, 0)
    assert info.interpreter == "/lib/ld-linux.so.3"


@pytest.mark.skipif(not cached_kos(), reason=f"no built kernel module under {KERNEL_CACHE}")
@pytest.mark.parametrize("ko", cached_kos()[:4], ids=lambda path: path.name)
def test_cached_kernel_module_modinfo_and_symbols(ko):
    release = ko.parents[len(kernel_modules.KO_DIR.split("/"))].name
    info = elf.modinfo(ko)
    assert info["vermagic"].split()[0] == release
    assert info["license"] == "GPL" and "depends" in info
    symbols = elf.symbols(ko)
    assert "init_module" in {s.name for s in symbols if s.defined}
    undefined = {s.name for s in symbols if not s.defined and not s.local}
    assert undefined == {line.split()[-1] for line in tool(NM, "-u", str(ko)).splitlines()}
    assert elf.parse(ko.read_bytes()).type == "REL"
    assert ".modinfo" in {s.name for s in elf.Elf(ko).sections()}


def test_a_non_elf_path_is_named(tmp_path):
    script = tmp_path / "init"
    script.write_text("#!/bin/sh\nexec /bin/sh\n" * 4)
    with pytest.raises(ValueError, match=f"^{script}: not an ELF file$"):
        elf.Elf(script)
    empty = tmp_path / "empty"
    empty.touch()
    with pytest.raises(ValueError, match="not an ELF file"):
        elf.Elf(empty)


def test_a_truncated_file_has_no_section_table(static_program, tmp_path):
    cut = tmp_path / "cut"
    cut.write_bytes(static_program.read_bytes()[:4096])
    with pytest.raises(ValueError, match=f"^{cut}: section header table runs past the end"):
        elf.Elf(cut).sections()


def test_a_module_that_is_not_elf_fails_its_check_with_its_name(tmp_path):
    ko = tmp_path / "jester.ko"
    ko.write_text("not a module\n" * 10)
    with pytest.raises(VerifyError, match=f"^{ko}: not an ELF file$"):
        kernel_modules.check_ko(ko, "SQUIREOS_JESTER", "6.1.192-quill", {})
