#!/usr/bin/env bash
# CPU per request of one scenario: the whole machine's, the database server's processes' and sms-auth's, from /proc,
# for one build or two alternated, each run on a fresh database. Less noisy than throughput on a shared machine.
# Also the CPU per request of the busiest storage thread (threads named db:*): on SQLite that is the one writer, whose
# work is serial, so 1e6 / its µs per request is the most requests a second this build can commit on this machine.
# Usage: bench/load/cpu_per_request.sh [binary [other-binary]]
#   CPU_SCENARIO (login, or send), CPU_RUNS (3 per build), CPU_SECONDS (10, after 3 s of warm-up), CPU_PORT (18795),
#   CPU_POOL (DATABASE_POOL_SIZE, 4), CPU_PERF=1 (perf record -a -g of the first run, to build/load/cpu-<scenario>.perf.data).
# On SQLite a fresh file per run; on PostgreSQL (SMS_AUTH_TEST_POSTGRES_URL, or CPU_POSTGRES_URL) a fresh schema:
#   python3 tests/integration/postgres_support.py run -- bench/load/cpu_per_request.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

binaries=("${1:-./build/release/sms-auth}")
[ $# -ge 2 ] && binaries+=("$2")
scenario=${CPU_SCENARIO:-login}
runs=${CPU_RUNS:-3}
seconds=${CPU_SECONDS:-10}
port=${CPU_PORT:-18795}
pg_url=${CPU_POSTGRES_URL:-${SMS_AUTH_TEST_POSTGRES_URL:-}}
case "$scenario" in send | login) ;; *) echo "cpu_per_request: CPU_SCENARIO must be send or login" >&2; exit 2 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/sms-auth-cpu.XXXXXX")
mkdir -p build/load
server_pid=
perf_pid=
schema=
cleanup() {
  if [ -n "$perf_pid" ]; then kill "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$schema" ]; then psql -X -q "$pg_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # user + system, in clock ticks
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }  # every state but idle and iowait
thread_ticks() { ticks_of "$1/task/$2"; }  # pid tid
busiest_storage_thread() {  # pid → "tid ticks" of the busiest thread named db:* (none: "0 0")
  local task tid best=0 best_tid=0 ticks
  for task in /proc/"$1"/task/*; do
    [[ $(cat "$task/comm" 2>/dev/null) == db:* ]] || continue
    tid=${task##*/}
    ticks=$(thread_ticks "$1" "$tid")
    if [ "$ticks" -gt "$best" ]; then best=$ticks best_tid=$tid; fi
  done
  echo "$best_tid $best"
}
database_ticks() {  # every postgres process of the machine (SQLite runs inside sms-auth: 0)
  local total=0 pid
  [ -n "$pg_url" ] || { echo 0; return; }
  for pid in $(pgrep -x postgres || true); do total=$((total + $(ticks_of "$pid"))); done
  echo "$total"
}

drive() {  # seconds → the wrk script's RESULT line
  local threads=2
  [ "$scenario" = login ] && threads=64  # one connection per wrk thread: each verify follows its own send
  timeout $(($1 + 60)) wrk -d "${1}s" -c 64 -t "$threads" --timeout 10s -s bench/load/auth_flow.lua \
    "http://127.0.0.1:$port/" -- "$scenario" "$threads" "$((RANDOM * 32768 + RANDOM))" >"$work/wrk.out" || true
  awk '/^RESULT/ {print $2, $3, $4, $5}' "$work/wrk.out"
}

one_run() {  # binary run → "requests/s machine database sms-auth storage-thread" (µs of CPU per request)
  local binary=$1 run=$2 database
  if [ -n "$pg_url" ]; then
    schema=bench_cpu_$$_$run
    psql -X -q -v ON_ERROR_STOP=1 "$pg_url" -c "CREATE SCHEMA $schema" >/dev/null
    local separator='?'
    [[ $pg_url == *\?* ]] && separator='&'
    database="$pg_url${separator}options=-csearch_path%3D$schema"
  else
    # Removed after the run: both builds of a run once shared this file, so the second started on the first's rows.
    database="sqlite:$work/cpu-$run.db"
  fi
  # The limits of bench/load/run.sh: defaults, except the global caps and the conversion watch.
  env -i PATH="$PATH" HOST=127.0.0.1 PORT="$port" DATABASE_URL="$database" DATABASE_POOL_SIZE="${CPU_POOL:-4}" \
    SMS_TEST_MODE=true SMS_TEST_FIXED_CODE=123456 JWT_SECRET=bench-jwt-secret-bench-jwt-secret-4f2a9 WORKER_THREADS=2 \
    TRUSTED_PROXIES=127.0.0.1/32 SMS_GLOBAL_PER_HOUR=100000000 SMS_GLOBAL_PER_DAY=100000000 FRAUD_MIN_CONVERSION=0 \
    "$binary" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  local tries=0
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "cpu_per_request: $binary did not start; its log:" >&2
      tail -5 "$work/server.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  drive 3 >/dev/null  # warm-up: caches, the statements prepared, the pool's connections open
  local server0 database0 machine0 server1 database1 machine1 requests duration status_errors socket_errors
  local storage_tid storage0 storage1
  read -r storage_tid storage0 <<<"$(busiest_storage_thread "$server_pid")"  # after the warm-up: the busy one
  server0=$(ticks_of "$server_pid") database0=$(database_ticks) machine0=$(machine_ticks)
  if [ "${CPU_PERF:-0}" = 1 ] && [ "$run" = 1 ]; then
    perf record -a -g -o "build/load/cpu-$scenario.perf.data" -- sleep $((seconds > 2 ? seconds - 2 : 1)) \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  read -r requests duration status_errors socket_errors <<<"$(drive "$seconds")"
  server1=$(ticks_of "$server_pid") database1=$(database_ticks) machine1=$(machine_ticks)
  storage1=$storage0
  [ "$storage_tid" = 0 ] || storage1=$(thread_ticks "$server_pid" "$storage_tid")
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; perf_pid=; fi
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=
  if [ -n "$schema" ]; then psql -X -q "$pg_url" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1; schema=; fi
  rm -f "$work/cpu-$run.db" "$work/cpu-$run.db-wal" "$work/cpu-$run.db-shm"
  if [ -z "${requests:-}" ] || [ "$requests" -eq 0 ]; then echo "cpu_per_request: wrk failed" >&2; exit 1; fi
  if [ "$status_errors" -ne 0 ] || [ "$socket_errors" -ne 0 ]; then
    echo "cpu_per_request: $status_errors non-2xx and $socket_errors socket errors in this run" >&2
  fi
  local hz
  hz=$(getconf CLK_TCK)
  awk -v r="$requests" -v d="$duration" -v hz="$hz" -v m=$((machine1 - machine0)) -v b=$((database1 - database0)) \
    -v s=$((server1 - server0)) -v t=$((storage1 - storage0)) \
    'BEGIN { us = 1e6 / hz / r; printf "%.0f %.0f %.0f %.0f %.0f\n", r / (d / 1e6), m * us, b * us, s * us, t * us }'
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

engine=sqlite
[ -n "$pg_url" ] && engine=postgresql
echo "cpu_per_request: $scenario on $engine, $runs runs of ${seconds}s per build, $(nproc) cores," \
  "load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-40s %4s %10s %16s %16s %16s %16s\n' build run requests/s "machine µs/req" "database µs/req" \
  "sms-auth µs/req" "db thread µs/req"
# Two builds run in the order A B, then B A, and so on, so that neither always runs second (on the same machine state).
for run in $(seq "$runs"); do
  order=("${!binaries[@]}")
  if [ "${#binaries[@]}" = 2 ] && [ $((run % 2)) = 0 ]; then order=(1 0); fi
  for index in "${order[@]}"; do
    line=$(one_run "${binaries[$index]}" "$run")
    echo "$index $line" >>"$work/results"
    read -r rate machine database server storage <<<"$line"
    printf '%-40s %4s %10s %16s %16s %16s %16s\n' "${binaries[$index]}" "$run" "$rate" "$machine" "$database" \
      "$server" "$storage"
  done
done
for index in "${!binaries[@]}"; do
  printf '%-40s %4s' "${binaries[$index]}" median
  for column in 2 3 4 5 6; do
    width=16
    [ $column = 2 ] && width=10
    printf " %${width}s" "$(awk -v i="$index" -v c=$column '$1 == i {print $c}' "$work/results" | median)"
  done
  echo
done
for index in "${!binaries[@]}"; do
  storage=$(awk -v i="$index" '$1 == i {print $6}' "$work/results" | median)
  [ "$engine" = sqlite ] && [ "${storage:-0}" -gt 0 ] || continue
  echo "${binaries[$index]}: its one writer thread bounds it at $((1000000 / storage)) requests/s on this machine" \
    "(1e6 / ${storage} µs, were that thread alone on a core)"
done
