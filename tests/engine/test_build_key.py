"""The cache key's toolchain part: the backend's tool versions, except for a
recipe that builds its own Docker image (the rootfs), which must not need the
kernel's builder image (the Nook's cannot be made without an old base)."""

from pathlib import Path

import pytest

from pytest_quill.engine.backends.base import Toolchain
from pytest_quill.engine.context import Artifact
from pytest_quill.engine.produce import key_of, toolchain_identity
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from pytest_quill.rootfs import recipe as rootfs
from tests.support.recipes import FreeMeta

PROJECT = Path(__file__).resolve().parents[2]


class DockerWithoutBuilder:
    """A Docker backend whose builder image cannot be made, as for the Nook here."""

    name = "docker"
    images = object()  # it can build images

    def identity(self, tools):
        raise BenchError("nook-builder.dockerfile: base image ubuntu:12.04 not present")


class Backend:
    images = None

    def __init__(self, name, versions):
        self.name, self.versions = name, versions

    def identity(self, tools):
        return f"{self.name} {self.versions} {' '.join(tools)}"


class KernelLike:
    name, deps, tools, version = "kernel", (), ("make",), "1"

    def toolchain(self, profile):
        return Toolchain(Path("builder.dockerfile"))

    def fingerprint(self, profile, project_root):
        return {}


def test_the_rootfs_key_on_docker_never_asks_the_kernels_builder():
    nook = load_profile("nook-simple-touch")
    key = key_of(rootfs.RECIPE, nook, DockerWithoutBuilder(), {}, PROJECT)
    assert len(key) == 20
    assert toolchain_identity(rootfs.RECIPE, nook, DockerWithoutBuilder()) == "docker"


def test_other_recipes_take_the_backends_tool_versions():
    profile = load_profile("qemu-virt")
    with pytest.raises(BenchError):
        key_of(KernelLike(), profile, DockerWithoutBuilder(), {}, PROJECT)
    old, new = Backend("docker", "gcc 12.2"), Backend("docker", "gcc 12.3")
    assert key_of(KernelLike(), profile, old, {}, PROJECT) != key_of(KernelLike(), profile, new, {}, PROJECT)


def test_the_rootfs_key_on_the_host_holds_the_host_tools():
    identity = toolchain_identity(rootfs.RECIPE, load_profile("qemu-virt"), Backend("host", "v"))
    assert identity.startswith("host v apt-get")


class CardLike(KernelLike):
    name, deps = "sdcard", ("kernel",)


def test_a_rebuilt_dependency_under_the_same_key_makes_a_new_key_for_what_uses_it():
    """--quill-rebuild=kernel republishes a kernel whose uImage differs (a new build
    time) under the same key: the card made from the old one must not be reused."""
    profile, backend = load_profile("qemu-virt"), Backend("host", "gcc 12.2")

    def kernel(crc):
        return Artifact(
            name="kernel",
            key="k" * 20,
            path=Path("/k"),
            status="built",
            log=Path("/k.log"),
            meta=FreeMeta({"uimage": {"data_crc": crc}}),
        )

    first = key_of(CardLike(), profile, backend, {"kernel": kernel("0x1")}, PROJECT)
    again = key_of(CardLike(), profile, backend, {"kernel": kernel("0x1")}, PROJECT)
    rebuilt = key_of(CardLike(), profile, backend, {"kernel": kernel("0x2")}, PROJECT)
    assert first == again
    assert rebuilt != first
