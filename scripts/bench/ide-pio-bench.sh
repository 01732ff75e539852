#!/usr/bin/env bash
# IDE PIO benchmark: what reading one 512-byte sector by PIO costs (READ SECTORS, a status poll
# for DRQ and REP INSW of 256 words per sector), on Machina with the PIIX IDE fast path on and off
# and on qemu-system-i386 (TCG). The ROM is tests/baremetal/fastpath.asm with KIND=4 (a sibling
# of scripts/bench/fastpath-bench.sh, which measures single register accesses). Each emulator
# runs COUNT=1 (start-up) and COUNT=N sectors, REPS times interleaved, median wall time; the cost
# per sector is (t(N) - t(1)) / N. Per sector the CPU makes 256 data-port reads and at least one
# status read: on the fast path all data reads but the sector's last and all status reads but the
# first after the drive's interrupt are served without leaving the CPU.
# Usage: scripts/bench/ide-pio-bench.sh [N sectors (default 20000)] [REPS (default 3)]
#   BENCH_EMUS (default "machina machina-off qemu"; qemu is skipped when not installed),
#   BENCH_TIMEOUT per run (900 s), MACHINA_ARGS extra options for both Machina runs
#   (e.g. "-accel tcg"), MACHINA_LAUNCHER=JAR another launcher than the built distribution's.
# Machina's TSC counts guest nanoseconds (guest time = host time while running), so the ROM's own
# TSC delta of the loop is printed for Machina too ("guest-timed", free of start-up noise).
# Wall time on a loaded machine is noisy: use REPS >= 3, not niced, nothing else emulating.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
n=${1:-20000}; reps=${2:-3}; limit=${BENCH_TIMEOUT:-900}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "ide-pio-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for c in 1 "$n"; do
  nasm -f bin -I "$root/tests/baremetal/" -DKIND=4 -DCOUNT="$c" -o "$work/ide-$c.bin" "$root/tests/baremetal/fastpath.asm"
done
# 2048 sectors; dword 0 of sector i holds i (the ROM reports the first dword of its last sector)
perl -e 'print pack("V", $_), "\0" x 508 for 0 .. 2047' >"$work/disk.img"
devs=(-display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot -drive "file=$work/disk.img,format=raw,if=ide,index=0")
run_one() { # emulator rom -> prints "seconds result-line"
  local emu=$1 rom=$2 out="$work/out.txt" t0 t1 rc=0
  rm -f "$out"; t0=$(date +%s.%N)
  if [ "$emu" = qemu ]; then
    timeout -k 5 "$limit" qemu-system-i386 -M pc -accel tcg -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" -debugcon file:"$out" || rc=$?
  else
    local fast=on; [ "$emu" = machina-off ] && fast=off
    # shellcheck disable=SC2086 # MACHINA_ARGS is a list of options
    timeout -k 5 "$limit" "$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
      @"$root/scripts/jvm/machine.options" -jar "$launcher" run -machine pc -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" \
      -global piix3-ide.fastpath=$fast ${MACHINA_ARGS:-} -debugcon file:"$out" >/dev/null 2>"$work/err.txt" || rc=$?
  fi
  t1=$(date +%s.%N)
  [ "$rc" = 1 ] || { echo "ide-pio-bench: $emu exited with $rc (expected 1); transcript: $(cat "$out" 2>/dev/null)" >&2; [ -f "$work/err.txt" ] && tail -5 "$work/err.txt" >&2; return 1; }
  echo "$(echo "$t1 - $t0" | bc -l) $(grep RESULT "$out")"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
emus=()
for e in ${BENCH_EMUS:-machina machina-off qemu}; do
  if [ "$e" = qemu ] && ! command -v qemu-system-i386 >/dev/null; then echo "ide-pio-bench: no qemu-system-i386, skipped" >&2; continue; fi
  emus+=("$e")
done
declare -A t1s=() tns=() tscs=() last=()
for i in $(seq "$reps"); do
  for emu in "${emus[@]}"; do
    l=$(run_one "$emu" "$work/ide-1.bin"); t1s[$emu]+="${l%% *} "
    l=$(run_one "$emu" "$work/ide-$n.bin"); tns[$emu]+="${l%% *} "; last[$emu]=${l#* }
    read -r _ _ _ _ hi lo <<<"${last[$emu]}"
    tscs[$emu]+="$(( (16#$hi << 32) + 16#$lo )) "
  done
done
declare -A wall=() guest=() gmin=()
for emu in "${emus[@]}"; do
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  a=$(printf '%s\n' ${t1s[$emu]} | median); b=$(printf '%s\n' ${tns[$emu]} | median)
  # shellcheck disable=SC2086
  tsc=$(printf '%s\n' ${tscs[$emu]} | median)
  wall[$emu]=$(echo "($b - $a) * 1000000000 / $n" | bc -l)
  guest[$emu]=$(echo "$tsc / $n" | bc -l)
  # shellcheck disable=SC2086
  gmin[$emu]=$(echo "$(printf '%s\n' ${tscs[$emu]} | sort -g | head -1) / $n" | bc -l)
  printf '%-11s N=%d sectors: median %.3f s, start-up %.3f s  [last: %s]\n' "$emu" "$n" "$b" "$a" "${last[$emu]}"
  printf '%-11s wall: %.0f ns per sector (%.1f ns per data word)' "$emu" "${wall[$emu]}" "$(echo "${wall[$emu]} / 256" | bc -l)"
  if [ "$emu" != qemu ]; then
    # shellcheck disable=SC2086
    printf ', guest-timed (TSC): median %.0f, best %.0f ns per sector; per run: %s' "${guest[$emu]}" "${gmin[$emu]}" \
      "$(for t in ${tscs[$emu]}; do printf '%.0f ' "$(echo "$t / $n" | bc -l)"; done)"
  fi
  echo
done
ratio() { # a b -> "a/b" or "n/a"
  if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo n/a; fi
}
if [ -n "${wall[machina]:-}" ] && [ -n "${wall[machina-off]:-}" ]; then
  printf 'ide-pio fastpath off/on per sector: wall %.0f / %.0f ns = %s, guest-timed %.0f / %.0f ns = %s\n' \
    "${wall[machina-off]}" "${wall[machina]}" "$(ratio "${wall[machina-off]}" "${wall[machina]}")" \
    "${guest[machina-off]}" "${guest[machina]}" "$(ratio "${guest[machina-off]}" "${guest[machina]}")"
  printf 'ide-pio fastpath off/on per sector, best runs (least disturbed by host load): guest-timed %.0f / %.0f ns = %s\n' \
    "${gmin[machina-off]}" "${gmin[machina]}" "$(ratio "${gmin[machina-off]}" "${gmin[machina]}")"
fi
if [ -n "${wall[qemu]:-}" ]; then
  for emu in machina machina-off; do
    [ -n "${wall[$emu]:-}" ] && printf 'ide-pio %s/qemu per sector (wall): %.0f / %.0f ns = %s\n' "$emu" "${wall[$emu]}" \
      "${wall[qemu]}" "$(ratio "${wall[$emu]}" "${wall[qemu]}")"
  done
fi
