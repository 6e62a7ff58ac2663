#!/usr/bin/env bash
# Builds berth's IDE stand-in image berth-test/ide:1 (berth/base:bookworm first, as the Odoo
# stand-in does). Idempotent: a rebuild is served from docker's cache. Prints the image id.
# Env: IDE_STANDIN_IMAGE, DOCKER.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=${DOCKER:-docker}
IMAGE=${IDE_STANDIN_IMAGE:-berth-test/ide:1}

"$here/../odoo-standin/build-base.sh" >/dev/null

exec 9>"${STANDIN_LOCK:-/tmp/berth-ide-standin-build.lock}"
flock 9
log=$(mktemp)
trap 'rm -f "$log"' EXIT
old=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
if ! DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} "$DOCKER" build -t "$IMAGE" "$here" >"$log" 2>&1; then
  cat "$log" >&2
  echo "build.sh: docker build of $IMAGE failed" >&2
  exit 1
fi
new=$("$DOCKER" image inspect -f '{{.Id}}' "$IMAGE")
if [ -n "$old" ] && [ "$old" != "$new" ] &&
   [ "$("$DOCKER" image inspect -f '{{len .RepoTags}}' "$old" 2>/dev/null)" = 0 ]; then
  "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
fi
echo "$new"
