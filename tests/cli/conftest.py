"""The quill command against a cache of its own: empty, or seeded at the keys a
run of the options would compute (host backend: no Docker asked)."""

from __future__ import annotations

import pytest

from tests.support.quill_cli import PROJECT, options, seed


@pytest.fixture(autouse=True)
def in_the_project(monkeypatch):
    """quill is run from the project's folder (its profiles, its SquireOS sources)."""
    monkeypatch.chdir(PROJECT)


@pytest.fixture
def empty(tmp_path) -> list[str]:
    return options(tmp_path / "cache", tmp_path / "reports")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> list[str]:
    """Options whose cache holds a kernel, a rootfs and a card at the keys quill computes."""
    return seed(tmp_path_factory.mktemp("seeded"))
