"""A real Allure 3 report of a small real pytest session, opened in Chromium.

The session is a miniature of suites/ (one file per stream, labels applied the
way the plugin applies them); the report is one file, opened from file://.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_quill.report import allure as quill_allure
from pytest_quill.report import gantt, html
from pytest_quill.report.browser import rendered_dom

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]

SESSION = {
    "conftest.py": """
from pathlib import Path
from pytest_quill.report import allure as quill_allure

def pytest_configure(config):
    config.addinivalue_line("markers", "gate(n): needs gate n")

# The plan's streams (Plan.stream_of), as the Nook plan declares them.
STREAMS = {"a_kernel": "A kernel", "b_rootfs": "B rootfs", "c_bench": "C bench",
           "d_integration": "D integration"}

def pytest_collection_modifyitems(items):
    for item in items:
        stream = STREAMS.get(item.nodeid.split("/")[1]) if "/" in item.nodeid else None
        for mark in quill_allure.label_marks(item.nodeid, item.iter_markers(), stream):
            item.add_marker(mark)

def pytest_sessionfinish(session):
    quill_allure.attach_run_file(Path(session.config.rootpath, "gantt.svg"), "run gantt", "svg")
    quill_allure.attach_run_file(Path(session.config.rootpath, "qemu-virt.toml"), "profile", "toml")
""",
    "suites/a_kernel/test_a1_config.py": """
import pytest
from pytest_quill.report import allure as quill_allure

def test_squireos_symbols(tmp_path):
    log = tmp_path / "kernel.log"
    log.write_text("CONFIG_SQUIREOS=m\\n")
    assert quill_allure.attach_file(log, "kernel build log", "log")

@pytest.mark.gate(2)
def test_uimage_header():
    pytest.skip("gate 1 (build) closed: make zImage: error: squireos.c:3 (log: kernel.log)")
""",
    "suites/b_rootfs/test_b1_debian.py": """
def test_rootfs_arch():
    assert "armel" == "armhf"
""",
    "suites/c_bench/test_c1_tools.py": """
from pytest_quill.errors import BenchError

def test_qemu_present():
    raise BenchError("qemu-system-arm: not found on PATH")
""",
    "suites/d_integration/test_d4_boot.py": """
import pytest

@pytest.mark.gate(4)
def test_shell_prompt():
    pytest.skip("gate 4 (boot) closed: no shell prompt within 30 s (log: console.log)")
""",
}

TESTS = (
    "test_squireos_symbols",
    "test_uimage_header",
    "test_rootfs_arch",
    "test_qemu_present",
    "test_shell_prompt",
)


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Path:
    """The miniature session's folder, holding allure-results and allure-report."""
    root = tmp_path_factory.mktemp("session")
    for name, text in SESSION.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    shutil.copy(PROJECT / "hardware_profiles" / "qemu-virt.toml", root)
    gantt.write(
        {
            "workers": 1,
            "started": 0.0,
            "finished": 2.0,
            "tests": [{"nodeid": "t", "start": 0.0, "end": 1.0, "stream": "A kernel"}],
        },
        root / "gantt.svg",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:quill",
            "-p",
            "no:cacheprovider",
            "--alluredir",
            "allure-results",
            "suites",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 passed" in done.stdout and "2 skipped" in done.stdout, done.stdout + done.stderr
    quill_allure.write_run_files(root / "allure-results", {"backend": "host", "workers": 1}, "qemu-virt", {})
    subprocess.run(
        [str(PROJECT / "scripts" / "report.sh"), str(root / "allure-results"), str(root / "allure-report")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


def test_browser_shows_the_streams_and_their_tests(session):
    assert (session / "allure-report" / "index.html").is_file()
    dom = rendered_dom(session / "allure-report", until=">D integration<")
    for stream in ("A kernel", "B rootfs", "C bench", "D integration"):
        assert f">{stream}<" in dom, f"stream {stream} not in the rendered tree"
    # failed and broken groups open by themselves, showing their file and test
    for shown in (
        "test_b1_debian",
        "test_rootfs_arch",
        "test_c1_tools",
        "test_qemu_present",
        "pytest-quill: Nook typewriter MVP",
    ):
        assert shown in dom


def test_failures_are_sorted_by_whose_problem_they_are(session):
    tree = json.loads(html.embedded(session / "allure-report" / "index.html", "widgets/categories.json"))
    by_category = {
        node["name"]: node["statistic"] for node in tree["nodes"].values() if node["type"] == "category"
    }
    assert by_category == {
        "Bench / infrastructure": {"total": 1, "broken": 1},
        "Build (artifact not made or not verified)": {"total": 1, "skipped": 1},
        "Boot (no shell, panic, reset)": {"total": 1, "skipped": 1},
        "Product defect": {"total": 1, "failed": 1},
    }


def test_results_carry_labels_environment_and_attachments(session):
    results = session / "allure-results"
    tests = {r["name"]: r for r in map(json.loads, map(Path.read_text, results.glob("*-result.json")))}
    assert sorted(tests) == sorted(TESTS)
    labels = {name: {(label["name"], label["value"]) for label in r["labels"]} for name, r in tests.items()}
    assert {("feature", "D integration"), ("story", "D4"), ("tag", "gate 4")} <= labels["test_shell_prompt"]
    attached = tests["test_squireos_symbols"]["attachments"]
    assert [a["name"] for a in attached] == ["kernel build log"]
    assert (results / attached[0]["source"]).read_text() == "CONFIG_SQUIREOS=m\n"
    run_level = [a for g in results.glob("*-globals.json") for a in json.loads(g.read_text())["attachments"]]
    assert sorted((a["name"], a["type"], Path(a["source"]).suffix) for a in run_level) == [
        ("profile", "text/plain", ".toml"),
        ("run gantt", "image/svg+xml", ".svg"),
    ]
    environment = json.loads(
        html.embedded(session / "allure-report" / "index.html", "widgets/allure_environment.json")
    )
    assert {"name": "profile", "values": ["qemu-virt"]} in environment
