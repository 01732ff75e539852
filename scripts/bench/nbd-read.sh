#!/usr/bin/env bash
# Reads a 1 GiB raw image with nbdcopy from `machina nbd serve` (the built full distribution) and
# from qemu-nbd, in the same run, both read-only with up to 4 clients, and prints both times and
# the ratio. Needs: JDK 25 (found by scripts/find-jdk.sh), the full distribution (./machina --help
# builds it), qemu-utils (qemu-img, qemu-io, qemu-nbd), libnbd-bin (nbdcopy). Loopback only.
# Usage: SIZE=1G ROUNDS=3 scripts/bench/nbd-read.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/find-jdk.sh"
JAVA=$JAVA_HOME/bin/java
LAUNCHER=$(ls "$ROOT"/distributions/full/target/machina/lib/launcher-*.jar 2>/dev/null | head -n1)
[ -n "$LAUNCHER" ] || { echo "nbd-read: build the distribution first (./machina --help builds it)" >&2; exit 1; }
SIZE=${SIZE:-1G}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

for t in qemu-img qemu-io qemu-nbd nbdcopy; do
    command -v $t >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

IMG=$WORK/bench.raw
qemu-img create -q -f raw "$IMG" "$SIZE"
qemu-io -f raw -c "write -P 0x5a 0 $SIZE" "$IMG" >/dev/null   # fully allocated: no holes to skip

PORT_M=$((20000 + RANDOM % 10000))
PORT_Q=$((PORT_M + 1))
"$JAVA" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -jar "$LAUNCHER" \
    nbd serve "$IMG" -p $PORT_M -r -f raw -e 4 >"$WORK/machina.log" 2>&1 &
PIDS+=($!)
qemu-nbd -t -r -f raw -e 4 -b 127.0.0.1 -p $PORT_Q "$IMG" &
PIDS+=($!)
for i in $(seq 300); do
    grep -q "listening on" "$WORK/machina.log" && nbdinfo --size nbd://127.0.0.1:$PORT_Q >/dev/null 2>&1 && break
    sleep 0.1
done
grep -q "listening on" "$WORK/machina.log" || { echo "nbd-read: machina nbd serve did not start:" >&2; cat "$WORK/machina.log" >&2; exit 1; }

now() { date +%s%N; }
best() { # best of ROUNDS, in ms; extra arguments go to nbdcopy
    local url=$1 b=0
    shift
    for r in $(seq "$ROUNDS"); do
        local t0 t1 ms
        t0=$(now); nbdcopy "$@" "$url" null:; t1=$(now)
        ms=$(( (t1 - t0) / 1000000 ))
        if [ "$b" -eq 0 ] || [ "$ms" -lt "$b" ]; then b=$ms; fi
    done
    echo "$b"
}

nbdcopy nbd://127.0.0.1:$PORT_M null:   # warm-up (JIT, page cache)
nbdcopy nbd://127.0.0.1:$PORT_Q null:
# nbdcopy opens several connections when the server advertises multi-conn, so also compare
# with one connection each.
M=$(best nbd://127.0.0.1:$PORT_M)
Q=$(best nbd://127.0.0.1:$PORT_Q)
M1=$(best nbd://127.0.0.1:$PORT_M --connections=1)
Q1=$(best nbd://127.0.0.1:$PORT_Q --connections=1)
echo "nbdcopy of $SIZE raw image to null:, best of $ROUNDS:"
echo "  default connections:  machina ${M} ms, qemu-nbd ${Q} ms"
awk -v m="$M" -v q="$Q" 'BEGIN { printf "    ratio machina/qemu-nbd: %.2f\n", m / q }'
echo "  --connections=1:      machina ${M1} ms, qemu-nbd ${Q1} ms"
awk -v m="$M1" -v q="$Q1" 'BEGIN { printf "    ratio machina/qemu-nbd: %.2f\n", m / q }'
