# Two commands for a fresh Debian/Ubuntu machine:
#   make run    set up, then build, write and boot everything: pytest -n 3 suites/
#   make test   set up, then the project's own tests and one real end-to-end run
PYTEST = .venv/bin/pytest
RESULTS = reports/allure-results
SUITES = $(PYTEST) -n 3 suites/ --alluredir $(RESULTS)

.PHONY: setup docker run test report clean

setup:
	sh scripts/setup.sh

# The Docker backend is tested for real: start a private engine when none answers.
docker: setup
	sh scripts/dockerd.sh >/dev/null

run: docker
	$(SUITES)

test: docker
	$(PYTEST) -n 2 tests/ -m "not e2e"
	$(SUITES)
	sh scripts/report.sh
	$(PYTEST) tests/ -m e2e

report:
	sh scripts/report.sh

clean:
	rm -rf reports/runs reports/allure-results reports/allure-report reports/quill-run.json
