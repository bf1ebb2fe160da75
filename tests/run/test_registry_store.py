"""The run's store with a shared cache (issue 27, item 4): the artifact's record entry says
it was pulled or built and pushed, with the registry reference and the seconds it took;
nothing the run writes (results, events, logs) carries the registry's credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.engine.cache import Cache
from pytest_quill.engine.registry import open_registry
from pytest_quill.profile import load_profile
from pytest_quill.run.state import RunState
from pytest_quill.run.store import Store
from tests.support.recipes import FilesRecipe
from tests.support.registry import missing_tools, registry_server

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

PROJECT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "ci", "s3cret-token-for-the-registry"


def rootfs_recipe() -> FilesRecipe:
    """The same inputs on every machine: one key, so a second machine can pull."""
    return FilesRecipe(
        "rootfs",
        {"rootfs.tar.gz": b"\x1f\x8b" + bytes(4000)},
        {"entries": 1},
        fingerprint={"same": "inputs on every machine"},
    )


def machine(folder: Path, reference: str, mode: str, recipe: FilesRecipe, verifiers=None) -> Store:
    """A run's store on one machine: its own run folder and cache, the shared registry."""
    environ = {"DOCKER_CONFIG": str(folder), "QUILL_REGISTRY_USER": USER, "QUILL_REGISTRY_PASSWORD": PASSWORD}
    folder.mkdir(parents=True)
    return Store(
        state=RunState(folder / "run", "main"),
        cache=Cache(folder / "cache"),
        recipes={"rootfs": recipe},
        profile=load_profile("qemu-virt"),
        backend=lambda: None,
        rebuild=None,
        jobs=1,
        project_root=PROJECT,
        relpath=str,
        registry=open_registry(reference, mode, environ=environ),
        verifiers=verifiers or {},
    )


def written_text(folder: Path) -> str:
    return "".join(path.read_bytes().decode(errors="replace") for path in folder.rglob("*") if path.is_file())


def test_the_record_says_pushed_then_pulled_with_the_reference_and_seconds(tmp_path):
    with registry_server(tmp_path / "registry", users={USER: PASSWORD}) as server:
        first_recipe, second_recipe = rootfs_recipe(), rootfs_recipe()
        first = machine(tmp_path / "first", server.repository(), "rw", first_recipe)
        second = machine(tmp_path / "second", server.repository(), "pull", second_recipe)

        built, pulled = first.get("rootfs"), second.get("rootfs")

    built_entry = first.state.result("artifact-rootfs")
    pulled_entry = second.state.result("artifact-rootfs")
    reference = f"{server.host}/quill/artifacts:rootfs-{built.key}"
    assert (built.status, pulled.status, first_recipe.built, second_recipe.built) == ("built", "pulled", 1, 0)
    assert built_entry["pushed"]["reference"] == pulled_entry["pulled"]["reference"] == reference
    assert 0 < pulled_entry["pulled"]["seconds"] < 30 and pulled_entry["pulled"]["files"] == 3
    assert "pulled" not in built_entry and "pushed" not in pulled_entry
    [event] = [event for event in second.state.events() if event["kind"] == "artifact"]
    assert (event["status"], event["pulled"]["reference"]) == ("pulled", reference)
    for folder in (tmp_path / "first", tmp_path / "second"):
        assert PASSWORD not in written_text(folder)


def test_a_pulled_artifact_goes_through_the_plans_verifier_first(tmp_path):
    checked = []

    def verify(artifact, profile, deps):
        checked.append((artifact.status, profile.name, deps))
        return []

    with registry_server(tmp_path / "registry", users={USER: PASSWORD}) as server:
        machine(tmp_path / "first", server.repository(), "rw", rootfs_recipe()).get("rootfs")
        second = machine(
            tmp_path / "second", server.repository(), "pull", rootfs_recipe(), verifiers={"rootfs": verify}
        )
        pulled = second.get("rootfs")

    assert (pulled.status, checked) == ("pulled", [("pulled", "qemu-virt", {})])
