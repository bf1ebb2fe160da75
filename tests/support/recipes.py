"""A stand-in recipe that builds one file and says which programs it needs, and
build_here: the engine's build_or_reuse of a recipe with everything under one folder."""

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pytest_quill.engine.backends.base import Toolchain
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache
from pytest_quill.engine.meta import NoMeta, RecipeMeta
from pytest_quill.engine.produce import build_or_reuse
from pytest_quill.profile import load_profile


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


PROJECT = Path(__file__).resolve().parents[2]


def build_here(folder: Path, recipe, key: str, log_name: str, warnings: list[str] | None = None, **options):
    """build_or_reuse of RECIPE as KEY for the qemu-virt profile on the host, its cache,
    work tree and log (LOG_NAME) under FOLDER; its warnings appended to WARNINGS."""
    return build_or_reuse(
        recipe,
        key,
        profile=load_profile("qemu-virt"),
        backend=HostBackend(),
        cache=Cache(folder / "cache"),
        deps={},
        log=folder / log_name,
        jobs=1,
        work_root=folder / "work",
        project_root=PROJECT,
        on_warning=None if warnings is None else warnings.append,
        **options,
    )
