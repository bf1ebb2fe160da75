"""A2: the kernel's configuration, uImage and modules held against the profile."""

import pytest

from pytest_quill.formats import elf, kconfig, uimage
from pytest_quill.kernel import modules as kernel_modules

pytestmark = pytest.mark.gate(2)

MODULES = [name for name, _ in kernel_modules.SQUIREOS_MODULES]


def test_every_requested_config_symbol_survived(kernel_uimage, profile):
    requested = kconfig.parse_config(profile.kernel.config_fragment.read_text())
    final = kconfig.parse_config(kernel_uimage.file("config").read_text())
    changed = {
        symbol: (wanted, final.get(symbol))
        for symbol, wanted in requested.items()
        if final.get(symbol, kconfig.NOT_SET) != wanted
    }
    assert changed == {}


def test_uimage_header_crcs_and_addresses_match_the_profile(kernel_uimage, profile):
    assert uimage.verify(kernel_uimage.file("uImage"), profile) == []


def test_uimage_wraps_the_zimage_uncompressed(kernel_uimage):
    header = uimage.read_header(kernel_uimage.file("uImage"))
    assert header.compression == uimage.COMPRESSION_CODES["none"]
    assert header.size == kernel_uimage.file("zImage").stat().st_size


def test_uimage_within_size_budget(kernel_uimage, profile):
    assert kernel_uimage.file("uImage").stat().st_size <= profile.uimage.max_bytes


@pytest.fixture
def ko(kernel_uimage, profile, request):
    if profile.kernel.squireos != "m":
        pytest.skip("SquireOS is built in for this profile (kernel.squireos = y)")
    return kernel_modules.ko_path(kernel_uimage.path, kernel_uimage.meta.release, request.param)


@pytest.mark.parametrize("ko", MODULES, indirect=True)
def test_module_has_no_unresolved_symbol(ko, kernel_uimage):
    exports = kernel_modules.exported_symbols(kernel_uimage.file("Module.symvers"))
    assert kernel_modules.unresolved(elf.Elf(ko).symbols(), exports) == []


@pytest.mark.parametrize("ko", MODULES, indirect=True)
def test_module_vermagic_is_the_kernel_release(ko, kernel_uimage):
    vermagic = elf.modinfo(ko)["vermagic"]
    assert vermagic.split()[0] == kernel_uimage.meta.release


@pytest.mark.parametrize("ko", MODULES, indirect=True)
def test_module_is_gpl_with_an_init_function(ko):
    assert elf.modinfo(ko)["license"] == "GPL"
    assert "init_module" in {s.name for s in elf.Elf(ko).symbols() if s.defined}


def test_proc_root_exported_by_squireos_core(kernel_uimage, profile):
    if profile.kernel.squireos != "m":
        pytest.skip("SquireOS is built in for this profile (kernel.squireos = y)")
    exports = kernel_modules.exported_symbols(kernel_uimage.file("Module.symvers"))
    assert exports.get("squireos_root") == "drivers/squireos/squireos_core"


def test_depmod_loads_the_core_before_every_feature_module(kernel_uimage, profile):
    if profile.kernel.squireos != "m":
        pytest.skip("SquireOS is built in for this profile (kernel.squireos = y)")
    root = kernel_modules.modules_root(kernel_uimage.path, kernel_uimage.meta.release)
    deps = dict(line.split(":", 1) for line in (root / "modules.dep").read_text().splitlines())
    core = f"{kernel_modules.KO_DIR}/squireos_core.ko"
    for name in MODULES[1:]:
        assert deps[f"{kernel_modules.KO_DIR}/{name}.ko"].split() == [core], name


def test_squireos_code_is_where_the_profile_puts_it(kernel_uimage, profile):
    """Built in (=y): every module's init is in the image. Modules (=m): none is,
    and each .ko exists, so nothing is silently linked into the kernel."""
    symbols = kernel_uimage.file("System.map").read_text()
    in_image = [name for name in MODULES if f" {name}_init\n" in symbols]
    if profile.kernel.squireos == "y":
        assert in_image == MODULES
    else:
        assert in_image == []
        release = kernel_uimage.meta.release
        assert [
            n for n in MODULES if not kernel_modules.ko_path(kernel_uimage.path, release, n).is_file()
        ] == []
