"""Build in a container of the recipe's builder image, at the host's own paths.

On an engine of this machine the paths are bind-mounted; on a remote one
(remote.py says which) they are volumes the files are sent to as archives
(archives.py), and the builder image is sent from this machine's engine.

The project root, the extra mounts (the cache, the reports) and the sources
the recipe's toolchain names are bind-mounted at their host paths, so argv,
cwd and every path a recipe writes mean the same thing on both backends. The
backend knows no stream: each recipe says which builder image and which
source trees it needs (engine.recipe.Toolchain). Containers run as the
caller's uid:gid, so what they write belongs to the caller.
"""

from __future__ import annotations

import copy
import io
import os
import subprocess
from pathlib import Path
from typing import BinaryIO

import docker

from ... import data
from ...errors import BenchError
from ...secrets import redact
from . import containers, docker_builder, docker_images, remote, tool_versions
from .archives import ArchiveRunner
from .base import Toolchain
from .containers import OWNER_LABEL

PRIVATE_URL = "unix:///run/pytest-quill/docker.sock"  # DOCKERD_SCRIPT starts it
# Starts (or finds) the private engine; shipped with the plugin, named in messages.
DOCKERD_SCRIPT = data.path("dockerd.sh")
DEFAULT_URL = "unix:///var/run/docker.sock"
_PROBE_TIMEOUT_S = 5
# Runs argv with stderr on stdout's pipe, so the log keeps their order (as on the host);
# a command that is not found exits 127 with the shell's message in the log.
_MERGED_OUTPUT = ["sh", "-c", 'exec "$@" 2>&1', "sh"]


def chosen_engine() -> str:
    """DOCKER_HOST, when set: the one engine to use (never replaced by another)."""
    return os.environ.get("DOCKER_HOST", "").strip()


def engine_urls() -> list[str]:
    """Where to look for an engine: DOCKER_HOST alone when it is set, else the
    private socket (DOCKERD_SCRIPT), then the default one."""
    return [chosen_engine()] if chosen_engine() else [PRIVATE_URL, DEFAULT_URL]


def find_engine() -> tuple[str | None, list[str]]:
    """The URL of the first engine that answers, or None and why each did not."""
    reasons = []
    for url in engine_urls():
        if url.startswith("unix://") and not Path(url[len("unix://") :]).exists():
            reasons.append(f"{url}: no such socket")
            continue
        reason = remote.probe(url, _PROBE_TIMEOUT_S)
        if reason is None:
            return url, []
        reasons.append(f"{redact(url)}: {reason}")
    return None, reasons


def docker_available() -> str | None:
    """None when an engine answers; else why not in one line, naming DOCKER_HOST
    when it chose the engine, else each place looked at."""
    url, reasons = find_engine()
    return None if url else _unanswered(reasons)


def _unanswered(reasons: list[str]) -> str:
    """Why no engine answered, from find_engine's REASONS (see docker_available)."""
    if chosen_engine():
        return (
            f"DOCKER_HOST={redact(chosen_engine())} does not answer ({reasons[0].partition(': ')[2]}); "
            f"{remote.how_to_reach(chosen_engine())}, or unset DOCKER_HOST to use the private engine "
            f"(sh {DOCKERD_SCRIPT}) or the default socket"
        )
    return "; ".join(reasons)


def ensure_engine() -> str:
    """The URL of an engine that answers, after starting the private one
    (DOCKERD_SCRIPT) when none does. A DOCKER_HOST that does not answer is
    not replaced by it: BenchError naming DOCKER_HOST."""
    url, reasons = find_engine()
    if url:
        return url
    if chosen_engine() not in ("", PRIVATE_URL):
        raise BenchError(_unanswered(reasons))
    script = DOCKERD_SCRIPT
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"{script}: could not start a Docker engine: {last}")
    return done.stdout.strip()


class DockerBackend:
    name = "docker"

    def __init__(
        self,
        project_root: Path,
        mounts: tuple[Path, ...] = (),
        log_dir: Path | None = None,
        toolchain: Toolchain = Toolchain(),
        versions_dir: Path | None = None,
    ):
        self.toolchain = toolchain
        # Where each builder image's tool versions are kept (tool_versions.py).
        self.versions_dir = versions_dir
        self.project_root = Path(project_root).resolve()
        self.mounts = tuple(Path(m).resolve() for m in mounts)
        # Where the builder image's own build log goes (it is built lazily, once).
        self.log_dir = Path(log_dir) if log_dir else self.project_root / "reports" / "docker"
        self._client: docker.DockerClient | None = None
        self._remote = False  # decided with the client, from the engine's URL
        # Shared by every toolchain view of this engine: Dockerfile -> tag -> image id.
        self._tags: dict[Path, str] = {}
        self._builders: dict[str, str] = {}
        self._versions: dict[tuple[str, ...], str] = {}

    @property
    def images(self) -> DockerBackend:
        """The image capability (base images, image builds, exports): this engine."""
        return self

    def with_toolchain(self, toolchain: Toolchain) -> DockerBackend:
        """The same engine, running commands in the toolchain's builder image."""
        view = copy.copy(self)
        view.toolchain = toolchain
        return view

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            url, reasons = find_engine()
            if url is None:
                raise BenchError(
                    f"Docker backend: no engine answers: {_unanswered(reasons)}"
                    + ("" if chosen_engine() else f" (start one with sh {DOCKERD_SCRIPT})")
                )
            self._client = remote.engine_client(url, timeout=None)
            self._remote = remote.is_remote(url)
            containers.remove_orphans(self._client)
        return self._client

    @property
    def remote(self) -> bool:
        """Whether the engine gets files as archives instead of bind mounts."""
        return self.client is not None and self._remote

    # -- the builder image ------------------------------------------------

    def builder_tag(self) -> str:
        """The toolchain's builder image tag (docker_builder.builder_tag), worked out once."""
        dockerfile = self._dockerfile()
        if dockerfile not in self._tags:
            self._tags[dockerfile] = docker_builder.builder_tag(dockerfile)
        return self._tags[dockerfile]

    def builder_image(self) -> str:
        """The builder image's id, built on first use; one build across processes."""
        tag = self.builder_tag()
        if tag not in self._builders:
            local_urls = [PRIVATE_URL, DEFAULT_URL] if self.remote else None
            self._builders[tag] = docker_builder.present(self.client, tag) or docker_builder.obtain(
                self.client, tag, self._dockerfile(), self.log_dir, local_urls
            )
        return self._builders[tag]

    def _dockerfile(self) -> Path:
        if self.toolchain.dockerfile is None:
            raise BenchError("Docker backend: this recipe names no builder image")
        return self.toolchain.dockerfile

    # -- the Backend interface ---------------------------------------------

    def identity(self, tools: list[str]) -> str:
        """The builder image's id and the first --version line of each tool inside it."""
        key = (self.builder_tag(), *tools)
        if key not in self._versions:
            self._versions[key] = tool_versions.remembered(
                self.versions_dir, self.builder_image(), tools, lambda: self._ask_versions(tools)
            )
        return f"docker {self.builder_tag()} {self.builder_image()}\n{self._versions[key]}"

    def _ask_versions(self, tools: list[str]) -> str:
        out = io.BytesIO()
        code = self.run(
            ["sh", "-c", tool_versions.SCRIPT, "sh", *tools],
            cwd=self.project_root,
            env=None,
            log=out,
            timeout=120,
        )
        if code != 0:
            said = out.getvalue().decode(errors="replace").strip().splitlines() or ["no output"]
            raise BenchError(
                f"builder image {self.builder_tag()}: tool versions query failed ({code}): {said[0]}"
            )
        return out.getvalue().decode(errors="replace").strip()

    def missing(self, tools: list[str]) -> list[str]:
        """The tools identity() found missing in the builder image (asked once)."""
        lines = self.identity(tools).splitlines()[1:]
        return [line.split(": ")[0] for line in lines if line.endswith(": missing")]

    def run(
        self, argv: list[str], *, cwd: Path, env: dict[str, str] | None, log: BinaryIO, timeout: float
    ) -> int:
        argv = [str(a) for a in argv]
        user = f"{os.getuid()}:{os.getgid()}"
        if self.remote:
            runner = ArchiveRunner(self.client, self.builder_image(), self._roots())
            return runner.run(
                argv, cwd=Path(cwd), environment=self._environment(env), user=user, log=log, timeout=timeout
            )
        # The host network: a ccache redis:// address on 127.0.0.1 is this machine's.
        container = self.client.containers.create(
            self.builder_image(),
            _MERGED_OUTPUT + argv,
            working_dir=str(cwd),
            environment=self._environment(env),
            user=user,
            volumes=self._volumes(),
            network_mode="host",
            labels={OWNER_LABEL: containers.owner()},
        )
        # Whatever happens (exit, timeout, Ctrl-C), the container is killed and removed.
        try:
            return containers.start_and_wait(container, argv, log, timeout)
        finally:
            container.remove(force=True)

    def _roots(self) -> list[Path]:
        """The folders a remote engine mirrors: the writable ones and each source's folder."""
        return [
            self.project_root,
            *self.mounts,
            *(path if path.is_dir() else path.parent for path in self.toolchain.sources),
        ]

    def _environment(self, env: dict[str, str] | None) -> dict[str, str]:
        # HOME=/tmp: the caller's uid has no home in the image, and tools (ccache) want one.
        return {"HOME": "/tmp", **{k: str(v) for k, v in (env or {}).items()}}

    def _volumes(self) -> dict[str, dict[str, str]]:
        writable = [self.project_root, *self.mounts]
        for path in writable:
            path.mkdir(parents=True, exist_ok=True)
        volumes = {str(p): {"bind": str(p), "mode": "rw"} for p in writable}
        for path in self.toolchain.sources:
            volumes.setdefault(str(path), {"bind": str(path), "mode": "ro"})
        return volumes

    # -- images for recipes (the rootfs) -------------------------------------

    def base_image(self, debian_arch: str, suite: str, log: BinaryIO) -> str:
        tag = docker_images.base_tag(debian_arch, suite)
        if self.remote and not remote.has_image(self.client, tag):
            with docker_images.image_lock(tag):
                if not remote.has_image(self.client, tag):
                    remote.send_image(self.client, [PRIVATE_URL, DEFAULT_URL], tag, log)
        return docker_images.base_image(self.client, debian_arch, suite, log)

    def build_image(
        self,
        dockerfile: Path,
        context: Path,
        platform: str | None,
        buildargs: dict[str, str],
        tag: str,
        log: BinaryIO,
    ) -> str:
        # A remote engine's builds use its machine's network (a test engine has no bridge).
        return docker_images.build_image(
            self.client,
            Path(dockerfile),
            Path(context),
            platform,
            buildargs,
            tag,
            log,
            network_mode="host" if self.remote else None,
        )

    def export_rootfs(self, image: str, dest_tar: Path, log: BinaryIO) -> None:
        docker_images.export_rootfs(self.client, image, Path(dest_tar), log)
