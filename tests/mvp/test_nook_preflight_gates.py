"""NOOK.md's twelve mistakes, each fed in synthetically and run through the real
gate deciders of the root conftest (the MVP's plan): each closes gate 2 (the
artifacts) or gate 3 (the card, before anything is written to a device) with a
message that names the broken fact.

The mistaken inputs come from the stream tests' own helpers; a small stand-in
run hands them to the deciders the way the run's store would.
"""

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.synthetic_inputs import rootfs_meta
from pytest_quill.card import recipe as sdcard
from pytest_quill.engine.context import Artifact
from pytest_quill.errors import QuillError
from pytest_quill.formats import kconfig
from pytest_quill.kernel import config as kernel_config
from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.mvp import gates
from pytest_quill.mvp.declaration import pytest_quill_declare
from pytest_quill.mvp.device import BENCH
from pytest_quill.plan import Plan
from pytest_quill.profile import load_profile
from pytest_quill.run.store import ArtifactUnavailable
from tests.support.cards import (
    CONFIG_NOOK,
    build_card,
    build_context,
    make_kernel,
    make_rootfs,
    nook_with_loaders,
    tampered,
)
from tests.support.kernel_artifacts import RELEASE, make_artifact
from tests.support.kernel_trees import (
    ARM_2629,
    FRAGMENT,
    bool_children,
    integrate,
    olddefconfig,
)
from tests.support.kernel_trees import make_tree as make_kernel_tree
from tests.support.module_strings import D3, printable
from tests.support.root_trees import LIBC_PATH, pack
from tests.support.root_trees import make_tree as make_root_tree

ROOT = Path(__file__).resolve().parents[2]


class ReadyBench:
    """A Nook at the bench with nothing missing (none exists here): past the card's
    read-back, gate 3 would open."""

    def check(self) -> list[str]:
        return []


def nook_plan() -> Plan:
    plan = Plan()
    pytest_quill_declare(plan)
    return plan


@dataclass
class StandInRun:
    """What the deciders ask of a run: its profile and its artifacts (an exception
    stands for an artifact the store reports failed); a ready bench and no card
    device, so nothing is ever written."""

    profile: object
    artifacts: dict = field(default_factory=dict)
    stash: pytest.Stash = field(default_factory=pytest.Stash)
    options: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(sd_device=None))
    plan: Plan = field(default_factory=nook_plan)

    def __post_init__(self):
        self.stash[BENCH] = ReadyBench()

    def artifact(self, name: str) -> Artifact:
        made = self.artifacts[name]
        if isinstance(made, Exception):
            raise made
        return made


def closed(decide, run) -> str:
    """The decider's refusal as the gate records it (one line)."""
    with pytest.raises(QuillError) as refusal:
        decide(run)
    return refusal.value.one_line()


def refused_card(profile, base: Path, kernel: Artifact, rootfs: Artifact) -> ArtifactUnavailable:
    """What the store reports for a card whose recipe refused to build it."""
    ctx = build_context(profile, base / "card", kernel, rootfs)
    with pytest.raises(QuillError) as refusal:
        sdcard.RECIPE.build(ctx)
    assert not (ctx.out / "card.img").exists()
    return ArtifactUnavailable(f"sdcard build failed: {refusal.value.message}", log=refusal.value.log)


# Mistakes 1-4: the kernel artifact, gate 2.


def kernel_from_tree(base: Path, profile, asked: str, modules=None) -> Artifact:
    """A kernel artifact whose .config and config check are what the real Kconfig
    tool made of ASKED in a synthetic ARM 2.6.29 tree integrated at the profile's
    kconfig_parent; a .ko only for what that .config builds as a module."""
    tree = make_kernel_tree(base / "linux-2.6.29", ARM_2629)
    integrate(tree, profile.kernel.kconfig_parent, *([modules] if modules else []))
    final = olddefconfig(tree, "arm", asked)
    artifact = make_artifact(base / "kernel", profile)
    shutil.copy(tree.parent / f"{tree.name}.config", artifact.file("config"))
    for name, symbol in kernel_modules.SQUIREOS_MODULES:
        if final.get(symbol) != "m":
            kernel_modules.ko_path(artifact.path, RELEASE, name).unlink()
    check = kernel_config.check(
        kconfig.parse_config(asked), final, tree, "arm", profile.kernel.kconfig_parent
    )
    chain = kconfig.source_chain(tree, "arm", kernel_config.SQUIREOS_KCONFIG)
    return Artifact(
        "kernel",
        "k",
        artifact.path,
        "built",
        artifact.log,
        replace(artifact.meta, config_check=check, kconfig_chain=None if chain is None else tuple(chain)),
    )


def test_a_sound_nook_kernel_from_an_arm_2629_tree_opens_gate_2_as_far_as_the_kernel(tmp_path, nook):
    kernel = kernel_from_tree(tmp_path, nook, FRAGMENT)
    with pytest.raises(KeyError, match="rootfs"):  # past the kernel, on to the rootfs
        gates.artifacts_gate(StandInRun(nook, {"kernel": kernel}))


def test_mistake_1_kconfig_sourced_from_drivers_kconfig_on_arm_2629_closes_gate_2(tmp_path):
    profile = load_profile("nook-simple-touch", overrides={"kernel.kconfig_parent": '"drivers/Kconfig"'})
    kernel = kernel_from_tree(tmp_path, profile, FRAGMENT)
    message = closed(gates.artifacts_gate, StandInRun(profile, {"kernel": kernel}))
    assert message.startswith(
        "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm reads? "
        "(drivers/squireos/Kconfig is sourced from drivers/Kconfig, which ARCH=arm never reads)"
    )


@pytest.mark.parametrize("children", ["m", "y"])
def test_mistake_2_bool_children_of_an_m_parent_close_gate_2(tmp_path, nook, children):
    asked = FRAGMENT.replace("_JESTER=m", f"_JESTER={children}")
    kernel = kernel_from_tree(tmp_path, nook, asked, bool_children(tmp_path))
    message = closed(gates.artifacts_gate, StandInRun(nook, {"kernel": kernel}))
    if children == "m":
        assert (
            "SQUIREOS_JESTER=n in the final .config, requested m: declared bool in "
            "drivers/squireos/Kconfig: it can never be a module" in message
        )
    else:
        assert (
            "jester: SQUIREOS_JESTER=y in the final .config, the profile wants modules "
            "(kernel.squireos = m): built into the image, no jester.ko" in message
        )


def test_mistake_3_an_unexported_proc_root_closes_gate_2_naming_the_symbol(tmp_path, nook):
    kernel = make_artifact(tmp_path / "kernel", nook, export_root=False)
    message = closed(gates.artifacts_gate, StandInRun(nook, {"kernel": kernel}))
    assert message.startswith(
        "jester.ko: unresolved symbol squireos_root: not in "
        "Module.symvers, nothing exports it (EXPORT_SYMBOL_GPL"
    )


def test_mistake_3_feature_modules_without_module_init_close_gate_2(tmp_path, nook):
    kernel = make_artifact(tmp_path / "kernel", nook, init=False)
    message = closed(gates.artifacts_gate, StandInRun(nook, {"kernel": kernel}))
    assert message.startswith("jester.ko has no init_module: the module has no module_init()")


def test_mistake_4_a_built_in_image_without_the_module_code_closes_gate_2(tmp_path):
    profile = load_profile("nook-simple-touch", overrides={"kernel.squireos": '"y"'})
    kernel = make_artifact(tmp_path / "kernel", profile, value="y")
    message = closed(gates.artifacts_gate, StandInRun(profile, {"kernel": kernel}))
    assert message.startswith(
        "squireos_core: SQUIREOS=y but System.map has no "
        "squireos_core_init: the image holds none of squireos_core's code"
    )


# Mistakes 5-7: the rootfs artifact, gate 2 (after a sound kernel).


def rootfs_gate_message(base: Path, profile, root: Path) -> str:
    pack(root)
    rootfs = Artifact("rootfs", "r", root.parent, "built", base / "rootfs.log", rootfs_meta())
    kernel = make_artifact(base / "kernel", profile)
    return closed(gates.artifacts_gate, StandInRun(profile, {"kernel": kernel, "rootfs": rootfs}))


def test_mistake_5_a_rootfs_of_the_host_architecture_closes_gate_2(tmp_path, arm_programs, nook):
    root = make_root_tree(tmp_path / "t", arm_programs, "mdev")
    shutil.copy(shutil.which("ls"), root / "bin" / "busybox")  # what an x86-64 build holds
    message = rootfs_gate_message(tmp_path, nook, root)
    assert message.startswith(
        "bin/busybox: ELF machine X86_64, profile nook-simple-touch needs ARM (target.elf_machine)"
    )


# Debian's armel cross libc is as new as its armhf one; the Nook's Cortex-A8 runs
# hard-float code too, so an armhf Nook leaves the kernel floor as the one broken fact.
ARMHF_NOOK = {"target.debian_arch": '"armhf"'}


def test_mistake_6_a_libc_newer_than_2_6_29_closes_gate_2(tmp_path, arm_programs):
    profile = load_profile("nook-simple-touch", overrides=ARMHF_NOOK)
    root = make_root_tree(tmp_path / "t", arm_programs, "mdev")
    assert rootfs_gate_message(tmp_path, profile, root) == (
        "bin/busybox needs kernel 3.2.0, profile nook-simple-touch has 2.6.29; "
        f"{LIBC_PATH} needs kernel 3.2.0, profile nook-simple-touch has 2.6.29"
    )


def test_mistake_7_init_mounting_devtmpfs_closes_gate_2(tmp_path, arm_programs):
    """No libc that runs on 2.6.29 can be made here, so mistake 6 comes along; the
    devtmpfs line is the gate's third."""
    profile = load_profile("nook-simple-touch", overrides=ARMHF_NOOK)
    root = make_root_tree(tmp_path / "t", arm_programs, "devtmpfs")
    assert rootfs_gate_message(tmp_path, profile, root).endswith(
        "etc/init.d/dev: init uses devtmpfs, kernel 2.6.29 of profile nook-simple-touch has "
        "none (kernel.has_devtmpfs = false)"
    )


# Mistakes 8-11: the card, gate 3, before anything is written to a device.


def card_run(profile, card, kernel, rootfs) -> StandInRun:
    return StandInRun(profile, {"sdcard": card, "kernel": kernel, "rootfs": rootfs})


def test_mistake_8_an_ext4_root_for_a_kernel_without_ext4_closes_gate_3(tmp_path, loaders):
    profile = nook_with_loaders(loaders, **{"sdcard.root_fs": '"ext4"'})
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK, load=0x80008000)
    rootfs = make_rootfs(tmp_path / "rootfs")
    card = refused_card(profile, tmp_path, kernel, rootfs)
    message = closed(gates.convergence_gate, card_run(profile, card, kernel, rootfs))
    assert message.startswith(
        "sdcard build failed: sdcard.root_fs = ext4 is not in kernel.filesystems ['ext2', 'ext3', 'vfat']"
    )
    assert "root FS ext4 (sdcard.root_fs) needs CONFIG_EXT4_FS=y; the kernel has no CONFIG_EXT4_FS" in message


def test_mistake_9_a_missing_mlo_closes_gate_3(tmp_path, loaders):
    profile = load_profile(
        "nook-simple-touch",
        overrides={"boot.bootloader_files": f'["{tmp_path}/nowhere/MLO", "{loaders}/u-boot.bin"]'},
    )
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK, load=0x80008000)
    rootfs = make_rootfs(tmp_path / "rootfs")
    card = refused_card(profile, tmp_path, kernel, rootfs)
    message = closed(gates.convergence_gate, card_run(profile, card, kernel, rootfs))
    assert message.startswith(
        f"sdcard build failed: boot.bootloader_files: {tmp_path}/nowhere/MLO does not exist"
    )


def test_mistake_9_boot_scr_left_as_text_closes_gate_3(nook_card, tmp_path):
    profile, _, kernel, rootfs = nook_card
    text = tmp_path / "boot.scr"
    text.write_text("setenv bootargs console=ttyS0,115200\n")
    card = tampered(nook_card, tmp_path, ["mcopy", "-o", str(text), "::boot.scr"])
    message = closed(gates.convergence_gate, card_run(profile, card, kernel, rootfs))
    assert (
        "boot.scr on partition 1 is not a compiled script (mkimage -T script): 37 bytes, "
        "shorter than a 64-byte uImage header" in message
    )


def test_mistake_9_uenv_txt_and_no_mlo_on_the_card_close_gate_3(nook_card, tmp_path):
    profile, _, kernel, rootfs = nook_card
    uenv = tmp_path / "uEnv.txt"
    uenv.write_text("bootargs=console=ttyS0\n")
    card = tampered(nook_card, tmp_path, ["mdel", "::MLO"], ["mcopy", str(uenv), "::uEnv.txt"])
    message = closed(gates.convergence_gate, card_run(profile, card, kernel, rootfs))
    assert "partition 1 has no MLO" in message
    assert "holds uEnv.txt; this boot must not rely on it" in message


# A card left over from a kernel that has ttyO names (2.6.37 on): preflight
# refuses to make one for the Nook's 2.6.29, so the stale card is made so.
STALE_FOR_A_NEWER_KERNEL = {"kernel.version": '"3.0"'}


@pytest.mark.parametrize(
    "mistake, setting, fact",
    [
        (
            10,
            {"boot.console": '"ttyO0"', **STALE_FOR_A_NEWER_KERNEL},
            "console=ttyO0,115200, the profile says console=ttyS0,115200 (boot.console/baud)",
        ),
        (
            11,
            {"boot.root_device": '"/dev/mmcblk0p2"'},
            "root=/dev/mmcblk0p2, the profile says root=/dev/mmcblk1p2 (boot.root_device)",
        ),
    ],
    ids=["10-console-ttyO0", "11-root-on-emmc"],
)
def test_mistakes_10_and_11_a_card_with_the_wrong_bootargs_closes_gate_3(
    tmp_path, loaders, mistake, setting, fact
):
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK, load=0x80008000)
    card, kernel, rootfs = build_card(tmp_path, nook_with_loaders(loaders, **setting), kernel=kernel)
    message = closed(gates.convergence_gate, card_run(nook_with_loaders(loaders), card, kernel, rootfs))
    assert message == f"{card.file('card.img')}: boot.scr: {fact}"


@pytest.mark.parametrize(
    "setting, config, fact",
    [
        (
            {"boot.console": '"ttyO0"'},
            "",
            "boot.console = ttyO0: the omap-serial ttyO names came with Linux 2.6.37",
        ),
        (
            {"boot.root_device": '"/dev/mmcblk0p2"'},
            "CONFIG_MMC_OMAP_CONSISTENT_NAMES=y\n",
            "boot.root_device = /dev/mmcblk0p2 is the internal eMMC",
        ),
    ],
    ids=["10-console-ttyO0", "11-root-on-emmc"],
)
def test_mistakes_10_and_11_made_in_the_profile_itself_close_gate_3(tmp_path, loaders, setting, config, fact):
    """The earlier attempt's way: the wrong value in its own settings, not a stale card.
    2.6.29 has no ttyO* (omap-serial names came in 2.6.37), and with
    MMC_OMAP_CONSISTENT_NAMES the eMMC is mmcblk0: the card is refused unmade."""
    profile = nook_with_loaders(loaders, **setting)
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK + config, load=0x80008000)
    rootfs = make_rootfs(tmp_path / "rootfs")
    card = refused_card(profile, tmp_path, kernel, rootfs)
    assert fact in closed(gates.convergence_gate, card_run(profile, card, kernel, rootfs))


# Mistake 12: the harness itself is the gate.


def test_mistake_12_the_strings_the_device_tests_expect_are_the_modules_own(request):
    """The suites grep what the modules print (checked against their sources); and a
    build never runs inside a test's timeout: only a test's own body is timed, so
    builds and boots in fixtures and gates have their own limits."""
    expected = [D3.MOTTO, D3.VERSION, D3.CORE_READY, D3.JESTER_BOWS, D3.CORE_CLOSED]
    assert [line for line in expected if not printable(line)] == []
    assert request.config.getini("timeout_func_only") is True
