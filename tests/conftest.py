"""Fixtures shared by the project's tests."""

import subprocess
from pathlib import Path

import pytest

from pytest_quill.profile import load_profile
from tests.support.cards import CONFIG_NOOK, build_card, make_kernel, nook_with_loaders

pytest_plugins = ["pytester"]

PROJECT = Path(__file__).resolve().parents[1]
ARM_GCC = "arm-linux-gnueabihf-gcc"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "long_file: a test file whose tests take minutes on one worker (make test starts it first)"
    )


def pytest_collection_modifyitems(items):
    """Long files first, otherwise in collection order. `make test` hands the e2e
    files out whole to its workers in this order (--no-loadscope-reorder), so the
    longest begin at once and the short ones fill in beside them."""
    items.sort(key=lambda item: item.get_closest_marker("long_file") is None)


@pytest.fixture(scope="session")
def qemu_virt():
    return load_profile("qemu-virt", directory=PROJECT / "hardware_profiles")


@pytest.fixture(scope="session")
def nook():
    return load_profile("nook-simple-touch", directory=PROJECT / "hardware_profiles")


@pytest.fixture(scope="session")
def profile(qemu_virt):
    """The default profile (overrides the MVP's run profile in unit tests)."""
    return qemu_virt


@pytest.fixture
def pytester(pytester):
    """Inner pytest runs live in a temporary rootdir: they read this project's
    hardware profiles from their own hardware_profiles/, and declare the MVP's
    plan in their conftest (a test's own makeconftest replaces it), as a
    project would: without a plan the plugin stays inert."""
    (pytester.path / "hardware_profiles").symlink_to(PROJECT / "hardware_profiles")
    pytester.makeconftest('pytest_plugins = ["pytest_quill.mvp"]\n')
    return pytester


@pytest.fixture(scope="module")
def loaders(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loaders")
    (folder / "MLO").write_bytes(b"x-loader" * 2000)
    (folder / "u-boot.bin").write_bytes(b"u-boot 1.1.4" * 13000)
    return folder


@pytest.fixture(scope="module")
def nook_card(tmp_path_factory, loaders):
    profile = nook_with_loaders(loaders)
    base = tmp_path_factory.mktemp("nook")
    kernel = make_kernel(base / "kernel", config=CONFIG_NOOK, load=0x80008000)
    return (profile, *build_card(base, profile, kernel=kernel))


@pytest.fixture(scope="module")
def arm_programs(tmp_path_factory):
    """A static ARM 'busybox' knowing the applets init and sh, and a dynamic ARM program."""
    folder = tmp_path_factory.mktemp("arm")
    source = folder / "applets.c"
    source.write_text(
        '__attribute__((used)) static const char names[] = "init\\0sh\\0";\n'
        "int main(int argc, char **argv) { return names[argc]; }\n"
    )
    subprocess.run([ARM_GCC, "-static", "-Os", "-s", "-o", folder / "static", source], check=True)
    subprocess.run([ARM_GCC, "-Os", "-s", "-o", folder / "dynamic", source], check=True)
    return folder
