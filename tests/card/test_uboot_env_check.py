"""Boot scripts held against the U-Boot they run in (gate 3): the Nook's 1.1.4
and Debian's qemu_arm 2023.01, read from the real binaries; each kind of
misfit named with the command or variable and what the environment says."""

import shutil
from pathlib import Path

import pytest

from pytest_quill.card import bootscript, readback, uboot_env
from pytest_quill.errors import VerifyError
from pytest_quill.formats import uboot
from pytest_quill.mvp import refuse
from pytest_quill.profile import load_profile
from tests.support.cards import CONFIG_NOOK, build_card, make_kernel

ROOT = Path(__file__).resolve().parents[2]
NOOK_BOOT = (ROOT.parent / "shared/nook/boot").resolve()  # as the profile resolves its paths
DEBIAN_UBOOT = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")
OLD_NOOK_COMMANDS = '["mmcinit 1", "fatload mmc 1 0x81c00000 uImage", "bootm 0x81c00000"]'


def real_environment(path: Path) -> uboot_env.Environment:
    if not path.is_file():
        pytest.skip(
            f"{path} is absent (the Nook's boot files live in ../shared/nook/boot; "
            "Debian's in the u-boot-qemu package)"
        )
    return uboot_env.Environment.of(uboot.read(path))


@pytest.fixture(scope="module")
def nook_env():
    return real_environment(NOOK_BOOT / "u-boot.bin")


@pytest.fixture(scope="module")
def debian_env():
    return real_environment(DEBIAN_UBOOT)


def real_nook(**settings):
    if not (NOOK_BOOT / "u-boot.bin").is_file():
        pytest.skip(f"{NOOK_BOOT}/u-boot.bin is absent")
    files = f'["{NOOK_BOOT}/MLO", "{NOOK_BOOT}/u-boot.bin"]'
    return load_profile("nook-simple-touch", overrides={"boot.bootloader_files": files, **settings})


def problems(text: str, env) -> list[str]:
    return uboot_env.script_problems(text, env, "boot.scr")


def test_the_profiles_scripts_fit_their_u_boots(nook_env, debian_env):
    assert problems(bootscript.script_text(real_nook()), nook_env) == []
    assert problems(bootscript.script_text(load_profile("qemu-virt")), debian_env) == []
    assert problems("fatload mmc 0 0x81c00000 uImage\nbootm 0x81c00000\n", nook_env) == []


def test_the_nook_script_of_before_reads_the_internal_emmc(nook_env):
    lines = problems("mmcinit 1\nfatload mmc 1:1 ${loadaddr} uImage\n", nook_env)
    origin = (
        f"this U-Boot loads boot.scr from mmc ${{mmcbootdev}} = 0, the card this script is "
        f"on (loadbootscript, default environment of {nook_env.uboot.path}); mmc 1 is "
        "another device"
    )
    assert lines == [
        f"boot.scr line 1: `mmcinit 1`: {origin}",
        f"boot.scr line 2: `fatload mmc 1:1 ${{loadaddr}} uImage`: {origin}",
    ]
    assert problems("mmcinit ${mmcbootdev}\nfatload mmc ${mmcbootdev}:1 ${loadaddr} x\n", nook_env) == []


def test_commands_the_nook_u_boot_does_not_have(nook_env):
    lines = problems("mmc rescan\nsource ${loadaddr}\next2load mmc 0:2 ${loadaddr} /uImage\n", nook_env)
    where = f"59 commands in {nook_env.uboot.path}"
    assert lines == [
        f"boot.scr line 1: `mmc rescan`: this U-Boot has no command `mmc` ({where}); `mmc` "
        "would run `mmcinit` as an abbreviation: write what is meant",
        f"boot.scr line 2: `source ${{loadaddr}}`: this U-Boot has no command `source` "
        f"({where}); it runs scripts with `autoscr` (bootscript)",
        f"boot.scr line 3: `ext2load mmc 0:2 ${{loadaddr}} /uImage`: this U-Boot has no command "
        f"`ext2load` ({where})",
    ]


def test_commands_debians_u_boot_does_not_have(debian_env):
    lines = problems("mmcinit 0\nautoscr ${scriptaddr}\n", debian_env)
    assert [line.split(": ", 2)[2].split(" (")[0] for line in lines] == [
        "this U-Boot has no command `mmcinit`",
        "this U-Boot has no command `autoscr`",
    ]
    assert lines[1].endswith("; it runs scripts with `source` (boot_a_script)")


def test_a_literal_address_outside_the_environments_ram(nook_env, debian_env):
    assert problems("bootm 0x81c00000\n", debian_env) == [
        "boot.scr line 1: `bootm 0x81c00000`: address 0x81c00000 is outside the RAM this "
        "U-Boot's environment loads to (0x40000000-0x4fffffff: kernel_addr_r=0x40400000, "
        f"loadaddr=0x40200000; default environment of {debian_env.uboot.path})"
    ]
    assert problems("fatload mmc 0 0x40400000 uImage\n", nook_env) == [
        "boot.scr line 1: `fatload mmc 0 0x40400000 uImage`: address 0x40400000 is outside the "
        "RAM this U-Boot's environment loads to (0x80000000-0x8fffffff: loadaddr=0x81c00000, "
        f"loadaddrrd=0x81f00000; default environment of {nook_env.uboot.path})"
    ]


def test_variables_nobody_sets(nook_env, debian_env):
    unset = (
        "is not in the default environment of {}, not set earlier by the script, and not "
        "a variable this U-Boot sets at run time"
    )
    assert problems("bootm ${kernel_addr_r}\n", nook_env) == [
        "boot.scr line 1: `bootm ${kernel_addr_r}`: ${kernel_addr_r} " + unset.format(nook_env.uboot.path)
    ]
    # fdtcontroladdr: Debian's U-Boot sets it at start (its code has the name); 1.1.4 does not.
    assert problems("bootm ${loadaddr} - ${fdtcontroladdr}\n", debian_env) == []
    assert problems("bootm ${loadaddr} - ${fdtcontroladdr}\n", nook_env)[0].endswith(
        "${fdtcontroladdr} " + unset.format(nook_env.uboot.path)
    )
    assert problems("bootm ${kernel_addr_r} - ${fdt_addr_r}\n", debian_env) == [
        "boot.scr line 1: `bootm ${kernel_addr_r} - ${fdt_addr_r}`: ${fdt_addr_r} "
        + unset.format(debian_env.uboot.path)
    ]
    assert problems("setenv kaddr 0x81c08000\nbootm ${kaddr}\nrun bootscript\n", nook_env) == []
    # bootdevice: the Nook's board code sets it (its autodetectmmc reads it); Debian's does not.
    assert problems("echo ${bootdevice}\n", nook_env) == []
    assert problems("echo ${bootdevice}\n", debian_env)[0].endswith(
        "${bootdevice} " + unset.format(debian_env.uboot.path)
    )
    assert problems("run nothing\n", nook_env) == [
        "boot.scr line 1: `run nothing`: no variable nothing to run: not in the default "
        f"environment of {nook_env.uboot.path}, not set earlier by the script"
    ]


def test_a_text_boot_scr_is_not_run_by_autoscr(nook_env):
    lines = uboot_env.script_image_problems(b"mmcinit 0\n", nook_env, "boot.scr")
    assert lines == [
        "boot.scr: not a script image (mkimage -T script); this U-Boot runs boot.scr with "
        f"`autoscr ${{loadaddr}}` (bootscript, default environment of {nook_env.uboot.path}), "
        "which needs that header"
    ]


def test_which_u_boot_judges_a_profile(loaders, tmp_path):
    nook, virt = real_nook(), load_profile("qemu-virt")
    assert uboot_env.uboot_path(nook) == (NOOK_BOOT / "u-boot.bin", "boot.bootloader_files")
    assert uboot_env.uboot_path(virt) == (virt.bench.qemu.bios, "bench.qemu.bios")
    described = uboot_env.describe(nook)
    assert (
        described["checked"],
        described["from"],
        described["variables"],
        described["commands"],
        described["runs_scripts_with"],
    ) == (True, "boot.bootloader_files", 24, 59, "autoscr ${loadaddr}")
    assert "fdtcontroladdr" in uboot_env.describe(virt)["run_time_variables"]
    nothing = load_profile("nook-simple-touch", overrides={"boot.bootloader_files": "[]"})
    assert uboot_env.describe(nothing) == {
        "checked": False,
        "reason": (
            "no U-Boot to check boot.scr against: no u-boot.bin in boot.bootloader_files and no "
            "bench.qemu.bios"
        ),
    }
    fake = load_profile(
        "nook-simple-touch", overrides={"boot.bootloader_files": f'["{loaders}/MLO", "{loaders}/u-boot.bin"]'}
    )
    reason = uboot_env.describe(fake)["reason"]
    assert (
        reason.startswith(
            f"boot.scr not checked against a U-Boot: boot.bootloader_files {loaders}/u-boot.bin: "
        )
        and "no U-Boot default environment" in reason
    )


def test_a_card_whose_u_boot_cannot_be_read_says_so_in_its_meta(nook_card):
    _, card, _, _ = nook_card
    assert card.meta.boot_script_uboot["checked"] is False


# Whole Nook cards with the real MLO and u-boot.bin, read back as gate 3 does.


def nook_card_with(base: Path, profile):
    kernel = make_kernel(base / "kernel", config=CONFIG_NOOK, load=0x80008000)
    return build_card(base, profile, kernel=kernel)


@pytest.mark.skipif(not shutil.which("mkimage"), reason="mkimage (u-boot-tools) is absent")
def test_the_nook_card_with_its_real_u_boot_reads_back_clean(tmp_path):
    profile = real_nook()
    card, kernel, rootfs = nook_card_with(tmp_path, profile)
    assert readback.verify(card, profile, kernel, rootfs) == []
    assert card.meta.boot_script_uboot["checked"] is True
    assert card.meta.boot_script_uboot["path"] == str(NOOK_BOOT / "u-boot.bin")


@pytest.mark.skipif(not shutil.which("mkimage"), reason="mkimage (u-boot-tools) is absent")
def test_the_old_nook_script_closes_gate_3_naming_the_mismatch(tmp_path):
    profile = real_nook(**{"boot.commands": OLD_NOOK_COMMANDS})
    card, kernel, rootfs = nook_card_with(tmp_path, profile)
    lines = readback.verify(card, profile, kernel, rootfs)
    image = card.file("card.img")
    assert [line.split(": this U-Boot")[0] for line in lines] == [
        f"{image}: boot.scr line 2: `mmcinit 1`",
        f"{image}: boot.scr line 3: `fatload mmc 1 0x81c00000 uImage`",
    ]
    assert all("loads boot.scr from mmc ${mmcbootdev} = 0" in line for line in lines)
    with pytest.raises(
        VerifyError,
        match=r"`mmcinit 1`: this U-Boot loads boot.scr from mmc "
        r"\$\{mmcbootdev\} = 0",
    ):
        refuse(lines)  # what gate 3 does with readback.verify's lines
