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
