"""tarball.write: same tree -> same bytes, normalised headers, devices without root."""

import gzip
import os
import shutil
import stat
import tarfile

import pytest

from pytest_quill.digest import file_sha256
from pytest_quill.formats import tar as tarball

CONSOLE = tarball.Device("dev/console", 0o600, "char", 5, 1)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(b"\x7fELF pretend")
    (root / "bin" / "busybox").chmod(0o755)
    (root / "bin" / "sh").symlink_to("/bin/busybox")
    (root / "etc").mkdir()
    (root / "etc" / "inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    (root / "tmp").mkdir()
    (root / "tmp").chmod(0o1777)
    (root / "dev").mkdir()
    for junk in (
        "usr/share/doc/busybox/copyright",
        "usr/share/man/man1/sh.1.gz",
        "usr/share/locale/de/LC_MESSAGES/x.mo",
        "var/cache/apt/pkgcache.bin",
        "var/lib/apt/lists/deb_Release",
    ):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk")
    return root


def members(path):
    with tarfile.open(path, "r:gz") as tar:
        return tar.getmembers()


def test_same_tree_gives_same_bytes_whatever_its_location_and_times(tree, tmp_path):
    first = tmp_path / "a.tar.gz"
    tarball.write(tree, first, (CONSOLE,))
    copy = tmp_path / "elsewhere" / "tree"
    shutil.copytree(tree, copy, symlinks=True)
    os.utime(copy / "etc" / "inittab", (1_700_000_000, 1_700_000_000))
    second = tmp_path / "b.tar.gz"
    tarball.write(copy, second, (CONSOLE,))
    assert first.read_bytes() == second.read_bytes()


def test_a_changed_file_changes_the_bytes(tree, tmp_path):
    tarball.write(tree, tmp_path / "a.tar.gz")
    (tree / "etc" / "inittab").write_text("::respawn:/bin/sh\n")
    tarball.write(tree, tmp_path / "b.tar.gz")
    assert file_sha256(tmp_path / "a.tar.gz") != file_sha256(tmp_path / "b.tar.gz")


def test_headers_are_sorted_and_owned_by_root_at_a_fixed_time(tree, tmp_path):
    out = tmp_path / "r.tar.gz"
    tarball.write(tree, out, (CONSOLE,))
    found = members(out)
    names = [m.name for m in found]
    assert names == sorted(names, key=lambda n: n.split("/"))
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in found} == {(0, 0, "", "", 0)}


def test_gzip_header_has_no_name_and_no_time(tree, tmp_path):
    out = tmp_path / "r.tar.gz"
    tarball.write(tree, out)
    header = out.read_bytes()[:10]
    flags, mtime = header[3], int.from_bytes(header[4:8], "little")
    assert flags & 0x08 == 0  # FNAME
    assert mtime == 0
    assert gzip.decompress(out.read_bytes())  # a sound stream


def test_devices_are_entries_made_without_root(tree, tmp_path):
    out = tmp_path / "r.tar.gz"
    entries = tarball.write(tree, out, (CONSOLE, tarball.Device("dev/null", 0o666, "char", 1, 3)))
    console = {m.name: m for m in members(out)}["dev/console"]
    assert console.ischr() and (console.devmajor, console.devminor) == (5, 1)
    assert console.mode == 0o600
    assert tarball.Entry("dev/null", 0o666, 0, "-", "char") in entries


def test_device_parent_folders_are_added_when_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    names = [e.path for e in tarball.write(empty, tmp_path / "r.tar.gz", (CONSOLE,))]
    assert names == ["dev", "dev/console"]


def test_docs_locales_man_pages_and_apt_caches_are_left_out(tree, tmp_path):
    out = tmp_path / "r.tar.gz"
    tarball.write(tree, out)
    names = {m.name for m in members(out)}
    assert not [
        n
        for n in names
        if n.startswith(
            ("usr/share/doc", "usr/share/man", "usr/share/locale", "var/cache/apt", "var/lib/apt/lists")
        )
    ]
    assert {"bin/busybox", "etc/inittab", "tmp"} <= names


def test_modes_and_links_are_kept(tree, tmp_path):
    out = tmp_path / "r.tar.gz"
    tarball.write(tree, out)
    found = {m.name: m for m in members(out)}
    assert found["tmp"].mode == 0o1777
    assert found["bin/busybox"].mode & stat.S_IXUSR
    assert found["bin/sh"].issym() and found["bin/sh"].linkname == "/bin/busybox"


def test_manifest_has_path_mode_size_sha256_type(tree, tmp_path):
    entries = tarball.write(tree, tmp_path / "r.tar.gz", (CONSOLE,))
    manifest = tmp_path / "manifest.tsv"
    tarball.write_manifest(entries, manifest)
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in manifest.read_text().splitlines()}
    assert len(rows) == len(entries)
    mode, size, digest, kind = rows["bin/busybox"]
    assert (mode, size, kind) == ("0755", str(len(b"\x7fELF pretend")), "file")
    assert digest == tarball.hashlib.sha256(b"\x7fELF pretend").hexdigest()
    assert rows["bin/sh"] == ["0777", "0", "-", "symlink"]
    assert rows["tmp"] == ["1777", "0", "-", "dir"]
    assert rows["dev/console"] == ["0600", "0", "-", "char"]


def test_the_trees_own_device_nodes_and_fifos_are_left_out(tree, tmp_path):
    """Only the project's own list makes device nodes: whatever put one in the tree."""
    os.mkfifo(tree / "dev" / "initctl")
    if os.geteuid() == 0:
        os.mknod(tree / "dev" / "sda", 0o600 | stat.S_IFBLK, os.makedev(8, 0))
        os.mknod(tree / "etc" / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    names = {e.path: e.type for e in tarball.write(tree, tmp_path / "r.tar.gz", (CONSOLE,))}
    assert not {"dev/initctl", "dev/sda", "etc/null"} & set(names)
    assert [name for name, kind in names.items() if kind in ("char", "block")] == ["dev/console"]
