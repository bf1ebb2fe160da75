"""Images for the Docker backend when no registry answers: bases made locally.

A Dockerfile takes its base through `ARG BASE=debian:<suite>`. When that image
cannot be pulled, the base is made here with mmdebstrap (minbase) and
`docker import`ed as quill-base/debian:<suite>-<arch>; the tag is the cache.
Foreign platforms (armhf on x86-64) need qemu-user registered in binfmt_misc.
"""

from __future__ import annotations

import hashlib
import platform as host_platform
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import docker
import docker.errors
from filelock import FileLock

from ...errors import BenchError, BuildError

PLATFORM_OF = {
    "amd64": "linux/amd64",
    "arm64": "linux/arm64",
    "armhf": "linux/arm/v7",
    "armel": "linux/arm/v5",
}
_MACHINE_OF = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}
# binfmt_misc handler that runs each foreign architecture's binaries.
BINFMT_OF = {"amd64": "qemu-x86_64", "arm64": "qemu-aarch64", "armhf": "qemu-arm", "armel": "qemu-arm"}
_ARG_BASE = re.compile(r"^\s*ARG\s+BASE=(\S+)", re.MULTILINE)
_NEEDS = re.compile(r"^#\s*NEEDS:\s*(.+)$", re.MULTILINE)
_DEBIAN_REF = re.compile(r"^(?:docker\.io/)?(?:library/)?debian:([a-z]+)$")
LOCK_DIR = Path(tempfile.gettempdir())
# Bases come from the suite and its -updates on Debian's main mirror. The
# security archive is left out: the proxy in front of it here serves armhf
# indices that do not match its Release file (apt then refuses the update).
DEBIAN_MIRROR = "http://deb.debian.org/debian"


def note(log: BinaryIO, message: str) -> None:
    log.write(f"[quill {time.strftime('%H:%M:%S')}] {message}\n".encode())
    log.flush()


def log_name(log: BinaryIO) -> str | None:
    name = getattr(log, "name", None)
    return name if isinstance(name, str) else None


def image_lock(tag: str) -> FileLock:
    """One maker per image across processes (xdist workers) on this machine."""
    digest = hashlib.sha256(tag.encode()).hexdigest()[:16]
    # 0o666: every user of the engine shares its images, so every user takes the lock.
    return FileLock(LOCK_DIR / f"pytest-quill-image-{digest}.lock", mode=0o666)


def debian_arch_of(platform: str | None) -> str:
    """linux/arm/v7 -> armhf; None -> this machine's architecture."""
    if platform is None:
        return _MACHINE_OF.get(host_platform.machine(), host_platform.machine())
    for arch, known in PLATFORM_OF.items():
        if known == platform:
            return arch
    raise BuildError(f"platform {platform}: unknown; known: {', '.join(PLATFORM_OF.values())}")


def check_platform_runs(debian_arch: str) -> None:
    """Foreign RUN steps need an enabled binfmt handler with the F flag (usable in containers)."""
    if debian_arch == debian_arch_of(None):
        return
    handler = BINFMT_OF.get(debian_arch, f"qemu-{debian_arch}")
    fix = (
        f"as root: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; "
        f"apt-get install qemu-user-static binfmt-support; update-binfmts --enable {handler}"
    )
    entry = Path("/proc/sys/fs/binfmt_misc") / handler
    if not entry.exists():
        raise BenchError(
            f"platform {PLATFORM_OF[debian_arch]} cannot run here: "
            f"{handler} is not registered in binfmt_misc ({fix})"
        )
    text = entry.read_text()
    if not text.startswith("enabled"):
        raise BenchError(f"platform {PLATFORM_OF[debian_arch]} cannot run here: {entry} is disabled ({fix})")
    flags = re.search(r"^flags: (\S*)", text, re.MULTILINE)
    if not flags or "F" not in flags.group(1):
        raise BenchError(
            f"platform {PLATFORM_OF[debian_arch]} cannot run in containers: "
            f"{entry} lacks the F flag (install qemu-user-static, "
            "not qemu-user-binfmt)"
        )


def base_tag(debian_arch: str, suite: str) -> str:
    return f"quill-base/debian:{suite}-{debian_arch}"


def base_image(client: docker.DockerClient, debian_arch: str, suite: str, log: BinaryIO) -> str:
    """quill-base/debian:<suite>-<arch>: pulled debian:<suite> if a registry answers, else made."""
    tag = base_tag(debian_arch, suite)
    if _exists(client, tag):
        return tag
    check_platform_runs(debian_arch)
    with image_lock(tag):
        if _exists(client, tag):
            return tag
        try:
            pulled = client.images.pull("debian", tag=suite, platform=PLATFORM_OF[debian_arch])
        except docker.errors.APIError as exc:
            note(
                log,
                f"base image debian:{suite} not pullable: made locally with mmdebstrap "
                f"({str(exc.explanation or exc).splitlines()[0]})",
            )
            _make_with_mmdebstrap(client, debian_arch, suite, tag, log)
        else:
            pulled.tag(tag)
            note(log, f"base image debian:{suite} pulled for {debian_arch}, tagged {tag}")
    return tag


def _make_with_mmdebstrap(
    client: docker.DockerClient, debian_arch: str, suite: str, tag: str, log: BinaryIO
) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="quill-base-") as scratch:
        tar = Path(scratch) / "rootfs.tar"
        argv = [
            "mmdebstrap",
            "--variant=minbase",
            f"--architectures={debian_arch}",
            suite,
            str(tar),
            *_sources_lines(suite),
        ]
        note(log, "$ " + " ".join(argv))
        # stdin closed: mmdebstrap would also read sources.list lines from a pipe.
        code = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT).returncode
        if code != 0:
            raise BenchError(
                f"base image debian:{suite} ({debian_arch}): not pullable and "
                f"mmdebstrap from {DEBIAN_MIRROR} failed with exit code {code}",
                log=log_name(log),
            )
        image_id = import_tar(client, tar, tag, PLATFORM_OF[debian_arch])
    note(log, f"base image {tag} = {image_id[:19]} made in {time.monotonic() - started:.0f} s")


def _sources_lines(suite: str) -> list[str]:
    lines = [f"deb {DEBIAN_MIRROR} {suite} main"]
    if suite not in ("sid", "unstable"):  # the only suites without an -updates companion
        lines.append(f"deb {DEBIAN_MIRROR} {suite}-updates main")
    return lines


def import_tar(client: docker.DockerClient, tar: Path, tag: str, platform: str) -> str:
    """docker import with a platform, which the SDK's import_image cannot pass."""
    repository, _, version = tag.rpartition(":")
    api = client.api
    with open(tar, "rb") as stream:
        response = api.post(
            api._url("/images/create"),
            data=stream,
            timeout=None,
            params={"fromSrc": "-", "repo": repository, "tag": version, "platform": platform},
            headers={"Content-Type": "application/x-tar"},
        )
    api._raise_for_status(response)
    return client.images.get(tag).id


def base_of(dockerfile: Path) -> str | None:
    """The default of the Dockerfile's `ARG BASE=...`, if it takes its base that way."""
    found = _ARG_BASE.search(dockerfile.read_text())
    return found.group(1) if found else None


def resolve_base(
    client: docker.DockerClient, reference: str, debian_arch: str, dockerfile: Path, log: BinaryIO
) -> str:
    """An image usable as BASE: a local or pullable one, or a Debian made locally."""
    debian = _DEBIAN_REF.match(reference)
    if debian:
        return base_image(client, debian_arch, debian.group(1), log)
    if _exists(client, reference):
        return reference
    try:
        client.images.pull(reference, platform=PLATFORM_OF[debian_arch])
    except docker.errors.APIError as exc:
        raise BuildError(
            f"{dockerfile.name}: base image {reference} not present, not pullable "
            f"({str(exc.explanation or exc).splitlines()[0]}) and only debian:<suite> "
            f"bases can be made locally{_needs(dockerfile)}",
            log=log_name(log),
        ) from None
    note(log, f"base image {reference} pulled")
    return reference


def build_image(
    client: docker.DockerClient,
    dockerfile: Path,
    context: Path,
    platform: str | None,
    buildargs: dict[str, str],
    tag: str,
    log: BinaryIO,
    labels: dict[str, str] | None = None,
    network_mode: str | None = None,
) -> str:
    """Build DOCKERFILE for PLATFORM (None: native) and return the image id.

    Without BASE in buildargs, the Dockerfile's default base is resolved
    (pulled, or made locally when it is a Debian suite)."""
    debian_arch = debian_arch_of(platform)
    check_platform_runs(debian_arch)
    buildargs = dict(buildargs)
    default_base = base_of(dockerfile)
    if default_base and "BASE" not in buildargs:
        buildargs["BASE"] = resolve_base(client, default_base, debian_arch, dockerfile, log)
    note(
        log,
        f"docker build {dockerfile} (platform {platform or 'native'}, "
        f"BASE={buildargs.get('BASE', '-')}) -> {tag}",
    )
    image_id = None
    for chunk in client.api.build(
        path=str(context),
        dockerfile=str(dockerfile),
        tag=tag,
        platform=platform,
        buildargs=buildargs,
        labels=labels,
        network_mode=network_mode,
        rm=True,
        forcerm=True,
        decode=True,
    ):
        if "stream" in chunk:
            log.write(chunk["stream"].encode())
        if "error" in chunk:
            log.flush()
            raise BuildError(
                f"{dockerfile.name}: image build failed: "
                f"{chunk['error'].strip().splitlines()[0]}{_needs(dockerfile)}",
                log=log_name(log),
            )
        image_id = chunk.get("aux", {}).get("ID", image_id)
    log.flush()
    if image_id is None:
        raise BuildError(f"{dockerfile.name}: image build gave no image id", log=log_name(log))
    return image_id


def export_rootfs(client: docker.DockerClient, image: str, dest_tar: Path, log: BinaryIO) -> None:
    """The image's filesystem as a tar (create + export + remove), written atomically."""
    dest_tar = Path(dest_tar)
    partial = dest_tar.with_name(dest_tar.name + ".part")
    # Never started: the command only satisfies create for images without CMD.
    container = client.containers.create(image, command=["/quill-export-only"])
    try:
        with open(partial, "wb") as out:
            for chunk in container.export(chunk_size=1 << 20):
                out.write(chunk)
        partial.replace(dest_tar)
    finally:
        container.remove(force=True)
        partial.unlink(missing_ok=True)
    note(log, f"exported {image} to {dest_tar} ({dest_tar.stat().st_size} bytes)")


def _needs(dockerfile: Path) -> str:
    """The Dockerfile's own `# NEEDS:` header, so a failure says what is missing."""
    needs = _NEEDS.findall(dockerfile.read_text())
    return f"; it needs: {' '.join(n.strip() for n in needs)}" if needs else ""


def _exists(client: docker.DockerClient, reference: str) -> bool:
    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True
