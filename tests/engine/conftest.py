"""The Docker engine and the Debian base image the engine tests build on, made by
whichever test asks first: no test relies on another file having made them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.backends.base import Toolchain
from pytest_quill.engine.backends.docker import DockerBackend, ensure_engine
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from tests.support.builders import kernel_docker

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engine() -> str:
    try:
        return ensure_engine()
    except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no Docker engine answers and the private engine script cannot start one: {exc}")


@pytest.fixture(scope="session")
def debian_base(engine, tmp_path_factory) -> str:
    """The tag of the project's Debian base on this machine's engine (pulled or made once,
    then cached by tag)."""
    backend = kernel_docker(load_profile("qemu-virt"), tmp_path_factory.mktemp("base"))
    with open(tmp_path_factory.mktemp("base-log") / "base.log", "ab") as log:
        return backend.base_image("amd64", "bookworm", log)


@pytest.fixture(scope="session")
def builder_dockerfile(debian_base, tmp_path_factory) -> Path:
    """A one-line builder Dockerfile on the Debian base, its image built on this machine's
    engine: what a remote engine is sent."""
    folder = tmp_path_factory.mktemp("builder")
    dockerfile = folder / "test-builder.dockerfile"
    dockerfile.write_text(f"FROM {debian_base}\n")
    local = DockerBackend(folder / "project", log_dir=folder / "logs")
    local.with_toolchain(Toolchain(dockerfile)).builder_image()
    local.client.close()
    return dockerfile
