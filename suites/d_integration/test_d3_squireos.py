"""D3: the SquireOS modules on the booted device, through /proc/squireos.

The texts are the modules' own (squireos/kernel/drivers/squireos/*.c)."""

import re
import time

import pytest

pytestmark = [pytest.mark.gate(4), pytest.mark.hardware, pytest.mark.timeout(600)]

# What the modules print; tests/boot/test_judge_module_strings.py checks their sources.
MOTTO = "By quill and candlelight, we write eternal words"
VERSION = "SquireOS 1.0.0 - Codename: Parchment"
BANNER = "SquireOS 1.0.0"
CORE_READY = "SquireOS: Digital scriptorium ready at /proc/squireos"
JESTER_BOWS = "SquireOS: the jester takes a bow"
CORE_CLOSED = "SquireOS: the scriptorium is closed"
ENTRIES = ["motto", "version", "jester", "wisdom", "typewriter/stats", "typewriter/achievement"]
MODULES = ["squireos_core", "jester", "typewriter", "wisdom"]  # load order
MOODS = {"happy", "sleepy", "mischievous", "thoughtful", "excited"}
QUOTES = 8
TITLES = [
    (0, "Apprentice Scribe"),
    (1000, "Journeyman Scribe"),
    (5000, "Illuminator"),
    (10000, "Master Scribe"),
    (50000, "Royal Chronicler"),
    (100000, "Grand Chronicler"),
]


def read(device, entry: str) -> str:
    return device.output(f"cat /proc/squireos/{entry}")


def fields(text: str) -> dict[str, str]:
    """ "Keystrokes: 12" lines as a dict."""
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_exists_read_only(device, entry):
    mode = device.output(f"ls -l /proc/squireos/{entry}").split()[0]
    assert mode == "-r--r--r--", f"/proc/squireos/{entry} has mode {mode}, expected 0444"


def test_motto(device):
    assert read(device, "motto") == MOTTO


def test_version_names_the_release_and_the_running_kernel(device):
    assert read(device, "version").splitlines() == [VERSION, f"Kernel: {device.output('uname -r')}"]


def test_the_core_announced_the_scriptorium(device):
    log = device.output("dmesg")
    assert CORE_READY in log
    assert BANNER in log  # the ASCII jester banner


def test_the_jester_changes_mood_on_every_read(device):
    moods = [re.search(r"The jester is (\w+)\.", read(device, "jester")).group(1) for _ in range(len(MOODS))]
    assert set(moods) == MOODS
    assert all(a != b for a, b in zip(moods, moods[1:]))


def test_wisdom_gives_the_next_quote_on_every_read(device):
    quotes = [read(device, "wisdom") for _ in range(QUOTES + 1)]
    assert len(set(quotes[:QUOTES])) == QUOTES
    assert quotes[QUOTES] == quotes[0]  # then it starts over
    assert all(" - " in quote for quote in quotes)  # "text - author"


def test_the_typewriter_counts_keys_and_words_typed(device):
    text = "By quill and candlelight we write\n"
    before = fields(read(device, "typewriter/stats"))
    device.send_keys(text)
    shifted = sum(char.isupper() for char in text)
    expected = int(before["Keystrokes"]) + len(text) + shifted
    # The last key's release reaches the guest a moment later: read until it is counted.
    deadline = time.monotonic() + 10
    while int((after := fields(read(device, "typewriter/stats")))["Keystrokes"]) < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert int(after["Keystrokes"]) - int(before["Keystrokes"]) == len(text) + shifted
    assert int(after["Words"]) - int(before["Words"]) == 6


def test_the_achievement_follows_the_word_count(device):
    words = int(fields(read(device, "typewriter/stats"))["Words"])
    achievement = fields(read(device, "typewriter/achievement"))
    rank = max(i for i, (needed, _) in enumerate(TITLES) if words >= needed)
    assert achievement["Title"] == TITLES[rank][1]
    assert int(achievement["Words"]) == words
    if rank + 1 < len(TITLES):
        assert achievement["Next"] == f"{TITLES[rank + 1][1]} at {TITLES[rank + 1][0]} words"


def loaded(device) -> list[str]:
    """SquireOS modules in /proc/modules, most recently loaded first."""
    names = [line.split()[0] for line in device.output("cat /proc/modules").splitlines()]
    return [name for name in names if name in MODULES]


def test_modules_are_loaded_core_first(device):
    assert loaded(device) == MODULES[::-1]


def test_the_core_cannot_go_while_features_use_it(device):
    assert not device.run("rmmod squireos_core").ok
    assert loaded(device) == MODULES[::-1]


def test_modules_unload_in_reverse_order_and_reload(device, profile):
    earlier = len(device.output("dmesg").splitlines())
    device.output("/etc/init.d/modules stop")
    assert loaded(device) == []
    assert not device.run("test -e /proc/squireos").ok
    log = "\n".join(device.output("dmesg").splitlines()[earlier:])
    assert log.index(JESTER_BOWS) < log.index(CORE_CLOSED)

    # /proc/uptime on both sides: the load time on the device, not the console's delay.
    uptimes = device.output(
        "cat /proc/uptime; /etc/init.d/modules start >/dev/null; cat /proc/uptime"
    ).splitlines()
    load_s = float(uptimes[-1].split()[0]) - float(uptimes[0].split()[0])
    assert loaded(device) == MODULES[::-1]
    assert read(device, "motto") == MOTTO
    assert load_s <= profile.budgets.module_load_s, (
        f"the modules took {load_s:.2f} s to load, budget {profile.budgets.module_load_s} s"
    )


def test_os_memory_within_budget(device, profile):
    kib = {key: int(value.split()[0]) for key, value in fields(device.output("cat /proc/meminfo")).items()}
    # MemAvailable came in 3.14; on 2.6.29 free + buffers + page cache is the same idea.
    available = kib.get("MemAvailable", kib["MemFree"] + kib["Buffers"] + kib["Cached"])
    used_mib = (kib["MemTotal"] - available) / 1024
    assert used_mib <= profile.budgets.os_memory_mib, (
        f"the OS uses {used_mib:.0f} MiB, budget {profile.budgets.os_memory_mib} MiB"
    )
