"""Task A1 on small synthetic trees: the SquireOS integration, and the config
check run on what the real Kconfig tool (kconfig-conf) makes of it.

The ARM 2.6.29 layout: arch/arm/Kconfig has its own "Device Drivers" menu and
never sources drivers/Kconfig (NOOK.md), so a Kconfig sourced from
drivers/Kconfig is invisible there (mistake 1). A bool child of an =m parent
is built into the image (mistake 2).
"""

import shutil

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import BuildContext
from pytest_quill.formats import kconfig
from pytest_quill.kernel import config as kernel_config
from pytest_quill.kernel import integration as kernel_integration
from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.kernel import tree as kernel_tree
from pytest_quill.profile import load_profile
from tests.support.kernel_trees import (
    ARM_2629,
    FRAGMENT,
    MODULES,
    PROJECT,
    bool_children,
    integrate,
    make_tree,
    olddefconfig,
)

pytestmark = pytest.mark.skipif(
    shutil.which("kconfig-conf") is None, reason="kconfig-conf missing: apt-get install kconfig-frontends"
)


@pytest.fixture
def old_arm(tmp_path):
    return make_tree(tmp_path / "linux-2.6.29", ARM_2629)


def test_the_source_line_goes_inside_the_device_drivers_menu_of_arch_arm_kconfig(old_arm):
    integrate(old_arm, "arch/arm/Kconfig")
    text = (old_arm / "arch/arm/Kconfig").read_text()
    menu = text[text.index('menu "Device Drivers"') :]
    assert menu.index(kernel_integration.SOURCE_LINE) < menu.index("endmenu")
    assert kernel_integration.MAKEFILE_LINE in (old_arm / "drivers/Makefile").read_text()
    assert (old_arm / "drivers/squireos/squireos_core.c").read_bytes() == (
        MODULES / "squireos_core.c"
    ).read_bytes()
    assert kconfig.source_chain(old_arm, "arm", "drivers/squireos/Kconfig") == [
        "arch/arm/Kconfig",
        "drivers/squireos/Kconfig",
    ]


def test_integration_applied_twice_changes_nothing(old_arm):
    first = integrate(old_arm, "arch/arm/Kconfig")
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in old_arm.rglob("*") if p.is_file()}
    second = integrate(old_arm, "arch/arm/Kconfig")
    assert first["changed"] and second["changed"] == []
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in old_arm.rglob("*") if p.is_file()} == stamps
    assert (old_arm / "arch/arm/Kconfig").read_text().count(kernel_integration.SOURCE_LINE) == 1


def test_a_new_kconfig_parent_undoes_the_old_one(old_arm):
    integrate(old_arm, "drivers/Kconfig")
    integrate(old_arm, "arch/arm/Kconfig")
    assert (old_arm / "drivers/Kconfig").read_text() == ARM_2629["drivers/Kconfig"]
    assert kernel_integration.SOURCE_LINE in (old_arm / "arch/arm/Kconfig").read_text()


def test_an_unknown_kconfig_parent_is_an_input_error(old_arm):
    with pytest.raises(Exception, match="kernel.kconfig_parent arch/mips/Kconfig: no such file"):
        integrate(old_arm, "arch/mips/Kconfig")


def test_only_a_changed_module_file_is_rewritten(old_arm, tmp_path):
    modules = tmp_path / "modules"
    shutil.copytree(MODULES, modules)
    integrate(old_arm, "arch/arm/Kconfig", modules)
    (modules / "wisdom.c").write_text((modules / "wisdom.c").read_text() + "/* edited */\n")
    (modules / "stale.c").write_text("")
    assert integrate(old_arm, "arch/arm/Kconfig", modules)["changed"] == [
        "squireos/stale.c",
        "squireos/wisdom.c",
    ]
    (modules / "stale.c").unlink()
    assert integrate(old_arm, "arch/arm/Kconfig", modules)["changed"] == ["squireos/stale.c"]
    assert not (old_arm / "drivers/squireos/stale.c").exists()


def test_a_user_tree_is_copied_and_never_edited(old_arm, tmp_path):
    """prepare_tree links the user's files; integration replaces, never writes through."""
    before = {p: p.read_bytes() for p in old_arm.rglob("*") if p.is_file()}
    ctx = BuildContext(
        name="kernel",
        profile=load_profile("qemu-virt"),
        out=tmp_path,
        log_path=tmp_path / "log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=PROJECT,
    )
    identity = kernel_tree.source_identity(str(old_arm))
    workspace = ctx.workspace("kernel-src/x")
    copy = kernel_tree.prepare_tree(ctx, str(old_arm), identity, workspace)
    kernel_integration.integrate(copy, workspace / "originals", MODULES, "arch/arm/Kconfig")
    assert kernel_integration.SOURCE_LINE in (copy / "arch/arm/Kconfig").read_text()
    assert {p: p.read_bytes() for p in old_arm.rglob("*") if p.is_file()} == before
    assert kernel_tree.prepare_tree(ctx, str(old_arm), identity, workspace) == copy


def test_mistake_1_drivers_kconfig_on_arm_2629_drops_every_squireos_symbol(old_arm):
    integrate(old_arm, "drivers/Kconfig")
    final = olddefconfig(old_arm, "arm", FRAGMENT)
    assert "SQUIREOS" not in final  # the real tool dropped it, silently
    check = kernel_config.check(kconfig.parse_config(FRAGMENT), final, old_arm, "arm", "drivers/Kconfig")
    assert [p["symbol"] for p in check["problems"]] == [
        "SQUIREOS",
        "SQUIREOS_JESTER",
        "SQUIREOS_TYPEWRITER",
        "SQUIREOS_WISDOM",
    ]
    assert check["problems"][0]["message"] == (
        "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm "
        "reads? (drivers/squireos/Kconfig is sourced from drivers/Kconfig, which ARCH=arm "
        "never reads)"
    )


def test_arch_arm_kconfig_as_parent_keeps_every_squireos_symbol(old_arm):
    integrate(old_arm, "arch/arm/Kconfig")
    final = olddefconfig(old_arm, "arm", FRAGMENT)
    check = kernel_config.check(kconfig.parse_config(FRAGMENT), final, old_arm, "arm", "arch/arm/Kconfig")
    assert check["problems"] == []
    assert kernel_modules.built_as(final, "m") == ["squireos_core", "jester", "typewriter", "wisdom"]


def test_mistake_2_bool_children_asked_as_modules_are_named_as_bool(old_arm, tmp_path):
    integrate(old_arm, "arch/arm/Kconfig", bool_children(tmp_path))
    final = olddefconfig(old_arm, "arm", FRAGMENT)
    assert (final["SQUIREOS"], final["SQUIREOS_JESTER"]) == ("m", "n")
    check = kernel_config.check(kconfig.parse_config(FRAGMENT), final, old_arm, "arm", "arch/arm/Kconfig")
    assert (
        "SQUIREOS_JESTER=n in the final .config, requested m: declared bool in "
        "drivers/squireos/Kconfig: it can never be a module (=y builds it into the image "
        "with no .ko; declare it tristate)" in kernel_config.problem_lines(check)
    )


def test_mistake_2_bool_children_set_y_under_an_m_parent_leave_no_ko(old_arm, tmp_path):
    """Kconfig accepts it (a bool under an m parent may be y): the artifact check
    is what says the modules are missing and their code is nowhere."""
    integrate(old_arm, "arch/arm/Kconfig", bool_children(tmp_path))
    asked = FRAGMENT.replace("_JESTER=m", "_JESTER=y")
    final = olddefconfig(old_arm, "arm", asked)
    assert (final["SQUIREOS"], final["SQUIREOS_JESTER"]) == ("m", "y")
    check = kernel_config.check(kconfig.parse_config(asked), final, old_arm, "arm", "arch/arm/Kconfig")
    assert [p["symbol"] for p in check["problems"]] == ["SQUIREOS_TYPEWRITER", "SQUIREOS_WISDOM"]
    problems = kernel_modules.check(tmp_path, "2.6.29-omap1", final, "m")
    assert (
        "jester: SQUIREOS_JESTER=y in the final .config, the profile wants modules "
        "(kernel.squireos = m): built into the image, no jester.ko" in problems
    )
    assert (
        "jester: SQUIREOS_JESTER=y but System.map has no jester_init: the image holds "
        "none of jester's code" in problems
    )


def test_a_dependency_that_is_off_is_named_as_the_cause(old_arm):
    integrate(old_arm, "arch/arm/Kconfig")
    final = olddefconfig(old_arm, "arm", FRAGMENT + "# CONFIG_VT is not set\n")
    check = kernel_config.check({"SQUIREOS_TYPEWRITER": "m"}, final, old_arm, "arm", "arch/arm/Kconfig")
    assert kernel_config.problem_lines(check) == [
        "SQUIREOS_TYPEWRITER not in the final .config: drivers/squireos/Kconfig makes it "
        "depend on VT, not set in the final .config"
    ]
