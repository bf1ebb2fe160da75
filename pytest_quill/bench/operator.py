"""The person at the bench, reached on the controlling terminal: pytest captures
stdin and stdout, /dev/tty it cannot. In CI there is none, and these say so."""

from __future__ import annotations


def terminal_available() -> bool:
    try:
        with open("/dev/tty", "r+"):
            return True
    except OSError:
        return False


def ask(text: str) -> str | None:
    """Show TEXT and return the line typed back; None without a terminal."""
    try:
        with open("/dev/tty", "r+") as tty:
            tty.write(text)
            tty.flush()
            return tty.readline()
    except OSError:
        return None


def consent(question: str) -> bool:
    """A yes/no question; no terminal means no."""
    answer = ask(question + "[y/N] ")
    return answer is not None and answer.strip().lower() in ("y", "yes")
