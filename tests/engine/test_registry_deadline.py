"""A registry that trickles bytes (issue 27): each wait is short, so no read timeout trips,
but a pull that takes longer than its bound is abandoned with one warning line, nothing of
it kept, and the artifact is built here."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_quill.engine.registry import ArtifactRegistry, open_registry
from pytest_quill.engine.registry_deadline import PullBound
from pytest_quill.engine.registry_errors import RegistryError
from pytest_quill.engine.registry_share import Sharing
from pytest_quill.engine.registry_target import parse_target
from tests.support.recipes import FilesRecipe, build_here
from tests.support.registry import missing_tools, registry_server
from tests.support.tcp_proxy import tcp_proxy

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

KEY = "51ow"
BOUND = PullBound(floor_s=1.0, bytes_per_s=1e9)  # a second, whatever the size
IMAGE = b"\x55\xaa" * 20_000


def recipe() -> FilesRecipe:
    return FilesRecipe("sdcard", {"card.img": IMAGE}, {"partitions": 2})


def produce(folder: Path, sharing: Sharing | None, warnings: list[str]):
    return build_here(folder, recipe(), KEY, "sdcard.log", warnings, sharing=sharing)


def registry_at(
    host: str, folder: Path, bound: PullBound = PullBound(), mode: str = "rw"
) -> ArtifactRegistry:
    config = folder / "docker-config"
    config.mkdir(parents=True, exist_ok=True)
    return ArtifactRegistry(
        parse_target(f"{host}/quill/artifacts"), mode, {"DOCKER_CONFIG": str(config)}, bound
    )


@pytest.fixture
def filled(tmp_path):
    """A registry that holds the card, pushed by a first machine."""
    with registry_server(tmp_path / "registry") as server:
        config = tmp_path / "first-config"
        config.mkdir()
        shared = open_registry(server.repository(), "rw", environ={"DOCKER_CONFIG": str(config)})
        assert shared is not None
        assert produce(tmp_path / "first", Sharing(shared), []).status == "built"
        yield server


def test_a_trickling_pull_is_abandoned_at_its_bound_and_leaves_nothing(filled, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with tcp_proxy(filled.host, trickle_s=0.05) as slow:
        registry = registry_at(slow, tmp_path, BOUND)
        began = time.monotonic()
        with pytest.raises(RegistryError) as raised:
            registry.pull("sdcard", KEY, scratch)
        took = time.monotonic() - began

    assert 1.0 <= took < 3.0
    assert str(raised.value) == (
        f"{slow}/quill/artifacts:sdcard-{KEY}: pulling took longer "
        f"than 1 s (the registry is too slow); abandoned"
    )
    assert list(scratch.iterdir()) == []


def test_a_trickling_registry_is_one_warning_then_a_local_build(filled, tmp_path):
    warnings: list[str] = []
    with tcp_proxy(filled.host, trickle_s=0.05) as slow:
        sharing = Sharing(registry_at(slow, tmp_path, BOUND, mode="pull"))
        artifact = produce(tmp_path / "second", sharing, warnings)

    assert artifact.status == "built"
    assert (artifact.path / "card.img").read_bytes() == IMAGE
    assert warnings == [
        f"warning: {slow}/quill/artifacts:sdcard-{KEY}: pulling took longer "
        f"than 1 s (the registry is too slow); abandoned; building it here"
    ]


def test_a_trickling_push_is_abandoned_at_its_bound(filled, tmp_path):
    entry = produce(tmp_path / "here", None, []).path
    with tcp_proxy(filled.host, trickle_s=0.05) as slow:
        registry = registry_at(slow, tmp_path, BOUND)
        with pytest.raises(RegistryError) as raised:
            registry.push(entry, "sdcard", "another")

    assert str(raised.value) == (
        f"{slow}/quill/artifacts:sdcard-another: pushing took longer "
        f"than 1 s (the registry is too slow); abandoned"
    )


def test_a_pull_within_its_bound_is_not_cut(filled, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with tcp_proxy(filled.host) as proxied:
        transfer = registry_at(proxied, tmp_path).pull("sdcard", KEY, scratch)

    assert transfer is not None
    assert (scratch / "card.img").read_bytes() == IMAGE


def test_the_bound_grows_with_the_entry():
    bound = PullBound(floor_s=60.0, bytes_per_s=512 * 1024)
    assert bound.seconds(0) == 60.0
    assert bound.seconds(100 * 1024 * 1024) == 260.0
