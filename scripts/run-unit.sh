#!/usr/bin/env bash
# Runs cmocka test binaries (TAP output), prints their output and a total:
#   unit: N passed, N failed[, N skipped]
# A binary that crashes or exits non-zero after its last "ok" (a sanitizer report, a leak)
# counts its unreported tests, or else one test, as failed.
# Usage: scripts/run-unit.sh BIN...   (UNIT_TIMEOUT: seconds per binary, default 600)
set -u
pass=0; fail=0; skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for bin in "$@"; do
  echo "-- $bin"
  CMOCKA_MESSAGE_OUTPUT=TAP timeout "${UNIT_TIMEOUT:-600}" "$bin" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out"
  if [ -s "$tmp/err" ]; then sed 's/^/# stderr: /' "$tmp/err"; fi
  planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/out" | head -1)
  # cmocka's TAP writes a skipped test as "not ok N # SKIP name" (TAP's own as "ok N # skip")
  p=$(grep -cE '^ok [0-9]+' "$tmp/out")
  s_ok=$(grep -ciE '^ok [0-9]+.*# *skip' "$tmp/out")
  s_not=$(grep -ciE '^not ok [0-9]+.*# *skip' "$tmp/out")
  f=$(grep -cE '^not ok [0-9]+' "$tmp/out")
  s=$((s_ok + s_not))
  p=$((p - s_ok))
  f=$((f - s_not))
  missing=$(( ${planned:-0} - p - s - f ))
  [ "$missing" -gt 0 ] && f=$((f + missing))
  if [ -z "$planned" ]; then
    f=$((f + 1))
    echo "not ok - $bin printed no TAP plan (exit status $rc)"
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=$((f + 1))
    echo "not ok - $bin exited with status $rc"
  elif [ "$missing" -gt 0 ]; then
    echo "not ok - $bin stopped after $((planned - missing)) of $planned tests (exit status $rc)"
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
line="unit: $pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
