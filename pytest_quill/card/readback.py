"""Read a card image back without mounting it (gate 3): one line per broken fact.

Each check_* reads one part of the card and returns problems; verify() runs
them all. The Nook's card mistakes (NOOK.md 8-11) each have their own line:
a root FS the kernel cannot mount, a text boot.scr, a missing or misplaced
MLO, uEnv.txt, the wrong console name, the wrong root device; and a boot.scr
that does not fit the U-Boot it runs in (uboot_env.check_card).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..engine.context import Artifact
from ..errors import QuillError
from ..formats import bmap, uimage
from ..profile import Profile
from . import bootscript, rootfs_manifest, uboot_env
from . import image as diskimage
from .preflight import kernel_config_problems

FAT_VERSIONS = {"fat16": "FAT16", "fat32": "FAT32"}
EXAMPLES = 3  # paths named in a line that counts many broken entries


def verify(artifact: Artifact, profile: Profile, kernel: Artifact, rootfs: Artifact) -> list[str]:
    image = artifact.file("card.img")
    if not image.is_file():
        return [f"{image}: no card image"]
    checks = [
        lambda: check_partitions(image, profile),
        lambda: check_filesystems(image, profile, kernel),
        lambda: check_boot_files(image, profile, kernel, artifact),
        lambda: check_boot_script(image, profile),
        lambda: uboot_env.check_card(image, profile),
        lambda: check_root_tree(image, profile, rootfs),
        lambda: check_modules(image, profile, kernel),
        lambda: check_block_map(image),
        lambda: check_used_blocks_written(image, profile),
    ]
    problems = []
    for check in checks:
        try:
            problems += check()
        except QuillError as error:  # a tool could not read the image
            problems.append(f"{image}: {error.one_line()}")
    return problems


def check_partitions(image: Path, profile: Profile) -> list[str]:
    problems = []
    size = image.stat().st_size
    if size != profile.sdcard.image_mib * diskimage.MIB or size & (size - 1):
        problems.append(
            f"{image}: {size} bytes; the profile asks for sdcard.image_mib = "
            f"{profile.sdcard.image_mib} MiB, a power of two"
        )
    table = diskimage.partition_table(image)
    if table.get("label") != "dos":
        problems.append(f"{image}: partition table {table.get('label')}, not dos (MBR)")
    found = table.get("partitions", [])
    expected = diskimage.layout(profile.sdcard)
    if len(found) != len(expected):
        return problems + [f"{image}: {len(found)} partitions, expected {len(expected)}"]
    for want, have in zip(expected, found):
        problems += _partition_problems(image, want, have)
    return problems


def _partition_problems(image: Path, want: diskimage.Partition, have: dict[str, Any]) -> list[str]:
    where = f"{image}: partition {want.number}"
    facts = [
        ("start sector", want.start // diskimage.SECTOR, have.get("start")),
        ("size in sectors", want.size // diskimage.SECTOR, have.get("size")),
        ("type", want.type, str(have.get("type", "")).lower()),
        ("boot flag", want.bootable, bool(have.get("bootable", False))),
    ]
    return [
        f"{where} {name} is {got}, expected {expected}" for name, expected, got in facts if expected != got
    ]


def check_filesystems(image: Path, profile: Profile, kernel: Artifact) -> list[str]:
    boot, root = diskimage.layout(profile.sdcard)
    problems = []
    fat = diskimage.probe(image, boot.start)
    if (fat.get("TYPE"), fat.get("VERSION")) != ("vfat", FAT_VERSIONS[boot.fs]):
        problems.append(
            f"{image}: partition 1 holds {fat.get('TYPE')} {fat.get('VERSION')}, "
            f"expected vfat {FAT_VERSIONS[boot.fs]}"
        )
    found = diskimage.probe(image, root.start).get("TYPE")
    if found != root.fs:
        problems.append(f"{image}: partition 2 holds {found}, the profile says sdcard.root_fs = {root.fs}")
    return problems + kernel_config_problems(profile, kernel.file("config"))


def check_boot_files(image: Path, profile: Profile, kernel: Artifact, card: Artifact) -> list[str]:
    boot, _ = diskimage.layout(profile.sdcard)
    expected = [(path.name, path) for path in profile.boot.bootloader_files]
    expected += [("uImage", kernel.file("uImage")), ("boot.scr", card.file("boot.scr"))]
    names = diskimage.fat_names(image, boot)
    present = {name.lower(): name for name in names}
    problems = []
    loader = [name for name, _ in expected[: len(profile.boot.bootloader_files)]]
    if loader and [n.lower() for n in names[: len(loader)]] != [n.lower() for n in loader]:
        problems.append(
            f"{image}: partition 1 starts with {names[: len(loader)]}, expected "
            f"{loader} first (the ROM loads {loader[0]} first)"
        )
    if "uenv.txt" in present:
        problems.append(
            f"{image}: partition 1 holds uEnv.txt; this boot must not rely on it "
            "(the Nook's U-Boot ignores it): put commands in boot.scr"
        )
    with tempfile.TemporaryDirectory(prefix="quill-readback-") as work:
        for name, source in expected:
            problems += _boot_file_problems(image, boot, name, source, present, Path(work))
    return problems


def _boot_file_problems(
    image: Path, boot: diskimage.Partition, name: str, source: Path, present: dict[str, str], work: Path
) -> list[str]:
    if name.lower() not in present:
        return [f"{image}: partition 1 has no {name} (from {source})"]
    if not source.is_file():
        return [f"{source}: missing, so {name} on partition 1 cannot be checked"]
    data = diskimage.fat_read(image, boot, present[name.lower()], work / name)
    if _sha256(data) != _sha256(source.read_bytes()):
        return [f"{image}: {name} on partition 1 differs from {source} (sha256)"]
    return []


def check_boot_script(image: Path, profile: Profile) -> list[str]:
    """A compiled script (header, CRCs, type script) whose text is the profile's."""
    boot, _ = diskimage.layout(profile.sdcard)
    where = f"{image}: boot.scr on partition 1"
    with tempfile.TemporaryDirectory(prefix="quill-readback-") as work:
        copy = Path(work) / "boot.scr"
        try:
            data = diskimage.fat_read(image, boot, "boot.scr", copy)
        except QuillError:
            return []  # check_boot_files names the missing file
        header = uimage.verify(copy, profile, image_type="script")
    if header:
        more = f" (+{len(header) - 1} more)" if len(header) > 1 else ""
        return [
            f"{where} is not a compiled script (mkimage -T script): "
            f"{header[0].removeprefix(str(copy) + ': ')}{more}"
        ]
    try:
        text = bootscript.script_payload(data)
    except ValueError as error:
        return [f"{where}: {error}"]
    return script_problems(text, profile, f"{image}: boot.scr")


def script_problems(text: str, profile: Profile, where: str) -> list[str]:
    """The script's bootargs against the profile, then the whole text."""
    boot = profile.boot
    facts = [
        ("console", f"{boot.console},{boot.baud}", "boot.console/baud"),
        ("root", boot.root_device, "boot.root_device"),
        ("rootfstype", profile.sdcard.root_fs, "sdcard.root_fs"),
    ]
    problems = [
        f"{where}: {key}={bootscript.bootarg(text, key)}, the profile says {key}={want} ({field})"
        for key, want, field in facts
        if bootscript.bootarg(text, key) != want
    ]
    expected = bootscript.script_text(profile)
    if not problems and text != expected:
        line = next(
            (got for got, want in zip(text.splitlines() + [""], expected.splitlines()) if got != want), ""
        )
        problems.append(
            f"{where}: script differs from the profile's boot commands (first differing line: {line!r})"
        )
    return problems


def check_root_tree(image: Path, profile: Profile, rootfs: Artifact) -> list[str]:
    """Every manifest entry with its type and mode; every file's checksum."""
    manifest = rootfs_manifest.read(rootfs.file("manifest.tsv"))
    broken: dict[str, list[str]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="quill-readback-") as work:
        files = {e.path: Path(work) / f"{i}" for i, e in enumerate(manifest) if e.sha256 not in ("", "-")}
        stats = _read_tree(image, profile, [e.path for e in manifest], files, Path(work))
        for entry in manifest:
            fault = entry.fault(stats.get(entry.path), files.get(entry.path))
            broken[fault].append(entry.path)
    problems = [
        f"{image}: partition 2: {len(paths)} of {len(manifest)} manifest entries "
        f"{fault}, e.g. {', '.join(paths[:EXAMPLES])}"
        for fault, paths in broken.items()
        if paths and fault != "ok"
    ]
    root = stats.get("/")
    if root is not None and (root.uid, root.gid) != (0, 0):
        problems.append(f"{image}: partition 2: / is owned by {root.uid}:{root.gid}, not 0:0")
    return problems


def check_modules(image: Path, profile: Profile, kernel: Artifact) -> list[str]:
    """The kernel's whole modules tree, byte for byte, owned by root."""
    release: str = kernel.meta.release
    source = kernel.file(f"modules/lib/modules/{release}")
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    where = f"{image}: partition 2: /lib/modules/{release}"
    if not any(p.suffix == ".ko" for p in files) or Path("modules.dep") not in files:
        return [f"{source}: the kernel artifact has no .ko or no modules.dep for {release!r}"]
    problems = []
    with tempfile.TemporaryDirectory(prefix="quill-readback-") as work:
        dumps = {f"/lib/modules/{release}/{rel}": Path(work) / f"{i}" for i, rel in enumerate(files)}
        stats = _read_tree(image, profile, list(dumps), dumps, Path(work))
        missing = [path for path in dumps if path not in stats]
        changed = [
            path
            for (path, dumped), rel in zip(dumps.items(), files)
            if path in stats and _sha256(dumped.read_bytes()) != _sha256((source / rel).read_bytes())
        ]
        foreign = [path for path, entry in stats.items() if (entry.uid, entry.gid) != (0, 0)]
    for fault, paths in (
        ("missing", missing),
        ("differ from the kernel artifact", changed),
        ("not owned by 0:0", foreign),
    ):
        if paths:
            problems.append(
                f"{where}: {len(paths)} of {len(files)} files {fault}, e.g. "
                f"{', '.join(p.rsplit('/', 1)[-1] for p in paths[:EXAMPLES])}"
            )
    return problems


def check_block_map(image: Path) -> list[str]:
    """card.bmap is this image's map: its size, and every mapped range's checksum."""
    path = bmap.beside(image)
    if not path.is_file():
        return [
            f"{image}: no {path.name} beside it (bmaptool create): nothing says which ranges a card needs"
        ]
    try:
        mapping = bmap.read(path)
    except ValueError as error:
        return [str(error)]
    if mapping.image_size != image.stat().st_size:
        return [f"{path}: maps an image of {mapping.image_size} bytes, {image} has {image.stat().st_size}"]
    with open(image, "rb") as handle:
        mismatches, _ = bmap.check(handle.fileno(), mapping)
    return [
        f"{image}: {m.range.describe()} differ from {path.name}'s {mapping.checksum_type}" for m in mismatches
    ]


def check_used_blocks_written(image: Path, profile: Profile) -> list[str]:
    """bmaptool writes only the mapped ranges: every byte that matters must be in card.bmap."""
    path = bmap.beside(image)
    try:
        mapped = bmap.read(path).byte_ranges()
    except (OSError, ValueError):
        return []  # check_block_map names a missing or broken map
    needed = diskimage.needed_ranges(image, *diskimage.layout(profile.sdcard))
    unmapped = diskimage.bytes_outside(needed, mapped)
    if unmapped:
        return [
            f"{image}: {unmapped} bytes of the partition table, the FAT's metadata or the "
            "blocks partition 2's filesystem uses are holes; a sparse write would leave "
            f"the card's old bytes there ({path.name} does not map them)"
        ]
    return []


def _read_tree(
    image: Path, profile: Profile, paths: list[str], dumps: dict[str, Path], work: Path
) -> dict[str, diskimage.ExtEntry]:
    _, root = diskimage.layout(profile.sdcard)
    return diskimage.ext_stat_and_dump(image, root, ["/", *paths], dumps, work)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
