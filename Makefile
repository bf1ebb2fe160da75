# Two commands for a fresh Debian/Ubuntu machine:
#   make run    set up, then build, write and boot everything: pytest -n 3 suites/
#   make test   set up, then the project's own tests and one real end-to-end run
PYTEST = .venv/bin/pytest
RESULTS = reports/allure-results
# The suites' order is the plan's (a bench test powers the board off last):
# pytest-randomly, installed for the unit tests, stays out of them.
SUITES = $(PYTEST) -p no:randomly -n 3 suites/ --alluredir $(RESULTS) --clean-alluredir

# The Nook's own tree (../shared holds it for tests and CI; users give theirs):
# the 2.6.29 twin's whole suite on QEMU, and the Nook's kernel, rootfs and card
# with no board attached (its hardware tests need the device).
NST_KERNEL = ../shared/sources/nst-kernel-3f80ffb9.tar.xz
NOOK_BOOT = ../shared/nook/boot
ifeq ($(wildcard $(NST_KERNEL)),)
NOOK_RUNS = @echo "make test: no $(NST_KERNEL): the Nook and twin runs need the nst-kernel tree"
else
NOOK_RUNS = $(PYTEST) -p no:randomly -n 3 suites/ --quill-profile nook-twin --quill-reports reports/nook-twin \
	    --quill-set kernel.source=$(NST_KERNEL) && \
	$(PYTEST) -p no:randomly -n 3 suites/ --quill-profile nook-simple-touch --quill-reports reports/nook-simple-touch \
	    --quill-set kernel.source=$(NST_KERNEL) -m "not hardware" \
	    --quill-set 'boot.bootloader_files=["$(CURDIR)/$(NOOK_BOOT)/MLO","$(CURDIR)/$(NOOK_BOOT)/u-boot.bin"]'
endif

# Tests whose outcome could depend on how the run was started, run once from a
# terminal (a pty: `sh -i` fixtures, raw mode) and once under a parent that
# ignores SIGINT (as nohup-like CI runners start it): each sets up the signal
# disposition and the terminal it needs.
STARTED_ANYHOW = tests/bench/test_console_stream.py tests/run/test_live_progress.py \
	tests/engine/test_docker_backend.py::test_an_interrupted_run_leaves_no_container \
	tests/bench/test_labgrid_place.py

# One base seed per `make test`; the start-sensitive runs take the next two.
SEED := $(shell date +%s)

.PHONY: setup docker run test report clean

setup:
	sh scripts/setup.sh

# The Docker backend is tested for real: start a private engine when none answers.
docker: setup
	sh pytest_quill/data/dockerd.sh >/dev/null

# The run makes reports/allure-report/index.html itself (one file, opened from disk).
run: docker
	$(SUITES)

# The tests start Python processes by the hundred (pytest in pytest, xdist
# workers, the CLI). They keep compiled modules, Python's default: on a machine
# that sets PYTHONDONTWRITEBYTECODE each one compiled the plugin and labgrid
# again, a third of the unit tests' CPU (docs/performance.md).
test: export PYTHONDONTWRITEBYTECODE =
test: docker
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	# Random order, three seeds a run, new each run (printed in each header: rerun
	# with --randomly-seed=N); the slowest tests are listed, as CI time is a budget
	# (docs/performance.md), and every failure, error and skip by name (-rfEs).
	# Three workers on two cores: the tests wait on the processes they start, and
	# two workers left a quarter of the cores idle (4:32 against 4:02 with three).
	$(PYTEST) -n 3 tests/ -m "not e2e" --randomly-seed=$(SEED) --durations=10 -rfEs
	# The two start-sensitive runs side by side (each keeps a third of the two
	# cores busy: its tests wait on the runs they start); the one under an ignored
	# SIGINT in the background, where the shell ignores SIGINT anyway.
	log=$$(mktemp); \
	sh -c "trap '' INT; exec $(PYTEST) --randomly-seed=$$(($(SEED) + 2)) $(STARTED_ANYHOW)" >$$log 2>&1 & \
	ignoring=$$!; \
	script -qec "$(PYTEST) --randomly-seed=$$(($(SEED) + 1)) $(STARTED_ANYHOW)" /dev/null; in_a_terminal=$$?; \
	wait $$ignoring; under_ignored_sigint=$$?; cat $$log; rm -f $$log; \
	test $$in_a_terminal -eq 0 && test $$under_ignored_sigint -eq 0
	$(SUITES)
	sh scripts/report.sh
	$(NOOK_RUNS)
	# Three workers, a test file on one (its module fixtures made once): the e2e
	# tests wait on downloads, engines and boots too (two workers left the cores
	# 13 % idle). The files marked long_file start first (tests/conftest.py), in
	# that order, not xdist's (most tests first), so the short ones fill in beside
	# the long ones.
	$(PYTEST) -p no:randomly -n 3 --dist loadfile --no-loadscope-reorder tests/ -m e2e --durations=30 -rfEs

# Remake the report from reports/allure-results.
report:
	sh scripts/report.sh

clean:
	rm -rf reports/runs reports/allure-results reports/allure-report reports/quill-run.json
