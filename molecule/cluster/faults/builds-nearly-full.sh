#!/usr/bin/env bash
# builds-nearly-full.sh CONTAINER on|off: puts the app host's builds folder on
# a tmpfs with 30 MB to spare (a build of the app takes about 65 MB), with the
# builds copied in so the one serving stays; off unmounts it. Lab only.
set -euo pipefail
container=$1 action=$2
case $action in
  on) podman exec "$container" bash -euo pipefail -c '
        cd /srv/flaskapp
        used=$(du -sm builds | cut -f1)
        rm -rf /var/tmp/builds && cp -a builds /var/tmp/builds
        mount -t tmpfs -o size=$((used + 30))m,mode=0755 tmpfs builds
        cp -a /var/tmp/builds/. builds/
        df -m builds | tail -n 1' ;;
  off) podman exec "$container" bash -euo pipefail -c 'umount -l /srv/flaskapp/builds; rm -rf /var/tmp/builds' ;;
  *) echo "usage: $0 CONTAINER on|off" >&2; exit 2 ;;
esac
