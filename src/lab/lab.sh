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
netns_of() { echo "tsplay.$LAB_NAME.$1"; }
bridge_of() { echo "tspbr$1"; }
alias_of() { echo "tsplay-lab:$LAB_DIR"; }
ifalias() { cat "/sys/class/net/$1/ifalias" 2>/dev/null || true; }

# ---------------------------------------------------------------- allocation
cmd_alloc() {
  lab_env
  mkdir -p /run/lock
  exec 9>"$ALLOC_LOCK"
  flock -w 60 9 || die "timeout waiting for $ALLOC_LOCK"
  local k br used
  used=$( { ip -4 -o addr show; ip -4 route show table all; } 2>/dev/null)
  for k in $(seq 1 250); do
    br=$(bridge_of "$k")
    [ -e "/sys/class/net/$br" ] && continue
    ls -d /sys/class/net/tsp"${k}"v* >/dev/null 2>&1 && continue
    # someone else (another tool, another engineer) uses this /24: leave it alone
    grep -qE "(^|[^0-9])10\.231\.$k\.[0-9]+" <<<"$used" && continue
    ip link add "$br" type bridge
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
setup_host() {   # $1 name, $2 index, $3 sudo mode
  local name=$1 i=$2 mode=$3 ip="10.231.$LAB_K.$((10 + $2))"
  local H=$LAB_DIR/hosts/$name R=$LAB_DIR/hosts/$name/root ns veth=tsp${LAB_K}v$2
  ns=$(netns_of "$name")
  mkdir -p "$H/upper" "$H/work" "$R"
  mountpoint -q "$R" || mount -t overlay overlay -o "lowerdir=$LAB_BASE,upperdir=$H/upper,workdir=$H/work" "$R"
  # per-host identity, written through the overlay (lands in upper)
  echo "$name" > "$R/etc/hostname"
  { printf '127.0.0.1\tlocalhost\n'
    printf '::1\tlocalhost ip6-localhost ip6-loopback\n'
    cat "$LAB_DIR/hosts.txt"; } > "$R/etc/hosts"
  echo "lab.test" > "$R/etc/mailname"
  if [ ! -f "$R/etc/ssh/ssh_host_ed25519_key" ]; then
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$R/etc/ssh/ssh_host_ed25519_key"
    ssh-keygen -q -t ecdsa -N '' -C "root@$name" -f "$R/etc/ssh/ssh_host_ecdsa_key"
  fi
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' > "$R/etc/ssh/sshd_config.d/lab.conf"
  install -d -m 700 -o 1000 -g 1000 "$R/home/ops/.ssh"
  install -m 600 -o 1000 -g 1000 "$LAB_KEY.pub" "$R/home/ops/.ssh/authorized_keys"
  if [ "$mode" = password ]; then
    echo 'ops ALL=(ALL:ALL) ALL' > "$R/etc/sudoers.d/ops"
  else
    echo 'ops ALL=(ALL:ALL) NOPASSWD: ALL' > "$R/etc/sudoers.d/ops"
  fi
  chmod 440 "$R/etc/sudoers.d/ops"
  mkdir -p "$R/etc/lab"; [ -f "$R/etc/lab/services" ] || echo ssh > "$R/etc/lab/services"
  # network namespace + veth to the lab bridge; no default route => nothing can leave the lab net
  if [ ! -e "/run/netns/$ns" ]; then
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    echo 1 > "/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
    ip link set "$veth" master "tspbr$LAB_K" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  fi
}

cmd_up() {
  lab_env; : "${LAB_K:?}" "${LAB_BASE:?}" "${LAB_KEY:?}"
  [ -x "$LAB_BASE/usr/sbin/sshd" ] || die "base rootfs $LAB_BASE is incomplete"
  local spec name i mode
  for spec in "$@"; do
    IFS=: read -r name i mode <<<"$spec"
    setup_host "$name" "$i" "$mode"
    start_host "$name"
  done
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
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev tmpfs "$R/dev/shm"
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

start_host() {   # $1 = name: start the host's namespaces + PID 1 (netns and overlay must exist)
  local name=$1 H=$LAB_DIR/hosts/$1 R=$LAB_DIR/hosts/$1/root ns
  ns=$(netns_of "$name")
  [ -e "/run/netns/$ns" ] && mountpoint -q "$R" || die "$name: not set up"
  install -D -m 755 "$HERE/lab-init.sh" "$R/usr/local/sbin/lab-init"
  rm -f "$H/pid" "$H/unshare.pid"
  cd /
  # new UTS/IPC/mount/PID namespaces inside the host's netns; the forked child is PID 1
  setsid nsenter --net="/run/netns/$ns" -- \
    unshare --uts --ipc --mount --pid --fork --kill-child --propagation private -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash "$SELF" _inner "$R" \
    </dev/null >"$H/console.log" 2>&1 &
  # PID 1 of the new pid namespace = the descendant of $! that lives in another pid namespace
  local top=$! ipid="" upid="" n c p mypidns kids
  mypidns=$(readlink /proc/self/ns/pid)
  for n in $(seq 1 500); do
    kids=$(cat /proc/$top/task/*/children 2>/dev/null || true)
    for c in $top $kids $(for g in $kids; do cat /proc/$g/task/*/children 2>/dev/null; done); do
      p=$(awk '{print $4}' /proc/$c/stat 2>/dev/null) || continue
      if [ "$(readlink /proc/$c/ns/pid 2>/dev/null)" != "$mypidns" ] && \
         [ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$mypidns" ]; then
        ipid=$c; upid=$p; break 2
      fi
    done
    kill -0 "$top" 2>/dev/null || break
    sleep 0.01
  done
  [ -n "$ipid" ] || die "$name: could not start its namespaces (see $H/console.log)"
  echo "$ipid" > "$H/pid"; echo "$upid" > "$H/unshare.pid"
}

cmd_start() {
  lab_env
  local name
  for name in "$@"; do start_host "$name"; done
}

# pids of every process whose network namespace is one of the given named netns
procs_in_netns() {
  local ns ino want=" "
  for ns in "$@"; do
    ino=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null) && want+="net:[$ino] "
  done
  [ "$want" = " " ] && return 0
  { find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null || true; } |
    while read -r dir link; do
      case $want in *" $link "*) dir=${dir#/proc/}; echo "${dir%/ns}";; esac
    done
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
  for name in "$@"; do nss+=("$(netns_of "$name")"); done
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

remove_netns() {   # named netns: delete its veth (synchronously removes the root-side end too), then the netns
  local ns
  for ns in "$@"; do
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || { umount -l "/run/netns/$ns" 2>/dev/null || true; rm -f "/run/netns/$ns"; }
  done
}

cmd_teardown() {
  lab_env
  local nss=() ns k="" br f
  for f in /run/netns/tsplay."$LAB_NAME".*; do [ -e "$f" ] && nss+=("$(basename "$f")"); done
  # the lab's index: the bridge whose alias names this lab dir (never trust a stale state file alone)
  for f in /sys/class/net/tspbr*; do
    [ -e "$f" ] || continue
    br=$(basename "$f")
    [ "$(ifalias "$br")" = "$(alias_of)" ] && k=${br#tspbr}
  done
  [ ${#nss[@]} -eq 0 ] || kill_netns_procs "${nss[@]}"
  umount_under "$LAB_DIR" || die "mounts under $LAB_DIR are still busy"
  remove_netns "${nss[@]}"
  if [ -n "$k" ]; then
    for f in /sys/class/net/tsp"${k}"v*; do [ -e "$f" ] && ip link del "$(basename "$f")" 2>/dev/null || true; done
    ip link del "tspbr$k" 2>/dev/null || true
  fi
  [ -d "$LAB_DIR" ] && rm -rf --one-file-system "$LAB_DIR"
  return 0
}

cmd_teardown_orphans() {   # tsplay objects whose lab directory is gone (args: known lab names to keep)
  local keep=" $* " f v ns lab br a
  for f in /run/netns/tsplay.*; do
    [ -e "$f" ] || continue
    ns=$(basename "$f"); lab=${ns#tsplay.}; lab=${lab%%.*}
    case $keep in *" $lab "*) continue;; esac
    kill_netns_procs "$ns"
    remove_netns "$ns"
  done
  for f in /sys/class/net/tspbr*; do
    [ -e "$f" ] || continue
    br=$(basename "$f"); a=$(ifalias "$br")
    [ -n "$a" ] && [ -d "${a#tsplay-lab:}" ] && continue
    for v in /sys/class/net/tsp"${br#tspbr}"v*; do [ -e "$v" ] && ip link del "$(basename "$v")" 2>/dev/null || true; done
    ip link del "$br" 2>/dev/null || true
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
  local pid ns
  ns=$(netns_of "$name")
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
