"""A run with a shared cache in a real registry (issue 27): the first machine's run builds
and pushes every artifact, a second machine's run on an empty cache pulls them all and
builds nothing; the record says pushed or pulled, with the reference and the seconds, and
no output or record carries the registry's password."""

from __future__ import annotations

import json

import pytest

from tests.support.registry import missing_tools, registry_server
from tests.support.synthetic_runs import make_project

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

USER, PASSWORD = "ci", "registry-password-never-shown"


def run_on(pytester, machine: str, *args):
    """A run of the project with MACHINE's own cache and reports."""
    result = pytester.runpytest_subprocess(
        "--quill-backend",
        "host",
        "--quill-cache",
        str(pytester.path / machine / "cache"),
        "--quill-reports",
        str(pytester.path / machine / "reports"),
        "-p",
        "no:cacheprovider",
        *args,
    )
    record = json.loads((pytester.path / machine / "reports" / "quill-run.json").read_text())
    return result, {art["name"]: art for art in record["artifacts"]}


def test_a_second_machine_pulls_every_artifact_and_builds_nothing(pytester, monkeypatch, tmp_path):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("QUILL_REGISTRY_USER", USER)
    monkeypatch.setenv("QUILL_REGISTRY_PASSWORD", PASSWORD)
    with registry_server(tmp_path / "registry", users={USER: PASSWORD}) as server:
        first, built = run_on(pytester, "first", "--quill-cache-registry", server.repository())
        built_ledger = ledger.read_text().split()
        second, pulled = run_on(
            pytester,
            "second",
            "--quill-cache-registry",
            server.repository(),
            "--quill-cache-registry-mode",
            "pull",
        )

    assert first.ret == second.ret == 0, second.stdout.str()
    assert sorted(built_ledger) == ["kernel", "rootfs", "sdcard"]
    assert ledger.read_text().split() == built_ledger  # the second run built nothing
    for name in ("kernel", "rootfs", "sdcard"):
        reference = f"{server.host}/quill/artifacts:{name}-{built[name]['key']}"
        assert (built[name]["status"], built[name]["pushed"]["reference"]) == ("built", reference)
        assert (pulled[name]["status"], pulled[name]["pulled"]["reference"]) == ("pulled", reference)
        assert pulled[name]["pulled"]["seconds"] >= 0
    for name in ("kernel", "rootfs", "sdcard"):  # the terminal summary says it too
        reference = f"{server.host}/quill/artifacts:{name}-{built[name]['key']}"
        assert any(
            line.startswith(f"{name:<8} pulled ") and f"  from {reference} in " in line
            for line in second.outlines
        ), second.stdout.str()
        assert any(
            line.startswith(f"{name:<8} built ") and f"  pushed to {reference} in " in line
            for line in first.outlines
        ), first.stdout.str()
    for result in (first, second):
        assert PASSWORD not in result.stdout.str() + result.stderr.str()
    for path in pytester.path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".log", ".txt"):
            assert PASSWORD not in path.read_text(errors="replace"), path
