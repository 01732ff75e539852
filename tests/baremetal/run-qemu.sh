#!/usr/bin/env bash
# Runs one ROM on qemu-system-i386 (TCG); prints the debug-console transcript and the exit status.
# Usage: run-qemu.sh ROM.bin [timeout-seconds]
rom=$1; t=${2:-20}; out=$(mktemp)
timeout -k 2 "$t" qemu-system-i386 -M pc -accel tcg -cpu pentium3 -m 32 -bios "$rom" -display none \
  -debugcon file:"$out" -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
rc=$?
cat "$out"; rm -f "$out"
echo "exit status $rc"
