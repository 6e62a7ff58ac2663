#!/usr/bin/env bash
# Starts dockerd in the background when no Docker Engine answers on /var/run/docker.sock.
set -u
ping() { curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1; }
ping && exit 0
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd is not installed" >&2
  exit 1
fi
echo "start-dockerd: starting dockerd (log: /tmp/berth-dockerd.log)"
nohup dockerd >/tmp/berth-dockerd.log 2>&1 &
for _ in $(seq 60); do ping && exit 0; sleep 1; done
echo "start-dockerd: dockerd did not answer within 60 s" >&2
tail -20 /tmp/berth-dockerd.log >&2
exit 1
