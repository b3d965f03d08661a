#!/usr/bin/env bash
# Builds the lab's base image: a freshly installed Debian server (12 bookworm or
# 13 trixie, from the same recipe), nothing more.
# systemd as PID 1, openssh-server, sudo, python3, ca-certificates and an `admin`
# user who logs in with an SSH key (added per lab host when it is created) and
# becomes root through sudo. Nothing that the roles install.
#
# Usage: build.sh CODENAME IMAGE_TAG
# The tag carries the release and a hash of this folder, so the lab rebuilds
# only when the recipe changes. Packages come from this machine's own Debian
# mirror, with the suites renamed for the release; through the lab's package
# cache when LAB_APT_CACHE_PORT names it.
set -euo pipefail

codename=${1:?usage: build.sh CODENAME IMAGE_TAG}
tag=${2:?usage: build.sh CODENAME IMAGE_TAG}
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

# Scenarios may run in parallel lanes (make molecule): one build at a time,
# and a lane that waited finds the image the other one built.
exec 9>/var/lock/flask-lab-image.lock
flock 9

if podman image exists "$tag"; then
  echo "lab image $tag is up to date"
  exit 0
fi

rootfs=$(mktemp -d /var/tmp/lab-rootfs.XXXXXX)
work=$(mktemp -d /var/tmp/lab-sources.XXXXXX)
trap 'rm -rf "$rootfs" "$work"' EXIT

# The machine's configured Debian mirror, its suites renamed for the release
# (bookworm, bookworm-updates, bookworm-security -> trixie...). mmdebstrap
# pastes the sources file as is, so the image's apt uses the same mirror.
sources=()
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ]; then
    host_codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    sed "s/\b${host_codename}\b/${codename}/g" "$f" > "$work/$(basename "$f")"
    sources=("$work/$(basename "$f")")
    break
  fi
done
aptopts=()
if [ -n "${LAB_APT_CACHE_PORT:-}" ]; then
  aptopts=(--aptopt="Acquire::http::Proxy \"http://127.0.0.1:${LAB_APT_CACHE_PORT}\"")
fi

mmdebstrap --variant=minbase --mode=root --format=directory \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,python3,ca-certificates,iproute2,procps,netbase,less,curl \
  --customize-hook="$here/customize.sh \"\$1\"" \
  "${aptopts[@]}" "$codename" "$rootfs" "${sources[@]}"

# The build's own apt settings (the cache on this machine's loopback) stay out
# of the image; lab hosts get theirs when they are created.
rm -f "$rootfs/etc/apt/apt.conf.d/99mmdebstrap"

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --message "flask-lab base image ($codename) from $here" \
  - "$tag"
# Drop older builds of the same release so the cache does not grow without end.
repo=${tag%:*}
podman images --format '{{.Repository}}:{{.Tag}}' \
  | grep -E "^${repo}:(${codename}-)?[0-9a-f]{12}$" | grep -vx "$tag" | xargs -r podman rmi --force >/dev/null || true
echo "built lab image $tag"
