#!/usr/bin/env bash
# Device access benchmark: what one guest access to a device register costs, on Machina and
# (optionally) qemu-system-i386 (TCG). The ROM tests/baremetal/fastpath.asm does N accesses of
# one kind in a 3-instruction loop (kinds by their names here, KIND= of the ROM):
#   port    IN EAX, DX from the ACPI PM timer (port 0x608)
#   mmio    a load from the HPET main counter (0xFED000F0)
#   status  (5) a load from the HPET's GINTR_STA (0xFED00020: served from a field, no clock read,
#           so it shows what the dispatch alone costs)
#   idest   (6) IN AL, DX from the primary IDE status register (0x1F7)
#   idealt  (7) IN AL, DX from the primary IDE alternate status register (0x3F6)
#   idedata (8) IN AX, DX from the primary IDE data port (0x1F0) while a PIO read offers sectors:
#           per sector one IN and 255 in the loop, a DRQ poll of the status register before it and
#           a READ SECTORS per 256 sectors; the per-sector work (on the fast path: the sector's last
#           word, which takes the normal path, the next sector and the first status read) is
#           included in the cost per word, as a PIO read pays it
#   ram     (3) the same loop on RAM, the baseline to subtract.
# Each kind runs with COUNT=1 (start-up) and COUNT=N, REPS times (interleaved), median wall time;
# the cost per access is
#   ((t(N) - t(1)) of the kind - (t(N) - t(1)) of RAM) / N.
# N is rounded down to a multiple of 256 (whole sectors for idedata).
# Before the timed N, every run (COUNT=1 too) does BENCH_WARMUP untimed accesses of the same kind
# (default N/4, rounded down to 256; 0 for none): what is timed is the steady cost of an access,
# not the JVM compiling Machina's interpreter or the guest's loop while it runs. With
# BENCH_WARMUP=0 the first accesses (about 0.1-0.2 s of JIT warm-up under -accel interp) are in it.
# Usage: scripts/bench/fastpath-bench.sh [N (default 20000000)] [REPS (default 3)]
#   BENCH_EMUS="machina machina-off" (default): Machina with the fast path of hpet, acpi-pm and
#   piix3-ide on (their default) and off (-global hpet.fastpath=off -global acpi-pm.fastpath=off
#   -global piix3-ide.fastpath=off); add qemu to compare with qemu-system-i386. BENCH_KINDS (default
#   "port mmio status idest idealt idedata"; ram is always run) picks the registers. BENCH_TIMEOUT
#   per run (900 s), MACHINA_ARGS extra options for both Machina runs (e.g. "-accel tcg"),
#   MACHINA_LAUNCHER=JAR runs another launcher than the built full distribution's, OPTS=FILE another
#   JVM argument file than scripts/jvm/machine.options (an A/B pair of JVM options).
# Every run has a 1 MiB raw disk on the primary IDE channel (-drive ...,if=ide,index=0).
# Machina's TSC counts guest nanoseconds (1 GHz, guest time = host time while running, less
# host stalls of the machine thread beyond 200 us each), so the ROM's own TSC delta of the loop
# is printed too: "guest-timed" figures, free of start-up noise and of host preemption.
# With both Machina runs, the last lines give the off/on ratio of the cost per access above the
# RAM loop (wall and guest-timed): how much the fast path saves; see docs/architecture.md,
# "Fast path". Wall time on a loaded machine is noisy: use REPS >= 3, and do not run it niced or
# next to other emulators.
# QEMU without firmware has no PM I/O base programmed (port 0x608 reads as unassigned); its port
# figure is then the cost of an unassigned port.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
n=${1:-20000000}; reps=${2:-3}; limit=${BENCH_TIMEOUT:-900}
n=$(( n / 256 * 256 )); [ "$n" -gt 0 ] || { echo "fastpath-bench: N must be at least 256" >&2; exit 1; }
warmup=${BENCH_WARMUP:-$(( n / 4 ))}; warmup=$(( warmup / 256 * 256 ))
echo "fastpath-bench: N=$n timed accesses per run after $warmup untimed ones (BENCH_WARMUP), $reps repetitions"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "fastpath-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
opts=${OPTS:-"$root/scripts/jvm/machine.options"}
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
names=([1]=port [2]=mmio [3]=ram [5]=status [6]=idest [7]=idealt [8]=idedata)
kinds=(3); measured=()
for name in ${BENCH_KINDS:-port mmio status idest idealt idedata}; do
  k=""
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$name" ] && k=$i; done
  [ -n "$k" ] && [ "$k" != 3 ] || { echo "fastpath-bench: unknown kind '$name' in BENCH_KINDS" >&2; exit 1; }
  kinds+=("$k"); measured+=("$k")
done
for k in "${kinds[@]}"; do
  for c in 1 "$n"; do
    nasm -f bin -I "$root/tests/baremetal/" -DKIND="$k" -DCOUNT="$c" -DWARMUP="$warmup" -o "$work/k$k-$c.bin" "$root/tests/baremetal/fastpath.asm"
  done
done
# 2048 sectors; dword 0 of sector i holds i (the idedata ROM reports the first word of its last sector)
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
      @"$opts" -jar "$launcher" run -machine pc -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" \
      -global hpet.fastpath=$fast -global acpi-pm.fastpath=$fast -global piix3-ide.fastpath=$fast ${MACHINA_ARGS:-} \
      -debugcon file:"$out" >/dev/null 2>"$work/err.txt" || rc=$?
  fi
  t1=$(date +%s.%N)
  [ "$rc" = 1 ] || { echo "fastpath-bench: $emu exited with $rc (expected 1); transcript: $(cat "$out" 2>/dev/null)" >&2; [ -f "$work/err.txt" ] && tail -5 "$work/err.txt" >&2; return 1; }
  echo "$(echo "$t1 - $t0" | bc -l) $(grep RESULT "$out")"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
emus=(${BENCH_EMUS:-machina machina-off})
# The repetitions are interleaved (rep 1 of every emulator and kind, then rep 2, ...), so that a
# change of host load hits fast path on and off alike.
declare -A t1s=() tns=() tscs=() last=()
for i in $(seq "$reps"); do
  for emu in "${emus[@]}"; do
    for k in "${kinds[@]}"; do
      l=$(run_one "$emu" "$work/k$k-1.bin"); t1s[$emu.$k]+="${l%% *} "
      l=$(run_one "$emu" "$work/k$k-$n.bin"); tns[$emu.$k]+="${l%% *} "; last[$emu.$k]=${l#* }
      read -r _ _ _ _ hi lo <<<"${last[$emu.$k]}"
      tscs[$emu.$k]+="$(( (16#$hi << 32) + 16#$lo )) "
    done
  done
done
declare -A wall=() guest=()
for emu in "${emus[@]}"; do
  declare -A loop=() tsc=()
  for k in "${kinds[@]}"; do
    # shellcheck disable=SC2086 # the lists are space-separated numbers
    a=$(printf '%s\n' ${t1s[$emu.$k]} | median); b=$(printf '%s\n' ${tns[$emu.$k]} | median)
    # shellcheck disable=SC2086
    tsc[$k]=$(printf '%s\n' ${tscs[$emu.$k]} | median)
    loop[$k]=$(echo "$b - $a" | bc -l)
    printf '%-11s %-7s N=%d: median %.3f s, start-up %.3f s, loop %.3f s  [last: %s]\n' "$emu" "${names[$k]}" "$n" "$b" "$a" \
      "${loop[$k]}" "${last[$emu.$k]}"
    if [ "$emu" != qemu ]; then # every run's guest-timed loop, ns per iteration: how much the runs scatter
      # shellcheck disable=SC2086
      printf '%-11s %-7s guest-timed loop per run: %s ns\n' "$emu" "${names[$k]}" \
        "$(for t in ${tscs[$emu.$k]}; do printf '%.1f ' "$(echo "$t / $n" | bc -l)"; done)"
    fi
  done
  for k in "${measured[@]}"; do
    wall[$emu.$k]=$(echo "(${loop[$k]} - ${loop[3]}) * 1000000000 / $n" | bc -l)
    printf '%-11s %-7s cost per access: %.1f ns (loop of 3 instructions: %.1f ns, RAM load loop %.1f ns)\n' "$emu" "${names[$k]}" \
      "${wall[$emu.$k]}" "$(echo "${loop[$k]} * 1000000000 / $n" | bc -l)" \
      "$(echo "${loop[3]} * 1000000000 / $n" | bc -l)"
  done
  if [ "$emu" != qemu ]; then
    for k in "${measured[@]}"; do
      guest[$emu.$k]=$(echo "(${tsc[$k]} - ${tsc[3]}) / $n" | bc -l)
      printf '%-11s %-7s guest-timed (TSC, median): %.1f ns per access above the RAM loop (loop %.1f ns, RAM loop %.1f ns)\n' \
        "$emu" "${names[$k]}" "${guest[$emu.$k]}" "$(echo "${tsc[$k]} / $n" | bc -l)" \
        "$(echo "${tsc[3]} / $n" | bc -l)"
    done
  fi
  unset loop tsc
done
ratio() { # off on -> "off/on" or "n/a" when "on" is not above zero
  if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo n/a; fi
}
if [ -n "${wall[machina.${measured[0]}]:-}" ] && [ -n "${wall[machina-off.${measured[0]}]:-}" ]; then
  for k in "${measured[@]}"; do
    printf 'fastpath %-7s off/on cost per access above RAM: wall %.1f / %.1f ns = %s, guest-timed %.1f / %.1f ns = %s\n' \
      "${names[$k]}" "${wall[machina-off.$k]}" "${wall[machina.$k]}" "$(ratio "${wall[machina-off.$k]}" "${wall[machina.$k]}")" \
      "${guest[machina-off.$k]}" "${guest[machina.$k]}" "$(ratio "${guest[machina-off.$k]}" "${guest[machina.$k]}")"
  done
fi
