"""The Nook's userland, built for real: busybox from source, static against
musl for armel, twice from cold (on the host, then through Docker when an
engine answers). It passes the Nook profile's verifier (its ABI tag states
2.6.22, under the Nook's 2.6.29), repeats its bytes, and runs on an ARM CPU
(qemu-user). Needs Debian's archive."""

import subprocess
import tarfile
from pathlib import Path

import pytest

from pytest_quill.formats import elf
from pytest_quill.rootfs import verify as rootfs_verify
from tests.support.cold_builds import assert_docker_gave_the_hosts_bytes

PROJECT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def builds(nook, cold_rootfs_twice):
    return cold_rootfs_twice(nook)


@pytest.fixture(scope="module")
def busybox(builds, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nook-busybox")
    with tarfile.open(builds[0].file("rootfs.tar.gz")) as tar:
        tar.extract("bin/busybox", folder, filter="fully_trusted")
    return folder / "bin" / "busybox"


def test_the_nook_rootfs_passes_the_nook_profiles_verifier(builds, nook):
    assert rootfs_verify.verify(builds[0], nook) == []
    meta = builds[0].meta
    assert (meta.arch, meta.userland, meta.dev_method) == ("armel", "busybox-musl", "mdev")
    assert meta.libc_min_kernel == "2.6.22"
    assert meta.packages == ()
    assert [line.split()[0] for line in meta.build_packages] == ["linux-libc-dev", "musl-dev"]


def test_two_cold_builds_give_the_same_bytes(builds):
    first, second = builds
    assert first.meta.sha256 == second.meta.sha256
    assert first.file("manifest.tsv").read_text() == second.file("manifest.tsv").read_text()


def test_busybox_is_one_static_soft_float_arm_program_tagged_2_6_22(busybox):
    info = elf.parse(busybox.read_bytes())
    assert (info.machine, info.interpreter, info.arm_float_abi) == ("ARM", None, "soft")
    assert info.abi_min_kernel == (2, 6, 22)


def test_no_glibc_in_the_tree(builds):
    contents = rootfs_verify.read_contents(builds[0].file("rootfs.tar.gz"))
    assert [path for path in contents.elves if rootfs_verify.LIBC.search(path)] == []
    assert list(contents.elves) == ["bin/busybox"]


def test_busybox_runs_the_init_applets_on_an_arm_cpu(busybox, qemu_arm):
    done = subprocess.run([qemu_arm, busybox, "--list"], capture_output=True, text=True, check=True)
    assert {"sh", "init", "mount", "mdev", "insmod", "modprobe", "cttyhack", "poweroff"} <= set(
        done.stdout.split()
    )
    shell = subprocess.run(
        [qemu_arm, busybox, "sh", "-c", "echo $((6 * 7))"], capture_output=True, text=True, check=True
    )
    assert shell.stdout == "42\n"


def test_docker_backend_gives_the_same_bytes_as_the_host(builds):
    assert_docker_gave_the_hosts_bytes(builds)
