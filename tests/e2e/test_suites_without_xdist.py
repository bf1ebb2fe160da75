"""`pytest suites/` without -n gives the verdict of `pytest -n 3 suites/`: no test
relies on which process runs it or on what another test left powered."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MAIN_RECORD = ROOT / "reports" / "quill-run.json"


@pytest.mark.timeout(900)
def test_one_process_gives_the_verdict_of_three(tmp_path):
    if not MAIN_RECORD.is_file():
        pytest.fail(f"{MAIN_RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    main = json.loads(MAIN_RECORD.read_text())
    assert main["workers"] == 3
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "suites/", "--quill-reports", str(reports)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    alone = json.loads((reports / "quill-run.json").read_text())
    assert alone["workers"] == 1
    assert sorted((t["nodeid"], t["outcome"]) for t in alone["tests"]) == sorted(
        (t["nodeid"], t["outcome"]) for t in main["tests"]
    )
    assert [(g["number"], g["open"]) for g in alone["gates"]] == [
        (g["number"], g["open"]) for g in main["gates"]
    ]
