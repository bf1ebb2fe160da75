"""NOOK.md mistake 12: on-device tests that grep strings the modules never print.

Every text the D3 suite expects on the device is checked here against the
SquireOS module sources, so a renamed message fails in seconds on the host
instead of as a mysterious product failure after a boot.
"""

import re

import pytest

from tests.support.module_strings import (
    D3,
    LITERAL,
    LOAD_LIST,
    SOURCES,
    printable,
    printed_lines,
    source,
)


@pytest.mark.parametrize("name", ["MOTTO", "VERSION", "CORE_READY", "JESTER_BOWS", "CORE_CLOSED"])
def test_each_expected_line_is_one_the_modules_print(name):
    assert printable(getattr(D3, name)), f"D3's {name} = {getattr(D3, name)!r}"


def test_the_banner_is_in_the_cores_ascii_jester():
    assert any(D3.BANNER in line for line in printed_lines())


def test_the_jester_moods_are_the_modules():
    table = re.findall(r'\{\s*"(\w+)",\s*"', source("jester.c"))
    assert set(table) == D3.MOODS
    assert printable("The jester is happy.")


def test_the_number_of_quotes_is_the_modules():
    array = source("wisdom.c").split("wisdom_quotes[] = {", 1)[1].split("};", 1)[0]
    assert len(LITERAL.findall(array)) == D3.QUOTES


def test_the_titles_and_thresholds_are_the_typewriters():
    table = [
        (int(words), title)
        for words, title in re.findall(r'\{\s*(\d+),\s*"([^"]+)"\s*\}', source("typewriter.c"))
    ]
    assert table == D3.TITLES
    for line in [
        "Keystrokes: 12",
        "Words: 3",
        "Title: Apprentice Scribe",
        "Next: Journeyman Scribe at 1000 words",
    ]:
        assert printable(line), line


def test_the_proc_entries_are_the_ones_the_modules_create():
    created = set()
    for path in SOURCES.glob("*.c"):
        created |= set(re.findall(r'squireos_proc_create\("(\w+)"', path.read_text()))
    directories = set(re.findall(r'proc_mkdir\("(\w+)", squireos_root', source("typewriter.c")))
    assert {entry.split("/")[-1] for entry in D3.ENTRIES} == created
    assert {entry.split("/")[0] for entry in D3.ENTRIES if "/" in entry} == directories


def test_the_load_order_is_the_rootfs_list():
    listed = [
        line.strip()
        for line in LOAD_LIST.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert listed == D3.MODULES
