#!/usr/bin/env bash
# Builds images/initramfs.cpio.gz from images/staging/bin/busybox (see fetch-guest.sh) with
# scripts/MkInitramfs.java: busybox, applet symlinks, scripts/guest/init as /init, and the kernel
# modules of $MODULES (taken from the linux-image .deb in images/debs, .ko.xz decompressed) as
# /lib/modules/NAME.ko with their load order in /etc/modules (init insmods them in that order).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
BB="$ROOT/images/staging/bin/busybox"
[ -x "$BB" ] || { echo "missing $BB: run scripts/fetch-guest.sh first" >&2; exit 1; }
APPLETS="sh ash ls cat echo uname awk dd md5sum sha256sum sleep mount umount poweroff reboot halt
 setsid cttyhack mkdir rm cp mv ln ps grep sed head tail wc date dmesg free top vi stty env true false
 test [ expr seq sync cut tr sort uniq hexdump od printf which kill insmod lsmod blockdev cmp"
# Guest drivers, dependencies first: virtio-blk over legacy virtio PCI (/dev/vda).
MODULES="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk"
args=(--dir proc --dir sys --dir tmp --dir root --dir etc --file bin/busybox="$BB" --init "$ROOT/scripts/guest/init")
for a in $APPLETS; do args+=(--symlink "bin/$a=busybox"); done
args+=(--dir sbin --dir usr/bin --symlink sbin/init=../bin/busybox)

# Kernel modules from the kernel package (cached in images/staging/modules).
KDEB=$(ls "$ROOT"/images/debs/linux-image-*.deb 2>/dev/null | head -n1 || true)
MODDIR="$ROOT/images/staging/modules"
if [ -n "$KDEB" ]; then
    mkdir -p "$MODDIR"
    stamp="$MODDIR/.from"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$(basename "$KDEB") $MODULES" ]; then
        echo "==> extracting modules from $(basename "$KDEB"): $MODULES" >&2
        rm -rf "$MODDIR" && mkdir -p "$MODDIR/x"
        pats=()
        for m in $MODULES; do pats+=("*/$m.ko" "*/$m.ko.xz"); done
        dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$MODDIR/x" --wildcards "${pats[@]}" 2>/dev/null || true
        for m in $MODULES; do
            f=$(find "$MODDIR/x" \( -name "$m.ko" -o -name "$m.ko.xz" \) | head -n1)
            [ -n "$f" ] || { echo "module $m is not in $(basename "$KDEB")" >&2; exit 1; }
            case "$f" in
                *.xz) xz -dc "$f" > "$MODDIR/$m.ko" ;;
                *) cp "$f" "$MODDIR/$m.ko" ;;
            esac
        done
        rm -rf "$MODDIR/x"
        echo "$(basename "$KDEB") $MODULES" > "$stamp"
    fi
    # Every module's dependencies (modinfo "depends=") must come earlier in $MODULES.
    loaded=" "
    for m in $MODULES; do
        deps=$(grep -a -o 'depends=[a-z0-9_,-]*' "$MODDIR/$m.ko" | head -n1 | sed 's/^depends=//; s/,/ /g')
        for d in $deps; do
            case "$loaded" in *" ${d//-/_} "*) ;; *) echo "module $m needs $d first: fix MODULES" >&2; exit 1 ;; esac
        done
        loaded="$loaded$m "
        args+=(--file "lib/modules/$m.ko=$MODDIR/$m.ko")
    done
    printf '%s\n' $MODULES > "$MODDIR/load-order"
    args+=(--file "etc/modules=$MODDIR/load-order")
else
    echo "warning: no linux-image .deb in images/debs; the initramfs has no kernel modules" >&2
fi
echo "==> building images/initramfs.cpio.gz" >&2
"$JAVA" "$ROOT/scripts/MkInitramfs.java" "$ROOT/images/initramfs.cpio.gz" "${args[@]}"
