# Front door: `make run` (install, build, start in test mode on SQLite), `make test`, `make build`.
.PHONY: all build run test deps deps-test debug tsan fuzz bench load load-postgres format clean deb

JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8000

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@echo "built build/release/sms-auth"

# The Debian package of the release build: build/release/sms-auth_<version>_<arch>.deb (docs/operations.md).
deb: build
	@cd build/release && cpack -G DEB
	@ls build/release/*.deb

# Test mode on the embedded SQLite database: codes are written to the log instead of being sent.
run: build
	@mkdir -p data
	SMS_TEST_MODE=$${SMS_TEST_MODE:-true} HOST=$(HOST) PORT=$(PORT) ./build/release/sms-auth serve

debug: deps-test
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

test: debug
	@ctest --preset debug -j 1

# Only the web page in headless Chromium; screenshots of each step in build/debug/browser-screenshots/.
test-browser: debug
	@ctest --preset debug -R '^browser$$'

tsan: deps-test
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan -j 1

# Each libFuzzer target (clang, ASan+UBSan) for FUZZ_SECONDS (default 60); `make test` runs them briefly.
fuzz: deps-test
	@scripts/fuzz.sh run

# Micro benchmarks (per-request CPU costs) and the side-by-side load test against the original-backend baseline.
bench:
	@scripts/install-deps.sh bench
	@cmake --preset bench >/dev/null
	@cmake --build --preset bench -j $(JOBS)
	@./build/bench/bench/micro_bench

load:
	@bench/load/run.sh

# The same load with sms-auth on PostgreSQL too (a throwaway local cluster, fsync on), beside SQLite and the ceiling.
load-postgres: deps-test
	@/usr/bin/python3 tests/integration/postgres_support.py run -- \
	  env LOAD_SERVERS="$${LOAD_SERVERS:-null sms-auth sms-auth-pg}" bench/load/run.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
