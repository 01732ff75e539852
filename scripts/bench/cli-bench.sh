#!/usr/bin/env bash
# Command-line latency benchmark: how long `machina` takes to answer, run through ./machina as a
# user or a script would (JDK lookup, JVM start, class-data sharing archive, launcher).
#   list     `machina list` with one instance running (queries its QMP monitor); for comparison
#            also as every command ran before the framework-free path: the launcher's classes
#            without its manifest class path, so the framework starts (JDK archive only)
#   status   `machina status NAME` of that instance
#   qmp      `machina qmp NAME query-status`
#   run      `machina run -machine pc -bios ROM` to the first guest instruction: the ROM's first
#            instruction (at the reset vector) writes 0 to isa-debug-exit, which ends the machine;
#            the time is taken when machina prints that on stderr ("first insn"), and when the
#            process has ended ("exit")
# The reference tools in the same run: `qemu-img --version` for the instance commands and
# qemu-system-i386 (TCG) with the same ROM and device, whose process ends at that instruction.
# Prints the median of REPS runs of each and the ratios machina/reference. One run of each is
# made first and not counted: it writes the class-data sharing archives (README, Distributions).
# Usage: scripts/bench/cli-bench.sh [REPS (default 10)]
# Times are wall clock on a machine that may be busy, so the load average is printed with them,
# and the CPU time (user + system, all threads: JIT and GC included) each took is printed too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
reps=${1:-10}
machina="$root/machina"
work=$(mktemp -d)
export MACHINA_HOME="$work/home"
cleanup() {
  "$machina" kill bench >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# 64 KiB ROM: 'mov al, 0; out 0xf4, al' at the reset vector (offset 0xfff0), hlt everywhere else
rom="$work/first-insn.rom"
head -c 65536 /dev/zero | tr '\0' '\364' >"$rom"
printf '\260\000\346\364' | dd of="$rom" bs=1 seek=$((0xfff0)) conv=notrunc status=none
devs=(-display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot)

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

cpu_ms() { tail -n1 "$work/cpu" | awk '{printf "%d", ($1 + $2) * 1000}'; }   # after: timed COMMAND
timed() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$@"; }

time_cmd() { # command... -> "wall-ms cpu-ms"; fails if the command does
  local t0 t1
  t0=$(now); timed "$@" >/dev/null 2>"$work/err" || { echo "cli-bench: '$*' failed:" >&2; cat "$work/err" >&2; return 1; }
  t1=$(now); echo "$(ms "$t0" "$t1") $(cpu_ms)"
}

run_first_insn() { # emulator -> "ms-to-first-instruction ms-to-exit cpu-ms"
  local t0 t1 rc
  rm -f "$work/first"
  t0=$(now)
  set +e
  if [ "$1" = qemu ]; then
    timed qemu-system-i386 -M pc -accel tcg -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" 2>"$work/err"
    rc=$?
  else
    timed "$machina" run -machine pc -cpu pentium3 -m 32 -bios "$rom" "${devs[@]}" 2>&1 >/dev/null \
      | while IFS= read -r line; do
          case $line in *isa-debug-exit*) [ -f "$work/first" ] || now >"$work/first";; esac
          printf '%s\n' "$line" >>"$work/err"
        done
    rc=${PIPESTATUS[0]}
  fi
  set -e
  t1=$(now)
  # the guest wrote 0: exit status (0 << 1) | 1
  [ "$rc" = 1 ] || { echo "cli-bench: $1 exited with $rc, expected 1:" >&2; cat "$work/err" >&2; return 1; }
  if [ "$1" = qemu ]; then
    echo "$(ms "$t0" "$t1") $(ms "$t0" "$t1") $(cpu_ms)"
  else
    [ -f "$work/first" ] || { echo "cli-bench: machina did not report the isa-debug-exit write" >&2; return 1; }
    echo "$(ms "$t0" "$(cat "$work/first")") $(ms "$t0" "$t1") $(cpu_ms)"
  fi
}

"$machina" --version >/dev/null   # builds the distribution if it is missing or stale
command -v qemu-img >/dev/null && have_qemu_img=1 || have_qemu_img=
command -v qemu-system-i386 >/dev/null && have_qemu=1 || have_qemu=
"$machina" create bench -machine none -cpu none -device tick-counter >/dev/null
"$machina" start bench >/dev/null

declare -A t
series() { # name command... -> REPS wall times in t[name], CPU times in t[name-cpu], after one uncounted run
  local name=$1 i wall cpu; shift
  "$@" >/dev/null 2>&1 || true
  for i in $(seq "$reps"); do
    read -r wall cpu < <(time_cmd "$@")
    t[$name]+="$wall "; t[$name-cpu]+="$cpu "
  done
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
series list "$machina" list
# the launcher without its manifest Class-Path finds no ClientCli and starts the framework
dist="$root/distributions/${MACHINA_DIST:-full}/target/machina"
mkdir -p "$work/launcher-classes"
(cd "$work/launcher-classes" && "$JAVA_HOME/bin/jar" xf "$dist"/lib/launcher-*.jar org)
series list-framework "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -Dmachina.dist="$dist" \
  -cp "$work/launcher-classes:$(echo "$dist"/lib/org.apache.felix.framework-*.jar)" org.machina.launcher.Main list
series status "$machina" status bench
series qmp "$machina" qmp bench query-status
[ -n "$have_qemu_img" ] && series qemu-img qemu-img --version
run_first_insn machina >/dev/null
for i in $(seq "$reps"); do
  read -r first total cpu < <(run_first_insn machina)
  t[run-first]+="$first "; t[run-exit]+="$total "; t[run-cpu]+="$cpu "
done
if [ -n "$have_qemu" ]; then
  run_first_insn qemu >/dev/null
  for i in $(seq "$reps"); do
    read -r first _ cpu < <(run_first_insn qemu)
    t[qemu-run]+="$first "; t[qemu-run-cpu]+="$cpu "
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

med() { tr ' ' '\n' <<<"${t[$1]}" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo "cli-bench: median of $reps runs, $(nproc) CPUs, load average before $load_before, after $load_after"
printf '%-36s %8s %8s\n' "" "wall ms" "CPU ms"
row() { printf '%-36s %8s %8s   %s\n' "$1" "$(med "$2")" "$(med "$3")" "${4:-}"; }
row "machina list (1 instance running)" list list-cpu
row "machina list, framework started" list-framework list-framework-cpu \
  "list/framework: wall $(ratio "$(med list)" "$(med list-framework)")x, CPU $(ratio "$(med list-cpu)" "$(med list-framework-cpu)")x"
row "machina status NAME" status status-cpu
row "machina qmp NAME query-status" qmp qmp-cpu
[ -n "$have_qemu_img" ] && row "qemu-img --version" qemu-img qemu-img-cpu \
  "list/qemu-img: wall $(ratio "$(med list)" "$(med qemu-img)")x"
row "machina run: first guest insn" run-first run-cpu
row "machina run: process exit" run-exit run-cpu
[ -n "$have_qemu" ] && row "qemu-system-i386: first insn = exit" qemu-run qemu-run-cpu \
  "machina first insn/qemu: wall $(ratio "$(med run-first)" "$(med qemu-run)")x, CPU $(ratio "$(med run-cpu)" "$(med qemu-run-cpu)")x"
exit 0
