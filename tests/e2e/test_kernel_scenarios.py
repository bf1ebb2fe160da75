"""Issue 3's failure scenarios, run for real: `pytest -n 2 suites/` in a subprocess
with the shared artifact cache, then the run record and the skip reasons read back.

- one module with a compile error: one build attempt in the whole run, gate 1
  closed with the compiler's error line and the log's path;
- the SquireOS Kconfig sourced from a file ARCH=arm never reads: the kernel
  builds (gate 1 open), gate 2 closed naming the dropped symbols.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_quill.engine.cache import default_cache

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(7200)]

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "drivers/squireos/wisdom.c"


def run_suites(project: Path, reports: Path, *extra: str) -> tuple[dict, str, int]:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-n",
        "2",
        "suites/",
        "-rs",
        "--quill-backend",
        "host",
        "--quill-cache",
        default_cache(),
        "--quill-reports",
        str(reports),
        *extra,
    ]
    done = subprocess.run(argv, cwd=project, capture_output=True, text=True)
    output = done.stdout + done.stderr
    record = reports / "quill-run.json"
    assert record.is_file(), f"no run record; pytest said:\n{output[-3000:]}"
    return json.loads(record.read_text()), output, done.returncode


def gates_of(record: dict) -> dict[int, dict]:
    return {gate["number"]: gate for gate in record["gates"]}


@pytest.fixture(scope="module")
def broken_project(tmp_path_factory) -> Path:
    """A copy of the project whose wisdom module does not compile."""
    project = tmp_path_factory.mktemp("broken-module") / "project"
    project.mkdir()
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, project / name)
    for folder in ("suites", "squireos", "hardware_profiles"):
        shutil.copytree(ROOT / folder, project / folder)
    source = project / "squireos/kernel" / BROKEN
    source.write_text(
        source.read_text().replace(
            "static atomic_t wisdom_reads",
            "static atomic_t wisdom_reads = no_such_initialiser;\nstatic atomic_t wisdom_unused",
            1,
        )
    )
    return project


def test_a_module_compile_error_is_built_once_and_closes_gate_1(broken_project, tmp_path):
    record, output, code = run_suites(broken_project, tmp_path / "reports")
    kernels = [a for a in record["artifacts"] if a["name"] == "kernel"]
    assert [k["status"] for k in kernels] == ["failed"], kernels
    error = kernels[0]["error"]
    assert "wisdom.c:" in error and "error:" in error and "no_such_initialiser" in error
    gate = gates_of(record)[1]
    assert gate["open"] is False and "wisdom.c:" in gate["reason"]
    assert (broken_project / kernels[0]["log"]).is_file()  # the record's paths: project-relative
    assert "gate 1 (build) closed" in output and "no_such_initialiser" in output
    # The run is red, and the compiler's line is its one failure (gate 1's own result).
    assert code == 1, output[-3000:]
    failures = output.split("= FAILURES =", 1)[1].split("= pytest-quill =", 1)[0]
    assert failures.count("quill gate 1 (build)") == 1 and "no_such_initialiser" in failures
    assert "Traceback" not in output


def test_a_kconfig_sourced_from_arch_x86_closes_gate_2_naming_the_dropped_symbols(tmp_path):
    record, output, code = run_suites(
        ROOT, tmp_path / "reports", "--quill-set", "kernel.kconfig_parent=arch/x86/Kconfig"
    )
    assert code == 1, output[-3000:]
    gates = gates_of(record)
    assert gates[1]["open"] is True, gates[1]
    assert gates[2]["open"] is False
    assert (
        "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm "
        "reads? (drivers/squireos/Kconfig is sourced from arch/x86/Kconfig, which ARCH=arm "
        "never reads)"
    ) in gates[2]["reason"]
    assert "gate 2 (artifacts) closed: SQUIREOS not in the final .config" in output
