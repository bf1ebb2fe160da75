"""What `make test`'s real run of `pytest -n 3 suites/` left: read back, judged.

These run after that run (Makefile: the suites, then `pytest -m e2e`) and
check its record, so a skipped gate or a silently cached failure shows here.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from pytest_quill.report.browser import rendered_dom
from tests.support.child_runs import pytest_argv
from tests.support.run_output import why_red

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "reports" / "quill-run.json"


@pytest.fixture(scope="module")
def main_run():
    if not RECORD.is_file():
        pytest.fail(f"{RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    return json.loads(RECORD.read_text())


def test_main_run_opened_every_gate(main_run):
    gates = {g["number"]: (g["open"], g["reason"]) for g in main_run["gates"]}
    assert gates == {1: (True, ""), 2: (True, ""), 3: (True, ""), 4: (True, "")}


# The only test of the suites that cannot apply to a QEMU bench: a real card.
NEEDS_A_REAL_CARD = "suites/d_integration/test_d1_verify.py::test_real_card_is_written_and_reads_back_equal"


def test_main_run_passed_every_suite_test_with_none_skipped(main_run):
    outcomes = {t["nodeid"]: (t["outcome"], t.get("reason", "")) for t in main_run["tests"]}
    assert len(outcomes) >= 20
    assert outcomes.pop(NEEDS_A_REAL_CARD)[1].startswith("no --quill-sd-device given")
    assert {nodeid: o for nodeid, o in outcomes.items() if o[0] != "passed"} == {}
    gates = sorted(nodeid for nodeid in outcomes if not nodeid.startswith("suites/"))
    assert gates == [
        "::quill check: bench (hardware)",
        "::quill gate 1 (build)",
        "::quill gate 2 (artifacts)",
        "::quill gate 3 (convergence)",
        "::quill gate 4 (boot)",
    ]
    streams = {nodeid.split("/")[1] for nodeid in outcomes if nodeid.startswith("suites/")}
    assert streams == {"a_kernel", "b_rootfs", "c_bench", "d_integration"}


def test_main_run_made_each_artifact_once(main_run):
    names = sorted(a["name"] for a in main_run["artifacts"])
    assert names == ["kernel", "rootfs", "sdcard"]
    assert all(a["status"] in ("built", "cached") for a in main_run["artifacts"])
    # CI starts a Docker engine (make docker): there the kernel must come from it.
    assert main_run["backend"] == ("docker" if os.environ.get("CI") else main_run["backend"])
    assert main_run["backend"] in ("docker", "host")


def test_independent_artifacts_built_side_by_side_when_both_were_built(main_run):
    arts = {a["name"]: a for a in main_run["artifacts"]}
    kernel, rootfs = arts["kernel"], arts["rootfs"]
    if kernel["status"] != "built" or rootfs["status"] != "built":
        pytest.skip("kernel or rootfs came from the cache in that run: nothing ran side by side")
    assert kernel["worker"] != rootfs["worker"]
    assert kernel["start"] < rootfs["end"] and rootfs["start"] < kernel["end"]


def test_the_other_workers_devices_started_from_the_judged_boots_kept_state(main_run):
    state = Path(main_run["boot"]["state"])
    assert state.name == "disk.qcow2" and state.parent.parent.name == "snapshots", state
    logs = Path(main_run["run_dir"]) / "logs"
    judged = Path(main_run["boot"]["log"]).name.removesuffix(".log")
    others = [log for log in logs.glob("console-tests-*.qemu.log") if not log.name.startswith(judged)]
    assert others, f"no other worker's device in {logs}"
    for log in others:  # QEMU's command heads its log: each started from the kept state, no boot
        assert " -loadvm quill" in log.read_text().splitlines()[0], log
        assert b"U-Boot 20" not in log.with_suffix("").with_suffix(".log").read_bytes()


def test_main_run_recorded_the_first_boot_and_the_metrics(main_run):
    assert 0 < main_run["boot"]["boot_time_s"] < 120
    assert list(main_run["boot"]["stages"])[-1] == "shell"
    metrics = main_run["metrics"]
    assert metrics["wall_s"] > 0 and metrics["sequential_s"] > 0
    assert 0 <= metrics["utilization"] <= 1


def test_second_run_reuses_every_artifact(tmp_path):
    done = subprocess.run(
        pytest_argv("-n", "3", "suites/", reports=tmp_path / "reports"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, why_red(done.stdout)
    second = json.loads((tmp_path / "reports" / "quill-run.json").read_text())
    assert {a["name"]: a["status"] for a in second["artifacts"]} == {
        "kernel": "cached",
        "rootfs": "cached",
        "sdcard": "cached",
    }
    for art in second["artifacts"]:
        assert (ROOT / art["log"]).read_text().startswith("cache hit:"), art["log"]


def test_the_runs_allure_report_shows_every_stream_in_a_browser():
    report = ROOT / "reports" / "allure-report"
    assert (report / "index.html").is_file(), "make report (scripts/report.sh) made no report"
    dom = rendered_dom(report, until=">D integration<")
    for stream in ("A kernel", "B rootfs", "C bench", "D integration"):
        assert f">{stream}<" in dom, f"stream {stream} not in the rendered report"


def test_the_runs_allure_results_carry_run_files_and_stream_labels():
    results = ROOT / "reports" / "allure-results"
    environment = (results / "environment.properties").read_text()
    assert "profile=qemu-virt" in environment
    categories = {c["name"] for c in json.loads((results / "categories.json").read_text())}
    assert len(categories) >= 5
    features = set()
    for path in results.glob("*-result.json"):
        labels = json.loads(path.read_text())["labels"]
        features |= {label["value"] for label in labels if label["name"] == "feature"}
    assert features == {"A kernel", "B rootfs", "C bench", "D integration"}


def test_the_runs_allure_results_hold_the_evidence():
    """Build logs, the artifacts' facts and named files, and each device test's console."""
    texts = "".join(p.read_text() for p in (ROOT / "reports" / "allure-results").glob("*.json"))
    for name in (
        "kernel: build log",
        "kernel: facts (meta.json)",
        "kernel: config",
        "rootfs: manifest.tsv",
        "sdcard: layout.json",
        "sdcard: boot.cmd",
        "console during this test",
        "hardware profile",
        "run gantt",
    ):
        assert f'"name": "{name}"' in texts, name
