"""Frozen dataclasses to and from JSON, checked: the one reader and writer behind the
run record's types (report/rundata.py) and the artifacts' meta (engine/meta.py).

to_json() writes every field (nested entries as theirs, tuples as lists);
read_as() reads an object back as its class, CorruptRecord naming the first bad
value (`artifacts[2].start: ...`). Keys a class does not know are ignored (a newer
writer may add some); a field without a default that is missing is corrupt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from functools import cache
from types import UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

Json = dict[str, Any]
T = TypeVar("T")


class CorruptRecord(ValueError):
    """A value of the wrong shape, named by where it is: `artifacts[2].start: ...`."""


class Entry:
    """to_json(): every field (nested entries as theirs, tuples as lists) but those
    absent() names: the keys the record leaves out of such an entry."""

    def absent(self) -> set[str]:
        return set()

    def to_json(self) -> Json:
        gone = self.absent()
        return {
            f.name: _json(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]
            if f.name not in gone
        }


def _json(value: Any) -> Any:
    if isinstance(value, Entry):
        return value.to_json()
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    return dict(value) if isinstance(value, Mapping) else value


def read_as(cls: type[T], data: Any, where: str = "") -> T:
    """DATA (a JSON object) as CLS, a dataclass; CorruptRecord naming the first bad value."""
    if not isinstance(data, dict):
        raise CorruptRecord(f"{where.rstrip('.') or 'the record'}: {data!r} is not an object")
    hints, read, needed = _shape(cast(type, cls))
    if missing := [name for name in needed if name not in data]:
        raise CorruptRecord(f"{where.rstrip('.') or 'the record'}: no {missing[0]!r}")
    values = {f.name: _value(hints[f.name], data[f.name], f"{where}{f.name}") for f in read if f.name in data}
    try:
        return cls(**values)
    except TypeError as exc:  # a key it cannot do without is missing
        raise CorruptRecord(f"{where.rstrip('.') or 'the record'}: {exc}") from None


@cache  # a run reads thousands of entries of a dozen classes (its workers while they wait)
def _shape(cls: type) -> tuple[dict[str, Any], tuple[Field[Any], ...], list[str]]:
    """CLS's field types, its fields, and the names of those without a default."""
    read = fields(cls)
    needed = [f.name for f in read if f.default is MISSING and f.default_factory is MISSING]
    return get_type_hints(cls), read, needed


def _value(hint: Any, value: Any, where: str) -> Any:
    """VALUE as HINT says (a nested entry read as its class), or CorruptRecord."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(arg for arg in args if arg is not type(None))
        origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin is tuple and isinstance(value, list):
        return tuple(_value(args[0], item, f"{where}[{index}]") for index, item in enumerate(value))
    if is_dataclass(hint):
        return read_as(hint, value, f"{where}.")  # type: ignore[arg-type]
    if origin in (dict, Mapping) and isinstance(value, dict):
        return value
    if hint in (int, float) and isinstance(value, int | float) and not isinstance(value, bool):
        return value if hint is float or isinstance(value, int) else _wrong(value, hint, where)
    if hint in (str, bool) and isinstance(value, hint):
        return value
    return _wrong(value, hint, where)


def _wrong(value: Any, hint: Any, where: str) -> Any:
    raise CorruptRecord(f"{where}: {value!r} is not {getattr(hint, '__name__', hint)}")
