#!/usr/bin/env bash
# Builds the lab's base image: a freshly installed Debian 12 server, nothing more.
# systemd as PID 1, openssh-server, sudo, python3, ca-certificates and an `admin`
# user who logs in with an SSH key (added per lab host when it is created) and
# becomes root through sudo. Nothing that the roles install.
#
# Usage: build.sh IMAGE_TAG
# The tag carries a hash of this folder, so the Makefile rebuilds only when the
# recipe changes. Packages come from this machine's own Debian sources.
set -euo pipefail

tag=${1:?usage: build.sh IMAGE_TAG}
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

if podman image exists "$tag"; then
  echo "lab image $tag is up to date"
  exit 0
fi

# Use the machine's configured Debian mirror; mmdebstrap pastes a sources file as is.
sources=()
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ]; then sources=("$f"); break; fi
done

rootfs=$(mktemp -d /var/tmp/lab-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

mmdebstrap --variant=minbase --mode=root --format=directory \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,python3,ca-certificates,iproute2,procps,netbase,less,curl \
  --customize-hook="$here/customize.sh \"\$1\"" \
  bookworm "$rootfs" "${sources[@]}"

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --message "flask-lab base image from $here" \
  - "$tag"
# Drop older builds of the same image so the cache does not grow without end.
repo=${tag%:*}
podman images --format '{{.Repository}}:{{.Tag}}' \
  | grep "^${repo}:" | grep -vx "$tag" | xargs -r podman rmi --force >/dev/null || true
echo "built lab image $tag"
