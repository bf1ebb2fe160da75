"""Gates are decided once per run, the same way whatever the worker count."""

import pytest

from tests.support.synthetic_runs import make_project, record, run


@pytest.mark.parametrize("workers", ["0", "1", "2", "3", "8"])
def test_gate_outcomes_do_not_depend_on_the_worker_count(pytester, monkeypatch, workers):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.3, "fails": True}, rootfs={"secs": 0.3})
    result = run(pytester, "-n", workers)
    # The root cause fails once (gate 1's own result), whatever the worker count.
    result.assert_outcomes(passed=1, failed=1, skipped=13)
    assert result.ret == 1
    assert ledger.read_text().split().count("kernel") == 1
    gates = {g["number"]: g for g in record(pytester)["gates"]}
    assert {n: g["open"] for n, g in gates.items()} == {1: False, 2: False, 3: False}
    assert all(g["reason"].startswith("gate 1 (build) closed: kernel build failed") for g in gates.values())


@pytest.mark.parametrize("workers", ["0", "3"])
def test_open_gates_let_every_test_run(pytester, monkeypatch, workers):
    make_project(pytester, monkeypatch, kernel={"secs": 0.3}, rootfs={"secs": 0.3})
    result = run(pytester, "-n", workers)
    result.assert_outcomes(passed=15)  # 12 tests and gates 1-3 as results of their own
    assert result.ret == 0
    assert [g["open"] for g in record(pytester)["gates"]] == [True, True, True]


def test_gate_decided_by_a_failing_check_names_the_check(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1})
    conftest = pytester.path / "conftest.py"
    conftest.write_text(conftest.read_text().replace('!= "kernel"', '!= "other"'))
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=3, failed=1, skipped=11)  # gate 1 passed, gate 2 failed
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*gate 2 (artifacts) closed: kernel payload wrong*"])


def test_undeclared_gate_number_is_a_usage_error(pytester, monkeypatch):
    make_project(pytester, monkeypatch, tests="import pytest\n@pytest.mark.gate(7)\ndef test_x(): pass\n")
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*gate(7) is not declared; declared gates: [[]1, 2, 3[]]*"])


def test_run_record_holds_artifacts_gates_waits_tests_and_each_process_closing(pytester, monkeypatch):
    make_project(pytester, monkeypatch)
    run(pytester, "-n", "3").assert_outcomes(passed=15)
    rec = record(pytester)
    assert rec["profile"] == "qemu-virt" and rec["workers"] == 3
    assert rec["started"] < rec["finished"]
    for art in rec["artifacts"]:
        assert set(art) >= {"name", "worker", "start", "end", "status", "key", "log", "path"}
        assert (pytester.path / art["log"]).is_file()
    assert len(rec["tests"]) == 15
    assert all(w["end"] >= w["start"] for w in rec["waits"])
    assert any(w["what"].startswith(("artifact", "gate")) for w in rec["waits"])
    closing = {span["worker"]: span for span in rec["closing"]}
    assert set(closing) == {"gw0", "gw1", "gw2", "main"}
    for worker, span in closing.items():
        last_test = max((t["end"] for t in rec["tests"] if t["worker"] == worker), default=0)
        assert last_test <= span["start"] <= span["end"] <= rec["finished"]
    assert max(closing[w]["end"] for w in ("gw0", "gw1", "gw2")) <= closing["main"]["start"]


# Appended to the synthetic plan's conftest: gate 4 and what its deciders say.
GATE_4 = """

def say(line):
    with open(os.environ["QUILL_TEST_LEDGER"], "a") as ledger:
        ledger.write(line + "\\n")

_declare = pytest_quill_declare

def pytest_quill_declare(plan):
    _declare(plan)
    declare_gate_4(plan)
"""

AHEAD_GATE = """
def boot_ahead(run):
    say("ahead")
    raise BuildError("the work ahead failed: its decider meets it again")

def declare_gate_4(plan):
    plan.gate(4, "boot", ahead=boot_ahead)(lambda run: say("decide"))
"""


def with_gate_4(pytester, monkeypatch, tests: str, declared: str):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=tests)
    conftest = pytester.path / "conftest.py"
    conftest.write_text(conftest.read_text() + GATE_4 + declared)
    return ledger


def test_a_gates_work_ahead_begins_in_its_decider_before_the_decision(pytester, monkeypatch):
    tests = "import pytest\n\n@pytest.mark.gate(4)\ndef test_booted(sd_card):\n    pass\n"
    ledger = with_gate_4(pytester, monkeypatch, tests, AHEAD_GATE)
    run(pytester, "-n", "2").assert_outcomes(passed=5)  # gates 1-4 and the test
    made = ledger.read_text().split()
    assert made.count("ahead") == made.count("decide") == 1
    assert made.index("ahead") < made.index("decide")
    assert {g["number"]: g["open"] for g in record(pytester)["gates"]} == {1: True, 2: True, 3: True, 4: True}


CLAIMED_NEXT = """
def convergence_claiming_next(run):
    run.artifact("sdcard")
    say(f"claimed {run.gates.claim_next(3)} {run.worker}")

def declare_gate_4(plan):
    plan.gate(3, "convergence", needs=("sdcard",))(convergence_claiming_next)
    plan.gate(4, "boot")(lambda run: say(f"decided {run.worker}"))
"""


@pytest.mark.parametrize("workers", ["0", "3"])
def test_a_gate_claimed_while_the_one_below_is_decided_is_decided_right_after_it(
    pytester, monkeypatch, workers
):
    tests = "import pytest\n\n" + "".join(
        f"@pytest.mark.gate(4)\ndef test_booted_{n}():\n    pass\n\n" for n in range(4)
    )
    ledger = with_gate_4(pytester, monkeypatch, tests, CLAIMED_NEXT)
    run(pytester, "-n", workers).assert_outcomes(passed=8)  # gates 1-4 and the tests
    said = ledger.read_text().splitlines()
    _, claimed, claimer = next(line for line in said if line.startswith("claimed")).split()
    decided = [line for line in said if line.startswith("decided")]
    gates = {g["number"]: g for g in record(pytester)["gates"]}
    assert all(g["open"] for g in gates.values()) and len(decided) == 1
    # Alone, gate 3's item comes first; with workers, one that needs gate 4 may claim it sooner.
    assert claimed == "True" or workers != "0"
    if claimed == "True":
        assert decided == [f"decided {claimer}"] and gates[4]["worker"] == gates[3]["worker"]
        assert gates[3]["end"] <= gates[4]["start"]
