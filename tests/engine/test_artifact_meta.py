"""An artifact's meta.json is its recipe's typed meta (engine/meta.py, issue 25 item 1):
written with its schema, read back as the recipe's class. A cached entry whose meta.json
is not JSON, of another schema or missing a field is one warning line naming the file,
then a build whose entry replaces it; a pulled one is refused the same way. Each
recipe's meta survives the round trip, and the entries written before meta.json had a
schema are still read (as schema 1), with the same dependency identity."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from benchmarks.synthetic_inputs import kernel_meta, rootfs_meta
from pytest_quill.card.meta import CardMeta
from pytest_quill.engine.cache import record_sums
from pytest_quill.engine.context import Artifact
from pytest_quill.engine.meta import META, BadMeta, NoMeta, meta_json, read_meta, write_meta
from pytest_quill.engine.produce import dep_identity
from pytest_quill.engine.registry_share import Sharing
from tests.support.recipes import FilesRecipe, PartsMeta, build_here

KEY = "m1"

CARD = CardMeta(
    size_bytes=64 << 20,
    data_bytes=1 << 20,
    partitions=({"number": 1, "fs": "fat16", "start": 1 << 20, "size": 32 << 20, "bootable": True},),
    boot_files=("uImage", "boot.scr"),
    release="6.1.0-quill",
    boot_script_uboot={"checked": False, "why": "no U-Boot named"},
)
KERNEL = kernel_meta(
    vmlinux={"entry": "0xc0008000", "sections": [{"name": ".text", "address": "0xc0008000", "size": 4}]},
    uimage={"load": "0x40008000", "size": 4},
    sizes={"uImage": 68, "zImage": 4},
    kconfig_chain=("Kconfig", "drivers/squireos/Kconfig"),
    ccache=True,
)
ROOTFS = rootfs_meta(packages=("busybox-static 1:1.35.0-4 armhf",), libc_min_kernel="3.2.0")


@pytest.mark.parametrize("meta", [KERNEL, ROOTFS, CARD, NoMeta()], ids=lambda m: type(m).__name__)
def test_each_meta_survives_meta_json_unchanged(meta, tmp_path):
    write_meta(tmp_path, meta)
    on_disk = json.loads((tmp_path / META).read_text())
    assert on_disk == {"schema": 1, **meta.to_json()}
    again = read_meta(tmp_path, type(meta))
    assert again == meta and again.to_json() == meta.to_json()


def test_a_meta_json_written_before_the_schema_is_read_as_schema_1_with_the_same_identity(tmp_path):
    """The warm caches of older versions stay valid: nothing rebuilds, no key changes."""
    old = KERNEL.to_json()  # what the kernel recipe wrote before meta.json had "schema"
    (tmp_path / META).write_text(json.dumps(old, indent=1, sort_keys=True))
    read = read_meta(tmp_path, type(KERNEL))
    assert read == KERNEL
    before = json.dumps(old, sort_keys=True, default=str)
    assert json.dumps(read.to_json(), sort_keys=True, default=str) == before
    kernel = Artifact("kernel", "k", tmp_path, "cached", tmp_path / "log", read)
    assert dep_identity(kernel).startswith("k:")


def test_the_kernel_and_the_card_show_their_release_in_the_report():
    assert KERNEL.environment() == {"release": "6.1.0-quill"} == CARD.environment()
    assert ROOTFS.environment() == {}


BAD = {
    "not JSON": ('{"schema": 1, "partitions": ', r"not JSON \("),
    "another schema": (
        '{"schema": 7, "partitions": 2}',
        "PartsMeta schema 7, this pytest-quill reads 1",
    ),
    "a missing field": ('{"schema": 1}', r"corrupt \(PartsMeta: no 'partitions'\)"),
    "a wrong type": (
        '{"schema": 1, "partitions": "two"}',
        r"corrupt \(PartsMeta.partitions: 'two' is not int\)",
    ),
    "no object": ("[2]", "not a JSON object"),
}


@pytest.mark.parametrize("text, said", BAD.values(), ids=BAD.keys())
def test_reading_a_bad_meta_json_is_one_line_naming_the_file(text, said, tmp_path):
    (tmp_path / META).write_text(text)
    with pytest.raises(BadMeta) as raised:
        read_meta(tmp_path, PartsMeta)
    assert str(raised.value).startswith(f"{tmp_path / META}: ")
    assert "\n" not in str(raised.value)
    assert re.search(said, str(raised.value))


def produce(tmp_path: Path, recipe: FilesRecipe, warnings: list[str], sharing=None):
    return build_here(tmp_path, recipe, KEY, "sdcard.log", warnings, sharing=sharing)


def card_recipe() -> FilesRecipe:
    return FilesRecipe("sdcard", {"card.img": b"\x55\xaa" * 512}, PartsMeta(2))


@pytest.mark.parametrize("text, said", BAD.values(), ids=BAD.keys())
def test_a_cached_entry_with_a_bad_meta_json_is_built_again_not_trusted(text, said, tmp_path):
    recipe, warnings = card_recipe(), []
    entry = produce(tmp_path, recipe, warnings).path
    (entry / META).write_text(text)
    record_sums(entry)  # its sums agree: only the meta is wrong (an older or newer writer's)

    again = produce(tmp_path, recipe, warnings)

    assert (again.status, recipe.built, again.meta) == ("built", 2, PartsMeta(2))
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(f"warning: the cached sdcard {KEY} is not trusted ({entry / META}: ")
    assert warnings[0].endswith(f"; building it again: {entry}")
    assert re.search(said, warnings[0])
    assert json.loads((entry / META).read_text()) == meta_json(PartsMeta(2))
    assert warnings[0] in (tmp_path / "sdcard.log").read_text()
    assert produce(tmp_path, recipe, warnings).status == "cached" and len(warnings) == 1


class FakeRegistry:
    """A registry holding one entry, whose meta.json is TEXT (pull-only: never pushed)."""

    mode = "pull"
    target = SimpleNamespace(reference=lambda name, key: f"registry.test/quill:{name}-{key}")

    def __init__(self, text: str):
        self.text = text

    def pull(self, name: str, key: str, folder: Path):
        (folder / "card.img").write_bytes(b"\x55\xaa" * 512)
        (folder / META).write_text(self.text)
        record_sums(folder)
        return SimpleNamespace(reference=self.target.reference(name, key), files=2, bytes=1024, seconds=0.1)


@dataclass(frozen=True)
class NewerParts(PartsMeta):
    SCHEMA: ClassVar[int] = 2


@pytest.mark.parametrize("text, said", BAD.values(), ids=BAD.keys())
def test_a_pulled_entry_with_a_bad_meta_json_is_refused_and_built_here(text, said, tmp_path):
    recipe, warnings, verified = card_recipe(), [], []
    sharing = Sharing(FakeRegistry(text), verify=lambda artifact, deps: verified.append(artifact) or [])

    made = produce(tmp_path, recipe, warnings, sharing)

    assert (made.status, recipe.built, verified) == ("built", 1, [])
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(f"warning: registry.test/quill:sdcard-{KEY}: {META}: ")
    assert warnings[0].endswith("; pulled, but not used: building it here")
    assert re.search(said, warnings[0])


def test_a_pulled_entry_with_a_good_meta_json_is_read_as_the_recipes_meta(tmp_path):
    recipe, warnings = card_recipe(), []
    sharing = Sharing(FakeRegistry(json.dumps(meta_json(PartsMeta(3)))))

    made = produce(tmp_path, recipe, warnings, sharing)

    assert (made.status, recipe.built, made.meta, warnings) == ("pulled", 0, PartsMeta(3), [])
    assert made.path == tmp_path / "cache" / "sdcard" / KEY


def test_an_entry_of_a_newer_schema_is_not_read_by_an_older_reader(tmp_path):
    write_meta(tmp_path, NewerParts(2))
    with pytest.raises(BadMeta, match="PartsMeta schema 2, this pytest-quill reads 1"):
        read_meta(tmp_path, PartsMeta)
    assert read_meta(tmp_path, NewerParts) == NewerParts(2)
