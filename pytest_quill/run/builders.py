"""Where a run's builds happen: the backend (docker or host, decided once per run by
the first worker that builds, read by the others) and the shared artifact cache in
an OCI registry, when the options name one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import backends
from ..engine.backends.base import Backend
from ..errors import BenchError, QuillError
from .options import Options
from .state import RunState

if TYPE_CHECKING:  # the registry client (oras) is loaded only by runs that share
    from ..engine.registry import ArtifactRegistry

# wait(what, label, orphan): another worker's published result (Store.wait).
Wait = Callable[[str, str, Callable[[str], dict]], dict]


@dataclass
class Builders:
    options: Options
    state: RunState
    project_root: Path
    wait: Wait
    _made: Backend | None = field(default=None, init=False)

    def backend(self) -> Backend:
        """The run's backend, made on first use: Docker is asked only when a build needs it."""
        if self._made is None:
            reports = self.options.reports
            self._made = backends.make(
                self.backend_name(), self.project_root, self.options.cache, reports / "docker", (reports,)
            )
        return self._made

    def backend_name(self) -> str:
        """docker or host, decided once per run by the first worker that builds."""
        decided = self.state.result("backend")
        if decided is None and self.state.claim("backend"):
            try:
                decided = {"name": backends.resolve(self.options.backend), "error": ""}
            except QuillError as exc:
                decided = {"name": "", "error": exc.one_line()}
            self.state.publish("backend", decided)
        elif decided is None:
            decided = self.wait(
                "backend",
                "backend",
                lambda gone: {"name": "", "error": f"worker {gone} died choosing the backend"},
            )
        if decided["error"]:
            raise BenchError(decided["error"])
        return decided["name"]


def cache_registry(options: Options) -> ArtifactRegistry | None:
    """The shared cache in an OCI registry (--quill-cache-registry), None without one."""
    if not options.cache_registry or options.cache_registry_mode == "off":
        return None
    from ..engine.registry import open_registry  # oras, the registry extra: loaded here only

    return open_registry(options.cache_registry, options.cache_registry_mode, options.cache_registry_insecure)
