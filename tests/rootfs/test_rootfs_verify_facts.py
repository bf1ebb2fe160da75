"""rootfs_verify on small synthetic trees: one test per fact, each with the
mistake it must catch (NOOK.md 5: host-arch rootfs, 6: libc newer than the
kernel, 7: devtmpfs on 2.6.29). ARM binaries are real: compiled here with
Debian's cross compiler, and the cross libc."""

import shutil
import subprocess

import pytest

from pytest_quill.formats import tar as tarball
from pytest_quill.formats.version import version_tuple
from pytest_quill.profile import load_profile
from pytest_quill.rootfs import verify as rootfs_verify
from tests.support.root_trees import ARM_LIBC, ARMEL_LIBC, CROSS_GCC, LIBC_PATH, make_tree, pack

pytestmark = pytest.mark.skipif(
    shutil.which(CROSS_GCC) is None or not ARM_LIBC.exists(), reason="gcc-arm-linux-gnueabihf not installed"
)


def test_a_sound_armhf_tree_passes_on_qemu_virt(tmp_path, arm_programs, qemu_virt):
    assert rootfs_verify.verify_tarball(pack(make_tree(tmp_path / "t", arm_programs)), qemu_virt) == []


def test_host_architecture_binary_is_named_with_its_machine(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    shutil.copy(shutil.which("ls"), root / "bin" / "ls")
    problems = rootfs_verify.verify_tarball(pack(root), qemu_virt)
    assert problems == ["bin/ls: ELF machine X86_64, profile qemu-virt needs ARM (target.elf_machine)"]


def test_libc_and_static_busybox_newer_than_2_6_29_are_caught(tmp_path, arm_programs, nook):
    contents = rootfs_verify.read_contents(pack(make_tree(tmp_path / "t", arm_programs)))
    assert sorted(rootfs_verify.check_min_kernel(contents, nook)) == [
        "bin/busybox needs kernel 3.2.0, profile nook-simple-touch has 2.6.29",
        f"{LIBC_PATH} needs kernel 3.2.0, profile nook-simple-touch has 2.6.29",
    ]


def test_a_static_program_that_states_no_kernel_floor_is_not_passed(tmp_path, arm_programs, nook):
    """A libc that checks nothing at start-up (musl) must carry the note to be judged."""
    root = make_tree(tmp_path / "t", arm_programs)
    (root / LIBC_PATH).unlink()
    subprocess.run(
        ["arm-linux-gnueabihf-objcopy", "--remove-section", ".note.ABI-tag", root / "bin" / "busybox"],
        check=True,
    )
    contents = rootfs_verify.read_contents(pack(root))
    assert rootfs_verify.check_min_kernel(contents, nook) == [
        "bin/busybox: static program with no GNU ABI tag: its minimum kernel is unknown, so it "
        "cannot be judged against 2.6.29 (profile nook-simple-touch)"
    ]


@pytest.mark.skipif(not ARMEL_LIBC.exists(), reason="libc6-armel-cross not installed")
def test_armel_library_in_an_armhf_rootfs_is_caught(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    (root / "lib" / "arm-linux-gnueabi").mkdir()
    shutil.copy(ARMEL_LIBC, root / "lib" / "arm-linux-gnueabi" / "libc.so.6")
    problems = rootfs_verify.check_float_abi(rootfs_verify.read_contents(pack(root)), qemu_virt)
    assert problems == [
        "lib/arm-linux-gnueabi/libc.so.6: soft-float ARM ABI, profile qemu-virt "
        "is armhf (hard-float, target.debian_arch)"
    ]


def test_dynamic_programs_take_their_floor_from_libc_not_their_own_note(tmp_path, arm_programs):
    root = make_tree(tmp_path / "t", arm_programs)
    shutil.copy(arm_programs / "dynamic", root / "bin" / "kmod")
    floors = rootfs_verify.kernel_floors(rootfs_verify.read_contents(pack(root)))
    assert floors == {"bin/busybox": (3, 2, 0), LIBC_PATH: (3, 2, 0)}


def test_devtmpfs_in_init_is_caught_when_the_kernel_has_none(tmp_path, arm_programs, nook):
    problems = rootfs_verify.check_init_features(
        rootfs_verify.read_contents(pack(make_tree(tmp_path / "t", arm_programs, "devtmpfs"))), nook
    )
    assert problems == [
        "etc/init.d/dev: init uses devtmpfs, kernel 2.6.29 of profile "
        "nook-simple-touch has none (kernel.has_devtmpfs = false)"
    ]


def test_mdev_init_passes_on_a_kernel_without_devtmpfs(tmp_path, arm_programs, nook):
    contents = rootfs_verify.read_contents(pack(make_tree(tmp_path / "t", arm_programs, "mdev")))
    assert rootfs_verify.check_init_features(contents, nook) == []


def test_missing_console_device_is_caught(tmp_path, arm_programs, qemu_virt):
    problems = rootfs_verify.verify_tarball(pack(make_tree(tmp_path / "t", arm_programs), ()), qemu_virt)
    assert problems == ["dev/console: missing (the kernel opens it before init runs)"]


def test_console_with_wrong_numbers_is_caught(tmp_path, arm_programs, qemu_virt):
    wrong = (tarball.Device("dev/console", 0o600, "char", 4, 64),)
    problems = rootfs_verify.verify_tarball(pack(make_tree(tmp_path / "t", arm_programs), wrong), qemu_virt)
    assert problems == ["dev/console: not the char device 5,1 (char device 4,64, mode 0600)"]


def test_init_that_is_not_executable_is_caught(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    (root / "sbin" / "init").unlink()
    (root / "sbin" / "init").write_text("#!/bin/sh\nexec /bin/sh\n")
    (root / "sbin" / "init").chmod(0o644)
    problems = rootfs_verify.verify_tarball(pack(root), qemu_virt)
    assert problems == ["sbin/init: not an executable file (file, mode 0644)"]


def test_init_linking_to_nothing_is_caught(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    (root / "sbin" / "init").unlink()
    (root / "sbin" / "init").symlink_to("/bin/nowhere")
    problems = rootfs_verify.verify_tarball(pack(root), qemu_virt)
    assert problems == ["sbin/init: links to /bin/nowhere, which is not in the tarball"]


def test_missing_mount_point_is_caught(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    (root / "sys").rmdir()
    assert rootfs_verify.verify_tarball(pack(root), qemu_virt) == ["sys: mount point missing (absent)"]


def test_link_to_an_applet_busybox_lacks_is_caught(tmp_path, arm_programs, qemu_virt):
    root = make_tree(tmp_path / "t", arm_programs)
    (root / "bin" / "vi").symlink_to("/bin/busybox")
    problems = rootfs_verify.verify_tarball(pack(root), qemu_virt)
    assert problems == ["bin/vi: links to bin/busybox, which has no applet vi"]


def test_tarball_over_the_budget_is_caught(tmp_path, arm_programs):
    small_budget = load_profile("qemu-virt", {"rootfs.max_compressed_bytes": "1000"})
    tarball_path = pack(make_tree(tmp_path / "t", arm_programs))
    size = tarball_path.stat().st_size
    assert rootfs_verify.verify_tarball(tarball_path, small_budget) == [
        f"rootfs.tar.gz: {size:,} bytes compressed, over profile qemu-virt's budget "
        f"rootfs.max_compressed_bytes = 1,000"
    ]


@pytest.mark.parametrize(
    "text, version", [("2.6.29", (2, 6, 29)), ("6.1", (6, 1, 0)), ("3.2.0-4-armmp", (3, 2, 0))]
)
def test_kernel_versions_compare_as_numbers(text, version):
    assert version_tuple(text) == version
