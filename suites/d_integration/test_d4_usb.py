"""D4: a USB keyboard on the bench (QEMU's usb-kbd on xHCI; the Nook's OTG adapter)
shows up on the USB bus and as a keyboard input device, and its keys arrive."""

import pytest

pytestmark = [pytest.mark.gate(4), pytest.mark.hardware, pytest.mark.timeout(300)]

HID_CLASS, KEYBOARD_PROTOCOL = "03", "01"


def test_a_usb_keyboard_interface_is_on_the_bus(device):
    interfaces = device.output(
        "for i in /sys/bus/usb/devices/*:*; do "
        "echo $(cat $i/bInterfaceClass) $(cat $i/bInterfaceProtocol); done").splitlines()
    assert f"{HID_CLASS} {KEYBOARD_PROTOCOL}" in interfaces, (
        f"no HID keyboard interface in /sys/bus/usb/devices: {interfaces}")


def usb_keyboards(device) -> list[str]:
    """Blocks of /proc/bus/input/devices for keyboards on USB."""
    blocks = device.output("cat /proc/bus/input/devices").split("\n\n")
    return [block for block in blocks
            if "/usb" in block and any("kbd" in line.removeprefix("H: Handlers=").split()
                                       for line in block.splitlines() if line.startswith("H: "))]


def test_the_keyboard_is_an_input_device(device):
    keyboards = usb_keyboards(device)
    assert keyboards, "no USB keyboard in /proc/bus/input/devices"


def test_keys_typed_reach_the_input_device(device, profile):
    event = next(word for word in usb_keyboards(device)[0].split() if word.startswith("event"))
    device.output(f"(cat /dev/input/{event} > /tmp/keys &)")
    device.send_keys("quill")
    size = int(device.output("sleep 1; wc -c < /tmp/keys; killall cat").splitlines()[0])
    # struct input_event: 16 bytes on 32-bit ARM, 24 on 64-bit; a key press and its
    # release are three events each (scan code, key, sync).
    event_bytes = 16 if profile.target.elf_machine == "ARM" else 24
    assert size == 5 * 2 * 3 * event_bytes, f"{size} bytes of input events for 5 keys"
