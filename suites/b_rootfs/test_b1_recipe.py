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
def tarball(rootfs_tarball):
    """Its members by name and the text of its files under etc/, from one read
    of the tarball (each look-up in a .tar.gz reads it from the start)."""
    members, texts = {}, {}
    with tarfile.open(rootfs_tarball.file(rootfs.TARBALL)) as tar:
        for member in tar:
            members[member.name] = member
            if member.isreg() and member.name.startswith("etc/"):
                texts[member.name] = tar.extractfile(member).read().decode()
    return members, texts


@pytest.fixture(scope="module")
def members(tarball):
    return tarball[0]


@pytest.fixture(scope="module")
def etc_text(tarball):
    """The text of a file under etc/ by its path in the tarball."""
    return tarball[1].__getitem__


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


def test_busybox_init_runs_the_squireos_scripts(members, etc_text):
    assert members["sbin/init"].linkname == "/bin/busybox"
    inittab = etc_text("etc/inittab")
    assert "::sysinit:/etc/init.d/rcS" in inittab
    assert "::shutdown:/etc/init.d/rcK" in inittab


def test_console_gets_a_root_shell_without_a_password(etc_text):
    assert "::respawn:/bin/cttyhack /bin/sh -l" in etc_text("etc/inittab")
    assert etc_text("etc/passwd").startswith("root::0:0:")


def test_squireos_modules_load_core_first(etc_text):
    listed = [
        line for line in etc_text("etc/squireos/modules").splitlines() if line and not line.startswith("#")
    ]
    assert listed == ["squireos_core", "jester", "typewriter", "wisdom"]


def test_dev_is_filled_the_way_the_profile_allows(rootfs_tarball, etc_text, profile):
    method = "devtmpfs" if "devtmpfs" in profile.rootfs.init_features else "mdev"
    assert rootfs_tarball.meta.dev_method == method
    assert (method == "mdev") == ("mdev -s" in etc_text("etc/init.d/dev"))
