"""How the recipe calls the kernel's make: out of tree, cross, through ccache
(a local folder, and a remote storage shared by every runner when one is named)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..secrets import redact

LOCALE = ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES")
# ccache --print-stats counters kept in the record (a build's difference of them).
STATS = (
    "direct_cache_hit",
    "preprocessed_cache_hit",
    "cache_miss",
    "local_storage_hit",
    "local_storage_miss",
    "remote_storage_hit",
    "remote_storage_miss",
    "remote_storage_error",
    "remote_storage_timeout",
)


_COUNTED = (
    'before=$1 after=$2; shift 2; ccache --print-stats > "$before" || exit; '
    '"$@"; code=$?; ccache --print-stats > "$after" || exit; exit $code'
)


@dataclass(frozen=True)
class KernelMake:
    tree: Path
    build_dir: Path  # O=: the tree itself is never written
    arch: str
    cross_compile: str
    jobs: int
    ccache_dir: Path | None  # None: no ccache on the backend
    # Paths under it are hashed relative, so two workspaces (two CI runners) share hits.
    ccache_base: Path | None = None
    ccache_remote: str = ""  # ccache's remote storage URL; "" = the local folder only

    def argv(self, *targets: str, parallel: bool = True, **variables: str) -> list[str]:
        argv = [
            "make",
            "-C",
            str(self.tree),
            f"O={self.build_dir}",
            f"ARCH={self.arch}",
            f"CROSS_COMPILE={self.cross_compile}",
        ]
        if parallel:
            argv.insert(1, f"-j{self.jobs}")
        if self.ccache_dir:
            # In CC only: in CROSS_COMPILE it would wrap ld and the other tools too.
            argv.append(f"CC=ccache {self.cross_compile}gcc")
        argv += [f"{name}={value}" for name, value in variables.items()]
        return argv + list(targets)

    def answering_defaults(self, *targets: str) -> list[str]:
        """For `oldconfig` (2.6.29 has no olddefconfig): every question gets its default."""
        return ["sh", "-c", 'yes "" | exec "$@"', "sh", *self.argv(*targets, parallel=False)]

    def env(self) -> dict[str, str]:
        # One locale on every backend: ccache hashes these variables, so a host
        # with LANG=C.UTF-8 and a container with none would never share a hit.
        env = {"KBUILD_BUILD_USER": "quill", "KBUILD_BUILD_HOST": "quill", **{name: "C" for name in LOCALE}}
        if self.ccache_dir:
            # content: the Docker backend's compiler has another mtime but the same bytes.
            env.update(CCACHE_DIR=str(self.ccache_dir), CCACHE_COMPILERCHECK="content")
            if self.ccache_base:
                env["CCACHE_BASEDIR"] = str(self.ccache_base)
            if self.ccache_remote:
                # Not remote-only: the local folder still serves this runner's
                # incremental rebuilds without a network round trip per file.
                env["CCACHE_REMOTE_STORAGE"] = self.ccache_remote
        return env

    def counted(self, argv: list[str], before: Path, after: Path) -> list[str]:
        """ARGV between two readings of ccache's counters (tab-separated name, value),
        written to BEFORE and AFTER; its exit code. One command, so one container on
        the Docker backend rather than three (~0.3 s each)."""
        return ["sh", "-c", _COUNTED, "sh", str(before), str(after), *argv]

    def image(self, name: str) -> Path:
        return self.build_dir / "arch" / self.arch / "boot" / name


def read_stats(text: str) -> dict[str, int]:
    pairs = (line.split("\t") for line in text.splitlines() if line.count("\t") == 1)
    return {name: int(value) for name, value in pairs if name in STATS and value.isdigit()}


def stats_record(before: dict[str, int], after: dict[str, int], remote: str) -> dict[str, Any]:
    """What this build asked of ccache: the counters' growth, hits and misses summed,
    and where the remote storage is (its server: no user part, no secret attribute)."""
    grown = {name: after.get(name, 0) - before.get(name, 0) for name in STATS}
    return {
        **grown,
        "hits": grown["direct_cache_hit"] + grown["preprocessed_cache_hit"],
        "misses": grown["cache_miss"],
        "remote": redact(_without_user(remote)),
    }


def _without_user(url: str) -> str:
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}" if rest else url
