#!/usr/bin/env bash
# Installs the Debian packages Machina's tests use as real peers and guests: QEMU and its tools,
# nbdinfo/nbdcopy, nbdkit, gdb, nasm, socat, busybox, a 32-bit gcc, cpio, ACPICA's iasl, genisoimage (CD-ROM images),
# tcpdump (reads the pcap files of -object filter-dump in tests), ffmpeg (the USB camera's process source
# runs its testsrc in devices-usb's ProcessSourceFfmpegTest), ISC dhclient (the real DHCPv6 client of net-user's
# Dhcp6ClientTest).
# Idempotent: does nothing when everything is there. Needs root (or sudo).
set -uo pipefail
packages=(qemu-system-x86 qemu-utils libnbd-bin nbdkit gdb nasm socat busybox-static gcc-multilib cpio acpica-tools genisoimage tcpdump ffmpeg isc-dhcp-client)
tools=(qemu-system-i386 qemu-img qemu-io qemu-nbd nbdinfo nbdcopy nbdkit gdb nasm socat cpio iasl genisoimage tcpdump ffmpeg)
missing=()
for t in "${tools[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[ -x /usr/sbin/dhclient ] || [ -x /sbin/dhclient ] || missing+=(dhclient)
[ -f /usr/lib/gcc/x86_64-linux-gnu/12/32/crtbegin.o ] || ls /usr/lib/gcc/x86_64-linux-gnu/*/32/crtbegin.o >/dev/null 2>&1 || missing+=(gcc-multilib)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all tools present"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}; installing ${packages[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: not root and no sudo; install as root: apt-get install ${packages[*]}" >&2; exit 1; fi
fi
# 'apt-get update' may fail while one index is mid-sync; the install below is what must succeed.
$sudo apt-get update -q || echo "install-deps: apt-get update reported a problem; trying the install anyway" >&2
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"; then
  echo "install-deps: apt-get install failed" >&2
  exit 1
fi
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || { echo "install-deps: $t still missing after the install" >&2; exit 1; }
done
echo "install-deps: done"
