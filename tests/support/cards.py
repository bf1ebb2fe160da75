"""Small synthetic kernel and rootfs artifacts in the streams' layout (made by
benchmarks/synthetic_inputs.py, which the card benchmark times too), and the
card the recipe makes of them, so the card recipe and its read-back run here in
a second."""

from __future__ import annotations

import subprocess
from pathlib import Path

# One copy of the synthetic inputs: the benchmarks may not import tests, tests may use them.
from benchmarks.synthetic_inputs import (  # noqa: F401  (re-exported for the tests)
    CONFIG_EXT4,
    MODULES,
    RELEASE,
    ROOT_ENTRIES,
    make_kernel,
    make_rootfs,
    tar_entry,
)
from pytest_quill.card import image as diskimage
from pytest_quill.card import recipe as sdcard
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.profile import load_profile

CONFIG_NOOK = (
    "#\n# Linux kernel version: 2.6.29-omap1\n#\nCONFIG_EXT2_FS=y\nCONFIG_EXT3_FS=y\n"
    "# CONFIG_EXT4_FS is not set\nCONFIG_VFAT_FS=y\n"
)


def build_context(profile, out: Path, kernel: Artifact, rootfs: Artifact) -> BuildContext:
    out.mkdir(parents=True)
    return BuildContext(
        name="sdcard",
        profile=profile,
        out=out,
        log_path=out.parent / "sd.log",
        backend=HostBackend(),
        deps={"kernel": kernel, "rootfs": rootfs},
        jobs=1,
        work_root=out.parent / "work",
        project_root=Path.cwd(),
    )


def build_card(base: Path, profile, kernel=None, rootfs=None):
    kernel = kernel or make_kernel(base / "kernel")
    rootfs = rootfs or make_rootfs(base / "rootfs")
    ctx = build_context(profile, base / "card", kernel, rootfs)
    meta = sdcard.RECIPE.build(ctx)
    card = Artifact("sdcard", "s" * 16, ctx.out, "built", ctx.log_path, meta)
    return card, kernel, rootfs


MTOOLS = {"MTOOLS_SKIP_CHECK": "1"}


def nook_with_loaders(loaders, **settings):
    files = f'["{loaders}/MLO", "{loaders}/u-boot.bin"]'
    return load_profile("nook-simple-touch", overrides={"boot.bootloader_files": files, **settings})


def tampered(nook_card, tmp_path, *commands):
    """A copy of the good Nook card, changed by mtools COMMANDS on partition 1."""
    profile, card, kernel, rootfs = nook_card
    copy = tmp_path / "card"
    subprocess.run(["cp", "-a", str(card.path), str(copy)], check=True)
    image = f"{copy}/card.img@@{diskimage.layout(profile.sdcard)[0].start}"
    for command in commands:
        subprocess.run([command[0], "-i", image, *command[1:]], check=True, env=MTOOLS, capture_output=True)
    return Artifact("sdcard", "t" * 16, copy, "built", card.log, card.meta)
