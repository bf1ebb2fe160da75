"""The plan's metrics from synthetic run records (figures worked out by hand)."""

import pytest

from pytest_quill.report import metrics
from pytest_quill.report.rundata import RunRecord


def test_two_workers(run_record):
    got = metrics.compute(run_record)
    # gw0 busy 0-70 s; gw1 busy 0-90 s less its 11 s wait: 79 s.
    assert got["wall_s"] == 100.0
    assert got["sequential_s"] == 149.0
    assert got["workers"] == 2
    assert got["time_reduction"] == pytest.approx(1 - 100 / 149, abs=1e-4)
    assert got["utilization"] == pytest.approx(149 / 200, abs=1e-4)
    assert got["sync_overhead"] == pytest.approx(11 / 200, abs=1e-4)


def test_critical_path_follows_deps_to_the_boot(run_record):
    got = metrics.compute(run_record)
    assert got["critical_chain"] == ["kernel", "sdcard", "boot"]
    assert got["critical_path_s"] == 50.0 + 2.0 + 4.0


def test_critical_path_takes_the_longer_dependency(run_record):
    kernel = next(a for a in run_record["artifacts"] if a["name"] == "kernel")
    kernel["end"] = kernel["start"] + 20.0
    got = metrics.compute(run_record)
    assert got["critical_chain"] == ["rootfs", "sdcard", "boot"]
    assert got["critical_path_s"] == 30.0 + 2.0 + 4.0


def test_time_waiting_for_deps_is_not_an_artifact_own_time(run_record):
    # asked for at the start, the card waits for the kernel and the rootfs
    sdcard = next(a for a in run_record["artifacts"] if a["name"] == "sdcard")
    sdcard["start"] = 1001.0
    run_record["boot"]["start"] = 1001.0
    got = metrics.compute(run_record)
    assert got["critical_chain"] == ["kernel", "sdcard", "boot"]
    assert got["critical_path_s"] == 50.0 + 2.0 + 4.0
    assert [(a.name, a.start) for a in metrics.own_spans(RunRecord.from_json(run_record))] == [
        ("kernel", 1001.0),
        ("rootfs", 1001.0),
        ("sdcard", 1051.0),
    ]


def test_boot_time_stands_in_for_a_boot_without_timestamps(run_record):
    run_record["boot"] = {"boot_time_s": 3.4, "stages": {}}
    assert metrics.compute(run_record)["critical_path_s"] == pytest.approx(50.0 + 2.0 + 3.4)


def test_single_process_run_has_one_worker_and_no_gain():
    record = {
        "workers": 0,
        "started": 0.0,
        "finished": 100.0,
        "tests": [{"worker": "main", "start": 1.0, "end": 60.0}, {"start": 60.0, "end": 99.0}],
        "artifacts": [{"name": "kernel", "status": "built", "worker": "main", "start": 2.0, "end": 50.0}],
    }
    got = metrics.compute(record)
    assert got["workers"] == 1
    assert got["sequential_s"] == 98.0
    assert got["time_reduction"] == pytest.approx(1 - 100 / 98, abs=1e-4)
    assert got["utilization"] == pytest.approx(0.98)
    assert got["sync_overhead"] == 0.0
    assert got["critical_chain"] == ["kernel"]


def test_empty_record_gives_no_figures_and_no_error():
    got = metrics.compute({})
    assert {
        k: got[k] for k in ("wall_s", "critical_path_s", "time_reduction", "utilization", "sync_overhead")
    } == dict.fromkeys(("wall_s", "critical_path_s", "time_reduction", "utilization", "sync_overhead"))
    assert got["sequential_s"] == 0.0
    assert len(metrics.summary_lines(got)) == 1 + len(metrics.TARGETS)


def test_unfinished_entries_are_left_out(run_record):
    run_record["tests"].append({"nodeid": "x", "worker": "gw0", "start": 1070.0, "end": None})
    assert metrics.compute(run_record)["sequential_s"] == 149.0


def test_wall_falls_back_to_the_events_span(run_record):
    del run_record["finished"]
    assert metrics.compute(run_record)["wall_s"] == 90.0


def test_summary_puts_each_metric_beside_the_plans_figure(run_record):
    lines = metrics.summary_lines(metrics.compute(run_record))
    assert "critical path 56.0 s (kernel -> sdcard -> boot)" in lines[0]
    reduction, utilization, overhead = lines[1:]
    assert reduction.split()[:3] == ["time", "reduction", "32.9%"]
    assert reduction.endswith("(plan: 40-50%)")
    assert "74.5%" in utilization and utilization.endswith("(plan: > 70%)")
    assert "5.5%" in overhead and overhead.endswith("(plan: < 10%)")
    # a green run's figures read as figures: no verdict, least of all a failure's
    assert not any(word in " ".join(lines) for word in ("MISSED", "met", "FAIL"))
