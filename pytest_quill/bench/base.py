"""The bench interface, and how a profile's bench.kind finds its bench.

A bench kind is one module (bench.kind = "qemu" -> bench/qemu.py): SECTION, the
dataclass of its [bench.KIND] table, and bench_class(), its Bench subclass. It is
registered in pytest_quill/profile/benches.py (BUILT_IN_BENCHES), or, from another
package, by an entry point of the group "pytest_quill.benches" naming the module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from ..errors import BenchError, InputError
from ..profile import Profile
from ..profile.benches import bench_kinds
from .console import Console
from .snapshots import SnapshotStore, StateKey


@dataclass(frozen=True)
class BenchOptions:
    """What the command line may change about a bench."""

    timeout_factor: float = 1.0  # --quill-timeout-factor: scales every console timeout
    serial_port: str | None = None  # --quill-serial-port: overrides profile.bench.serial.port
    keep: bool = False  # --quill-keep-bench: the device may outlive the run (leave_running)


class Bench(ABC):
    """Power, console and keyboard of one device, whatever provides them."""

    def __init__(self, profile: Profile, run_dir: Path, options: BenchOptions):
        self.profile = profile
        self.run_dir = Path(run_dir)
        self.options = options
        self.launched = ""  # how the device was started, shell-quoted, once powered on

    @abstractmethod
    def check(self) -> list[str]:
        """What keeps this bench from running a card, one line each; empty = ready."""

    @abstractmethod
    def power_on(self, card_image: Path, log_path: Path) -> Console:
        """Start the device from card_image; every console byte goes to log_path."""

    @abstractmethod
    def power_off(self) -> None:
        """Stop the device and release the console; safe to call twice."""

    @abstractmethod
    def send_keys(self, text: str) -> None:
        """Type text on the device's keyboard."""

    def state_key(self, card_digest: str) -> StateKey | None:
        """What a saved state of a device booted from the card whose sha256 is
        CARD_DIGEST on this bench is kept under; None: this bench cannot save or
        restore a device's state."""
        return None

    def save_state(self, store: SnapshotStore, key: StateKey) -> Path:
        """Keep the running device's state in STORE under KEY; its disk's path."""
        raise BenchError(f"a {self.profile.bench.kind} bench cannot save a device's state")

    def restore(self, card_image: Path, state: Path, log_path: Path) -> Console:
        """Start the device from a saved STATE of CARD_IMAGE (its shell already up)."""
        raise BenchError(f"a {self.profile.bench.kind} bench cannot restore a device's state")

    def leave_running(self) -> list[str]:
        """Release the console but leave the device running (--quill-keep-bench); how
        to reach its console and stop it, one line each. Powered off where it cannot."""
        self.power_off()
        return []

    def close(self) -> None:
        self.power_off()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bench_for(profile: Profile, run_dir: Path, options: BenchOptions | None = None) -> Bench:
    return bench_class(profile.bench.kind, profile.path)(profile, run_dir, options or BenchOptions())


def bench_class(kind: str, source: Path) -> type[Bench]:
    """The bench of a kind; SOURCE, the profile naming it, is what an error names."""
    known = bench_kinds()
    if kind not in known:
        raise InputError(f"{source}: bench.kind = {kind!r} has no bench; known: {', '.join(known)}")
    try:
        bench = known[kind].bench_class()
    except ModuleNotFoundError as missing:  # a bench whose library is an extra
        raise InputError(
            f"{source}: bench.kind = {kind!r} needs the {missing.name} package: "
            f"pip install 'pytest-quill[{kind}]'"
        ) from None
    if not (isinstance(bench, type) and issubclass(bench, Bench)):
        raise InputError(
            f"{source}: bench.kind = {kind!r}: {known[kind].__name__}.bench_class() gave no Bench subclass"
        )
    return bench
