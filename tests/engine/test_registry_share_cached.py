"""An entry reused from the local cache reaches a registry that lacks it (issue 27): a
registry added after the build, or emptied, gets it on the next run in read-write mode; a
registry that has it is not sent it again; pull-only never pushes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.engine.registry import open_registry
from pytest_quill.engine.registry_share import Sharing, share_cached
from tests.support.recipes import FilesRecipe, build_here
from tests.support.registry import missing_tools, registry_server

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

KEY = "c0ffee"


@pytest.fixture
def registry(tmp_path):
    with registry_server(tmp_path / "registry") as server:
        yield server


def cached_entry(folder: Path, shared: Sharing | None = None, status: str = "built") -> Path:
    """A kernel built here (first call) or reused from this machine's cache (later
    calls), with or without a shared registry."""
    recipe = FilesRecipe("kernel", {"uImage": b"\x27\x05\x19\x56" * 4096}, {"version": "6.1"})
    built = build_here(folder, recipe, KEY, "kernel.log", sharing=shared)
    assert built.status == status
    return built.path


def sharing(registry, folder: Path, mode: str, kinds: list[str]) -> Sharing:
    config = folder / f"docker-config-{mode}"
    config.mkdir(parents=True, exist_ok=True)
    shared = open_registry(registry.repository(), mode, environ={"DOCKER_CONFIG": str(config)})
    assert shared is not None
    return Sharing(shared, on_transfer=lambda kind, transfer: kinds.append(kind))


def test_a_cached_entry_is_pushed_to_a_registry_that_lacks_it(registry, tmp_path):
    entry = cached_entry(tmp_path)
    kinds: list[str] = []
    lines: list[tuple[str, bool]] = []
    rw = sharing(registry, tmp_path, "rw", kinds)
    assert not rw.registry.has("kernel", KEY)

    share_cached(rw, entry, "kernel", KEY, lambda line, warning: lines.append((line, warning)))

    assert kinds == ["pushed"]
    assert rw.registry.has("kernel", KEY)
    assert [warning for _, warning in lines] == [False]
    scratch = tmp_path / "pulled"
    scratch.mkdir()
    assert rw.registry.pull("kernel", KEY, scratch) is not None
    assert (scratch / "uImage").read_bytes() == (entry / "uImage").read_bytes()


def test_a_run_that_reuses_its_cached_entry_pushes_it_when_the_registry_lacks_it(registry, tmp_path):
    cached_entry(tmp_path)
    kinds: list[str] = []
    rw = sharing(registry, tmp_path, "rw", kinds)

    entry = cached_entry(tmp_path, rw, status="cached")
    cached_entry(tmp_path, rw, status="cached")

    assert kinds == ["pushed"]
    assert rw.registry.has("kernel", KEY)
    assert "pushed" in (tmp_path / "kernel.log").read_text()
    assert (entry / "uImage").is_file()


def test_a_registry_that_has_the_entry_is_not_sent_it_again(registry, tmp_path):
    entry = cached_entry(tmp_path)
    kinds: list[str] = []
    rw = sharing(registry, tmp_path, "rw", kinds)
    share_cached(rw, entry, "kernel", KEY, lambda line, warning: None)
    share_cached(rw, entry, "kernel", KEY, lambda line, warning: None)

    assert kinds == ["pushed"]


def test_pull_only_never_pushes_a_cached_entry(registry, tmp_path):
    entry = cached_entry(tmp_path)
    kinds: list[str] = []
    pull = sharing(registry, tmp_path, "pull", kinds)

    share_cached(pull, entry, "kernel", KEY, lambda line, warning: None)

    assert kinds == []
    assert not pull.registry.has("kernel", KEY)


def test_a_registry_that_is_gone_is_one_warning(registry, tmp_path):
    entry = cached_entry(tmp_path)
    rw = sharing(registry, tmp_path, "rw", [])
    registry.kill()
    lines: list[tuple[str, bool]] = []

    share_cached(rw, entry, "kernel", KEY, lambda line, warning: lines.append((line, warning)))

    assert len(lines) == 1 and lines[0][1]
    assert "connection refused" in lines[0][0]
