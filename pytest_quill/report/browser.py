"""Look at a generated Allure report the way a person would: in Chromium.

Served over loopback, because opened from file:// the report never leaves
its loading spinner (FACTS.md); the DOM is what Chromium rendered.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--window-size=1280,800", "--virtual-time-budget=8000"]


@contextmanager
def served(folder: Path):
    """http://127.0.0.1:PORT/ on a port the kernel picked, stopped on exit."""
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind",
                               "127.0.0.1", "--directory", str(folder)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = server.stdout.readline()
        port = re.search(r"port (\d+)", banner)
        if not port:
            raise RuntimeError(f"http.server said {banner!r}")
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def rendered_dom(report_dir: Path, timeout: float = 120) -> str:
    """The report's index.html as Chromium rendered it."""
    with served(report_dir) as url, tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", "--dump-dom",
                                          url + "index.html"],
                              capture_output=True, text=True, timeout=timeout)
    return done.stdout
