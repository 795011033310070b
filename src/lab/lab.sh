#!/bin/bash
# Namespace mechanics of one tsplay lab (called by src/lab/*.ts; the recipe is the lab reference's hosts.sh).
#
# Each host = overlayfs root (lower: shared read-only base rootfs, upper: per host) + a named network
# namespace (veth to the lab's bridge in the root namespace, 10.231.K.0/24, NO default route) + new
# UTS/IPC/mount/PID namespaces, pivot_root'ed into the overlay; PID 1 = /usr/local/sbin/lab-init,
# which starts sshd and reaps orphans. Capabilities that touch the real machine are dropped,
# /proc/sys is read-only except net/ and kernel/{hostname,domainname}, /dev is a private tmpfs.
#
#   lab.sh alloc                      pick a free index K (global flock), create bridge tspbrK; prints K
#   lab.sh up NAME:I:SUDO...          set up + start hosts (needs LAB_K, LAB_BASE, LAB_KEY)
#   lab.sh start NAME...              start the namespaces of existing hosts (after stop)
#   lab.sh stop NAME...               kill hosts' processes (disk and network are kept)
#   lab.sh teardown                   remove everything of the lab: processes, mounts, netns, veths, bridge, dir
#   lab.sh teardown-orphans           remove tsplay netns/veths/bridges that belong to no lab directory
#   lab.sh exec NAME [ARGV...]        run a command as root inside a host (nsenter, no ssh)
#   lab.sh extract TARBALL DIR        extract the base image once (flock; DIR appears atomically)
#
# Environment: LAB_NAME, LAB_DIR (state dir), LAB_K (index), LAB_BASE (lower dir), LAB_KEY (ops key, .pub used)
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
ALLOC_LOCK=/run/lock/tsplay-lab.lock
# capabilities removed from every lab host (protect the real machine's clock, kernel, devices)
DROP_CAPS=-sys_time,-sys_module,-sys_rawio,-syslog,-mknod,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-sys_pacct

die() { echo "lab: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, mounts and bridges need it)"

lab_env() { : "${LAB_NAME:?}" "${LAB_DIR:?}"; }
alias_of() { echo "tsplay-lab:$LAB_DIR"; }

# ---------------------------------------------------------------- allocation
cmd_alloc() {
  lab_env
  mkdir -p /run/lock
  exec 9>"$ALLOC_LOCK"
  flock -w 60 9 || die "timeout waiting for $ALLOC_LOCK"
  local k br used f a MAC
  for f in /sys/class/net/tspbr*; do   # lab names are unique across labs roots (netns names use them)
    [ -e "$f" ] || continue
    a=$(<"$f/ifalias"); a=${a#tsplay-lab:}
    [ "${a##*/}" = "$LAB_NAME" ] && [ "$a" != "$LAB_DIR" ] && die "lab name '$LAB_NAME' is in use by $a (${f##*/})"
  done
  used=$( { ip -4 -o addr show; ip -4 route show table all; } 2>/dev/null)
  for k in $(seq 1 250); do
    br=tspbr$k
    [ -e "/sys/class/net/$br" ] && continue
    ls -d /sys/class/net/tsp"${k}"v* >/dev/null 2>&1 && continue
    # someone else (another tool, another engineer) uses this /24: leave it alone
    grep -qE "(^|[^0-9])10\.231\.$k\.[0-9]+" <<<"$used" && continue
    # fixed MACs and permanent neighbour entries on both ends (bridge_mac/host_mac): the kernel's ARP table
    # (gc_thresh3 = 1024 entries, shared by all namespaces) would overflow past ~500 lab hosts and drop
    # connections ("neighbor table overflow"); permanent entries are not counted and never expire
    bridge_mac "$k"
    ip link add "$br" address "$MAC" type bridge
    ip link set "$br" alias "$(alias_of)"
    echo 1 > "/proc/sys/net/ipv6/conf/$br/disable_ipv6"
    ip addr add "10.231.$k.1/24" dev "$br"
    ip link set "$br" up
    echo "$k"
    return 0
  done
  die "no free lab index in 1..250 (tsplay lab down --all removes stale labs)"
}

# ---------------------------------------------------------------- hosts
# (few forks per host: every external command costs milliseconds, and labs of 50+ hosts are common)
# (into $MAC with printf -v: no subshell per host)
bridge_mac() { printf -v MAC '02:74:62:%02x:00:01' "$1"; }        # $1 lab index
host_mac() { printf -v MAC '02:74:68:%02x:00:%02x' "$1" "$2"; }   # $1 lab index, $2 host index (1..200)

setup_host() {   # $1 name, $2 index, $3 sudo mode; the netns already exists (see cmd_up)
  local name=$1 mode=$3 ip=10.231.$LAB_K.$((10 + $2))
  local H=$LAB_DIR/hosts/$1 R=$LAB_DIR/hosts/$1/root ns=tsplay.$LAB_NAME.$1
  mkdir -p "$H/upper" "$H/work" "$R"
  mount -t overlay overlay -o "lowerdir=$LAB_BASE,upperdir=$H/upper,workdir=$H/work" "$R"
  mkdir -p "$R/etc/lab" "$R/usr/local/sbin"
  # per-host identity, written through the overlay (lands in upper)
  echo "$name" > "$R/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s' "$HOSTS_TXT" > "$R/etc/hosts"
  echo "lab.test" > "$R/etc/mailname"
  echo ssh > "$R/etc/lab/services"
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$R/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -N '' -C "root@$name" -f "$R/etc/ssh/ssh_host_ecdsa_key"
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' > "$R/etc/ssh/sshd_config.d/lab.conf"
  install -d -m 700 -o 1000 -g 1000 "$R/home/ops/.ssh"
  install -m 600 -o 1000 -g 1000 "$LAB_KEY.pub" "$R/home/ops/.ssh/authorized_keys"
  install -m 755 "$HERE/lab-init.sh" "$R/usr/local/sbin/lab-init"
  umask 0337
  if [ "$mode" = password ]; then
    echo 'ops ALL=(ALL:ALL) ALL' > "$R/etc/sudoers.d/ops"
  else
    echo 'ops ALL=(ALL:ALL) NOPASSWD: ALL' > "$R/etc/sudoers.d/ops"
  fi
  umask 0022
  # eth0 (moved in by cmd_up) gets the host's address; no default route => nothing can leave the lab net
  bridge_mac "$LAB_K"
  printf 'addr add %s/24 dev eth0\nlink set lo up\nlink set eth0 up\nneigh replace 10.231.%s.1 lladdr %s dev eth0 nud permanent\n' \
    "$ip" "$LAB_K" "$MAC" | ip -n "$ns" -batch -
}

cmd_up() {
  lab_env; : "${LAB_K:?}" "${LAB_BASE:?}" "${LAB_KEY:?}"
  [ -x "$LAB_BASE/usr/sbin/sshd" ] || die "base rootfs $LAB_BASE is incomplete"
  HOSTS_TXT=$(<"$LAB_DIR/hosts.txt")$'\n'
  local spec name i mode names=() batch="" batch2="" batch3="" MAC
  for spec in "$@"; do
    IFS=: read -r name i mode <<<"$spec"
    names+=("$name")
    batch+="netns add tsplay.$LAB_NAME.$name"$'\n'
    host_mac "$LAB_K" "$i"
    batch+="link add tsp${LAB_K}v$i type veth peer name eth0 address $MAC netns tsplay.$LAB_NAME.$name"$'\n'
    batch2+="link set tsp${LAB_K}v$i master tspbr$LAB_K up"$'\n'
    batch3+="neigh replace 10.231.$LAB_K.$((10 + i)) lladdr $MAC dev tspbr$LAB_K nud permanent"$'\n'
  done
  # network namespaces + veths to the lab bridge, all in one ip process
  ip -batch - <<<"$batch"
  for spec in "$@"; do
    IFS=: read -r name i mode <<<"$spec"
    echo 1 > "/proc/sys/net/ipv6/conf/tsp${LAB_K}v$i/disable_ipv6"
  done
  ip -batch - <<<"$batch2"
  ip -batch - <<<"$batch3"
  for spec in "$@"; do
    IFS=: read -r name i mode <<<"$spec"
    setup_host "$name" "$i" "$mode"
  done
  start_hosts "${names[@]}"
}

# Runs inside the new net+uts+ipc+mount+pid namespaces as PID 1 (before pivot_root).
cmd__inner() {   # $1 = host root
  local R=$1
  mount -t proc proc "$R/proc"
  # /proc/sys read-only except the per-namespace parts (net, hostname, domainname)
  mount --bind "$R/proc/sys" "$R/proc/sys"
  mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
  mount --bind "$R/proc/sys/kernel/hostname" "$R/proc/sys/kernel/hostname"
  mount --bind "$R/proc/sys/kernel/domainname" "$R/proc/sys/kernel/domainname"
  mount -o remount,bind,ro "$R/proc/sys"
  if [ -e "$R/proc/sysrq-trigger" ]; then
    mount --bind /dev/null "$R/proc/sysrq-trigger"; mount -o remount,bind,ro "$R/proc/sysrq-trigger"
  fi
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
  mount -t tmpfs -o mode=755,size=64m,nosuid,nodev tmpfs "$R/run"
  mount -t tmpfs -o mode=755,size=8m,nosuid tmpfs "$R/dev"
  local d
  for d in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $d; mknod -m 666 "$R/dev/$1" c "$2" "$3"
  done
  mknod -m 644 "$R/dev/autofs" c 10 235
  # TUN/TAP where the kernel has it (tsplay lab features: tun); a tun device lives in the host's own netns
  if [ -e /sys/class/misc/tun ]; then mkdir -p "$R/dev/net"; mknod -m 666 "$R/dev/net/tun" c 10 200; fi
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777,size=50%,nosuid,nodev tmpfs "$R/dev/shm"
  mount -t mqueue mqueue "$R/dev/mqueue"
  ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"
  ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
  mkdir -p "$R/run/.oldroot"
  cd "$R"
  pivot_root . run/.oldroot
  cd /
  umount -l /run/.oldroot && rmdir /run/.oldroot
  # setsid: PID 1 must lead its own session/process group inside the pid ns (the inherited
  # pgid is invisible here; autofs' kernel mount option pgrp= would be 0 and fail)
  exec /usr/bin/setsid /usr/bin/setpriv --bounding-set "$DROP_CAPS" -- /usr/local/sbin/lab-init
}

start_hosts() {   # NAME...: start each host's namespaces + PID 1 (netns and overlay must exist)
  local name H R
  cd /
  for name in "$@"; do
    H=$LAB_DIR/hosts/$name R=$LAB_DIR/hosts/$name/root
    [ -e "/run/netns/tsplay.$LAB_NAME.$name" ] && [ -x "$R/usr/local/sbin/lab-init" ] || die "$name: not set up"
    # new UTS/IPC/mount/PID namespaces inside the host's netns; the forked child is PID 1.
    # (setsid does not fork here: a background job is no group leader; nsenter without --pid execs)
    setsid nsenter --net="/run/netns/tsplay.$LAB_NAME.$name" -- \
      unshare --uts --ipc --mount --pid --fork --kill-child --propagation private -- \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash "$SELF" _inner "$R" \
      </dev/null >"$H/console.log" 2>&1 &
    echo $! > "$H/unshare.pid"
  done
  # PID 1 of each new pid namespace = the only child of its unshare process
  local upid kids comm n
  for name in "$@"; do
    H=$LAB_DIR/hosts/$name
    read -r upid < "$H/unshare.pid"
    for n in {1..1000}; do
      kids="" comm=""
      read -r comm < "/proc/$upid/comm" 2>/dev/null || die "$name: its namespaces died at start (see $H/console.log)"
      [ "$comm" = unshare ] && read -r kids < "/proc/$upid/task/$upid/children" 2>/dev/null || true
      [ -n "$kids" ] && break
      sleep 0.005
    done
    [ -n "$kids" ] || die "$name: could not start its namespaces (see $H/console.log)"
    echo "${kids%% *}" > "$H/pid"
  done
}

cmd_start() {
  lab_env
  start_hosts "$@"
}

# pids of every process whose network namespace is one of the given named netns
procs_in_netns() {
  local ino want=" " paths=()
  for ino in "$@"; do [ -e "/run/netns/$ino" ] && paths+=("/run/netns/$ino"); done
  [ ${#paths[@]} -eq 0 ] && return 0
  for ino in $(stat -L -c %i "${paths[@]}"); do want+="net:[$ino] "; done
  { find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null || true; } |
    awk -v want="$want" 'index(want, " " $2 " ") { split($1, p, "/"); print p[3] }'
}

kill_netns_procs() {   # SIGKILL everything in these netns (killing a pid-ns init kills its namespace)
  local n pids
  for n in $(seq 1 100); do
    pids=$(procs_in_netns "$@")
    [ -z "$pids" ] && return 0
    kill -KILL $pids 2>/dev/null || true
    sleep 0.05
  done
  die "processes in $* did not exit: $pids"
}

cmd_stop() {
  lab_env
  local name nss=()
  for name in "$@"; do nss+=("tsplay.$LAB_NAME.$name"); done
  kill_netns_procs "${nss[@]}"
  for name in "$@"; do rm -f "$LAB_DIR/hosts/$name/pid" "$LAB_DIR/hosts/$name/unshare.pid"; done
}

# ---------------------------------------------------------------- teardown
umount_under() {   # every mount at or below $1 in our mount namespace, deepest first
  local dir=$1 m
  for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  ! awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {f=1} END {exit !f}' /proc/self/mountinfo
}

remove_netns() {   # named netns (processes gone): the kernel then destroys them with their veth pairs
  local ns batch="" n
  [ $# -eq 0 ] && return 0
  for ns in "$@"; do batch+="netns del $ns"$'\n'; done
  ip -force -batch - <<<"$batch" >/dev/null 2>&1 || true
  for ns in "$@"; do
    [ -e "/run/netns/$ns" ] || continue
    umount -l "/run/netns/$ns" 2>/dev/null || true; rm -f "/run/netns/$ns"
  done
}

wait_links_gone() {   # $1 = glob under /sys/class/net; namespace cleanup in the kernel is asynchronous
  local n f left
  for n in {1..60}; do
    left=""
    for f in /sys/class/net/$1; do [ -e "$f" ] && left+=" ${f##*/}"; done
    [ -z "$left" ] && return 0
    sleep 0.05
  done
  for f in $left; do ip link del "$f" 2>/dev/null || true; done
}

cmd_teardown() {
  lab_env
  local nss=() ns k="" br f a foreign=""
  # the lab's index: the bridge whose alias names this lab dir (never trust a stale state file alone);
  # a live lab of the same name under another labs root owns the netns tsplay.NAME.*: leave them alone
  for f in /sys/class/net/tspbr*; do
    [ -e "$f" ] || continue
    br=${f##*/}; a=$(<"$f/ifalias"); a=${a#tsplay-lab:}
    if [ "$a" = "$LAB_DIR" ]; then k=${br#tspbr}
    elif [ "${a##*/}" = "$LAB_NAME" ]; then foreign=$a; fi
  done
  if [ -z "$foreign" ]; then
    for f in /run/netns/tsplay."$LAB_NAME".*; do [ -e "$f" ] && nss+=("${f##*/}"); done
  fi
  [ ${#nss[@]} -eq 0 ] || kill_netns_procs "${nss[@]}"
  umount_under "$LAB_DIR/hosts" || die "mounts under $LAB_DIR/hosts are still busy"
  remove_netns "${nss[@]}"
  if [ -n "$k" ]; then
    wait_links_gone "tsp${k}v*"
    ip link del "tspbr$k" 2>/dev/null || true
  fi
  # only a directory tsplay made is removed (TSPLAY_LAB_DIR may point anywhere)
  if [ -e "$LAB_DIR/.tsplay-lab" ] || [ -e "$LAB_DIR/state.json" ]; then rm -rf --one-file-system "$LAB_DIR"
  elif [ -d "$LAB_DIR" ]; then echo "lab: $LAB_DIR is no lab directory: left alone" >&2; fi
  return 0
}

cmd_teardown_orphans() {   # tsplay netns/veths/bridges that belong to no live lab (under any labs root)
  local f ns lab br a k live=" "
  # a lab is live while its bridge names an existing lab dir (the bridge is made first and removed last)
  for f in /sys/class/net/tspbr*; do
    [ -e "$f" ] || continue
    a=$(<"$f/ifalias"); a=${a#tsplay-lab:}
    if [ -n "$a" ] && [ -d "$a" ]; then live+="${a##*/} "; continue; fi
    ip link del "${f##*/}" 2>/dev/null || true
  done
  for f in /run/netns/tsplay.*; do
    [ -e "$f" ] || continue
    ns=${f##*/}; lab=${ns#tsplay.}; lab=${lab%%.*}
    case $live in *" $lab "*) continue;; esac
    kill_netns_procs "$ns"
    remove_netns "$ns"
  done
  for f in /sys/class/net/tsp*v*; do   # veths of a lab index that has no bridge any more
    [ -e "$f" ] || continue
    k=${f##*/tsp}; k=${k%%v*}
    [ -e "/sys/class/net/tspbr$k" ] || ip link del "${f##*/}" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------- base image
cmd_extract() {   # $1 tarball, $2 destination (the shared, never-written overlay lower dir)
  local tb=$1 dest=$2 tmp
  exec 8>"$dest.lock"
  flock -w 600 8 || die "timeout waiting for $dest.lock"
  [ -x "$dest/usr/sbin/sshd" ] && return 0
  tmp="$dest.tmp.$$"
  rm -rf --one-file-system "$tmp" "$dest"
  mkdir -p "$tmp"
  tar --zstd -xpf "$tb" -C "$tmp" --numeric-owner --xattrs --xattrs-include='*'
  chmod 755 "$tmp"
  mv "$tmp" "$dest"
}

# ---------------------------------------------------------------- exec
cmd_exec() {   # run a command as root inside a host's namespaces (no ssh)
  lab_env
  local name=${1:?host name}; shift
  local pid ns=tsplay.$LAB_NAME.$name
  pid=$(cat "$LAB_DIR/hosts/$name/pid" 2>/dev/null) || die "host $name is not running"
  [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "net:[$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)]" ] ||
    die "host $name is not running"
  cd /
  local sid=(/usr/bin/setsid)
  [ -t 0 ] && sid=()   # keep the controlling terminal for interactive shells
  exec nsenter -t "$pid" --net --uts --ipc --mount --pid --root --wd -- "${sid[@]}" \
    /usr/bin/setpriv --bounding-set "$DROP_CAPS" -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM="${TERM:-dumb}" \
    "${@:-/bin/bash}"
}

cmd=${1:-}; shift || true
case $cmd in
  alloc) cmd_alloc;;
  up) cmd_up "$@";;
  start) cmd_start "$@";;
  stop) cmd_stop "$@";;
  teardown) cmd_teardown;;
  teardown-orphans) cmd_teardown_orphans "$@";;
  exec) cmd_exec "$@";;
  extract) cmd_extract "$@";;
  _inner) cmd__inner "$@";;
  *) sed -n '2,20p' "$SELF" >&2; exit 2;;
esac
