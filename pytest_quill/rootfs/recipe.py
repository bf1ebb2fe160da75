"""Stream B: the minimal Debian root filesystem, as rootfs.tar.gz + manifest.tsv.

The tree is made by the scripts of pytest_quill/data/rootfs/: fetch-packages.sh (the
profile's packages and their dependencies for the target architecture,
unpacked with a private apt root), build-busybox.sh (only for userland
"busybox-musl": busybox from source, static against the target's musl, for
kernels older than glibc allows) and assemble.sh (busybox and its applet
links, kmod and its libraries, /etc, busybox init). The host backend runs
them here; the Docker backend runs them in the first stage of
minimal-boot.dockerfile and exports the image. No target binary runs on
either path, so neither needs binfmt. The tarball is written here, the same
way for both.

Artifact folder: rootfs.tar.gz, manifest.tsv (path, octal mode, size,
sha256 or '-', type). meta: RootfsMeta (rootfs/meta.py).
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..digest import file_sha256
from ..engine.backends.base import ImageBuilder
from ..engine.context import Artifact, BuildContext
from ..engine.recipe import Toolchain
from ..errors import BuildError
from ..formats import tar as tarball
from ..formats import unpack
from ..formats.version import format_version
from ..profile import Profile
from . import debian_index
from . import verify as rootfs_verify
from .meta import RootfsMeta

MIRROR = "http://deb.debian.org/debian"
ARCHIVE_MIRROR = "http://archive.debian.org/debian"
TARBALL = rootfs_verify.TARBALL
MANIFEST = "manifest.tsv"
PACKAGES_FILE = "etc/squireos/packages"
BUILD_PACKAGES_FILE = "etc/squireos/build-packages"
# What build-busybox.sh links against, fetched for the target without dependencies.
MUSL_BUILD_PACKAGES = ("musl-dev", "linux-libc-dev")
# The cross gcc for each Debian architecture (package gcc-<triplet>).
GNU_TRIPLET_OF = {
    "armel": "arm-linux-gnueabi",
    "armhf": "arm-linux-gnueabihf",
    "arm64": "aarch64-linux-gnu",
    "amd64": "x86_64-linux-gnu",
}
# The kernel opens /dev/console before init runs; /dev/null for early scripts.
DEVICES = (
    tarball.Device("dev/console", 0o600, "char", 5, 1),
    tarball.Device("dev/null", 0o666, "char", 1, 3),
)
# What `docker create` adds to every container: not part of the image.
DOCKER_ADDED = {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab"}
DOCKER_MOUNT_POINTS = ("dev/", "proc/", "sys/")


class RootfsRecipe:
    name = "rootfs"
    deps: tuple[str, ...] = ()
    tools = ("apt-get", "dpkg-deb", "make", "arm-linux-gnueabi-gcc", "arm-linux-gnueabihf-gcc")
    version = "2"
    evidence = ("manifest.tsv",)  # attached to the report beside the build log
    runs_on = "any"
    meta_type = RootfsMeta

    def needs(self, profile: Profile) -> tuple[str, ...]:
        fetch = ("apt-get", "dpkg-deb")
        if profile.rootfs.userland == "busybox-musl":
            return (*fetch, "make", "patch", f"{gnu_triplet(profile)}-gcc")
        return fetch

    def toolchain(self, profile: Profile) -> Toolchain:
        """On Docker it builds its own image (minimal-boot.dockerfile, in the
        fingerprint with the package indices): no builder image."""
        return Toolchain()

    def fingerprint(self, profile: Profile, project_root: Path) -> dict:
        sources = sources_dir(profile)
        return {
            "debian_arch": profile.target.debian_arch,
            "suite": profile.rootfs.suite,
            "userland": profile.rootfs.userland,
            "packages": list(profile.rootfs.packages),
            "build_packages": list(build_packages(profile)),
            "dev_method": dev_method(profile),
            "mirror": MIRROR,
            "package_index": package_index(profile),
            "sources": {
                path.relative_to(sources).as_posix(): file_sha256(path)
                for path in sorted(sources.rglob("*"))
                if path.is_file()
            },
        }

    def build(self, ctx: BuildContext) -> RootfsMeta:
        check_suite_reachable(ctx.profile, str(ctx.log_path))
        scratch = Path(tempfile.mkdtemp(prefix="rootfs-", dir=ctx.workspace("rootfs")))
        try:
            tree = scratch / "tree"
            if ctx.backend.images is not None:
                _tree_in_images(ctx, ctx.backend.images, scratch, tree)
            else:
                _tree_on_host(ctx, scratch, tree)
            return _package(ctx, tree)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def verify(self, artifact: Artifact[RootfsMeta], profile: Profile, deps: dict) -> list[str]:
        """Gate 2's facts of the rootfs (rootfs/verify.py): its programs, links, budget."""
        return rootfs_verify.verify(artifact, profile)


RECIPE = RootfsRecipe()


def sources_dir(profile: Profile) -> Path:
    """pytest_quill/data/rootfs/: the recipe's Dockerfile and the scripts beside it."""
    return profile.rootfs.recipe.parent


def dev_method(profile: Profile) -> str:
    """How init fills /dev: devtmpfs only where the profile allows it."""
    return "devtmpfs" if "devtmpfs" in profile.rootfs.init_features else "mdev"


def package_index(profile: Profile) -> str:
    """The suite's index digests, asked of the mirror: the target's packages, and for
    busybox-musl also the build machine's, where the cross compiler comes from."""
    return " ".join(debian_index.index_digests(MIRROR, profile.rootfs.suite, _index_arches(profile)))


def _package_index_seen(profile: Profile) -> str:
    """package_index as the key saw it moments ago, without a second fetch."""
    return " ".join(
        debian_index.last_seen(MIRROR, profile.rootfs.suite, arch) for arch in _index_arches(profile)
    )


def _index_arches(profile: Profile) -> tuple[str, ...]:
    if profile.rootfs.userland != "busybox-musl":
        return (profile.target.debian_arch,)
    return profile.target.debian_arch, _native_debian_arch()


def build_packages(profile: Profile) -> tuple[str, ...]:
    return MUSL_BUILD_PACKAGES if profile.rootfs.userland == "busybox-musl" else ()


def gnu_triplet(profile: Profile) -> str:
    return GNU_TRIPLET_OF[profile.target.debian_arch]


def check_suite_reachable(profile: Profile, log: str) -> None:
    """BuildError naming the suite when the mirror does not carry it."""
    suite = profile.rootfs.suite
    status = _release_status(MIRROR, suite)
    if status == "200":
        return
    archive = _release_status(ARCHIVE_MIRROR, suite)
    where = (
        "is only on archive.debian.org, which this recipe does not use"
        if archive == "200"
        else f"may live on archive.debian.org, which cannot be reached from here ({archive})"
    )
    raise BuildError(
        f"rootfs: Debian suite {suite!r} (profile {profile.name}, rootfs.suite) is not on "
        f"{MIRROR} ({status} for dists/{suite}/Release); an archived release {where}",
        log=log,
    )


def _release_status(mirror: str, suite: str) -> str:
    request = urllib.request.Request(f"{mirror}/dists/{suite}/Release", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"unreachable: {getattr(exc, 'reason', exc)}"


def _tree_on_host(ctx: BuildContext, work: Path, tree: Path) -> None:
    profile = ctx.profile
    sources = sources_dir(profile)
    ctx.run(
        [
            "sh",
            str(sources / "fetch-packages.sh"),
            str(work),
            profile.target.debian_arch,
            profile.rootfs.suite,
            MIRROR,
            *profile.rootfs.packages,
        ],
        cwd=work,
        env={"BUILD_PACKAGES": " ".join(build_packages(profile))},
    )
    if profile.rootfs.userland == "busybox-musl":
        ctx.run(
            ["sh", str(sources / "build-busybox.sh"), str(work), str(sources), gnu_triplet(profile), MIRROR],
            cwd=work,
        )
    ctx.run(
        ["sh", str(sources / "assemble.sh"), str(work), str(tree), str(sources), dev_method(profile)],
        cwd=work,
    )


def _tree_in_images(ctx: BuildContext, backend: ImageBuilder, work: Path, tree: Path) -> None:
    """Build minimal-boot.dockerfile, export the image, unpack it without Docker's additions."""
    profile = ctx.profile
    exported = work / "export.tar"
    with open(ctx.log_path, "ab") as log:
        # The first stage runs natively: it only downloads and copies files.
        builder = backend.base_image(_native_debian_arch(), profile.rootfs.suite, log)
        buildargs = {
            "BUILDER_IMAGE": builder,
            "DEBIAN_ARCH": profile.target.debian_arch,
            "SUITE": profile.rootfs.suite,
            "MIRROR": MIRROR,
            "PACKAGES": " ".join(profile.rootfs.packages),
            "USERLAND": profile.rootfs.userland,
            "BUILD_PACKAGES": " ".join(build_packages(profile)),
            "TRIPLET": gnu_triplet(profile),
            "DEV_METHOD": dev_method(profile),
            "PACKAGE_INDEX": _package_index_seen(profile),
        }
        tag = f"quill-rootfs:{profile.target.debian_arch}-{profile.rootfs.suite}-{profile.rootfs.userland}"
        # No platform: the image only carries DEBIAN_ARCH's files, nothing of them
        # runs during the build, so no binfmt emulation is needed.
        image = backend.build_image(profile.rootfs.recipe, sources_dir(profile), None, buildargs, tag, log)
        backend.export_rootfs(image, exported, log)
    unpack_export(exported, tree, str(ctx.log_path))


def unpack_export(exported: Path, tree: Path, log: str) -> None:
    """The image's files (not Docker's additions), with tarfile's checks for a
    tree made elsewhere: no member outside TREE or written through a link, no
    device node or FIFO (the tarball gets /dev/console and /dev/null from
    DEVICES), no owner, setuid or setgid."""
    unpack.unpack(
        exported,
        tree,
        "rootfs: the exported image",
        unpack.tree_filter,
        members=from_image,
        error=BuildError,
        log=log,
    )


def from_image(member: tarfile.TarInfo) -> bool:
    name = tarball.member_path(member.name)
    if name in DOCKER_ADDED or member.ischr() or member.isblk():
        return False
    return not any(name.startswith(point) for point in DOCKER_MOUNT_POINTS)


def _native_debian_arch() -> str:
    from ..engine.backends.docker_images import debian_arch_of

    return debian_arch_of(None)


def _package(ctx: BuildContext, tree: Path) -> RootfsMeta:
    path = ctx.out / TARBALL
    entries = tarball.write(tree, path, DEVICES)
    tarball.write_manifest(entries, ctx.out / MANIFEST)
    floors = rootfs_verify.kernel_floors(rootfs_verify.read_contents(path))
    meta = RootfsMeta(
        arch=ctx.profile.target.debian_arch,
        sha256=file_sha256(path),
        compressed_bytes=path.stat().st_size,
        entries=len(entries),
        backend=ctx.backend.name,
        libc_min_kernel=format_version(max(floors.values())) if floors else "",
        suite=ctx.profile.rootfs.suite,
        userland=ctx.profile.rootfs.userland,
        packages=_lines(tree / PACKAGES_FILE),
        build_packages=_lines(tree / BUILD_PACKAGES_FILE),
        dev_method=dev_method(ctx.profile),
    )
    ctx.note(
        f"rootfs: {meta.entries} entries, {meta.compressed_bytes} bytes, "
        f"sha256 {meta.sha256}, libc needs kernel {meta.libc_min_kernel or '-'}"
    )
    return meta


def _lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text().splitlines()) if path.exists() else ()
