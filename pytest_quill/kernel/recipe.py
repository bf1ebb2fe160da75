"""Stream A: the kernel artifact (tasks A1, A2) and its verifier (gate 2).

Artifact folder: uImage, zImage, config, System.map, Module.symvers,
modules/lib/modules/<release>/... (SquireOS under kernel/drivers/squireos/).
meta (KernelMeta, kernel/meta.py): release, modules (load order), builtin,
config_check, kconfig_chain, integration, compat (the patches applied to the tree:
name, sha256, status), vmlinux (entry, allocated sections), uimage (header
fields), sizes, ccache, ccache_stats (this build's hits and misses, local and remote).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..engine.context import Artifact, BuildContext, step_label
from ..engine.recipe import Toolchain
from ..errors import BuildError, InputError
from ..formats import kconfig, uimage
from ..profile import Profile
from . import compat
from . import config as kernel_config
from . import integration as kernel_integration
from . import modules as kernel_modules
from . import tree as kernel_tree
from . import verify as kernel_verify
from .make import KernelMake, read_stats, stats_record
from .meta import KernelMeta

OUTPUT_FILES = kernel_verify.OUTPUT_FILES


class KernelRecipe:
    name = "kernel"
    deps: tuple[str, ...] = ()
    tools = ("make", "arm-linux-gnueabihf-gcc", "arm-linux-gnueabi-gcc", "mkimage")
    version = "2"
    evidence = ("config",)  # attached to the report beside the build log
    runs_on = "any"
    meta_type = KernelMeta

    def needs(self, profile: Profile) -> tuple[str, ...]:
        """The programs this profile's build calls (one cross compiler, not both)."""
        settings = profile.kernel
        kind = kernel_tree.source_kind(settings.source) if settings.source else ""
        # A user's tarball is unpacked by the plugin itself (formats/unpack.py), not on the backend.
        unpack = {"debian": ("tar", "xz"), "git": ("git",)}
        return (
            ("make", f"{settings.cross_compile}gcc", "mkimage")
            + (("patch",) if settings.compat_patches else ())
            + unpack.get(kind, ())
        )

    def toolchain(self, profile: Profile) -> Toolchain:
        """The profile's builder image; mounted read-only: the kernel's sources (a
        relative path from the working folder, the project root of a run) and
        the compat patches."""
        patches = profile.kernel.compat_patches
        return Toolchain(
            profile.kernel.docker_builder,
            tuple(kernel_tree.source_mounts(profile.kernel.source)) + ((patches,) if patches else ()),
        )

    def fingerprint(self, profile: Profile, project_root: Path) -> dict:
        kernel = profile.section("kernel")
        kernel["config_fragment"] = _file_hash(profile.kernel.config_fragment)
        kernel["compat_patches"] = compat.fingerprint(profile.kernel.compat_patches)
        base = _config_base_file(profile, None)
        kernel["config_base"] = _file_hash(base) if base else profile.kernel.config_base
        kernel.pop("docker_builder")  # the backend's identity covers the toolchain
        # Where compiles are cached leaves the output the same: blanked, not dropped,
        # so the keys of kernels built before the setting existed stay valid.
        kernel["ccache_remote"] = ""
        kernel.pop("source")  # its identity below (a tarball's: its content, not its folder)
        kernel.pop("modules")  # their content below: the same sources anywhere, the same key
        modules = module_sources(profile)
        return {
            "source": kernel_tree.source_identity(profile.kernel.source, project_root),
            "kernel": kernel,
            "uimage": profile.section("uimage"),
            "arch": profile.target.arch,
            "modules": {p.name: _file_hash(p) for p in sorted(modules.iterdir()) if p.is_file()},
        }

    def build(self, ctx: BuildContext) -> KernelMeta:
        settings = ctx.profile.kernel
        identity = kernel_tree.source_identity(settings.source, ctx.project_root)
        if (
            kernel_tree.source_kind(settings.source) in ("path", "tarball")
            and not Path(settings.source).is_absolute()
        ):
            ctx.note(
                f"kernel.source {settings.source} is relative: taken from the project "
                f"root, {kernel_tree.local_source(settings.source, ctx.project_root)}"
            )
        label = kernel_tree.tree_label(identity)
        source_ws = ctx.workspace(f"kernel-src/{label}")
        wanted = compat.patches(settings.compat_patches)
        # A tree and its build folders serve one build at a time (runs may share a cache).
        with FileLock(str(source_ws / ".lock")):
            tree = kernel_tree.prepare_tree(ctx, settings.source, identity, source_ws)
            patches = compat.sync(ctx, tree, wanted, source_ws / "compat")
            integration = kernel_integration.integrate(
                tree, source_ws / "originals", module_sources(ctx.profile), settings.kconfig_parent
            )
            ctx.note(f"integration: {integration}")
            make = _kernel_make(ctx, tree, label)
            final, config_check = _configure(ctx, make, tree, integration)
            release, ccache_stats = _compile(ctx, make, final)
            collected = _collect(ctx, make, final, release)
        chain = kconfig.source_chain(tree, ctx.profile.target.arch, kernel_config.SQUIREOS_KCONFIG)
        return KernelMeta(
            **collected,
            ccache_stats=ccache_stats,
            config_check=config_check,
            integration=integration,
            compat={"folder": str(settings.compat_patches or ""), "patches": patches},
            kconfig_chain=None if chain is None else tuple(chain),
            source=identity,
            ccache=make.ccache_dir is not None,
        )

    def verify(
        self, artifact: Artifact[KernelMeta], profile: Profile, deps: dict[str, Artifact[Any]]
    ) -> list[str]:
        """Gate 2's facts of the kernel (kernel/verify.py): its uImage, entry, modules."""
        return kernel_verify.verify(artifact, profile)


def module_sources(profile: Profile) -> Path:
    """The profile's kernel.modules folder; InputError when it is not one."""
    modules = profile.kernel.modules
    if not modules.is_dir():
        raise InputError(
            f"kernel.modules {modules}: no such folder (profile {profile.path}); "
            f"give the folder of your module sources (Kconfig, Makefile, *.c)"
        )
    return modules


def _kernel_make(ctx: BuildContext, tree: Path, label: str) -> KernelMake:
    has_ccache = not ctx.backend.missing(["ccache"])  # the builder image's answer is kept
    return KernelMake(
        tree=tree,
        build_dir=ctx.workspace(f"kernel-build/{ctx.profile.name}-{label}"),
        arch=ctx.profile.target.arch,
        cross_compile=ctx.profile.kernel.cross_compile,
        jobs=ctx.jobs,
        ccache_dir=ctx.workspace("ccache") if has_ccache else None,
        ccache_base=ctx.work_root,
        ccache_remote=ctx.profile.kernel.ccache_remote,
    )


def _configure(ctx: BuildContext, make: KernelMake, tree: Path, integration: dict) -> tuple[dict, dict]:
    """config_base + fragment, then config_update; skipped when nothing that
    shapes the .config changed, so a rerun stays incremental."""
    settings = ctx.profile.kernel
    fragment = settings.config_fragment.read_text() if settings.config_fragment else ""
    dot_config = make.build_dir / ".config"
    stamp_file = make.build_dir / ".quill-config-input"
    stamp = _config_stamp(ctx.profile, tree, fragment, integration)
    if not (dot_config.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp):
        stamp_file.unlink(missing_ok=True)
        _base_config(ctx, make, tree)
        dot_config.write_text(kconfig.merge_config(dot_config.read_text(), fragment))
        update = (
            make.argv(settings.config_update, parallel=False)
            if settings.config_update == "olddefconfig"
            else make.answering_defaults(settings.config_update)
        )
        ctx.run(update, cwd=tree, env=make.env())
        stamp_file.write_text(stamp)
    final = kconfig.parse_config(dot_config.read_text())
    config_check = kernel_config.check(
        kconfig.parse_config(fragment), final, tree, ctx.profile.target.arch, settings.kconfig_parent
    )
    for problem in kernel_config.problem_lines(config_check):
        ctx.note(f"config check: {problem}")
    return final, config_check


def _config_stamp(profile: Profile, tree: Path, fragment: str, integration: dict) -> str:
    base = _config_base_file(profile, tree)
    parts = [
        profile.kernel.config_base,
        base.read_text() if base else "",
        fragment,
        integration["kconfig_parent"],
        (tree / kernel_config.SQUIREOS_KCONFIG).read_text(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _base_config(ctx: BuildContext, make: KernelMake, tree: Path) -> None:
    base = _config_base_file(ctx.profile, tree)
    if base:
        shutil.copyfile(base, make.build_dir / ".config")
    else:
        ctx.run(make.argv(ctx.profile.kernel.config_base, parallel=False), cwd=tree, env=make.env())


def _config_base_file(profile: Profile, tree: Path | None) -> Path | None:
    """config_base as a file: relative to the profile's folder, else to the
    tree (e.g. arch/arm/configs/X_defconfig); None for a make target."""
    base = profile.kernel.config_base
    if "/" not in base:
        return None  # a make target: tinyconfig, omap3621_gossamer_evt1c_defconfig
    for folder in (profile.path.parent, tree):
        if folder is not None and (folder / base).is_file():
            return (folder / base).resolve()
    if tree is None:
        return None  # a file of the tree: known once the tree is unpacked
    raise InputError(
        f"kernel.config_base {base}: neither {profile.path.parent / base} nor {tree / base} exists"
    )


def _compile(ctx: BuildContext, make: KernelMake, final: dict) -> tuple[str, dict]:
    """The release, and ccache's counters for this compile ({} without ccache)."""
    targets = [ctx.profile.kernel.image_target]
    if final.get("MODULES") == "y":
        targets.append("modules")
    argv = make.argv(*targets)
    if make.ccache_dir is None:
        ctx.run(argv, cwd=make.tree, env=make.env())
        if make.ccache_remote:
            ctx.note(
                f"kernel.ccache_remote {make.ccache_remote}: unused, no ccache on the "
                f"{ctx.backend.name} backend"
            )
        return _release(make), {}
    before, after = (make.build_dir / f".quill-ccache-{when}" for when in ("before", "after"))
    ctx.run(make.counted(argv, before, after), cwd=make.tree, env=make.env(), step=step_label(argv))
    stats = stats_record(read_stats(before.read_text()), read_stats(after.read_text()), make.ccache_remote)
    ctx.note(
        f"ccache: {stats['hits']} hits, {stats['misses']} misses; remote "
        f"{stats['remote'] or 'none'}: {stats['remote_storage_hit']} hits, "
        f"{stats['remote_storage_miss']} misses, {stats['remote_storage_error']} errors"
    )
    return _release(make), stats


def _release(make: KernelMake) -> str:
    return (make.build_dir / "include/config/kernel.release").read_text().strip()


def _collect(ctx: BuildContext, make: KernelMake, final: dict, release: str) -> dict[str, Any]:
    """KernelMeta's fields read from the build's outputs."""
    out = ctx.out
    shutil.copyfile(make.image("zImage"), out / "zImage")
    shutil.copyfile(make.build_dir / ".config", out / "config")
    shutil.copyfile(make.build_dir / "System.map", out / "System.map")
    if ctx.profile.kernel.image_target == "uImage":
        shutil.copyfile(make.image("uImage"), out / "uImage")
    else:
        ctx.run(uimage.mkimage_argv(out / "zImage", out / "uImage", ctx.profile), cwd=out)
    modules = kernel_modules.built_as(final, "m")
    if final.get("MODULES") == "y":
        _install_modules(ctx, make, release)
    return {
        "release": release,
        "modules": tuple(modules),
        "builtin": tuple(kernel_modules.built_as(final, "y")),
        "vmlinux": kernel_verify.vmlinux_record(make.build_dir / "vmlinux"),
        "uimage": uimage.read_header(out / "uImage").as_meta(),
        "sizes": {name: (out / name).stat().st_size for name in ("uImage", "zImage")},
    }


def _install_modules(ctx: BuildContext, make: KernelMake, release: str) -> None:
    shutil.copyfile(make.build_dir / "Module.symvers", ctx.out / "Module.symvers")
    ctx.run(
        make.argv("modules_install", parallel=False, INSTALL_MOD_PATH=str(ctx.out / "modules")),
        cwd=make.tree,
        env=make.env(),
    )
    installed = kernel_modules.modules_root(ctx.out, release)
    for link in ("build", "source"):  # they point into the workspace, not the card
        (installed / link).unlink(missing_ok=True)
    if not (installed / "modules.dep").is_file():
        raise BuildError(
            f"kernel: no modules.dep in {installed}: depmod did not run (is kmod installed?)",
            log=str(ctx.log_path),
        )


def _file_hash(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else ""


RECIPE = KernelRecipe()
