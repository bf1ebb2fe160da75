"""Console slices as the report shows them: the harness's framing of each
command and the terminal's escape codes gone, wrapped lines joined."""

from pytest_quill.report.console_text import readable

# As QEMU's serial console said it (bench/console.py frames each command).
RAW = (
    b"SquireOS: the scriptorium is closed\r\n"
    b"QEb5441fx10 0\r\n"
    b"QUILL-SH# \x1b[6necho 'QB''b5441fx11'; cat /proc/uptime; /etc/init.d/modules start >/de\r\r\n"
    b"v/null; cat /proc/uptime; echo 'QE''b5441fx11' $?\r\n"
    b"QBb5441fx11\r\n2.17 0.99\r\n2.33 0.99\r\nQEb5441fx11 0\r\n"
    b"QUILL-SH# \x1b[6necho 'QB''b5441fx14'; for i in /sys/bus/usb/devices/*:*; do echo $(cat\r\r\n"
    b" $i/bInterfaceClass); done; echo 'QE''b5441fx14' $?\r\r\nQBb5441fx14\r\n"
    b"09 00\r\nQEb5441fx14 0\r\n"
    b"QUILL-SH# \x1b[6necho 'QB''b5441fx15'; cat /proc/squireos/nothing; echo 'QE''b5441fx15' $?\r\n"
    b"QBb5441fx15\r\ncat: can't open '/proc/squireos/nothing': No such file\r\n"
    b"QEb5441fx15 1\r\nQUILL-SH# \x1b[6n"
)


def test_a_slice_reads_as_commands_and_their_output():
    assert readable(RAW) == (
        "SquireOS: the scriptorium is closed\n"
        "$ cat /proc/uptime; /etc/init.d/modules start >/dev/null; cat /proc/uptime\n"
        "2.17 0.99\n2.33 0.99\n"
        "$ for i in /sys/bus/usb/devices/*:*; do echo $(cat $i/bInterfaceClass); done\n"
        "09 00\n"
        "$ cat /proc/squireos/nothing\n"
        "cat: can't open '/proc/squireos/nothing': No such file\n"
        "(exit status 1)\n"
    )


def test_plain_console_output_is_left_as_it_is():
    boot = "U-Boot 2023.01\r\nStarting kernel ...\r\n\x1b[1;32mOK\x1b[0m mounted /\r\n"
    assert readable(boot) == "U-Boot 2023.01\nStarting kernel ...\nOK mounted /\n"
