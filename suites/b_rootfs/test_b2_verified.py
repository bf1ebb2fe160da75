"""B2: the rootfs tarball held against the profile: reproducible packaging, the
device's facts (architecture, kernel floor, init features) and the budget."""

import hashlib
import tarfile

import pytest

from pytest_quill.digest import file_sha256
from pytest_quill.formats import tar as tarball
from pytest_quill.rootfs import recipe as rootfs
from pytest_quill.rootfs import verify as rootfs_verify

pytestmark = pytest.mark.gate(2)


@pytest.fixture(scope="module")
def contents(rootfs_tarball):
    return rootfs_verify.read_contents(rootfs_tarball.file(rootfs.TARBALL))


def test_init_console_and_mount_points_are_in_place(contents):
    assert rootfs_verify.check_required(contents) == []


def test_every_elf_file_is_for_the_profiles_machine(contents, profile):
    assert contents.elves, "no ELF file in the rootfs"
    assert rootfs_verify.check_machines(contents, profile) == []


def test_arm_files_use_the_float_abi_of_the_profiles_debian_port(contents, profile):
    assert rootfs_verify.check_float_abi(contents, profile) == []


def test_libc_and_static_binaries_run_on_the_profiles_kernel(contents, profile):
    assert rootfs_verify.kernel_floors(contents), "no libc or static binary states its kernel"
    assert rootfs_verify.check_min_kernel(contents, profile) == []


def test_init_uses_nothing_the_kernel_lacks(contents, profile):
    assert rootfs_verify.check_init_features(contents, profile) == []


def test_every_busybox_link_names_an_applet_it_has(contents):
    assert rootfs_verify.check_applet_links(contents) == []


def test_compressed_size_within_the_budget(contents, profile):
    assert rootfs_verify.check_size(contents, profile) == []


def test_manifest_matches_the_tarball(rootfs_tarball):
    rows = {}
    for line in rootfs_tarball.file(rootfs.MANIFEST).read_text().splitlines():
        path, mode, size, digest, kind = line.split("\t")
        rows[path] = (int(mode, 8), int(size), digest)
    with tarfile.open(rootfs_tarball.file(rootfs.TARBALL)) as tar:
        for member in tar:
            data = tar.extractfile(member).read() if member.isreg() else None
            digest = hashlib.sha256(data).hexdigest() if data is not None else "-"
            assert rows.pop(member.name) == (member.mode, member.size, digest), member.name
    assert rows == {}


def test_packaging_is_normalised_for_reproducible_bytes(rootfs_tarball):
    with tarfile.open(rootfs_tarball.file(rootfs.TARBALL)) as tar:
        found = tar.getmembers()
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in found} == {(0, 0, "", "", 0)}
    names = [m.name for m in found]
    assert names == sorted(names, key=lambda name: name.split("/"))
    assert int.from_bytes(rootfs_tarball.file(rootfs.TARBALL).read_bytes()[4:8], "little") == 0


def test_no_docs_locales_man_pages_or_apt_caches(contents):
    assert [path for path in contents.members if tarball.excluded(path)] == []


def test_sha256_in_meta_is_the_tarballs(rootfs_tarball):
    assert file_sha256(rootfs_tarball.file(rootfs.TARBALL)) == rootfs_tarball.meta.sha256
