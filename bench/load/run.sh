#!/usr/bin/env bash
# Load test, side by side on this machine: sms-auth (release) against a baseline, the original FastAPI backend re-created
# in bench/baseline/seed_fastapi.py (uvicorn, 2 workers). Prints requests/s, p99 latency and the ratio per scenario.
# Usage: bench/load/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
scripts/install-deps.sh bench
make -s build >/dev/null

work=$(mktemp -d)
ours_port=18700
base_port=18701
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Default limits, except: the global caps (a load test is far above a real day's SMS) and the conversion watch (sends
# nobody verifies are SMS pumping by definition). Clients come from many addresses through a trusted proxy (wrk).
env -i PATH="$PATH" HOST=127.0.0.1 PORT=$ours_port DATABASE_URL="sqlite:$work/ours.db" SMS_TEST_MODE=true \
  SMS_TEST_FIXED_CODE=123456 JWT_SECRET=bench-jwt-secret-bench-jwt-secret-4f2a9 WORKER_THREADS=2 \
  TRUSTED_PROXIES=127.0.0.1/32 SMS_GLOBAL_PER_HOUR=100000000 SMS_GLOBAL_PER_DAY=100000000 FRAUD_MIN_CONVERSION=0 \
  ./build/release/sms-auth serve >"$work/ours.log" 2>&1 &
pids+=($!)
BASELINE_DB="$work/base.db" SMS_TEST_FIXED_CODE=123456 /usr/bin/python3 -m uvicorn --app-dir bench/baseline \
  seed_fastapi:app --host 127.0.0.1 --port $base_port --workers 2 --log-level warning >"$work/base.log" 2>&1 &
pids+=($!)
for port in $ours_port $base_port; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
done

run() {  # port, connections, threads, script-or-empty, path → "requests/s p99 non-2xx"
  local args=(-d "${duration}s" -c "$2" -t "$3" --latency)
  [ -n "$4" ] && args+=(-s "$4")
  wrk "${args[@]}" "http://127.0.0.1:$1$5" |
    awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$5} END {print rps, p99, bad+0}'
}

printf '%-40s %12s %9s %8s %12s %9s %8s %7s\n' scenario "sms-auth r/s" p99 non-2xx "baseline r/s" p99 non-2xx ratio
scenario() {  # name, connections, threads, script, path
  read -r ours_rps ours_p99 ours_bad < <(run $ours_port "$2" "$3" "$4" "$5")
  read -r base_rps base_p99 base_bad < <(run $base_port "$2" "$3" "$4" "$5")
  printf '%-40s %12s %9s %8s %12s %9s %8s %6.1fx\n' "$1" "$ours_rps" "$ours_p99" "$ours_bad" "$base_rps" "$base_p99" \
    "$base_bad" "$(echo "$ours_rps / $base_rps" | bc -l)"
}
scenario "GET /healthz (64 conn)" 64 2 "" /healthz
scenario "send-code, random numbers (64 conn)" 64 2 bench/load/send_code.lua /
scenario "login: send + verify (4 conn)" 4 4 bench/load/login.lua /
