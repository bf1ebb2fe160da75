"""The shared artifact cache in an OCI registry (issue 27), against a real registry:
Debian's docker-registry (distribution 2.8) on loopback, its storage in the test's folder.
A pushed cache entry pulls byte for byte into a second, empty cache; a blob damaged in the
registry's own storage, or a registry killed mid-pull, is one RegistryError line and leaves
nothing behind; pull-only never pushes; credentials never show in what is said."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from pathlib import Path

import pytest

from pytest_quill.engine.cache import Cache, damage
from pytest_quill.engine.registry import CHUNKED_ABOVE, ArtifactRegistry, open_registry
from pytest_quill.engine.registry_errors import RegistryError
from pytest_quill.engine.registry_manifest import META_TYPE
from pytest_quill.engine.registry_target import INSECURE_HINT
from tests.support.registry import missing_tools, non_loopback_address, registry_server, self_signed
from tests.support.registry_token import token_server

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"not installed: {missing_tools()} (apt-get install docker-registry apache2-utils)",
)

USER, PASSWORD = "alice", "hunter2-not-to-be-shown"
NO_DOCKER_CONFIG = "DOCKER_CONFIG"  # each test points it at its own empty folder


@pytest.fixture
def registry(tmp_path):
    with registry_server(tmp_path / "registry") as server:
        yield server


@pytest.fixture
def auth_registry(tmp_path):
    with registry_server(tmp_path / "registry", users={USER: PASSWORD}) as server:
        yield server


def environ(tmp_path: Path, **more: str) -> dict[str, str]:
    """Nothing of the machine's own Docker login or QUILL_REGISTRY_* leaks into a test."""
    folder = tmp_path / "docker-config"
    folder.mkdir(exist_ok=True)
    return {NO_DOCKER_CONFIG: str(folder), **more}


def published(cache: Cache, name: str, key: str, files: dict[str, bytes]) -> Path:
    """A cache entry as a build leaves it: its files, meta.json, SHA256SUMS."""
    with cache.staging(name, key) as staging:
        for title, content in files.items():
            (staging / title).parent.mkdir(parents=True, exist_ok=True)
            (staging / title).write_bytes(content)
        (staging / "meta.json").write_text(json.dumps({"name": name, "built": "here"}))
        return cache.publish(staging, name, key)


def kernel_files() -> dict[str, bytes]:
    return {
        "uImage": os.urandom(300_000),
        "build.log": b"built\n",
        "empty.txt": b"",
        "modules/lib/modules/6.1/kernel/drivers/squireos/jester.ko": os.urandom(5000),
    }


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def pull_into(registry: ArtifactRegistry, cache: Cache, name: str, key: str) -> Path | None:
    """What a run does: pull into a staging folder, publish it by rename when whole."""
    with cache.staging(name, key) as staging:
        if registry.pull(name, key, staging) is None:
            return None
        return cache.publish(staging, name, key)


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text, text
    return text


def test_a_pushed_entry_pulls_byte_identical_into_a_second_empty_cache(registry, tmp_path):
    first, second = Cache(tmp_path / "first"), Cache(tmp_path / "second")
    entry = published(first, "kernel", "0123abcd", kernel_files())
    shared = open_registry(registry.repository(), "rw", environ=environ(tmp_path))

    pushed = shared.push(entry, "kernel", "0123abcd")
    pulled_entry = pull_into(shared, second, "kernel", "0123abcd")

    assert pulled_entry == second.entry("kernel", "0123abcd")
    assert files_of(pulled_entry) == files_of(entry)  # meta.json and SHA256SUMS included
    assert damage(pulled_entry) == ""
    assert pushed.reference == f"{registry.host}/quill/artifacts:kernel-0123abcd"
    assert pushed.files == 5 and pushed.bytes == sum(
        len(content) for title, content in files_of(entry).items() if title != "SHA256SUMS"
    )


def test_the_manifest_carries_the_meta_as_config_and_each_file_by_its_path(registry, tmp_path):
    entry = published(Cache(tmp_path / "cache"), "rootfs", "feed", {"rootfs.tar.gz": b"tar"})
    open_registry(registry.repository(), "rw", environ=environ(tmp_path)).push(entry, "rootfs", "feed")

    manifest = registry_manifest(registry, "rootfs-feed")

    assert manifest["config"]["mediaType"] == META_TYPE
    assert [layer["annotations"]["org.opencontainers.image.title"] for layer in manifest["layers"]] == [
        "rootfs.tar.gz"
    ]
    assert manifest["annotations"] == {
        "io.github.pytest-quill.artifact": "rootfs",
        "io.github.pytest-quill.key": "feed",
    }


def registry_manifest(server, tag: str) -> dict:
    import requests

    response = requests.get(
        f"http://{server.host}/v2/quill/artifacts/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_a_tag_the_registry_does_not_have_is_a_miss(registry, tmp_path):
    shared = open_registry(registry.repository(), "pull", environ=environ(tmp_path))
    cache = Cache(tmp_path / "cache")

    assert pull_into(shared, cache, "kernel", "absent") is None
    assert cache.lookup("kernel", "absent") is None


@pytest.mark.parametrize(
    "damage_blob, said",
    [
        ("same size, other bytes", "uImage differs from the sha256 in its manifest"),
        ("truncated", "uImage is truncated (150000 of 300000 bytes)"),
    ],
)
def test_a_blob_damaged_in_the_registry_is_one_line_and_nothing_is_published(
    registry, tmp_path, damage_blob, said
):
    entry = published(Cache(tmp_path / "first"), "kernel", "beef", kernel_files())
    shared = open_registry(registry.repository(), "rw", environ=environ(tmp_path))
    shared.push(entry, "kernel", "beef")
    uimage = next(
        layer
        for layer in registry_manifest(registry, "kernel-beef")["layers"]
        if layer["annotations"]["org.opencontainers.image.title"] == "uImage"
    )
    blob = registry.blob_file(uimage["digest"])
    content = blob.read_bytes()
    blob.write_bytes(
        content[:1000] + bytes(len(content) - 1000)
        if damage_blob.startswith("same")
        else content[: len(content) // 2]
    )
    second = Cache(tmp_path / "second")

    with pytest.raises(RegistryError) as error:
        pull_into(shared, second, "kernel", "beef")

    line = one_line(error)
    assert line.startswith(f"{registry.host}/quill/artifacts:kernel-beef: ")
    assert said in line and line.endswith("; not used")
    assert second.lookup("kernel", "beef") is None
    assert [
        path.name
        for path in (tmp_path / "second" / "kernel").iterdir()
        if not path.name.endswith((".lock", ".owner.json"))
    ] == []


def test_a_registry_killed_mid_pull_is_one_line_and_leaves_no_half_folder(registry, tmp_path):
    # Above CHUNKED_ABOVE, so the push goes up in chunks too.
    big = {f"part{index}.img": os.urandom(CHUNKED_ABOVE + (1 << 20)) for index in range(2)}
    entry = published(Cache(tmp_path / "first"), "sdcard", "cafe", big)
    shared = open_registry(registry.repository(), "rw", environ=environ(tmp_path))
    shared.push(entry, "sdcard", "cafe")
    second = Cache(tmp_path / "second")
    killer = threading.Thread(
        target=kill_once_a_layer_arrives, args=(registry, tmp_path / "second" / "sdcard"), daemon=True
    )
    killer.start()

    with pytest.raises(RegistryError) as error:
        pull_into(shared, second, "sdcard", "cafe")
    killer.join(timeout=10)

    line = one_line(error)
    assert line.startswith(f"{registry.host}/quill/artifacts:sdcard-cafe: pulling failed: ")
    assert registry.process.poll() is not None  # it was the kill that ended the pull
    assert second.lookup("sdcard", "cafe") is None
    assert not any(path.is_file() for path in (tmp_path / "second").rglob("*.img"))


def kill_once_a_layer_arrives(server, folder: Path, wait_s: float = 30.0) -> None:
    """Kill the registry the moment the first byte of a big layer is on disk."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if any(path.stat().st_size > 0 for path in folder.glob(".staging-*/part*.img")):
            server.kill()
            return
        time.sleep(0.001)


def test_pull_only_refuses_to_push_and_the_registry_stays_without_it(registry, tmp_path):
    entry = published(Cache(tmp_path / "cache"), "kernel", "f00d", kernel_files())
    pull_only = open_registry(registry.repository(), "pull", environ=environ(tmp_path))

    with pytest.raises(RegistryError) as error:
        pull_only.push(entry, "kernel", "f00d")

    assert "pull-only" in one_line(error)
    assert pull_only.pull("kernel", "f00d", tmp_path / "scratch") is None


def test_off_or_no_reference_is_no_registry(tmp_path):
    assert open_registry("127.0.0.1:1/quill", "off", environ=environ(tmp_path)) is None
    assert open_registry("", "rw", environ=environ(tmp_path)) is None


def test_a_damaged_local_entry_is_never_pushed(registry, tmp_path):
    entry = published(Cache(tmp_path / "cache"), "kernel", "dead", kernel_files())
    (entry / "uImage").write_bytes(b"flipped")
    shared = open_registry(registry.repository(), "rw", environ=environ(tmp_path))

    with pytest.raises(RegistryError) as error:
        shared.push(entry, "kernel", "dead")

    assert "damaged" in one_line(error) and "uImage" in one_line(error)
    assert shared.pull("kernel", "dead", tmp_path / "scratch") is None


def test_credentials_from_the_environment_push_and_pull(auth_registry, tmp_path):
    entry = published(Cache(tmp_path / "first"), "kernel", "aa11", kernel_files())
    shared = open_registry(
        auth_registry.repository(),
        "rw",
        environ=environ(tmp_path, QUILL_REGISTRY_USER=USER, QUILL_REGISTRY_PASSWORD=PASSWORD),
    )

    shared.push(entry, "kernel", "aa11")

    assert files_of(pull_into(shared, Cache(tmp_path / "second"), "kernel", "aa11")) == files_of(entry)


def test_credentials_from_dockers_own_config_push_and_pull(auth_registry, tmp_path):
    env = environ(tmp_path)
    write_docker_login(Path(env["DOCKER_CONFIG"]), auth_registry.host, USER, PASSWORD)
    entry = published(Cache(tmp_path / "first"), "kernel", "bb22", kernel_files())
    shared = open_registry(auth_registry.repository(), "rw", environ=env)

    shared.push(entry, "kernel", "bb22")

    assert files_of(pull_into(shared, Cache(tmp_path / "second"), "kernel", "bb22")) == files_of(entry)


def write_docker_login(folder: Path, host: str, user: str, password: str) -> None:
    """What `docker login HOST` writes without a credential store."""
    login = base64.b64encode(f"{user}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": login}}}))


@pytest.mark.parametrize("source", ["environment", "docker config"])
def test_a_wrong_password_is_one_line_that_never_shows_it(auth_registry, tmp_path, source):
    wrong = "wrong-" + PASSWORD
    env = environ(tmp_path)
    if source == "environment":
        env.update(QUILL_REGISTRY_USER=USER, QUILL_REGISTRY_PASSWORD=wrong)
    else:
        write_docker_login(Path(env["DOCKER_CONFIG"]), auth_registry.host, USER, wrong)
    entry = published(Cache(tmp_path / "cache"), "kernel", "cc33", kernel_files())
    shared = open_registry(auth_registry.repository(), "rw", environ=env)

    for attempt in (
        lambda: shared.push(entry, "kernel", "cc33"),
        lambda: shared.pull("kernel", "cc33", tmp_path / "scratch"),
    ):
        with pytest.raises(RegistryError) as error:
            attempt()
        line = one_line(error)
        assert f"refused the credentials of {USER}" in line
        assert wrong not in line and PASSWORD not in line
        assert base64.b64encode(f"{USER}:{wrong}".encode()).decode() not in line
        chained = error.value.__cause__ or (
            None if error.value.__suppress_context__ else error.value.__context__
        )
        assert chained is None  # no library exception (and its text) behind the line


def test_no_credentials_for_a_registry_that_asks_says_how_to_give_them(auth_registry, tmp_path):
    shared = open_registry(auth_registry.repository(), "pull", environ=environ(tmp_path))

    with pytest.raises(RegistryError) as error:
        shared.pull("kernel", "dd44", tmp_path / "scratch")

    assert f"docker login {auth_registry.host}" in one_line(error)


def test_plain_http_to_a_name_that_is_not_loopback_is_refused_unless_insecure(tmp_path):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    entry = published(Cache(tmp_path / "cache"), "kernel", "ee55", kernel_files())
    with registry_server(tmp_path / "registry", address=address) as server:
        over_tls = open_registry(server.repository(), "rw", environ=environ(tmp_path))
        with pytest.raises(RegistryError) as error:
            over_tls.push(entry, "kernel", "ee55")
        insecure = open_registry(server.repository(), "rw", insecure=True, environ=environ(tmp_path))
        insecure.push(entry, "kernel", "ee55")

        assert "TLS failed: the registry answers in plain HTTP" in one_line(error)
        assert INSECURE_HINT in one_line(error)
        assert insecure.pull("kernel", "ee55", tmp_path / "scratch") is not None


def test_a_registry_that_is_not_there_is_one_line(tmp_path):
    from tests.support.services import free_tcp_port

    shared = open_registry(f"127.0.0.1:{free_tcp_port()}/quill", "rw", environ=environ(tmp_path))

    with pytest.raises(RegistryError) as error:
        shared.pull("kernel", "ff66", tmp_path / "scratch")

    assert "connection refused" in one_line(error)


def test_tls_by_default_trusts_only_a_known_certificate(tmp_path, monkeypatch):
    """A registry off loopback is spoken to over HTTPS and its certificate is checked: an
    unknown one is one line saying how to trust it; trusted (REQUESTS_CA_BUNDLE, as for
    any requests-based client), push and pull work with credentials."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    entry = published(Cache(tmp_path / "cache"), "kernel", "aa77", kernel_files())
    env = environ(tmp_path, QUILL_REGISTRY_USER=USER, QUILL_REGISTRY_PASSWORD=PASSWORD)
    with registry_server(tmp_path / "registry", users={USER: PASSWORD}, address=address, tls=True) as server:
        with pytest.raises(RegistryError) as error:
            open_registry(server.repository(), "rw", environ=env).push(entry, "kernel", "aa77")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "registry" / "cert.pem"))
        trusted = open_registry(server.repository(), "rw", environ=env)
        trusted.push(entry, "kernel", "aa77")

        assert "certificate is not trusted here" in one_line(error)
        assert "REQUESTS_CA_BUNDLE" in one_line(error) and PASSWORD not in one_line(error)
        assert files_of(pull_into(trusted, Cache(tmp_path / "second"), "kernel", "aa77")) == files_of(entry)


@pytest.fixture
def token_registry(tmp_path):
    """A registry whose users get Bearer tokens from a token server (GHCR, GitLab, Harbor)."""
    signing = tmp_path / "token-signing"
    signing.mkdir()
    certificate, key = self_signed(signing, "127.0.0.1")
    with (
        token_server(certificate, key, {USER: PASSWORD}) as tokens,
        registry_server(tmp_path / "registry", token=tokens) as server,
    ):
        yield server, tokens


def test_bearer_tokens_are_fetched_per_scope_a_push_after_a_pull_included(token_registry, tmp_path):
    server, tokens = token_registry
    entry = published(Cache(tmp_path / "first"), "kernel", "ab12", kernel_files())
    shared = open_registry(
        server.repository(),
        "rw",
        environ=environ(tmp_path, QUILL_REGISTRY_USER=USER, QUILL_REGISTRY_PASSWORD=PASSWORD),
    )

    assert shared.pull("kernel", "ab12", tmp_path / "miss") is None  # a pull-scoped token
    shared.push(entry, "kernel", "ab12")  # needs push too: a second token
    pulled = pull_into(shared, Cache(tmp_path / "second"), "kernel", "ab12")

    assert files_of(pulled) == files_of(entry)
    # A scope's actions come in either order ("push,pull" or "pull,push").
    asked = {
        (scope.rpartition(":")[0], frozenset(scope.rpartition(":")[2].split(",")))
        for scope in tokens.scopes_asked
    }
    assert {
        ("repository:quill/artifacts", frozenset({"pull"})),
        ("repository:quill/artifacts", frozenset({"pull", "push"})),
    } <= asked


def test_a_token_server_refusing_the_password_is_one_line_without_it(token_registry, tmp_path):
    server, _tokens = token_registry
    shared = open_registry(
        server.repository(),
        "pull",
        environ=environ(tmp_path, QUILL_REGISTRY_USER=USER, QUILL_REGISTRY_PASSWORD="wrong-" + PASSWORD),
    )

    with pytest.raises(RegistryError) as error:
        shared.pull("kernel", "cd34", tmp_path / "scratch")

    assert f"refused the credentials of {USER}" in one_line(error)
    assert PASSWORD not in one_line(error)
