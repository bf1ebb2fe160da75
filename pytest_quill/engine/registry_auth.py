"""Credentials for the shared artifact cache: QUILL_REGISTRY_USER/QUILL_REGISTRY_PASSWORD,
else Docker's own config (auths, credsStore, credHelpers, under $DOCKER_CONFIG as Docker
reads it); and the redaction that keeps them out of every line said."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from oras.auth.token import TokenAuth

from ..errors import InputError
from .registry_target import PASSWORD_ENV, USER_ENV


@dataclass(frozen=True)
class Credentials:
    user: str
    source: str  # where they came from, for the line that says they were refused
    secrets: tuple[str, ...]  # every form they could show in a library's text

    def redact(self, text: str) -> str:
        for secret in sorted(filter(None, self.secrets), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def docker_config_path(environ: Mapping[str, str]) -> Path:
    """Docker's own rule: $DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    folder = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(folder) / "config.json"


def docker_auth_config(environ: Mapping[str, str]) -> dict:
    """The credential parts of Docker's config (auths, credsStore, credHelpers), as oras
    reads them; oras alone would read ~/.docker only and ignore $DOCKER_CONFIG."""
    path = docker_config_path(environ)
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        return {"auths": {}}
    except (OSError, ValueError) as error:
        raise InputError(
            f"{path}: Docker config unreadable ({type(error).__name__}); fix it, "
            f"or point DOCKER_CONFIG at another folder"
        ) from None
    if not isinstance(config, dict):
        raise InputError(
            f"{path}: Docker config is not a JSON object; fix it, or point DOCKER_CONFIG at another folder"
        )
    return {
        "auths": config.get("auths") or {},
        "credsStore": config.get("credsStore"),
        "credHelpers": config.get("credHelpers") or {},
    }


class ChallengeAuth(TokenAuth):
    """Bearer tokens where the registry asks for them (GHCR, Docker Hub, GitLab, Harbor),
    Basic where it asks for that (distribution with htpasswd): oras' token backend would
    take a Basic realm for a token server's address."""

    basic_asked = False

    def authenticate_request(
        self, original: requests.Response, headers: dict | None, refresh: bool = False
    ) -> tuple[dict, bool]:
        challenge = original.headers.get("Www-Authenticate", "")
        if not challenge.lower().startswith("basic"):
            # Refused with a token in hand: the request needs another scope (a push after
            # a pull), so a token for the challenge's scope; oras would resend the old one.
            headers, _answered = super().authenticate_request(
                original, headers, refresh=refresh or self.token is not None
            )
        elif getattr(self, "_basic_auth", None):
            self.basic_asked = True
            headers = {**(headers or {}), **self.preemptive_header()}
        # Unanswered, the request goes once more and its 401 reaches our message; oras
        # would raise a bare "Cannot respond to request for authentication" instead.
        return headers or {}, True

    def preemptive_header(self) -> dict:
        """Once the registry asked for Basic, send it at once (no body sent twice)."""
        secret = getattr(self, "_basic_auth", None)
        return {"Authorization": f"Basic {secret}"} if self.basic_asked and secret else {}


def load_credentials(
    auth: ChallengeAuth, container: object, environ: Mapping[str, str]
) -> Credentials | None:
    """Give AUTH the credentials for CONTAINER's registry: the environment first, then
    Docker's config (oras' own lookup, credential helpers included)."""
    user, password = environ.get(USER_ENV, ""), environ.get(PASSWORD_ENV, "")
    if bool(user) != bool(password):
        raise InputError(f"{USER_ENV} and {PASSWORD_ENV}: set both or neither")
    auth._auth_config = docker_auth_config(environ)
    if user:
        auth.set_basic_auth(user, password)
        source = USER_ENV
    else:
        auth.load_configs(container)
        source = f"Docker config {docker_config_path(environ)}"
    secret = getattr(auth, "_basic_auth", None)
    if not secret:
        return None
    try:
        pair = base64.b64decode(secret).decode()
    except ValueError:
        return Credentials("an unnamed user", source, (secret,))
    name, _, password = pair.partition(":")
    return Credentials(name or "an unnamed user", source, (secret, pair, password))
