"""Installed, the plugin is inert until a project declares a plan; then it
follows the conventions of the plugins it runs beside (allure-pytest's
--clean-alluredir)."""

from __future__ import annotations

import pytest

from tests.support.pytester_files import PYTESTERS_OWN

NO_PLAN = "# a project of its own, with no pytest-quill plan\n"


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_a_project_without_a_plan_runs_as_without_the_plugin(pytester, cache_home):
    pytester.makeconftest(NO_PLAN)
    pytester.makepyfile(test_sum="def test_sum():\n    assert sum([1, 2]) == 3\n")
    before = sorted(p.name for p in pytester.path.iterdir())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    said = [
        line for line in result.outlines + result.errlines if not line.startswith("plugins: ")
    ]  # pytest lists every installed plugin there
    assert [line for line in said if "quill" in line.lower()] == []
    assert sorted(p.name for p in pytester.path.iterdir() if p.name not in PYTESTERS_OWN) == before
    assert not cache_home.exists()


@pytest.mark.parametrize(
    "given, named",
    [
        (["--quill-profile", "qemu-virt"], "--quill-profile"),
        (["--quill-set", "boot.console=ttyS0"], "--quill-set"),
        (["-o", "quill_backend=host"], "quill_backend (ini)"),
    ],
)
def test_quill_options_without_a_plan_say_how_to_declare_one(pytester, given, named):
    pytester.makeconftest(NO_PLAN)
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess("-p", "no:randomly", *given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        f"ERROR: pytest-quill: {named} given, but this project declares no plan: add "
        'pytest_plugins = ["pytest_quill.mvp"] to its root conftest.py, or start a project '
        "with `quill init FOLDER`"
    ]


@pytest.mark.parametrize("clean", [False, True])
def test_alluredir_keeps_earlier_results_unless_clean_alluredir(pytester, cache_home, clean):
    results = pytester.path / "allure-results"
    results.mkdir()
    (results / "earlier-result.json").write_text("{}")
    pytester.makepyfile(test_two="def test_a(): pass\n\ndef test_b(): pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-n", "2", "--alluredir", str(results), *(["--clean-alluredir"] if clean else [])
    )
    result.assert_outcomes(passed=2)
    assert (results / "earlier-result.json").exists() is not clean
    assert len(list(results.glob("*-result.json"))) == 2 + (not clean)
