#!/bin/sh
# The HTML report of a run: reports/allure-report/index.html from
# reports/allure-results, one self-contained file that a browser opens from
# disk, made with the Allure 3 command line from npm (no Java). A run with
# --alluredir (make run) makes it by itself; this remakes it.
# Usage: scripts/report.sh [RESULTS_DIR [REPORT_DIR]]
set -eu
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
exec "$python" -m pytest_quill.report.html "$@"
