#!/bin/bash
# PID 1 of a tsplay lab host (no systemd). Starts the services in /etc/lab/services via their
# init.d scripts, reaps orphans, stops them on SIGTERM. Installed as /usr/local/sbin/lab-init.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
hostname "$(cat /etc/hostname)"
mkdir -p /run/lock /run/sshd /var/log
ln -sf /proc/self/mounts /etc/mtab 2>/dev/null || true
touch /run/utmp
# /etc/lab/services: init.d scripts to start at "boot" (default: ssh);
# the single word "rc2" means: every enabled service (/etc/rc2.d/S*), like sysvinit would
SERVICES=$(grep -v '^#' /etc/lab/services 2>/dev/null || echo ssh)
[ "$SERVICES" = rc2 ] && SERVICES=$(ls /etc/rc2.d 2>/dev/null | sed -n 's/^S[0-9][0-9]//p')
for s in $SERVICES; do /etc/init.d/$s start >>/var/log/lab-init.log 2>&1; done
echo "lab-init: up $(date +%s.%N)" >>/var/log/lab-init.log
stop() {
  for s in $SERVICES; do /etc/init.d/$s stop >>/var/log/lab-init.log 2>&1; done
  kill -TERM -1 2>/dev/null; sleep 0.5; kill -KILL -1 2>/dev/null; exit 0
}
trap stop TERM INT
# bash reaps every child (also re-parented orphans) in its SIGCHLD handler
while :; do sleep 3600 & wait $!; done
