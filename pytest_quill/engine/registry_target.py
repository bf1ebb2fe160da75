"""Where the shared artifact cache lives, as the user names it: `host[:port]/repository`,
the mode, and whether plain HTTP may be used (loopback, or insecure said explicitly).
Nothing here needs the registry client, so options are checked without it."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from importlib.util import find_spec

from ..errors import InputError
from ..secrets import redact

MODES = ("rw", "pull", "off")
USER_ENV, PASSWORD_ENV = "QUILL_REGISTRY_USER", "QUILL_REGISTRY_PASSWORD"
EXTRA = "pytest-quill[registry]"
INSECURE_HINT = "plain HTTP is used only on loopback or when insecure is asked for"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"  # the OCI distribution spec's
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")


@dataclass(frozen=True)
class Target:
    host: str  # host[:port]
    repository: str
    insecure: bool

    @property
    def scheme(self) -> str:
        return "http" if self.insecure or is_loopback(self.host) else "https"

    def reference(self, name: str, key: str) -> str:
        """Where an artifact's entry is: never with credentials, so fit for any log."""
        return f"{self.host}/{self.repository}:{tag_of(name, key)}"


def tag_of(name: str, key: str) -> str:
    return f"{name}-{key}"


def parse_target(text: str, insecure: bool = False) -> Target:
    """`host[:port]/repository` (InputError naming what is wrong otherwise)."""
    given = text.strip()
    if "://" in given:
        raise InputError(
            f"cache registry {given!r}: write host:port/repository without a scheme ({INSECURE_HINT})"
        )
    if "@" in given:
        raise InputError(
            f"cache registry {redact(given)!r}: no credentials or digest "
            f"in the reference; credentials come from Docker's config (docker "
            f"login) or {USER_ENV}/{PASSWORD_ENV}"
        )
    host, _, repository = given.partition("/")
    if not host or not ("." in host or ":" in host or host == "localhost"):
        raise InputError(
            f"cache registry {given!r}: start with the registry's host, as in "
            f"registry.example.org/team/quill or 127.0.0.1:5000/quill"
        )
    if not _REPOSITORY.fullmatch(repository):
        raise InputError(
            f"cache registry {given!r}: the repository after the host must be "
            f"lowercase path components (a-z 0-9 . _ -), without a tag"
        )
    return Target(host, repository, insecure)


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port ([::1]:5000): where plain HTTP
    is safe (a registry here, a Docker engine here; backends/remote.py)."""
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_client(flag: str) -> None:
    """The registry client (oras) is an extra: a run that asks for it without it is told
    in one line how to get it."""
    if find_spec("oras") is None:
        raise InputError(f"{flag} needs the oras package: pip install '{EXTRA}'")


def parse_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in MODES:
        raise InputError(f"cache registry mode {text!r}: use one of {', '.join(MODES)}")
    return mode
