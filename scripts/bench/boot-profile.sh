#!/usr/bin/env bash
# One Linux boot to /init's MACHINA-INIT-OK on Machina, for profiling the translator: prints the
# wall time, the CPU time of the JVM's busiest threads (the machine thread, the JIT compilers)
# and the CPU statistics of QMP x-machina-query-cpu-stats (instructions, blocks translated and
# run, jump-cache hits, TLB fills, exceptions ...). No reference tool: boot-bench.sh compares
# with QEMU; this one compares Machina with itself (ACCEL, JVM options).
# Usage: scripts/bench/boot-profile.sh
#   ACCEL=tcg|interp|tcg,thresh=N (default tcg); XJVM="JVM options" replaces scripts/jvm/machine.options
#   (XJVM=" " for none; add -XX:StartFlightRecording=filename=F.jfr for a JFR profile)
#   MACHINA_LAUNCHER=JAR runs another launcher than the built full distribution's (an A/B pair)
#   APPEND= the kernel command line (default: console=ttyS0 quiet panic=-1 cryptomgr.notests noisapnp)
#   CPU= the -cpu model and features (default pentium3; CPU=pentium3,+apic boots with the APICs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "boot-profile: build the distribution first (./machina --help builds it)" >&2; exit 1; }
"$root/scripts/guest-images.sh" >&2
command -v socat >/dev/null || { echo "boot-profile: socat is needed (apt-get install socat)" >&2; exit 1; }
work=$(mktemp -d); trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
jvm=${XJVM:-"@$root/scripts/jvm/machine.options"}
t0=$(date +%s.%N)
# shellcheck disable=SC2086 # XJVM is a list of options
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow $jvm \
  -jar "$launcher" run -machine pc -cpu "${CPU:-pentium3}" -accel "${ACCEL:-tcg}" -m 256 -nographic \
  -kernel "$root/images/vmlinuz" -initrd "$root/images/initramfs.cpio.gz" \
  -append "${APPEND:-console=ttyS0 quiet panic=-1 cryptomgr.notests noisapnp}" \
  -qmp "unix:$work/qmp,server=on,wait=off" </dev/null >"$work/console" 2>&1 &
pid=$!
until grep -q MACHINA-INIT-OK "$work/console"; do
  kill -0 "$pid" 2>/dev/null || { echo "boot-profile: the machine ended before /init; console:" >&2; tail -20 "$work/console" >&2; exit 1; }
  sleep 0.5
done
t1=$(date +%s.%N)
printf 'boot to /init: %.1f s\n' "$(echo "$t1 - $t0" | bc -l)"
for t in /proc/"$pid"/task/*; do
  read -r -a f <"$t/stat" 2>/dev/null || continue
  echo "$(( f[13] + f[14] )) $(cat "$t/comm")"
done | sort -rn | head -4 | awk '{printf "  thread %-16s %6.1f s of CPU\n", $2, $1 / 100}'
(echo '{"execute":"qmp_capabilities"}'; sleep 0.3; echo '{"execute":"x-machina-query-cpu-stats"}'; sleep 1) \
  | socat - "UNIX-CONNECT:$work/qmp" | tail -1 | grep -o '"cpu":{[^}]*}'
# stop the machine and wait for its JVM: a JFR recording is complete only once the JVM has ended
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
