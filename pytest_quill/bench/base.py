"""The bench interface, and the registry that picks a bench by profile.bench.kind.

A new bench is a new module that subclasses Bench and decorates it with
@register("kind"); bench_for finds it by importing the package's modules.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..profile import Profile
from .console import Console

_BENCHES: dict[str, type[Bench]] = {}


@dataclass(frozen=True)
class BenchOptions:
    """What the command line may change about a bench."""

    timeout_factor: float = 1.0  # --quill-timeout-factor: scales every console timeout
    serial_port: str | None = None  # --quill-serial-port: overrides profile.bench.serial.port


class Bench(ABC):
    """Power, console and keyboard of one device, whatever provides them."""

    kind: str

    def __init__(self, profile: Profile, run_dir: Path, options: BenchOptions):
        self.profile = profile
        self.run_dir = Path(run_dir)
        self.options = options

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

    def close(self) -> None:
        self.power_off()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def register(kind: str):
    """Class decorator: the bench for profiles with bench.kind = kind."""

    def add(cls: type[Bench]) -> type[Bench]:
        cls.kind = kind
        _BENCHES[kind] = cls
        return cls

    return add


def bench_for(profile: Profile, run_dir: Path, options: BenchOptions | None = None) -> Bench:
    _load_benches()
    kind = profile.bench.kind
    if kind not in _BENCHES:
        known = ", ".join(sorted(_BENCHES)) or "none"
        raise InputError(f"{profile.path}: bench.kind = {kind!r} has no bench; known: {known}")
    return _BENCHES[kind](profile, run_dir, options or BenchOptions())


def _load_benches() -> None:
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{module.name}")
