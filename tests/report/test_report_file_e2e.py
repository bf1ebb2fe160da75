"""The report of a real run (a small plan with a boot gate, under xdist), made by
the plugin itself at the end of the run as one file, opened from file:// in
headless Chromium: the gates' decisions, the boot with its console log and
stages, and the run's real duration are there for a reader."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_quill.report.browser import rendered_dom, visible_text
from tests.support.run_output import why_red

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]

CONFTEST = """
import time
from pytest_quill.engine.meta import NoMeta
from pytest_quill.engine.recipe import Toolchain
from pytest_quill.mvp import build_gate

class Quick:
    version = "1"
    tools = ()
    evidence = ()
    runs_on = "any"
    meta_type = NoMeta
    deps = ()

    def __init__(self, name):
        self.name = name

    def needs(self, profile):
        return ()

    def toolchain(self, profile):
        return Toolchain()

    def fingerprint(self, profile, project_root):
        return NoMeta()

    def build(self, ctx):
        ctx.run(["sh", "-c", "sleep 1"], step="compile")
        (ctx.out / "payload.txt").write_text(self.name)
        return NoMeta()

CONSOLE = (b"U-Boot 2023.01\\r\\nStarting kernel ...\\r\\nSquireOS: the jester joins the court\\r\\n"
           b"QUILL-SH# \\x1b[6necho 'QB''t1'; cat /proc/squireos/motto; echo 'QE''t1' $?\\r\\n"
           b"QBt1\\r\\nBy quill and candlelight\\r\\nQEt1 0\\r\\n")

def boot_gate(run):
    start = time.time()
    log = run.state.logs / f"console-first-boot-{run.worker}.log"
    log.write_bytes(CONSOLE)
    time.sleep(1)
    run.state.event("boot", start=start, end=time.time(), boot_time_s=1.02, budget_s=20.0,
                    stages={"bootloader": 0.11, "linux": 0.52, "shell": 1.02}, log=str(log))

def pytest_collection_finish(session):
    time.sleep(2)  # time the run spends outside any test's own result

def pytest_quill_declare(plan):
    plan.artifact(Quick("kernel"), fixture="kernel_uimage")
    plan.artifact(Quick("rootfs"), fixture="rootfs_tarball")
    plan.gate(1, "build", needs=("kernel", "rootfs"))(build_gate)
    plan.gate(4, "boot")(boot_gate)
"""

TESTS = """
import pytest

@pytest.fixture
def cleaned_up():
    yield "x"

@pytest.mark.gate(4)
@pytest.mark.parametrize("n", range(3))
def test_after_the_boot(n, kernel_uimage, cleaned_up):
    assert kernel_uimage.file("payload.txt").read_text() == "kernel"
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-run")
    (root / "conftest.py").write_text(CONFTEST)
    (root / "test_plan.py").write_text(TESTS)
    (root / "node_modules").symlink_to(PROJECT / "node_modules")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "--quill-backend",
            "host",
            "--quill-cache",
            str(root / "cache"),
            "--alluredir",
            "allure-results",
            "--rootdir",
            str(root),
            f"--quill-profile={PROJECT / 'hardware_profiles' / 'qemu-virt.toml'}",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, why_red(done.stdout) + done.stderr[-2000:]
    return root, done.stdout


def tree_ids(dom: str) -> dict[str, str]:
    """Each result's title in the report's tree -> its id (the page's #fragment)."""
    return {
        visible_text(body): node
        for node, body in re.findall(r'data-tree-node-id="([0-9a-f]+)"((?:(?!</button>).)*)</button>', dom)
    }


def result_page(report: Path, ids: dict[str, str], title: str) -> str:
    node = next(node for shown, node in ids.items() if title in shown)
    return visible_text(rendered_dom(report, fragment=f"#{node}", until="decision"))


def test_the_summary_prints_where_the_report_is(run):
    root, out = run
    assert "report: allure-report/index.html (one file: open it in a browser)" in out
    assert (root / "allure-report" / "index.html").is_file()
    assert not (root / "allure-report" / "widgets").exists()  # one file, nothing beside it to load


def test_the_report_opened_from_disk_shows_the_gates_and_the_runs_real_duration(run):
    root, _ = run
    dom = rendered_dom(root / "allure-report", until="quill run: timeline")
    text = visible_text(dom)
    for shown in ("quill gate 1 (build)", "quill gate 4 (boot)", "quill run: timeline"):
        assert shown in text, text[:2000]
    took = re.search(r"\((?:(\d+)m )?(\d+)s (\d+)ms\)", text)
    assert took, text[:1000]
    shown_s = int(took.group(1) or 0) * 60 + int(took.group(2)) + int(took.group(3)) / 1000
    record = json.loads((root / "reports" / "quill-run.json").read_text())
    wall = record["finished"] - record["started"]
    assert wall > 2 and shown_s >= wall - 0.5, (shown_s, wall)


def test_the_boot_gates_result_carries_the_boot_its_stages_and_console_log(run):
    root, _ = run
    report = root / "allure-report"
    ids = tree_ids(rendered_dom(report, until="data-tree-node-id"))
    page = result_page(report, ids, "quill gate 4 (boot)")
    for shown in (
        "decision",
        "open",
        "first boot: shell in 1.02 s (budget 20.0 s)",
        "first boot: stage times",
        "first boot: whole console log",
    ):
        assert shown in page, page[:3000]
    gate_1 = result_page(report, ids, "quill gate 1 (build)")
    assert "decision" in gate_1 and "took" in gate_1


def test_the_results_name_every_teardown_and_clean_the_console(run):
    root, _ = run
    results = root / "allure-results"
    containers = " ".join(p.read_text() for p in results.glob("*-container.json"))
    assert "<lambda>" not in containers and "cleaned_up::teardown" in containers
    console = [
        p.read_text() for p in results.glob("*-attachment.txt") if "By quill and candlelight" in p.read_text()
    ]
    assert console and all("QB" not in text and "\x1b" not in text for text in console)
    assert any("$ cat /proc/squireos/motto" in text for text in console)
