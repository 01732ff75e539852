#!/usr/bin/env bash
# Boots images/vmlinuz + images/initramfs.cpio.gz in QEMU (software TCG, pentium3) as the
# reference for Machina. With --check, waits (up to TIMEOUT seconds, default 120) for the
# MACHINA-INIT-OK marker from /init and exits 0 if it appeared; otherwise interactive.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CMD=(qemu-system-i386 -accel tcg -kernel "$ROOT/images/vmlinuz" -initrd "$ROOT/images/initramfs.cpio.gz"
     -append "console=ttyS0 quiet panic=-1" -nographic -m 256 -cpu pentium3 -no-reboot)
if [ "${1:-}" = "--check" ]; then
    log=$(mktemp)
    timeout "${TIMEOUT:-120}" "${CMD[@]}" </dev/null >"$log" 2>&1 &
    qpid=$!   # timeout(1) passes our SIGTERM on to QEMU
    for _ in $(seq 1 "${TIMEOUT:-120}"); do
        if grep -q MACHINA-INIT-OK "$log"; then
            echo "qemu: guest reached /init (MACHINA-INIT-OK)"
            kill -- "$qpid" 2>/dev/null || true
            wait "$qpid" 2>/dev/null || true
            rm -f "$log"; exit 0
        fi
        sleep 1
    done
    wait "$qpid" 2>/dev/null || true
    echo "qemu: no MACHINA-INIT-OK marker; console output:" >&2; cat "$log" >&2; rm -f "$log"; exit 1
fi
exec "${CMD[@]}"
