"""What a user writes for the shared artifact cache (issue 27): the registry reference, the
mode, the credentials' sources. One InputError line for each mistake, and a reference's
credentials never repeated back. No registry needed."""

from __future__ import annotations

import json

import pytest

from pytest_quill.engine.registry import ArtifactRegistry, open_registry
from pytest_quill.engine.registry_auth import docker_auth_config
from pytest_quill.engine.registry_errors import RegistryError
from pytest_quill.engine.registry_manifest import checked_blobs
from pytest_quill.engine.registry_target import is_loopback, parse_mode, parse_target
from pytest_quill.errors import InputError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1:5000", True),
        ("127.9.8.7", True),
        ("localhost:5000", True),
        ("localhost", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("192.0.2.2:5000", False),
        ("registry.example.org", False),
        ("ghcr.io", False),
        ("[fd00::2]:5000", False),
        ("localhost.example.org:5000", False),
    ],
)
def test_loopback_is_127_8_localhost_and_ipv6_one(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "reference, scheme",
    [
        ("127.0.0.1:5000/quill", "http"),
        ("localhost:5000/team/quill", "http"),
        ("registry.example.org/team/quill", "https"),
        ("ghcr.io/someone/quill-cache", "https"),
    ],
)
def test_tls_unless_loopback(reference, scheme):
    assert parse_target(reference).scheme == scheme


def test_insecure_is_plain_http_on_any_host():
    assert parse_target("registry.lab:5000/quill", insecure=True).scheme == "http"


@pytest.mark.parametrize(
    "reference, said",
    [
        ("http://registry.lab:5000/quill", "without a scheme"),
        ("quill/artifacts", "start with the registry's host"),
        ("registry.lab:5000", "repository after the host"),
        ("registry.lab:5000/Quill", "repository after the host"),
        ("registry.lab:5000/quill:latest", "repository after the host"),
        ("registry.lab:5000/quill@sha256:00", "no credentials or digest"),
    ],
)
def test_a_wrong_reference_is_one_input_line(reference, said):
    with pytest.raises(InputError) as error:
        parse_target(reference)

    assert said in str(error.value) and "\n" not in str(error.value)


def test_credentials_written_into_the_reference_are_refused_without_repeating_them():
    with pytest.raises(InputError) as error:
        parse_target("alice:hunter2@registry.lab:5000/quill")

    assert "hunter2" not in str(error.value) and "QUILL_REGISTRY_USER" in str(error.value)
    assert "'alice:***@registry.lab:5000/quill'" in str(error.value)  # secrets.redact's form


@pytest.mark.parametrize("text, mode", [("rw", "rw"), (" PULL ", "pull"), ("off", "off")])
def test_modes(text, mode):
    assert parse_mode(text) == mode


def test_an_unknown_mode_is_one_input_line():
    with pytest.raises(InputError, match="use one of rw, pull, off"):
        parse_mode("push")


def test_half_the_environment_credentials_is_one_input_line(tmp_path):
    with pytest.raises(InputError, match="set both or neither"):
        open_registry(
            "127.0.0.1:5000/quill",
            "rw",
            environ={"DOCKER_CONFIG": str(tmp_path), "QUILL_REGISTRY_USER": "alice"},
        )


def test_docker_config_follows_DOCKER_CONFIG(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"registry.lab:5000": {"auth": "YWxpY2U6aHVudGVyMg=="}}, "credsStore": "pass"})
    )

    config = docker_auth_config({"DOCKER_CONFIG": str(tmp_path)})

    assert config["auths"] == {"registry.lab:5000": {"auth": "YWxpY2U6aHVudGVyMg=="}}
    assert config["credsStore"] == "pass"


def test_an_unreadable_docker_config_is_one_input_line_without_its_content(tmp_path):
    (tmp_path / "config.json").write_text('{"auths": {"h": {"auth": "c2VjcmV0"}')

    with pytest.raises(InputError) as error:
        docker_auth_config({"DOCKER_CONFIG": str(tmp_path)})

    assert "Docker config unreadable" in str(error.value) and "c2VjcmV0" not in str(error.value)


def test_the_user_named_in_messages_comes_from_docker_config_and_its_secret_is_redacted(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"registry.lab:5000": {"auth": "YWxpY2U6aHVudGVyMg=="}}})
    )  # alice:hunter2

    shared = open_registry("registry.lab:5000/quill", "rw", environ={"DOCKER_CONFIG": str(tmp_path)})

    assert isinstance(shared, ArtifactRegistry) and shared.credentials.user == "alice"
    assert shared.redact("auth YWxpY2U6aHVudGVyMg== alice:hunter2 hunter2") == "auth *** *** ***"


def manifest(*titles: str, name: str = "kernel", key: str = "k1") -> dict:
    return {
        "config": {"mediaType": "application/vnd.pytest-quill.meta.v1+json", "digest": DIGEST, "size": 2},
        "layers": [
            {"digest": DIGEST, "size": 2, "annotations": {"org.opencontainers.image.title": title}}
            for title in titles
        ],
        "annotations": {"io.github.pytest-quill.artifact": name, "io.github.pytest-quill.key": key},
    }


def test_a_manifest_names_the_entrys_files_with_meta_from_its_config():
    assert list(checked_blobs(manifest("uImage", "modules/a.ko"), "ref", "kernel", "k1")) == [
        "meta.json",
        "uImage",
        "modules/a.ko",
    ]


@pytest.mark.parametrize(
    "title", ["../escape", "/etc/passwd", "a/../../b", "", "a//b", "meta.json", "dup", "a\\b"]
)
def test_a_layer_that_would_land_outside_the_entry_or_twice_is_refused(title):
    with pytest.raises(RegistryError, match="not a new relative path inside the entry"):
        checked_blobs(manifest("dup", title), "ref", "kernel", "k1")


def test_a_manifest_of_another_artifact_under_the_tag_is_refused():
    with pytest.raises(RegistryError, match="is not kernel k1's"):
        checked_blobs(manifest("uImage", name="rootfs"), "ref", "kernel", "k1")
