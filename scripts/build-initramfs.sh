#!/usr/bin/env bash
# Builds images/initramfs.cpio.gz from images/staging/bin/busybox (see fetch-guest.sh) with
# scripts/MkInitramfs.java: busybox, applet symlinks, and scripts/guest/init as /init.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
BB="$ROOT/images/staging/bin/busybox"
[ -x "$BB" ] || { echo "missing $BB: run scripts/fetch-guest.sh first" >&2; exit 1; }
APPLETS="sh ash ls cat echo uname awk dd md5sum sha256sum sleep mount umount poweroff reboot halt
 setsid cttyhack mkdir rm cp mv ln ps grep sed head tail wc date dmesg free top vi stty env true false
 test [ expr seq sync cut tr sort uniq hexdump od printf which kill"
args=(--dir proc --dir sys --dir tmp --dir root --dir etc --file bin/busybox="$BB" --init "$ROOT/scripts/guest/init")
for a in $APPLETS; do args+=(--symlink "bin/$a=busybox"); done
args+=(--dir sbin --dir usr/bin --symlink sbin/init=../bin/busybox)
echo "==> building images/initramfs.cpio.gz" >&2
"$JAVA" "$ROOT/scripts/MkInitramfs.java" "$ROOT/images/initramfs.cpio.gz" "${args[@]}"
