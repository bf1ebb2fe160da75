"""What the real-build tests of tests/rootfs say of their two cold builds
(tests/rootfs/conftest.py: on the host, then through Docker when an engine
answers)."""

from __future__ import annotations

import pytest

from pytest_quill.engine.context import Artifact


def assert_docker_gave_the_hosts_bytes(builds: list[Artifact]) -> None:
    host, second = builds
    if second.meta.backend != "docker":
        pytest.skip("no Docker engine answered: both cold builds ran on the host")
    assert host.meta.backend == "host"
    assert second.meta.sha256 == host.meta.sha256
