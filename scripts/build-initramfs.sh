#!/usr/bin/env bash
# Builds images/initramfs.cpio.gz from images/staging/bin/busybox (see fetch-guest.sh) with the
# initramfs tool (tools/initramfs, run from source): busybox, applet symlinks, scripts/guest/init
# as /init, and the kernel modules the test guest needs.
#
# Only the drivers wanted are named ($MODULES); what they depend on and the load order come from
# the kernel package itself (every module's modinfo "depends="), so any 686 kernel Debian serves
# works. The modules go to /lib/modules/NAME.ko, their load order to /etc/modules (init insmods
# them in that order). The kernel package is the one images/vmlinuz came from (images/kernel-deb).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/find-jdk.sh"
BB="$ROOT/images/staging/bin/busybox"
[ -x "$BB" ] || { echo "missing $BB: run scripts/fetch-guest.sh first" >&2; exit 1; }
APPLETS="sh ash ls cat echo uname awk dd md5sum sha256sum sleep mount umount poweroff reboot halt
 setsid cttyhack mkdir rm cp mv ln ps grep sed head tail wc date dmesg free top vi stty env true false
 test [ expr seq sync cut tr sort uniq hexdump od printf which kill insmod lsmod blockdev cmp
 udhcpc ping wget nslookup nc ip ifconfig route hostname tftp httpd acpid"
# Guest drivers wanted (their dependencies are added): virtio-blk over virtio PCI (/dev/vda), and the
# network cards the user-mode network tests use (e1000, virtio-net), USB storage behind an xHCI
# controller (xhci_pci; usb_storage, whose SCSI disks sd_mod makes /dev/sdX), IDE: ata_piix
# with sd_mod, sr_mod (/dev/sr0) and isofs for the CD-ROM, and FireWire: the OHCI controller
# driver, SBP-2 (its disks are /dev/sdX too) and IPv4 over 1394 (firewire_net: firewire0), and the USB Video Class driver (uvcvideo, for
# usb-video; UvcGuestIT brings its own V4L2 capture program), and the ACPI power button (button,
# reporting through evdev to busybox acpid, which runs /etc/acpi/PWRF/00000080: poweroff).
MODULES="virtio_pci virtio_blk e1000 virtio_net xhci_pci usb_storage sd_mod ata_piix sr_mod isofs firewire_ohci firewire_sbp2 firewire_net uvcvideo button evdev"
TOOL="$ROOT/tools/initramfs/src/main/java/org/machina/tools/initramfs/MkInitramfs.java"
args=(--dir proc --dir sys --dir tmp --dir root --dir etc --file bin/busybox="$BB" --init "$ROOT/scripts/guest/init")
for a in $APPLETS; do args+=(--symlink "bin/$a=busybox"); done
args+=(--dir sbin --dir usr/bin --symlink sbin/init=../bin/busybox)
# udhcpc applies a lease through this script (Debian's busybox looks in /etc/udhcpc, upstream's in /usr/share/udhcpc)
args+=(--dir usr/share --dir usr/share/udhcpc --file usr/share/udhcpc/default.script="$ROOT/scripts/guest/udhcpc.script")
args+=(--dir etc/udhcpc --symlink etc/udhcpc/default.script=../../usr/share/udhcpc/default.script)
# the power button's action for busybox acpid (its default configuration directory, /etc/acpi)
args+=(--dir etc/acpi --dir etc/acpi/PWRF --file etc/acpi/PWRF/00000080="$ROOT/scripts/guest/power-button")

# The kernel package images/vmlinuz came from (fetch-guest.sh records it).
KDEB=""
[ -f "$ROOT/images/kernel-deb" ] && KDEB="$ROOT/images/debs/$(cat "$ROOT/images/kernel-deb")"
if [ -n "$KDEB" ] && [ -f "$KDEB" ]; then
    # Its lib/modules tree, extracted once per package (about 200 MB, a few seconds).
    KX="$ROOT/images/staging/kernel/$(basename "$KDEB" .deb)"
    if [ ! -f "$KX/.complete" ]; then
        echo "==> extracting the modules of $(basename "$KDEB")" >&2
        rm -rf "$ROOT/images/staging/kernel" "$ROOT/images/staging/modules" && mkdir -p "$KX"
        dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$KX" --wildcards './lib/modules/*'
        # Newer kernels may ship compressed modules; the tool reads plain ELF .ko files.
        find "$KX" -name '*.ko.xz' -exec xz -d {} +
        find "$KX" -name '*.ko.gz' -exec gzip -d {} +
        if [ -n "$(find "$KX" -name '*.ko.zst' -print -quit)" ]; then
            command -v zstd >/dev/null || { echo "the kernel's modules are zstd-compressed: install zstd" >&2; exit 1; }
            find "$KX" -name '*.ko.zst' -exec zstd -q -d --rm {} +
        fi
        touch "$KX/.complete"
    fi
    KVER_DIRS=("$KX"/lib/modules/*)
    [ ${#KVER_DIRS[@]} -eq 1 ] && [ -d "${KVER_DIRS[0]}" ] \
        || { echo "expected one lib/modules/VERSION in $(basename "$KDEB"), found: ${KVER_DIRS[*]}" >&2; exit 1; }
    args+=(--kernel-modules "${KVER_DIRS[0]}")
    for m in $MODULES; do args+=(--module "$m"); done
else
    echo "warning: images/kernel-deb names no kernel package in images/debs; the initramfs has no kernel modules" >&2
fi
echo "==> building images/initramfs.cpio.gz" >&2
"$JAVA_HOME/bin/java" "$TOOL" "$ROOT/images/initramfs.cpio.gz" "${args[@]}"
