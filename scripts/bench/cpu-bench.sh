#!/usr/bin/env bash
# CPU benchmark: the same bare-metal ROMs on Machina and on qemu-system-i386 (TCG), REPS runs
# each, median wall time, guest instructions per second from each ROM's analytic instruction
# count, and the ratio. Three kernels (tests/baremetal/):
#   int   bench.asm: LCG fill, bitwise CRC32, sieve (integer and branches), ROUNDS rounds
#   mem   bench-mem.asm: 64 KiB copy, read-modify-write pass, strided reads, 9*ROUNDS rounds
#   call  bench-call.asm: recursive fib(20) with stack frames (calls, returns, push/pop), 5*ROUNDS rounds
# (each about 1.4 M instructions a round of ROUNDS).
# Usage: scripts/bench/cpu-bench.sh [ROUNDS (default 1000)] [REPS (default 3)]
#   BENCH_KERNELS="int mem call" (default) chooses the kernels;
#   BENCH_EMUS="qemu machina machina-interp" (default) chooses the emulators: machina runs with its
#   translator (-accel tcg), machina-interp with the interpreter alone, machina-nohot with the translator
#   but no hot code for C2 (-accel tcg,hot=0), machina-region with hot code as regions of up to 192
#   instructions (-accel tcg,region=192); BENCH_TIMEOUT per run (900 s);
#   MACHINA_LAUNCHER=JAR runs another launcher than the built full distribution's;
#   OPTS=FILE gives Machina's JVM another argument file than scripts/jvm/machine.options (an A/B pair)
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
devs=(-display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot)
run_one() { # emulator rom -> prints "seconds result-line"
  local emu=$1 rom=$2 out="$work/out.txt" t0 t1 rc=0
  rm -f "$out"; t0=$(date +%s.%N)
  if [ "$emu" = qemu ]; then
    timeout -k 5 "$limit" qemu-system-i386 -M pc -accel tcg -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" -debugcon file:"$out" || rc=$?
  else
    local accel=tcg; [ "$emu" = machina-interp ] && accel=interp; [ "$emu" = machina-nohot ] && accel=tcg,hot=0
    [ "$emu" = machina-region ] && accel=tcg,region=192
    timeout -k 5 "$limit" "$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
      @"${OPTS:-$root/scripts/jvm/machine.options}" -jar "$launcher" run -machine pc -cpu pentium3 -accel "$accel" -m 32 -bios "$rom" "${devs[@]}" -debugcon file:"$out" >/dev/null 2>"$work/err.txt" || rc=$?
  fi
  t1=$(date +%s.%N)
  [ "$rc" = 1 ] || { echo "cpu-bench: $emu exited with $rc (expected 1); transcript: $(cat "$out" 2>/dev/null)" >&2; [ -f "$work/err.txt" ] && tail -5 "$work/err.txt" >&2; return 1; }
  echo "$(echo "$t1 - $t0" | bc -l) $(grep RESULT "$out")"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
insns() { # kernel rounds result-line -> analytic instruction count of the guest loop
  local kernel=$1 rounds=$2; shift 2
  case "$kernel" in
    int) local primes=$((16#$2)) inner=$((16#$3)) n=32768
         echo $(( rounds * (13 + 6*4096 + 69*16384 + n + 5*(n-2)) + 5*primes + 5*inner ));;
    mem) echo $(( rounds * 151563 ));;
    call) echo $(( rounds * 284583 ));;
  esac
}
for kernel in ${BENCH_KERNELS:-int mem call}; do
  case "$kernel" in
    int) src=bench.asm; kr=$rounds;;
    mem) src=bench-mem.asm; kr=$((rounds * 9));;
    call) src=bench-call.asm; kr=$((rounds * 5));;
    *) echo "cpu-bench: unknown kernel '$kernel' (int, mem, call)" >&2; exit 1;;
  esac
  for r in 1 "$kr"; do nasm -f bin -I "$root/tests/baremetal/" -DROUNDS="$r" -o "$work/$kernel$r.bin" "$root/tests/baremetal/$src"; done
  echo "== kernel $kernel ($src, $kr rounds)"
  unset rate ref; declare -A rate
  for emu in ${BENCH_EMUS:-qemu machina machina-interp}; do
    line=$(run_one "$emu" "$work/${kernel}1.bin"); base=${line%% *}; baseline=${line#* }
    times=(); result=""
    for i in $(seq "$reps"); do
      line=$(run_one "$emu" "$work/$kernel$kr.bin"); times+=("${line%% *}"); result=${line#* }
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    if [ -z "${ref:-}" ]; then ref=$result; elif [ "$result" != "$ref" ]; then
      echo "cpu-bench: $kernel: results differ: first '$ref', $emu '$result'" >&2; exit 1; fi
    read -r _ _ p t <<<"$result"
    read -r _ _ p1 t1 <<<"$baseline"
    n=$(( $(insns "$kernel" "$kr" x "$p" "$t") - $(insns "$kernel" 1 x "$p1" "$t1") ))
    loop=$(echo "$med - $base" | bc -l)
    rate[$emu]=$(echo "$n / $loop" | bc -l)
    printf '%-14s median %.3f s (start-up run %.3f s), %d guest instructions, %.1f MIPS  [%s]\n' \
      "$emu" "$med" "$base" "$n" "$(echo "${rate[$emu]} / 1000000" | bc -l)" "$result"
  done
  for emu in machina machina-interp machina-nohot machina-region; do
    if [ -n "${rate[$emu]:-}" ] && [ -n "${rate[qemu]:-}" ]; then
      printf 'ratio %s/qemu (%s): %.3f\n' "$emu" "$kernel" "$(echo "${rate[$emu]} / ${rate[qemu]}" | bc -l)"
    fi
  done
  if [ -n "${rate[machina]:-}" ] && [ -n "${rate[machina-interp]:-}" ]; then
    printf 'translator speed-up (machina / machina-interp, %s): %.2fx\n' "$kernel" "$(echo "${rate[machina]} / ${rate[machina-interp]}" | bc -l)"
  fi
done
