#!/usr/bin/env bash
# Installs, from Debian bookworm packages, what berth needs to build and test.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: build; bench adds wrk)
# Installs only what is missing; safe to run again.
set -euo pipefail
mode=${1:-build}

build_pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
  libsodium-dev libcurl4-openssl-dev libssh-dev libgit2-dev libarchive-dev libzstd-dev
  libssl-dev curl python3 git openssh-client)
# clang and libclang-rt-14-dev (libFuzzer, the sanitizers' runtimes): the fuzz targets (make fuzz)
test_pkgs=(libcmocka-dev python3-pytest python3-pytest-xdist python3-requests openssh-server
  docker.io debootstrap nginx-light libnginx-mod-http-lua curl ca-certificates chromium prometheus clang
  libclang-rt-14-dev openssl pebble)
# the web console's build (web/): Debian's Node.js and npm, unless a node and an npm are
# already installed (another Node.js package brings its own npm, which Debian's would conflict with)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  build_pkgs+=(nodejs npm)
fi

want=("${build_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")
[ "$mode" = bench ] && want+=("${test_pkgs[@]}" wrk)

# the tests' npm packages (test and bench): s3rver, an S3-compatible server for the backup
# target tests, pinned in tests/s3rver/package-lock.json; installed again when the lock changed
npm_test_deps() {
  [ "$mode" = test ] || [ "$mode" = bench ] || return 0
  command -v npm >/dev/null 2>&1 || return 0
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/s3rver"
  [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return 0
  echo "install-deps: npm ci in tests/s3rver"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  npm_test_deps
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_test_deps
