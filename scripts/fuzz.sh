#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang, ASan+UBSan) and runs each one after the other.
# Usage: scripts/fuzz.sh [run|check]   run: FUZZ_SECONDS (default 60) of fuzzing each (`make fuzz`);
#        check: replays every seed of fuzz/corpus/<target>/ and fuzzes FUZZ_SECONDS (default 8) each (`make test`).
# New inputs go to build/fuzz/corpus/<target>/, a crash to build/fuzz/crashes/: once fixed, copy that input into
# fuzz/corpus/<target>/ so that every later run replays it.
set -euo pipefail

mode=${1:-run}
case "$mode" in
  run) seconds=${FUZZ_SECONDS:-60}; seed=${FUZZ_SEED:-0} ;;
  # A fixed seed: `make test` mutates the same way on every run, so a red CI points at a change, not at luck;
  # exploring is `make fuzz`'s job (seed 0: libFuzzer picks a new one each run).
  check) seconds=${FUZZ_SECONDS:-8}; seed=${FUZZ_SEED:-1} ;;
  *) echo "usage: $0 [run|check]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

cmake --preset fuzz >/dev/null
if ! cmake --build --preset fuzz -j "${JOBS:-$(nproc)}" >build/fuzz/build.log 2>&1; then
  tail -40 build/fuzz/build.log >&2
  exit 1
fi
bin=build/fuzz/fuzz
mkdir -p build/fuzz/crashes

failed=()
for corpus in fuzz/corpus/*/; do
  name=$(basename "$corpus")
  target=$bin/fuzz_$name
  [ -x "$target" ] || { echo "fuzz: no target for fuzz/corpus/$name" >&2; failed+=("$name"); continue; }
  found=build/fuzz/corpus/$name
  log=build/fuzz/$name.log
  mkdir -p "$found"
  # Both folders are read first (every seed runs once: the replay), then new inputs land in $found only.
  if "$target" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/crashes/$name-" "$found" "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $name ok ($(ls "$corpus" | wc -l) seeds, ${runs:-?} runs in ${seconds}s)"
  else
    echo "fuzz: $name FAILED; the input is in build/fuzz/crashes/, the report in $log:" >&2
    grep -E -m1 -A12 'ERROR|fuzz property|runtime error' "$log" >&2 || tail -20 "$log" >&2
    failed+=("$name")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
