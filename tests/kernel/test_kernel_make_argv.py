"""The make command lines the kernel recipe runs (same argv on every backend)."""

import subprocess
from pathlib import Path

from pytest_quill.kernel.make import KernelMake


def kmake(ccache: Path | None) -> KernelMake:
    return KernelMake(
        tree=Path("/src/linux"),
        build_dir=Path("/work/o"),
        arch="arm",
        cross_compile="arm-linux-gnueabihf-",
        jobs=2,
        ccache_dir=ccache,
    )


def test_ccache_wraps_cc_only_and_make_builds_out_of_tree():
    argv = kmake(Path("/work/ccache")).argv("zImage", "modules")
    assert argv[:4] == ["make", "-j2", "-C", "/src/linux"]
    assert "O=/work/o" in argv and "CROSS_COMPILE=arm-linux-gnueabihf-" in argv
    assert "CC=ccache arm-linux-gnueabihf-gcc" in argv
    assert argv[-2:] == ["zImage", "modules"]


def test_without_ccache_the_cross_compiler_is_called_directly():
    make = kmake(None)
    assert not [a for a in make.argv("zImage") if "ccache" in a]
    assert "CCACHE_DIR" not in make.env()


def test_ccache_checks_the_compiler_by_content_so_backends_share_hits():
    env = kmake(Path("/work/ccache")).env()
    assert env["CCACHE_DIR"] == "/work/ccache" and env["CCACHE_COMPILERCHECK"] == "content"


def test_install_variables_and_serial_targets():
    argv = kmake(None).argv("modules_install", parallel=False, INSTALL_MOD_PATH="/out/modules")
    assert "-j2" not in argv and argv[-2:] == ["INSTALL_MOD_PATH=/out/modules", "modules_install"]


def test_oldconfig_gets_an_empty_answer_to_every_question(tmp_path):
    """2.6.29's oldconfig asks; the wrapper answers each question with its default."""
    asks = tmp_path / "asks.sh"
    asks.write_text('read a; read b; echo "answers:[$a][$b]"\n')
    argv = kmake(None).answering_defaults("oldconfig")
    assert argv[:4] == ["sh", "-c", 'yes "" | exec "$@"', "sh"]
    done = subprocess.run(argv[:4] + ["sh", str(asks)], capture_output=True, text=True, timeout=10)
    assert done.stdout == "answers:[][]\n"


def test_one_locale_on_every_backend_so_ccache_hits_are_shared():
    """ccache hashes LANG and LC_*: the host's LANG=C.UTF-8 against a container's
    none made every Docker build after a host build miss (and the other way)."""
    env = kmake(Path("/work/ccache")).env()
    assert {env[name] for name in ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES")} == {"C"}


def test_the_compile_is_counted_by_ccache_before_and_after_in_one_command(tmp_path):
    """The counters around make come from the same command (one container), read
    before it starts and after it ends, even when it fails; its exit code is make's."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (bin_dir / "ccache").write_text(
        f'#!/bin/sh\necho ccache >> {calls}\nprintf "cache_miss\\t%s\\n" "$(wc -l < {calls})"\n'
    )
    (bin_dir / "ccache").chmod(0o755)
    before, after = tmp_path / "before", tmp_path / "after"
    make = ["sh", "-c", f"echo make >> {calls}; exit 3"]
    argv = kmake(tmp_path / "ccache").counted(make, before, after)
    done = subprocess.run(argv, env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, timeout=10)
    assert done.returncode == 3
    assert calls.read_text().split() == ["ccache", "make", "ccache"]
    assert (before.read_text(), after.read_text()) == ("cache_miss\t1\n", "cache_miss\t3\n")
