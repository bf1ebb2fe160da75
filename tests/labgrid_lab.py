"""A labgrid lab on loopback for the tests: a coordinator, an exporter of the
resources given, and places made with labgrid-client as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.support.services import free_tcp_port, stop

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
_START_S = 30


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = _START_S) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} did not listen on {port} within {seconds} s")


class Lab:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.address = f"127.0.0.1:{free_tcp_port()}"
        self.processes: list[subprocess.Popen] = []
        # The coordinator keeps places.yaml in its working folder: a lab of its own.
        self.coordinator = self._start("coordinator", [str(BIN / "labgrid-coordinator"), "-l", self.address])
        wait_for_port(int(self.address.split(":")[1]), self.coordinator)

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        # The project on the path: an exporter may be one of the tests' (tests/labgrid_sdmux.py).
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            argv, cwd=self.folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def export(self, groups: dict[str, dict], command: list[str] | None = None) -> None:
        """Publish groups ({group: {resource name: {cls: ..., params}}}) as exporter "lab",
        with labgrid-exporter or COMMAND (one taking its arguments)."""
        config = self.folder / "exporter.yaml"
        config.write_text(yaml.safe_dump(groups))
        self._start(
            "exporter",
            [
                *(command or [str(BIN / "labgrid-exporter")]),
                "-c",
                self.address,
                "-n",
                "lab",
                "--hostname",
                "127.0.0.1",
                str(config),
            ],
        )
        wanted = [
            f"lab/{group}/{_published(params['cls'])}[/{name}]"
            for group, resources in groups.items()
            for name, params in resources.items()
        ]
        deadline = time.monotonic() + _START_S
        while not all(path in self.client("-v", "resources").stdout for path in wanted):
            if time.monotonic() > deadline:
                raise RuntimeError(f"exporter did not publish {wanted}: {self.log('exporter')}")
            time.sleep(0.3)

    def add_place(self, name: str, group: str, tags: dict[str, str] | None = None) -> None:
        self.client("-p", name, "create", check=True)
        self.client("-p", name, "add-match", f"lab/{group}/*", check=True)
        if tags:
            self.client("-p", name, "set-tags", *[f"{k}={v}" for k, v in tags.items()], check=True)

    def client(self, *args: str, check: bool = False, user: str | None = None):
        env = {**os.environ, **({"LG_USERNAME": user} if user else {})}
        done = subprocess.run(
            [str(BIN / "labgrid-client"), "-x", self.address, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"labgrid-client {' '.join(args)}: {done.stderr}")
        return done

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process, 10)


def _published(cls: str) -> str:
    """The class an exporter publishes for a local one (USB devices become Network...)."""
    return f"Network{cls}" if cls.startswith("USB") else cls
