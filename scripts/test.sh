#!/usr/bin/env bash
# make test: builds, runs the unit tests (plain and ASan+UBSan) and the integration suite
# against the real berthd, Docker Engine, sshd and nginx. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0; total_skip=0
add() { total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + ${3:-0})); }
jobs=$(nproc 2>/dev/null || echo 2)

unit_run() { # BUILD
  local build=$1 log
  log=$(mktemp)
  make -s BUILD="$build" ${2:-} -j"$jobs" unit >"$log" 2>&1
  cat "$log"
  local line
  line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ -z "$line" ]; then add 0 1; echo "unit tests in $build did not run"; else
    add "$(echo "$line" | awk '{print $2}')" "$(echo "$line" | awk '{print $4}')"; fi
  rm -f "$log"
}

echo "== build"
if ! make -s -j"$jobs" all; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi
echo "== unit tests"
unit_run build
echo "== unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=0 unit_run build/asan "SAN=1"

echo "== integration tests"
scripts/start-dockerd.sh || echo "no Docker Engine: Docker tests will be skipped"
xml=$(mktemp)
/usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$xml" tests/integration
read -r p f s < <(/usr/bin/python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
suites = [r] if r.tag == "testsuite" else list(r)
t = sum(int(x.get("tests", 0)) for x in suites)
f = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
s = sum(int(x.get("skipped", 0)) for x in suites)
print(t - f - s, f, s)
PY
) || { p=0; f=1; s=0; }
add "$p" "$f" "$s"
rm -f "$xml"

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
