"""quill: start a project, then boot, flash and inspect the cached artifacts of
a profile, with the plugin's own code (docs/quill.md). Entry point of the
`quill` console script."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from .. import __version__
from ..errors import InputError, QuillError
from . import boot, flash, health, init, status
from .cached import NotCached
from .common import EXIT_FAILED, EXIT_INPUT, EXIT_NOT_CACHED


class _Parser(argparse.ArgumentParser):
    """Bad words on the command line are bad input: exit 4 like every other."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    made = _Parser(
        prog="quill",
        description="Start a project, then boot, flash and inspect the cards "
        "pytest-quill made (run from the project's folder).",
    )
    made.add_argument("--version", action="version", version=f"pytest-quill {__version__}")
    commands = made.add_subparsers(metavar="COMMAND", required=True, parser_class=_Parser)
    for command in (init, health, boot, flash, status):
        command.add_parser(commands)
    return made


def main(argv: list[str] | None = None, machine: flash.Machine = flash.Machine()) -> int:
    """The exit status: 0 done, 1 failed (bench, boot, write), 2 the bench is not
    ready (quill health), 3 nothing cached, 4 bad input, a refused device or no
    project here. machine: where `flash` looks (tests: a fake one)."""
    args = parser().parse_args(argv)
    try:
        if args.command is flash.run:
            return flash.run(args, machine)
        return args.command(args)
    except NotCached as exc:
        return said(exc, EXIT_NOT_CACHED)
    except InputError as exc:
        return said(exc, EXIT_INPUT)
    except QuillError as exc:
        return said(exc, EXIT_FAILED)
    except KeyboardInterrupt:
        print("quill: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `quill status | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def said(error: QuillError, code: int) -> int:
    print(f"quill: {error.one_line()}", file=sys.stderr)
    return code
