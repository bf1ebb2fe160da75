"""A command in a container of a remote engine: its files sent as archives.

The engine keeps one named volume per root (the project, the cache, the
reports, each source's folder), mounted at the root's own path, so argv, cwd
and env mean the same as on this machine; transfer.py says which files go and
come back. No container made here has a bind mount.
"""

from __future__ import annotations

import hashlib
import socket
import tarfile
import tempfile
from pathlib import Path
from typing import IO, BinaryIO

import docker
from docker.models.containers import Container
from docker.types import Mount

from ...errors import BenchError
from . import containers, transfer

VOLUME_LABEL = "io.pytest-quill.files-of"  # host:path the volume mirrors


def volume_name(root: Path) -> str:
    return "quill-files-" + hashlib.sha256(f"{socket.gethostname()}:{root}".encode()).hexdigest()[:16]


class ArchiveRunner:
    def __init__(self, client: docker.DockerClient, image: str, roots: list[Path]):
        self.client = client
        self.image = image
        self.roots = sorted(set(roots))
        self.mounts = [Mount(str(root), volume_name(root), type="volume") for root in self.roots]
        for root in self.roots:  # labelled, so `docker volume ls` says whose files they are
            if not self.client.volumes.list(filters={"name": volume_name(root)}):
                self.client.volumes.create(
                    volume_name(root), labels={VOLUME_LABEL: f"{socket.gethostname()}:{root}"}
                )

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        environment: dict[str, str],
        user: str,
        log: BinaryIO,
        timeout: float,
    ) -> int:
        units = transfer.units_of([*argv, str(cwd)], self.roots)
        unsent = transfer.unsent_in_script(argv, self.roots, units)
        if unsent:
            script = argv[2] if len(argv[2]) <= 60 else argv[2][:57] + "..."
            raise BenchError(
                f"{' '.join(argv[:2])} {script!r}: the script names {unsent[0]}"
                " in its text, which a remote engine would see as it was before;"
                ' pass the path as an argument ("$1")'
            )
        here = transfer.host_listing(units)
        there = self._listing(units, user) if units else {}
        sent = [path for path, entry in here.items() if not transfer.same(entry, there.get(path))]
        gone_here = [path for path in there if path not in here]
        container = self._create(["sh", "-c", transfer.WRAPPER, "sh", str(cwd), *argv], environment, user)
        try:
            with tempfile.TemporaryFile() as tar:
                transfer.pack(tar, sent, units, gone_here)
                tar.seek(0)
                container.put_archive("/", tar)
            code = containers.start_and_wait(container, argv, log, timeout)
            if units:
                self._fetch(container, units, here)
            return code
        finally:
            container.remove(force=True)

    def _create(self, command: list[str], environment: dict[str, str], user: str) -> Container:
        # The engine's host network: a redis:// or http:// cache address means
        # what it means on the engine's machine.
        return self.client.containers.create(
            self.image,
            command,
            environment=environment,
            user=user,
            mounts=self.mounts,
            network_mode="host",
            labels={containers.OWNER_LABEL: containers.owner()},
        )

    def _listing(self, units: list[Path], user: str) -> transfer.Listing:
        container = self._create(["sh", "-c", transfer.LIST, "sh", *map(str, units)], {}, user)
        try:
            container.start()
            containers.wait(container, ["find"], 600)
            return transfer.parse_listing(_one_file(container, transfer.LISTING))
        finally:
            container.remove(force=True)

    def _fetch(self, container: Container, units: list[Path], before: transfer.Listing) -> None:
        stream, _ = container.get_archive(transfer.STATE)
        with tempfile.TemporaryFile() as spool:
            for chunk in stream:
                spool.write(chunk)
            spool.seek(0)
            with tarfile.open(fileobj=spool) as state:
                files = {Path(m.name).name: m for m in state.getmembers()}
                after = _member(state, files["after"]).read().decode(errors="surrogateescape")
                transfer.remove_gone(before, set(after.split("\0")) - {""})
                with tarfile.open(fileobj=_member(state, files["out.tar"])) as changes:
                    transfer.unpack(changes, units)


def _one_file(container: Container, path: str) -> bytes:
    stream, _ = container.get_archive(path)
    with tempfile.TemporaryFile() as spool:
        for chunk in stream:
            spool.write(chunk)
        spool.seek(0)
        with tarfile.open(fileobj=spool) as tar:
            return _member(tar, tar.getmembers()[0]).read()


def _member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """A file the engine's archive must hold as a regular member, read from the archive."""
    reader = tar.extractfile(member)
    if reader is None:
        raise BenchError(f"Docker engine: {member.name} came back as no regular file")
    return reader
