"""Saved states of a booted device (a QEMU disk overlay holding its RAM snapshot),
kept in the artifact cache beside the artifacts (snapshots/KEY/).

A state is keyed by the card's digest and the bench's settings (the emulator's
version, its firmware's digest, the machine): a new card or another bench never
finds an old state. Publishing one for a card removes the same bench's states of
other cards, so a state never outlives its card in the cache either. An entry is
published whole (written beside, then renamed) and its file's digest is checked
before every use: a torn or altered state is removed, never restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..digest import file_sha256

DISK = "disk.qcow2"
SUMS = "SHA256SUMS"
ABOUT = "state.json"  # what the state is of: its bench's settings and the card's digest


@dataclass(frozen=True)
class StateKey:
    bench: str  # the digest of the bench's settings
    card: str  # the card image's sha256

    @property
    def name(self) -> str:
        return hashlib.sha256(f"{self.bench}:{self.card}".encode()).hexdigest()[:24]


def bench_digest(settings: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


class SnapshotStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def find(self, key: StateKey) -> Path | None:
        """The disk of KEY's state when it is whole and unaltered; None otherwise (a bad
        entry is removed)."""
        entry = self.root / key.name
        disk = entry / DISK
        try:
            recorded = (entry / SUMS).read_text().split()[0]
        except (OSError, IndexError):
            return None
        if disk.is_file() and file_sha256(disk) == recorded:
            return disk
        shutil.rmtree(entry, ignore_errors=True)
        return None

    def publish(self, key: StateKey, disk: Path) -> Path:
        """Keep a copy of DISK as KEY's state (the first one published wins); the
        bench's states of other cards go. The kept disk's path."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root))
        try:
            shutil.copyfile(disk, staging / DISK)
            (staging / SUMS).write_text(f"{file_sha256(staging / DISK)}  {DISK}\n")
            (staging / ABOUT).write_text(json.dumps({"bench": key.bench, "card": key.card}) + "\n")
            os.rename(staging, self.root / key.name)
        except OSError:
            if not (self.root / key.name / SUMS).is_file():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._forget_other_cards(key)
        return self.root / key.name / DISK

    def _forget_other_cards(self, key: StateKey) -> None:
        for about in self.root.glob(f"*/{ABOUT}"):
            if about.parent.name.startswith("."):  # another writer's, not yet published
                continue
            try:
                other = json.loads(about.read_text())
            except (OSError, ValueError):
                other = {}
            if other.get("bench") == key.bench and other.get("card") != key.card:
                shutil.rmtree(about.parent, ignore_errors=True)
