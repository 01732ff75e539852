#!/usr/bin/env bash
# Assembles the bare-metal test ROMs (64 KiB images for -bios) into OUTDIR (default ./out).
# Usage: build.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/out}
mkdir -p "$out"
for rom in real pmode seglimit paging ring3 tss16 v86 smc addrforms fetchlimit a20 faulttrace pmtimer bench; do
  nasm -f bin -I "$here/" -o "$out/$rom.bin" "$here/$rom.asm"
done
echo "built: $(cd "$out" && ls *.bin | tr '\n' ' ')"
