#!/usr/bin/env bash
# Load test, side by side on this machine: a do-nothing HTTP server (the ceiling), sms-auth (release), a re-creation
# of the original FastAPI backend and (on PostgreSQL) better-auth's phone-number plugin, driven by the same wrk script.
# Prints the median of LOAD_RUNS runs of req/s, logins/s, p50/p99, resident memory after the run and start-up time,
# each also as a ratio of the do-nothing server's.
# Usage: bench/load/run.sh [seconds per scenario]   (see bench/README.md for the LOAD_* variables)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${LOAD_SECONDS:-${1:-10}}
runs=${LOAD_RUNS:-3}
connections=${LOAD_CONNECTIONS:-64}
threads=${LOAD_SERVER_THREADS:-$(nproc)}
servers=${LOAD_SERVERS:-"null sms-auth seed"}
template_db=${LOAD_SQLITE_TEMPLATE:-}  # a prefilled database (bench/fill_database.py) copied before each run
# sms-auth-pg: a prefilled database of the same cluster (bench/fill_database.py), copied by CREATE DATABASE … TEMPLATE
# before each run instead of the empty schema.
pg_template=${LOAD_POSTGRES_TEMPLATE:-}
perf_scenario=${LOAD_PERF:-}           # "send" or "login": perf record -g sms-auth during that scenario
port=${LOAD_PORT:-18700}
binary=${LOAD_BINARY:-./build/release/sms-auth}  # another build of sms-auth, to compare two side by side
pool_size=${LOAD_DATABASE_POOL_SIZE:-4}          # sms-auth-pg's DATABASE_POOL_SIZE (the service's default is 4)
# sms-auth-pg: sms-auth on this PostgreSQL database (`make load-postgres` starts a throwaway cluster and sets it).
pg_url=${LOAD_POSTGRES_URL:-${SMS_AUTH_TEST_POSTGRES_URL:-}}
for pg_server in sms-auth-pg better-auth; do
  if [[ " $servers " == *" $pg_server "* ]] && [ -z "$pg_url" ]; then
    echo "load: $pg_server needs LOAD_POSTGRES_URL (or run it as: make load-postgres)" >&2
    exit 2
  fi
done
# better-auth: bench/baseline/better_auth (Node), its npm packages installed from the committed lock file.
better_auth_dir=bench/baseline/better_auth
if [[ " $servers " == *" better-auth "* ]] && [ ! -d "$better_auth_dir/node_modules/better-auth" ]; then
  echo "load: installing the better-auth baseline's npm packages"
  (cd "$better_auth_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${LOAD_BUILD:-1}" = 1 ]; then  # LOAD_BUILD=0: use the binaries already built
  scripts/install-deps.sh bench
  make -s build >/dev/null
  cmake --preset bench >/dev/null
  cmake --build --preset bench --target null_server >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sms-auth-load.XXXXXX")
mkdir -p build/load
server_pid=
perf_pid=
better_auth_schema=  # this run's PostgreSQL schema of the better-auth baseline, while it exists
sms_auth_schema=     # this run's PostgreSQL schema of sms-auth-pg, while it exists
sms_auth_copy=       # this run's copy of LOAD_POSTGRES_TEMPLATE, while it exists
cleanup() {
  for pid in $perf_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then stop_server; fi
  if [ -n "$better_auth_schema" ]; then better_auth_schema_do drop || true; fi
  drop_sms_auth_setup
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Resident memory of a process and its children (uvicorn's workers), in KiB, from /proc/PID/status.
rss_kib() {
  local total=0 pid
  for pid in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# One GET /healthz through bash's own /dev/tcp (no curl to fork per attempt, which would dominate the start-up time).
answers_healthz() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  read -r -t 2 status <&3 || true
  exec 3>&-
  [[ $status == "HTTP/1.1 200"* ]]
}

# The better-auth baseline's schema set-up (bench/baseline/better_auth/setup.mjs create|drop), outside the timing.
better_auth_schema_do() {
  env -i PATH="$PATH" BETTER_AUTH_DATABASE_URL="$pg_url" BETTER_AUTH_SCHEMA="$better_auth_schema" \
    node "$better_auth_dir/setup.mjs" "$1" >>"$work/better-auth-setup.log" 2>&1 || {
    echo "load: better-auth: setup.mjs $1 failed; its log:" >&2
    tail -20 "$work/better-auth-setup.log" >&2
    return 1
  }
}

# One statement of sms-auth-pg's set-up, outside the timing, through LOAD_POSTGRES_URL's own database: each run starts
# on a fresh schema (reached by search_path) as the SQLite runs and better-auth's do, or on a copy of
# LOAD_POSTGRES_TEMPLATE, instead of on the rows of the runs before it.
sms_auth_setup_sql() {
  psql -X -q -v ON_ERROR_STOP=1 "$pg_url" -c "$1" >>"$work/sms-auth-setup.log" 2>&1 || {
    echo "load: sms-auth-pg: '$1' failed; its log:" >&2
    tail -5 "$work/sms-auth-setup.log" >&2
    return 1
  }
}

# Drops the run's schema or template copy of sms-auth-pg, if it has one.
drop_sms_auth_setup() {
  if [ -n "$sms_auth_schema" ]; then sms_auth_setup_sql "DROP SCHEMA IF EXISTS $sms_auth_schema CASCADE" || true; fi
  if [ -n "$sms_auth_copy" ]; then sms_auth_setup_sql "DROP DATABASE IF EXISTS $sms_auth_copy" || true; fi
  sms_auth_schema=
  sms_auth_copy=
}

# The URL of database $1 on LOAD_POSTGRES_URL's server (its path replaced, its query kept).
url_of_database() {
  local base=${pg_url%%\?*}
  echo "${base%/*}/$1${pg_url:${#base}}"
}

start_server() {  # name run → sets server_pid and startup_ms
  local name=$1 run=$2 started
  if [ "$name" = sms-auth ] && [ -n "$template_db" ]; then cp "$template_db" "$work/ours-$run.db"; fi
  if [ "$name" = sms-auth-pg ] && [ -n "$pg_template" ]; then
    sms_auth_copy=bench_sms_auth_$$_$run
    sms_auth_setup_sql "CREATE DATABASE $sms_auth_copy TEMPLATE $pg_template" || exit 1
  elif [ "$name" = sms-auth-pg ]; then  # a fresh schema per run; sms-auth's own migrations fill it at start-up
    sms_auth_schema=bench_sms_auth_$$_$run
    sms_auth_setup_sql "CREATE SCHEMA $sms_auth_schema" || exit 1
  fi
  if [ "$name" = better-auth ]; then  # a fresh schema per run, created by better-auth's migrations before the timing
    better_auth_schema=bench_better_auth_$$_$run
    better_auth_schema_do create || exit 1
  fi
  started=$(now_ms)
  case "$name" in
    null)
      ./build/bench/bench/null_server "$port" "$threads" >"$work/$name.log" 2>&1 &
      ;;
    sms-auth | sms-auth-pg)
      # Default limits, except the global caps (a load test sends more SMS than a real day) and the conversion watch
      # (sends nobody verifies are SMS pumping by definition); clients come through a trusted proxy (wrk).
      local database="sqlite:$work/ours-$run.db"
      if [ "$name" = sms-auth-pg ] && [ -n "$sms_auth_copy" ]; then
        database=$(url_of_database "$sms_auth_copy")
      elif [ "$name" = sms-auth-pg ]; then
        # The schema by search_path in the URL's options (a URL's own `options` would be replaced by this one).
        local separator='?'
        [[ $pg_url == *\?* ]] && separator='&'
        database="$pg_url${separator}options=-csearch_path%3D$sms_auth_schema"
      fi
      env -i PATH="$PATH" HOST=127.0.0.1 PORT="$port" DATABASE_URL="$database" DATABASE_POOL_SIZE="$pool_size" SMS_TEST_MODE=true \
        SMS_TEST_FIXED_CODE=123456 JWT_SECRET=bench-jwt-secret-bench-jwt-secret-4f2a9 WORKER_THREADS="$threads" \
        TRUSTED_PROXIES=127.0.0.1/32 SMS_GLOBAL_PER_HOUR=100000000 SMS_GLOBAL_PER_DAY=100000000 FRAUD_MIN_CONVERSION=0 \
        "$binary" serve >"$work/$name.log" 2>&1 &
      ;;
    seed)
      BASELINE_DB="$work/seed-$run.db" SMS_TEST_FIXED_CODE=123456 /usr/bin/python3 -m uvicorn --app-dir bench/baseline \
        seed_fastapi:app --host 127.0.0.1 --port "$port" --workers "$threads" --log-level warning \
        >"$work/$name.log" 2>&1 &
      ;;
    better-auth)
      # NODE_ENV=production: better-auth as deployed (its rate limiter on; bench/baseline/better_auth/auth.mjs).
      env -i PATH="$PATH" NODE_ENV=production PORT="$port" WORKERS="$threads" BETTER_AUTH_DATABASE_URL="$pg_url" \
        BETTER_AUTH_SCHEMA="$better_auth_schema" BETTER_AUTH_RATE_LIMIT="${LOAD_BETTER_AUTH_RATE_LIMIT:-on}" \
        node "$better_auth_dir/server.mjs" >"$work/$name.log" 2>&1 &
      ;;
  esac
  server_pid=$!
  local deadline=$((started + 20000))
  until answers_healthz 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then
      echo "load: $name did not start; its log:" >&2
      tail -20 "$work/$name.log" >&2
      exit 1
    fi
    sleep 0.001
  done
  startup_ms=$(($(now_ms) - started))
}

# Stops the server by its PID, then any of its children (uvicorn's or node:cluster's workers) that outlived it, each by
# its own PID (SIGTERM, then SIGKILL after 5 s); then drops the better-auth baseline's schema of the run.
stop_server() {
  local children pid
  children=$(pgrep -P "$server_pid" || true)
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  for pid in $children; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "load: child $pid of the server ignored SIGTERM for 5 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  server_pid=
  if [ -n "$better_auth_schema" ]; then better_auth_schema_do drop || true; better_auth_schema=; fi
  drop_sms_auth_setup
}

# scenario wrk-threads [api] → "requests duration_us status_errors socket_errors p50_us p99_us"; wrk's whole output
# stays in $work/wrk.out (api better-auth: the script's endpoints for it, and its CHECK line of response counts).
drive() {
  local scenario=$1 wrk_threads=$2
  timeout $((seconds + 60)) wrk -d "${seconds}s" -c "$connections" -t "$wrk_threads" --timeout 10s \
    -s bench/load/auth_flow.lua "http://127.0.0.1:$port/" -- "$scenario" "$wrk_threads" "$((RANDOM * 32768 + RANDOM))" \
    ${3:+"$3"} >"$work/wrk.out" || true
  awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}' "$work/wrk.out"
}

echo "load: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) before; $runs runs of ${seconds}s per scenario, $connections connections," \
  "$threads server threads"
results=$work/results.tsv
for run in $(seq "$runs"); do
  for name in $servers; do
    start_server "$name" "$run"
    for scenario in send login; do
      # send: two wrk threads share the connections; login: one connection per thread (its verify follows its send).
      wrk_threads=2
      [ "$scenario" = login ] && wrk_threads=$connections
      if [ "$name" = sms-auth ] && [ "$scenario" = "$perf_scenario" ] && [ "$run" = 1 ]; then
        perf record -g -o "build/load/sms-auth-$scenario.perf.data" -p "$server_pid" >/dev/null 2>&1 &
        perf_pid=$!
      fi
      api=
      [ "$name" = better-auth ] && api=better-auth
      outcome=$(drive "$scenario" "$wrk_threads" $api)
      if [ -z "$outcome" ]; then echo "load: wrk failed against $name ($scenario)" >&2; exit 1; fi
      read -r requests duration status_errors socket_errors p50 p99 <<<"$outcome"
      if [ -n "$api" ]; then
        # The script read every better-auth response: count every non-2xx (wrk counts only >= 400) and every 200
        # verify that issued no session token as failed, and refuse a login run in which nobody got a session.
        read -r non_2xx without_token with_token < <(awk '/^CHECK/ {print $2, $3, $4}' "$work/wrk.out") || {
          echo "load: no CHECK line from wrk against $name ($scenario)" >&2
          exit 1
        }
        echo "load: $name $scenario: $requests requests, $non_2xx non-2xx, $with_token verifies answered 200 with" \
          "a session token, $without_token without one"
        status_errors=$((non_2xx + without_token))
        if [ "$scenario" = login ] && [ "$with_token" -eq 0 ]; then
          echo "load: $name logged nobody in; its log:" >&2
          tail -20 "$work/$name.log" >&2
          exit 1
        fi
      fi
      if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=; fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$scenario" "$requests" "$duration" \
        "$status_errors" "$socket_errors" "$p50" "$p99" >>"$results"
    done
    printf '%s\t%s\tserver\t%s\t%s\n' "$run" "$name" "$(rss_kib "$server_pid")" "$startup_ms" >>"$results"
    stop_server
  done
  echo "load: run $run of $runs done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
cp "$results" build/load/last-results.tsv
python3 bench/load/summarize.py "$results"
