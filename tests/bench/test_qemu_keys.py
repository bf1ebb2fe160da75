"""Text to the QMP key codes QEMU's usb-kbd presses."""

import pytest

from pytest_quill.bench.keys import qcodes
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
