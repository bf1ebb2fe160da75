"""Bad input to quill is one line naming the option and the fix, exit 4, no
traceback; a boot with no card cached names the run that makes one, exit 3."""

from __future__ import annotations

from tests.support.quill_cli import run_quill


def one_line(result) -> str:
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_an_unknown_profile_names_the_known_ones(empty):
    result = run_quill("status", "--profile", "kindle", *empty)
    assert result.returncode == 4
    assert one_line(result) == (
        "quill: --quill-profile kindle: unknown profile; known profiles: nook-simple-touch, "
        "nook-twin, qemu-virt (or give a path to a .toml file)"
    )


def test_a_set_without_a_value_shows_the_form(empty):
    result = run_quill("boot", "--set", "boot.console", *empty)
    assert result.returncode == 4
    assert one_line(result) == (
        "quill boot: error: argument --set/--quill-set: boot.console: "
        "expected KEY=VALUE, e.g. boot.console=ttyS0"
    )


def test_a_bad_profile_value_names_the_set_that_gave_it(empty):
    result = run_quill("status", "--set", "sdcard.image_mib=-1", *empty)
    assert result.returncode == 4
    assert one_line(result).startswith("quill: --quill-set sdcard.image_mib=-1: sdcard.image_mib")


def test_a_cache_that_is_a_file_is_refused(tmp_path, empty):
    (tmp_path / "file").write_text("")
    result = run_quill("status", *empty, "--cache", str(tmp_path / "file"))
    assert result.returncode == 4
    assert one_line(result) == (
        f"quill: --cache {tmp_path / 'file'}: exists and is not a folder; give a folder"
    )


def test_boot_with_no_card_cached_names_the_run_that_makes_one(empty):
    result = run_quill("boot", "--set", "boot.bootargs_extra=rootwait", *empty)
    assert result.returncode == 3
    assert one_line(result) == (
        "quill: no card cached for profile qemu-virt (kernel is not cached either); make one "
        f"with: pytest -n 3 suites/ --quill-profile qemu-virt --quill-cache {empty[1]} "
        f"--quill-reports {empty[3]} --quill-backend host "
        "--quill-set boot.bootargs_extra=rootwait"
    )


def test_a_profile_that_needs_a_value_says_which(empty):
    result = run_quill("status", "--profile", "nook-twin", *empty)
    assert result.returncode == 4
    assert one_line(result) == (
        "quill: kernel.source is empty: give a tree path, a .tar.xz/.tar.gz of one, or a git "
        "URL (--quill-set kernel.source=...)"
    )


def test_no_command_is_a_usage_error():
    result = run_quill()
    assert result.returncode == 4
    assert "the following arguments are required: COMMAND" in result.stderr
