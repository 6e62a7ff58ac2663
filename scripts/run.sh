#!/usr/bin/env bash
# make run: starts berthd in the foreground with its embedded store.
set -eu
cd "$(dirname "$0")/.."
if command -v dockerd >/dev/null 2>&1; then
  scripts/start-dockerd.sh || echo "run: no Docker Engine: environments cannot be deployed here"
fi
data=${BERTH_DATA:-./berth-data}
listen=${BERTH_LISTEN:-127.0.0.1:8400}
if [ -f web/dist/index.html ]; then
  console="the web console on http://$listen/ (first run: it asks for the administrator)"
else
  console="no web console (web/dist is not built: make needs node and npm)"
fi
cat <<MSG
berthd: data in $data, API on http://$listen/api/v1, $console
First run: create the administrator and the first organization in the console, or:
  build/berth setup --url http://$listen --email you@example.com --organization "My Company"
or
  curl -s -X POST http://$listen/api/v1/setup -H 'Content-Type: application/json' \\
       -d '{"email": "you@example.com", "password": "a long password", "organization": "My Company"}'
MSG
args=(--data "$data" --listen "$listen" --register-local)
# git repositories by local path are refused unless berthd is told where they may live
[ -n "${BERTH_GIT_LOCAL_ROOT:-}" ] && args+=(--git-local-root "$BERTH_GIT_LOCAL_ROOT")
exec build/berthd "${args[@]}"
