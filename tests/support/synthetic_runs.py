"""A synthetic MVP for the mechanism's tests: artifacts that sleep and write a file,
declared with the real MVP's build and card gates.

Each build appends its name to $QUILL_TEST_LEDGER, so a test can count attempts.
"""

CONFTEST = """
import os, time
from dataclasses import dataclass
from pytest_quill.engine.meta import RecipeMeta
from pytest_quill.engine.recipe import Toolchain
from pytest_quill.errors import BuildError
from pytest_quill.mvp import build_gate

SPEC = {spec}

@dataclass(frozen=True)
class Made(RecipeMeta):
    made: str

class Sleepy:
    version = "1"
    tools = ()
    evidence = ()
    runs_on = "any"
    meta_type = Made

    def __init__(self, name, secs, deps=(), fails=False):
        self.name, self.secs, self.deps, self.fails = name, secs, tuple(deps), fails

    def needs(self, profile):
        return self.tools

    def toolchain(self, profile):
        return Toolchain()

    def fingerprint(self, profile, project_root):
        return {{"secs": self.secs, "fails": self.fails}}

    def build(self, ctx):
        with open(os.environ["QUILL_TEST_LEDGER"], "a") as ledger:
            ledger.write(self.name + "\\n")
        ctx.note("working")
        time.sleep(self.secs)
        if self.fails:
            ctx.run(["sh", "-c", "echo 'drivers/squireos/jester.c:42:7: error: boom'; exit 2"])
        (ctx.out / "payload.txt").write_text(self.name)
        return Made(self.name)

def artifacts_gate(run):
    if run.artifact("kernel").file("payload.txt").read_text() != "kernel":
        raise BuildError("kernel payload wrong")

def convergence_gate(run):
    run.artifact("sdcard")

def pytest_quill_declare(plan):
    plan.artifact(Sleepy("kernel", **SPEC["kernel"]), fixture="kernel_uimage")
    plan.artifact(Sleepy("rootfs", **SPEC["rootfs"]), fixture="rootfs_tarball")
    plan.artifact(Sleepy("sdcard", 0.2, deps=("kernel", "rootfs")), fixture="sd_card")
    plan.gate(1, "build", needs=("kernel", "rootfs"))(build_gate)
    plan.gate(2, "artifacts")(artifacts_gate)
    plan.gate(3, "convergence", needs=("sdcard",))(convergence_gate)
"""

TESTS = """
import pytest

def test_kernel_builds(kernel_uimage):
    assert kernel_uimage.file("payload.txt").read_text() == "kernel"

def test_rootfs_builds(rootfs_tarball):
    assert rootfs_tarball.file("payload.txt").read_text() == "rootfs"

@pytest.mark.gate(2)
@pytest.mark.parametrize("n", range(6))
def test_after_artifacts(n, kernel_uimage, rootfs_tarball):
    assert kernel_uimage.meta.made == "kernel"

@pytest.mark.gate(3)
@pytest.mark.parametrize("n", range(4))
def test_on_card(n, sd_card):
    assert sd_card.file("payload.txt").read_text() == "sdcard"
"""


def make_project(pytester, monkeypatch, kernel=None, rootfs=None, tests=TESTS):
    spec = {"kernel": kernel or {"secs": 1.5}, "rootfs": rootfs or {"secs": 1.5}}
    pytester.makeconftest(CONFTEST.format(spec=repr(spec)))
    pytester.makepyfile(test_plan=tests)
    ledger = pytester.path / "ledger.txt"
    ledger.touch()
    monkeypatch.setenv("QUILL_TEST_LEDGER", str(ledger))
    return ledger


def run(pytester, *args):
    cache = pytester.path / "cache"
    return pytester.runpytest_subprocess(
        "--quill-backend", "host", "--quill-cache", str(cache), "-p", "no:cacheprovider", "-rs", *args
    )


def run_with_cache(pytester, *args):
    """As run, with pytest's cache provider on (--lf, --ff and what plugins keep there)."""
    return pytester.runpytest_subprocess(
        "--quill-backend",
        "host",
        "--quill-cache",
        str(pytester.path / "cache"),
        "-p",
        "no:randomly",
        "-rs",
        *args,
    )


def record(pytester) -> dict:
    import json

    return json.loads((pytester.path / "reports" / "quill-run.json").read_text())
