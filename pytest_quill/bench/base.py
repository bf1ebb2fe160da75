"""The bench interface, and how a profile's bench.kind finds its bench.

A new bench is a new module of this package named for its kind
(bench.kind = "qemu" -> bench/qemu.py) whose BENCH is a Bench subclass.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..profile import Profile
from .console import Console


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

    def leave_running(self) -> list[str]:
        """Release the console but leave the device running (--quill-keep-bench); how
        to reach its console and stop it, one line each. Powered off where it cannot."""
        self.power_off()
        return []

    def close(self) -> None:
        self.power_off()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bench_for(profile: Profile, run_dir: Path, options: BenchOptions | None = None) -> Bench:
    return bench_class(profile.bench.kind, profile.path)(profile, run_dir,
                                                         options or BenchOptions())


def bench_class(kind: str, source: Path) -> type[Bench]:
    module = None
    if kind.isidentifier() and kind in known_kinds():
        try:
            module = importlib.import_module(f"{__package__}.{kind}")
        except ModuleNotFoundError as missing:  # a bench whose library is an extra
            raise InputError(f"{source}: bench.kind = {kind!r} needs the {missing.name} package: "
                             f"pip install 'pytest-quill[{kind}]'") from None
    bench = getattr(module, "BENCH", None)
    if not (isinstance(bench, type) and issubclass(bench, Bench)):
        raise InputError(f"{source}: bench.kind = {kind!r} has no bench; "
                         f"known: {', '.join(known_kinds())}")
    return bench


def known_kinds() -> list[str]:
    """Modules of this package that define a bench (a BENCH)."""
    folder = Path(__file__).parent
    return sorted(path.stem for path in folder.glob("*.py")
                  if "\nBENCH = " in path.read_text())
