"""A whole run whose QEMU is killed once during the first boot (#26, items 1-2):
with bench.attempts = 2 the boot gate opens at the second attempt, the run
passes, and the record, the terminal summary, JUnit (a property) and Allure (its
flaky flag) say the boot was flaky, with the first attempt's cause and log. With
the default of one attempt the same fault closes gate 4 as the bench's.

Reuses the artifacts of the last `pytest -n 3 suites/` run (make test runs it
first); built here otherwise."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
FIRST_BOOT = "suites/d_integration/test_d2_first_boot.py"


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found - {pid}


def is_qemu(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("qemu-system")
    except OSError:
        return False


def kill_qemu_once_booting(run: subprocess.Popen[str], reports: Path) -> threading.Event:
    """SIGKILL the run's QEMU the first time a first-boot console shows U-Boot, as an
    OOM killer or a crash would; the event says it happened."""
    killed = threading.Event()

    def watch() -> None:
        while run.poll() is None and not killed.is_set():
            for log in reports.glob("runs/*/logs/console-first-boot-*.log"):
                if b"U-Boot" in log.read_bytes():
                    for pid in filter(is_qemu, descendants(run.pid)):
                        os.kill(pid, signal.SIGKILL)
                        killed.set()
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()
    return killed


def run_first_boot(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    reports = tmp_path / "reports"
    argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", FIRST_BOOT, "--quill-reports", str(reports)]
    argv += ["--junitxml", str(tmp_path / "junit.xml"), "--alluredir", str(tmp_path / "allure"), *options]
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as run:
        killed = kill_qemu_once_booting(run, reports)
        output, _ = run.communicate()
    return subprocess.CompletedProcess(argv, run.returncode, output), killed.is_set()


def gate_case(junit: Path) -> ET.Element:
    return next(
        case
        for case in ET.parse(junit).getroot().iter("testcase")
        if case.get("name", "").startswith("quill gate 4")
    )


def test_a_qemu_killed_once_makes_a_flaky_boot_and_a_passing_run(tmp_path):
    ran, killed = run_first_boot(tmp_path, "--quill-set", "bench.attempts=2")

    assert killed, ran.stdout
    assert ran.returncode == 0, ran.stdout
    boot = json.loads((tmp_path / "reports" / "quill-run.json").read_text())["boot"]
    assert boot["flaky"] is True
    assert [attempt["cause"] for attempt in boot["attempts"]] == ["infrastructure", "booted"]
    assert "QEMU" in boot["attempts"][0]["error"]
    assert Path(boot["attempts"][0]["log"]).name.startswith("console-first-boot-")
    assert "flaky: quill gate 4 (boot): attempt 1: infrastructure (" in ran.stdout
    properties = {p.get("name"): p.get("value") for p in gate_case(tmp_path / "junit.xml").iter("property")}
    assert properties["flaky"].startswith("attempt 1: infrastructure"), properties
    results = [json.loads(path.read_text()) for path in (tmp_path / "allure").glob("*-result.json")]
    gate = next(result for result in results if result["name"].startswith("quill gate 4"))
    assert (gate["status"], gate["statusDetails"]["flaky"]) == ("passed", True)


def test_with_one_attempt_the_same_fault_closes_the_boot_gate_as_the_benchs(tmp_path):
    ran, killed = run_first_boot(tmp_path)

    assert killed, ran.stdout
    assert ran.returncode == 69, ran.stdout  # the bench's failure, not the product's: EXIT_BENCH
    gates = json.loads((tmp_path / "reports" / "quill-run.json").read_text())["gates"]
    gate = next(g for g in gates if g["number"] == 4)
    assert (gate["open"], gate["failure"]) == (False, "bench"), gate
