"""What the SquireOS modules can print, read from their sources, and the D3
suite whose expected lines are checked against it."""

import importlib.util
import re
from pathlib import Path

from pytest_quill import data

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "squireos" / "kernel" / "drivers" / "squireos"
LOAD_LIST = data.path("rootfs/overlay/etc/squireos/modules")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FORMAT = re.compile(r"%l?[sud]")


def load_suite():
    path = ROOT / "suites" / "d_integration" / "test_d3_squireos.py"
    spec = importlib.util.spec_from_file_location("d3_suite", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D3 = load_suite()


def source(name: str) -> str:
    return (SOURCES / name).read_text()


def macros() -> dict[str, str]:
    return dict(re.findall(r'#define\s+(SQUIREOS_\w+)\s+"([^"]*)"', source("squireos.h")))


def literals() -> list[str]:
    """Every string literal of the sources, adjacent literals and the version macros joined."""
    found = []
    for path in SOURCES.glob("*.c"):
        text = path.read_text()
        for name, value in macros().items():
            text = re.sub(rf"\b{name}\b", f'"{value}"', text)
        text = re.sub(r'"\s*"', "", text)  # "a" "b" -> "ab"
        found += [literal.encode().decode("unicode_escape") for literal in LITERAL.findall(text)]
    return found


def printed_lines() -> list[str]:
    return [line for literal in literals() for line in literal.split("\n")]


def printable(expected: str) -> bool:
    """expected is one printed line, each %s filled with one of the sources' literals."""
    known = set(literals()) | set(macros().values())
    for line in printed_lines():
        pattern = "".join(
            f"({'.*' if part == '%s' else r'[0-9]+'})" if _FORMAT.fullmatch(part) else re.escape(part)
            for part in re.split(f"({_FORMAT.pattern})", line)
        )
        found = re.fullmatch(pattern, expected)
        if found and all(value in known or value.isdigit() for value in found.groups()):
            return True
    return False
