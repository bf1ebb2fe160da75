"""A board in a labgrid lab: the place is reserved and acquired from the coordinator
for this process's device tests, and released at the session's end (or on Ctrl-C).

The place's resources, by name: "console", a NetworkSerialPort (ser2net) the
Console reads exactly as the serial board's; "keyboard", an optional
NetworkSerialPort to a serial-to-USB-keyboard adapter that types each byte it is
sent and echoes it once typed; a power resource (NetworkPowerPort, PDUDaemonPort)
switched by labgrid's own driver; a card reader and an SD mux
(NetworkUSBMassStorage, NetworkUSBSDMuxDevice, NetworkUSBSDWireDevice) through
which each power-on writes the run's card first (labgrid_storage.py). Without
power or keyboard, the operator does it, as at the serial bench; without
storage, the card in the board's slot is booted (see docs/labgrid.md).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import serial
from labgrid.driver import NetworkPowerDriver, PDUDaemonDriver
from labgrid.exceptions import NoResourceFoundError
from labgrid.target import Target

from ..errors import BenchError
from ..profile import Profile
from . import operator
from .base import Bench, BenchOptions
from .console import Console
from .labgrid_place import PlaceLease
from .labgrid_storage import PlaceStorage
from .streams import SerialStream
from .tools import CARD_TOOLS, missing_tools

if TYPE_CHECKING:  # at run time, the kind's module (labgrid.py) imports this one
    from .labgrid import Labgrid

# labgrid's power drivers by the resource they switch.
_POWER_DRIVERS = {"NetworkPowerPort": NetworkPowerDriver, "PDUDaemonPort": PDUDaemonDriver}
# pyserial URLs by NetworkSerialPort.protocol; ser2net does not answer RFC 2217's
# line-control requests on every port (a pty has no DTR): as labgrid's own driver.
_URLS = {"rfc2217": "rfc2217://{host}:{port}?ign_set_control", "raw": "socket://{host}:{port}"}
_OPEN_S = 15  # ser2net answers at once; a busy coordinator host may not
_KEY_ECHO_S = 5


class LabgridBench(Bench):
    def __init__(self, profile: Profile, run_dir: Path, options: BenchOptions):
        super().__init__(profile, run_dir, options)
        self.config: Labgrid = self.profile.bench.labgrid
        self.lease = PlaceLease(self.config, self._say)
        self._target: Target | None = None
        self._power: Any = None  # labgrid's power driver, when the place has a power resource
        self._storage: PlaceStorage | None = None  # when the place can write the card
        self._keyboard: serial.SerialBase | None = None
        self._console: Console | None = None

    def _say(self, text: str) -> None:
        """To the operator's terminal (pytest captures stderr during a test: there the line
        is kept with the test's output) and to the run's labgrid.log."""
        line = f"[quill labgrid pid {os.getpid()}] {text}"
        try:
            with open("/dev/tty", "w") as terminal:
                terminal.write(line + "\n")
        except OSError:
            print(line, file=sys.stderr, flush=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / "labgrid.log", "a") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    def check(self) -> list[str]:
        if not (self.config.place or self.config.tags):
            return [f"bench.labgrid needs a place or tags ({self.profile.path})"]
        try:
            problems = self.lease.problems()
        except BenchError as error:
            problems = [error.message]
        return problems + missing_tools(CARD_TOOLS)

    def _hold(self) -> Target:
        """The acquired place's resources; the first call waits for the place."""
        if self._target is None:
            target = self._target = self.lease.acquire()
            self._power = _power_driver(target)
            self._storage = PlaceStorage.of(target, target.name, self._say)  # named for the place
        return self._target

    def _port_resource(self, name: str) -> Any:
        """The place's NetworkSerialPort called name; None when it has none."""
        try:
            return self._hold().get_resource("NetworkSerialPort", name=name)
        except NoResourceFoundError:
            return None

    def _port(self, name: str) -> serial.SerialBase | None:
        """The place's NetworkSerialPort called name, opened; None when it has none."""
        resource = self._port_resource(name)
        if resource is None:
            return None
        if resource.protocol not in _URLS:
            raise BenchError(
                f"place {self.lease.place}: {name} has protocol "
                f"{resource.protocol!r}; known: {', '.join(_URLS)}"
            )
        url = _URLS[resource.protocol].format(host=resource.host, port=resource.port)
        deadline = time.monotonic() + _OPEN_S
        while True:
            try:
                return serial.serial_for_url(url, baudrate=resource.speed, timeout=_KEY_ECHO_S)
            except serial.SerialException as error:
                if time.monotonic() > deadline:
                    raise BenchError(
                        f"place {self.lease.place}: {name} at {url} cannot be opened: {error}"
                    ) from None
                time.sleep(0.2)

    def power_on(self, card_image: Path, log_path: Path) -> Console:
        if self._console is not None:
            raise BenchError(f"place {self.lease.place} already powered on")
        self._hold()
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._port_resource("console") is None:
            raise BenchError(
                f"place {self.lease.place} has no NetworkSerialPort named "
                '"console" (labgrid-client -p PLACE show)'
            )
        self._write_card(card_image)
        # Open before power-on: the bootloader's first bytes are kept.
        port = self._port("console")
        assert port is not None  # the place's console was found above
        try:
            if self._power is not None:
                self.launched = f"labgrid-client -x {self.config.coordinator} -p {self.lease.place} power on"
                self._say(f"powering place {self.lease.place} on: it boots {self._boots(card_image)}")
            self._switch(
                True,
                (
                    "The card is written through the place"
                    if self._storage
                    else f"Insert the card written from {card_image}"
                )
                + ", press Enter here, then power the board on.",
            )
            self._keyboard = self._port("keyboard")
        except BaseException:
            port.close()
            if self._power is not None:
                # Stopped while it was switched on (Ctrl-C): power_off() knows no
                # console yet, and a board must never be left on.
                try:
                    self._power.off()
                except Exception as exc:  # the stop stays the error; this is said beside it
                    self._say(f"place {self.lease.place} may still be on: power off failed: {exc}")
            raise
        self._console = Console(SerialStream(port), log_path, self.options.timeout_factor)
        return self._console

    def _write_card(self, card_image: Path) -> None:
        if self._storage is None:
            return
        self._switch(
            False,
            "Power the board off (its card is about to be written through the place), then press Enter here.",
        )
        self._say(f"place {self.lease.place} is off for the card's write")
        self._storage.write(card_image)

    def _boots(self, card_image: Path) -> str:
        if self._storage is not None:
            return f"the card just written from {card_image}"
        return (
            f"the card in its slot (this run's {card_image} is not written through the "
            "place: it has no storage)"
        )

    def _switch(self, on: bool, instructions: str) -> None:
        if self._power is None:
            _ask_operator(instructions, self.lease.place)
        elif on:
            self._power.on()
        else:
            self._power.off()

    def send_keys(self, text: str) -> None:
        if self._keyboard is None:
            _ask_operator(
                f"Type on the board's USB keyboard, exactly:\n\n    {text}\n\nthen press Enter here.",
                self.lease.place,
            )
            return
        for char in text.encode():
            # One key at a time, each echoed once typed: the guest has it when this returns.
            self._keyboard.write(bytes([char]))
            echo = self._keyboard.read(1)
            if echo != bytes([char]):
                raise BenchError(
                    f"place {self.lease.place}: the keyboard did not echo "
                    f"{chr(char)!r} within {_KEY_ECHO_S} s (got {echo!r})"
                )

    def power_off(self) -> None:
        if self._console is None:
            return
        try:
            self._switch(False, "You may power the board off now; press Enter here.")
        finally:
            self._close_ports()

    def leave_running(self) -> list[str]:
        """--quill-keep-bench: the board stays on and the place stays this run's."""
        if self._console is None:
            self.close()
            return []
        console = self._hold().get_resource("NetworkSerialPort", name="console")
        # As the run's own labgrid user: the place is acquired by it, not by the person.
        client = (
            f"LG_USERNAME={self.lease.user} labgrid-client -x {self.config.coordinator} -p {self.lease.place}"
        )
        lines = [
            f"place {self.lease.place} left on and acquired; its console: "
            f"{_URLS[console.protocol].format(host=console.host, port=console.port)}",
            f"when done: {client} power off; {client} release",
        ]
        self._close_ports()
        self.lease.leave_acquired()
        return lines

    def _close_ports(self) -> None:
        if self._keyboard is not None:
            self._keyboard.close()
            self._keyboard = None
        if self._console is not None:
            self._console.close()
            self._console = None

    def close(self) -> None:
        try:
            self.power_off()
        finally:
            self._target = self._power = self._storage = None
            self.lease.release()


def _ask_operator(instructions: str, place: str | None) -> None:
    if operator.ask(f"\n[quill labgrid place {place}] {instructions}\n") is None:
        raise BenchError(
            f"place {place} needs an operator (it has no power or keyboard "
            "resource) but no terminal is attached: add the resource to the "
            "place, or run at the bench"
        )


def _power_driver(target: Target) -> Any:
    """labgrid's driver of the place's power resource, activated; None without one."""
    for resource in target.resources:
        driver = _POWER_DRIVERS.get(type(resource).__name__)
        if driver is not None:
            power = driver(target, name=None)
            target.activate(power)
            return power
    return None
