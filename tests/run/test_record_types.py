"""The run record through its types (report/rundata.py): what is written reads back
equal, keys stay those of docs/record.md, and a record of another version or a
corrupt one is one line wherever it is read."""

import json
from pathlib import Path

import pytest

from pytest_quill.errors import InputError
from pytest_quill.report.rundata import (
    NAME,
    SCHEMA_VERSION,
    ArtifactResult,
    BootResult,
    CorruptRecord,
    GateResult,
    RunRecord,
    SharedCopy,
    Span,
    from_json,
    read_json,
    read_record,
)
from pytest_quill.run import record
from pytest_quill.run.state import RunState


def a_record(run_dir: Path) -> RunRecord:
    """Every kind of entry, with the keys a real run writes."""
    return RunRecord(
        profile="qemu-virt",
        workers=2,
        backend="docker",
        started=100.0,
        finished=160.5,
        project="/p",
        cache="/c",
        run_dir=str(run_dir),
        artifacts=(
            ArtifactResult(
                "kernel",
                "pulled",
                key="k1",
                path="/c/kernel/k1",
                log="logs/kernel.log",
                worker="gw0",
                start=101.0,
                end=120.0,
                backend="docker",
                files=("uImage", "meta.json"),
                pulled=SharedCopy("localhost:5000/quill:kernel-k1", 1.5, 3, 2048),
            ),
            ArtifactResult(
                "sdcard",
                "failed",
                log="logs/sdcard.log",
                worker="gw1",
                start=121.0,
                end=122.0,
                backend="host",
                deps=("kernel",),
                error="sdcard build failed: no space",
                root="sdcard",
                failure="bench",
            ),
        ),
        gates=(
            GateResult(1, "build", True, worker="gw0", start=101.0, end=121.0),
            GateResult(
                3,
                "convergence",
                False,
                "gate 3 (convergence) closed: no space",
                "artifact-sdcard",
                "bench",
                worker="gw1",
                start=121.0,
                end=122.5,
            ),
        ),
        waits=(Span(worker="gw1", start=101.0, end=120.0, what="artifact kernel"),),
        tests=(
            Span(
                worker="gw0",
                start=100.5,
                end=121.0,
                nodeid="suites/x/test_a.py::test_b",
                outcome="passed",
                stream="A kernel",
            ),
        ),
        boot=BootResult(
            boot_time_s=3.4,
            stages={"bootloader": 0.2, "shell": 3.4},
            budget_s=20.0,
            within_budget=True,
            log="logs/console.log",
            bench_command="qemu ...",
            worker="gw0",
            start=150.0,
            end=154.0,
        ),
        metrics={"wall_s": 60.5, "critical_chain": ["kernel", "boot"], "utilization": None},
    )


def test_a_record_written_reads_back_equal(tmp_path):
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    made = a_record(run_dir)
    path = record.write_record(made, tmp_path)
    assert path == tmp_path / NAME
    assert read_record(path) == made
    assert read_record(run_dir / NAME) == made


def test_the_json_has_the_documented_keys_and_leaves_out_what_does_not_apply(tmp_path):
    data = json.loads(json.dumps(a_record(tmp_path).to_json()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert {"interrupted", "not_made", "streams"}.isdisjoint(data)
    kernel, card = data["artifacts"]
    assert "root" not in kernel and "failure" not in kernel and "meta" not in kernel
    assert kernel["pulled"] == {
        "reference": "localhost:5000/quill:kernel-k1",
        "seconds": 1.5,
        "files": 3,
        "bytes": 2048,
    }
    assert "files" not in card and (card["root"], card["failure"]) == ("sdcard", "bench")
    assert set(data["waits"][0]) == {"worker", "what", "start", "end"}
    assert set(data["tests"][0]) == {"nodeid", "outcome", "reason", "stream", "worker", "start", "end"}
    assert set(data["gates"][1]) == {
        "number",
        "name",
        "open",
        "reason",
        "cause",
        "failure",
        "worker",
        "start",
        "end",
    }


def test_an_interrupted_record_says_what_it_did_not_make(tmp_path):
    stopped = RunRecord(
        profile="p",
        workers=1,
        backend="host",
        interrupted=True,
        not_made=("kernel (stopped at make zImage modules)",),
    )
    data = stopped.to_json()
    assert (data["interrupted"], data["not_made"]) == (True, ["kernel (stopped at make zImage modules)"])
    assert "metrics" not in data and "boot" not in data
    assert RunRecord.from_json(data) == stopped


def test_the_record_is_merged_from_the_workers_events(tmp_path):
    for worker, start in (("gw1", 5.0), ("gw0", 2.0)):
        state = RunState(tmp_path, worker)
        state.event(
            "artifact", **ArtifactResult(f"a-{worker}", "built", start=start, end=start + 1).to_json()
        )
        state.event("wait", what="gate 1", start=start, end=start + 0.5)
    state.event("gate", **GateResult(1, "build", True, start=1.0, end=9.0).to_json())
    state.event("card", written=True)  # not the record's: left out
    made = record.collect(
        state, {"profile": "p", "workers": 2, "backend": "host", "started": 1.0, "streams": ["A kernel"]}
    )
    assert [a.name for a in made.artifacts] == ["a-gw0", "a-gw1"]  # by start
    assert [a.worker for a in made.artifacts] == ["gw0", "gw1"]
    assert made.gates[0].worker == "gw0" and made.streams == ("A kernel",)
    assert made.boot is None and record.used_quill(made)


@pytest.mark.parametrize(
    "text, said",
    [
        ('{"schema_version": 2, "profile": "p"}', "schema version 2, this pytest-quill reads 1"),
        ("[1, 2]", "schema version None"),
        ("{not json", "unreadable"),
        (
            '{"schema_version": 1, "artifacts": [{"name": "k", "status": "built", "start": "soon"}]}',
            "corrupt (artifacts[0].start: 'soon' is not float)",
        ),
        ('{"schema_version": 1, "gates": [{"name": "build", "open": true}]}', "corrupt (gates[0]: "),
        ('{"schema_version": 1, "tests": {"nodeid": "x"}}', "corrupt (tests: "),
    ],
)
def test_another_version_or_a_corrupt_record_is_one_line(tmp_path, text, said):
    path = tmp_path / NAME
    path.write_text(text)
    for read in (read_json, read_record):
        with pytest.raises(InputError) as raised:
            read(path)
        line = raised.value.one_line()
        assert said in line and str(path) in line and "\n" not in line


def test_a_published_result_reads_as_its_type_and_refuses_a_wrong_one():
    assert from_json(GateResult, {"number": 2, "name": "artifacts", "open": True}).open
    with pytest.raises(CorruptRecord, match=r"open: 'yes' is not bool"):
        from_json(GateResult, {"number": 2, "name": "artifacts", "open": "yes"})
