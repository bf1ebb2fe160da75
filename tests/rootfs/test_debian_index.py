"""The package-index digest in the rootfs key: read from InRelease, and
remembered for a run that cannot reach the mirror."""

import http.server
import threading

import pytest

from pytest_quill.rootfs import debian_index

INRELEASE = """Origin: Debian
Suite: stable
MD5Sum:
 12ce92a193ae5e1d2fe907c897fd56dd  8450116 main/binary-armel/Packages.xz
SHA256:
 5d344d7d6c3c6687c475a6a19649df09cd8d1d2184b8d44fea235ac0b342ea53 47669308 main/binary-armel/Packages
 8cb6ecb8023c305ee977fdeabe0b7460d9e40fc39dc9f537067f22156990af55  8450116 main/binary-armel/Packages.xz
 1111111111111111111111111111111111111111111111111111111111111111  9000000 main/binary-armhf/Packages.xz
-----BEGIN PGP SIGNATURE-----
"""


@pytest.fixture
def mirror(tmp_path):
    """A loopback mirror serving dists/bookworm/InRelease from a folder the test edits."""
    (tmp_path / "dists" / "bookworm").mkdir(parents=True)
    (tmp_path / "dists" / "bookworm" / "InRelease").write_text(INRELEASE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_sha256_entry_of_the_archs_packages_xz_is_taken():
    assert debian_index.packages_sha256(INRELEASE, "armel") == (
        "8cb6ecb8023c305ee977fdeabe0b7460d9e40fc39dc9f537067f22156990af55"
    )
    assert debian_index.packages_sha256(INRELEASE, "arm64") is None


def test_a_new_index_gives_a_new_digest(mirror, tmp_path):
    folder, url = mirror
    [before] = debian_index.index_digests(url, "bookworm", ("armhf",), tmp_path / "memory")
    (folder / "dists" / "bookworm" / "InRelease").write_text(INRELEASE.replace("1111", "2222"))
    [after] = debian_index.index_digests(url, "bookworm", ("armhf",), tmp_path / "memory")
    assert before == "1" * 64 and after.startswith("2222") and after != before


def test_offline_the_last_digest_seen_is_used(mirror, tmp_path):
    folder, url = mirror
    [seen] = debian_index.index_digests(url, "bookworm", ("armel",), tmp_path / "memory")
    (folder / "dists" / "bookworm" / "InRelease").unlink()  # the mirror answers 404 now
    assert debian_index.index_digests(url, "bookworm", ("armel",), tmp_path / "memory") == [seen]


def test_never_seen_and_unreachable_says_so(tmp_path):
    [digest] = debian_index.index_digests("http://127.0.0.1:9", "bookworm", ("armel",), tmp_path / "m")
    assert digest == "unreachable"
