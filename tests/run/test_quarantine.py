"""Quarantine (quarantine.toml): a quarantined test runs, its failure does not
fail the run and says why; an expired entry, a malformed one and a test that
keeps passing are each reported; a gate is never quarantined."""

from __future__ import annotations

import datetime
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_quill.errors import InputError
from pytest_quill.run.quarantine import LIFT_AFTER_PASSES, load
from tests.support.synthetic_runs import make_project, record, run_with_cache

pytestmark = pytest.mark.timeout(180)

TESTS = (
    "import os\n\ndef test_flaky_relay():\n    assert not os.environ.get('RELAY_STUCK')\n\n"
    "def test_steady(kernel_uimage):\n    pass\n"
)
IN_FORCE = (
    '[[quarantine]]\ntest = "test_plan.py::test_flaky_*"\n'
    'reason = "relay 2 sticks (lab ticket 41)"\nuntil = 2099-12-31\n'
)


def run(pytester, *args):
    """A synthetic run with pytest's cache provider (it keeps the pass streaks)."""
    return run_with_cache(pytester, "--junitxml", "junit.xml", *args)


def junit_properties(pytester) -> dict[str, dict[str, str]]:
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    return {
        case.get("name"): {prop.get("name"): prop.get("value") for prop in case.iter("property")}
        for case in cases
    }


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_quarantined_failure_runs_and_does_not_fail_the_run(pytester, monkeypatch, workers):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=TESTS)
    (pytester.path / "quarantine.toml").write_text(IN_FORCE)
    monkeypatch.setenv("RELAY_STUCK", "1")
    result = run(pytester, *workers)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*= quarantine =*",
            "test_plan.py::test_flaky_relay: failed, not counted "
            "(quarantined until 2099-12-31: relay 2 sticks (lab ticket 41))",
        ]
    )
    assert result.parseoutcomes().get("xfailed") == 1
    assert junit_properties(pytester)["test_flaky_relay"] == {
        "quarantined": "quarantined until 2099-12-31: relay 2 sticks (lab ticket 41)"
    }
    assert "quarantined" not in junit_properties(pytester)["test_steady"]
    recorded = next(t for t in record(pytester)["tests"] if t["nodeid"].endswith("test_flaky_relay"))
    assert (recorded["outcome"], recorded["reason"]) == (
        "xfailed",
        "quarantined until 2099-12-31: relay 2 sticks (lab ticket 41)",
    )


def test_an_expired_entry_no_longer_applies_and_says_so(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=TESTS)
    (pytester.path / "quarantine.toml").write_text(IN_FORCE.replace("2099-12-31", "2020-01-31"))
    monkeypatch.setenv("RELAY_STUCK", "1")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*quarantine.toml: the entry for 'test_plan.py::test_flaky_*' ended on 2020-01-31 and no "
            "longer applies: remove it, or renew it with a reason"
        ]
    )
    assert "test_flaky_relay" in {
        t["nodeid"].split("::")[-1] for t in record(pytester)["tests"] if t["outcome"] == "failed"
    }


def test_a_quarantined_test_that_keeps_passing_is_named_for_removal(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=TESTS)
    (pytester.path / "quarantine.toml").write_text(IN_FORCE)
    lifted = "test_plan.py::test_flaky_relay: passed * runs in a row: its quarantine.toml entry can go"
    for _ in range(LIFT_AFTER_PASSES - 1):
        result = run(pytester)
        assert result.ret == pytest.ExitCode.OK
        result.stdout.no_fnmatch_line(lifted)
    result = run(pytester)
    result.stdout.fnmatch_lines([lifted.replace("*", str(LIFT_AFTER_PASSES))])
    monkeypatch.setenv("RELAY_STUCK", "1")  # one failure starts the count again
    run(pytester)
    monkeypatch.delenv("RELAY_STUCK")
    run(pytester).stdout.no_fnmatch_line(lifted)


def test_a_gate_is_never_quarantined(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1, "fails": True}, rootfs={"secs": 0.1})
    (pytester.path / "quarantine.toml").write_text(IN_FORCE.replace("test_plan.py::test_flaky_*", "*"))
    result = run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    gate = next(t for t in record(pytester)["tests"] if t["nodeid"] == "::quill gate 1 (build)")
    assert gate["outcome"].startswith("failed")


def test_a_malformed_entry_is_one_line_and_exit_4(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=TESTS)
    (pytester.path / "quarantine.toml").write_text(IN_FORCE.replace("until = 2099-12-31", 'until = "soon"'))
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*quarantine.toml: ??quarantine]] entry 1: until = 'soon' is not a "
            "date: the last day it holds (a TOML date: 2027-01-31)"
        ]
    )
    assert not (pytester.path / "ledger.txt").read_text()  # nothing was built


@pytest.mark.parametrize(
    "text, says",
    [
        ("[[quarantine]]\ntest = 'a'\nuntil = 2027-01-01\n", "entry 1: reason is missing"),
        (
            "[[quarantine]]\ntest = 'a'\nreason = ' '\nuntil = 2027-01-01\n",
            "entry 1: reason must be a non-empty string",
        ),
        (
            "[[quarantine]]\ntest = 'a'\nreason = 'r'\nuntil = 2027-01-01\nowner = 'x'\n",
            "entry 1: unknown key 'owner'; allowed: test, reason, until",
        ),
        ("[[quarantine]]\ntest = 'a'\nreason = 'r'\nuntil = 2027-01-01T10:00:00\n", "is not a date"),
        ("[quarantined]\n", "unknown table 'quarantined'; write entries as [[quarantine]]"),
        ("quarantine = 'all'\n", "quarantine must be an array of tables"),
        ("[[quarantine]\n", "not TOML"),
    ],
    ids=["no-reason", "blank-reason", "unknown-key", "datetime", "wrong-table", "not-tables", "not-toml"],
)
def test_each_malformed_file_names_the_file_entry_and_key(tmp_path, text, says):
    (tmp_path / "quarantine.toml").write_text(text)
    with pytest.raises(InputError) as refused:
        load(tmp_path)
    assert str(tmp_path / "quarantine.toml") in refused.value.one_line()
    assert says in refused.value.one_line()


def test_entries_match_by_node_id_or_pattern_until_their_last_day(tmp_path):
    (tmp_path / "quarantine.toml").write_text(
        IN_FORCE + '[[quarantine]]\ntest = "suites/c_bench/test_power.py::test_cycle"\n'
        'reason = "relay"\nuntil = 2027-01-31\n'
    )
    quarantine = load(tmp_path)
    last_day, after = datetime.date(2027, 1, 31), datetime.date(2027, 2, 1)
    assert quarantine.entry_for("suites/c_bench/test_power.py::test_cycle", last_day) is not None
    assert quarantine.entry_for("suites/c_bench/test_power.py::test_cycle", after) is None
    assert (
        quarantine.entry_for("test_plan.py::test_flaky_relay[2]", after).reason
        == "relay 2 sticks (lab ticket 41)"
    )
    assert quarantine.entry_for("test_plan.py::test_steady", last_day) is None
    assert load(tmp_path / "absent").entries == ()


def test_the_readmes_example_is_a_valid_quarantine_naming_a_real_test(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in readme.split("```toml\n")[1:]]
    example = next(block for block in blocks if "[[quarantine]]" in block)  # indented: in a list
    (tmp_path / "quarantine.toml").write_text(textwrap.dedent(example))
    (entry,) = load(tmp_path).entries
    path, _, name = entry.test.partition("::")
    assert f"def {name}(" in (Path(__file__).resolve().parents[2] / path).read_text()
