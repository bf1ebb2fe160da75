"""A kernel.source tarball from outside, and a tree whose links lead out of it.

Hostile tarballs (built here with tarfile) go through prepare_tree, the path
the recipe takes: every one is refused in one line naming the archive and the
member, or unpacked harmlessly; either way nothing outside the workspace
changes. The SquireOS integration never reads, writes or deletes through a
link out of the tree: it refuses one on the way to a file it edits, and
replaces one where its own folder or files go.
"""

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import BuildContext
from pytest_quill.errors import InputError
from pytest_quill.kernel import integration as kernel_integration
from pytest_quill.kernel import tree as kernel_tree
from tests.support.hostile_tar import Member, climb, listing, sentinel, write_tar

TOP = "nst-kernel/src"
KERNEL = [
    Member(f"{TOP}/{rel}", data=text.encode())
    for rel, text in {
        "Makefile": "VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 29\n",
        "Kbuild": "# kbuild\n",
        "arch/arm/Kconfig": 'mainmenu "Linux"\n\nmenu "Device Drivers"\n\nendmenu\n',
        "drivers/Makefile": "obj-y += base/\n",
    }.items()
]


@pytest.fixture
def outside(tmp_path):
    return sentinel(tmp_path / "outside")


@pytest.fixture
def modules(tmp_path):
    """A module source folder as kernel.modules names one."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "Kconfig").write_text('config SQUIREOS\n\ttristate "SquireOS"\n')
    (folder / "Makefile").write_text("obj-$(CONFIG_SQUIREOS) += squireos_core.o\n")
    (folder / "squireos_core.c").write_text("int squireos;\n")
    return folder


def context(tmp_path: Path, nook) -> BuildContext:
    (tmp_path / "out").mkdir(exist_ok=True)
    return BuildContext(
        name="kernel",
        profile=nook,
        out=tmp_path / "out",
        log_path=tmp_path / "build.log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=tmp_path,
    )


def prepare(tmp_path: Path, nook, packed: Path) -> Path:
    ctx = context(tmp_path, nook)
    identity = kernel_tree.source_identity(str(packed), tmp_path)
    workspace = ctx.workspace(f"kernel-src/{kernel_tree.tree_label(identity)}")
    return kernel_tree.prepare_tree(ctx, str(packed), identity, workspace)


def staging_depth(tmp_path: Path) -> int:
    """How deep the scratch folder a tarball is unpacked in lies (an upper bound)."""
    return len((tmp_path / "work/kernel-src/label/.scratch").parts) + 2


# (case, members after the kernel's, the refusal's tail)
REFUSED = [
    (
        "a member with ..",
        lambda out, depth: [Member(climb(depth, out / "pwned"))],
        r"would be extracted to '.*outside/pwned', which is outside the destination",
    ),
    (
        "an absolute symlink, then a file through it",
        lambda out, depth: [
            Member(f"{TOP}/drivers/evil", "symlink", link=str(out)),
            Member(f"{TOP}/drivers/evil/pwned"),
        ],
        r"'nst-kernel/src/drivers/evil' is a link to an absolute path",
    ),
    (
        "a relative symlink out, then a file through it",
        lambda out, depth: [
            Member(f"{TOP}/evil", "symlink", link=climb(depth, out)),
            Member(f"{TOP}/evil/pwned"),
        ],
        r"'nst-kernel/src/evil' would link to '.*outside', which is outside the destination",
    ),
    (
        "a symlink as the modules' folder",
        lambda out, depth: [Member(f"{TOP}/drivers/squireos", "symlink", link=str(out))],
        r"'nst-kernel/src/drivers/squireos' is a link to an absolute path",
    ),
    (
        "a hard link to an outside file",
        lambda out, depth: [Member(f"{TOP}/secret", "hardlink", link=str(out / "secret"))],
        r"'nst-kernel/src/secret' is a link to an absolute path",
    ),
    (
        "a hard link out by ..",
        lambda out, depth: [Member(f"{TOP}/secret", "hardlink", link=climb(depth, out / "secret"))],
        r"'nst-kernel/src/secret' would link to '.*outside/secret', which is outside",
    ),
    (
        "a device node",
        lambda out, depth: [Member(f"{TOP}/null", "char")],
        r"'nst-kernel/src/null' is a special file",
    ),
    (
        "a block device",
        lambda out, depth: [Member(f"{TOP}/disk", "block")],
        r"'nst-kernel/src/disk' is a special file",
    ),
    (
        "a FIFO",
        lambda out, depth: [Member(f"{TOP}/pipe", "fifo")],
        r"'nst-kernel/src/pipe' is a special file",
    ),
]


@pytest.mark.parametrize("members, why", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
@pytest.mark.parametrize("compression", ["w:xz", "w:gz"])
def test_a_hostile_member_is_refused_in_one_line_and_nothing_outside_changes(
    tmp_path, nook, outside, members, why, compression
):
    packed = write_tar(
        tmp_path / f"nst.tar.{compression[2:]}",
        KERNEL + members(outside, staging_depth(tmp_path)),
        compression,
    )
    before = listing(outside)
    with pytest.raises(InputError) as error:
        prepare(tmp_path, nook, packed)
    message = error.value.one_line()
    assert message == error.value.message  # one line
    assert message.startswith(f"kernel.source {packed} ({packed}): member refused: ")
    assert re.search(why, message), message
    assert listing(outside) == before
    assert not list((tmp_path / "work").rglob("tree"))  # no half tree stays
    assert not list((tmp_path / "work").rglob(".scratch*"))


SAFE = [
    ("an absolute member lands inside", lambda out: Member(str(out / "pwned")), lambda tree, out: True),
    (
        "a setuid file keeps no setuid bit",
        lambda out: Member(f"{TOP}/scripts/su", mode=0o4755),
        lambda tree, out: stat.S_IMODE((tree / "scripts/su").stat().st_mode) == 0o755,
    ),
    (
        "a setgid folder keeps no setgid bit",
        lambda out: Member(f"{TOP}/scripts", "dir", mode=0o2775),
        lambda tree, out: not (tree / "scripts").stat().st_mode & (stat.S_ISGID | stat.S_IWOTH),
    ),
    (
        "a member of uid 1234 is the runner's",
        lambda out: Member(f"{TOP}/foreign.c", uid=1234),
        lambda tree, out: (tree / "foreign.c").stat().st_uid == os.geteuid(),
    ),
    (
        "a symlink inside the tree stays",
        lambda out: Member(f"{TOP}/include/asm", "symlink", link="../arch/arm"),
        lambda tree, out: (tree / "include/asm").resolve() == (tree / "arch/arm").resolve(),
    ),
]


@pytest.mark.parametrize("member, holds", [case[1:] for case in SAFE], ids=[case[0] for case in SAFE])
def test_a_member_unpacked_harmlessly_changes_nothing_outside(tmp_path, nook, outside, member, holds):
    packed = write_tar(tmp_path / "nst.tar.xz", KERNEL + [member(outside)], "w:xz")
    before = listing(outside)
    tree = prepare(tmp_path, nook, packed)
    assert (tree / "Makefile").is_file() and holds(tree, outside)
    assert listing(outside) == before


# --- integration into a tree whose links lead out of it -------------------------------


def make_tree(root: Path) -> Path:
    for member in KERNEL:
        path = root / member.name[len(TOP) + 1 :]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(member.data)
    return root


def link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


# (case, the link planted: tree-relative path -> outside-relative target ("" = the folder))
REPLACED = [
    ("the modules' folder", "drivers/squireos", ""),
    ("a module's Kconfig", "drivers/squireos/Kconfig", "Kconfig"),
    ("a module's Makefile", "drivers/squireos/Makefile", "Makefile"),
    ("a stale module file", "drivers/squireos/victim.c", "victim.c"),
    ("the makefile's temporary", "drivers/Makefile.quill-new", "secret"),
    ("a module's temporary", "drivers/squireos/squireos_core.c.quill-new", "secret"),
]


@pytest.mark.parametrize(
    "planted, target", [case[1:] for case in REPLACED], ids=[case[0] for case in REPLACED]
)
def test_a_link_where_the_integration_writes_is_replaced_never_followed(
    tmp_path, outside, modules, planted, target
):
    tree = make_tree(tmp_path / "tree")
    link(tree / planted, outside / target)
    before = listing(outside)
    kernel_integration.integrate(tree, tmp_path / "originals", modules, "arch/arm/Kconfig")
    assert listing(outside) == before
    folder = tree / "drivers/squireos"
    assert folder.is_dir() and not folder.is_symlink()
    assert (folder / "Kconfig").read_bytes() == (modules / "Kconfig").read_bytes()
    assert not any(p.is_symlink() for p in folder.iterdir())
    assert kernel_integration.MAKEFILE_LINE in (tree / "drivers/Makefile").read_text()


# (case, the link planted, kconfig_parent, the path the error names)
REFUSED_LINKS = [
    ("the drivers folder", "drivers", "", "arch/arm/Kconfig", "drivers/Makefile"),
    ("the kconfig parent", "arch/arm/Kconfig", "Kconfig", "arch/arm/Kconfig", "arch/arm/Kconfig"),
    ("the drivers Makefile", "drivers/Makefile", "Makefile", "arch/arm/Kconfig", "drivers/Makefile"),
    ("a kconfig parent out by ..", "", "", "../outside/Kconfig", "../outside/Kconfig"),
]


@pytest.mark.parametrize(
    "planted, target, parent, named",
    [case[1:] for case in REFUSED_LINKS],
    ids=[case[0] for case in REFUSED_LINKS],
)
def test_a_link_out_of_the_tree_on_the_way_to_an_edited_file_is_refused(
    tmp_path, outside, modules, planted, target, parent, named
):
    tree = make_tree(tmp_path / "tree")
    if planted:
        link(tree / planted, outside / target)
    before = listing(outside)
    with pytest.raises(InputError) as error:
        kernel_integration.integrate(tree, tmp_path / "originals", modules, parent)
    assert error.value.message.startswith(f"kernel tree {tree}: {named} leads out of the tree (to {outside}")
    assert "\n" not in error.value.message
    assert listing(outside) == before
    assert not (tmp_path / "originals" / named).exists()


def test_a_tree_from_a_tarball_with_the_modules_folder_linked_inside_is_integrated(tmp_path, nook, modules):
    """drivers/squireos -> ../arch (inside the tree): the link is replaced, arch/ stays."""
    packed = write_tar(
        tmp_path / "nst.tar.xz",
        KERNEL + [Member(f"{TOP}/drivers/squireos", "symlink", link="../arch")],
        "w:xz",
    )
    tree = prepare(tmp_path, nook, packed)
    arch = listing(tree / "arch")
    kernel_integration.integrate(tree, tmp_path / "originals", modules, "arch/arm/Kconfig")
    assert listing(tree / "arch") == {**arch, "arm/Kconfig": listing(tree / "arch")["arm/Kconfig"]}
    assert not (tree / "drivers/squireos").is_symlink()
    assert (tree / "drivers/squireos/Kconfig").is_file()


def test_a_module_file_hard_linked_to_the_users_tree_is_replaced_not_written(tmp_path, outside, modules):
    """cp -al of a path source links the user's files: a changed module is renamed in."""
    tree = make_tree(tmp_path / "tree")
    (tree / "drivers/squireos").mkdir()
    os.link(outside / "victim.c", tree / "drivers/squireos/squireos_core.c")
    before = listing(outside)
    kernel_integration.integrate(tree, tmp_path / "originals", modules, "arch/arm/Kconfig")
    assert (tree / "drivers/squireos/squireos_core.c").read_bytes() == (
        modules / "squireos_core.c"
    ).read_bytes()
    after = listing(outside)
    assert after["victim.c"][-1] == before["victim.c"][-1]  # the user's content stays


@pytest.mark.parametrize("name", ["nst.tar.xz", "nst.tar.gz"])
def test_a_file_that_is_no_tar_archive_is_one_line_naming_it(tmp_path, nook, name):
    packed = tmp_path / name
    packed.write_bytes(os.urandom(4096))
    with pytest.raises(InputError) as error:
        prepare(tmp_path, nook, packed)
    assert error.value.message.startswith(f"kernel.source {packed} ({packed}): not a whole tar archive (")
    assert error.value.message.endswith("): truncated, or not a tar file")
    assert not list((tmp_path / "work").rglob(".scratch*"))
