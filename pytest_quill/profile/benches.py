"""The [bench] table: which bench runs the card, and the bench kinds it may name.

A bench kind is one module: its [bench.KIND] table's dataclass (SECTION, with the
Rules that validate it; importable without the bench's own library) and its
bench (bench_class(), a pytest_quill.bench.base.Bench). The kinds this package
ships are listed here, in the order the reference shows them; another package
adds one with an entry point of the group "pytest_quill.benches" naming its
module, e.g. in its pyproject.toml:

    [project.entry-points."pytest_quill.benches"]
    lamp = "lamp_bench"

The modules are a higher layer than this one: they are found by name, as pytest
finds its plugins.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType, ModuleType
from typing import Annotated, Any, Literal, TypeVar

from ..errors import InputError
from ..tables import Rule

T = TypeVar("T")
BENCH_GROUP = "pytest_quill.benches"
BUILT_IN_BENCHES = (
    EntryPoint("qemu", "pytest_quill.bench.qemu", BENCH_GROUP),
    EntryPoint("serial", "pytest_quill.bench.serial", BENCH_GROUP),
    EntryPoint("labgrid", "pytest_quill.bench.labgrid", BENCH_GROUP),
)


@dataclass(frozen=True)
class Bench:
    """Which bench runs the card. Loaded as bench_schema(): `kind` and one optional
    field per bench kind, its [bench.KIND] table (profile.bench.qemu; None if absent)."""

    # Which bench runs the card; its own [bench.KIND] table below says how. Another
    # package may add a kind (pytest_quill/profile/benches.py says how).
    kind: str
    # Attempts the bench gets for a boot, and for a test on the booted device. A fault
    # of the bench (it cannot be reached, its power or console failed, QEMU died) ends
    # an attempt and starts the next (a test's on a new device); what passed only then
    # is flaky. A panic or a failed assertion is never tried again.
    attempts: Annotated[int, Rule("from 1 to 5", lambda n: 1 <= n <= 5)] = 1
    # Also try again a boot stuck at a stage (no answer within its time): for a board
    # whose boot sometimes hangs for reasons of the lab, not of the card.
    retry_stuck: bool = False

    def settings(self, section: type[T]) -> T:
        """The [bench.KIND] table of this bench's own kind, as that kind's SECTION."""
        table = getattr(self, self.kind)
        if not isinstance(table, section):
            raise TypeError(f"bench.{self.kind} is a {type(table).__name__}, not {section.__name__}")
        return table

    def __getattr__(self, name: str) -> Any:
        # Reached only for a name that is no field. The kinds' tables are fields of
        # bench_schema(), made from the registered kinds at run time, which a type
        # checker cannot see: this tells it that profile.bench.KIND is fine.
        raise AttributeError(f"[bench] has no table {name!r}")


@functools.cache
def bench_kinds() -> Mapping[str, ModuleType]:
    """Each bench kind's module by its name: this package's, then other packages'."""
    found: dict[str, ModuleType] = {}
    for entry in (*BUILT_IN_BENCHES, *entry_points(group=BENCH_GROUP)):
        if entry.name not in found:
            found[entry.name] = _kind_module(entry)
        elif found[entry.name].__name__ != entry.value:
            raise InputError(
                f"entry point {entry.name} = {entry.value!r} ({BENCH_GROUP}): bench "
                f"kind {entry.name!r} is {found[entry.name].__name__}'s already; "
                "give the new bench another name"
            )
    return MappingProxyType(found)


def _kind_module(entry: EntryPoint) -> ModuleType:
    where = f"bench kind {entry.name!r} ({entry.value}, entry point group {BENCH_GROUP})"
    if not entry.name.isidentifier():
        raise InputError(f"{where}: a kind is a name of letters, digits and '_'; rename it")
    try:
        module = entry.load()
    except ImportError as error:
        raise InputError(
            f"{where} cannot be imported ({error}): reinstall the package that provides it, or uninstall it"
        ) from None
    if not (
        dataclasses.is_dataclass(getattr(module, "SECTION", None))
        and callable(getattr(module, "bench_class", None))
    ):
        raise InputError(
            f"{where}: its module needs SECTION, the dataclass of [bench."
            f"{entry.name}], and bench_class(), its bench"
        )
    return module


@functools.cache
def bench_schema() -> type[Bench]:
    """[bench] as the loader and the reference read it: `kind`, one of the kinds,
    and each kind's table, optional, in the kinds' order."""
    kinds = bench_kinds()
    tables = [
        (kind, module.SECTION | None, dataclasses.field(default=None)) for kind, module in kinds.items()
    ]
    # Named and placed as Bench, whose source holds the comments of its fields.
    return dataclasses.make_dataclass(
        "Bench",
        [("kind", Literal.__getitem__(tuple(kinds))), *tables],
        bases=(Bench,),
        frozen=True,
        namespace={"__module__": __name__},
    )
