#!/usr/bin/env bash
# Start-up of sms-auth, exec to the first answered GET /healthz, for one build or two alternated, medians of N starts.
# Usage: bench/load/startup_times.sh [binary [other-binary]]
#   STARTUP_RUNS (9), STARTUP_DATABASE_URL (default: $SMS_AUTH_TEST_POSTGRES_URL, else a fresh SQLite file),
#   STARTUP_POOL (DATABASE_POOL_SIZE, 4), STARTUP_PORT (18790).
# On PostgreSQL: python3 tests/integration/postgres_support.py run -- bench/load/startup_times.sh
# The schema is created by one start before the timed ones, so every timed start finds it up to date.
set -euo pipefail
cd "$(dirname "$0")/../.."

binaries=("${1:-./build/release/sms-auth}")
[ $# -ge 2 ] && binaries+=("$2")
runs=${STARTUP_RUNS:-9}
port=${STARTUP_PORT:-18790}
work=$(mktemp -d "${TMPDIR:-/tmp}/sms-auth-startup.XXXXXX")
database=${STARTUP_DATABASE_URL:-${SMS_AUTH_TEST_POSTGRES_URL:-sqlite://$work/startup.db}}
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# One GET /healthz through bash's own /dev/tcp: a curl forked per attempt would dominate what is measured.
answers_healthz() {
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  local status
  read -r -t 1 status <&3 || true
  exec 3<&-
  [[ "$status" == *" 200 "* ]]
}

start_once() {  # binary → prints milliseconds
  local started ended tries=0
  started=$(date +%s%N)
  env -i PATH="$PATH" HOST=127.0.0.1 PORT="$port" DATABASE_URL="$database" DATABASE_POOL_SIZE="${STARTUP_POOL:-4}" \
    SMS_TEST_MODE=true JWT_SECRET=bench-jwt-secret-bench-jwt-secret-4f2a9 WORKER_THREADS=2 \
    "$1" serve >"$work/server.log" 2>&1 &
  pid=$!
  until answers_healthz 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ $((tries += 1)) -gt 10000 ]; then
      echo "startup: $1 did not answer; its log:" >&2
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.001
  done
  ended=$(date +%s%N)
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  echo $(((ended - started) / 1000000))
}

start_once "${binaries[0]}" >/dev/null  # creates the schema
declare -A times
for _ in $(seq 1 "$runs"); do
  for binary in "${binaries[@]}"; do times[$binary]+="$(start_once "$binary") "; done
done
for binary in "${binaries[@]}"; do
  sorted=$(tr ' ' '\n' <<<"${times[$binary]}" | grep . | sort -n | tr '\n' ' ')
  median=$(tr ' ' '\n' <<<"$sorted" | grep . | sed -n "$(((runs + 1) / 2))p")
  echo "startup: $binary: median $median ms of $runs starts ($sorted)"
done
