#!/bin/bash
# Builds the tsplay lab base rootfs (Debian 12 "bookworm") as a zstd tarball with mmdebstrap.
# Called by src/lab/image.ts, which picks the mirrors from this machine's apt sources and passes:
#   OUT             tarball to write (written to OUT.tmp.PID first, then renamed)
#   PKGS            comma-separated package list
#   MIRROR          Debian main mirror (suite bookworm)
#   UPDATES_MIRROR  mirror for bookworm-updates (optional)
#   SECMIRROR       Debian security mirror (suite bookworm-security, optional)
#   ZSTD_LEVEL      compression level (default 15)
#   FORCE=1         rebuild even if OUT exists (otherwise an existing OUT is kept: prints "skipped: ...")
# image.ts runs it under flock(1) on OUT.lock, so concurrent callers wait for one build.
# Runs inside new UTS + mount namespaces so maintainer scripts cannot change the real hostname or mounts.
set -euo pipefail
: "${OUT:?OUT not set}" "${PKGS:?PKGS not set}" "${MIRROR:?MIRROR not set}"
SUITE=bookworm
UPDATES_MIRROR=${UPDATES_MIRROR:-}
SECMIRROR=${SECMIRROR:-}
ZSTD_LEVEL=${ZSTD_LEVEL:-15}
if [ -f "$OUT" ] && [ "${FORCE:-}" != 1 ]; then echo "skipped: $OUT exists"; exit 0; fi
for tool in mmdebstrap zstd unshare; do
  command -v "$tool" >/dev/null || { echo "build-image.sh: $tool not found (apt-get install mmdebstrap zstd)" >&2; exit 1; }
done
sources=("deb $MIRROR $SUITE main")
[ -z "$UPDATES_MIRROR" ] || sources+=("deb $UPDATES_MIRROR $SUITE-updates main")
[ -z "$SECMIRROR" ] || sources+=("deb $SECMIRROR $SUITE-security main")
mkdir -p "$(dirname "$OUT")"
TMPTAR="$OUT.tmp.$$.tar"
trap 'rm -f "$TMPTAR" "$TMPTAR.zst"' EXIT
unshare --uts --mount --propagation private \
  mmdebstrap --mode=root --variant=minbase --include="$PKGS" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    --customize-hook='rm -f "$1"/etc/munge/munge.key' \
    --customize-hook='echo labbase > "$1"/etc/hostname' \
    --customize-hook='printf "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n" > "$1"/etc/hosts' \
    --customize-hook='printf "# lab hosts have no DNS\n" > "$1"/etc/resolv.conf' \
    --customize-hook='chroot "$1" useradd -m -s /bin/bash -c "lab ops user" ops && echo ops:ops-pass | chroot "$1" chpasswd' \
    --customize-hook='chroot "$1" apt-get clean; rm -rf "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$TMPTAR" "${sources[@]}"
zstd -q -f "-$ZSTD_LEVEL" -T0 "$TMPTAR" -o "$TMPTAR.zst"
rm -f "$TMPTAR"
mv -f "$TMPTAR.zst" "$OUT"
