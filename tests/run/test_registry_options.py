"""The shared cache's options as a user gives them (issue 27): --quill-cache-registry,
--quill-cache-registry-mode and --quill-cache-registry-insecure (or their ini keys). A
wrong one is a usage error (exit 4) before any work, one line, never repeating a
password written into the reference."""

from __future__ import annotations

import pytest

ONE_TEST = "def test_one(): pass"


def run(pytester, *args, ini: str = ""):
    pytester.makepyfile(test_one=ONE_TEST)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def usage_error(result) -> str:
    output = result.stdout.str() + result.stderr.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert result.ret == 4, output
    assert "Traceback" not in output and errors, output
    return errors[0].removeprefix("ERROR: ")


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["--quill-cache-registry-mode", "push"],
            "--quill-cache-registry-mode push: must be one of rw, pull, off",
        ),
        (["--quill-cache-registry", "https://registry.lab/quill"], "without a scheme"),
        (["--quill-cache-registry", "quill/artifacts"], "start with the registry's host"),
        (["--quill-cache-registry", "registry.lab/Quill:latest"], "lowercase path components"),
    ],
)
def test_a_wrong_registry_option_is_one_usage_line(pytester, args, said):
    assert said in usage_error(run(pytester, *args))


def test_a_wrong_registry_in_the_ini_is_one_usage_line(pytester):
    line = usage_error(run(pytester, ini="quill_cache_registry = http://registry.lab/quill"))
    assert "without a scheme" in line


def test_a_password_written_into_the_reference_is_refused_and_never_repeated(pytester):
    result = run(pytester, "--quill-cache-registry", "ci:hunter2-xyz@registry.lab:5000/quill")
    assert "QUILL_REGISTRY_USER" in usage_error(result)
    assert "hunter2-xyz" not in result.stdout.str() + result.stderr.str()


def test_good_registry_options_leave_a_run_without_artifacts_alone(pytester):
    result = run(
        pytester,
        "--quill-cache-registry",
        "127.0.0.1:9/quill",
        "--quill-cache-registry-mode",
        "pull",
        "--quill-cache-registry-insecure",
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


def test_off_accepts_any_reference_it_will_not_use(pytester):
    result = run(
        pytester, ini="quill_cache_registry = registry.lab:5000/quill\nquill_cache_registry_mode = off"
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
