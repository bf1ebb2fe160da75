"""kernel.source as a tarball (.tar.xz, .tar.gz): unpacked into the recipe's
workspace, its kernel top folder found inside (nst-kernel/src), the sha256 of
its content in the key; a relative path is taken from the project root; a
half-extracted tree never stays behind."""

import dataclasses
import io
import os
import tarfile
from pathlib import Path

import pytest

from pytest_quill.digest import file_sha256
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import BuildContext
from pytest_quill.errors import BuildError, InputError
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import tree as kernel_tree

PROJECT = Path(__file__).resolve().parents[2]

# A 2.6.29-shaped tree: no top-level Kconfig (its root is arch/arm/Kconfig), a Kbuild.
FAKE_TREE = {
    "Makefile": "VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 29\n",
    "Kbuild": "# kbuild\n",
    "arch/arm/Kconfig": 'mainmenu "Linux"\n',
    "drivers/Makefile": "obj-y += base/\n",
}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """The digests these tarballs leave are remembered in a cache of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def make_tarball(
    path: Path, files: dict[str, str], top: str = "nst-kernel/src", extra: dict[str, str] | None = None
) -> Path:
    """A tarball like `git archive` of nst-kernel: the tree under TOP, more beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "w:xz" if path.name.endswith("xz") else "w:gz"
    members = {f"{top}/{rel}" if top else rel: text for rel, text in files.items()}
    members.update(extra or {"nst-kernel/README.md": "B&N 2.6.29\n"})
    with tarfile.open(path, mode) as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def context(tmp_path: Path, profile, project_root: Path) -> BuildContext:
    (tmp_path / "out").mkdir(exist_ok=True)
    return BuildContext(
        name="kernel",
        profile=profile,
        out=tmp_path / "out",
        log_path=tmp_path / "build.log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=project_root,
    )


def prepare(ctx: BuildContext, source: str) -> Path:
    identity = kernel_tree.source_identity(source, ctx.project_root)
    workspace = ctx.workspace(f"kernel-src/{kernel_tree.tree_label(identity)}")
    return kernel_tree.prepare_tree(ctx, source, identity, workspace)


def leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in work.rglob("*") if p.name.startswith(".scratch"))


@pytest.mark.parametrize("name", ["nst.tar.xz", "nst.tar.gz", "nst.tgz"])
def test_a_tarball_is_its_own_kind_and_a_path_or_url_keep_theirs(name):
    assert kernel_tree.source_kind(f"../sources/{name}") == "tarball"
    assert kernel_tree.source_kind("/src/nst-kernel") == "path"
    assert kernel_tree.source_kind("https://github.com/x/nst-kernel.git") == "git"
    assert kernel_tree.source_kind("debian:linux-source-6.1") == "debian"


def test_the_tarball_is_unpacked_in_the_workspace_and_its_kernel_top_found(tmp_path, nook):
    packed = make_tarball(tmp_path / "sources/nst.tar.xz", FAKE_TREE)
    ctx = context(tmp_path, nook, tmp_path)
    tree = prepare(ctx, str(packed))
    assert tree.parent.parent == tmp_path / "work/kernel-src"
    assert (tree / "Makefile").read_text() == FAKE_TREE["Makefile"]
    assert (tree / "arch/arm/Kconfig").is_file() and not (tree / "README.md").exists()
    assert "kernel top folder: nst-kernel/src" in ctx.log_path.read_text()
    assert leftovers(tmp_path / "work") == []
    assert prepare(ctx, str(packed)) == tree  # made once
    assert "kernel tree reused" in ctx.log_path.read_text()


def test_a_relative_tarball_is_taken_from_the_project_root(tmp_path, nook, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    make_tarball(tmp_path / "shared/nst.tar.gz", FAKE_TREE)
    monkeypatch.chdir(tmp_path)  # not the project root: the path must not depend on it
    ctx = context(tmp_path, nook, project)
    tree = prepare(ctx, "../shared/nst.tar.gz")
    assert (tree / "Kbuild").is_file()
    assert kernel_tree.source_mounts("../shared/nst.tar.gz", project) == [tmp_path / "shared"]


def test_a_missing_tarball_says_where_a_relative_path_was_looked_for(tmp_path):
    with pytest.raises(InputError) as error:
        kernel_tree.source_identity("../shared/none.tar.xz", tmp_path / "project")
    assert error.value.message == (
        f"kernel.source ../shared/none.tar.xz: {tmp_path / 'shared/none.tar.xz'} does not "
        f"exist (a relative kernel.source is taken from the project root {tmp_path / 'project'})"
    )


def test_a_tarball_with_no_kernel_tree_fails_and_leaves_nothing(tmp_path, nook):
    packed = make_tarball(tmp_path / "docs.tar.xz", {"README": "not a kernel\n"}, top="docs")
    ctx = context(tmp_path, nook, tmp_path)
    with pytest.raises(
        BuildError,
        match=r"kernel.source .*docs.tar.xz: no kernel tree in .*"
        r"\(no folder with a Makefile, arch/ and Kconfig or "
        r"Kbuild\)",
    ):
        prepare(ctx, str(packed))
    assert leftovers(tmp_path / "work") == []
    assert not list((tmp_path / "work").rglob("tree"))


@pytest.mark.parametrize("name", ["nst.tar.gz", "nst.tar.xz"])
def test_a_truncated_tarball_is_an_input_error_and_leaves_no_half_tree(tmp_path, nook, name):
    packed = make_tarball(tmp_path / name, {**FAKE_TREE, "big.c": os.urandom(200_000).hex()})
    packed.write_bytes(packed.read_bytes()[: len(packed.read_bytes()) // 2])
    ctx = context(tmp_path, nook, tmp_path)
    with pytest.raises(
        InputError,
        match=rf"^kernel.source {packed} \({packed}\): not a whole "
        r"tar archive \(.*\): truncated, or not a tar file$",
    ):
        prepare(ctx, str(packed))
    assert leftovers(tmp_path / "work") == []
    assert not list((tmp_path / "work").rglob("tree"))


def test_the_identity_follows_the_content_even_with_the_same_size_and_mtime(tmp_path):
    packed = make_tarball(tmp_path / "nst.tar.xz", FAKE_TREE)
    first = kernel_tree.source_identity(str(packed))
    stamp = packed.stat()
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit: same size
    packed.write_bytes(bytes(data))
    os.utime(packed, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # the same mtime
    assert (packed.stat().st_size, packed.stat().st_mtime_ns) == (stamp.st_size, stamp.st_mtime_ns)
    second = kernel_tree.source_identity(str(packed))
    assert first["sha256"] != second["sha256"] == file_sha256(packed)


def test_a_tarballs_digest_leaves_nothing_in_the_cache(tmp_path):
    kernel_tree.source_identity(str(make_tarball(tmp_path / "nst.tar.xz", FAKE_TREE)))
    assert not (tmp_path / "cache").exists()


def test_the_key_follows_the_tarballs_content_not_its_folder(tmp_path, nook):
    one = make_tarball(tmp_path / "a/nst.tar.xz", FAKE_TREE)
    two = make_tarball(tmp_path / "b/nst.tar.xz", FAKE_TREE)
    two.write_bytes(one.read_bytes())
    other = make_tarball(tmp_path / "c/nst.tar.xz", {**FAKE_TREE, "Kbuild": "# other\n"})

    def key(path: Path) -> dict:
        profile = dataclasses.replace(nook, kernel=dataclasses.replace(nook.kernel, source=str(path)))
        return kernel.RECIPE.fingerprint(profile, PROJECT)

    assert key(one) == key(two) != key(other)
    assert key(one)["source"] == {"kind": "tarball", "name": "nst.tar.xz", "sha256": file_sha256(one)}


def test_docker_mounts_the_tarballs_folder_and_the_compat_patches(tmp_path, nook):
    packed = make_tarball(tmp_path / "sources/nst.tar.xz", FAKE_TREE)
    profile = dataclasses.replace(nook, kernel=dataclasses.replace(nook.kernel, source=str(packed)))
    toolchain = kernel.RECIPE.toolchain(profile)
    assert toolchain.sources == (tmp_path / "sources", nook.kernel.compat_patches)
    assert toolchain.dockerfile.name == "builder.dockerfile"


def test_the_build_needs_one_cross_compiler_and_what_unpacks_and_patches(nook, qemu_virt):
    tarred = dataclasses.replace(
        nook, kernel=dataclasses.replace(nook.kernel, source="../shared/sources/nst.tar.xz")
    )
    assert kernel.RECIPE.needs(tarred) == ("make", "arm-linux-gnueabi-gcc", "mkimage", "patch")
    assert kernel.RECIPE.needs(qemu_virt) == ("make", "arm-linux-gnueabihf-gcc", "mkimage", "tar", "xz")
