"""The exported image (`docker export`) unpacked into the rootfs tree by
unpack_export, the path the Docker backend takes: what a root filesystem
needs is kept (absolute symlinks, /tmp 1777, /root 0700), nothing lands
outside the tree, no device node, FIFO, setuid bit or foreign owner comes in;
/dev/console and /dev/null come from the project's own list in the tarball."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from pytest_quill.errors import BuildError
from pytest_quill.formats import tar as tarball
from pytest_quill.rootfs import recipe as rootfs
from tests.support.hostile_tar import Member, climb, listing, sentinel, write_tar

IMAGE = [
    Member("bin", "dir", mode=0o755),
    Member("bin/busybox", data=b"\x7fELF", mode=0o755),
    Member("bin/sh", "symlink", link="/bin/busybox"),
    Member("usr/bin/awk", "symlink", link="/etc/alternatives/awk"),
    Member("etc/alternatives/awk", "symlink", link="/usr/bin/mawk"),
    Member("tmp", "dir", mode=0o1777),
    Member("root", "dir", mode=0o700),
    Member("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
    Member("etc/hosts", data=b"docker's\n"),
    Member(".dockerenv", data=b""),
]


@pytest.fixture
def outside(tmp_path):
    return sentinel(tmp_path / "outside")


def unpacked(tmp_path: Path, members: list[Member]) -> Path:
    tree = tmp_path / "scratch" / "tree"
    rootfs.unpack_export(
        write_tar(tmp_path / "export.tar", IMAGE + members), tree, str(tmp_path / "build.log")
    )
    return tree


def test_a_root_filesystem_keeps_its_links_and_folder_modes(tmp_path):
    tree = unpacked(tmp_path, [])
    assert (tree / "bin/sh").readlink() == Path("/bin/busybox")
    assert (tree / "usr/bin/awk").readlink() == Path("/etc/alternatives/awk")
    assert stat.S_IMODE((tree / "tmp").stat().st_mode) == 0o1777
    assert stat.S_IMODE((tree / "root").stat().st_mode) == 0o700
    assert not (tree / "etc/hosts").exists() and not (tree / ".dockerenv").exists()


# (case, the members after the image's, the refusal's tail)
REFUSED = [
    (
        "a member with ..",
        lambda out, depth: [Member(climb(depth, out / "pwned"))],
        r"would be extracted to '.*outside/pwned', which is outside the destination",
    ),
    (
        "a file through an absolute link",
        lambda out, depth: [Member("lib", "symlink", link=str(out)), Member("lib/pwned")],
        r"'lib/pwned' would be extracted to '.*outside/pwned', which is outside",
    ),
    (
        "a hard link to an outside file",
        lambda out, depth: [Member("etc/shadow", "hardlink", link=str(out / "secret"))],
        r"'etc/shadow' is a link to an absolute path",
    ),
    ("a FIFO", lambda out, depth: [Member("run/initctl", "fifo")], r"'run/initctl' is a special file"),
]


@pytest.mark.parametrize("members, why", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_hostile_member_of_the_export_fails_the_build_in_one_line(tmp_path, outside, members, why):
    before = listing(outside)
    with pytest.raises(BuildError) as error:
        unpacked(tmp_path, members(outside, len(tmp_path.parts) + 2))
    line = error.value.message
    assert (
        line.startswith(f"rootfs: the exported image ({tmp_path / 'export.tar'}): member refused: ")
        and "\n" not in line
    )
    assert re.search(why, line), line
    assert error.value.log == str(tmp_path / "build.log")
    assert listing(outside) == before


# (case, the member, what holds in the tree)
SAFE = [
    (
        "a device node outside /dev is left out",
        Member("etc/null", "char"),
        lambda tree: not (tree / "etc/null").exists(),
    ),
    (
        "/dev from the image is left out",
        Member("dev/console", "char"),
        lambda tree: not (tree / "dev").exists(),
    ),
    (
        "a setuid file keeps no setuid bit",
        Member("bin/mount", mode=0o4755),
        lambda tree: stat.S_IMODE((tree / "bin/mount").stat().st_mode) == 0o755,
    ),
    (
        "a setgid folder keeps no setgid bit",
        Member("var/mail", "dir", mode=0o2775),
        lambda tree: stat.S_IMODE((tree / "var/mail").stat().st_mode) == 0o775,
    ),
    (
        "a file of uid 1234 is the runner's",
        Member("home/user/.profile", uid=1234),
        lambda tree: (tree / "home/user/.profile").stat().st_uid == os.geteuid(),
    ),
]


@pytest.mark.parametrize("member, holds", [case[1:] for case in SAFE], ids=[case[0] for case in SAFE])
def test_a_member_unpacked_harmlessly_changes_nothing_outside(tmp_path, outside, member, holds):
    before = listing(outside)
    tree = unpacked(tmp_path, [member])
    assert holds(tree)
    assert listing(outside) == before


def test_the_tarball_gets_its_device_nodes_from_the_project_only(tmp_path):
    tree = unpacked(tmp_path, [Member("etc/null", "char"), Member("dev/sda", "block")])
    entries = tarball.write(tree, tmp_path / "rootfs.tar.gz", rootfs.DEVICES)
    devices = sorted(e.path for e in entries if e.type in ("char", "block"))
    assert devices == ["dev/console", "dev/null"]
