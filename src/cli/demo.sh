#!/bin/sh
# `npm run demo`: set up this machine (Debian 12, root), start a lab of five hosts, and run the gateway
# and cloud-node playbooks twice each; the second runs must report changed=0 on every host.
#   gw-onprem, gw-cloud   the two ends of the site-to-site IPsec VPN (Libreswan; gw-cloud plays the cloud's gateway)
#   onprem1               an on-prem node: mail relay (smart host) for the cloud nodes, route to the cloud subnet
#   cloudnode001/002      the cloud VMs made to look like on-prem nodes
# Lab hosts share this machine's kernel: what it lacks (`tsplay lab features`) the demo leaves out, and says so.
#   no autofs   cloudnode.yml runs with -e cloudnode_autofs=false: maps and links written, autofs not started
#   no ESP      gateway.yml establishes the IKE SA only; the child (ESP) SA cannot be installed
set -eu
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "npm run demo: run as root (the lab needs namespaces, mounts and a bridge)" >&2; exit 1; }

TSPLAY_SETUP_ONLY=1 .ci/run

tsplay() { node bin/tsplay.js "$@"; }
LAB=${TSPLAY_DEMO_LAB:-demo}
echo; echo "=== lab hosts"
tsplay lab up --name "$LAB" --sudo mixed gw-onprem gw-cloud onprem1 cloudnode001 cloudnode002
INV=$(tsplay lab inventory --name "$LAB" --path)

# what the kernel lacks: leave out what needs it (and say so)
echo; echo "=== kernel features (tsplay lab features)"
tsplay lab features || true
CLOUDNODE_VARS=
if ! tsplay lab features autofs >/dev/null; then
  CLOUDNODE_VARS="-e cloudnode_autofs=false"
  echo "demo: this kernel has no autofs: cloudnode.yml runs with $CLOUDNODE_VARS, so the automount maps and links"
  echo "      are written and autofs is enabled at boot, but the automounter is not started (nothing is mounted on /lab)"
fi
if ! tsplay lab features xfrm >/dev/null; then
  echo "demo: this kernel has no IPsec ESP (xfrm): gateway.yml establishes the VPN's IKE SA only, the child (ESP) SA"
  echo "      cannot be installed (pluto logs 'Protocol not supported')"
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for pb in gateway cloudnode; do
  vars=; [ "$pb" = cloudnode ] && vars=$CLOUDNODE_VARS
  # $vars is unquoted on purpose: zero words or "-e cloudnode_autofs=false"
  echo; echo "=== first run: tsplay run playbooks/$pb.yml -i $INV -i inventory/lab/${vars:+ $vars}"
  tsplay run "playbooks/$pb.yml" -i "$INV" -i inventory/lab/ $vars || { echo "demo: first run of $pb.yml failed" >&2; exit 1; }
  echo; echo "=== second run of playbooks/$pb.yml (must change nothing)"
  tsplay run "playbooks/$pb.yml" -i "$INV" -i inventory/lab/ $vars | tee "$out"
  if grep -E 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]' "$out" >/dev/null; then
    echo "demo: the second run of $pb.yml changed something" >&2; exit 1
  fi
done

echo; echo "=== what the hosts look like now"
tsplay lab exec --name "$LAB" cloudnode001 'uname -n; grep -v "^#" /etc/resolv.conf; grep "^DS" /etc/mail/sendmail.cf; id user'
if [ -z "$CLOUDNODE_VARS" ]; then
  tsplay lab exec --name "$LAB" cloudnode001 'touch /lab/scratch/demo && grep " /lab/scratch " /proc/mounts'
else
  tsplay lab exec --name "$LAB" cloudnode001 'grep -v "^#" /etc/auto.master.d/lab.autofs /etc/auto.lab'
fi
tsplay lab exec --name "$LAB" gw-onprem 'ipsec showstates 2>/dev/null | grep -m1 -o "ESTABLISHED_IKE_SA\|established IKE SA" || ipsec status | grep -m1 established'
echo
echo "demo: second runs changed=0 on every host."
[ -z "$CLOUDNODE_VARS" ] || echo "demo: left out (no autofs in this kernel): starting the automounter (cloudnode_autofs=false)"
echo "Look around:  node bin/tsplay.js lab exec --name $LAB cloudnode001      (a root shell in the host)"
echo "Clean up:     node bin/tsplay.js lab down --name $LAB"
