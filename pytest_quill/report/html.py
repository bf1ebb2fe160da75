"""The HTML report of a run: one self-contained index.html that a browser opens
from disk (Allure 3's awesome report with singleFile; the multi-file report
only spins when opened from file://), made with the Allure 3 command line from
the project's node_modules (no Java).

`python -m pytest_quill.report.html RESULTS REPORT` is what scripts/report.sh runs;
the plugin makes the same report at the end of a run with --alluredir.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import BenchError

NAME = "pytest-quill: Nook typewriter MVP"
GENERATE_TIMEOUT_S = 300
MISSING_CLI = (
    "no Allure 3 command line (node_modules/.bin/allure or allure on PATH): "
    "npm install allure@3 in the project's folder"
)


def allure_cli(project_root: Path) -> Path | None:
    """The Allure 3 command line: the project's own (`npm install allure@3` in its
    folder), else one on PATH (`npm install -g allure@3`)."""
    cli = Path(project_root) / "node_modules" / ".bin" / "allure"
    if cli.is_file():
        return cli
    found = shutil.which("allure")
    return Path(found) if found else None


def report_beside(results: Path) -> Path:
    """reports/allure-results -> reports/allure-report."""
    return Path(results).parent / "allure-report"


def config(results: Path) -> dict:
    """Allure 3's config: one file, the tree by stream then test file, and the
    run's categories (Allure 3 reads them from the config, not categories.json)."""
    made = {
        "name": NAME,
        "plugins": {
            "awesome": {"options": {"singleFile": True, "groupBy": ["parentSuite", "suite", "subSuite"]}}
        },
    }
    categories = Path(results) / "categories.json"
    if categories.is_file():
        made["categories"] = json.loads(categories.read_text())
    return made


def generate(results: Path, report: Path, cli: Path) -> Path:
    """REPORT/index.html from RESULTS (REPORT replaced). BenchError when Allure fails."""
    results, report = Path(results).resolve(), Path(report).resolve()
    with tempfile.TemporaryDirectory(prefix="quill-allure-") as scratch:
        config_file = Path(scratch) / "allurerc.json"
        config_file.write_text(json.dumps(config(results)))
        shutil.rmtree(report, ignore_errors=True)
        try:
            done = subprocess.run(
                [str(cli), "generate", str(results), "--config", str(config_file), "--output", str(report)],
                capture_output=True,
                text=True,
                timeout=GENERATE_TIMEOUT_S,
                cwd=scratch,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BenchError(f"allure generate did not run: {exc}") from None
    index = report / "index.html"
    if done.returncode != 0 or not index.is_file():
        said = (done.stderr or done.stdout).strip().splitlines()
        raise BenchError(f"allure generate failed ({done.returncode}): {said[-1] if said else 'no output'}")
    return index


def embedded(index: Path, name: str) -> bytes | None:
    """A data file the single-file report carries inside index.html
    (d("widgets/categories.json","<base64>")), None when it has none such."""
    found = re.search(rf'd\("{re.escape(name)}","([A-Za-z0-9+/=]*)"\)', Path(index).read_text())
    return base64.b64decode(found.group(1)) if found else None


def main(argv: list[str]) -> int:
    results = Path(argv[0] if argv else "reports/allure-results")
    report = Path(argv[1]) if len(argv) > 1 else report_beside(results)
    cli = allure_cli(Path.cwd())
    if not results.is_dir():
        print(f"report: no results in {results} (run the suites first: make run)", file=sys.stderr)
        return 1
    if cli is None:
        print(f"report: {MISSING_CLI}", file=sys.stderr)
        return 1
    try:
        index = generate(results, report, cli)
    except BenchError as exc:
        print(f"report: {exc.one_line()}", file=sys.stderr)
        return 1
    print(f"report: {index} (one file: open it in a browser)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
