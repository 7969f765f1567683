#!/bin/bash
# Runs a rendered deploy script as Cloud Assistant would (root, bash), inside a
# private mount namespace, with the host's state on throw-away file systems and
# the programs that would touch the machine replaced by recorders.
#   run-deploy.sh SCRIPT STATE_DIR BUNDLE [RUNS]
# STATE_DIR gets: opt/ (what the deploy left in /opt), fstab, systemd/ (drop-ins),
# etc/ (the copy of /etc the deploy ran with), after.N/ilogtail (Logtail's ids),
# after.N/ (a copy of those after run N),
# log (one line per stubbed call), exit codes in rc.N, output in out.N.
# The caller runs it under `unshare -m`; nothing outside STATE_DIR changes.
set -euo pipefail
script=$1 state=$2 bundle=$3 runs=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
mount --make-rprivate /
mkdir -p "$state/opt" "$state/docker" "$state/systemd" "$state/disk" "$state/fs"
touch "$state/fstab" "$state/log"
mount --bind "$state/opt" /opt
# /etc is a copy: what the deploy writes there (Logtail's ids, its init script)
# stays in STATE_DIR/etc.
cp -a /etc "$state/etc"
mount --bind "$state/etc" /etc
mkdir -p "$state/log-dir"
mount --bind "$state/log-dir" /var/log
# A host that already runs Logtail, for other stacks with these ids.
if [ -n "${SANDBOX_LOGTAIL_IDS:-}" ]; then
  mkdir -p /etc/ilogtail
  printf '%s\n' "$SANDBOX_LOGTAIL_IDS" > /etc/ilogtail/user_defined_id
  install -m 755 "$here/stubs/ilogtaild" /etc/init.d/ilogtaild
fi
[ -d /var/lib/docker ] || { mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/docker; }
mount --bind "$state/docker" /var/lib/docker
mount --bind "$state/systemd" /etc/systemd/system
mount --bind "$state/fstab" /etc/fstab
# nginx's certificate and key where the golden cases keep them, unless the test
# wants them missing.
cp /etc/ssl/openssl.cnf "$state/openssl.cnf"
mount -t tmpfs tmpfs /etc/ssl
cp "$state/openssl.cnf" /etc/ssl/openssl.cnf
if [ -z "${SANDBOX_TLS_MISSING:-}" ]; then
  mkdir -p /etc/ssl/future
  echo 'sandbox certificate' > /etc/ssl/future/fullchain.pem
  echo 'sandbox key' > /etc/ssl/future/privkey.pem
fi
# The data disk: a device node stand-in, linked under /dev/disk/by-id by serial.
mkdir -p /dev/disk
mount -t tmpfs tmpfs /dev/disk
mkdir -p /dev/disk/by-id
touch "$state/disk/vdb"
if [ -n "${SANDBOX_DISK_SERIAL:-}" ]; then
  ln -s "$state/disk/vdb" "/dev/disk/by-id/${SANDBOX_DISK_LINK:-virtio}-$SANDBOX_DISK_SERIAL"
fi
export SANDBOX_STATE=$state SANDBOX_BUNDLE=$bundle SANDBOX_STUBS=$here/stubs
export PATH="$here/stubs:$PATH"
for i in $(seq 1 "$runs"); do
  echo "--- run $i" >> "$state/log"
  set +e
  bash "$script" > "$state/out.$i" 2>&1
  echo $? > "$state/rc.$i"
  set -e
  # What the host looks like after this run.
  mkdir -p "$state/after.$i"
  cp -a "$state/opt" "$state/systemd" "$state/docker" "$state/fstab" "$state/after.$i/"
  if [ -d /etc/ilogtail ]; then cp -a /etc/ilogtail "$state/after.$i/ilogtail"; fi
done
