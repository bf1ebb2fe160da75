"""A real rootfs build for qemu-virt (armhf), twice from cold (on the host, then
through Docker when an engine answers): it passes the verifier, fits 30 MB,
gives the same bytes both times, and the Nook profile's verifier rejects its
bookworm libc. Needs Debian's archive."""

import subprocess
import tarfile
from pathlib import Path

import pytest

from pytest_quill import data
from pytest_quill.profile import load_profile
from pytest_quill.rootfs import verify as rootfs_verify
from tests.support.cold_builds import assert_docker_gave_the_hosts_bytes

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def builds(qemu_virt, cold_rootfs_twice):
    return cold_rootfs_twice(qemu_virt)


@pytest.fixture(scope="module")
def unpacked(builds, tmp_path_factory):
    tree = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(builds[0].file("rootfs.tar.gz")) as tar:
        tar.extractall(tree, members=[m for m in tar if not m.isdev()], filter="fully_trusted")
    return tree


def test_two_cold_builds_give_the_same_bytes(builds):
    first, second = builds
    assert first.meta.sha256 == second.meta.sha256
    assert first.file("rootfs.tar.gz").read_bytes() == second.file("rootfs.tar.gz").read_bytes()
    assert first.file("manifest.tsv").read_text() == second.file("manifest.tsv").read_text()


def test_armhf_build_passes_the_verifier_under_30_mb(builds, qemu_virt):
    artifact = builds[0]
    assert rootfs_verify.verify(artifact, qemu_virt) == []
    assert artifact.meta.compressed_bytes < 30_000_000
    assert artifact.meta.arch == "armhf" and artifact.meta.backend == "host"
    assert artifact.meta.entries == len(artifact.file("manifest.tsv").read_text().splitlines())


def test_nook_profile_rejects_the_bookworm_libc(builds):
    problems = rootfs_verify.verify(builds[0], load_profile("nook-simple-touch"))
    assert (
        "lib/arm-linux-gnueabihf/libc.so.6 needs kernel 3.2.0, profile nook-simple-touch has 2.6.29"
        in problems
    )
    assert builds[0].meta.libc_min_kernel == "3.2.0"


def test_kmod_runs_with_the_libraries_in_the_tree(unpacked, qemu_arm):
    done = subprocess.run(
        [qemu_arm, "-L", unpacked, unpacked / "bin" / "kmod", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kmod version")


def test_busybox_has_every_applet_the_host_made_a_link_for(unpacked, qemu_arm):
    done = subprocess.run(
        [qemu_arm, unpacked / "bin" / "busybox", "--list"], capture_output=True, text=True, check=True
    )
    applets = set(done.stdout.split())
    listed = {
        Path(line).name
        for line in (data.path("rootfs") / "busybox-applets.list").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert listed <= applets


def test_docker_backend_gives_the_same_bytes_as_the_host(builds):
    assert_docker_gave_the_hosts_bytes(builds)


def test_rootfs_built_for_the_host_architecture_is_refused(tmp_path, qemu_virt, build_rootfs_cold):
    """NOOK.md mistake 5, made for real: the packages fetched for amd64."""
    host_arch = load_profile("qemu-virt", {"target.debian_arch": '"amd64"'})
    built = build_rootfs_cold(tmp_path, host_arch)
    problems = rootfs_verify.verify(built, qemu_virt)
    assert "bin/busybox: ELF machine X86_64, profile qemu-virt needs ARM (target.elf_machine)" in problems
    assert all("ELF machine X86_64" in problem for problem in problems)
