"""The rootfs recipe's inputs and choices: cache fingerprint, /dev method,
suite reachability, what is kept from a Docker export."""

import io
import shutil
import tarfile

import pytest

from pytest_quill.errors import BuildError
from pytest_quill.profile import load_profile
from pytest_quill.rootfs import recipe as rootfs


def test_recipe_contract():
    assert (rootfs.RECIPE.name, rootfs.RECIPE.deps) == ("rootfs", ())
    assert rootfs.RECIPE.version


def test_fingerprint_is_stable_and_covers_every_source_file():
    profile = load_profile("qemu-virt")
    first = rootfs.RECIPE.fingerprint(profile, None)
    assert first == rootfs.RECIPE.fingerprint(profile, None)
    files = {
        p.relative_to(rootfs.sources_dir(profile)).as_posix()
        for p in rootfs.sources_dir(profile).rglob("*")
        if p.is_file()
    }
    assert set(first["sources"]) == files
    assert {"minimal-boot.dockerfile", "assemble.sh", "overlay/etc/inittab"} <= files


def test_fingerprint_changes_with_a_source_edit(tmp_path):
    copy = tmp_path / "rootfs"
    shutil.copytree(rootfs.sources_dir(load_profile("qemu-virt")), copy, symlinks=True)
    overrides = {"rootfs.recipe": f'"{copy / "minimal-boot.dockerfile"}"'}
    before = rootfs.RECIPE.fingerprint(load_profile("qemu-virt", overrides), None)
    (copy / "overlay" / "etc" / "inittab").write_text("::respawn:/bin/sh\n")
    after = rootfs.RECIPE.fingerprint(load_profile("qemu-virt", overrides), None)
    assert before["sources"]["overlay/etc/inittab"] != after["sources"]["overlay/etc/inittab"]


@pytest.mark.parametrize("profile_name, method", [("qemu-virt", "devtmpfs"), ("nook-simple-touch", "mdev")])
def test_dev_method_follows_init_features(profile_name, method):
    profile = load_profile(profile_name)
    assert rootfs.dev_method(profile) == method
    assert rootfs.RECIPE.fingerprint(profile, None)["dev_method"] == method


def test_unreachable_suite_fails_naming_the_suite_and_the_mirror():
    squeeze = load_profile("nook-simple-touch", {"rootfs.suite": '"squeeze"'})
    with pytest.raises(BuildError) as failure:
        rootfs.check_suite_reachable(squeeze, "/tmp/rootfs.log")
    message = failure.value.one_line()
    assert "Debian suite 'squeeze' (profile nook-simple-touch, rootfs.suite)" in message
    assert rootfs.MIRROR in message
    assert message.endswith("(log: /tmp/rootfs.log)")


def test_nook_builds_busybox_against_musl_and_qemu_virt_takes_debians():
    nook, qemu_virt = load_profile("nook-simple-touch"), load_profile("qemu-virt")
    assert (nook.rootfs.userland, rootfs.build_packages(nook)) == (
        "busybox-musl",
        ("musl-dev", "linux-libc-dev"),
    )
    assert rootfs.gnu_triplet(nook) == "arm-linux-gnueabi"
    assert (qemu_virt.rootfs.userland, rootfs.build_packages(qemu_virt)) == ("debian", ())
    assert rootfs.RECIPE.fingerprint(nook, None)["userland"] == "busybox-musl"


def test_fingerprint_holds_the_suites_package_index_for_the_arch():
    armhf = rootfs.RECIPE.fingerprint(load_profile("qemu-virt"), None)["package_index"]
    assert len(armhf) == 64
    # busybox-musl: the target's index, then the build machine's (the cross gcc).
    armel, native = rootfs.RECIPE.fingerprint(load_profile("nook-simple-touch"), None)[
        "package_index"
    ].split()
    assert len(armel) == len(native) == 64 and len({armhf, armel, native}) == 3


def docker_export(tmp_path):
    """A tar shaped like `docker export`: the image's files plus what create adds."""
    path = tmp_path / "export.tar"
    with tarfile.open(path, "w") as tar:
        for name, kind in [
            (".dockerenv", tarfile.REGTYPE),
            ("bin", tarfile.DIRTYPE),
            ("bin/busybox", tarfile.REGTYPE),
            ("dev", tarfile.DIRTYPE),
            ("dev/console", tarfile.REGTYPE),
            ("dev/pts", tarfile.DIRTYPE),
            ("etc", tarfile.DIRTYPE),
            ("etc/hosts", tarfile.REGTYPE),
            ("etc/inittab", tarfile.REGTYPE),
            ("etc/mtab", tarfile.SYMTYPE),
            ("proc", tarfile.DIRTYPE),
            ("sys", tarfile.DIRTYPE),
        ]:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/proc/mounts" if kind == tarfile.SYMTYPE else ""
            tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
    return path


def test_docker_additions_are_dropped_from_an_export(tmp_path):
    with tarfile.open(docker_export(tmp_path)) as tar:
        kept = [m.name for m in tar if rootfs.from_image(m)]
    assert kept == ["bin", "bin/busybox", "dev", "etc", "etc/inittab", "proc", "sys"]
