"""B1: the minimal rootfs is built for the profile's architecture, with
busybox (Debian's, or built against musl for an old kernel: rootfs.userland),
the module tools and the SquireOS init, and nothing else."""

import tarfile

import pytest

from pytest_quill.rootfs import recipe as rootfs

pytestmark = pytest.mark.gate(1)

# Top-level folders the recipe makes; anything else slipped in from a package.
TOP_LEVEL = {"bin", "sbin", "lib", "usr", "etc", "dev", "proc", "sys", "tmp", "root", "run", "mnt", "var"}


@pytest.fixture(scope="module")
def members(rootfs_tarball):
    with tarfile.open(rootfs_tarball.file(rootfs.TARBALL)) as tar:
        return {member.name: member for member in tar}


def text_of(rootfs_tarball, path: str) -> str:
    with tarfile.open(rootfs_tarball.file(rootfs.TARBALL)) as tar:
        return tar.extractfile(path).read().decode()


def test_rootfs_built_for_the_profiles_debian_architecture(rootfs_tarball, profile):
    assert rootfs_tarball.meta.arch == profile.target.debian_arch
    assert rootfs_tarball.meta.suite == profile.rootfs.suite


def test_backend_that_built_it_is_recorded(rootfs_tarball):
    assert rootfs_tarball.meta.backend in ("host", "docker")


def test_tarball_and_manifest_are_published_side_by_side(rootfs_tarball):
    assert rootfs_tarball.file(rootfs.TARBALL).stat().st_size == rootfs_tarball.meta.compressed_bytes
    lines = rootfs_tarball.file(rootfs.MANIFEST).read_text().splitlines()
    assert len(lines) == rootfs_tarball.meta.entries


def test_every_profile_package_was_installed(rootfs_tarball, profile):
    installed = {line.split()[0] for line in rootfs_tarball.meta.packages}
    assert set(profile.rootfs.packages) <= installed


def test_userland_is_the_kind_the_profile_names(rootfs_tarball, profile):
    assert rootfs_tarball.meta.userland == profile.rootfs.userland
    built_with = {line.split()[0] for line in rootfs_tarball.meta.build_packages}
    assert built_with == set(rootfs.build_packages(profile))


def test_only_the_recipes_top_level_folders(members):
    assert {name.split("/")[0] for name in members} <= TOP_LEVEL


def test_busybox_and_module_tools_are_there(members):
    assert members["bin/busybox"].isreg()
    assert members["sbin/modprobe"].issym() or members["sbin/modprobe"].isreg()
    assert members["sbin/insmod"].issym() or members["sbin/insmod"].isreg()


def test_busybox_init_runs_the_squireos_scripts(members, rootfs_tarball):
    assert members["sbin/init"].linkname == "/bin/busybox"
    inittab = text_of(rootfs_tarball, "etc/inittab")
    assert "::sysinit:/etc/init.d/rcS" in inittab
    assert "::shutdown:/etc/init.d/rcK" in inittab


def test_console_gets_a_root_shell_without_a_password(rootfs_tarball):
    assert "::respawn:/bin/cttyhack /bin/sh -l" in text_of(rootfs_tarball, "etc/inittab")
    assert text_of(rootfs_tarball, "etc/passwd").startswith("root::0:0:")


def test_squireos_modules_load_core_first(rootfs_tarball):
    listed = [
        line
        for line in text_of(rootfs_tarball, "etc/squireos/modules").splitlines()
        if line and not line.startswith("#")
    ]
    assert listed == ["squireos_core", "jester", "typewriter", "wisdom"]


def test_dev_is_filled_the_way_the_profile_allows(rootfs_tarball, profile):
    method = "devtmpfs" if "devtmpfs" in profile.rootfs.init_features else "mdev"
    assert rootfs_tarball.meta.dev_method == method
    assert (method == "mdev") == ("mdev -s" in text_of(rootfs_tarball, "etc/init.d/dev"))
