"""Text to the QMP key codes QEMU's usb-kbd presses."""

import pytest

from pytest_quill.bench.keys import KEY_BATCH, key_batches, qcodes
from pytest_quill.errors import InputError


@pytest.mark.parametrize(
    "char, keys",
    [
        ("q", ["q"]),
        ("7", ["7"]),
        ("Q", ["shift", "q"]),
        (" ", ["spc"]),
        ("\n", ["ret"]),
        (",", ["comma"]),
        ("!", ["shift", "1"]),
        ("?", ["shift", "slash"]),
        ("'", ["apostrophe"]),
    ],
)
def test_characters_map_to_the_keys_that_type_them(char, keys):
    assert qcodes(char) == keys


def test_a_character_no_key_types_is_refused():
    with pytest.raises(InputError, match="no key on a US keyboard types 'é'"):
        qcodes("é")


def test_text_is_sent_as_presses_and_releases_in_batches_of_half_the_hid_queue():
    batches = key_batches("aA!")
    events = [(event["data"]["key"]["data"], event["data"]["down"]) for batch in batches for event in batch]
    assert events == [
        ("a", True), ("a", False),
        ("shift", True), ("a", True), ("a", False), ("shift", False),
        ("shift", True), ("1", True), ("1", False), ("shift", False),
    ]  # fmt: skip
    assert [len(batch) for batch in batches] == [KEY_BATCH, 10 - KEY_BATCH]
    assert KEY_BATCH <= 16 // 2  # QEMU's HID keyboard queue holds 16 events


def test_a_repeated_letter_is_released_before_it_is_pressed_again():
    events = [event["data"]["down"] for batch in key_batches("ll") for event in batch]
    assert events == [True, False, True, False]
