"""Saved device states (#28 item 3): the store keeps a state whole, under the card's
and the bench's digests, checks it before each use and forgets a card's states
when another card's is kept; the QEMU bench saves a running device's state and
starts from it (real qemu-system-arm and U-Boot, no kernel needed)."""

from types import SimpleNamespace

import pytest

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.bench.snapshots import DISK, SnapshotStore, StateKey
from pytest_quill.digest import file_sha256
from pytest_quill.mvp.device import keep_state
from pytest_quill.profile import load_profile

pytestmark = pytest.mark.timeout(120)


def disk(tmp_path, content: bytes):
    path = tmp_path / f"disk-{len(list(tmp_path.glob('disk-*')))}.qcow2"
    path.write_bytes(content)
    return path


def test_a_kept_state_is_found_under_its_key_only(tmp_path):
    store = SnapshotStore(tmp_path / "states")
    key = StateKey(bench="b1", card="c1")
    kept = store.publish(key, disk(tmp_path, b"state one"))
    assert store.find(key) == kept and kept.read_bytes() == b"state one"
    assert store.find(StateKey(bench="b2", card="c1")) is None  # another bench's settings
    assert store.find(StateKey(bench="b1", card="c2")) is None  # another card
    assert not list((tmp_path / "states").glob(".new-*"))  # nothing half-written left beside


def test_an_altered_or_torn_state_is_removed_never_used(tmp_path):
    store = SnapshotStore(tmp_path / "states")
    key = StateKey(bench="b1", card="c1")
    kept = store.publish(key, disk(tmp_path, b"state one"))
    kept.write_bytes(b"state one, altered")
    assert store.find(key) is None and not kept.parent.exists()
    torn = store.publish(key, disk(tmp_path, b"state two"))
    (torn.parent / "SHA256SUMS").unlink()  # as a copy cut short would leave it
    assert store.find(key) is None


def test_a_new_cards_state_replaces_the_old_cards_on_the_same_bench_only(tmp_path):
    store = SnapshotStore(tmp_path / "states")
    old, other_bench = StateKey(bench="b1", card="c1"), StateKey(bench="b2", card="c1")
    store.publish(old, disk(tmp_path, b"old card"))
    store.publish(other_bench, disk(tmp_path, b"old card, other bench"))
    store.publish(StateKey(bench="b1", card="c2"), disk(tmp_path, b"new card"))
    assert store.find(old) is None
    assert store.find(other_bench) is not None


class SavingBench:
    """A bench whose device's state is KEY's; it counts the states it saved."""

    def __init__(self, key: StateKey, disk):
        self.key, self.disk, self.saved = key, disk, 0

    def state_key(self, card_digest):
        return self.key

    def save_state(self, store, key):
        self.saved += 1
        return store.publish(key, self.disk)


def judged_run(tmp_path):
    """What keep_state reads of a run: its card's sums, its cache, its bench's kind."""
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  card.img\n")
    card = SimpleNamespace(file=lambda name: tmp_path / name)
    return SimpleNamespace(
        artifact=lambda name: card,
        options=SimpleNamespace(cache=tmp_path / "cache"),
        profile=SimpleNamespace(bench=SimpleNamespace(kind="qemu")),
    )


def test_the_judged_device_is_saved_only_when_no_whole_state_of_its_card_is_kept(tmp_path):
    run, key = judged_run(tmp_path), StateKey(bench="b1", card="c1")
    bench = SavingBench(key, disk(tmp_path, b"first boot's state"))
    first = keep_state(run, SimpleNamespace(bench=bench))
    assert bench.saved == 1 and first.endswith(DISK)
    assert keep_state(run, SimpleNamespace(bench=bench)) == first and bench.saved == 1
    (tmp_path / first).write_bytes(b"altered")  # a kept state that fails its digest is made again
    assert keep_state(run, SimpleNamespace(bench=bench)) == first and bench.saved == 2


def test_the_key_changes_with_the_card_and_the_benchs_settings(tmp_path):
    virt = bench_for(load_profile("qemu-virt"), tmp_path / "run", BenchOptions())
    key = virt.state_key("c1")
    assert bench_for(load_profile("qemu-virt"), tmp_path / "run", BenchOptions()).state_key("c1") == key
    bigger = load_profile("qemu-virt", {"bench.qemu.memory_mib": "512"})
    assert bench_for(bigger, tmp_path / "run", BenchOptions()).state_key("c1").bench != key.bench
    changed = virt.state_key("c2")
    assert changed.bench == key.bench and changed.card == "c2"


def test_a_saved_qemu_state_starts_at_once_where_it_was_saved(tmp_path):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    store = SnapshotStore(tmp_path / "states")
    with bench_for(load_profile("qemu-virt"), tmp_path / "run", BenchOptions()) as bench:
        console = bench.power_on(card, tmp_path / "booted.log")
        console.expect("=> $", timeout=60, what="the U-Boot prompt")
        console.sendline("setenv quill_mark saved-state")
        console.expect("=> $", timeout=10)
        key = bench.state_key(file_sha256(card))
        kept = bench.save_state(store, key)
        bench.power_off()
        assert store.find(key) == kept and kept.name == DISK

        console = bench.restore(card, kept, tmp_path / "restored.log")
        console.sendline("printenv quill_mark")
        console.expect("quill_mark=saved-state", timeout=30, what="the saved U-Boot's environment")
    assert b"U-Boot 20" not in (tmp_path / "restored.log").read_bytes()  # no boot: the state
