#!/usr/bin/env bash
# Network benchmark: one qemu-system-i386 guest (the Debian i386 kernel and busybox initramfs of
# images/, as NetServeQemuTest boots it, e1000 NIC) measured twice in the same run:
#   qemu     on QEMU's own user-mode network: -netdev user,restrict=on,hostfwd=...
#   machina  on Machina's stack: `machina net serve -o restrict=on,hostfwd=...` reached over
#            -netdev stream (QEMU's length-prefixed framing on a 127.0.0.1 TCP socket)
# For each: TCP throughput host->guest (the host sends SIZE MiB of zeros with socat into a
# hostfwd port, the guest's `nc -l | wc -c` counts them; timed from the host's connect until the
# guest printed the count) and guest->host (the guest's `dd | nc -l` sends, the host reads SIZE MiB
# through the other hostfwd port; timed on the host), and the ping RTT to the gateway 10.0.2.2
# (busybox ping's average of PINGS echoes). Prints MB/s (10^6 bytes) and ms, and machina/qemu.
# Every packet stays on 127.0.0.1: restrict=on, the guest only reaches the gateway and is reached
# through hostfwd ports bound to 127.0.0.1.
# Usage: scripts/bench/net-bench.sh [SIZE_MIB (default 64)]
#   BENCH_PINGS (10), BENCH_TIMEOUT per transfer (600 s), BENCH_EMUS="qemu machina" (default)
# Boots QEMU guests: run it under `flock /work/guest.lock` on a shared machine. Needs socat
# (scripts/install-deps.sh) and builds the Machina distribution if it is missing (./machina).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
mib=${1:-64}; bytes=$((mib << 20)); pings=${BENCH_PINGS:-10}; limit=${BENCH_TIMEOUT:-600}
for t in qemu-system-i386 socat ss; do
  command -v "$t" >/dev/null || { echo "net-bench: $t not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
kernel="$root/images/vmlinuz"; initrd="$root/images/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || "$root/scripts/guest-images.sh" >&2
"$root/machina" --help >/dev/null   # builds the distribution if it is missing or stale
work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
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

# --- the guest's serial console (a coproc): wait for a pattern, run a shell command ---
console_log=""; emu_in=""; emu_out=""; emu_pid=""
await() { # PATTERN SECONDS -> the matching line on stdout
  local pat=$1 end=$((SECONDS + $2)) line rc
  while [ $SECONDS -lt $end ]; do
    IFS= read -r -t 5 line <&"$emu_in" && rc=0 || rc=$?
    if [ $rc -eq 0 ]; then
      line=${line%$'\r'}
      printf '%s\n' "$line" >>"$console_log"
      if [[ $line =~ $pat ]]; then printf '%s\n' "$line"; return 0; fi
    elif [ $rc -le 128 ]; then
      echo "net-bench: the guest's console closed (QEMU ended)" >&2; break
    fi
  done
  echo "net-bench: no '$pat' on the guest console; last lines:" >&2; tail -15 "$console_log" >&2; return 1
}
type_cmd() { printf '%s; echo R""C=$?\n' "$1" >&"$emu_out"; }
run() { # COMMAND SECONDS -> the command's output (console lines up to RC=), fails unless RC=0
  local out="" line end=$((SECONDS + $2))
  type_cmd "$1"
  while :; do
    line=$(await '.' $((end - SECONDS))) || return 1
    [[ $line =~ ^RC=([0-9]+) ]] && { [ "${BASH_REMATCH[1]}" = 0 ] || { echo "net-bench: '$1' failed: $out" >&2; return 1; }; break; }
    out+="$line"$'\n'
  done
  printf '%s' "$out"
}
now() { date +%s.%N; }
mbps() { echo "scale=2; $1 / ($2) / 1000000" | bc -l; }

bench_one() { # emu -> sets h2g g2h rtt
  local emu=$1 fwd1 fwd2 netdev port line t0 t1 got
  fwd1=$(free_port); fwd2=$(free_port)
  console_log="$work/$emu.console"; : >"$console_log"
  local fwds="hostfwd=tcp:127.0.0.1:$fwd1-:5001,hostfwd=tcp:127.0.0.1:$fwd2-:5002"
  if [ "$emu" = qemu ]; then
    netdev="user,id=n0,restrict=on,$fwds"
  else
    "$root/machina" net serve -p 0 -o "restrict=on,$fwds" >"$work/serve.out" 2>"$work/serve.err" &
    serve_pid=$!
    for _ in $(seq 300); do grep -q '^listening on tcp:' "$work/serve.out" 2>/dev/null && break; sleep 0.2; done
    line=$(grep -m1 '^listening on tcp:' "$work/serve.out") || { echo "net-bench: machina net serve did not start:" >&2; cat "$work/serve.err" >&2; return 1; }
    port=${line##*:}
    netdev="stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=$port"
  fi
  coproc EMU { exec qemu-system-i386 -M pc -m 128 -kernel "$kernel" -initrd "$initrd" -netdev "$netdev" \
    -device e1000,netdev=n0 -nographic -no-reboot -append "console=ttyS0 panic=-1" 2>&1; }
  # copies of the coproc's descriptors and pid: bash drops its own when the coproc ends
  emu_pid=$EMU_PID; exec {emu_in}<&"${EMU[0]}" {emu_out}>&"${EMU[1]}"
  await MACHINA-INIT-OK 300 >/dev/null
  sleep 1
  run "ifconfig eth0 up && sleep 2" 60 >/dev/null
  run "udhcpc -i eth0 -n -q -t 10 -T 2" 120 | grep -q 'lease of 10.0.2.15' || { echo "net-bench: $emu: no DHCP lease" >&2; return 1; }

  # host -> guest
  type_cmd "nc -l -p 5001 | wc -c"
  sleep 1
  t0=$(now)
  head -c "$bytes" /dev/zero | timeout "$limit" socat -u - "TCP:127.0.0.1:$fwd1"
  got=$(await '^ *[0-9]+ *$' "$limit"); t1=$(now)
  await '^RC=' 30 >/dev/null
  [ "${got// /}" = "$bytes" ] || { echo "net-bench: $emu: the guest counted $got bytes, not $bytes" >&2; return 1; }
  h2g=$(mbps "$bytes" "$t1 - $t0")

  # guest -> host (the guest sends 1 MiB more than is read, so that the reader's end stops it)
  type_cmd "dd if=/dev/zero bs=65536 count=$(((mib + 1) * 16)) 2>/dev/null | nc -l -p 5002 >/dev/null"
  sleep 1
  t0=$(now)
  # (socat ends with a broken pipe once head has its bytes: expected)
  got=$({ timeout "$limit" socat -u "TCP:127.0.0.1:$fwd2" - 2>/dev/null || true; } | head -c "$bytes" | wc -c); t1=$(now)
  await '^RC=' 60 >/dev/null || true
  [ "$got" = "$bytes" ] || { echo "net-bench: $emu: the host read $got bytes, not $bytes" >&2; return 1; }
  g2h=$(mbps "$bytes" "$t1 - $t0")

  line=$(run "ping -c $pings 10.0.2.2" $((pings * 3 + 30)) | grep 'round-trip') || line=""
  rtt=$(sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p' <<<"$line"); rtt=${rtt:-n/a}

  kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true
  exec {emu_in}<&- {emu_out}>&-; emu_pid=""
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; serve_pid=""; fi
}

declare -A H2G G2H RTT
for emu in ${BENCH_EMUS:-qemu machina}; do
  bench_one "$emu"
  H2G[$emu]=$h2g; G2H[$emu]=$g2h; RTT[$emu]=$rtt
  printf '%-8s host->guest %8s MB/s   guest->host %8s MB/s   ping RTT %s ms   (%d MiB each way)\n' \
    "$emu" "$h2g" "$g2h" "$rtt" "$mib"
done
if [ -n "${H2G[qemu]:-}" ] && [ -n "${H2G[machina]:-}" ]; then
  printf 'ratio machina/qemu: host->guest %.2f   guest->host %.2f' "$(echo "${H2G[machina]} / ${H2G[qemu]}" | bc -l)" \
    "$(echo "${G2H[machina]} / ${G2H[qemu]}" | bc -l)"
  if [ "${RTT[qemu]}" != n/a ] && [ "${RTT[machina]}" != n/a ]; then
    printf '   ping RTT %.2f' "$(echo "${RTT[machina]} / ${RTT[qemu]}" | bc -l)"
  fi
  printf '   (throughput: higher is better for machina; RTT: lower)\n'
fi
