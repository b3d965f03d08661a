#!/usr/bin/env bash
# cut-ssh-after-switch.sh MOVED_CONTAINER CUT_CONTAINER READY_FILE: notes the
# release MOVED_CONTAINER's app host serves, touches READY_FILE, then waits (at
# most 300 s) until that host serves another release, and stops the SSH server
# of CUT_CONTAINER and ends its sessions: to Ansible that host is now
# unreachable, in the middle of the rollout. Prints the time of the cut (epoch
# seconds) on its last line. Lab only.
set -euo pipefail
moved=$1 cut=$2 ready=$3
was=$(podman exec "$moved" readlink /srv/flaskapp/current)
touch "$ready"
deadline=$((SECONDS + 300))
while [ "$(podman exec "$moved" readlink /srv/flaskapp/current)" = "$was" ]; do
  [ $SECONDS -lt $deadline ] || { echo "no switch on $moved in 300 s" >&2; exit 1; }
  sleep 0.2
done
# A session's process is "sshd: admin..." up to OpenSSH 9 (Debian 12) and
# "sshd-session: admin..." from OpenSSH 10 (Debian 13).
podman exec "$cut" bash -c 'systemctl stop ssh.service; pkill -f "^sshd[-a-z]*: admin" || true'
echo "cut SSH of $cut after $moved moved from $was"
date +%s.%N
