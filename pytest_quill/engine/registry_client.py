"""oras' registry client as the shared cache uses it: each request tried once with a timeout
(a registry that is down or stops answering is a miss the run builds past, not the two
minutes of back-off oras would spend retrying), its connections watched by a pull's
deadline (registry_deadline.py), no cookies kept, and the last HTTP status remembered for
the line that says why a call failed."""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy
from typing import Any

import oras.provider
import requests

from .registry_auth import ChallengeAuth
from .registry_deadline import WatchedAdapter
from .registry_errors import CONNECT_TIMEOUT_S, READ_TIMEOUT_S
from .registry_target import Target


class _TimedSession(requests.Session):
    """Every request with a bound: connecting, and each wait for more bytes."""

    def __init__(self) -> None:
        super().__init__()
        for scheme in ("http://", "https://"):
            self.mount(scheme, WatchedAdapter())

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        return super().request(method, url, **kwargs)


class Client(oras.provider.Registry):
    """oras' registry client, one try per request, its last HTTP status kept."""

    def __init__(self, target: Target):
        super().__init__(hostname=target.host, insecure=target.scheme == "http")
        self.session = _TimedSession()
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # as oras does
        self.auth = ChallengeAuth()
        self.auth.session, self.auth.prefix = self.session, self.prefix
        self.auth._tls_verify = self._tls_verify
        self.last_status = 0

    def do_request(
        self,
        url: str,
        method: str = "GET",
        data: dict | bytes | None = None,
        headers: dict | None = None,
        json: dict | None = None,
        stream: bool = False,
    ) -> requests.Response:
        headers = {**(headers or {}), **self.auth.preemptive_header()}
        self.last_status = 0
        response = oras.provider.Registry.do_request.__wrapped__(  # past oras' retry loop
            self, url, method, data, headers, json, stream
        )
        self.last_status = response.status_code
        return response
