"""Device tests retried when the bench failed them (#26, items 1-2), with a real
fault: the test kills its own QEMU (SIGKILL, as an OOM killer would) the first
time it runs. With bench.attempts = 2 it runs again on a new device (started from
the state kept after the judged boot), passes, and the record, the summary, JUnit and Allure say it was flaky;
with one attempt the run fails as the bench's (exit 69). A failed assertion is
the product's and never retried.

Reuses the artifacts of the last `pytest -n 3 suites/` run (make test runs it
first); built here otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]

DEVICE_TESTS = """
import os
import signal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.gate(4), pytest.mark.hardware]
CALLS = Path(os.environ["QUILL_TEST_CALLS"])


def own_qemus():
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, IndexError):
            continue
        if comm.startswith("qemu-system") and int(rest.split()[1]) == os.getpid():
            yield int(stat.parent.name)


def called(name):
    with open(CALLS, "a") as calls:
        calls.write(name + "\\n")
    return CALLS.read_text().split().count(name)


def test_the_shell_answers_after_the_bench_lost_the_device(device):
    if called("lost") == 1:
        for pid in own_qemus():
            os.kill(pid, signal.SIGKILL)
    assert device.run("true").ok


def test_a_failed_assertion_is_the_products(device):
    called("assertion")
    assert device.run("false").ok
"""


def run_device_tests(
    tmp_path: Path, test: str, attempts: int
) -> tuple[subprocess.CompletedProcess[str], Path]:
    (tmp_path / "test_device_faults.py").write_text(DEVICE_TESTS)
    calls = tmp_path / "calls"
    argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "pytest_quill.mvp"]
    argv += [
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        f"{tmp_path}/test_device_faults.py::{test}",
    ]
    argv += ["--quill-reports", str(tmp_path / "reports"), "--quill-set", f"bench.attempts={attempts}"]
    argv += ["--junitxml", str(tmp_path / "junit.xml"), "--alluredir", str(tmp_path / "allure")]
    ran = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "QUILL_TEST_CALLS": str(calls)}
    )
    return ran, calls


def case_of(junit: Path, name: str) -> ET.Element:
    return next(case for case in ET.parse(junit).getroot().iter("testcase") if case.get("name") == name)


def test_a_device_test_the_bench_failed_once_passes_on_a_fresh_boot_as_flaky(tmp_path):
    name = "test_the_shell_answers_after_the_bench_lost_the_device"
    ran, calls = run_device_tests(tmp_path, name, attempts=2)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert calls.read_text().split() == ["lost", "lost"]
    tests = json.loads((tmp_path / "reports" / "quill-run.json").read_text())["tests"]
    flaky = next(test for test in tests if test["nodeid"].endswith(name))
    assert flaky["outcome"] == "passed"
    assert flaky["flaky"].startswith("attempt 1: infrastructure (QEMU (pid "), flaky
    assert "was killed by SIGKILL" in flaky["flaky"] and flaky["flaky"].endswith("attempt 2: passed")
    # The second attempt ran on a new QEMU, started from the state kept after the judged boot
    retry = next((tmp_path / "reports" / "runs").glob("*/logs/console-retry-*.qemu.log"))
    assert " -loadvm quill" in retry.read_text().splitlines()[0]
    assert f"flaky: {flaky['nodeid'].removeprefix('::')}: attempt 1: infrastructure (" in ran.stdout
    properties = {
        p.get("name"): p.get("value") for p in case_of(tmp_path / "junit.xml", name).iter("property")
    }
    assert properties["flaky"] == flaky["flaky"]
    results = [json.loads(path.read_text()) for path in (tmp_path / "allure").glob("*-result.json")]
    result = next(result for result in results if result["name"] == name)
    assert (result["status"], result["statusDetails"]["flaky"]) == ("passed", True)


def test_with_one_attempt_the_lost_device_fails_the_test_as_the_benchs(tmp_path):
    ran, calls = run_device_tests(
        tmp_path, "test_the_shell_answers_after_the_bench_lost_the_device", attempts=1
    )

    assert ran.returncode == 69, ran.stdout + ran.stderr  # the bench's failure: EXIT_BENCH
    assert calls.read_text().split() == ["lost"]


def test_a_failed_assertion_is_not_retried(tmp_path):
    ran, calls = run_device_tests(tmp_path, "test_a_failed_assertion_is_the_products", attempts=2)

    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert calls.read_text().split() == ["assertion"]
    assert not list((tmp_path / "reports" / "runs").glob("*/logs/console-retry-*.log"))
