"""Toolchain compatibility as data (kernel.compat_patches): patches applied with
the real GNU patch to the recipe's copy of a small tree, in name order, each
exactly once; one that does not apply names the patch and the file; one the
profile stops naming is taken out; the user's tree is never written."""

import dataclasses
import difflib
from pathlib import Path

import pytest

from pytest_quill import data
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import BuildContext
from pytest_quill.errors import BuildError, InputError
from pytest_quill.kernel import compat
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import tree as kernel_tree

PROJECT = Path(__file__).resolve().parents[2]
NOOK_PATCHES = data.path("kernel/compat/2.6.29")

MAKEFILE = (
    "VERSION = 2\nPATCHLEVEL = 6\nKBUILD_CFLAGS := -Wall\n"
    "KBUILD_AFLAGS := -D__ASSEMBLY__\nexport KBUILD_CFLAGS\nexport KBUILD_AFLAGS\n"
    "LDFLAGS_MODULE += $(LDFLAGS_BUILD_ID)\nLDFLAGS_vmlinux += $(LDFLAGS_BUILD_ID)\n"
    "all: vmlinux\n"
)
TIMECONST = "my @val;\nif (!defined(@val)) {\n\t@val = compute();\n}\nprint;\n"
TREE = {"Makefile": MAKEFILE, "kernel/timeconst.pl": TIMECONST}
GNU89 = MAKEFILE.replace("-Wall\n", "-Wall\nKBUILD_CFLAGS += -std=gnu89\n")
PATCHED_MAKEFILE = GNU89.replace("LDFLAGS_vmlinux += $(LDFLAGS_BUILD_ID)\n", "")


def udiff(rel: str, old: str, new: str, why: str) -> str:
    """A -p1 patch, each starting with a reason line as the real ones do."""
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}", n=1)
    return f"# why: {why}\n" + "".join(lines)


PATCHES = {
    "01-gnu89.patch": udiff("Makefile", MAKEFILE, GNU89, "gnu89"),
    "02-timeconst.patch": udiff(
        "kernel/timeconst.pl", TIMECONST, TIMECONST.replace("!defined(@val)", "!@val"), "perl"
    ),
    "03-no-build-id.patch": udiff("Makefile", GNU89, PATCHED_MAKEFILE, "build-id"),
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture
def ctx(tmp_path, nook):
    (tmp_path / "out").mkdir()
    return BuildContext(
        name="kernel",
        profile=nook,
        out=tmp_path / "out",
        log_path=tmp_path / "build.log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=PROJECT,
    )


@pytest.fixture
def tree(tmp_path):
    return write(tmp_path / "tree", TREE)


def patch_set(folder: Path, names=tuple(PATCHES), **changed: str) -> list[compat.Patch]:
    write(folder, {name: changed.get(name.split("-", 1)[0], PATCHES[name]) for name in names})
    return compat.patches(folder)


def snapshot(tree: Path) -> dict:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(tree.rglob("*")) if p.is_file()}


def test_patches_are_applied_in_name_order_and_recorded_with_their_sha256(ctx, tree, tmp_path):
    wanted = patch_set(tmp_path / "compat")
    applied = compat.sync(ctx, tree, wanted, tmp_path / "record")
    assert [(e["name"], e["status"]) for e in applied] == [
        ("01-gnu89.patch", "applied"),
        ("02-timeconst.patch", "applied"),
        ("03-no-build-id.patch", "applied"),
    ]
    assert [e["sha256"] for e in applied] == [p.sha256 for p in wanted]
    assert (tree / "Makefile").read_text() == PATCHED_MAKEFILE
    assert "if (!@val)" in (tree / "kernel/timeconst.pl").read_text()
    assert not [p for p in tree.rglob("*") if p.suffix in (".orig", ".rej")]


def test_applying_a_second_time_changes_nothing(ctx, tree, tmp_path):
    wanted = patch_set(tmp_path / "compat")
    compat.sync(ctx, tree, wanted, tmp_path / "record")
    before = snapshot(tree)
    again = compat.sync(ctx, tree, wanted, tmp_path / "record")
    assert [e["status"] for e in again] == ["kept"] * 3
    assert snapshot(tree) == before


def test_a_fix_the_source_already_has_is_skipped_and_never_taken_out(ctx, tree, tmp_path):
    (tree / "kernel/timeconst.pl").write_text(TREE["kernel/timeconst.pl"].replace("!defined(@val)", "!@val"))
    applied = compat.sync(ctx, tree, patch_set(tmp_path / "compat"), tmp_path / "record")
    assert applied[1]["status"] == "in the source"
    fewer = patch_set(tmp_path / "fewer", names=("01-gnu89.patch", "03-no-build-id.patch"))
    compat.sync(ctx, tree, fewer, tmp_path / "record")
    assert "if (!@val)" in (tree / "kernel/timeconst.pl").read_text()


def test_a_patch_the_profile_no_longer_names_is_taken_out_alone(ctx, tree, tmp_path):
    compat.sync(ctx, tree, patch_set(tmp_path / "compat"), tmp_path / "record")
    timeconst = tree / "kernel/timeconst.pl"
    stamp = timeconst.stat().st_mtime_ns
    fewer = patch_set(tmp_path / "fewer", names=("01-gnu89.patch", "02-timeconst.patch"))
    applied = compat.sync(ctx, tree, fewer, tmp_path / "record")
    assert [e["status"] for e in applied] == ["kept", "kept"]
    assert (tree / "Makefile").read_text() == GNU89
    assert timeconst.stat().st_mtime_ns == stamp  # untouched: make rebuilds no more than needed
    back = compat.sync(ctx, tree, patch_set(tmp_path / "compat"), tmp_path / "record")
    assert [e["status"] for e in back] == ["kept", "kept", "applied"]
    assert (tree / "Makefile").read_text() == PATCHED_MAKEFILE


def test_a_patch_that_does_not_apply_names_the_patch_and_the_file_and_changes_nothing(ctx, tree, tmp_path):
    broken = PATCHES["02-timeconst.patch"].replace("-if (!defined(@val))", "-if (!defined(%val))")
    wanted = patch_set(tmp_path / "compat", **{"02": broken})
    with pytest.raises(BuildError) as error:
        compat.sync(ctx, tree, wanted, tmp_path / "record")
    assert error.value.message == (
        "compat patch 02-timeconst.patch does not apply: kernel/timeconst.pl: Hunk #1 FAILED at 1 "
        f"({tmp_path / 'compat/02-timeconst.patch'})"
    )
    assert (tree / "kernel/timeconst.pl").read_text() == TREE["kernel/timeconst.pl"]
    assert not list(tree.rglob("*.rej"))


def test_a_patch_for_a_file_the_tree_lacks_names_that_file(ctx, tree, tmp_path):
    missing = (
        "# why: gcc5\n--- a/include/linux/compiler-gcc.h\n"
        "+++ b/include/linux/compiler-gcc.h\n@@ -1 +1 @@\n-old\n+new\n"
    )
    wanted = patch_set(tmp_path / "compat", names=("01-gnu89.patch",), **{"01": missing})
    with pytest.raises(
        BuildError,
        match=r"^compat patch 01-gnu89.patch does not apply: "
        r"include/linux/compiler-gcc.h: no such file in the "
        r"tree \(",
    ):
        compat.sync(ctx, tree, wanted, tmp_path / "record")


def test_patchs_complaints_are_read_file_by_file():
    said = (
        "checking file Makefile\nchecking file include/linux/compiler-gcc4.h\n"
        "Hunk #1 FAILED at 3.\nHunk #2 FAILED at 40.\n2 out of 2 hunks FAILED\n"
        "can't find file to patch at input line 20\nThe text leading up to this was:\n"
        "--------------------------\n|--- a/firmware/Makefile\n|+++ b/firmware/Makefile\n"
        "--------------------------\nNo file to patch.  Skipping patch.\n"
    )
    assert compat.failures(said) == [
        "include/linux/compiler-gcc4.h: Hunk #1 FAILED at 3",
        "include/linux/compiler-gcc4.h: Hunk #2 FAILED at 40",
        "firmware/Makefile: no such file in the tree",
    ]


def test_the_users_tree_is_never_written_by_a_patch(ctx, tmp_path):
    """A path source is hard-linked into the workspace; patch replaces files, so
    the user's inode keeps its bytes."""
    user = write(tmp_path / "user-tree", {**TREE, "Kbuild": "", "arch/arm/Kconfig": ""})
    before = {p: p.read_bytes() for p in user.rglob("*") if p.is_file()}
    identity = kernel_tree.source_identity(str(user))
    workspace = ctx.workspace("kernel-src/user")
    copy = kernel_tree.prepare_tree(ctx, str(user), identity, workspace)
    compat.sync(ctx, copy, patch_set(tmp_path / "compat"), workspace / "compat")
    assert (copy / "Makefile").read_text() == PATCHED_MAKEFILE
    assert {p: p.read_bytes() for p in user.rglob("*") if p.is_file()} == before


def test_the_nook_patches_in_name_order_and_in_the_key(nook, qemu_virt, tree):
    names = [p.name for p in compat.patches(NOOK_PATCHES)]
    assert names == sorted(names) and len(names) == 9
    assert names[5] == "06-vmlinux-no-build-id.patch"
    assert compat.patches(None) == []
    nook = dataclasses.replace(nook, kernel=dataclasses.replace(nook.kernel, source=str(tree)))
    with_patches = kernel.RECIPE.fingerprint(nook, PROJECT)["kernel"]["compat_patches"]
    assert [e["name"] for e in with_patches] == names
    assert kernel.RECIPE.fingerprint(qemu_virt, PROJECT)["kernel"]["compat_patches"] == []
    fewer = dataclasses.replace(nook, kernel=dataclasses.replace(nook.kernel, compat_patches=None))
    assert kernel.RECIPE.fingerprint(fewer, PROJECT) != kernel.RECIPE.fingerprint(nook, PROJECT)


def test_a_compat_folder_that_is_not_there_or_empty_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="kernel.compat_patches .*/none: no such folder"):
        compat.patches(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"kernel.compat_patches .*/empty: no \*.patch file"):
        compat.patches(tmp_path / "empty")
