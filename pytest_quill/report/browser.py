"""Look at a generated report the way a person would: opened from disk in
headless Chromium (the report is one self-contained file, report/html.py).
The DOM is what Chromium rendered, its text what a reader sees."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM = [
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
    "--virtual-time-budget=8000",
]


def rendered_dom(report_dir: Path, timeout: float = 120, fragment: str = "", until: str = "") -> str:
    """REPORT_DIR/index.html (+ FRAGMENT, e.g. "#/..." for one result) as Chromium
    rendered it from file://; rendered again, within TIMEOUT, until it holds UNTIL
    (the virtual time budget runs out before a busy machine's scripts are done)."""
    url = (Path(report_dir).resolve() / "index.html").as_uri() + fragment
    deadline = time.monotonic() + timeout
    while True:
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                CHROMIUM + [f"--user-data-dir={profile}", "--dump-dom", url],
                capture_output=True,
                text=True,
                timeout=max(1.0, deadline - time.monotonic()),
            )
        if until in done.stdout or time.monotonic() >= deadline:
            return done.stdout


def visible_text(dom: str) -> str:
    """The words a reader sees: scripts, styles and tags gone, spaces squeezed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())
