#!/usr/bin/env bash
# Runs berth's libFuzzer targets (tests/fuzz, docs/fuzzing.md) briefly: each target in
# build/fuzz (`make fuzz` builds them) for SECONDS, FUZZ_JOBS at a time, from its seed corpus
# tests/fuzz/corpus/<target> and what earlier runs added (build/fuzz/corpus/<target>, where
# new inputs go), with its dictionary tests/fuzz/<target>.dict when there is one.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 6; FUZZ_JOBS: targets at a time, default 2)
# Prints per target "ok - fuzz_X (N runs)" or "not ok - fuzz_X ..." with the reproducer's path
# (crashes, timeouts and leaks are written to build/fuzz/crashes/) and the end of its log, then
# "fuzz: N passed, N failed". Exit status non-zero when a target failed. Reproduce a failure
# with: build/fuzz/fuzz_X build/fuzz/crashes/fuzz_X-crash-...
set -u
cd "$(dirname "$0")/.."
secs=${1:-6}
jobs=${FUZZ_JOBS:-2}
dir=build/fuzz
mkdir -p "$dir/crashes" "$dir/logs"

targets=()
for src in tests/fuzz/fuzz_*.c; do
  targets+=("$(basename "$src" .c)")
done
for t in "${targets[@]}"; do
  if [ ! -x "$dir/$t" ]; then
    echo "fuzz: $dir/$t is not built (make fuzz)"
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
  fi
done

# LeakSanitizer needs ptrace-like access that some containers deny: use it when it works
leaks=0
"$dir/${targets[0]}" -runs=2 -detect_leaks=1 >/dev/null 2>&1 </dev/null && leaks=1

run_one() { # TARGET
  local t=$1 args=()
  mkdir -p "$dir/corpus/$t" "tests/fuzz/corpus/$t"
  [ -f "tests/fuzz/$t.dict" ] && args+=("-dict=tests/fuzz/$t.dict")
  "$dir/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
    -detect_leaks="$leaks" -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
    "${args[@]}" "$dir/corpus/$t" "tests/fuzz/corpus/$t" >"$dir/logs/$t.log" 2>&1
  echo $? >"$dir/logs/$t.rc"
}

t0=$(date +%s)
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

pass=0; fail=0
for t in "${targets[@]}"; do
  rc=$(cat "$dir/logs/$t.rc" 2>/dev/null || echo 1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$dir/logs/$t.log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "ok - $t (${runs:-?} runs in ${secs}s)"
    pass=$((pass + 1))
  else
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/logs/$t.log" | tail -1)
    echo "not ok - $t (exit status $rc) reproducer: ${repro:-none written} (log: $dir/logs/$t.log)"
    grep -a -v '^    #\|^INFO:\|^#[0-9]' "$dir/logs/$t.log" | tail -n 40 | sed 's/^/# /'
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed ($(( $(date +%s) - t0 ))s)"
[ "$fail" -eq 0 ]
