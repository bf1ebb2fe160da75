"""The terminal summary of a run: the boot and its stages, the card's path, the
plan's figures without verdicts, and what an interrupted run did not make."""

from pathlib import Path

from pytest_quill.report import metrics
from pytest_quill.run import record
from tests.support.run_records import two_worker_record


def summary(rec: dict) -> list[str]:
    return record.summary_lines(rec, lambda path: str(path), ("sdcard", "card.img"))


def test_a_green_run_says_its_boot_stages_card_and_logs():
    rec = two_worker_record()
    rec["artifacts"][2]["files"] = ["card.bmap", "card.img", "meta.json"]
    rec["boot"].update(
        budget_s=20.0,
        log="reports/runs/r1/logs/console-first-boot-gw1.log",
        stages={"shell": 3.4, "bootloader": 0.2, "linux": 1.9},
    )
    lines = summary(rec)
    assert "boot: shell in 3.4 s (budget 20.0 s) on gw1: bootloader 0.2 s, linux 1.9 s, shell 3.4 s" in lines
    assert "boot console log: reports/runs/r1/logs/console-first-boot-gw1.log" in lines
    assert f"card image: {Path('.quill-cache/sdcard/sdcard-key/card.img')}" in lines
    assert lines[-1] == "logs: reports/runs/r1/logs"
    assert not any(line.startswith("interrupted") for line in lines)


def test_the_plans_figures_stand_beside_the_measured_ones_with_no_verdict():
    lines = metrics.summary_lines(metrics.compute(two_worker_record()))
    assert [line.split("(plan: ")[1] for line in lines[1:]] == ["40-50%)", "> 70%)", "< 10%)"]
    assert not any(word in line for line in lines for word in ("MISSED", " met", "target"))


def test_an_interrupted_run_names_what_it_did_not_make_and_where_it_stopped(tmp_path):
    rec = two_worker_record()
    rec["artifacts"] = [a for a in rec["artifacts"] if a["name"] == "rootfs"]
    (tmp_path / "kernel.log").write_text(
        "[quill 10:00:00] building kernel k\n[quill 10:00:01] step: make zImage modules\n"
    )
    (tmp_path / "sdcard.log").write_text("[quill 10:00:00] waiting for another run's build\n")
    rec.update(
        interrupted=True, not_made=record.not_made(rec, ["kernel", "rootfs", "sdcard", "extra"], tmp_path)
    )
    assert rec["not_made"] == [
        "kernel (stopped at make zImage modules)",
        "sdcard (not started)",
        "extra (not started)",
    ]
    assert summary(rec)[1] == (
        "interrupted: not made: kernel (stopped at make zImage modules), "
        "sdcard (not started), extra (not started)"
    )


def test_the_image_line_names_the_file_the_plan_boots_and_nothing_without_one():
    rec = two_worker_record()
    rec["artifacts"][0]["files"] = ["uImage", "meta.json"]
    lines = record.summary_lines(rec, str, ("kernel", "uImage"))
    assert f"card image: {Path('.quill-cache/kernel/kernel-key/uImage')}" in lines
    assert not any(line.startswith("card image") for line in record.summary_lines(rec, str))


def test_what_passed_only_after_a_retry_is_named_flaky_with_each_attempt():
    rec = two_worker_record()
    flaky = "attempt 1: infrastructure (QEMU (pid 7) was killed by SIGKILL; log c.log); attempt 2: passed"
    rec["tests"] = [
        {"nodeid": "suites/d/test_x.py::test_shell", "outcome": "passed", "flaky": flaky, "worker": "gw1"},
        {"nodeid": "suites/d/test_x.py::test_keys", "outcome": "passed", "worker": "gw1"},
    ]
    lines = summary(rec)
    assert [line for line in lines if line.startswith("flaky")] == [
        f"flaky: suites/d/test_x.py::test_shell: {flaky}"
    ]
    kept = record.as_record(rec).to_json()["tests"]
    assert [test.get("flaky") for test in kept] == [flaky, None]  # absent when it passed at once
