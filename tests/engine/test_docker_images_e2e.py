"""The Docker backend's images for real: the kernel toolchain image, a Debian
base made without a registry, a foreign-arch image built and exported.
Minutes on a fresh engine (each base is an mmdebstrap run; the builder image
installs the cross compilers), seconds once the images exist.
"""

from __future__ import annotations

import io
import struct
import tarfile
import uuid
from pathlib import Path

import pytest

from pytest_quill.engine.backends import docker_images
from pytest_quill.engine.backends.docker import ensure_engine
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from tests.support.builders import kernel_docker

pytestmark = [pytest.mark.e2e, pytest.mark.long_file]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ELF_MACHINE_ARM = 40
KERNEL_TOOLS = [
    "arm-linux-gnueabihf-gcc",
    "arm-linux-gnueabi-gcc",
    "gcc",
    "make",
    "mkimage",
    "ccache",
    "bc",
    "bison",
    "flex",
    "perl",
    "python3",
    "xz",
    "cpio",
    "git",
    "depmod",
]


@pytest.fixture(scope="module")
def engine() -> str:
    try:
        return ensure_engine()
    except BenchError as exc:
        pytest.skip(
            f"no Docker engine answers and the private engine script cannot start one: {exc.one_line()}"
        )


def elf_machine(header: bytes) -> int:
    assert header[:4] == b"\x7fELF", header[:16]
    return struct.unpack_from("<H", header, 18)[0]


def test_the_kernel_builder_image_cross_compiles_at_the_host_paths(engine, tmp_path):
    cache = tmp_path / "cache"
    backend = kernel_docker(
        load_profile("qemu-virt"), tmp_path / "project", mounts=(cache,), log_dir=tmp_path / "logs"
    )
    identity = backend.identity(KERNEL_TOOLS)
    assert identity.startswith(f"docker {backend.builder_tag()} sha256:")
    missing = [line for line in identity.splitlines() if line.endswith(": missing")]
    assert missing == []
    source = backend.project_root / "hello.c"
    source.write_text("int quill(int x) { return x * 3; }\n")
    log = io.BytesIO()
    code = backend.run(
        ["ccache", "arm-linux-gnueabihf-gcc", "-O2", "-c", "hello.c", "-o", "hello.o"],
        cwd=backend.project_root,
        env={"CCACHE_DIR": str(cache / "ccache")},
        log=log,
        timeout=120,
    )
    assert code == 0, log.getvalue()
    assert elf_machine((backend.project_root / "hello.o").read_bytes()[:20]) == ELF_MACHINE_ARM
    assert (cache / "ccache").is_dir()


def test_the_kernel_sources_are_readable_but_not_writable_in_the_builder(engine, tmp_path):
    tarball = Path("/usr/src/linux-source-6.1.tar.xz")
    if not tarball.is_file():
        pytest.skip(f"{tarball} is not installed (apt-get install linux-source-6.1)")
    backend = kernel_docker(load_profile("qemu-virt"), tmp_path, log_dir=tmp_path / "logs")
    log = io.BytesIO()
    code = backend.run(
        ["sh", "-c", f"xz -t {tarball} && ! touch /usr/src/quill-probe"],
        cwd=tmp_path,
        env=None,
        log=log,
        timeout=300,
    )
    assert code == 0, log.getvalue()
    assert "Read-only file system" in log.getvalue().decode()


def test_a_debian_base_is_made_without_a_registry_and_cached_by_tag(engine, tmp_path):
    # trixie: a suite nothing else here uses, so the test makes it from nothing every time.
    tag = "quill-base/debian:trixie-amd64"
    backend = kernel_docker(load_profile("qemu-virt"), tmp_path)
    client = backend.client
    if client.images.list(name=tag):
        client.images.remove(tag, force=True)
    log_path = tmp_path / "base.log"
    try:
        with open(log_path, "ab") as log:
            assert backend.base_image("amd64", "trixie", log) == tag
        first = log_path.read_text()
        assert (
            "base image debian:trixie not pullable: made locally with mmdebstrap" in first
            or "base image debian:trixie pulled" in first
        )
        version = client.containers.run(tag, ["cat", "/etc/debian_version"], remove=True)
        assert version.decode().startswith("13.")
        with open(log_path, "ab") as log:
            assert backend.base_image("amd64", "trixie", log) == tag
        assert log_path.read_text() == first  # found by its tag: nothing made, nothing said
    finally:
        client.images.remove(tag, force=True)


def test_a_foreign_arch_image_is_built_and_exported_as_a_rootfs(engine, tmp_path):
    try:
        docker_images.check_platform_runs("armhf")
    except BenchError as exc:
        pytest.skip(exc.one_line())
    dockerfile = tmp_path / "foreign.dockerfile"
    dockerfile.write_text(
        "ARG BASE=debian:bookworm\nFROM ${BASE}\nRUN { uname -m; dpkg --print-architecture; } > /quill-arch\n"
    )
    backend = kernel_docker(load_profile("qemu-virt"), tmp_path)
    tag = f"quill-test/foreign:{uuid.uuid4().hex[:12]}"
    rootfs = tmp_path / "rootfs.tar"
    try:
        with open(tmp_path / "build.log", "ab") as log:
            image = backend.build_image(dockerfile, tmp_path, "linux/arm/v7", {}, tag, log)
            assert image.startswith("sha256:")
            backend.export_rootfs(tag, rootfs, log)
        assert backend.client.containers.list(all=True, filters={"ancestor": image}) == []
    finally:
        backend.client.images.remove(tag, force=True)
    log_text = (tmp_path / "build.log").read_text()
    assert "BASE=quill-base/debian:bookworm-armhf" in log_text
    with tarfile.open(rootfs) as tar:
        assert tar.extractfile("quill-arch").read() == b"armv7l\narmhf\n"
        assert elf_machine(tar.extractfile("usr/bin/dash").read(20)) == ELF_MACHINE_ARM
    assert not rootfs.with_name("rootfs.tar.part").exists()
