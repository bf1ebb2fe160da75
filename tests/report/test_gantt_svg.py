"""The Gantt SVG of synthetic run records, read back as XML."""

import xml.etree.ElementTree as ET

import pytest

from pytest_quill.report import gantt
from pytest_quill.report.rundata import RunRecord

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iterfind(".//svg:g", NS) if g.get("class") == f"bar {kind}"]


def titles(groups) -> list[str]:
    return [g.find("svg:title", NS).text for g in groups]


def test_one_lane_per_worker_in_natural_order(run_record):
    run_record["tests"].append({"nodeid": "t", "worker": "gw10", "start": 1001.0, "end": 1002.0})
    lanes = [
        g.get("data-worker")
        for g in parse(gantt.render_svg(run_record)).iterfind(".//svg:g", NS)
        if g.get("class") == "lane"
    ]
    assert lanes == ["gw0", "gw1", "gw10"]


def test_artifacts_are_named_bars_placed_on_the_time_axis(run_record):
    root = parse(gantt.render_svg(run_record))
    artifacts = bars(root, "artifact")
    assert [g.find("svg:text", NS).text for g in artifacts if g.find("svg:text", NS) is not None] == [
        "kernel",
        "rootfs",
    ]  # the 2 s sdcard bar is too narrow for its label
    assert any(t.startswith("sdcard built: 51.0-53.0 s") for t in titles(artifacts))
    kernel = artifacts[0].find("svg:rect", NS)
    pixels = gantt.WIDTH - gantt.LEFT - gantt.RIGHT
    assert float(kernel.get("x")) == pytest.approx(gantt.LEFT + 0.01 * pixels, abs=0.01)
    assert float(kernel.get("width")) == pytest.approx(0.50 * pixels, abs=0.01)


def test_tests_are_coloured_by_stream_in_the_plans_order(run_record):
    run_record["streams"] = ["A kernel", "B rootfs", "C bench", "D integration"]
    tests = bars(parse(gantt.render_svg(run_record)), "test")
    streams = [title.split(" [")[1].split("]")[0] for title in titles(tests)]
    fills = dict(zip(streams, (g.find("svg:rect", NS).get("fill") for g in tests)))
    assert fills == {"A kernel": "#4e79a7", "B rootfs": "#59a14f", "D integration": "#b07aa1"}


def test_a_stream_the_plan_did_not_declare_still_gets_a_colour(run_record):
    colours = gantt.stream_colours(RunRecord.from_json(run_record))
    assert list(colours) == ["A kernel", "B rootfs", "D integration"]
    assert len(set(colours.values())) == 3


def test_a_test_without_a_stream_is_drawn_as_other(run_record):
    del run_record["tests"][0]["stream"]
    test = bars(parse(gantt.render_svg(run_record)), "test")[0]
    assert titles([test])[0].startswith("suites/a_kernel/test_a1_config.py::test_builds [no stream]")
    assert test.find("svg:rect", NS).get("fill") == "#bab0ac"


def test_waits_are_hatched_and_gates_and_boot_drawn(run_record):
    root = parse(gantt.render_svg(run_record))
    assert [g.find("svg:rect", NS).get("fill") for g in bars(root, "wait")] == ["url(#wait)"]
    assert root.find(".//svg:pattern[@id='wait']", NS) is not None
    assert titles(bars(root, "gate"))[0].startswith("gate 1 (build) open")
    assert titles(bars(root, "boot"))[0].startswith("boot 3.4 s to a shell")


def test_failures_are_outlined(run_record):
    run_record["artifacts"][1].update(status="failed", error="mmdebstrap exited 1")
    failed = [
        g
        for g in bars(parse(gantt.render_svg(run_record)), "artifact")
        if g.find("svg:rect", NS).get("class") == "failed"
    ]
    assert titles(failed) == ["rootfs failed: mmdebstrap exited 1: 1.0-31.0 s (30.0 s)"]


def test_legend_and_metrics_line(run_record):
    run_record["streams"] = ["A kernel", "B rootfs", "C bench", "D integration"]
    svg = gantt.render_svg(run_record)
    for text in (
        "test: A kernel",
        "test: B rootfs",
        "test: C bench",
        "test: D integration",
        "waiting",
        "artifact from cache",
        "seconds since the run started",
        "critical path 56.0 s (kernel -&gt; sdcard -&gt; boot)",
    ):
        assert text in svg


def test_single_process_and_empty_records_still_draw():
    single = {
        "workers": 0,
        "started": 0.0,
        "finished": 10.0,
        "tests": [
            {"nodeid": "suites/a_kernel/test_a1_x.py::t", "start": 1.0, "end": 9.0, "stream": "A kernel"}
        ],
    }
    lanes = [
        g.get("data-worker")
        for g in parse(gantt.render_svg(single)).iterfind(".//svg:g", NS)
        if g.get("class") == "lane"
    ]
    assert lanes == ["main"]
    assert parse(gantt.render_svg({})).tag == "{http://www.w3.org/2000/svg}svg"


def test_write_makes_the_folder(run_record, tmp_path):
    path = gantt.write(run_record, tmp_path / "reports" / "gantt.svg")
    assert parse(path.read_text()).get("width") == str(gantt.WIDTH)


def test_an_artifact_is_drawn_from_when_its_deps_were_ready(run_record):
    run_record["artifacts"][2]["start"] = 1001.0  # the card asked for at once, waits for its deps
    sdcard = next(
        g
        for g in bars(parse(gantt.render_svg(run_record)), "artifact")
        if titles([g])[0].startswith("sdcard")
    )
    pixels = gantt.WIDTH - gantt.LEFT - gantt.RIGHT
    assert float(sdcard.find("svg:rect", NS).get("x")) == pytest.approx(gantt.LEFT + 0.51 * pixels, abs=0.01)


def test_gates_sit_on_their_own_track_with_their_number(run_record):
    root = parse(gantt.render_svg(run_record))
    gate = bars(root, "gate")[0].find("svg:rect", NS)
    lane_top = gantt.TOP + gantt.LANE_HEIGHT  # gw1's lane
    assert float(gate.get("y")) == lane_top + gantt.GATE_TRACK[0]
    assert [t.text for t in root.iterfind(".//svg:text", NS) if t.get("class") == "gate-mark"] == ["G1"]
