"""An artifact's meta.json: the facts its build recorded (a kernel's release, a
rootfs's sha256, a card's layout), and the one place that writes and reads it.

Each recipe declares its meta as a frozen dataclass of its own package (KernelMeta
in kernel/meta.py, ...): the engine knows only the Meta protocol. On disk the file is
the meta's fields plus "schema", the version of that recipe's meta shape:

    {"schema": 1, "release": "6.1.192-quill", "modules": [...], ...}

A meta.json that is not JSON, of another schema or missing a field is BadMeta, one
line naming the file; the cache takes such an entry for a miss and builds it again,
a pulled copy is refused. A meta.json without "schema" was written before the version
was: it is read as schema 1 (the shape then), its fields checked all the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

from ..typed_json import CorruptRecord, Entry, Json, read_as

META = "meta.json"
SCHEMA_KEY = "schema"
UNVERSIONED = 1  # the schema of a meta.json written before "schema" was


class Meta(Protocol):
    """What the engine asks of a recipe's meta."""

    SCHEMA: ClassVar[int]  # its shape's version: bumped when a reader of the old would misread it

    def to_json(self) -> Json:
        """Its fields as JSON (without "schema"): what a dependent's key hashes."""

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """DATA (to_json's form) as the meta; CorruptRecord naming the first bad value."""

    def environment(self) -> dict[str, str]:
        """What the report's environment shows of it (ARTIFACT.KEY = value)."""


M = TypeVar("M", bound=Meta)


class RecipeMeta(Entry):
    """A base for a recipe's meta dataclass: schema 1, every field read and written
    by typed_json (a field without a default is required), nothing in the report."""

    SCHEMA: ClassVar[int] = 1

    @classmethod
    def from_json(cls, data: Json) -> Self:
        return read_as(cls, data, f"{cls.__name__}.")

    def environment(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class NoMeta(RecipeMeta):
    """The meta of a recipe that records nothing beyond its files."""


class BadMeta(ValueError):
    """A meta.json that cannot be trusted, in one line: "PATH: what is wrong"."""


def meta_json(meta: Meta) -> Json:
    """META as meta.json holds it: its schema, then its fields."""
    return {SCHEMA_KEY: meta.SCHEMA, **meta.to_json()}


def write_meta(folder: Path, meta: Meta) -> None:
    (folder / META).write_text(json.dumps(meta_json(meta), indent=1, sort_keys=True))


def read_meta(folder: Path, kind: type[M], where: str = "") -> M:
    """FOLDER's meta.json as KIND; BadMeta naming the file (or WHERE) when it is missing,
    not JSON, of another schema or corrupt."""
    path = folder / META
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadMeta(f"{where or path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BadMeta(f"{where or path}: not JSON ({error})") from None
    return meta_of(data, kind, where or str(path))


def meta_of(data: Any, kind: type[M], where: str) -> M:
    """DATA (meta.json's form) as KIND; BadMeta "WHERE: what is wrong"."""
    if not isinstance(data, dict):
        raise BadMeta(f"{where}: not a JSON object")
    version = data.get(SCHEMA_KEY, UNVERSIONED)
    if version != kind.SCHEMA:
        raise BadMeta(f"{where}: {kind.__name__} schema {version!r}, this pytest-quill reads {kind.SCHEMA}")
    try:
        return kind.from_json({name: value for name, value in data.items() if name != SCHEMA_KEY})
    except CorruptRecord as error:
        raise BadMeta(f"{where}: corrupt ({error})") from None
