#!/bin/bash
# The kernel features this machine offers to lab hosts, one line each:  NAME STATE DETAIL
#   STATE  yes      usable now (built in or loaded)
#          module   not in the kernel now, but a loadable module exists (`modprobe -n` finds it)
#          no       neither
#          unknown  could not be probed (no throwaway namespace: not root and no user namespaces)
#
#   features.sh [--load NAME...]
#
# Read-only on this machine: /proc/filesystems, /sys, `modprobe -n` (a dry run). The network features are
# tried in a throwaway network namespace (`unshare --net`) that disappears with the probe, never in the
# machine's own namespace. --load NAME: load the module of a feature whose state is "module" before
# reporting (lab up does it for autofs: a lab host cannot load modules, its CAP_SYS_MODULE is dropped, and
# automount checks /proc/filesystems and runs modprobe itself instead of letting the kernel load it).
# Needs only bash and coreutils (.ci/run prints this before anything is installed); ip, unshare and
# modprobe are used when present.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
KVER=$(uname -r)
# the kernel's list of filesystems (a copy can be named for the unit test of this script)
FILESYSTEMS=${TSPLAY_PROC_FILESYSTEMS:-/proc/filesystems}
LOAD=" "
if [ "${1:-}" = --load ]; then shift; LOAD=" $* "; fi

line() { printf '%-10s %-8s %s\n' "$1" "$2" "$3"; }

in_filesystems() { # FSNAME...: is one of them registered with the kernel?
  local fs
  for fs in "$@"; do awk -v f="$fs" '$NF == f { found = 1 } END { exit !found }' "$FILESYSTEMS" && return 0; done
  return 1
}

loadable() { # MODULE: prints the module name when modprobe can load it (dry run)
  command -v modprobe >/dev/null 2>&1 || return 1
  modprobe -n -q "$1" 2>/dev/null
}

no_module_why() { # MODULES...: why no module can be loaded, for the detail column
  if ! command -v modprobe >/dev/null 2>&1; then echo "no modprobe on this machine"
  elif [ ! -d "/lib/modules/$KVER" ]; then echo "no /lib/modules/$KVER"
  else echo "no module $* for $KVER"; fi
}

# NAME "FS..." "MODULE...": a filesystem feature
fs_feature() {
  local name=$1 fss=$2 mods=$3 m
  # shellcheck disable=SC2086
  if in_filesystems $fss; then line "$name" yes "in /proc/filesystems"; return; fi
  for m in $mods; do
    loadable "$m" || continue
    if [[ "$LOAD" == *" $name "* ]]; then
      # shellcheck disable=SC2086
      if modprobe -q "$m" 2>/dev/null && in_filesystems $fss; then line "$name" yes "module $m loaded for the lab"; return; fi
      line "$name" no "module $m exists but did not load"; return
    fi
    line "$name" module "not loaded; module $m can be loaded"; return
  done
  # shellcheck disable=SC2086
  line "$name" no "not in /proc/filesystems; $(no_module_why $mods)"
}

# A throwaway network namespace for the network probes: as root a plain one, otherwise inside a user
# namespace if the kernel allows them. Prints the unshare prefix, or nothing when neither works.
probe_ns() {
  command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 || return 1
  if [ "$(id -u)" = 0 ] && timeout 5 unshare --net true 2>/dev/null; then echo "unshare --net"
  elif timeout 5 unshare --user --map-root-user --net true 2>/dev/null; then echo "unshare --user --map-root-user --net"
  else return 1; fi
}
NS=$(probe_ns) || NS=

# NAME "WHAT WORKS" "TRIED" "COMMAND" MODULE: a network feature, tried in the throwaway namespace
net_feature() {
  local name=$1 what=$2 tried=$3 cmd=$4 mod=$5 err
  if [ -z "$NS" ]; then
    if [ -d "/sys/module/$mod" ]; then line "$name" yes "/sys/module/$mod (not probed: no throwaway namespace)"
    else line "$name" unknown "not probed: needs root or user namespaces (and ip, unshare)"; fi
    return
  fi
  # shellcheck disable=SC2086
  if err=$(timeout 5 $NS sh -c "$cmd" 2>&1); then line "$name" yes "$what"; return; fi
  err=$(printf '%s' "$err" | tr '\n' ' ' | sed 's/^Error: //; s/[. ]*$//')
  # in a user namespace a refusal may only mean "not root": that says nothing about the kernel
  if [ "$(id -u)" != 0 ] && [[ "$err" == *"ermission denied"* || "$err" == *"not permitted"* ]]; then
    line "$name" unknown "$tried: $err (not root)"
  else
    line "$name" no "$tried: $err ($(no_module_why "$mod"))"
  fi
}

fs_feature autofs "autofs" "autofs4 autofs"
fs_feature nfs "nfs nfs4" "nfs nfsv4"
fs_feature overlay "overlay" "overlay"
net_feature tun "a tun device can be created" "ip tuntap add mode tun" "ip tuntap add dev tsprobe0 mode tun" tun
net_feature wireguard "a wireguard link can be created" "ip link add type wireguard" "ip link add tsprobe0 type wireguard" wireguard
# an ESP SA with the algorithms the lab's VPN proposes (aes128-sha1): what pluto installs for the child SA
net_feature xfrm "an IPsec ESP SA can be installed (XFRM)" "an ESP SA (ip xfrm state add)" \
  "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 mode tunnel enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha1)' 0x00112233445566778899aabbccddeeff00112233 96" esp4
