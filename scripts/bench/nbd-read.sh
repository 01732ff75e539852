#!/usr/bin/env bash
# Reads a 1 GiB raw image with nbdcopy from Machina's standalone NBD server and from qemu-nbd,
# in the same run, and prints both times and the ratio. Needs: JDK 25, maven (the modules built
# with `mvn -pl bundles/block,bundles/nbd-server install`), qemu-utils (qemu-img, qemu-io, qemu-nbd),
# libnbd-bin (nbdcopy). Loopback only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
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

(cd "$ROOT/bundles/nbd-server" && mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$WORK/cp" >/dev/null 2>&1)
CP="$ROOT/bundles/nbd-server/target/classes:$(cat "$WORK/cp")"

PORT_M=$((20000 + RANDOM % 10000))
PORT_Q=$((PORT_M + 1))
"$JAVA" -cp "$CP" org.machina.nbd.Standalone serve "$IMG" --port $PORT_M --read-only --format raw >"$WORK/machina.log" 2>&1 &
PIDS+=($!)
qemu-nbd -t -r -f raw -b 127.0.0.1 -p $PORT_Q "$IMG" &
PIDS+=($!)
for i in $(seq 100); do
    grep -q "listening on" "$WORK/machina.log" && nbdinfo --size nbd://127.0.0.1:$PORT_Q >/dev/null 2>&1 && break
    sleep 0.1
done

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
# nbdcopy opens several connections when the server advertises multi-conn (machina does;
# qemu-nbd -r here does not), so also compare with one connection each.
M=$(best nbd://127.0.0.1:$PORT_M)
Q=$(best nbd://127.0.0.1:$PORT_Q)
M1=$(best nbd://127.0.0.1:$PORT_M --connections=1)
Q1=$(best nbd://127.0.0.1:$PORT_Q --connections=1)
echo "nbdcopy of $SIZE raw image to null:, best of $ROUNDS:"
echo "  default connections:  machina ${M} ms, qemu-nbd ${Q} ms"
awk -v m="$M" -v q="$Q" 'BEGIN { printf "    ratio machina/qemu-nbd: %.2f\n", m / q }'
echo "  --connections=1:      machina ${M1} ms, qemu-nbd ${Q1} ms"
awk -v m="$M1" -v q="$Q1" 'BEGIN { printf "    ratio machina/qemu-nbd: %.2f\n", m / q }'
