"""TOML tables into frozen dataclasses, by their type hints: the loader under the
hardware profiles. Paths are relative to the file (`quill:REL` names a file
shipped with the plugin, pytest_quill/data); a Rule in Annotated adds a
condition; errors name the file or the --quill-set that gave the value, the key
and what is allowed, in one line."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

from . import data
from .errors import InputError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")


class Rule(typing.NamedTuple):
    """A condition beyond the type, as Annotated[type, Rule(...)] in the schema."""

    text: str  # what is allowed, for the error
    ok: Callable[[object], bool]


class Source(typing.NamedTuple):
    """Where a value came from, for the error: the file, or --quill-set KEY=VALUE."""

    path: Path
    overrides: dict[str, str]

    def error(self, key: str, text: str) -> InputError:
        """KEY TEXT, after the --quill-set that gave KEY (or its table), else the file."""
        bare = key.split("[")[0] + "."
        given = [k for k in self.overrides if bare.startswith(f"{k}.") or k.startswith(bare)]
        where = f"--quill-set {given[0]}={self.overrides[given[0]]}" if given else self.path
        return InputError(f"{where}: {key} {text}")


def apply_override(data: dict, dotted: str, text: str, src: Source) -> None:
    """--quill-set section.key=value: TOML syntax first, a bare string else."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    *sections, key = dotted.split(".")
    node = data
    for section in sections:
        node = node.setdefault(section, {})
        if not isinstance(node, dict):
            raise src.error(dotted, f"cannot be set: {section} is not a table of {src.path.name}")
    node[key] = value


def build(cls: type[D], data: object, src: Source, prefix: str, extra: dict[str, object] | None = None) -> D:
    """CLS from DATA, the table at PREFIX; EXTRA: fields given by the caller, no keys."""
    where = prefix.rstrip(".") or "the top level"
    if not isinstance(data, dict):
        raise src.error(where, f"must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [f for f in dataclasses.fields(cls) if not (extra and f.name in extra)]
    allowed = [f.name for f in fields]
    for key in data:
        if key not in allowed:
            raise src.error(prefix + key, f"is an unknown key; allowed in [{where}]: " + ", ".join(allowed))
    values = dict(extra or {})
    for f in fields:
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name], src, prefix + f.name)
        elif f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        else:
            raise InputError(f"{src.path}: missing key {prefix}{f.name} ({_describe(hints[f.name])})")
    return cls(**values)


def _convert(hint: object, value: object, src: Source, key: str) -> object:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        converted = _convert(args[0], value, src, key)
        if not args[1].ok(converted):
            raise src.error(key, f"= {value!r} is not allowed; it must be {_describe(hint)}")
        return converted
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        return None if value in ("", None) else _convert(inner, value, src, key)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, src, prefix=key + ".")
    if origin is Literal:
        if value not in args:
            raise src.error(
                key, f"= {value!r} is not allowed; allowed values: " + ", ".join(repr(a) for a in args)
            )
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise src.error(key, f"must be {_describe(hint)}, got {value!r}")
        return tuple(_convert(args[0], item, src, f"{key}[{i}]") for i, item in enumerate(value))
    if hint is Path and isinstance(value, str):
        return data.resolve(value, src.path.parent)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not (isinstance(hint, type) and isinstance(value, hint)) or (hint is int and isinstance(value, bool)):
        raise src.error(key, f"must be {_describe(hint)}, got {value!r}")
    return value


def _describe(hint: object) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        return f"{_describe(args[0])}, {args[1].text}"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is tuple:
        return f"a list of {_describe(args[0])}"
    if origin in (typing.Union, types.UnionType):
        return _describe([a for a in args if a is not type(None)][0])
    names: dict[object, str] = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        Path: "a path string",
    }
    return "a table" if dataclasses.is_dataclass(hint) else names.get(hint, str(hint))
