"""The shared artifact cache's failures, each said in one line that names the reference and
what to do, and carries no credential."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BenchError
from .registry_target import INSECURE_HINT, PASSWORD_ENV, USER_ENV

if TYPE_CHECKING:
    from .registry_auth import Credentials

CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
_REASONS = (
    ("Connection refused", "connection refused: is the registry running?"),
    ("Name or service not known", "unknown host name"),
    ("Temporary failure in name resolution", "unknown host name"),
    ("IncompleteRead", "the registry stopped sending mid-blob"),
    ("Connection broken", "the connection broke mid-transfer"),
    ("Connection aborted", "the registry closed the connection"),
    ("Connection reset", "the registry reset the connection"),
    ("Read timed out", f"no answer within {READ_TIMEOUT_S:.0f} s"),
    ("timed out", f"no connection within {CONNECT_TIMEOUT_S:.0f} s"),
)


class RegistryError(BenchError):
    """The shared cache could not be used: the run says so in one line and builds."""

    kind = "registry"


def refusal(status: int, host: str, credentials: Credentials | None) -> str:
    """What the registry's HTTP STATUS means for the user."""
    if status == 401 and credentials:
        return (
            f"the registry refused the credentials of {credentials.user} (from "
            f"{credentials.source}); check them, or docker login {host}"
        )
    if status == 401:
        return f"the registry asks for credentials: docker login {host}, or set {USER_ENV} and {PASSWORD_ENV}"
    if status == 403:
        return "access denied for these credentials"
    if status == 404:
        return "not found (HTTP 404)"
    return f"HTTP {status}"


def why(error: BaseException) -> str:
    """A library's exception as a short reason (redact it still: it may quote a request)."""
    import requests  # here: a run without a shared cache never loads the client's stack

    text = str(error)
    if isinstance(error, requests.exceptions.SSLError):
        return _tls_failure(text)
    for known, said in _REASONS:
        if known in text:
            return said
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _tls_failure(text: str) -> str:
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return f"TLS failed: the registry answers in plain HTTP; {INSECURE_HINT}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "TLS failed: its certificate is not trusted here; trust its CA with "
            "REQUESTS_CA_BUNDLE=/path/to/ca.pem"
        )
    return "TLS failed in the handshake"
