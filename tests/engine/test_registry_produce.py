"""build_or_reuse with a shared cache in a real registry (issue 27): a second machine's
empty cache pulls what the first one built and pushed, instead of building; a blob
tampered in the registry, a pulled entry its own verifier refuses, or a registry that is
down is one warning line, then a local build; pull-only never pushes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache, damage
from pytest_quill.engine.produce import build_or_reuse
from pytest_quill.engine.registry import open_registry
from pytest_quill.engine.registry_share import Sharing
from pytest_quill.profile import load_profile
from tests.support.recipes import FilesRecipe
from tests.support.registry import missing_tools, registry_server
from tests.support.services import free_tcp_port

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

PROJECT = Path(__file__).resolve().parents[2]
KEY = "5eed"


def card_recipe() -> FilesRecipe:
    """An image, a nested file and meta."""
    return FilesRecipe(
        "sdcard", {"card.img": b"\x55\xaa" * 50_000, "boot/boot.scr": b"bootm\n"}, {"partitions": 2}
    )


@pytest.fixture
def registry(tmp_path):
    with registry_server(tmp_path / "registry") as server:
        yield server


class Machine:
    """One machine's cache and log, sharing through REFERENCE in MODE."""

    def __init__(self, folder: Path, reference: str, mode: str, verify=None):
        self.folder, self.recipe = folder, card_recipe()
        self.warnings: list[str] = []
        self.transfers: list[tuple[str, str]] = []
        docker_config = folder / "docker-config"
        docker_config.mkdir(parents=True)
        shared = open_registry(reference, mode, environ={"DOCKER_CONFIG": str(docker_config)})
        self.sharing = Sharing(
            shared,
            verify=verify,
            on_transfer=lambda kind, transfer: self.transfers.append((kind, transfer.reference)),
        )

    def produce(self, rebuild: bool = False):
        return build_or_reuse(
            self.recipe,
            KEY,
            profile=load_profile("qemu-virt"),
            backend=HostBackend(),
            cache=Cache(self.folder / "cache"),
            deps={},
            log=self.folder / "sdcard.log",
            jobs=1,
            work_root=self.folder / "work",
            project_root=PROJECT,
            rebuild=rebuild,
            on_warning=self.warnings.append,
            sharing=self.sharing,
        )

    def log(self) -> str:
        return (self.folder / "sdcard.log").read_text()


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_second_machine_pulls_what_the_first_built_and_pushed(registry, tmp_path):
    first = Machine(tmp_path / "first", registry.repository(), "rw")
    second = Machine(tmp_path / "second", registry.repository(), "pull")

    built = first.produce()
    pulled = second.produce()

    reference = f"{registry.host}/quill/artifacts:sdcard-{KEY}"
    assert (built.status, first.recipe.built) == ("built", 1)
    assert first.transfers == [("pushed", reference)] and f"pushed sdcard {KEY}" in first.log()
    assert (pulled.status, second.recipe.built) == ("pulled", 0)
    assert second.transfers == [("pulled", reference)]
    assert files_of(pulled.path) == files_of(built.path) and damage(pulled.path) == ""
    assert pulled.meta.facts == {"partitions": 2}
    assert second.warnings == [] and f"pulled sdcard {KEY} from {reference}" in second.log()
    assert second.produce().status == "cached"  # and now it is this machine's


def test_a_tampered_blob_is_one_warning_then_a_local_build_never_pushed(registry, tmp_path):
    first = Machine(tmp_path / "first", registry.repository(), "rw")
    first.produce()
    image = registry.blob_file("sha256:" + hashlib_of(first, "card.img"))
    image.write_bytes(b"\x00" * image.stat().st_size)
    second = Machine(tmp_path / "second", registry.repository(), "pull")

    artifact = second.produce()

    assert (artifact.status, second.recipe.built) == ("built", 1)
    assert files_of(artifact.path)["card.img"] == b"\x55\xaa" * 50_000
    assert len(second.warnings) == 1 and "\n" not in second.warnings[0]
    assert "card.img differs from the sha256 in its manifest" in second.warnings[0]
    assert second.warnings[0].endswith("building it here")
    assert second.transfers == []  # pull-only: the local build is not pushed either


def hashlib_of(machine: Machine, title: str) -> str:
    import hashlib

    entry = Cache(machine.folder / "cache").entry("sdcard", KEY)
    return hashlib.sha256((entry / title).read_bytes()).hexdigest()


def test_a_pulled_entry_its_own_verifier_refuses_is_not_used(registry, tmp_path):
    Machine(tmp_path / "first", registry.repository(), "rw").produce()
    seen = []

    def verify(artifact, deps):
        seen.append((artifact.status, (artifact.path / "card.img").stat().st_size))
        return ["card.img: no partition table", "boot.scr: not a U-Boot script"]

    second = Machine(tmp_path / "second", registry.repository(), "rw", verify=verify)

    artifact = second.produce()

    assert seen == [("pulled", 100_000)]
    assert (artifact.status, second.recipe.built) == ("built", 1)
    assert second.warnings == [
        (
            f"warning: {registry.host}/quill/artifacts:sdcard-{KEY}: pulled, but its verifier "
            f"refuses it (card.img: no partition table; boot.scr: not a U-Boot script); not used, "
            f"building it here"
        )
    ]


def test_a_registry_that_is_down_is_one_warning_then_a_local_build(tmp_path):
    reference = f"127.0.0.1:{free_tcp_port()}/quill"
    machine = Machine(tmp_path / "machine", reference, "rw")

    artifact = machine.produce()

    assert (artifact.status, machine.recipe.built) == ("built", 1)
    said = f"warning: {reference}:sdcard-{KEY}: "
    assert [line.removeprefix(said) for line in machine.warnings] == [
        "pulling failed: connection refused: is the registry running?; building it here",
        "pushing failed: connection refused: is the registry running?",
    ]


def test_a_forced_rebuild_does_not_pull(registry, tmp_path):
    Machine(tmp_path / "first", registry.repository(), "rw").produce()
    second = Machine(tmp_path / "second", registry.repository(), "rw")

    artifact = second.produce(rebuild=True)

    assert (artifact.status, second.recipe.built) == ("built", 1)
    assert [kind for kind, _ in second.transfers] == ["pushed"]
    assert json.loads((artifact.path / "meta.json").read_text()) == {"schema": 1, "partitions": 2}
