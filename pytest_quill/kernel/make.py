"""How the recipe calls the kernel's make: out of tree, cross, through ccache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCALE = ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES")


@dataclass(frozen=True)
class KernelMake:
    tree: Path
    build_dir: Path  # O=: the tree itself is never written
    arch: str
    cross_compile: str
    jobs: int
    ccache_dir: Path | None  # None: no ccache on the backend

    def argv(self, *targets: str, parallel: bool = True, **variables: str) -> list[str]:
        argv = ["make", "-C", str(self.tree), f"O={self.build_dir}", f"ARCH={self.arch}",
                f"CROSS_COMPILE={self.cross_compile}"]
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
        env = {"KBUILD_BUILD_USER": "quill", "KBUILD_BUILD_HOST": "quill",
               **{name: "C" for name in LOCALE}}
        if self.ccache_dir:
            # content: the Docker backend's compiler has another mtime but the same bytes.
            env.update(CCACHE_DIR=str(self.ccache_dir), CCACHE_COMPILERCHECK="content")
        return env

    def image(self, name: str) -> Path:
        return self.build_dir / "arch" / self.arch / "boot" / name
