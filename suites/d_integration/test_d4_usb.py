"""D4: a USB keyboard on the bench (QEMU's usb-kbd on xHCI; the Nook's OTG adapter)
shows up on the USB bus and as a keyboard input device, and what it types arrives."""

import re
import time

import pytest

pytestmark = [pytest.mark.gate(4), pytest.mark.hardware, pytest.mark.timeout(300)]

HID_CLASS, KEYBOARD_PROTOCOL = "03", "01"


def test_a_usb_keyboard_interface_is_on_the_bus(device):
    interfaces = device.output(
        "for i in /sys/bus/usb/devices/*:*; do "
        "echo $(cat $i/bInterfaceClass) $(cat $i/bInterfaceProtocol); done"
    ).splitlines()
    assert f"{HID_CLASS} {KEYBOARD_PROTOCOL}" in interfaces, (
        f"no HID keyboard interface in /sys/bus/usb/devices: {interfaces}"
    )


def usb_keyboards(device) -> list[str]:
    """Blocks of /proc/bus/input/devices for keyboards on USB."""
    blocks = device.output("cat /proc/bus/input/devices").split("\n\n")
    # On the USB bus (I: Bus=0003, BUS_USB): 2.6.29's Sysfs line has no /usb path.
    return [
        block
        for block in blocks
        if re.search(r"^I: Bus=0003 ", block, re.MULTILINE)
        and any(
            "kbd" in line.removeprefix("H: Handlers=").split()
            for line in block.splitlines()
            if line.startswith("H: ")
        )
    ]


def test_the_keyboard_is_an_input_device(device):
    keyboards = usb_keyboards(device)
    assert keyboards, "no USB keyboard in /proc/bus/input/devices"


def test_keys_typed_arrive_as_text_on_the_console_tty(device):
    """The keyboard feeds the first virtual terminal, as it would the writing app."""
    text = "Quill, write!"
    # Lines typed by earlier tests may still wait in tty1: keep reading to ours.
    device.output(
        "rm -f /tmp/typed; (while read -r line; do "
        f'[ "$line" = \'{text}\' ] && echo "$line" > /tmp/typed && break; '
        "done < /dev/tty1 &)"
    )
    device.send_keys(text + "\n")
    deadline = time.monotonic() + 10  # the line reaches the reader a moment after the last key
    while not (typed := device.output("cat /tmp/typed 2>/dev/null || true")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert typed == text
