#!/usr/bin/env bash
# make test: builds, runs the layering check (scripts/check-layers.sh), the cmocka unit tests (plain, then under ASan+UBSan), the
# fuzz targets briefly (scripts/fuzz.sh, each target one test), the pytest
# integration suite against the real berthd (with Docker Engine, sshd and nginx where the
# tests need them), and the control-plane integration tests again against the ASan build.
# The last line is "N passed, N failed" (", N skipped" when some were); the exit status is
# non-zero when anything failed.
#
# Environment:
#   BERTH_ASAN_INTEGRATION   pytest arguments for the ASan pass (default: every test file
#                            but test_standin.py, test_console.py and test_neutralize_versions.py:
#                            no C of their own); "none" skips it, "all" runs everything
#   BERTH_TEST_TIMEOUT       seconds allowed for the plain pytest run (default 1500; the
#                            ASan pass gets BERTH_ASAN_TIMEOUT, default 1200)
#   PYTEST_ARGS              extra arguments for every pytest run (e.g. "-x" or "-k auth")
#   BERTH_TEST_WORKERS       pytest-xdist workers per pytest run (default 3: the test files
#                            are shared out, each file's tests stay in one worker; the tests
#                            mostly wait on Docker, so 3 beat 2 on 2 cores); 1: none
#   BERTH_FUZZ_SECONDS       seconds each fuzz target runs (default 6; 0 skips the fuzz targets)
set -u
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0; total_skip=0
add() { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + ${3:-0})); }
summary() {
  local line="$total_pass passed, $total_fail failed"
  [ "$total_skip" -gt 0 ] && line="$line, $total_skip skipped"
  echo "$line"
}
jobs=$(nproc 2>/dev/null || echo 2)
t_start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t_start ))s"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3

# LeakSanitizer needs ptrace-like access that some containers deny: use it when it works.
asan_options() {
  local base="abort_on_error=0:halt_on_error=1:print_summary=1"
  if [ -x build/asan/tests/test_errors ] &&
     ASAN_OPTIONS="detect_leaks=1" build/asan/tests/test_errors >/dev/null 2>&1; then
    echo "$base:detect_leaks=1"
  else
    echo "$base:detect_leaks=0"
  fi
}

# Builds each unit test binary on its own (a test file that does not compile counts as one
# failure and does not hide the others), then runs those that built.
unit_run() { # BUILD [SAN]
  local build=$1 san=${2:-} bins=() src bin p f s line
  if ! make -s BUILD="$build" SAN="$san" -j"$jobs" "$build/libberth.a" "$build/libberthd.a"; then
    echo "unit: the libraries do not build in $build"
    add 0 1
    return
  fi
  for src in tests/unit/test_*.c; do
    bin="$build/tests/$(basename "$src" .c)"
    if make -s BUILD="$build" SAN="$san" "$bin"; then
      bins+=("$bin")
    else
      echo "not ok - $src does not build"
      add 0 1
    fi
  done
  [ ${#bins[@]} -eq 0 ] && return
  scripts/run-unit.sh "${bins[@]}" | tee "$tmp/unit.log"
  line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$tmp/unit.log" | tail -1)
  if [ -z "$line" ]; then
    echo "unit tests in $build did not report"
    add 0 1
    return
  fi
  p=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
  add "$p" "$f" "${s:-0}"
}

# Runs pytest with a JUnit report and adds its counts. LABEL, then pytest arguments.
pytest_run() {
  local label=$1 xml="$tmp/junit-$1.xml" counts limit=${BERTH_TEST_TIMEOUT:-1500}
  [ "$label" = asan ] && limit=${BERTH_ASAN_TIMEOUT:-1200}
  shift
  # shellcheck disable=SC2086
  local par=()
  if [ "${BERTH_TEST_WORKERS:-3}" -gt 1 ] && $PY -c "import xdist" 2>/dev/null; then
    par=(-n "${BERTH_TEST_WORKERS:-3}" --dist loadfile)
  fi
  timeout -s INT -k 60 "$limit" \
    $PY -m pytest -q -p no:cacheprovider -o junit_family=xunit2 --junitxml="$xml" \
    --durations=10 "${par[@]}" ${PYTEST_ARGS:-} "$@"
  local rc=$?
  [ $rc -eq 124 ] && echo "pytest ($label) ran out of time"
  counts=$($PY - "$xml" <<'PY' 2>/dev/null
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
suites = [r] if r.tag == "testsuite" else list(r)
t = sum(int(x.get("tests", 0)) for x in suites)
f = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
s = sum(int(x.get("skipped", 0)) for x in suites)
print(t - f - s, f, s)
PY
  )
  if [ -z "$counts" ]; then
    echo "pytest ($label) wrote no report (exit status $rc)"
    add 0 1
    return
  fi
  read -r p f s <<<"$counts"
  # pytest failing with every test passed (an internal error, a timeout): one failure
  if [ $rc -ne 0 ] && [ $rc -ne 5 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "pytest ($label): $p passed, $f failed, $s skipped"
  add "$p" "$f" "$s"
}

echo "== build ($(elapsed))"
if ! make -s -j"$jobs" all; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== layering check ($(elapsed))"
if scripts/check-layers.sh; then add 1 0; else add 0 1; fi

echo "== unit tests ($(elapsed))"
unit_run build

echo "== unit tests under ASan+UBSan ($(elapsed))"
make -s BUILD=build/asan SAN=1 -j"$jobs" build/asan/tests/test_errors >/dev/null 2>&1
ASAN_OPTIONS=$(asan_options)
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS UBSAN_OPTIONS
echo "ASAN_OPTIONS=$ASAN_OPTIONS"
unit_run build/asan 1

# Each libFuzzer target (tests/fuzz, built by clang in build/fuzz) counts as one test; without
# clang they are skipped.
fuzz_run() {
  local n line p f secs=${BERTH_FUZZ_SECONDS:-6}
  n=$(ls tests/fuzz/fuzz_*.c 2>/dev/null | wc -l)
  [ "$n" -eq 0 ] && return
  if [ "$secs" = 0 ] || ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
    echo "fuzz: skipped (BERTH_FUZZ_SECONDS=0 or no clang)"
    add 0 0 "$n"
    return
  fi
  if ! make -s -j"$jobs" fuzz; then
    echo "fuzz: the targets do not build"
    add 0 "$n"
    return
  fi
  scripts/fuzz.sh "$secs" | tee "$tmp/fuzz.log"
  line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$tmp/fuzz.log" | tail -1)
  if [ -z "$line" ]; then
    echo "fuzz: scripts/fuzz.sh did not report"
    add 0 1
    return
  fi
  p=$(echo "$line" | sed -E 's/^fuzz: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^fuzz: [0-9]+ passed, ([0-9]+) failed.*/\1/')
  add "$p" "$f"
}

echo "== fuzz targets ($(elapsed))"
fuzz_run

echo "== integration tests ($(elapsed))"
scripts/start-dockerd.sh || echo "no Docker Engine: the tests that need one are skipped"
pytest_run plain tests/integration

# test_standin.py tests the Odoo stand-in image, not berthd, and test_console.py the console in
# a browser (its API calls are covered by the other files): no need to run them twice
asan_sel=${BERTH_ASAN_INTEGRATION:-"tests/integration --ignore=tests/integration/test_standin.py --ignore=tests/integration/test_console.py --ignore=tests/integration/test_neutralize_versions.py"}
case $asan_sel in
  none) ;;
  *)
    [ "$asan_sel" = all ] && asan_sel=tests/integration
    echo "== integration tests against the ASan+UBSan build ($(elapsed))"
    if make -s BUILD=build/asan SAN=1 -j"$jobs" all; then
      export BERTH_BUILD=$PWD/build/asan
      # shellcheck disable=SC2086
      pytest_run asan $asan_sel
      unset BERTH_BUILD
    else
      echo "the ASan build failed"
      add 0 1
    fi
    ;;
esac

echo "== done in $(elapsed)"
summary
[ "$total_fail" -eq 0 ]
