# A thin layer over CMake. `make run` and `make test` each install what is
# missing, build, and then serve or test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
PYTHON ?= /usr/bin/python3
LISTEN ?= 127.0.0.1:5000
DATA_DIR ?= ./data

.PHONY: deps configure build run test check unit integration clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR)

run: build
	@echo "berth local credentials (generated once in $(DATA_DIR)/credentials); paste:"
	@$(BUILD_DIR)/src/app/berth credentials --data-dir $(DATA_DIR) | sed 's/^/  /'
	@echo "  aws --endpoint-url http://$(LISTEN) ecr describe-repositories"
	@echo "  aws --endpoint-url http://$(LISTEN) ecr get-login-password | docker login -u AWS --password-stdin $(LISTEN)"
	$(BUILD_DIR)/src/app/berth serve --listen $(LISTEN) --data-dir $(DATA_DIR) \
	  --public-url http://$(LISTEN) --log-level info

# Both start a throwaway PostgreSQL and Ceph RGW for their run
# (scripts/test-backends/with-backends.sh), so no backend case is skipped.
unit: build
	scripts/test-backends/with-backends.sh ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

integration: build
	BERTH_BINARY=$(abspath $(BUILD_DIR))/src/app/berth scripts/test-backends/with-backends.sh \
	  $(PYTHON) -m pytest -q tests/integration

# The README's test command: everything, as CI runs it (.ci/run).
test: unit integration bench-smoke fuzz sanitize

# The quick part, for day-to-day work.
check: unit integration

clean:
	rm -rf $(BUILD_DIR)

# Benchmarks (bench/run.py, issue 4): berth side by side with CNCF Distribution
# and moto_server on 127.0.0.1, from an optimised build of its own.
# `make bench` runs the full harness (several alternating rounds, ~15 min);
# `make bench-quick` is the < 1 minute smoke test. Extra flags: BENCH_ARGS=...
# The scale, gc and s3 families run only when named: BENCH_ARGS="--only s3".
BENCH_BUILD_DIR ?= build-bench

.PHONY: bench bench-quick bench-build

bench-build: deps
	@bench/install-deps.sh
	@cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF \
	  -DBERTH_BENCH=ON >/dev/null
	@cmake --build $(BENCH_BUILD_DIR) --target berth berth_micro_bench berth_scale_fill

bench: bench-build
	$(PYTHON) bench/run.py --berth $(abspath $(BENCH_BUILD_DIR))/src/app/berth $(BENCH_ARGS)

bench-quick: bench-build
	$(PYTHON) bench/run.py --quick --berth $(abspath $(BENCH_BUILD_DIR))/src/app/berth $(BENCH_ARGS)

# The harness's quick mode once, against the test build (issue 4: CI runs it
# as a smoke test, without thresholds); fails if any berth workload fails.
.PHONY: bench-smoke
bench-smoke: build
	@bench/install-deps.sh
	$(PYTHON) bench/run.py --quick --berth $(abspath $(BUILD_DIR))/src/app/berth

# Google Benchmark micro-benchmarks of the hot paths (bench/micro/).
# Extra flags: MICRO_ARGS=--benchmark_filter=sigv4
.PHONY: bench-micro
bench-micro: bench-build
	$(BENCH_BUILD_DIR)/bench/micro/berth_micro_bench $(MICRO_ARGS)

# Hostile input (issue 5, docs/fuzzing.md).
# `make fuzz`      builds the libFuzzer targets (fuzz/) in their own ASan +
#                  UBSan build and runs each for FUZZ_SMOKE_SECONDS (CI smoke);
#                  fails on any crash, leak, timeout or broken invariant.
# `make fuzz-long` runs each for FUZZ_SECONDS (default 600); the working
#                  corpus in $(FUZZ_BUILD_DIR)/fuzz-work/ carries over.
#                  FUZZ_TARGETS="sigv4 manifest" picks targets.
# `make sanitize`  builds everything with -DBERTH_SANITIZE=ON (ASan + UBSan,
#                  g++) and runs the unit tests and the integration suite
#                  against that berth; any sanitizer report fails it, including
#                  leaks reported when a server exits. SANITIZE_PYTEST_ARGS
#                  selects the integration tests; the default skips only the
#                  RSS bound tests, named *bounded_memory* (ASan's shadow memory and quarantine put
#                  RSS at ~180 MiB whatever berth does).
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=
ASAN_BUILD_DIR ?= build-asan
SANITIZE_PYTEST_ARGS ?= -k "not bounded_memory"
SANITIZER_LOGS = $(abspath $(ASAN_BUILD_DIR))/sanitizer-logs
SANITIZE_ASAN = detect_leaks=1:abort_on_error=1
SANITIZE_UBSAN = print_stacktrace=1:halt_on_error=1:abort_on_error=1

.PHONY: fuzz fuzz-long fuzz-build sanitize sanitize-build

# -O1 -g1, as libFuzzer's own docs build targets: half the compile time of
# -O2 -g, and stacks keep file:line.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DBERTH_FUZZ=ON -DBERTH_SANITIZE=ON \
	  -DBERTH_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) --target berth_fuzzers -j2

fuzz: fuzz-build
	fuzz/run.sh -s $(FUZZ_SMOKE_SECONDS) -b $(FUZZ_BUILD_DIR) $(FUZZ_TARGETS)

fuzz-long: fuzz-build
	fuzz/run.sh -s $(FUZZ_SECONDS) -b $(FUZZ_BUILD_DIR) $(FUZZ_TARGETS)

# -O0 -g1: g++ 12 instrumenting Asio coroutines at -O2 takes 5x as long to
# compile (session.cpp: 273 s vs 51 s CPU); line tables keep stacks exact,
# and assert()s stay on.
sanitize-build: deps
	@cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DBERTH_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j2

# The integration run writes every sanitizer report (servers, fsck, CLI runs)
# to $(SANITIZER_LOGS): a leak found as a server exits fails no test by itself.
sanitize: sanitize-build
	ASAN_OPTIONS=$(SANITIZE_ASAN) UBSAN_OPTIONS=$(SANITIZE_UBSAN) ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j2
	@rm -rf $(SANITIZER_LOGS) && mkdir -p $(SANITIZER_LOGS)
	ASAN_OPTIONS=$(SANITIZE_ASAN):log_path=$(SANITIZER_LOGS)/report \
	  UBSAN_OPTIONS=$(SANITIZE_UBSAN):log_path=$(SANITIZER_LOGS)/report \
	  BERTH_BINARY=$(abspath $(ASAN_BUILD_DIR))/src/app/berth \
	  $(PYTHON) -m pytest -q tests/integration $(SANITIZE_PYTEST_ARGS)
	@if ls $(SANITIZER_LOGS)/report* >/dev/null 2>&1; then \
	  echo "sanitizer reports from berth processes:"; cat $(SANITIZER_LOGS)/report*; exit 1; \
	else echo "sanitize: no sanitizer reports"; fi
