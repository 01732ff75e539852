#!/usr/bin/env bash
# End-to-end fast-path benchmark (issue 18): what the fast path of the HPET, the ACPI PM timer and
# the PIIX IDE controller gains a Linux guest, not a bare-metal loop. One boot per emulator of the
# Debian i386 kernel and the test initramfs (images/, scripts/guest-images.sh) with
# "clocksource=hpet libata.force=pio4" (ata_piix drives the disk by PIO only), plus /bin/fpguest
# (scripts/bench/guest/fpguest.c, built here with gcc -m32 -static and appended to the initramfs)
# and an IDE disk of DISK_MB MiB of random data (-drive file=...,format=raw,if=ide). In the guest,
# REPS times each (on Machina: with the fast path on, then off, switched in the same boot):
#   clock: `fpguest clock CALLS`, CALLS calls of clock_gettime(CLOCK_MONOTONIC), each reading the
#          HPET main counter (the fast path's HPET register);
#   dd:    the page cache dropped, `fpguest read /dev/sdX`, the whole disk in 64 KiB reads through
#          ata_piix by PIO (REP INSW on the fast path's data port, status polls);
# then once `fpguest sum /dev/sdX`, compared with the image's sum (the PIO data arrived intact).
# Emulators (BENCH_EMUS, default "machina qemu"; qemu is skipped when not installed):
# machina = the built distribution; before each measurement QMP x-machina-fastpath switches the
# machine's fast path on ("machina" figures) or off ("machina-off": every device access takes the
# normal path, as with -global hpet.fastpath=off etc.), so on and off share one boot and alternate
# (on first in odd repetitions, off first in even ones: use an even REPS);
# qemu = qemu-system-i386 -accel tcg with the same guest, as the reference.
# Figures: guest-timed (the guest's CLOCK_MONOTONIC, printed by fpguest; Machina's guest time runs
# with the host's while the machine runs) and host wall time of each command (console markers);
# medians over REPS; then the ratios off/on and machina/qemu. Machina's x-machina-query-cpu-stats
# counts the accesses the CPU's fast path served during each measurement (0 with it off).
# Needs socat (QMP) for Machina.
# Usage: scripts/bench/fastpath-guest-bench.sh [CALLS (default 200000)] [REPS (default 2)]
#   DISK_MB (default 16), BENCH_TIMEOUT seconds per boot (default 2400), MACHINA_ARGS extra
#   options for the Machina runs (e.g. "-accel tcg"), MACHINA_LAUNCHER=JAR another launcher than
#   the built full distribution's, KEEP=1 keeps the work directory (consoles, stderr).
# Each boot of Machina's interpreter takes minutes: run it alone on the machine (not niced, no
# other emulator running: a loaded host makes the guest livelock in timer interrupts), e.g. under
# the machine's guest lock: flock /work/guest.lock scripts/bench/fastpath-guest-bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
calls=${1:-200000}; reps=${2:-2}; limit=${BENCH_TIMEOUT:-2400}; disk_mb=${DISK_MB:-16}
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then echo "fastpath-guest-bench: work directory $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "fastpath-guest-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
kernel="$root/images/vmlinuz"; initrd="$root/images/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "fastpath-guest-bench: run scripts/guest-images.sh first" >&2; exit 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# the guest program, in a second cpio archive appended to the initramfs (the kernel unpacks both,
# the second over the first), with scripts/guest/init as /init: it passes libata.force to libata
gcc -m32 -march=i686 -static -O2 -s -o "$work/fpguest" "$root/scripts/bench/guest/fpguest.c" \
  || { echo "fastpath-guest-bench: gcc -m32 -static failed (scripts/install-deps.sh installs gcc-multilib)" >&2; exit 1; }
"$java_bin" "$root/tools/initramfs/src/main/java/org/machina/tools/initramfs/MkInitramfs.java" "$work/extra.cpio.gz" \
  --dir bin --file "bin/fpguest=$work/fpguest" --init "$root/scripts/guest/init" >/dev/null
cat "$initrd" "$work/extra.cpio.gz" >"$work/initramfs.cpio.gz"
head -c "$((disk_mb << 20))" /dev/urandom >"$work/disk.img"
disk_sum=$(perl -e 'local $/; open my $f, "<:raw", $ARGV[0] or die; my $d = <$f>; my $s = 0;
  for (my $i = 0; $i < length $d; $i += 1 << 20) { $s = ($s + $_) % 4294967296 for unpack("V*", substr($d, $i, 1 << 20)) }
  printf "%08x", $s' "$work/disk.img")
append="console=ttyS0 panic=-1 quiet clocksource=hpet libata.force=pio4 cryptomgr.notests noisapnp"

emus=()
for e in ${BENCH_EMUS:-machina qemu}; do
  if [ "$e" = qemu ] && ! command -v qemu-system-i386 >/dev/null; then echo "fastpath-guest-bench: no qemu-system-i386, skipped" >&2; continue; fi
  emus+=("$e")
done
command -v socat >/dev/null || { echo "fastpath-guest-bench: socat is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }

qmp() { # socket command-json -> the reply line of the command
  printf '%s\n' '{"execute":"qmp_capabilities"}' "$2" | socat -t 10 - "UNIX-CONNECT:$1" 2>/dev/null | grep -v '"QMP"' | tail -1
}
qmp_served() { # socket -> the CPU's fastpath-served count
  local r
  r=$(qmp "$1" '{"execute":"x-machina-query-cpu-stats"}' | grep -o '"fastpath-served": *[0-9]*' | grep -o '[0-9]*$' || true)
  echo "${r:-0}"
}

# The console: await, typed, guest (scripts/bench/lib/console.sh)
. "$root/scripts/bench/lib/console.sh"
console_name=fastpath-guest-bench

declare -A clock_ns=() clock_wall=() read_mbs=() read_wall=() served=() info=()
run_emu() {
  emu=$1; log="$work/$emu.console"; : >"$log"
  console_name="fastpath-guest-bench: $emu"; console_err="$work/$emu.err"
  local sock="$work/$emu.qmp"
  local t0; t0=$(now)
  if [ "$emu" = qemu ]; then
    coproc EMU { exec timeout -k 5 "$limit" qemu-system-i386 -accel tcg -M pc -cpu pentium3 -m 256 -nographic -no-reboot \
      -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" -append "$append" \
      -drive "file=$work/disk.img,format=raw,if=ide,index=0" 2>"$work/$emu.err"; }
  else
    # shellcheck disable=SC2086 # MACHINA_ARGS is a list of options
    coproc EMU { MACHINA_HOME="$work/home" exec timeout -k 5 "$limit" "$java_bin" --enable-native-access=ALL-UNNAMED \
      --sun-misc-unsafe-memory-access=allow -Dorg.slf4j.simpleLogger.defaultLogLevel=warn @"$root/scripts/jvm/machine.options" -jar "$launcher" run \
      -machine pc -cpu pentium3 -m 256 -nographic -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" -append "$append" \
      -drive "file=$work/disk.img,format=raw,if=ide,index=0" -qmp "unix:$sock,server=on,wait=off" \
      ${MACHINA_ARGS:-} 2>"$work/$emu.err"; }
  fi
  # the coprocess's pid and pipes, kept: bash forgets them when it ends
  pid=$EMU_PID; exec {con_out}<&"${EMU[0]}" {con_in}>&"${EMU[1]}"
  await MACHINA-INIT-OK "$limit"
  local boot; boot=$(echo "$at - $t0" | bc -l)
  # the shell starts after the marker: type until it answers
  local ok=""
  for _ in $(seq 60); do
    typed 'echo __RE""ADY__'
    if await '__READY__$' 10 2>/dev/null; then ok=1; break; fi
  done
  [ -n "$ok" ] || { echo "fastpath-guest-bench: $emu: no shell" >&2; tail -20 "$log" >&2; return 1; }
  guest "dmesg -n 4"
  guest "cat /sys/devices/system/clocksource/clocksource0/current_clocksource"
  local cs=${out%%$'\n'*}
  guest '(for i in $(seq 120); do for d in /sys/block/sd*; do case "$(readlink -f $d)" in *ata*) echo "${d##*/}"; exit 0;; esac; done; sleep 1; done; echo none)' 300
  local sd=${out%%$'\n'*}
  [[ $sd =~ ^sd[a-z]+$ ]] || { echo "fastpath-guest-bench: $emu: no IDE disk: $out" >&2; return 1; }
  guest "cat /sys/class/ata_device/dev1.0/xfer_mode"
  local mode=${out%%$'\n'*}
  info[$emu]=$(printf 'boot to /init %.1f s, clocksource %s, /dev/%s %s' "$boot" "$cs" "$sd" "$mode")
  [ "$cs" = hpet ] || echo "fastpath-guest-bench: $emu: clocksource is '$cs', not hpet" >&2
  [ "$mode" = XFER_PIO_4 ] || echo "fastpath-guest-bench: $emu: the disk runs $mode, not XFER_PIO_4" >&2
  local s0 s1 s2 k modes=(qemu)
  for r in $(seq "$reps"); do
    # on Machina the fast path on, then off, in odd repetitions and the other way round in even
    # ones, so that neither setting always follows the other's dd (or the boot)
    if [ "$emu" != qemu ]; then if [ $((r % 2)) = 1 ]; then modes=(on off); else modes=(off on); fi; fi
    for mode in "${modes[@]}"; do
      k=$emu; [ "$mode" = off ] && k=$emu-off
      if [ "$mode" != qemu ]; then
        local reply; reply=$(qmp "$sock" "{\"execute\":\"x-machina-fastpath\",\"arguments\":{\"enable\":$([ "$mode" = on ] && echo true || echo false)}}")
        [[ $reply == *'"enabled":'$([ "$mode" = on ] && echo true || echo false)* ]] \
          || { echo "fastpath-guest-bench: x-machina-fastpath: $reply" >&2; return 1; }
        s0=$(qmp_served "$sock")
      fi
      guest "fpguest clock $calls"
      [[ $out =~ per-call-ns=([0-9.]+) ]] || { echo "fastpath-guest-bench: $k: fpguest clock: $out" >&2; return 1; }
      clock_ns[$k]+="${BASH_REMATCH[1]} "; clock_wall[$k]+="$(echo "$secs * 1000000000 / $calls" | bc -l) "
      [ "$mode" != qemu ] && { s1=$(qmp_served "$sock"); served[$k.clock]="$((s1 - s0))"; }
      guest "sync; echo 3 > /proc/sys/vm/drop_caches"
      [ "$mode" != qemu ] && s1=$(qmp_served "$sock")
      guest "fpguest read /dev/$sd"
      [[ $out =~ bytes=([0-9]+).*mb-per-s=([0-9.]+) ]] || { echo "fastpath-guest-bench: $k: fpguest read: $out" >&2; return 1; }
      [ "${BASH_REMATCH[1]}" = "$((disk_mb << 20))" ] || echo "fastpath-guest-bench: $k: read ${BASH_REMATCH[1]} bytes" >&2
      read_mbs[$k]+="${BASH_REMATCH[2]} "; read_wall[$k]+="$(echo "$((disk_mb << 20)) / $secs / 1000000" | bc -l) "
      [ "$mode" != qemu ] && { s2=$(qmp_served "$sock"); served[$k.read]="$((s2 - s1))"; }
      printf '%-11s rep %d: clock %s ns per call (guest), dd %s MB/s (guest)\n' "$k" "$r" \
        "$(echo "${clock_ns[$k]}" | awk '{print $NF}')" "$(echo "${read_mbs[$k]}" | awk '{print $NF}')" >&2
    done
  done
  [ "$emu" = qemu ] || qmp "$sock" '{"execute":"x-machina-fastpath","arguments":{"enable":true}}' >/dev/null
  guest "sync; echo 3 > /proc/sys/vm/drop_caches; fpguest sum /dev/$sd"
  if [[ $out =~ sum=([0-9a-f]+) ]] && [ "${BASH_REMATCH[1]}" = "$disk_sum" ]; then
    info[$emu]+=", data checked (sum $disk_sum)"
  else
    info[$emu]+=", DATA WRONG: $out (image sum $disk_sum)"; echo "fastpath-guest-bench: $emu: wrong data: $out" >&2
  fi
  typed poweroff
  local i; for i in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill "$pid" 2>/dev/null || true   # timeout(1) passes SIGTERM on to the emulator
  wait "$pid" 2>/dev/null || true
  exec {con_out}<&- {con_in}>&-
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for e in "${emus[@]}"; do run_emu "$e"; done

declare -A m_clock=() m_clockw=() m_read=() m_readw=()
keys=()
for e in "${emus[@]}"; do keys+=("$e"); [ "$e" = qemu ] || keys+=("$e-off"); done
for emu in "${keys[@]}"; do
  # shellcheck disable=SC2086 # space-separated numbers
  m_clock[$emu]=$(printf '%s\n' ${clock_ns[$emu]} | median); m_clockw[$emu]=$(printf '%s\n' ${clock_wall[$emu]} | median)
  # shellcheck disable=SC2086
  m_read[$emu]=$(printf '%s\n' ${read_mbs[$emu]} | median); m_readw[$emu]=$(printf '%s\n' ${read_wall[$emu]} | median)
  [ -n "${info[$emu]:-}" ] && echo "$emu: ${info[$emu]}"
  printf '%-11s clock_gettime (hpet): median %.0f ns per call guest-timed, %.0f ns host wall (runs: %s)\n' "$emu" \
    "${m_clock[$emu]}" "${m_clockw[$emu]}" "${clock_ns[$emu]% }"
  printf '%-11s dd %d MiB from the IDE disk by PIO: median %.3f MB/s guest-timed, %.3f MB/s host wall (runs: %s)\n' "$emu" \
    "$disk_mb" "${m_read[$emu]}" "${m_readw[$emu]}" "${read_mbs[$emu]% }"
  if [ -n "${served[$emu.clock]:-}" ]; then
    printf '%-11s accesses served by the fast path: %s during the last clock loop (%d calls), %s during the last dd\n' \
      "$emu" "${served[$emu.clock]}" "$calls" "${served[$emu.read]}"
  fi
done
ratio() { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo n/a; fi; }
if [ -n "${m_clock[machina]:-}" ] && [ -n "${m_clock[machina-off]:-}" ]; then
  printf 'fastpath end to end, off/on: clock_gettime per call %s (guest-timed), %s (host wall); dd MB/s on/off %s (guest-timed), %s (host wall)\n' \
    "$(ratio "${m_clock[machina-off]}" "${m_clock[machina]}")" "$(ratio "${m_clockw[machina-off]}" "${m_clockw[machina]}")" \
    "$(ratio "${m_read[machina]}" "${m_read[machina-off]}")" "$(ratio "${m_readw[machina]}" "${m_readw[machina-off]}")"
fi
if [ -n "${m_clock[qemu]:-}" ]; then
  for emu in machina machina-off; do
    [ -n "${m_clock[$emu]:-}" ] && printf '%s/qemu: clock_gettime per call %s times as long, dd MB/s %s of qemu (host wall)\n' "$emu" \
      "$(ratio "${m_clockw[$emu]}" "${m_clockw[qemu]}")" "$(ratio "${m_readw[$emu]}" "${m_readw[qemu]}")"
  done
fi
exit 0
