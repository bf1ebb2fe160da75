"""URLs as they may be shown: in a log, a record, a report or an error line.

A URL can carry a secret: a password in its user part (redis://:PASSWORD@host,
https://user:TOKEN@host), for ccache's redis:// a bare PASSWORD@ (ccache reads
redis://[[USERNAME:]PASSWORD@]HOST), an attribute such as ccache's
|bearer-token=..., or a query parameter such as ?password=... ; and a reference
written without a scheme (an OCI registry's user:PASSWORD@host/repository). Each is
replaced by MASK; the rest of the URL (scheme, user name, host, path) stays, so
the line still says which server was meant.
"""

from __future__ import annotations

import re

MASK = "***"
# Schemes whose user part without a colon is a password, not a user name.
_PASSWORD_ONLY_USERINFO = ("redis", "redis+unix", "rediss")
_SECRET_NAMES = r"(?:password|passwd|pass|token|bearer-token|secret|api[-_]?key|access[-_]?token)"
# Up to the authority's last @: a password may hold one.
_USERINFO = re.compile(r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<userinfo>[^/?#|\s]*)@")
# user:PASSWORD@host at the start of a word, without a scheme; not an image's tag and
# digest (debian:bookworm@sha256:...).
_BARE_USERINFO = re.compile(r"(?<![^\s'\"(=,])(?P<user>[^\s:/@'\"]+):[^\s/'\"]*@(?!sha\d+:)")
_NAMED_SECRET = re.compile(rf"(?i)(?P<name>[|?&;]{_SECRET_NAMES}=)[^|&;#]*")


def redact(text: str) -> str:
    """TEXT (a URL, or a line that quotes URLs) with every secret of its URLs
    replaced by MASK (see the module's text)."""
    shown = _USERINFO.sub(_masked_userinfo, text)
    shown = _BARE_USERINFO.sub(lambda found: f"{found['user']}:{MASK}@", shown)
    return _NAMED_SECRET.sub(lambda found: found["name"] + MASK, shown)


def _masked_userinfo(found: re.Match) -> str:
    scheme, userinfo = found["scheme"], found["userinfo"]
    user, colon, _ = userinfo.partition(":")
    if colon:
        return f"{scheme}://{user}:{MASK}@"
    if scheme.lower() in _PASSWORD_ONLY_USERINFO:
        return f"{scheme}://{MASK}@"
    return found.group(0)  # a user name alone (ssh://user@host): no secret
