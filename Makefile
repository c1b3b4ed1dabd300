# A thin layer over CMake. `make run` and `make test` each install what is
# missing, build, and then serve or test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
PYTHON ?= /usr/bin/python3
LISTEN ?= 127.0.0.1:5000
DATA_DIR ?= ./data

.PHONY: deps configure build run test unit integration clean

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

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

integration: build
	BERTH_BINARY=$(abspath $(BUILD_DIR))/src/app/berth $(PYTHON) -m pytest -q tests/integration

test: unit integration

clean:
	rm -rf $(BUILD_DIR)

# Benchmarks (bench/run.py, issue 4): berth side by side with CNCF Distribution
# and moto_server on 127.0.0.1, from an optimised build of its own.
# `make bench` runs the full harness (several alternating rounds, ~15 min);
# `make bench-quick` is the < 1 minute smoke test. Extra flags: BENCH_ARGS=...
BENCH_BUILD_DIR ?= build-bench

.PHONY: bench bench-quick bench-build

bench-build: deps
	@bench/install-deps.sh
	@cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BENCH_BUILD_DIR) --target berth

bench: bench-build
	$(PYTHON) bench/run.py --berth $(abspath $(BENCH_BUILD_DIR))/src/app/berth $(BENCH_ARGS)

bench-quick: bench-build
	$(PYTHON) bench/run.py --quick --berth $(abspath $(BENCH_BUILD_DIR))/src/app/berth $(BENCH_ARGS)
