#!/usr/bin/env bash
# releases-nearly-full.sh CONTAINER on|off: puts the app host's releases folder
# on a tmpfs with 30 MB to spare (a release of the app takes about 65 MB), with
# the releases copied in so the one serving stays; off unmounts it. Lab only.
set -euo pipefail
container=$1 action=$2
case $action in
  on) podman exec "$container" bash -euo pipefail -c '
        cd /srv/flaskapp
        used=$(du -sm releases | cut -f1)
        rm -rf /var/tmp/releases && cp -a releases /var/tmp/releases
        mount -t tmpfs -o size=$((used + 30))m,mode=0755 tmpfs releases
        cp -a /var/tmp/releases/. releases/
        df -m releases | tail -n 1' ;;
  off) podman exec "$container" bash -euo pipefail -c 'umount -l /srv/flaskapp/releases; rm -rf /var/tmp/releases' ;;
  *) echo "usage: $0 CONTAINER on|off" >&2; exit 2 ;;
esac
