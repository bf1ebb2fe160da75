"""quill status: each artifact's key, size, age and folder, and the last run's gates."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_quill.report.rundata import SCHEMA_VERSION
from tests.support.quill_cli import run_quill


def lines_of(result) -> dict[str, str]:
    """The artifact lines of status's output, by artifact name."""
    return {
        line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.split()[:1] in (["kernel"], ["rootfs"], ["sdcard"])
    }


def test_an_empty_cache_lists_nothing_cached_and_the_run_that_makes_it(empty):
    result = run_quill("status", *empty)
    assert result.returncode == 0, result.stderr
    listed = lines_of(result)
    assert listed["kernel"].endswith("not cached  (key for the host backend)")
    assert listed["rootfs"].endswith("not cached  (key for the host backend)")
    assert listed["sdcard"].split()[1:] == [
        "-",
        "not",
        "cached",
        "(kernel",
        "is",
        "not:",
        "its",
        "key",
        "is",
        "part",
        "of",
        "this",
        "one's)",
    ]
    cache = empty[1]
    assert (
        f"not cached: kernel, rootfs, sdcard; make them with: pytest -n 3 suites/ "
        f"--quill-profile qemu-virt --quill-cache {cache} --quill-reports {empty[3]} "
        "--quill-backend host"
    ) in result.stdout
    assert f"last run: none recorded ({empty[3]}/quill-run.json is missing)" in result.stdout
    assert not Path(cache).exists()  # status creates nothing


def test_a_seeded_cache_lists_keys_sizes_ages_and_folders(seeded):
    result = run_quill("status", *seeded)
    assert result.returncode == 0, result.stderr
    listed = lines_of(result)
    folders = {name: Path(line.split()[-2]) for name, line in listed.items()}
    for name, folder in folders.items():
        key = listed[name].split()[1]
        assert folder == Path(seeded[1]) / "artifacts" / name / key
        assert (folder / "meta.json").is_file()
        assert "2 h ago" in listed[name]
    assert "     3.0 MB" in listed["kernel"]  # the 3,000,000 bytes of its uImage
    assert "     2.1 MB" in listed["sdcard"]  # the card's data ranges (it is sparse) and map
    assert listed["sdcard"].endswith("(host)")
    assert "not cached" not in result.stdout


def write_record(reports: Path, profile: str) -> None:
    """A run record as the plugin writes it: gate 4 closed by a boot that stopped."""
    now = time.time()
    gates = [
        {
            "number": n,
            "name": name,
            "open": n < 4,
            "reason": "" if n < 4 else "gate 4 (boot) closed: the console closed after 3.1 s",
        }
        for n, name in ((1, "build"), (2, "artifacts"), (3, "convergence"), (4, "boot"))
    ]
    record = {
        "schema_version": SCHEMA_VERSION,
        "profile": profile,
        "workers": 3,
        "backend": "host",
        "finished": now,
        "run_dir": str(reports / "runs" / "r1"),
        "gates": gates,
        "artifacts": [
            {
                "name": "kernel",
                "status": "cached",
                "start": now - 1,
                "end": now,
                "worker": "gw0",
                "log": "logs/kernel.log",
            }
        ],
    }
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "quill-run.json").write_text(json.dumps(record))


def test_the_last_runs_gates_are_shown_for_its_profile(empty):
    write_record(Path(empty[3]), "qemu-virt")
    result = run_quill("status", *empty)
    shown = result.stdout.splitlines()
    start = next(i for i, line in enumerate(shown) if line.startswith("last run ("))
    assert shown[start + 1 : start + 6] == [
        "  profile qemu-virt, 3 worker(s), backend host",
        "  gate 1 (build): open",
        "  gate 2 (artifacts): open",
        "  gate 3 (convergence): open",
        "  gate 4 (boot) closed: the console closed after 3.1 s",
    ]


def test_a_last_run_of_another_profile_is_named_not_shown(empty):
    write_record(Path(empty[3]), "nook-twin")
    result = run_quill("status", *empty)
    assert (
        "of profile nook-twin, not qemu-virt; --reports names the folder of this "
        "profile's runs" in result.stdout
    )
    assert "gate 1" not in result.stdout


def test_json_prints_the_last_run_record_for_scripts(empty):
    write_record(Path(empty[3]), "qemu-virt")
    result = run_quill("status", "--json", *empty)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["schema_version"], printed["profile"]) == (SCHEMA_VERSION, "qemu-virt")
    assert [gate["open"] for gate in printed["gates"]] == [True, True, True, False]


@pytest.mark.parametrize(
    "text, why",
    [
        ("{not json", "unreadable (Expecting property name enclosed in double quotes"),
        (
            '{"schema_version": 99, "profile": "qemu-virt"}',
            f"schema version 99, this pytest-quill reads {SCHEMA_VERSION}",
        ),
        ('["a list"]', "schema version None"),
        ('{"schema_version": 1, "workers": "three"}', "corrupt (workers: 'three' is not int)"),
    ],
)
def test_a_corrupt_or_foreign_record_is_one_line_and_exit_4(empty, text, why):
    reports = Path(empty[3])
    reports.mkdir(parents=True)
    (reports / "quill-run.json").write_text(text)
    for argv in (("status",), ("status", "--json")):
        result = run_quill(*argv, *empty)
        assert result.returncode == 4 and "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"quill: run record {reports / 'quill-run.json'}: {why}")


def test_json_without_a_record_says_none_yet(empty):
    result = run_quill("status", "--json", *empty)
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr.strip().endswith("none yet; a run that builds or gates something writes it")
