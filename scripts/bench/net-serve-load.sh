#!/usr/bin/env bash
# The CPU that `machina net serve` spends per MiB, with no guest: scripts/bench/NetServeLoad.java
# runs the server (StreamServer) in its JVM and plays a minimal guest on its stream socket (QEMU's
# -netdev stream framing), host->guest through a hostfwd port and guest->host to a listener, all
# on 127.0.0.1. Prints MB/s and the server threads' CPU ms per MiB (the second of two rounds: the
# first warms the JIT up). Uses the jars of the built distribution (./machina builds it).
# Usage: scripts/bench/net-serve-load.sh [SIZE_MIB (default 64)]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
b="$root/distributions/full/target/machina/bundles"
[ -f "$b/net-user-0.1.0-SNAPSHOT.jar" ] || "$root/machina" --help >/dev/null
cp="$b/net-user-0.1.0-SNAPSHOT.jar:$b/device-api-0.1.0-SNAPSHOT.jar:$b/host-posix-0.1.0-SNAPSHOT.jar:$(ls "$b"/slf4j-api-*.jar | head -1)"
exec "$JAVA_HOME/bin/java" -cp "$cp" "$root/scripts/bench/NetServeLoad.java" "${1:-64}"
