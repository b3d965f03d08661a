#!/usr/bin/env bash
# cut-ssh-after-switch.sh MOVED_CONTAINER CUT_CONTAINER: waits (at most 300 s)
# until the app host in MOVED_CONTAINER serves another release, then stops the
# SSH server of CUT_CONTAINER and ends its sessions: to Ansible that host is now
# unreachable, in the middle of the rollout. Lab only.
set -euo pipefail
moved=$1 cut=$2
was=$(podman exec "$moved" readlink /srv/flaskapp/current)
deadline=$((SECONDS + 300))
while [ "$(podman exec "$moved" readlink /srv/flaskapp/current)" = "$was" ]; do
  [ $SECONDS -lt $deadline ] || { echo "no switch on $moved in 300 s" >&2; exit 1; }
  sleep 0.2
done
podman exec "$cut" bash -c 'systemctl stop ssh.service; pkill -f "sshd: admin" || true'
echo "cut SSH of $cut after $moved moved from $was"
