"""One artifact made as a run's store makes it, for tests that
build with a chosen backend into a chosen cache folder."""

from __future__ import annotations

from pathlib import Path

from pytest_quill.engine.cache import Cache
from pytest_quill.engine.produce import build_or_reuse, key_of


def produce(recipe, profile, backend, cache_folder: Path, rebuild: bool = False, jobs: int = 2):
    """One artifact as a run's store makes it: the backend set up for the recipe,
    reused from CACHE_FOLDER/artifacts by key, else built there (work in CACHE_FOLDER/work)."""
    project = Path(__file__).resolve().parents[2]
    backend = backend.with_toolchain(recipe.toolchain(profile))
    key = key_of(recipe, profile, backend, {}, project)
    log = cache_folder / "logs" / f"{recipe.name}-{key}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return build_or_reuse(
        recipe,
        key,
        profile=profile,
        backend=backend,
        cache=Cache(cache_folder / "artifacts"),
        deps={},
        log=log,
        jobs=jobs,
        work_root=cache_folder / "work",
        project_root=project,
        rebuild=rebuild,
    )
