"""A stand-in recipe that builds one file and says which programs it needs."""

from dataclasses import dataclass
from typing import ClassVar

from pytest_quill.engine.backends.base import Toolchain
from pytest_quill.engine.meta import NoMeta, RecipeMeta


@dataclass(frozen=True)
class FreeMeta:
    """A stand-in's meta: any JSON object, as it is (the Meta protocol, no checks)."""

    facts: dict
    SCHEMA: ClassVar[int] = 1

    def to_json(self):
        return dict(self.facts)

    @classmethod
    def from_json(cls, data):
        return cls(dict(data))

    def environment(self):
        return {}


@dataclass(frozen=True)
class PartsMeta(RecipeMeta):
    """A stand-in's meta with one required field, checked as a recipe's is."""

    partitions: int


class Recipe:
    name, deps, version, evidence, runs_on = "sdcard", (), "1", (), "host"
    meta_type = NoMeta

    def __init__(self, tools=("sh",), needs=None):
        self.tools = tuple(tools)
        self.built = 0
        self.programs = self.tools if needs is None else tuple(needs)

    def needs(self, profile):
        return self.programs

    def toolchain(self, profile):
        return Toolchain()

    def fingerprint(self, profile, project_root):
        return {}

    def build(self, ctx):
        self.built += 1
        (ctx.out / "made").write_text("yes")
        return NoMeta()


class FilesRecipe:
    """A stand-in recipe that writes the given files (paths may be nested) and meta
    (a dict: a FreeMeta of it), and counts its builds: for what the cache and the
    registry do with an entry."""

    deps, version, evidence, runs_on, tools = (), "1", (), "host", ()

    def __init__(self, name: str, files: dict[str, bytes], meta, fingerprint=None):
        self.name, self.files = name, files
        self.meta = FreeMeta(meta) if isinstance(meta, dict) else meta
        self.meta_type = type(self.meta)
        self.inputs = fingerprint or {}
        self.built = 0

    def needs(self, profile):
        return ()

    def toolchain(self, profile):
        return Toolchain()

    def fingerprint(self, profile, project_root):
        return self.inputs

    def build(self, ctx):
        self.built += 1
        for rel, data in self.files.items():
            (ctx.out / rel).parent.mkdir(parents=True, exist_ok=True)
            (ctx.out / rel).write_bytes(data)
        return self.meta
