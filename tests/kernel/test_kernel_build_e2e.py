"""The kernel recipe on the real Debian linux-source-6.1 with the host backend:
a build (minutes when cold), then incremental reruns in the same workspaces.

The workspaces (unpacked tree, O= folder, ccache) are the shared cache's, as
the suites' runs use them: after `make run` the first build here is warm."""

import dataclasses
import os
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import default_cache
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.kernel import integration as kernel_integration
from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import tree as kernel_tree
from pytest_quill.kernel import verify as kernel_verify

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

PROJECT = Path(__file__).resolve().parents[2]
MODULES = [name for name, _ in kernel_modules.SQUIREOS_MODULES]


class Builds:
    """Builds into fresh out folders, sharing one work root (tree, O= dir, ccache)."""

    def __init__(self, root: Path, work_root: Path):
        self.root = root
        self.work_root = work_root
        self.count = 0

    def build(self, profile) -> Artifact:
        self.count += 1
        out = self.root / f"out-{self.count}"
        out.mkdir()
        log = self.root / f"build-{self.count}.log"
        ctx = BuildContext(
            name="kernel",
            profile=profile,
            out=out,
            log_path=log,
            backend=HostBackend(),
            deps={},
            jobs=2,
            work_root=self.work_root,
            project_root=PROJECT,
        )
        meta = kernel.RECIPE.build(ctx)
        return Artifact("kernel", str(self.count), out, "built", log, meta)

    def tree(self, profile) -> Path:
        label = kernel_tree.tree_label(kernel_tree.source_identity(profile.kernel.source))
        return self.work_root / "kernel-src" / label / "tree"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    # The store's layout (artifacts.py): workspaces in the cache folder's work/.
    return Builds(tmp_path_factory.mktemp("kernel-e2e"), Path(default_cache()) / "work")


@pytest.fixture(scope="module")
def first(builds, profile):
    return builds.build(profile)


def test_build_verifies_clean(first, profile):
    assert kernel_verify.verify(first, profile) == []


def test_build_meta_names_release_modules_and_uimage(first, profile):
    assert first.meta.release.startswith("6.1.") and first.meta.release.endswith("-quill")
    assert list(first.meta.modules) == MODULES
    assert first.meta.config_check["problems"] == []
    assert first.meta.uimage["name"] == profile.uimage.name
    assert first.meta.uimage["load"] == f"0x{profile.uimage.load:08x}"
    assert first.meta.ccache is True


def test_artifact_layout_is_what_the_card_helper_reads(first):
    release = first.meta.release
    for name in ("uImage", "zImage", "config", "System.map", "Module.symvers"):
        assert first.file(name).is_file(), name
    root = kernel_modules.modules_root(first.path, release)
    assert (root / "modules.dep").is_file()
    assert not (root / "build").exists() and not (root / "source").exists()
    for name in MODULES:
        assert kernel_modules.ko_path(first.path, release, name).is_file()


def test_the_debian_tarball_is_unpacked_once_and_edited_only_in_the_workspace(first, builds, profile):
    tree = builds.tree(profile)
    assert kernel_integration.SOURCE_LINE in (tree / "drivers/Kconfig").read_text()
    assert not (tree / ".config").exists(), "the build must stay out of the source tree (O=)"


def test_a_rerun_compiles_nothing_and_a_touched_module_recompiles_alone(first, builds, profile):
    again = builds.build(profile)
    assert "CC [M]" not in again.log.read_text()
    assert again.meta.release == first.meta.release
    os.utime(builds.tree(profile) / "drivers/squireos/wisdom.c")
    touched = builds.build(profile).log.read_text()
    compiled = [line.split()[-1] for line in touched.splitlines() if "CC [M]" in line]
    assert compiled == ["drivers/squireos/wisdom.o"]


def test_a_kconfig_sourced_from_arch_x86_is_dropped_and_named(first, builds, profile):
    wrong = dataclasses.replace(
        profile, kernel=dataclasses.replace(profile.kernel, kconfig_parent="arch/x86/Kconfig")
    )
    artifact = builds.build(wrong)
    dropped = [p["symbol"] for p in artifact.meta.config_check["problems"]]
    assert dropped == ["SQUIREOS", "SQUIREOS_JESTER", "SQUIREOS_TYPEWRITER", "SQUIREOS_WISDOM"]
    problems = kernel_verify.verify(artifact, wrong)
    assert problems[0] == (
        "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm reads? "
        "(drivers/squireos/Kconfig is sourced from arch/x86/Kconfig, which ARCH=arm never reads)"
    )
    tree = builds.tree(profile)
    builds.build(profile)  # and back: the x86 edit is undone
    assert kernel_integration.SOURCE_LINE not in (tree / "arch/x86/Kconfig").read_text()
