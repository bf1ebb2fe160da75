"""README.md and docs/*.md name only paths that exist in this repository.

Checked: every relative link, and every word of a `code` span that looks like a
path of this repository: its first part is one of the repository's top-level
entries (`pytest_quill/plugin.py`, `docs/quill.md`) or a folder of the package
(`kernel/recipe.py`, as docs/architecture.md writes them), or it is a file
shipped with the plugin (`quill:docker/builder.dockerfile`). A glob must match
something; a placeholder part (`NAME.toml`, `<id>`) stands for any name, so
the folder before it must exist. What a run writes (reports/) and paths outside
the repository (absolute, ~, ..) are not the repository's.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
PACKAGE = "pytest_quill"
SHIPPED = "quill:"  # a profile's name for a file in pytest_quill/data
# Top-level folders whose paths in the docs are what a run, a build or set-up writes.
WRITTEN = {"reports", "dist", "build", "node_modules", ".venv", ".git"}

FENCE = re.compile(r"^ {0,3}```.*?^ {0,3}```", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)\)")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
PLACEHOLDER = re.compile(r"<.*>|\{.*\}|\.\.\.|^[A-Z][A-Z0-9_]{2,}(\.[a-z]+)?$")
EDGES = "\"'[](),;:`"


def tracked_files(root: Path) -> set[str]:
    """The repository's files: git's list when this is a checkout, else what is here."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        return {name for name in listed.stdout.decode().split("\0") if name}
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


class Repository:
    """Answers whether a path (file, folder or glob) is in the repository."""

    def __init__(self, files: set[str]):
        self.files = files
        self.folders = {
            str(parent) for name in files for parent in PurePosixPath(name).parents if str(parent) != "."
        }
        self.top = {name.split("/")[0] for name in files} - WRITTEN
        self.package_folders = {
            name.split("/")[1] for name in files if name.startswith(f"{PACKAGE}/") and name.count("/") > 1
        }

    def has(self, path: str) -> bool:
        path = path.rstrip("/")
        if any(char in path for char in "*?["):
            return any(fnmatch.fnmatch(name, path) for name in self.files | self.folders)
        return path in self.files or path in self.folders

    def as_repository_path(self, word: str) -> str | None:
        """The repository path WORD names, or None when it names none."""
        if word.startswith(SHIPPED):
            return f"{PACKAGE}/data/{word.removeprefix(SHIPPED)}"
        word = word.removeprefix("./")
        if "/" not in word or word.startswith(("/", "~", "..", "$", "-")) or "://" in word:
            return None
        first = word.split("/")[0]
        if first in self.top:
            return word
        if first in self.package_folders:
            return f"{PACKAGE}/{word}"
        return None


def without_placeholder(path: str) -> str:
    """The path up to its first placeholder part: what must exist for any name."""
    kept = []
    for part in path.split("/"):
        if PLACEHOLDER.search(part):
            break
        kept.append(part)
    return "/".join(kept)


def span_words(span: str) -> list[str]:
    """The words of a code span that could be paths (`--opt=PATH`, `sh FILE`, `FILE:LINE`)."""
    words = []
    for word in span.split():
        word = word.strip(EDGES).rsplit("=", 1)[-1].strip(EDGES)
        words.append(re.sub(r"(:\d+)+$", "", word))
    return words


def missing_paths(text: str, doc: str, repository: Repository) -> list[str]:
    """Each path DOC (its repository path) names that the repository lacks, with its line."""
    prose = FENCE.sub(lambda block: "\n" * block.group().count("\n"), text)
    missing = []
    for number, line in enumerate(prose.splitlines(), start=1):
        for target in LINK.findall(line):
            target = target.split("#", 1)[0]
            if not target or "://" in target or target.startswith("mailto:"):
                continue
            named = (PurePosixPath(doc).parent / target).as_posix()
            resolved = str(PurePosixPath(*_normal(named.split("/"))))
            if not repository.has(resolved):
                missing.append(f"{doc}:{number}: link {target} ({resolved} is not in the repository)")
        for span in SPAN.findall(line):
            for word in span_words(span):
                path = repository.as_repository_path(word)
                if path is None:
                    continue
                needed = without_placeholder(path)
                if needed and not repository.has(needed):
                    missing.append(f"{doc}:{number}: `{span}` names {needed}, not in the repository")
    return missing


def _normal(parts: list[str]) -> list[str]:
    kept: list[str] = []
    for part in parts:
        if part == "..":
            if kept:
                kept.pop()
        elif part not in (".", ""):
            kept.append(part)
    return kept or ["."]


@pytest.fixture(scope="module")
def repository() -> Repository:
    return Repository(tracked_files(ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_path_the_doc_names_is_in_the_repository(doc, repository):
    rel = doc.relative_to(ROOT).as_posix()
    assert missing_paths(doc.read_text(), rel, repository) == []


def test_missing_paths_links_spans_globs_and_placeholders_are_judged(tmp_path):
    for name in (
        "docs/guide.md",
        "pytest_quill/kernel/recipe.py",
        "pytest_quill/data/docker/x.df",
        "hardware_profiles/a.toml",
        "scripts/setup.sh",
        "squireos/kernel/x.c",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    repository = Repository(tracked_files(tmp_path))
    text = """\
[ok](guide.md) [up](../scripts/setup.sh) [gone](gone.md) [web](https://example.com/a/b)
`sh scripts/setup.sh` `scripts/dockerd.sh` `kernel/recipe.py: RECIPE` `kernel/gone.py`
`hardware_profiles/*.toml` `hardware_profiles/*.yaml` `hardware_profiles/NAME.toml`
`squireos/boot/nook/MLO` `quill:docker/x.df` `quill:docker/y.df` `reports/quill-run.json`
`--quill-profiles=hardware_profiles/` `../shared/x.tar.xz` `/dev/sdX` `drivers/squireos`
```sh
sh scripts/in-a-block.sh
```
"""
    found = missing_paths(text, "docs/guide.md", repository)
    assert [line.split(": ", 1)[0] for line in found] == [
        f"docs/guide.md:{number}" for number in (1, 2, 2, 3, 4, 4)
    ]
    named = " ".join(found)
    for absent in (
        "gone.md",
        "scripts/dockerd.sh",
        "pytest_quill/kernel/gone.py",
        "hardware_profiles/*.yaml",
        "squireos/boot/nook",
        "pytest_quill/data/docker/y.df",
    ):
        assert absent in named
