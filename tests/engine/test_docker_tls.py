"""A tcp:// engine over TLS when the Docker environment asks for it (issue 24, item 4).

A CA, a server and a client certificate are made with openssl; a second dockerd
listens on a loopback port with --tlsverify (it wants a client certificate
signed by that CA). The plugin's probe and client reach it with
DOCKER_TLS_VERIFY=1 + DOCKER_CERT_PATH, say in one line that it wants TLS
without them, and refuse it when the CA is another one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.backends import remote
from pytest_quill.engine.backends.docker import DockerBackend, docker_available
from pytest_quill.errors import BenchError
from tests.support.remote_engine import remote_engine

PROBE_S = 5


def make_certificates(folder: Path, ca_name: str = "quill test CA") -> None:
    """FOLDER/ca.pem, server-cert.pem + server-key.pem (127.0.0.1), cert.pem + key.pem
    (a client): the files dockerd --tlsverify and DOCKER_CERT_PATH want."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*argv: str) -> None:
        subprocess.run(["openssl", *argv], cwd=folder, check=True, capture_output=True)

    (folder / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n"
    )
    (folder / "client.ext").write_text("extendedKeyUsage = clientAuth\n")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={ca_name}",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    )
    for name, subject, key, cert in (
        ("server", "/CN=127.0.0.1", "server-key.pem", "server-cert.pem"),
        ("client", "/CN=quill client", "key.pem", "cert.pem"),
    ):
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", f"{name}.csr"
        )
        openssl(
            "x509",
            "-req",
            "-days",
            "2",
            "-sha256",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            cert,
            "-extfile",
            f"{name}.ext",
        )


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("docker-certs")
    make_certificates(folder)
    return folder


@pytest.fixture(scope="module")
def engine_url(certificates):
    with remote_engine(certificates) as url:
        yield url


@pytest.fixture
def clean_docker_env(monkeypatch):
    for name in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", remote.FORCE):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_with_the_docker_tls_environment_the_plugins_client_talks_to_it(
    engine_url, certificates, clean_docker_env, tmp_path
):
    clean_docker_env.setenv("DOCKER_HOST", engine_url)
    clean_docker_env.setenv("DOCKER_TLS_VERIFY", "1")
    clean_docker_env.setenv("DOCKER_CERT_PATH", str(certificates))
    assert docker_available() is None
    backend = DockerBackend(tmp_path / "project", log_dir=tmp_path / "logs")
    try:
        assert backend.client.version()["ApiVersion"]
        assert backend.client.api.base_url.startswith("https://127.0.0.1:")
    finally:
        backend.client.close()


def test_without_it_the_probe_says_in_one_line_that_the_engine_wants_tls(engine_url, clean_docker_env):
    clean_docker_env.setenv("DOCKER_HOST", engine_url)
    reason = remote.probe(engine_url, PROBE_S)
    assert reason == (
        "the engine wants TLS and was asked in plain HTTP: set DOCKER_TLS_VERIFY=1 "
        "and DOCKER_CERT_PATH (its ca.pem, cert.pem, key.pem), as for the docker CLI"
    )
    line = docker_available()
    assert line.startswith(f"DOCKER_HOST={engine_url} does not answer (the engine wants TLS")
    assert "\n" not in line and "DOCKER_CERT_PATH" in line
    with pytest.raises(BenchError, match="wants TLS"):
        assert DockerBackend(Path("/nonexistent-project")).client is None


def test_an_engine_signed_by_another_ca_is_refused(engine_url, clean_docker_env, tmp_path):
    other = tmp_path / "other-ca"
    make_certificates(other, ca_name="someone else's CA")
    clean_docker_env.setenv("DOCKER_TLS_VERIFY", "1")
    clean_docker_env.setenv("DOCKER_CERT_PATH", str(other))
    reason = remote.probe(engine_url, PROBE_S)
    assert reason == (
        f"the engine's certificate is not signed by {other}/ca.pem (certificate "
        "verify failed): refused; give DOCKER_CERT_PATH the folder of that "
        "engine's CA"
    )


def test_missing_certificates_are_one_line_naming_the_folder(clean_docker_env, tmp_path):
    clean_docker_env.setenv("DOCKER_TLS_VERIFY", "1")
    clean_docker_env.setenv("DOCKER_CERT_PATH", str(tmp_path))
    reason = remote.probe("tcp://127.0.0.1:9", PROBE_S)
    assert reason == (
        f"DOCKER_CERT_PATH={tmp_path}: no ca.pem, cert.pem, key.pem there; a TLS "
        "engine needs ca.pem, cert.pem and key.pem (see docs/remote-builds.md)"
    )


def test_tls_is_for_tcp_engines_only(clean_docker_env, tmp_path):
    clean_docker_env.setenv("DOCKER_TLS_VERIFY", "1")
    clean_docker_env.setenv("DOCKER_CERT_PATH", str(tmp_path))  # no certificates in it
    assert remote.tls_config("unix:///var/run/docker.sock") is None
    assert remote.tls_config("ssh://builder@farm") is None
    clean_docker_env.delenv("DOCKER_TLS_VERIFY")
    clean_docker_env.delenv("DOCKER_CERT_PATH")
    assert remote.tls_config("tcp://127.0.0.1:2375") is None


def test_a_password_in_docker_host_is_never_shown(clean_docker_env):
    clean_docker_env.setenv("DOCKER_HOST", "tcp://builder:hunter2@127.0.0.1:9")
    line = docker_available()
    assert "hunter2" not in line and "tcp://builder:***@127.0.0.1:9" in line
