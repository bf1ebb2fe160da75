"""A run's processes end without the interpreter's last full garbage
collection (pytest_quill/run/exit.py), a project without a plan keeps it, and
the record says when each worker finished and when the controller closed."""

from __future__ import annotations

from tests.support.synthetic_runs import make_project, record, run

# Registered before the plugin's own exit handler, so it runs after it (atexit
# is last-in, first-out): what it sees is the heap the interpreter ends with.
SAYS_AT_EXIT = """
import atexit, gc, os

def _say_frozen():
    with open(os.path.join({folder!r}, "frozen-%d.txt" % os.getpid()), "w") as said:
        said.write(str(gc.get_freeze_count()))

atexit.register(_say_frozen)
"""


def frozen_counts(folder) -> list[int]:
    return sorted(int(path.read_text()) for path in folder.glob("frozen-*.txt"))


def test_every_process_of_a_run_skips_the_last_collection(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    said = pytester.mkdir("said")
    conftest = pytester.path / "conftest.py"
    conftest.write_text(SAYS_AT_EXIT.format(folder=str(said)) + conftest.read_text())
    result = run(pytester, "-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=15)
    counts = frozen_counts(said)
    assert len(counts) == 3  # the controller and both workers
    assert all(count > 0 for count in counts), counts


def test_a_project_without_a_plan_keeps_the_last_collection(pytester):
    said = pytester.mkdir("said")
    pytester.makeconftest(SAYS_AT_EXIT.format(folder=str(said)))
    pytester.makepyfile(test_one="def test_one(): pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert frozen_counts(said) == [0]


def test_the_record_says_when_each_worker_finished_before_the_controller_closed(pytester, monkeypatch):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    result = run(pytester, "-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=15)
    closing = record(pytester)["closing"]
    finished = {span["worker"]: span["start"] for span in closing if span["what"] == "finished"}
    closed = {span["worker"]: span["start"] for span in closing if span["what"] == "close"}
    assert sorted(finished) == ["gw0", "gw1"]
    assert all(closed[worker] <= finished[worker] <= closed["main"] for worker in finished)
