"""A run reuses a cached artifact only when its files match the sums its build
recorded (issue 24, item 2): a flipped byte or a deleted file in the cache is
one warning line on the terminal and in the build log, then a normal build,
and the run passes (before: a deleted file ended in "decider crashed:
FileNotFoundError", a changed one passed unnoticed). A real synthetic run, twice."""

from __future__ import annotations

import pytest

from pytest_quill.engine.cache import damage
from tests.support.synthetic_runs import make_project, record, run

pytestmark = pytest.mark.timeout(300)


def flip_a_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0x20
    path.write_bytes(bytes(data))


SPOIL = {
    "flipped byte": (flip_a_byte, "payload.txt differs from the sha256 recorded when it was built"),
    "deleted": (lambda path: path.unlink(), "payload.txt is missing"),
}


@pytest.mark.parametrize("how", SPOIL)
def test_a_damaged_cached_kernel_is_said_once_then_built_again(pytester, monkeypatch, how):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    run(pytester).assert_outcomes(passed=15)
    entry = next((pytester.path / "cache" / "artifacts" / "kernel").glob("*/payload.txt")).parent
    spoil, reason = SPOIL[how]
    spoil(entry / "payload.txt")
    ledger.write_text("")

    result = run(pytester)

    result.assert_outcomes(passed=15)
    warning = (
        f"[quill] kernel: warning: the cached kernel {entry.name} is damaged ({reason}); "
        f"building it again: {entry}"
    )
    assert [line for line in result.errlines if "damaged" in line] == [warning]
    assert "decider crashed" not in result.stdout.str()
    assert ledger.read_text().split() == ["kernel"]  # the rootfs and the card were reused
    assert damage(entry) == "" and (entry / "payload.txt").read_text() == "kernel"
    kernel = next(a for a in record(pytester)["artifacts"] if a["name"] == "kernel")
    log = (pytester.path / kernel["log"]).read_text()
    assert sum("is damaged" in line for line in log.splitlines()) == 1
    assert kernel["status"] == "built"
