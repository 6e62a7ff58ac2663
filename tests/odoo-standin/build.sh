#!/usr/bin/env bash
# Builds berth's Odoo stand-in image: berth/base:bookworm first (build-base.sh), then
# berth-test/odoo:{16.0,17.0,18.0,19.0} (one image per tag, differing only in ODOO_VERSION;
# every other layer is shared). Idempotent: a rebuild is served from docker's cache.
# Prints the image id of berth-test/odoo:18.0. Env: STANDIN_VERSIONS, STANDIN_IMAGE, DOCKER.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=${DOCKER:-docker}
REPO=${STANDIN_IMAGE:-berth-test/odoo}
VERSIONS=${STANDIN_VERSIONS:-"16.0 17.0 18.0 19.0"}

"$here/build-base.sh" >/dev/null

exec 9>"${STANDIN_LOCK:-/tmp/berth-standin-build.lock}"
flock 9
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for v in $VERSIONS; do
  old=$("$DOCKER" image inspect -f '{{.Id}}' "$REPO:$v" 2>/dev/null || true)
  # The legacy builder is enough (and is what Debian's docker.io uses without buildx).
  if ! DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} "$DOCKER" build --build-arg "ODOO_VERSION=$v" \
       -t "$REPO:$v" "$here" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: docker build of $REPO:$v failed" >&2
    exit 1
  fi
  # drop the image this tag pointed to before, once nothing else names or uses it
  new=$("$DOCKER" image inspect -f '{{.Id}}' "$REPO:$v")
  if [ -n "$old" ] && [ "$old" != "$new" ] &&
     [ "$("$DOCKER" image inspect -f '{{len .RepoTags}}' "$old" 2>/dev/null)" = 0 ]; then
    "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
  fi
done
main=18.0
case " $VERSIONS " in *" 18.0 "*) ;; *) main=${VERSIONS##* } ;; esac
"$DOCKER" image inspect -f '{{.Id}}' "$REPO:$main"
