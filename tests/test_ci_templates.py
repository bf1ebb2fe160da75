"""The CI templates users copy (examples/ci/): valid for their platform
(check-jsonschema's vendored schemas, offline), and doing what matters: the
README's pytest command, the artifact cache kept between runs, JUnit and the
Allure HTML report published also when the run fails."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pytest_quill.engine.cache import default_cache
from pytest_quill.report.html import report_beside

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
SCHEMA = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
REGISTRY_OPTION = "--quill-cache-registry"


def check_jsonschema(path: Path, schema: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "check-jsonschema"
    assert exe.is_file(), f"{exe} missing: pip install -e '.[test]'"
    return subprocess.run(
        [str(exe), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(path: Path) -> dict:
    """PATH's data, read by check-jsonschema's own YAML library (YAML 1.2: GitHub's
    `on:` stays a key, where PyYAML would make it True)."""
    return YAML(typ="safe").load(path.read_text())


def github_job(workflow: dict) -> dict:
    (job,) = workflow["jobs"].values()
    return job


def gitlab_job(pipeline: dict) -> dict:
    (job,) = [v for v in pipeline.values() if isinstance(v, dict) and "script" in v]
    return job


def shell_lines(path: Path) -> list[str]:
    """Every shell command the template runs, in order."""
    if path == GITHUB:
        return [step["run"] for step in github_job(load(path))["steps"] if "run" in step]
    job = gitlab_job(load(path))
    return [*job.get("before_script", []), *job["script"]]


def pytest_argv(path: Path) -> list[str]:
    (command,) = [line for line in shell_lines(path) if line.lstrip().startswith("pytest ")]
    return shlex.split(command)


def option_value(argv: list[str], flag: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in argv if arg.startswith(f"{flag}=")]
    return value


def readme_command() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"^(pytest -n \d+ suites/)", readme, re.MULTILINE)
    assert found, "README.md shows no `pytest -n N suites/` command"
    return found.group(1).split()


def test_both_templates_pass_their_platforms_vendored_schema():
    for path, schema in SCHEMA.items():
        checked = check_jsonschema(path, schema)
        assert checked.returncode == 0, f"{path.name}: {checked.stdout}{checked.stderr}"
        assert "ok -- validation done" in checked.stdout


def test_a_broken_template_fails_validation(tmp_path):
    """The validator really runs: a job without runs-on, artifacts kept 'sometimes'."""
    workflow, pipeline = load(GITHUB), load(GITLAB)
    del github_job(workflow)["runs-on"]
    gitlab_job(pipeline)["artifacts"]["when"] = "sometimes"
    for path, broken, says in ((GITHUB, workflow, "runs-on"), (GITLAB, pipeline, "sometimes")):
        copy = tmp_path / path.name
        copy.write_text(json.dumps(broken))  # JSON is YAML
        checked = check_jsonschema(copy, SCHEMA[path])
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert says in checked.stdout


def test_the_run_is_the_readmes_command_with_junit_and_allure_results():
    for path in SCHEMA:
        argv = pytest_argv(path)
        assert argv[: len(readme_command())] == readme_command(), f"{path.name}: {argv}"
        assert option_value(argv, "--junitxml") == "reports/junit.xml"
        assert option_value(argv, "--alluredir") == "reports/allure-results"


def test_the_templates_pass_only_options_the_plugin_has(tmp_path):
    """Every --quill-* flag in a command is one `pytest --help` lists where the plugin
    is installed (a folder of its own, as a user's project), and each template shares
    its artifacts through its platform's registry, pulling only for outside changes."""
    helped = subprocess.run(
        [str(Path(sys.executable).parent / "pytest"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert helped.returncode == 0, helped.stdout + helped.stderr
    known = set(re.findall(r"--quill-[a-z-]+", helped.stdout))
    assert "--quill-backend" in known
    for path in SCHEMA:
        used = set(re.findall(r"--quill-[a-z-]+", " ".join(shell_lines(path))))
        assert used <= known, f"{path.name} passes options the plugin does not have: {sorted(used - known)}"
        command = " ".join(shell_lines(path))
        assert REGISTRY_OPTION in command, f"{path.name}: no shared cache ({REGISTRY_OPTION})"
        assert "pull" in command and "QUILL_REGISTRY_PASSWORD" in json.dumps(load(path)), (
            f"{path.name}: the registry's mode or credentials are missing"
        )


def _cache_folder(xdg_cache_home: str, workspace: str, monkeypatch) -> str:
    """The artifact cache's folder relative to the workspace, as the plugin finds it."""
    monkeypatch.setenv("XDG_CACHE_HOME", xdg_cache_home)
    return os.path.relpath(default_cache(), workspace)


def test_github_keeps_the_artifact_cache_also_after_a_failed_run(monkeypatch):
    steps = github_job(load(GITHUB))["steps"]
    exported = re.search(
        r'XDG_CACHE_HOME=\$GITHUB_WORKSPACE/([\w.-]+)" >> "\$GITHUB_ENV"', " ".join(shell_lines(GITHUB))
    )
    assert exported, "XDG_CACHE_HOME is not set to a folder inside the workspace"
    folder = _cache_folder(f"/w/{exported.group(1)}", "/w", monkeypatch)
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    run_at = next(i for i, step in enumerate(steps) if "pytest " in step.get("run", ""))
    restore, save = (steps[uses.index(action)] for action in ("actions/cache/restore", "actions/cache/save"))
    assert steps.index(restore) < run_at < steps.index(save)
    assert restore["with"]["path"] == save["with"]["path"] == folder
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"] == "always()"


def test_gitlab_keeps_the_artifact_cache_also_after_a_failed_run(monkeypatch):
    job = gitlab_job(load(GITLAB))
    xdg = job["variables"]["XDG_CACHE_HOME"]
    assert xdg.startswith("$CI_PROJECT_DIR/"), "the cache must be inside the project folder"
    folder = _cache_folder(xdg.replace("$CI_PROJECT_DIR", "/w"), "/w", monkeypatch)
    assert [p.rstrip("/") for p in job["cache"]["paths"]] == [folder]
    assert job["cache"]["when"] == "always"


def test_github_publishes_junit_and_the_allure_report_even_when_the_run_fails():
    steps = github_job(load(GITHUB))["steps"]
    argv = pytest_argv(GITHUB)
    wanted = {option_value(argv, "--junitxml"), str(report_beside(Path(option_value(argv, "--alluredir"))))}
    run_at = next(i for i, step in enumerate(steps) if "pytest " in step.get("run", ""))
    published = {
        path.strip().rstrip("/")
        for step in steps[run_at:]
        if step.get("uses", "").startswith("actions/upload-artifact@") and step.get("if") == "always()"
        for path in step["with"]["path"].splitlines()
    }
    assert wanted <= published, f"not published on failure: {sorted(wanted - published)}"


def test_gitlab_publishes_junit_and_the_allure_report_even_when_the_run_fails():
    artifacts = gitlab_job(load(GITLAB))["artifacts"]
    argv = pytest_argv(GITLAB)
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == option_value(argv, "--junitxml")
    report = str(report_beside(Path(option_value(argv, "--alluredir"))))
    assert report in {path.rstrip("/") for path in artifacts["paths"]}


def test_both_install_the_plugin_and_allure_3_and_their_shell_parses():
    for path in SCHEMA:
        lines = shell_lines(path)
        assert any(re.search(r"pip install( -q)? '?pytest-quill\b", line) for line in lines)
        assert any(re.search(r"npm install .*\ballure@3\b", line) for line in lines)
        parsed = subprocess.run(
            ["sh", "-n"], input="\n".join(lines), text=True, capture_output=True, check=False
        )
        assert parsed.returncode == 0, f"{path.name}: {parsed.stderr}"


def apt_packages(path: Path) -> set[str]:
    (line,) = [line for line in shell_lines(path) if "apt-get install" in line]
    command = line.replace("\\\n", " ").split("apt-get install", 1)[1].split("\n")[0]
    return {word for word in command.split() if not word.startswith("-")}


def test_both_install_the_same_apt_packages_installable_in_the_images_release():
    github, gitlab = apt_packages(GITHUB), apt_packages(GITLAB)
    assert github == gitlab, f"only GitHub: {github - gitlab}; only GitLab: {gitlab - github}"
    assert {"qemu-system-arm", "u-boot-qemu", "python3-venv"} <= github
    images = {github_job(load(GITHUB))["container"], gitlab_job(load(GITLAB))["image"]}
    (release,) = {image.rsplit("-", 1)[1] for image in images}
    here = Path("/etc/os-release").read_text() if Path("/etc/os-release").is_file() else ""
    if f"VERSION_CODENAME={release}" not in here:
        pytest.skip(f"this machine is not Debian {release}: its apt cannot say what exists there")
    # apt's own simulation: every package known, and all of them installable together
    simulated = subprocess.run(
        ["apt-get", "install", "-s", "-q", "--no-install-recommends", *sorted(github)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert simulated.returncode == 0, f"not installable on Debian {release}: " + " ".join(
        line for line in simulated.stderr.splitlines() if line.startswith("E:")
    )
