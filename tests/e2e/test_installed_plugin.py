"""pytest-quill as a user gets it: the wheel and sdist built from this checkout,
installed into a fresh virtualenv, a project started with `quill init` in a
folder outside the repository, and `pytest -n 3 suites/` run there on the QEMU
bench: the same gates and tests as the checkout's own run (make test runs that
first, so the artifact cache is warm). In the same virtualenv an unrelated
project runs as if the plugin were not there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pytest_quill import __version__

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT_RECORD = ROOT / "reports" / "quill-run.json"
# Shipped inside the package: what a run needs and what `quill init` copies.
MUST_SHIP = (
    "pytest_quill/data/docker/builder.dockerfile",
    "pytest_quill/data/rootfs/minimal-boot.dockerfile",
    "pytest_quill/data/rootfs/assemble.sh",
    "pytest_quill/data/kernel/compat/2.6.29/06-vmlinux-no-build-id.patch",
    "pytest_quill/data/dockerd.sh",
    "pytest_quill/example/conftest.py",
    "pytest_quill/example/hardware_profiles/qemu-virt.toml",
    "pytest_quill/example/squireos/kernel/drivers/squireos/squireos_core.c",
    "pytest_quill/example/suites/d_integration/test_d3_squireos.py",
)


def run(argv: list, cwd: Path, env: dict | None = None, timeout: float = 600):
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def ok(result) -> str:
    assert result.returncode == 0, (
        f"{result.args}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    ok(run([sys.executable, "-m", "build", "--outdir", out, ROOT], ROOT))
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (found,) = dist.glob("pytest_quill-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh virtualenv with only the wheel (and what it depends on) installed."""
    folder = tmp_path_factory.mktemp("venv")
    ok(run([sys.executable, "-m", "venv", folder], folder))
    ok(run([folder / "bin" / "pip", "install", "-q", wheel], folder))
    return folder


def test_the_sdist_and_wheel_pass_twine_check_and_carry_the_run_data(dist, wheel):
    assert "PASSED" in ok(run([sys.executable, "-m", "twine", "check", *sorted(dist.iterdir())], dist))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [path for path in MUST_SHIP if path not in names] == []
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    # Built output and the user's own boot files never travel.
    assert [n for n in names if "/out/" in n or n.endswith(("/MLO", ".pyc"))] == []
    print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e3:.0f} kB, {len(names)} files")


def test_the_versions_are_one(venv):
    assert ok(run([venv / "bin" / "quill", "--version"], venv)).strip() == f"pytest-quill {__version__}"
    listed = run([venv / "bin" / "pytest", "--version", "--version"], venv)
    assert f"pytest-quill-{__version__}" in listed.stdout + listed.stderr


def test_an_unrelated_project_runs_as_without_the_plugin(venv, tmp_path):
    project, cache = tmp_path / "other", tmp_path / "xdg-cache"
    project.mkdir()
    (project / "test_sum.py").write_text("def test_sum():\n    assert sum([1, 2]) == 3\n")
    before = sorted(p.name for p in project.iterdir())
    result = run(
        [venv / "bin" / "pytest", "-p", "no:cacheprovider"], project, env={"XDG_CACHE_HOME": str(cache)}
    )
    assert "1 passed" in ok(result)
    said = (result.stdout + result.stderr).splitlines()
    # pytest's header lists every installed plugin ("plugins: quill-0.2.0, ..."): nothing else.
    assert [line for line in said if "quill" in line.lower() and not line.startswith("plugins:")] == []
    # (Python's own bytecode cache of test_sum.py aside)
    assert sorted(p.name for p in project.iterdir() if p.name != "__pycache__") == before
    assert not cache.exists()


def test_quill_outside_a_project_says_so_in_one_line(venv, tmp_path):
    result = run([venv / "bin" / "quill", "status"], tmp_path)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"quill: {tmp_path} is not a pytest-quill project (no hardware_profiles/ here): run "
        "quill from your project's folder, start one with `quill init FOLDER`, or give "
        "--profiles FOLDER or --profile PATH.toml"
    ]


@pytest.mark.timeout(1200)
def test_a_project_outside_the_repository_runs_the_suites_green(venv, tmp_path):
    if not CHECKOUT_RECORD.is_file():
        pytest.fail(f"{CHECKOUT_RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    checkout = json.loads(CHECKOUT_RECORD.read_text())
    project = tmp_path / "my-nook"
    ok(run([venv / "bin" / "quill", "init", project], tmp_path))
    # The Allure 3 command line as a user's PATH would have it (npm install -g allure@3).
    path = f"{venv / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}"
    started = time.monotonic()
    result = run(
        [venv / "bin" / "pytest", "-n", "3", "suites/", "--alluredir", "reports/allure-results"],
        project,
        env={"PATH": path},
        timeout=1100,
    )
    took = time.monotonic() - started
    ok(result)
    made = json.loads((project / "reports" / "quill-run.json").read_text())
    assert made["project"] == str(project)
    assert [(g["number"], g["open"]) for g in made["gates"]] == [
        (g["number"], g["open"]) for g in checkout["gates"]
    ]
    assert sorted((t["nodeid"], t["outcome"]) for t in made["tests"]) == sorted(
        (t["nodeid"], t["outcome"]) for t in checkout["tests"]
    )
    assert (project / "reports" / "allure-report" / "index.html").is_file()
    status = json.loads(ok(run([venv / "bin" / "quill", "status", "--json"], project)))
    assert (status["schema_version"], status["profile"]) == (1, "qemu-virt")
    print(
        f"outside-project run: {took:.1f} s, "
        + ", ".join(f"{a['name']} {a['status']}" for a in made["artifacts"])
    )


@pytest.mark.parametrize(
    "first, second", [("pyserial", "pyserial-labgrid"), ("pyserial-labgrid", "pyserial")]
)
def test_import_serial_works_whichever_serial_package_came_last(tmp_path, first, second):
    """labgrid (pytest-quill[labgrid]) brings pyserial-labgrid, which ships the
    same `serial` module as pyserial: whichever is installed last provides it."""
    ok(run([sys.executable, "-m", "venv", tmp_path], tmp_path))
    for package in (first, second):
        ok(run([tmp_path / "bin" / "pip", "install", "-q", package], tmp_path))
    probe = (
        "import serial; port = serial.serial_for_url('loop://'); port.write(b'ok'); "
        "print(port.read(2).decode())"
    )
    assert ok(run([tmp_path / "bin" / "python", "-c", probe], tmp_path)).strip() == "ok"


def test_a_labgrid_profile_without_the_extra_names_the_extra(venv, tmp_path):
    project = tmp_path / "lab"
    ok(run([venv / "bin" / "quill", "init", project], tmp_path))
    profiles = project / "hardware_profiles"
    text = (
        (profiles / "qemu-virt.toml")
        .read_text()
        .replace(
            '[bench]\nkind = "qemu"',
            '[bench]\nkind = "labgrid"\n\n[bench.labgrid]\ncoordinator = "127.0.0.1:20408"',
        )
    )
    (profiles / "lab.toml").write_text(text)
    result = run([venv / "bin" / "pytest", "--quill-profile", "lab", "suites/"], project)
    assert result.returncode == 4
    assert [line for line in result.stderr.splitlines() if line] == [
        f"ERROR: {profiles / 'lab.toml'}: bench.kind = 'labgrid' needs the labgrid package: "
        "pip install 'pytest-quill[labgrid]'"
    ]
    assert not (project / "reports" / "runs").exists() or not any((project / "reports" / "runs").iterdir())
