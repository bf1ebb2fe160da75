"""The run's card written through a labgrid place's storage, before the board powers on.

A place may hold the board's card writer: a card reader (NetworkUSBMassStorage)
and an SD mux that hands the card to the reader or to the board
(NetworkUSBSDMuxDevice, NetworkUSBSDWireDevice). A mux is a reader too: without
a separate one, its own block device is written. Each write switches the mux to
the host, waits for the medium, checks that it holds the card, writes it with
bmaptool (card.bmap beside the image) or dd, and switches the mux back to the
board. labgrid's own drivers do it all on the exporter's host over ssh; the
image is copied there first unless that host sees it at the same path
(labgrid's ManagedFile).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labgrid.driver import USBSDMuxDriver, USBSDWireDriver, USBStorageDriver
from labgrid.driver.exception import ExecutionError
from labgrid.driver.usbstoragedriver import Mode
from labgrid.exceptions import NoResourceFoundError
from labgrid.target import Target

from ..errors import BenchError
from ..formats import bmap

_READER = "NetworkUSBMassStorage"
_MUXES = {"NetworkUSBSDMuxDevice": USBSDMuxDriver, "NetworkUSBSDWireDevice": USBSDWireDriver}
_MEDIUM_S = 30  # a mux's reader sees the card a second or two after the switch
_MEDIUM_POLL_S = 0.5
_MODE_NAMES = {"ts": "host"}  # an SDWire says TS (test server) for the host side
_OUTPUT_TAIL = 300  # characters of a failed command's output in its one-line error


class PlaceStorage:
    """The card writer of one acquired place: its reader, and its mux when it has one."""

    def __init__(
        self, target: Target, place: str, say: Callable[[str], None], reader: Any, mux: Any
    ):  # labgrid's resources
        self.place = place
        self.say = say  # each step, one line
        self.reader, self.mux = reader, mux
        self._writer = _driver(target, USBStorageDriver, "storage", reader)
        self._switcher = _driver(target, _MUXES[type(mux).__name__], "mux", mux) if mux else None
        self._target = target

    @classmethod
    def of(cls, target: Target, place: str, say: Callable[[str], None]) -> PlaceStorage | None:
        """The place's storage; None when it has none (the card in its slot is booted)."""
        mux = next((r for r in target.resources if type(r).__name__ in _MUXES), None)
        reader = next((r for r in target.resources if type(r).__name__ == _READER), mux)
        return None if reader is None else cls(target, place, say, reader, mux)

    @property
    def where(self) -> str:
        return f"{self.reader.name} ({self.reader.host}:{self.reader.path})"

    def write(self, card: Path) -> None:
        """Write CARD to the place's card; the board must be off."""
        with self._step(f"activating {self.where}"):
            self._target.activate(self._writer)
            if self._switcher is not None:
                self._target.activate(self._switcher)
        self._switch("host")
        medium = self._wait_for_medium()
        needed = card.stat().st_size
        if medium < needed:
            raise BenchError(
                f"place {self.place}: storage {self.where} holds {medium} bytes, "
                f"the card {card} needs {needed}: put a bigger card in it"
            )
        mode = Mode.BMAPTOOL if bmap.beside(card).is_file() else Mode.DD
        self.say(f"writing {card} to {self.where} with {mode}")
        start = time.monotonic()
        with self._step(f"writing {card} to {self.where} with {mode}"):
            self._writer.write_image(str(card), mode=mode)
        self.say(f"wrote the card to {self.where} with {mode} in {time.monotonic() - start:.1f} s")
        self._switch("dut")

    def _switch(self, mode: str) -> None:
        if self._switcher is None:
            return
        with self._step(f"switching {self.mux.name} to {mode}"):
            self._switcher.set_mode(mode)
        # A mux that sticks takes the switch without error: only its own answer
        # shows a card still on the board's side (written to nothing) or the host's.
        with self._step(f"reading the mode of {self.mux.name}"):
            reported = self._switcher.get_mode()
        if _MODE_NAMES.get(reported.lower(), reported.lower()) != mode:
            raise BenchError(
                f"place {self.place}: SD mux {self.mux.name} reports mode {reported!r} after "
                f"switching to {mode}: the mux did not switch (power-cycle it or check its USB link)"
            )
        self.say(f"switched SD mux {self.mux.name} to {mode}")

    def _wait_for_medium(self) -> int:
        """The medium's size in bytes once the reader has one (labgrid says 0 until then)."""
        deadline = time.monotonic() + _MEDIUM_S
        while True:
            with self._step(f"reading the size of {self.where}"):
                size = self._writer.get_size()
            if size > 0:
                self.say(f"medium in {self.where}: {size} bytes")
                return size
            if time.monotonic() > deadline:
                raise BenchError(
                    f"place {self.place}: no medium in {self.where} within "
                    f"{_MEDIUM_S} s (is a card in it? does `ssh "
                    f"{self.reader.host} cat /sys/class/block/"
                    f"{Path(self.reader.path).name}/size` answer?)"
                )
            time.sleep(_MEDIUM_POLL_S)

    @contextmanager
    def _step(self, doing: str) -> Iterator[None]:
        """labgrid's failures, said as a BenchError naming the place and the step."""
        try:
            yield
        except subprocess.CalledProcessError as error:
            output = (error.output or b"").decode(errors="replace").strip()
            raise BenchError(
                f"place {self.place}: {doing} failed ({error.returncode}): "
                f"{' '.join(output[-_OUTPUT_TAIL:].split())}"
            ) from None
        except (ExecutionError, NoResourceFoundError, FileNotFoundError) as error:
            raise BenchError(f"place {self.place}: {doing} failed: {error}") from None


def _driver(target: Target, driver_class: type, binding: str, resource: Any) -> Any:
    """DRIVER_CLASS bound to RESOURCE by name: a place may offer two resources it could use
    (a reader and a mux are both storage to USBStorageDriver)."""
    target.set_binding_map({binding: resource.name})
    return driver_class(target, name=None)
