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
	$(BUILD_DIR)/src/app/berth serve --listen $(LISTEN) --data-dir $(DATA_DIR) \
	  --public-url http://$(LISTEN) --log-level info

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

integration: build
	BERTH_BINARY=$(abspath $(BUILD_DIR))/src/app/berth $(PYTHON) -m pytest -q tests/integration

test: unit integration

clean:
	rm -rf $(BUILD_DIR)
