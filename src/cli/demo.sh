#!/bin/sh
# `npm run demo`: set up this machine (Debian 12, root), start a lab of three hosts, and run the
# cloud-node playbook twice; the second run must report changed=0 on every host.
#   onprem1        plays the on-prem side (mail relay / smart host, DNS address)
#   cloudnode001/2 the cloud VMs made to look like on-prem nodes
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "npm run demo: run as root (the lab needs namespaces, mounts and a bridge)" >&2; exit 1; }

TSPLAY_SETUP_ONLY=1 .ci/run

tsplay() { node bin/tsplay.js "$@"; }
LAB=demo
echo; echo "=== lab hosts"
tsplay lab up --name "$LAB" --sudo mixed onprem1 cloudnode001 cloudnode002
INV=$(tsplay lab inventory --name "$LAB" --path)

echo; echo "=== first run: tsplay run playbooks/cloudnode.yml -i $INV -i inventory/lab/"
tsplay run playbooks/cloudnode.yml -i "$INV" -i inventory/lab/ || { echo "first run failed" >&2; exit 1; }

echo; echo "=== second run (must change nothing)"
out=$(mktemp)
tsplay run playbooks/cloudnode.yml -i "$INV" -i inventory/lab/ | tee "$out"
if grep -E 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]' "$out" >/dev/null; then
  echo "demo: the second run changed something" >&2; rm -f "$out"; exit 1
fi
rm -f "$out"
echo
echo "demo: second run changed=0 on every host."
echo "Look around:  tsplay lab exec --name $LAB cloudnode001 'uname -n; cat /etc/resolv.conf'   (tsplay = node bin/tsplay.js)"
echo "Clean up:     node bin/tsplay.js lab down --name $LAB"
