#!/bin/sh
# The HTML report of a run: reports/allure-report/index.html from
# reports/allure-results, with the Allure 3 command line from npm (no Java).
# Usage: scripts/report.sh [RESULTS_DIR [REPORT_DIR]]
set -eu
cd "$(dirname "$0")/.."
results=${1:-reports/allure-results}
report=${2:-reports/allure-report}

if [ ! -d "$results" ]; then
    echo "report: no results in $results (run the suites first: make run)" >&2
    exit 1
fi
if [ ! -x node_modules/.bin/allure ]; then
    echo "report: node_modules/.bin/allure missing (run scripts/setup.sh)" >&2
    exit 1
fi

# Allure 3's default report takes its categories from the config, not from
# categories.json (only its Allure 2 "classic" plugin reads that file): hand
# the run's categories.json over through a config made for this call.
# The tree groups by the labels pytest_quill.report.allure gives each test.
config=$(mktemp --suffix=.json)
trap 'rm -f "$config"' EXIT
node -e '
const fs = require("fs");
const [categoriesPath, configPath] = process.argv.slice(1);
const config = {
  name: "pytest-quill: Nook typewriter MVP",
  // the tree by stream, then test file: A kernel > test_a1_config > test_...
  plugins: { awesome: { options: { groupBy: ["parentSuite", "suite", "subSuite"] } } },
};
if (fs.existsSync(categoriesPath)) config.categories = JSON.parse(fs.readFileSync(categoriesPath, "utf8"));
fs.writeFileSync(configPath, JSON.stringify(config));
' "$results/categories.json" "$config"

rm -rf "$report"
node_modules/.bin/allure generate "$results" --config "$config" --output "$report"
echo "report: $report/index.html"
