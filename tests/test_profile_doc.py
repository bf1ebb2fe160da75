"""docs/profiles.md is the profile schema's reference, generated: it must match
what pytest_quill.profile_doc makes of pytest_quill/profile/ and the bench kinds today."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
import textwrap
import tomllib
import typing
from pathlib import Path

from pytest_quill import profile, profile_doc
from pytest_quill.tables import Rule

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "profiles.md"


def _row(text: str, table: str, key: str) -> str:
    """The line of KEY in the section of TABLE ("[kernel]")."""
    section = text.split(f"\n## {table}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| `{key}` |")]
    assert len(rows) == 1, f"{table} {key}: {len(rows)} rows in\n{section}"
    return rows[0]


def _annotated_rule(cls: type) -> tuple[str, Rule]:
    """A field of CLS whose type carries a Rule, with the Rule."""
    hints = typing.get_type_hints(cls, include_extras=True)
    for name, hint in hints.items():
        rules = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Rule)]
        if rules:
            return name, rules[0]
    raise AssertionError(f"{cls.__name__} has no field with a Rule")


def test_docs_profiles_md_is_what_the_schema_generates_now():
    assert DOC.is_file(), f"{DOC} missing: make it with `{profile_doc.REGENERATE}`"
    assert DOC.read_text() == profile_doc.render(), (
        f"docs/profiles.md is stale (the profile schema changed): regenerate it with "
        f"`{profile_doc.REGENERATE}`"
    )


def test_the_module_prints_the_reference_as_its_command_says():
    made = subprocess.run(
        [sys.executable, "-m", "pytest_quill.profile_doc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout == profile_doc.render()
    assert profile_doc.REGENERATE in made.stdout  # the file says how it is made


def test_a_literal_lists_its_members_and_a_rule_its_text():
    text = profile_doc.render()
    debian_arch = _row(text, "[target]", "debian_arch")
    assert '"armhf"' in debian_arch and '"armel"' in debian_arch
    assert "| yes |" in debian_arch  # no default: required
    name, rule = _annotated_rule(profile.SdCard)
    assert rule.text.replace("*", "\\*").replace("|", "\\|") in _row(text, "[sdcard]", name)


def test_defaults_comments_and_nested_tables_come_from_the_schema():
    text = profile_doc.render()
    userland = _row(text, "[rootfs]", "userland")
    assert '| no | `"debian"` |' in userland  # a default: not required
    assert "busybox-musl: busybox built here against musl" in userland  # the comment above
    assert "a pyserial URL" in _row(text, "[bench.serial]", "port")  # the comment beside
    assert "## [bench.qemu]\n\nAn optional table" in text
    assert "`path`" not in text.split("## [target]")[0]  # filled by the loader, not a key


def _set_keys(data: dict, table: str = "") -> list[tuple[str, str]]:
    """(table, key) of every value a profile's TOML sets; "" is the top level."""
    found = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _set_keys(value, f"{table}.{key}".lstrip("."))
        else:
            found.append((table, key))
    return found


def test_every_key_a_real_profile_sets_is_documented():
    text = profile_doc.render()
    profiles = [
        *ROOT.glob("hardware_profiles/*.toml"),
        *ROOT.glob("pytest_quill/**/hardware_profiles/*.toml"),
    ]  # the shipped example's
    assert profiles, "no profile found to check the reference against"
    for path in profiles:
        for table, key in _set_keys(tomllib.loads(path.read_text())):
            title = f"[{table}]" if table else "Top level (before any table)"
            _row(text, title, key)


def test_any_schema_is_walked_with_its_comments(tmp_path, monkeypatch):
    """The generator is generic: a schema it never saw, comments above, beside,
    parted by a blank line, in a multi-line annotation and in a method."""
    (tmp_path / "toy_schema.py").write_text(
        textwrap.dedent('''
        from __future__ import annotations
        from dataclasses import dataclass
        from pathlib import Path
        from typing import Annotated, Literal
        from pytest_quill.tables import Rule

        Even = Annotated[int, Rule("an even number", lambda n: n % 2 == 0)]

        @dataclass(frozen=True)
        class Lamp:
            # a comment that belongs to no field

            # how bright,
            # in lumens
            lumens: Even
            colour: Literal["warm", "cold"] = "warm"  # the light's tone
            spare: Path | None = None
            sizes: tuple[Annotated[int, Rule("at most 9", lambda n: n <= 9)],
                         ...] = (1, 2)  # sockets it fits

            def brightest(self) -> int:
                # not a field's comment
                return self.lumens

        @dataclass(frozen=True)
        class Desk:
            """A desk with its lamp."""
            lamp: Lamp | None = None
            legs: int = 4
    ''')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("toy_schema", tmp_path / "toy_schema.py")
    toy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "toy_schema", toy)
    spec.loader.exec_module(toy)

    assert profile_doc.field_comments(toy.Lamp) == {
        "lumens": "how bright, in lumens",
        "colour": "the light's tone",
        "spare": "",
        "sizes": "sockets it fits",
    }
    keys = {k.name: k for k in profile_doc.keys_of(toy.Lamp)}
    assert dataclasses.astuple(keys["lumens"]) == (
        "lumens",
        "integer",
        True,
        "",
        "an even number",
        "how bright, in lumens",
    )
    assert (keys["colour"].allowed, keys["colour"].default) == ('"warm", "cold"', '`"warm"`')
    assert keys["spare"].kind == 'path, or "" for none' and keys["spare"].default == '`""`'
    assert (keys["sizes"].kind, keys["sizes"].allowed) == ("list of integers", "each: at most 9")
    text = profile_doc.render(toy.Desk)
    assert "## Top level (before any table)\n\nA desk with its lamp." in text
    assert "## [lamp]\n\nAn optional table" in text
    assert "| `legs` | integer | no | `4` |" in text
