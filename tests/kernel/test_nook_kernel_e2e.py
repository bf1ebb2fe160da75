"""The Nook's own kernel (nst-kernel, 2.6.29) built from the shared tarball
with Debian's cross compiler on the host backend, compat patches applied,
and held to gate 2's kernel checks; then the same build without patch 06,
which builds and looks right, and which gate 2 must refuse in one line.

One build serves the module, made the way a run makes it (key, the default
cache, its workspaces): a run after this reuses the tree and the O= folder,
and a host-backend run reuses the artifact. Cold: about 2.5 minutes on 2 cores;
a rerun recompiles nothing (patch 09), a touched module alone.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache, default_cache
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.engine.produce import build_or_reuse, key_of
from pytest_quill.formats import elf, uimage
from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import tree as kernel_tree
from pytest_quill.kernel import verify as kernel_verify
from pytest_quill.profile import load_profile

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
TARBALL = ROOT.parent / "shared/sources/nst-kernel-3f80ffb9.tar.xz"
SOURCE = "../shared/sources/nst-kernel-3f80ffb9.tar.xz"  # relative: from the project root
VERMAGIC = "2.6.29-omap1 preempt mod_unload ARMv7"
MODULES = [name for name, _ in kernel_modules.SQUIREOS_MODULES]


def produce(profile, log: Path) -> Artifact:
    backend = HostBackend().with_toolchain(kernel.RECIPE.toolchain(profile))
    key = key_of(kernel.RECIPE, profile, backend, {}, ROOT)
    return build_or_reuse(
        kernel.RECIPE,
        key,
        profile=profile,
        backend=backend,
        cache=Cache(Path(default_cache()) / "artifacts"),
        deps={},
        log=log,
        jobs=2,
        work_root=Path(default_cache()) / "work",
        project_root=ROOT,
    )


@pytest.fixture(scope="module")
def nook():
    if not TARBALL.is_file():
        pytest.skip(f"{TARBALL} missing: the nst-kernel tarball is shared by the machines here")
    return load_profile("nook-simple-touch", {"kernel.source": SOURCE}, directory=ROOT / "hardware_profiles")


@pytest.fixture(scope="module")
def built(nook, tmp_path_factory) -> Artifact:
    return produce(nook, tmp_path_factory.mktemp("nook-kernel") / "build.log")


def test_the_nook_kernel_passes_gate_2s_kernel_checks(built, nook):
    assert kernel_verify.verify(built, nook) == []
    header = uimage.read_header(built.file("uImage"))
    assert (header.name, header.load, header.entry) == ("Linux-2.6.29-omap1", 0x80008000, 0x80008000)
    assert built.meta.release == "2.6.29-omap1"
    assert [p["name"] for p in built.meta.compat["patches"]] == sorted(
        p.name for p in nook.kernel.compat_patches.glob("*.patch")
    )
    assert "c0008000 T stext" in built.file("System.map").read_text()
    names = [s["name"] for s in built.meta.vmlinux["sections"]]
    assert names[0] == ".text.head" and ".got" not in names
    assert ".note.gnu.build-id" not in names


def test_four_squireos_modules_with_the_2629_vermagic(built):
    assert list(built.meta.modules) == MODULES
    for name in MODULES:
        ko = kernel_modules.ko_path(built.path, "2.6.29-omap1", name)
        assert elf.modinfo(ko)["vermagic"].strip() == VERMAGIC, name


def test_a_rerun_compiles_nothing_but_a_touched_module(built, nook, tmp_path):
    """2.6.29 under make 4.3 recompiled everything on every run until patch 09."""
    work = Path(default_cache()) / "work"
    label = kernel_tree.tree_label(kernel_tree.source_identity(nook.kernel.source, ROOT))
    os.utime(work / "kernel-src" / label / "tree/drivers/squireos/wisdom.c")
    (tmp_path / "out").mkdir()
    ctx = BuildContext(
        name="kernel",
        profile=nook,
        out=tmp_path / "out",
        log_path=tmp_path / "build.log",
        backend=HostBackend(),
        deps={},
        jobs=2,
        work_root=work,
        project_root=ROOT,
    )
    kernel.RECIPE.build(ctx)
    # init/version.o carries the link count: kbuild rebuilds it whenever vmlinux is relinked
    # (as after an earlier run's build without patch 06 left another link in the tree).
    compiled = [
        line.split()[-1]
        for line in ctx.log_path.read_text().splitlines()
        if line.startswith("  CC") and line.split()[-1] != "init/version.o"
    ]
    assert compiled == ["drivers/squireos/wisdom.o"]


def test_without_patch_06_gate_2_names_the_stext_fact(built, nook, tmp_path):
    seven = tmp_path / "compat"
    seven.mkdir()
    for patch in nook.kernel.compat_patches.glob("*.patch"):
        if not patch.name.startswith("06-"):
            shutil.copy(patch, seven / patch.name)
    without = dataclasses.replace(nook, kernel=dataclasses.replace(nook.kernel, compat_patches=seven))
    artifact = produce(without, tmp_path / "build.log")
    assert len(artifact.meta.compat["patches"]) == len(built.meta.compat["patches"]) - 1
    assert kernel_verify.verify(artifact, without) == [
        "System.map: stext at 0xc0008040, 0x40 bytes after the uImage entry 0x80008000: a "
        "section (.note.gnu.build-id) sits ahead of the kernel's text; link vmlinux without "
        "--build-id"
    ]
