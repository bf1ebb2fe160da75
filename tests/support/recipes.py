"""A stand-in recipe that builds one file and says which programs it needs."""

from pytest_quill.engine.backends.base import Toolchain


class Recipe:
    name, deps, version, evidence, runs_on = "sdcard", (), "1", (), "host"

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
        return {}


class FilesRecipe:
    """A stand-in recipe that writes the given files (paths may be nested) and meta,
    and counts its builds: for what the cache and the registry do with an entry."""

    deps, version, evidence, runs_on, tools = (), "1", (), "host", ()

    def __init__(self, name: str, files: dict[str, bytes], meta: dict, fingerprint=None):
        self.name, self.files, self.meta = name, files, meta
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
        return dict(self.meta)
