#!/usr/bin/env bash
# CPU benchmark: the same bare-metal ROM (tests/baremetal/bench.asm: LCG fill, bitwise CRC32,
# sieve) on Machina and on qemu-system-i386 (TCG), REPS runs each, median wall time, guest
# instructions per second from the ROM's analytic instruction count, and the ratio.
# Usage: scripts/bench/cpu-bench.sh [ROUNDS (default 1000)] [REPS (default 3)]
#   BENCH_EMUS="qemu machina machina-interp" (default) chooses the emulators: machina runs with its
#   translator (-accel tcg), machina-interp with the interpreter alone; BENCH_TIMEOUT per run (900 s);
#   MACHINA_LAUNCHER=JAR runs another launcher than the built full distribution's
# Wall time includes start-up (JVM + OSGi for Machina, process start for QEMU); the run with
# ROUNDS=1 is measured too and subtracted, so the rates cover the guest loop only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
rounds=${1:-1000}; reps=${2:-3}; limit=${BENCH_TIMEOUT:-900}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "cpu-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
command -v qemu-system-i386 >/dev/null || { echo "cpu-bench: qemu-system-i386 not installed" >&2; exit 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for r in 1 "$rounds"; do nasm -f bin -I "$root/tests/baremetal/" -DROUNDS="$r" -o "$work/bench$r.bin" "$root/tests/baremetal/bench.asm"; done
devs=(-display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot)
run_one() { # emulator rom -> prints "seconds result-line"
  local emu=$1 rom=$2 out="$work/out.txt" t0 t1 rc=0
  rm -f "$out"; t0=$(date +%s.%N)
  if [ "$emu" = qemu ]; then
    timeout -k 5 "$limit" qemu-system-i386 -M pc -accel tcg -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" -debugcon file:"$out" || rc=$?
  else
    local accel=tcg; [ "$emu" = machina-interp ] && accel=interp
    timeout -k 5 "$limit" "$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
      -jar "$launcher" run -machine pc -cpu pentium3 -accel "$accel" -m 32 -bios "$rom" "${devs[@]}" -debugcon file:"$out" >/dev/null 2>"$work/err.txt" || rc=$?
  fi
  t1=$(date +%s.%N)
  [ "$rc" = 1 ] || { echo "cpu-bench: $emu exited with $rc (expected 1); transcript: $(cat "$out" 2>/dev/null)" >&2; [ -f "$work/err.txt" ] && tail -5 "$work/err.txt" >&2; return 1; }
  echo "$(echo "$t1 - $t0" | bc -l) $(grep RESULT "$out")"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
insns() { # result line -> analytic instruction count of the guest loop
  local primes=$((16#$3)) inner=$((16#$4)) n=32768
  echo $(( $1 * (13 + 6*4096 + 69*16384 + n + 5*(n-2)) + 5*primes + 5*inner ))
}
declare -A rate
for emu in ${BENCH_EMUS:-qemu machina machina-interp}; do
  base=$(run_one "$emu" "$work/bench1.bin" | median)
  times=(); result=""
  for i in $(seq "$reps"); do
    line=$(run_one "$emu" "$work/bench$rounds.bin"); times+=("${line%% *}"); result=${line#* }
  done
  med=$(printf '%s\n' "${times[@]}" | median)
  if [ -z "${ref:-}" ]; then ref=$result; elif [ "$result" != "$ref" ]; then
    echo "cpu-bench: results differ: qemu '$ref', machina '$result'" >&2; exit 1; fi
  read -r _ _ p t <<<"$result"
  n=$(( $(insns "$rounds" x "$p" "$t") - $(insns 1 x 00000DB8 0001399F) ))
  loop=$(echo "$med - $base" | bc -l)
  rate[$emu]=$(echo "$n / $loop" | bc -l)
  printf '%-8s median %.3f s (start-up run %.3f s), %d guest instructions, %.1f MIPS  [%s]\n' \
    "$emu" "$med" "$base" "$n" "$(echo "${rate[$emu]} / 1000000" | bc -l)" "$result"
done
for emu in machina machina-interp; do
  if [ -n "${rate[$emu]:-}" ] && [ -n "${rate[qemu]:-}" ]; then
    printf 'ratio %s/qemu: %.3f\n' "$emu" "$(echo "${rate[$emu]} / ${rate[qemu]}" | bc -l)"
  fi
done
if [ -n "${rate[machina]:-}" ] && [ -n "${rate[machina-interp]:-}" ]; then
  printf 'translator speed-up (machina / machina-interp): %.2fx\n' "$(echo "${rate[machina]} / ${rate[machina-interp]}" | bc -l)"
fi
