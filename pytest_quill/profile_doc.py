"""docs/profiles.md, the profile reference, generated from the profile schema.

`python -m pytest_quill.profile_doc > docs/profiles.md` writes it. It walks the
same frozen dataclasses the loader walks (pytest_quill/profile/ and each bench
kind's SECTION, by their type hints), so a new key, type, default, Literal member or Rule appears by itself.
The schema's only prose are the `# comments` beside and above each field: they
are read from the class's source with tokenize, as Python itself cannot keep them.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import sys
import textwrap
import tokenize
import types
import typing
from pathlib import Path
from typing import Annotated, Literal

from . import data
from .profile import profile_schema
from .tables import Rule

REGENERATE = "python -m pytest_quill.profile_doc > docs/profiles.md"

# What load_profile gives the top level itself: `path` is no key of the file
# (None), `name` is one the file's stem stands in for.
LOADER_GIVEN = {"path": None, "name": "the file's name without `.toml`"}

# A file a profile can name with the scheme, for the intro's example.
SHIPPED_EXAMPLE = min(p.relative_to(data.ROOT).as_posix() for p in data.ROOT.rglob("*.dockerfile"))

INTRO = f"""\
# Hardware profiles: the complete reference

<!-- Generated from pytest_quill/profile/ and the bench kinds' modules
     (pytest_quill/bench/) by `{REGENERATE}`;
     tests/test_profile_doc.py fails when this file is stale. Do not edit by hand. -->

A hardware profile is one TOML file that holds everything that differs between
boards: the target architecture, how the kernel is configured and built, the
rootfs, the SD card's layout, how the board boots, which bench runs it (QEMU, a
serial console at a real Nook, a labgrid place) and the time and memory budgets
a boot must meet. The plugin's code holds nothing board-specific; a new board is
a new profile.

- **Where it is found**: `--quill-profile NAME` (ini key `quill_profile`) looks
  for `NAME.toml` in the profiles folder, `--quill-profiles DIR` (ini key
  `quill_profiles`), by default `hardware_profiles/` in the project's rootdir.
  A value with a `/` or ending in `.toml` is a path to the file itself.
- **Paths** in a profile are relative to the profile's own file, wherever it is;
  `{data.SCHEME}REL` names a file shipped with the plugin instead, e.g.
  `{data.SCHEME}{SHIPPED_EXAMPLE}`.
- **Overrides**: `--quill-set KEY=VALUE` (repeatable; ini key `quill_set`) changes
  one value for one run, e.g. `--quill-set boot.root_device=/dev/vda2` or
  `--quill-set 'rootfs.packages=[]'`. VALUE is read as TOML (a number, `true`, a
  list), else as a plain string; it is validated exactly like the file.
- **Errors**: an unknown key, a missing key, a value of the wrong type or one a
  rule does not allow ends the run before anything is built, with one line that
  names the file (or the `--quill-set` that gave the value), the key and what is
  allowed (exit code 4).

Each table below lists its keys in the order of the schema. *Required* keys
have no default: a profile must set them. Types are TOML's: a string, an
integer (`0x40008000` is one), a number, `true`/`false`, a list `[...]`.
"""


@dataclasses.dataclass(frozen=True)
class Key:
    """One key of a table, as the reference shows it."""

    name: str
    kind: str
    required: bool
    default: str
    allowed: str
    text: str


def field_comments(cls: type) -> dict[str, str]:
    """Each field's comments in CLS's source: the comment lines right above it and
    the one(s) on its own line, joined; "" for a field without any."""
    source = textwrap.dedent(inspect.getsource(cls))
    fields = {f.name for f in dataclasses.fields(cls)}
    comments: dict[str, list[str]] = {}
    above: list[str] = []
    depth, current, previous = 0, None, tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind, text = token.type, token.string
        line_start = previous in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)
        if kind == tokenize.INDENT:
            depth += 1
        elif kind == tokenize.DEDENT:
            depth -= 1
        elif kind == tokenize.COMMENT:
            (comments[current] if current else above).append(text.lstrip("#").strip())
        elif kind == tokenize.NL and previous in (tokenize.NEWLINE, tokenize.NL):
            above = []  # a blank line parts a comment from the field below it
        elif kind == tokenize.NEWLINE:
            current = None
        elif kind == tokenize.NAME and line_start:
            current = text if depth == 1 and text in fields else None
            if current:
                comments[current] = above
            above = []
        previous = kind
    return {name: " ".join(lines) for name, lines in comments.items()}


def describe_type(hint: object) -> str:
    """The TOML type a key takes, without its conditions."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        return describe_type(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        return f'{describe_type(inner)}, or "" for none'
    if origin is Literal:
        return "string" if all(isinstance(a, str) for a in args) else "one of the values"
    if origin is tuple:
        return f"list of {describe_type(args[0])}s"
    if dataclasses.is_dataclass(hint):
        return "table"
    names: dict[object, str] = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "true/false",
        Path: "path",
    }
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def allowed_values(hint: object) -> str:
    """What a key's value must be beyond its type: Literal members, Rule texts,
    also of a list's items."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        rules = [m.text for m in args[1:] if isinstance(m, Rule)]
        return "; ".join([*filter(None, [allowed_values(args[0])]), *rules])
    if origin in (typing.Union, types.UnionType):
        return allowed_values(next(a for a in args if a is not type(None)))
    if origin is Literal:
        return ", ".join(toml_value(a) for a in args)
    if origin is tuple:
        items = allowed_values(args[0])
        return f"each: {items}" if items else ""
    return ""


def toml_value(value: object) -> str:
    """VALUE as it would be written in the profile."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _default(f: dataclasses.Field) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def keys_of(cls: type, given: dict[str, str | None] | None = None) -> list[Key]:
    """CLS's keys that hold values (its sub-tables are tables of their own); GIVEN:
    keys the loader fills itself, with what stands in for them (None: not a key)."""
    hints, comments = typing.get_type_hints(cls, include_extras=True), field_comments(cls)
    given = given or {}
    keys = []
    for f in dataclasses.fields(cls):
        if table_class(hints[f.name]) or (f.name in given and given[f.name] is None):
            continue
        default = _default(f)
        shown = given.get(f.name) or ("" if default is dataclasses.MISSING else f"`{toml_value(default)}`")
        keys.append(
            Key(
                f.name,
                describe_type(hints[f.name]),
                not shown,
                shown,
                allowed_values(hints[f.name]),
                comments.get(f.name, ""),
            )
        )
    return keys


def table_class(hint: object) -> type | None:
    """The dataclass a field holds (also when optional), None for a plain value."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is Annotated:
        hint = typing.get_args(hint)[0]
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


def tables_of(cls: type, prefix: str = "") -> list[tuple[str, type, bool, str]]:
    """(dotted name, class, required, comment) of CLS's tables, depth first in schema order."""
    hints, comments = typing.get_type_hints(cls, include_extras=True), field_comments(cls)
    found = []
    for f in dataclasses.fields(cls):
        sub = table_class(hints[f.name])
        if sub is not None:
            name = prefix + f.name
            found.append((name, sub, _default(f) is dataclasses.MISSING, comments.get(f.name, "")))
            found.extend(tables_of(sub, name + "."))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """TEXT in a table cell, read as it is written (no emphasis, no HTML tag)."""
    return _cell(text).replace("*", "\\*").replace("<", "&lt;")


def render_table(
    title: str, cls: type, required: bool | None, comment: str, given: dict[str, str | None] | None = None
) -> str:
    """One table's section; REQUIRED None: the top level, which is no table."""
    lines = [f"## {title}", ""]
    doc = inspect.getdoc(cls) or ""
    if doc and not doc.startswith(f"{cls.__name__}("):  # dataclass's generated signature
        lines += [doc, ""]
    if comment:
        lines += [comment, ""]
    if required is not None:
        lines += ["A required table." if required else "An optional table: it may be left out.", ""]
    keys = keys_of(cls, given)
    if keys:
        lines += ["| key | type | required | default | allowed | what it is |", "|---|---|---|---|---|---|"]
        lines += [
            f"| `{k.name}` | {_cell(k.kind)} | {'yes' if k.required else 'no'} | "
            + f"{_cell(k.default)} | {_prose(k.allowed)} | {_prose(k.text)} |"
            for k in keys
        ]
        lines.append("")
    return "\n".join(lines)


def render(schema: type | None = None) -> str:
    """The whole reference: the intro, the top level's own keys, then every table;
    of the profile with its bench kinds' tables unless SCHEMA is given."""
    schema = schema or profile_schema()
    parts = [INTRO]
    if keys_of(schema, LOADER_GIVEN):
        parts.append(render_table("Top level (before any table)", schema, None, "", LOADER_GIVEN))
    parts += [
        render_table(f"[{name}]", cls, required, comment)
        for name, cls, required, comment in tables_of(schema)
    ]
    return "\n".join(parts)


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
