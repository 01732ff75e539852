#!/usr/bin/env bash
# Linux boot benchmark: the Debian i386 kernel and busybox initramfs (images/, made by
# scripts/guest-images.sh) with "console=ttyS0 quiet panic=-1 cryptomgr.notests noisapnp" on Machina and on qemu-system-i386
# (TCG, -cpu pentium3 -m 256), REPS boots each, host wall time from starting the process until
# /init prints MACHINA-INIT-OK on the serial console; then each is stopped. Prints the median
# times and the ratio machina/qemu (how many times longer Machina takes).
# Usage: scripts/bench/boot-bench.sh [REPS (default 1)]
#   BENCH_EMUS="qemu machina machina-interp" (default "qemu machina") chooses the emulators: machina runs
#   with its translator (-accel tcg), machina-interp with the interpreter alone; BENCH_TIMEOUT per boot (1200 s);
#   MACHINA_LAUNCHER=JAR runs another launcher than the full distribution (built here if missing);
#   MACHINA_AOT=off runs Machina without the JDK's AOT cache
# Machina's time includes the JVM and OSGi start-up, QEMU's its process start. Machina's JVM uses
# the AOT cache ./machina uses (scripts/jvm/aot.sh): when the distribution has none, an untimed
# boot records it first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
reps=${1:-1}; limit=${BENCH_TIMEOUT:-1200}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
command -v qemu-system-i386 >/dev/null || { echo "boot-bench: qemu-system-i386 not installed" >&2; exit 1; }
if [ -z "${MACHINA_LAUNCHER:-}" ]; then
  "$root/machina" --help >/dev/null   # builds the distribution if it is missing or stale
fi
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "boot-bench: no launcher at $launcher" >&2; exit 1; }
dist=$(dirname "$(dirname "$launcher")")
. "$root/scripts/jvm/aot.sh"
kernel="$root/images/vmlinuz"; initrd="$root/images/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || "$root/scripts/guest-images.sh" >&2
# the kernel's crypto self-tests and ISA PnP probe are about 60 % of a boot's instructions (QEMU's
# initcall_debug): left out as in the tests; BENCH_APPEND="console=ttyS0 quiet panic=-1" keeps them
append=${BENCH_APPEND:-"console=ttyS0 quiet panic=-1 cryptomgr.notests noisapnp"}
echo "boot-bench: kernel command line: $append"
java_bin="$JAVA_HOME/bin/java"

boot_one() { # emulator -> prints seconds until MACHINA-INIT-OK
  local emu=$1 log="$work/$1.log" t0 t1 line found=""
  : >"$log"
  t0=$(date +%s.%N)
  if [ "$emu" = qemu ]; then
    coproc EMU { exec timeout -k 5 "$limit" qemu-system-i386 -accel tcg -cpu pentium3 -m 256 -nographic -no-reboot \
      -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null 2>"$work/err.txt"; }
  else
    local accel=tcg; [ "$emu" = machina-interp ] && accel=interp
    # the options ./machina gives a machine's JVM (the AOT cache holds them: no --enable-native-access)
    coproc EMU { exec timeout -k 5 "$limit" "$java_bin" -Xlog:disable -Xlog:all=warning,cds*=off,aot*=off:stderr \
      --sun-misc-unsafe-memory-access=allow ${aot_opts[@]+"${aot_opts[@]}"} @"$root/scripts/jvm/machine.options" -jar "$launcher" run -machine pc -cpu pentium3 -accel "$accel" -m 256 -nographic \
      -kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null 2>"$work/err.txt"; }
  fi
  local pid=$EMU_PID out=${EMU[0]}
  while IFS= read -r line <&"$out"; do
    printf '%s\n' "$line" >>"$log"
    if [[ $line == *MACHINA-INIT-OK* ]]; then t1=$(date +%s.%N); found=1; break; fi
  done
  kill "$pid" 2>/dev/null || true   # timeout(1) passes SIGTERM on to the emulator
  wait "$pid" 2>/dev/null || true
  if [ -z "$found" ]; then
    echo "boot-bench: $emu: no MACHINA-INIT-OK within $limit s; console:" >&2; tail -20 "$log" >&2
    echo "stderr:" >&2; tail -5 "$work/err.txt" >&2; return 1
  fi
  echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A secs
if [[ " ${BENCH_EMUS:-qemu machina} " == *" machina"* ]]; then
  machina_aot "$dist" train
  if [ "${aot_opts[0]:-}" = -XX:AOTMode=record ]; then
    echo "boot-bench: no AOT cache for this distribution and JDK yet: one untimed Machina boot records it"
    boot_one machina >/dev/null
    machina_aot "$dist" train
  fi
  echo "boot-bench: Machina's JVM options from scripts/jvm/aot.sh: ${aot_opts[*]:-(none)}"
fi
for emu in ${BENCH_EMUS:-qemu machina}; do
  times=()
  for _ in $(seq "$reps"); do times+=("$(boot_one "$emu")"); done
  secs[$emu]=$(printf '%s\n' "${times[@]}" | median)
  each=$(printf '%.2f ' "${times[@]}")
  printf '%-8s boot to MACHINA-INIT-OK: median %.2f s of %d (%s)\n' "$emu" "${secs[$emu]}" "$reps" "${each% }"
done
for emu in machina machina-interp; do
  if [ -n "${secs[$emu]:-}" ] && [ -n "${secs[qemu]:-}" ]; then
    printf 'ratio %s/qemu: %.1f\n' "$emu" "$(echo "${secs[$emu]} / ${secs[qemu]}" | bc -l)"
  fi
done
