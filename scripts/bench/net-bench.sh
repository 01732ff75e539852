#!/usr/bin/env bash
# Network benchmark: one qemu-system-i386 guest (the Debian i386 kernel and busybox initramfs of
# images/, as NetServeQemuTest boots it, e1000 NIC) on each of two user-mode networks:
#   qemu     QEMU's own: -netdev user,restrict=on,hostfwd=...
#   machina  Machina's stack: `machina net serve -o restrict=on,hostfwd=...` reached over
#            -netdev stream (QEMU's length-prefixed framing on a 127.0.0.1 TCP socket)
# Both guests are booted once and stay up (the idle one costs next to nothing); then one
# untimed warm-up transfer each way per guest (the server's JIT, the guests' caches), then ROUNDS
# rounds, each measuring host->guest then guest->host on both guests back to back, the order
# alternating from round to round (qemu first, then machina first), so that a slow minute of the
# shared host hits both sides alike. Each transfer is SIZE MiB:
#   host->guest  the host sends zeros with socat into a hostfwd port, the guest's `nc -l | wc -c`
#                counts them; timed from the host's connect until the guest printed the count
#   guest->host  the guest's `dd | nc -l` sends, the host reads SIZE MiB through the other
#                hostfwd port; timed on the host
# For each transfer it prints MB/s (10^6 bytes), the TCP segments the guest took in (after its
# GRO merged them) and sent out per MiB (/proc/net/snmp, read before and after), the CPU per MiB
# of the guest's QEMU process (slirp included, for qemu) and of its vCPU thread alone, how that
# thread spent the transfer (running, waiting for a host CPU, asleep: /proc/.../schedstat), the
# guest's eth0 interrupts, NET_RX softirqs and context switches per MiB, the guest's own account of
# its CPU per MiB in user, system and softirq mode (/proc/stat; user is busybox `wc -c`'s per-byte loop,
# the same work whatever the network) and its clocksource, two speed gauges (before the transfer, the
# host's CPU ms for a fixed awk loop and the guest's vCPU ms per MiB for `dd | wc -c` with no network;
# during it, the median CPU ms of a smaller awk loop run every 0.3 s), the CPU per MiB of the
# `machina net serve` JVM, and how often the server's loop thread woke up (voluntary context
# switches) and called read or write per MiB. At the end, per side and direction, the median with the min-max of each; the
# median [min-max] of the rounds' machina/qemu MB/s ratios, and of their qemu/machina CPU-per-MiB
# ratios (guest QEMU + net serve: the host's other load moves it much less than MB/s, since the
# guests are CPU-bound); the ping RTT to the gateway 10.0.2.2 (busybox ping's average of PINGS
# echoes); the guest kernels' clocksource messages; the server JVM's busiest threads.
# Every packet stays on 127.0.0.1: restrict=on, the guest only reaches the gateway and is reached
# through hostfwd ports bound to 127.0.0.1.
# Usage: scripts/bench/net-bench.sh [SIZE_MIB (default 32)]
#   BENCH_ROUNDS (5), BENCH_WARMUP_MIB (8, 0: none), BENCH_PINGS (10),
#   BENCH_TIMEOUT per transfer (600 s), BENCH_EMUS="qemu machina" (default; one of them: no ratio),
#   BENCH_DIRS="h2g g2h" (default; one of them: only that direction),
#   BENCH_PERF=DIR: `perf record` each timed transfer's guest QEMU process into DIR/EMU-DIR-ROUND.data,
#   BENCH_SERVE_JAVA_OPTIONS: JVM options for `machina net serve` (e.g. a JFR recording),
#   BENCH_SERVE_LOG=FILE: where to keep the server's stderr,
#   BENCH_SERVE_UNIX=1: QEMU reaches `machina net serve` over a Unix socket (-k) rather than 127.0.0.1 TCP,
#   BENCH_SERVE_OPTS: more -netdev user options for it (e.g. tcp-timestamps=off)
# Boots QEMU guests: run it under `flock /work/guest.lock` on a shared machine. Needs socat
# (scripts/install-deps.sh) and builds the Machina distribution if it is missing (./machina).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
mib=${1:-32}; bytes=$((mib << 20)); pings=${BENCH_PINGS:-10}; limit=${BENCH_TIMEOUT:-600}
rounds=${BENCH_ROUNDS:-5}; warm=${BENCH_WARMUP_MIB:-8}; emus=(${BENCH_EMUS:-qemu machina}); dirs=(${BENCH_DIRS:-h2g g2h})
for t in qemu-system-i386 socat ss bc; do
  command -v "$t" >/dev/null || { echo "net-bench: $t not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
kernel="$root/images/vmlinuz"; initrd="$root/images/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || "$root/scripts/guest-images.sh" >&2
"$root/machina" --help >/dev/null   # builds the distribution if it is missing or stale
work=$(mktemp -d)
declare -A PID IN OUT FWD1 FWD2 RTT
serve_pid=""; loop_tid=""
cleanup() {
  local p
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${BENCH_SERVE_LOG:-}" ] && [ -f "$work/serve.err" ] && cp "$work/serve.err" "$BENCH_SERVE_LOG"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { # a TCP port nothing on this machine uses now
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -Htan "( sport = :$p or dport = :$p )")" ] && { echo "$p"; return; }
  done
}
tck=$(getconf CLK_TCK)
loop_counts() { # the net serve loop thread's wake-ups (voluntary context switches) and read/write calls so far
  [ -n "$loop_tid" ] && [ -r "/proc/$serve_pid/task/$loop_tid/io" ] || { echo "0 0"; return; }
  echo "$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$serve_pid/task/$loop_tid/status")" \
    "$(awk '/^sysc[rw]:/ { n += $2 } END { print n }' "/proc/$serve_pid/task/$loop_tid/io")"
}
cpu_ms() { # PID -> user + system CPU of the process so far, in ms (0 if there is none)
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  local s; s=$(<"/proc/$1/stat"); s=${s##*) }
  awk -v t="$tck" '{ printf "%d\n", ($12 + $13) * 1000 / t }' <<<"$s"
}

# --- a guest's serial console (FIFOs held open both ways): wait for a pattern, run a command ---
emu=""; console_log=""; emu_in=""; emu_out=""
use() { emu=$1; emu_in=${IN[$1]}; emu_out=${OUT[$1]}; console_log="$work/$1.console"; }
await() { # PATTERN SECONDS -> the matching line on stdout
  local pat=$1 end=$((SECONDS + $2)) line rc
  while [ $SECONDS -lt $end ]; do
    IFS= read -r -t 5 line <&"$emu_in" && rc=0 || rc=$?
    if [ $rc -eq 0 ]; then
      line=${line%$'\r'}
      printf '%s\n' "$line" >>"$console_log"
      if [[ $line =~ $pat ]]; then printf '%s\n' "$line"; return 0; fi
    elif ! kill -0 "${PID[$emu]}" 2>/dev/null; then
      echo "net-bench: $emu: QEMU ended" >&2; break
    fi
  done
  echo "net-bench: $emu: no '$pat' on the guest console; last lines:" >&2; tail -15 "$console_log" >&2; return 1
}
type_cmd() { printf '%s; echo R""C=$?\n' "$1" >&"$emu_out"; }
run() { # COMMAND SECONDS -> the command's output (console lines up to RC=), fails unless RC=0
  local out="" line end=$((SECONDS + $2))
  type_cmd "$1"
  while :; do
    line=$(await '.' $((end - SECONDS))) || return 1
    [[ $line =~ ^RC=([0-9]+) ]] && { [ "${BASH_REMATCH[1]}" = 0 ] || { echo "net-bench: $emu: '$1' failed: $out" >&2; return 1; }; break; }
    out+="$line"$'\n'
  done
  printf '%s' "$out"
}
now() { date +%s.%N; }

boot() { # EMU: starts its network (machina: the server) and its guest, up to a DHCP lease
  local e=$1 netdev line port
  FWD1[$e]=$(free_port); FWD2[$e]=$(free_port)
  local fwds="hostfwd=tcp:127.0.0.1:${FWD1[$e]}-:5001,hostfwd=tcp:127.0.0.1:${FWD2[$e]}-:5002"
  if [ "$e" = qemu ]; then
    netdev="user,id=n0,restrict=on,$fwds"
  else
    local listen=(-p 0)
    [ "${BENCH_SERVE_UNIX:-0}" = 1 ] && listen=(-k "$work/net.sock")
    JDK_JAVA_OPTIONS="${BENCH_SERVE_JAVA_OPTIONS:-}" "$root/machina" net serve "${listen[@]}" -o "restrict=on,$fwds${BENCH_SERVE_OPTS:+,$BENCH_SERVE_OPTS}" \
      >"$work/serve.out" 2>"$work/serve.err" &
    serve_pid=$!
    for _ in $(seq 300); do grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break; sleep 0.2; done
    line=$(grep -m1 '^listening on ' "$work/serve.out") || { echo "net-bench: machina net serve did not start:" >&2; cat "$work/serve.err" >&2; return 1; }
    for t in /proc/"$serve_pid"/task/*; do [ "$(<"$t/comm")" = net-user-serve ] && loop_tid=${t##*/}; done
    if [ "${BENCH_SERVE_UNIX:-0}" = 1 ]; then
      netdev="stream,id=n0,server=off,addr.type=unix,addr.path=$work/net.sock"
    else
      port=${line##*:}
      netdev="stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=$port"
    fi
  fi
  mkfifo "$work/$e.in" "$work/$e.out"; : >"$work/$e.console"
  local fin fout
  exec {fout}<>"$work/$e.in" {fin}<>"$work/$e.out"   # read-write opens: neither side blocks
  IN[$e]=$fin; OUT[$e]=$fout
  qemu-system-i386 -M pc -m 128 -name "$e,debug-threads=on" -kernel "$kernel" -initrd "$initrd" -netdev "$netdev" \
    -device e1000,netdev=n0 -nographic -no-reboot -append "console=ttyS0 panic=-1" \
    <"$work/$e.in" >"$work/$e.out" 2>&1 &
  PID[$e]=$!
  use "$e"
  await MACHINA-INIT-OK 300 >/dev/null
  sleep 1
  run "ifconfig eth0 up && sleep 2" 60 >/dev/null
  run "udhcpc -i eth0 -n -q -t 10 -T 2" 120 | grep -q 'lease of 10.0.2.15' || { echo "net-bench: $e: no DHCP lease" >&2; return 1; }
}

RES="$work/results"; : >"$RES"
guest_segs() { # the guest's TCP InSegs and OutSegs (/proc/net/snmp; received segments count after GRO), eth0's
  # interrupts, context switches and NET_RX softirqs so far; its CPU time in user, system and softirq
  # mode (USER_HZ ticks, /proc/stat) and its clocksource
  run "grep '^Tcp: [0-9]' /proc/net/snmp; grep eth0 /proc/interrupts; grep -E '^(ctxt|cpu) ' /proc/stat; grep NET_RX /proc/softirqs; echo cs \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" 30 |
    awk '/^Tcp: [0-9]/ { i = $11; o = $12 } /eth0/ { n = 0; for (f = 2; f <= NF && $f ~ /^[0-9]+$/; f++) n += $f }
      /^ctxt/ { c = $2 } /NET_RX/ { x = $2 } /^cpu / { us = $2 + $3; sy = $4; si = $8 } /^cs / { k = $2 }
      END { print i, o, n + 0, c + 0, x + 0, us + 0, sy + 0, si + 0, k }'
}
vcpu_ms() { # PID -> CPU in ms of the QEMU process's vCPU thread so far, and its time runnable but
  # waiting for a host CPU (ms, /proc/.../schedstat)
  local t
  for t in /proc/"$1"/task/*; do
    [[ "$(<"$t/comm")" == CPU* ]] && { echo "$(cpu_ms "$1/task/${t##*/}") $(awk '{ printf "%d", $2 / 1e6 }' "$t/schedstat")"; return; }
  done
  echo 0 0
}
sample() { # N -> the counters a transfer is measured by, before (0) or after (1) it, into the caller's
  # c$N (the guest QEMU's CPU ms), v$N (its vCPU's CPU and wait ms), s$N (the server's CPU ms), l$N (the
  # server loop's wake-ups and reads+writes)
  printf -v "c$1" %s "$(cpu_ms "${PID[$emu]}")"
  read -ra "v$1" <<<"$(vcpu_ms "${PID[$emu]}")"
  printf -v "s$1" %s "$(cpu_ms "$serve_pid")"
  read -ra "l$1" <<<"$(loop_counts)"
}
stats() { # numbers on stdin -> "median [min-max]" (FORMAT, default %.2f)
  sort -g | awk -v f="${1:-%.2f}" '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf f " [" f "-" f "]", m, v[1], v[NR] }'
}
gauge() { # -> how fast the host and the guest run fixed work just now, no network involved: the
  # host's CPU ms for an awk loop of 10 million additions, and the guest's vCPU ms per MiB for
  # `dd if=/dev/zero bs=4096 count=2048 | wc -c` (the guest's side of a transfer, without the
  # network: a pipe and busybox wc). Both change only when the host's cores (a noisy neighbour
  # of this virtual machine) or the guest's state (TCG's caches) do.
  local host a b
  host=$( { TIMEFORMAT=%3U; time awk 'BEGIN { for (i = 0; i < 10000000; i++) s += i }'; } 2>&1 )
  a=($(vcpu_ms "${PID[$emu]}"))
  run "dd if=/dev/zero bs=4096 count=2048 2>/dev/null | wc -c" 60 >/dev/null
  b=($(vcpu_ms "${PID[$emu]}"))
  echo "$(echo "$host * 1000 / 1" | bc) $(((b[0] - a[0]) / 8))"
}
transfer() { # EMU DIR(h2g|g2h) MIB ROUND(0: warm-up) -> a line in $RES and on stdout
  use "$1"
  local dir=$2 n=$(($3 << 20)) r=$4 t0 t1 c0 c1 s0 s1 got mbps l0 l1 g0 g1 v0 v1 gg
  gg=($(gauge))
  g0=($(guest_segs))
  # the host's speed during the transfer: every 0.3 s, the CPU ms of an awk loop of two million
  # additions (about 12 % of a core), into $work/speed
  : >"$work/speed"; rm -f "$work/speed.stop"
  ( while [ ! -e "$work/speed.stop" ]; do
      { TIMEFORMAT=%3U; time awk 'BEGIN { for (i = 0; i < 2000000; i++) s += i }'; } 2>>"$work/speed"; sleep 0.3
    done ) & local speed_pid=$!
  local perf_pid=""
  if [ -n "${BENCH_PERF:-}" ] && [ "$r" -gt 0 ]; then
    mkdir -p "$BENCH_PERF"
    perf record -q -p "${PID[$emu]}${serve_pid:+,$serve_pid}" -o "$BENCH_PERF/$emu-$dir-$r.data" 2>/dev/null & perf_pid=$!
  fi
  if [ "$dir" = h2g ]; then
    type_cmd "nc -l -p 5001 | wc -c"
    sleep 1
    sample 0; t0=$(now)
    head -c "$n" /dev/zero | timeout "$limit" socat -u - "TCP:127.0.0.1:${FWD1[$emu]}"
    got=$(await '^ *[0-9]+ *$' "$limit"); t1=$(now)
    sample 1
    await '^RC=' 30 >/dev/null
    got=${got// /}
    [ "$got" = "$n" ] || { echo "net-bench: $emu: the guest counted $got bytes, not $n" >&2; return 1; }
  else
    # the guest sends 1 MiB more than is read, so that the reader's end stops it
    type_cmd "dd if=/dev/zero bs=65536 count=$((($3 + 1) * 16)) 2>/dev/null | nc -l -p 5002 >/dev/null"
    sleep 1
    sample 0; t0=$(now)
    # (socat ends with a broken pipe once head has its bytes: expected)
    got=$({ timeout "$limit" socat -u "TCP:127.0.0.1:${FWD2[$emu]}" - 2>/dev/null || true; } | head -c "$n" | wc -c); t1=$(now)
    sample 1
    await '^RC=' 60 >/dev/null || true
    [ "$got" = "$n" ] || { echo "net-bench: $emu: the host read $got bytes, not $n" >&2; return 1; }
  fi
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  touch "$work/speed.stop"; wait "$speed_pid" || true
  local speed; speed=$(awk '{ print $1 * 1000 }' "$work/speed" | stats %.0f | cut -d' ' -f1)
  g1=($(guest_segs))
  mbps=$(echo "scale=3; $n / ($t1 - $t0) / 1000000" | bc -l)
  local guest=$(((c1 - c0) / $3)) serve=0 wakes=0 calls=0 extra=""
  if [ "$emu" = machina ]; then
    serve=$(((s1 - s0) / $3)); wakes=$(((l1[0] - l0[0]) / $3)); calls=$(((l1[1] - l0[1]) / $3))
    extra=$(printf '   net serve %3d ms/MiB, loop %4d wake-ups/MiB %4d reads+writes/MiB' "$serve" "$wakes" "$calls")
  fi
  local gin=$(((${g1[0]:-0} - ${g0[0]:-0}) / $3)) gout=$(((${g1[1]:-0} - ${g0[1]:-0}) / $3))
  local irq=$(((${g1[2]:-0} - ${g0[2]:-0}) / $3)) vcpu=$(((v1[0] - v0[0]) / $3))
  # the vCPU thread's share of the transfer's wall time: running, runnable but waiting for a host CPU,
  # and the rest, asleep (the guest idle, waiting for frames, or the vCPU waiting for QEMU's lock)
  local wall_ms run_pct wait_pct sleep_pct
  wall_ms=$(echo "($t1 - $t0) * 1000" | bc -l)
  run_pct=$(echo "($v1 - $v0) * 100 / $wall_ms" | bc); wait_pct=$(echo "(${v1[1]} - ${v0[1]}) * 100 / $wall_ms" | bc)
  sleep_pct=$((100 - run_pct - wait_pct))
  local csw=$(((${g1[3]:-0} - ${g0[3]:-0}) / $3)) netrx=$(((${g1[4]:-0} - ${g0[4]:-0}) / $3))
  # the guest's own account of its CPU per MiB (ms; USER_HZ 100): user, system, softirq
  local gus=$(((${g1[5]:-0} - ${g0[5]:-0}) * 10 / $3)) gsy=$(((${g1[6]:-0} - ${g0[6]:-0}) * 10 / $3))
  local gsi=$(((${g1[7]:-0} - ${g0[7]:-0}) * 10 / $3))
  [ "$r" -gt 0 ] && echo "$emu $dir $r $mbps $guest $serve $wakes $calls $gin $gout $vcpu $irq $csw $netrx $run_pct $wait_pct $sleep_pct $gus $gsy $gsi ${g1[8]:-?} ${gg[0]} ${gg[1]} $speed" >>"$RES"
  printf '  %-8s %-11s %7.2f MB/s   guest QEMU %4d ms/MiB (vCPU %4d; running %d%%, waiting for a CPU %d%%, asleep %d%%), per MiB: TCP segments in %4d out %4d, interrupts %4d, NET_RX %4d, context switches %4d, guest user/system/softirq %d/%d/%d ms, clocksource %s; gauges: host %d ms (during: %s ms for two million), guest %d ms/MiB%s%s\n' "$emu" \
    "$([ "$dir" = h2g ] && echo host-\>guest || echo guest-\>host)" "$mbps" "$guest" "$vcpu" "$run_pct" "$wait_pct" "$sleep_pct" "$gin" "$gout" "$irq" "$netrx" "$csw" "$gus" "$gsy" "$gsi" "${g1[8]:-?}" "${gg[0]}" "$speed" "${gg[1]}" "$extra" \
    "$([ "$r" = 0 ] && echo "   (warm-up, $3 MiB)")"
}

echo "net-bench: $mib MiB per transfer, $rounds rounds, warm-up $warm MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for e in "${emus[@]}"; do boot "$e"; done
if [ "$warm" -gt 0 ]; then
  for e in "${emus[@]}"; do for dir in "${dirs[@]}"; do transfer "$e" "$dir" "$warm" 0; done; done
fi
for r in $(seq "$rounds"); do
  order=("${emus[@]}")
  [ $((r % 2)) = 0 ] && [ ${#emus[@]} = 2 ] && order=("${emus[1]}" "${emus[0]}")
  echo "round $r (load average $(cut -d' ' -f1 /proc/loadavg))"
  for dir in "${dirs[@]}"; do
    for e in "${order[@]}"; do transfer "$e" "$dir" "$mib" "$r"; done
  done
done
for e in "${emus[@]}"; do
  use "$e"
  line=$(run "ping -c $pings 10.0.2.2" $((pings * 3 + 30)) | grep 'round-trip') || line=""
  rtt=$(sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p' <<<"$line"); RTT[$e]=${rtt:-n/a}
done

# --- summary: medians with min-max over the rounds ---
col() { awk -v e="$1" -v d="$2" -v c="$3" '$1 == e && $2 == d { print $c }' "$RES"; }
echo "summary over $rounds rounds of $mib MiB (median [min-max]); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for e in "${emus[@]}"; do
  for dir in "${dirs[@]}"; do
    printf '%-8s %-11s %s MB/s   guest QEMU %s ms/MiB (vCPU %s), per MiB: TCP segments in %s out %s, interrupts %s, NET_RX %s, context switches %s; vCPU running %s%%, waiting for a CPU %s%%, asleep %s%%' "$e" \
      "$([ "$dir" = h2g ] && echo host-\>guest || echo guest-\>host)" "$(col "$e" "$dir" 4 | stats)" \
      "$(col "$e" "$dir" 5 | stats %.0f)" "$(col "$e" "$dir" 11 | stats %.0f)" "$(col "$e" "$dir" 9 | stats %.0f)" \
      "$(col "$e" "$dir" 10 | stats %.0f)" "$(col "$e" "$dir" 12 | stats %.0f)" "$(col "$e" "$dir" 14 | stats %.0f)" \
      "$(col "$e" "$dir" 13 | stats %.0f)" "$(col "$e" "$dir" 15 | stats %.0f)" "$(col "$e" "$dir" 16 | stats %.0f)" \
      "$(col "$e" "$dir" 17 | stats %.0f)"
    printf '; guest user/system/softirq %s / %s / %s ms/MiB' "$(col "$e" "$dir" 18 | stats %.0f)" \
      "$(col "$e" "$dir" 19 | stats %.0f)" "$(col "$e" "$dir" 20 | stats %.0f)"
    printf '; gauges: host %s ms (during: %s), guest %s ms/MiB' "$(col "$e" "$dir" 22 | stats %.0f)" \
      "$(col "$e" "$dir" 24 | stats %.0f)" "$(col "$e" "$dir" 23 | stats %.0f)"
    [ "$e" = machina ] && printf '   net serve %s ms/MiB, loop %s wake-ups/MiB, %s reads+writes/MiB' \
      "$(col "$e" "$dir" 6 | stats %.0f)" "$(col "$e" "$dir" 7 | stats %.0f)" "$(col "$e" "$dir" 8 | stats %.0f)"
    printf '\n'
  done
  printf '%-8s ping RTT %s ms\n' "$e" "${RTT[$e]}"
done
for e in "${emus[@]}"; do # the guest kernel's clocksource changes (a TSC found unstable: every clock read an HPET access)
  use "$e"
  run "dmesg | grep -i -E 'clocksource|tsc' | tail -4" 30 | sed "s/^/$e guest: /" || true
done
if [ ${#emus[@]} = 2 ]; then
  for dir in "${dirs[@]}"; do
    ratios=$(awk -v d="$dir" '$2 == d { v[$1, $3] = $4; r[$3] = 1 }
      END { for (k in r) if (v["qemu", k] > 0) print v["machina", k] / v["qemu", k] }' "$RES" | stats)
    printf 'ratio machina/qemu %-11s %s (per round; higher is better for machina)\n' \
      "$([ "$dir" = h2g ] && echo host-\>guest || echo guest-\>host)" "$ratios"
  done
  # the CPU each side spends per MiB (qemu: its process, slirp included; machina: the guest's QEMU
  # and the net serve JVM): unlike MB/s it does not depend on how much of the host other work takes
  for dir in "${dirs[@]}"; do
    ratios=$(awk -v d="$dir" '$2 == d { v[$1, $3] = $5 + $6; r[$3] = 1 }
      END { for (k in r) if (v["machina", k] > 0) print v["qemu", k] / v["machina", k] }' "$RES" | stats)
    printf 'ratio qemu/machina CPU per MiB %-11s %s (per round; above 1: machina spends less)\n' \
      "$([ "$dir" = h2g ] && echo host-\>guest || echo guest-\>host)" "$ratios"
  done
  if [ "${RTT[qemu]}" != n/a ] && [ "${RTT[machina]}" != n/a ]; then
    printf 'ratio machina/qemu ping RTT    %.2f (lower is better)\n' "$(echo "${RTT[machina]} / ${RTT[qemu]}" | bc -l)"
  fi
fi
for e in "${emus[@]}"; do kill "${PID[$e]}" 2>/dev/null || true; wait "${PID[$e]}" 2>/dev/null || true; done
PID=()
if [ -n "$serve_pid" ]; then
  echo "net serve JVM: $(cpu_ms "$serve_pid") ms of CPU in all; its busiest threads:"
  for t in /proc/"$serve_pid"/task/*; do
    printf '%8d ms  %s\n' "$(cpu_ms "$serve_pid/task/${t##*/}")" "$(<"$t/comm")"
  done | sort -n -r | head -6
  kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
fi
