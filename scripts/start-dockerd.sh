#!/usr/bin/env bash
# Starts dockerd in the background when no Docker Engine answers on /var/run/docker.sock,
# and waits (bounded) until it does. Log: /tmp/berth-dockerd.log.
# Exit status: 0 when the Engine answers, 1 otherwise (not installed, did not start).
set -u
sock=/var/run/docker.sock
wait_s=${BERTH_DOCKERD_WAIT:-60}
ping() {
  if command -v curl >/dev/null 2>&1; then
    curl -sf --max-time 3 --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1
  else
    timeout 5 docker info >/dev/null 2>&1
  fi
}
ping && exit 0
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd is not installed" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-dockerd: no Docker Engine answers on $sock, and starting one needs root" >&2
  exit 1
fi
if pgrep -x dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd is running but does not answer yet; waiting"
else
  echo "start-dockerd: starting dockerd (log: /tmp/berth-dockerd.log)"
  # its own session, so that stopping the caller does not stop the Engine
  setsid nohup dockerd >>/tmp/berth-dockerd.log 2>&1 </dev/null &
fi
for _ in $(seq "$wait_s"); do
  ping && { echo "start-dockerd: Docker Engine is up"; exit 0; }
  sleep 1
done
echo "start-dockerd: dockerd did not answer within $wait_s s; end of its log:" >&2
tail -20 /tmp/berth-dockerd.log >&2
exit 1
