"""A token server for the test registry: the Bearer flow of GHCR, GitLab, Harbor and Docker
Hub. distribution checks the tokens it signs (ES256, its certificate in the x5c header, the
same certificate as the registry's rootcertbundle); it grants exactly the scope asked for,
as Docker Hub does, so a push after a pull needs a second token."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SERVICE, ISSUER = "quill-test-registry", "quill-test-token-server"


@dataclass
class TokenServer:
    realm: str
    certificate: Path
    scopes_asked: list[str] = field(default_factory=list)  # every scope a token was made for

    def auth_config(self) -> str:
        """The registry config's auth section that trusts this server."""
        return (
            f"auth:\n  token:\n    realm: {self.realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {self.certificate}\n"
        )


@contextmanager
def token_server(certificate: Path, key: Path, users: dict[str, str]) -> Iterator[TokenServer]:
    """Tokens for USERS (name -> password, Basic auth) on a free loopback port, signed
    with KEY, until the block ends."""
    signer = serialization.load_pem_private_key(key.read_bytes(), password=None)
    chain = base64.b64encode(
        x509.load_pem_x509_certificate(certificate.read_bytes()).public_bytes(serialization.Encoding.DER)
    ).decode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = TokenServer(f"http://127.0.0.1:{server.server_address[1]}/token", certificate)
    server.issue = lambda user, scope: _token(signer, chain, user, scope)  # type: ignore[attr-defined]
    server.users, server.state = users, state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        query = parse_qs(urlparse(self.path).query)
        user = self._user()
        if user is None:
            self.send_response(401)
            self.end_headers()
            return
        scope = query.get("scope", [""])[0]
        self.server.state.scopes_asked.append(scope)  # type: ignore[attr-defined]
        token = self.server.issue(user, scope)  # type: ignore[attr-defined]
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _user(self) -> str | None:
        """The user of a right Basic Authorization header, else None."""
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user if self.server.users.get(user) == password else None  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the tests read outcomes, not access logs


def _token(signer: ec.EllipticCurvePrivateKey, chain: str, user: str, scope: str) -> str:
    """A JWT as distribution's token verifier wants it: ES256, x5c, the scope's access."""
    access = []
    if scope:
        kind, name, actions = scope.split(":")
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": user,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    header = {"typ": "JWT", "alg": "ES256", "x5c": [chain]}
    signed = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(signer.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signed}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
