#!/usr/bin/env bash
# Creates the local Debian base image berth/base:bookworm (no registry needed):
#   debootstrap --variant=minbase bookworm <tmp> <mirror>  ->  tar | docker import
# The mirror is the host's apt mirror (first URIs: of debian.sources, else the deb line of
# sources.list, else http://deb.debian.org/debian); the image's /etc/apt/sources.list points at
# the same mirror (bookworm, bookworm-updates, and bookworm-security when the host has one).
# Idempotent: exits at once when the image exists (BERTH_BASE_REBUILD=1 forces a rebuild).
# Needs root, docker and debootstrap. berthd builds the same tag for its own images.
set -euo pipefail

IMAGE=${BERTH_BASE_IMAGE:-berth/base:bookworm}
SUITE=bookworm
DOCKER=${DOCKER:-docker}

log() { echo "build-base: $*" >&2; }

exists() { "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; }

if [ "${BERTH_BASE_REBUILD:-0}" != 1 ] && exists; then
  "$DOCKER" image inspect -f '{{.Id}}' "$IMAGE"
  exit 0
fi

command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || {
  log "debootstrap is not installed (scripts/install-deps.sh test installs it)"; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || { log "must run as root (debootstrap)"; exit 1; }

# Serialize concurrent builds (tests and berthd may both want the base image).
lockfile=${BERTH_BASE_LOCK:-/tmp/berth-base-bookworm.lock}
exec 9>"$lockfile"
flock 9
if [ "${BERTH_BASE_REBUILD:-0}" != 1 ] && exists; then   # built by whoever held the lock
  "$DOCKER" image inspect -f '{{.Id}}' "$IMAGE"
  exit 0
fi

# --- mirrors from the host's apt configuration -------------------------------------------
mirror="" security=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  # deb822: stanzas separated by blank lines; take URIs of the first stanza, and the URIs of a
  # stanza whose Suites mention -security.
  read -r mirror security < <(awk '
    BEGIN { RS=""; FS="\n" }
    {
      uri=""; suites=""; types=""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^[Uu][Rr][Ii][Ss]:/)   { sub(/^[^:]*:[ \t]*/, "", $i); split($i, a, /[ \t]+/); uri = a[1] }
        if ($i ~ /^[Ss]uites:/)          { sub(/^[^:]*:[ \t]*/, "", $i); suites = $i }
        if ($i ~ /^[Tt]ypes:/)           { sub(/^[^:]*:[ \t]*/, "", $i); types = $i }
      }
      if (uri == "" || types !~ /(^|[ \t])deb([ \t]|$)/) next
      if (suites ~ /-security/) { if (sec == "") sec = uri }
      else if (main == "") main = uri
    }
    END { print (main == "" ? "-" : main), (sec == "" ? "-" : sec) }' \
    /etc/apt/sources.list.d/debian.sources)
  [ "$mirror" = - ] && mirror=""
  [ "$security" = - ] && security=""
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  # deb [options] URI suite components
  mirror=$(awk '$1 == "deb" && $0 !~ /-security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  security=$(awk '$1 == "deb" && $0 ~ /-security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
mirror=${BERTH_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
mirror=${mirror%/}
security=${security%/}
log "mirror $mirror${security:+, security $security}"

# --- debootstrap ------------------------------------------------------------------------
tmp=$(mktemp -d /var/tmp/berth-base.XXXXXX)
cleanup() { rm -rf --one-file-system "$tmp"; }
trap cleanup EXIT
root="$tmp/rootfs"
start=$(date +%s)
log "debootstrap --variant=minbase $SUITE into $root (log: $tmp/debootstrap.log)"
if ! debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
  log "debootstrap failed"
  exit 1
fi

# --- apt configuration inside the image ---------------------------------------------------
{
  echo "deb $mirror $SUITE main"
  echo "deb $mirror $SUITE-updates main"
  [ -n "$security" ] && echo "deb $security $SUITE-security main"
} >"$root/etc/apt/sources.list"
rm -f "$root/etc/apt/sources.list.d/"*.sources "$root/etc/apt/sources.list.d/"*.list
# Like the official debian images: no caches left by apt, no recommends, no translations.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$root/etc/apt/apt.conf.d/docker-no-recommends" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"

# --- clean up ----------------------------------------------------------------------------
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/* \
  "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
  "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/* "$root"/debootstrap
# Files Docker provides at run time; do not leak the host's.
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"
rm -f "$root/etc/machine-id" && : >"$root/etc/machine-id"
mkdir -p "$root/var/lib/apt/lists/partial"

# --- import --------------------------------------------------------------------------------
log "docker import $IMAGE"
tar --numeric-owner --xattrs -C "$root" -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  --change "LABEL org.berth.base.suite=$SUITE org.berth.base.mirror=$mirror" \
  - "$IMAGE" >/dev/null
log "done in $(( $(date +%s) - start ))s"
"$DOCKER" image inspect -f '{{.Id}}' "$IMAGE"
