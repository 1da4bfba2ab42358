#!/usr/bin/env bash
# Installs the Debian packages (and the npm packages of the browser tests) that the build and tests need, only when missing.
# Usage: scripts/install-deps.sh [build|test|bench]  (build: compile and run; test: what `make test` needs; bench: load tests)
set -euo pipefail

profile=${1:-build}
cd "$(dirname "$0")/.."

# Boost stays at Debian's 1.74: libphonenumber-dev pulls libboost-thread1.74-dev, which conflicts with 1.81 (docs/stack notes).
build_packages=(
  g++ cmake ninja-build pkg-config ccache
  libboost-dev libssl-dev libphonenumber-dev libsqlite3-dev libpq-dev
  libsqlitecpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  prometheus-cpp-dev
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest openssl sqlite3 procps
  postgresql-15
  chromium nodejs npm
  systemd nginx docker-compose python3-yaml python3-jsonschema
  clang libclang-rt-14-dev
  prometheus
)

# The load test's tools and its baselines (the original backend's FastAPI stack; Node for better-auth); perf for its
# profiles.
bench_packages=(wrk bc curl libbenchmark-dev python3-fastapi python3-uvicorn python3-jwt linux-perf procps nodejs npm)

wanted=("${build_packages[@]}")
case "$profile" in
  test) wanted+=("${test_packages[@]}") ;;
  bench) wanted+=("${bench_packages[@]}") ;;
esac

missing=()
for package in "${wanted[@]}"; do
  # nodejs/npm may come from outside Debian (a newer Node is often preinstalled): a working command is enough.
  case "$package" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
  [ "${status:0:2}" = "ii" ] || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$profile" = test ] && [ -f tests/browser/package.json ]; then
  # playwright-core only drives Debian's chromium; it never downloads a browser of its own.
  if [ ! -d tests/browser/node_modules/playwright-core ]; then
    echo "install-deps: installing the browser-test npm packages"
    (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if [ "$profile" = bench ] && [ ! -d bench/baseline/better_auth/node_modules/better-auth ]; then
  # The better-auth baseline of the load test (bench/baseline/better_auth), at the versions of its lock file.
  echo "install-deps: installing the better-auth baseline's npm packages"
  (cd bench/baseline/better_auth && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$profile" = test ] && [ -f tests/openapi/package.json ]; then
  # The independent OpenAPI validator that checks the served /openapi.json.
  if [ ! -d tests/openapi/node_modules/@apidevtools/swagger-parser ]; then
    echo "install-deps: installing the OpenAPI validator npm package"
    (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
