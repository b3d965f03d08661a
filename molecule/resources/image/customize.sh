#!/usr/bin/env bash
# mmdebstrap customize hook: turns the bootstrapped tree into a "fresh install".
# $1 is the root of the new tree.
set -euo pipefail
root=${1:?root folder}

# The administrator account an installer would have made: key login, sudo.
# '*' means "no password" rather than "locked", so key logins work whatever
# sshd's UsePAM says.
chroot "$root" useradd --create-home --shell /bin/bash --groups sudo admin
chroot "$root" usermod --password '*' admin
install -d -m 0700 -o 1000 -g 1000 "$root/home/admin/.ssh"
printf 'admin ALL=(ALL:ALL) NOPASSWD: ALL\n' > "$root/etc/sudoers.d/admin"
chmod 0440 "$root/etc/sudoers.d/admin"

# Every host gets its own SSH host keys on first boot, as a real install does.
rm -f "$root"/etc/ssh/ssh_host_*
cat > "$root/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys on first boot
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable ssh-host-keys.service ssh.service

# systemd makes a machine id on first boot.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# Units that have no meaning in a container and would mark the system degraded.
for unit in systemd-remount-fs.service getty.target console-getty.service \
  systemd-firstboot.service; do
  chroot "$root" systemctl mask "$unit" >/dev/null 2>&1 || true
done

# A container cannot set up user namespaces: a unit that asks for them
# (PrivateUsers=, as trixie's redis-server does) fails with status 217/USER.
# Lab hosts run every service without them, as a kernel without user
# namespaces would; bare metal keeps each unit's own setting.
install -d "$root/etc/systemd/system/service.d"
printf '[Service]\nPrivateUsers=no\n' > "$root/etc/systemd/system/service.d/10-lab-no-user-namespaces.conf"

# apt's daily timers download package lists and install updates at a random
# moment after boot. A lab host lives for one test run, and a check that
# "nothing changed on the host" (labtest.Marker) would see their writes as the
# playbook's. The roles' unattended-upgrades settings are still checked, and
# `unattended-upgrade --dry-run` runs, in the lab scenario.
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer >/dev/null

# A small image: no package lists or downloaded packages inside it.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
