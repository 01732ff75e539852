#!/usr/bin/env bash
# Hot-swap benchmark: a PC machine runs the CPU benchmark ROM (tests/baremetal/bench.asm, the
# CPU busy all the time) while BUNDLE (default org.machina.devices-pc: PIC, PIT, RTC, UART,
# i8042, port 92) is updated N times over QMP, alternating between two re-packaged copies of its
# jar (same classes, new versions: each swap loads them in a new class loader and carries the
# devices' state as JSON). Prints each swap's guest-visible pause (X_MACHINA_BUNDLE_SWAPPED
# pause-us) and the median and worst. BUNDLE org.machina.cpu-x86 swaps the CPU itself. No
# reference tool: QEMU cannot replace device code while a guest runs.
# Usage: scripts/bench/hotswap-bench.sh [N (default 20)] [BUNDLE]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
n=${1:-20}; bundle=${2:-org.machina.devices-pc}
dist="$root/distributions/full/target/machina"
launcher="$dist/lib/launcher-0.1.0-SNAPSHOT.jar"
[ -f "$launcher" ] || { echo "hotswap-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
command -v nasm >/dev/null || { echo "hotswap-bench: nasm not installed (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
jar=""
for j in "$dist"/bundles/*.jar; do
  rm -rf "$work/m" && mkdir "$work/m" && (cd "$work/m" && "$JAVA_HOME/bin/jar" xf "$j" META-INF/MANIFEST.MF)
  if tr -d '\r' < "$work/m/META-INF/MANIFEST.MF" | grep -qx "Bundle-SymbolicName: $bundle"; then jar=$j; fi
done
[ -n "$jar" ] || { echo "hotswap-bench: no bundle $bundle in $dist/bundles" >&2; exit 1; }
for v in a b; do
  cp "$jar" "$work/$v.jar"
  printf 'Bundle-Version: 0.1.1.bench%s\n' "$v" > "$work/$v.mf"
  (cd "$work" && "$JAVA_HOME/bin/jar" ufm "$v.jar" "$v.mf" 2>/dev/null)
done
nasm -f bin -I "$root/tests/baremetal/" -DROUNDS=1000000 -o "$work/bench.bin" "$root/tests/baremetal/bench.asm"
MACHINA_HOME="$work/home" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  @"$root/scripts/jvm/machine.options" -jar "$launcher" run -machine pc -cpu pentium3 -m 32 -bios "$work/bench.bin" -display none \
  -qmp "unix:$work/qmp.sock,server=on,wait=off" >/dev/null 2>"$work/err.txt" &
pid=$!
for _ in $(seq 300); do [ -S "$work/qmp.sock" ] && break; sleep 0.1; done
[ -S "$work/qmp.sock" ] || { echo "hotswap-bench: no QMP socket; machina said:" >&2; cat "$work/err.txt" >&2; exit 1; }
echo "hotswap-bench: $n updates of $bundle ($(basename "$jar")) under a busy CPU"
"$JAVA_HOME/bin/java" "$root/scripts/bench/HotSwapBench.java" "$work/qmp.sock" "$bundle" "$n" "$work/a.jar" "$work/b.jar"
