#!/usr/bin/env bash
# Webcam frame-rate benchmark (issue 19): how many frames of a 30 fps `usb-video` source reach a
# Linux guest, and what they cost. One boot of the Debian i386 kernel and the test initramfs
# (images/, scripts/guest-images.sh; it loads xhci_pci and uvcvideo) with three pattern cameras
# behind qemu-xhci: cam0 on port 1 high speed isochronous (transfer=iso, the default), cam1 on
# port 2 high speed transfer=bulk, cam2 on port 3 speed=super isochronous (a USB 3 camera on the
# SuperSpeed root port, the guest's 2-3); plus /bin/uvccap (itests/src/test/resources/uvc/uvccap.c,
# built here with gcc -m32 -static and appended to the initramfs). In the guest, for each camera,
# `uvccap -q` captures FRAMES frames of YUYV 640x480 and of MJPEG 1280x720 at 30 fps (4 mmap buffers; -q: no
# hash of the frame, only its number is read, so the capture program costs next to nothing and what
# is measured is the delivery: the controller, the camera, the guest's xhci_hcd, uvcvideo and vb2).
# Per capture it prints:
#   fps        frames uvccap dequeued per second of guest time (CLOCK_MONOTONIC; Machina's guest
#              time runs with the host's while the machine runs) and the frames the camera sent
#              over USB in that time (its frame numbers, last - first + 1; the rest were dropped by
#              uvcvideo for want of a free buffer, or lost)
#   steady     the same from the 10th dequeued frame to the last, by the buffers' timestamps (the
#              start of a capture loses a few frames in the capture program), and how long after
#              STREAMON the first frame came
#   host       the Machina JVM's CPU seconds (all threads, /proc/PID/stat) per delivered frame and per
#              second of guest time, and the host wall time of the capture
#   guest      guest instructions per delivered frame (x-machina-query-cpu-stats), xHCI interrupts
#              per frame (the guest's /proc/interrupts), the guest CPU split (/proc/stat: user,
#              system, irq, softirq, idle), the controller's MMIO accesses per frame
#   threads    the busiest JVM threads in the capture (CPU seconds)
# Options (environment): MACHINA_ARGS extra options for the machine (e.g. "-accel interp"),
# BENCH_TIMEOUT seconds for the boot and the captures (default 2400), KEEP=1 keeps the work
# directory (console, stderr), JFR=FILE records a JFR profile (settings=profile) of the machine JVM
# into FILE, MACHINA_LAUNCHER=JAR another launcher than the built full distribution's,
# CAPTURES="NAME ..." runs only the named captures (of iso-yuyv-480 ss-iso-yuyv-480 bulk-yuyv-480
# iso-mjpg-720 ss-iso-mjpg-720 bulk-mjpg-720, in that order),
# PROFILE=1 samples the guest's EIP (QMP human-monitor-command "info registers", about 30 a second
# of host time) during the isochronous YUYV capture and prints the guest functions most often
# running (symbols from the guest's /proc/kallsyms, modules included).
# Usage: scripts/bench/uvc-bench.sh [FRAMES (default 90)]
# It boots a guest: on a shared machine run it under the guest lock, not niced:
#   flock /work/guest.lock scripts/bench/uvc-bench.sh
# Needs socat (QMP), gcc-multilib (scripts/install-deps.sh installs both).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
frames=${1:-90}; limit=${BENCH_TIMEOUT:-2400}
work=$(mktemp -d)
jpid=""
cleanup() {
  if [ -n "$jpid" ] && kill -0 "$jpid" 2>/dev/null; then kill "$jpid"; fi
  if [ -n "${KEEP:-}" ]; then echo "uvc-bench: work directory $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
launcher=${MACHINA_LAUNCHER:-"$root/distributions/full/target/machina/lib/launcher-0.1.0-SNAPSHOT.jar"}
[ -f "$launcher" ] || { echo "uvc-bench: build the distribution first (./machina --help builds it)" >&2; exit 1; }
kernel="$root/images/vmlinuz"; initrd="$root/images/initramfs.cpio.gz"
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "uvc-bench: run scripts/guest-images.sh first" >&2; exit 1; }
command -v socat >/dev/null || { echo "uvc-bench: socat is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
hz=$(getconf CLK_TCK)

gcc -m32 -march=i686 -static -O2 -s -o "$work/uvccap" "$root/itests/src/test/resources/uvc/uvccap.c" \
  || { echo "uvc-bench: gcc -m32 -static failed (scripts/install-deps.sh installs gcc-multilib)" >&2; exit 1; }
"$java_bin" "$root/tools/initramfs/src/main/java/org/machina/tools/initramfs/MkInitramfs.java" "$work/extra.cpio.gz" \
  --dir bin --file "bin/uvccap=$work/uvccap" >/dev/null
cat "$initrd" "$work/extra.cpio.gz" >"$work/initramfs.cpio.gz"
append="console=ttyS0 panic=-1 quiet clocksource=hpet cryptomgr.notests noisapnp"
sock="$work/qmp.sock"

qmp() { # command-json -> the reply line of the command
  printf '%s\n' '{"execute":"qmp_capabilities"}' "$1" | socat -t 10 - "UNIX-CONNECT:$sock" 2>/dev/null | grep -v '"QMP"' | tail -1
}
# cpu_stats -> "instructions interrupts guest-ns xhci-accesses" from x-machina-query-cpu-stats
cpu_stats() {
  local r ins irq gns x
  r=$(qmp '{"execute":"x-machina-query-cpu-stats"}')
  ins=$(grep -o '"instructions": *[0-9]*' <<<"$r" | head -1 | grep -o '[0-9]*$' || echo 0)
  irq=$(grep -o '"interrupts": *[0-9]*' <<<"$r" | head -1 | grep -o '[0-9]*$' || echo 0)
  gns=$(grep -o '"guest-ns": *[0-9]*' <<<"$r" | head -1 | grep -o '[0-9]*$' || echo 0)
  x=$(sed 's/},/}\n/g' <<<"$r" | grep '"region": *"xhci"' | grep -oE '"(reads|writes)": *[0-9]+' | grep -oE '[0-9]+$' \
    | awk '{s += $1} END {print s + 0}')
  echo "${ins:-0} ${irq:-0} ${gns:-0} ${x:-0}"
}
# jvm_cpu -> the machine JVM's user+system clock ticks
jvm_cpu() { awk '{print $14 + $15}' "/proc/$jpid/stat"; }
# thread_cpu -> "tid ticks name" of every thread of the machine JVM (user+system clock ticks)
thread_cpu() {
  local t s comm
  for t in /proc/"$jpid"/task/*; do
    s=$(cat "$t/stat" 2>/dev/null) || continue
    comm=${s#*(}; comm=${comm%)*}
    # shellcheck disable=SC2086 # the fields after the name, from the state (field 3) on
    set -- ${s##*) }
    echo "${t##*/} $((${12} + ${13})) ${comm// /_}"
  done
}

# The console: await, typed, guest (scripts/bench/lib/console.sh)
. "$root/scripts/bench/lib/console.sh"
console_name=uvc-bench; console_err="$work/machina.err"; guest_limit=$limit

log="$work/console"; : >"$log"
jfr=()
[ -n "${JFR:-}" ] && jfr=("-XX:StartFlightRecording=filename=$JFR,settings=profile")
t0=$(now)
# shellcheck disable=SC2086 # MACHINA_ARGS is a list of options
coproc EMU { MACHINA_HOME="$work/home" exec "$java_bin" --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow -Dorg.slf4j.simpleLogger.defaultLogLevel=warn @"$root/scripts/jvm/machine.options" \
  "${jfr[@]}" -jar "$launcher" run \
  -machine pc -cpu pentium3 -m 256 -nographic -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" -append "$append" \
  -usb -device usb-video,id=cam0,port=1,source=pattern -device usb-video,id=cam1,port=2,source=pattern,transfer=bulk \
  -device usb-video,id=cam2,port=3,source=pattern,speed=super \
  -qmp "unix:$sock,server=on,wait=off" ${MACHINA_ARGS:-} 2>"$work/machina.err"; }
jpid=$EMU_PID; exec {con_out}<&"${EMU[0]}" {con_in}>&"${EMU[1]}"
await MACHINA-INIT-OK "$limit"
boot=$(echo "$at - $t0" | bc -l)
ok=""
for _ in $(seq 60); do
  typed 'echo __RE""ADY__'
  if await '__READY__$' 10 2>/dev/null; then ok=1; break; fi
done
[ -n "$ok" ] || { echo "uvc-bench: no shell" >&2; tail -20 "$log" >&2; exit 1; }
guest "dmesg -n 4"
# the video node of each camera (1-1 iso, 1-2 bulk): the lowest /dev/videoN of its interface 0
guest 'for i in $(seq 120); do [ $(ls /sys/class/video4linux 2>/dev/null | wc -l) -ge 6 ] && break; sleep 1; done; ls -l /sys/class/video4linux/'
node() { printf '%s\n' "$out" | grep -E "/$1:1\.[0-9]+/video4linux/" | grep -oE 'video[0-9]+ ->' | grep -oE '[0-9]+' | sort -n | head -1; }
iso_node=$(node 1-1); bulk_node=$(node 1-2); ss_node=$(node 2-3)
[ -n "$iso_node" ] && [ -n "$bulk_node" ] && [ -n "$ss_node" ] || {
  echo "uvc-bench: no video nodes: $out" >&2; guest 'dmesg | tail -30'; echo "$out" >&2; exit 1; }
printf 'uvc-bench: boot to /init %.1f s; %d frames a capture; cam0 /dev/video%s (high speed, iso), cam1 /dev/video%s (high speed, bulk), cam2 /dev/video%s (SuperSpeed, iso)\n' \
  "$boot" "$frames" "$iso_node" "$bulk_node" "$ss_node"

# the guest's counters: cpu line of /proc/stat, the xHCI interrupt count, the softirq counts
snap='head -1 /proc/stat; grep -m1 xhci /proc/interrupts | awk "{s=0; for (i=2; i<=NF; i++) if (\$i ~ /^[0-9]+\$/) s+=\$i; else break; print \"XHCI\", s}"; grep -E "^ *(HI|TIMER|TASKLET|NET_RX|SCHED|RCU):" /proc/softirqs | tr -s " " | sed "s/^ //"'
# sampler FILE: "info registers" over one QMP connection until $work/sampling goes away
sampler() {
  { echo '{"execute":"qmp_capabilities"}'
    while [ -e "$work/sampling" ]; do
      echo '{"execute":"human-monitor-command","arguments":{"command-line":"info registers"}}'; sleep 0.03
    done; } | socat -t 5 - "UNIX-CONNECT:$sock" 2>/dev/null | grep -oiE 'EIP=[0-9a-f]{8}' | cut -c5- | tr 'A-F' 'a-f' >"$1"
}
# profile FILE: the sampled EIPs by guest function (kernel and module symbols; user space as one)
profile() {
  local n addrs
  n=$(wc -l <"$1")
  guest ": >/tmp/eips"
  # the sampled kernel addresses into a guest file, 40 a command line (the console's line stays short)
  while read -r chunk; do
    guest "for a in $chunk; do echo \"\$a ~\"; done >>/tmp/eips"
  done < <(sort -u "$1" | awk '$1 >= "c0000000"' | head -1000 | xargs -n 40)
  guest "(grep -iE '^[0-9a-f]{8} [tT] ' /proc/kallsyms | cut -d' ' -f1,3,4; cat /tmp/eips) | sort | awk '\$2 != \"~\" { f = \$2 \" \" \$3; next } { print \$1, f }'"
  printf '%s\n' "$out" | grep -E '^[0-9a-f]{8} ' >"$work/symbols"
  printf 'guest profile: %d EIP samples; the functions most often running:\n' "$n"
  awk 'NR == FNR { sym[$1] = $2 " " $3; next } { s = ($1 < "c0000000") ? "(user space)" : ($1 in sym ? sym[$1] : "?"); c[s]++; t++ }
    END { for (k in c) printf "%6.1f%% %s\n", 100 * c[k] / t, k }' "$work/symbols" "$1" | sort -rn | awk -v n="${PROFILE_TOP:-25}" 'NR <= n'
}
capture() { # name video-node usb-device(B-P) format width height
  case " ${CAPTURES:-$1} " in *" $1 "*) ;; *) return 0 ;; esac
  local name=$1 dev=/dev/video$2 usb=$3 fmt=$4 w=$5 h=$6 s0 s1 c0 c1 t0 t1 thr0 spid=""
  if [ -n "${PROFILE:-}" ] && [ "$name" = "${PROFILE_CAPTURE:-iso-yuyv-480}" ]; then
    : >"$work/sampling"; sampler "$work/eip.txt" & spid=$!
  fi
  s0=$(cpu_stats); c0=$(jvm_cpu); thr0=$(thread_cpu); t0=$(date +%T)
  # uvccap writes to a guest file, printed after: its lines over the serial console would cost the
  # guest time in the capture and could block it when the console's reader here falls behind
  guest "$snap; uvccap -q -s /sys/bus/usb/devices/$usb:1.1 $dev $fmt $w $h $frames >/tmp/uvccap.out; R=\$?; $snap; cat /tmp/uvccap.out; [ \$R -eq 0 ]"
  c1=$(jvm_cpu); s1=$(cpu_stats); t1=$(date +%T)
  local wall=$secs
  if [ -n "$spid" ]; then rm -f "$work/sampling"; wait "$spid" || true; fi
  [ "$status" = 0 ] || { echo "uvc-bench: $name: uvccap failed: $out" >&2; return 1; }
  printf '%s\n' "$out" >"$work/$name.out"
  printf '%s\n' "$thr0" >"$work/$name.thr0"; thread_cpu >"$work/$name.thr1"
  awk -v name="$name" -v wall="$wall" -v hz="$hz" -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v frames="$frames" '
    /^cpu / { n++; for (i = 2; i <= 8; i++) cpu[n, i] = $i }
    /^XHCI / { x[++nx] = $2 }
    /^(HI|TIMER|TASKLET|NET_RX|SCHED|RCU):/ { k = $1; sub(":", "", k); if (!(k in sa)) sa[k] = $2; else sb[k] = $2 }
    /^ALT / { alt = $2 " " $3 " " $4 }
    /^STREAM / { sub(/.*t=/, ""); ts0 = $0 + 0 }
    /^FRAME / { match($0, / t=[0-9.]+/); if (RSTART) { t = substr($0, RSTART + 3) + 0; ft[got + 0] = t; fn[got + 0] = $0 }
                got++; match($0, /num=-?[0-9]+/); num = substr($0, RSTART + 4, RLENGTH - 4) + 0;
                if (num < 0) bad++; if (first == "" || num < first) first = num; if (num > last) last = num }
    /^DONE / { match($0, /seconds=[0-9.]+/); gs = substr($0, RSTART + 8, RLENGTH - 8) + 0 }
    END {
      split(s0, a); split(s1, b)
      ins = b[1] - a[1]; irq = b[2] - a[2]; gns = (b[3] - a[3]) / 1e9; mmio = b[4] - a[4]
      host = (c1 - c0) / hz
      tot = 0; for (i = 2; i <= 8; i++) { d[i] = cpu[2, i] - cpu[1, i]; tot += d[i] }
      if (tot == 0) tot = 1
      printf "%-14s %-22s dequeued %3d frames in %.2f s: %5.2f fps; camera sent %d..%d: %5.2f fps over USB%s\n",
        name, alt, got, gs, got / gs, first, last, (last - first + 1) / gs, bad ? " (" bad " frames without a number)" : ""
      # steady state: from the dequeued frame number 10 to the last (buffer timestamps), the frames the
      # camera sent and the guest got in that time; the wait from STREAMON to the first frame
      if (got > 20 && (10 in ft)) {
        match(fn[10], /num=-?[0-9]+/); n10 = substr(fn[10], RSTART + 4, RLENGTH - 4) + 0
        dt = ft[got - 1] - ft[10]; if (dt <= 0) dt = 1
        printf "%-14s steady (frames 10..%d): dequeued %.2f fps, camera sent %.2f fps; first frame %.0f ms after STREAMON\n",
          "", got - 1, (got - 11) / dt, (last - n10) / dt, 1000 * (ft[0] - ts0)
      }
      printf "%-14s host: %.2f CPU s per guest s, %.1f ms CPU per delivered frame (wall %.1f s, guest %.1f s)\n",
        "", host / gns, 1000 * host / got, wall, gns
      printf "%-14s guest: %.2f M instructions per frame (%.1f M/s), %.1f xHCI interrupts per frame (%.0f/s), %.0f xHCI MMIO accesses per frame, CPU interrupts %.0f/s\n",
        "", ins / got / 1e6, ins / gns / 1e6, (x[2] - x[1]) / got, (x[2] - x[1]) / gs, mmio / got, irq / gns
      printf "%-14s guest CPU: user %.0f%%, system %.0f%%, irq %.0f%%, softirq %.0f%%, idle %.0f%%; softirqs/s:",
        "", 100 * (d[2] + d[3]) / tot, 100 * d[4] / tot, 100 * d[7] / tot, 100 * d[8] / tot, 100 * (d[5] + d[6]) / tot
      for (k in sa) if (k in sb) printf " %s %.0f", k, (sb[k] - sa[k]) / gs
      printf "\n"
    }' "$work/$name.out"
  [ -n "${JFR:-}" ] && printf '%-14s host clock %s-%s (for the JFR recording)\n' "" "$t0" "$t1"
  printf '%-14s threads (CPU s):' ""
  # threads started during the capture (the MJPEG encoder's) count from 0
  join -a 2 -e 0 -o 0,1.2,2.2,2.3 <(sort -k1,1 "$work/$name.thr0") <(sort -k1,1 "$work/$name.thr1") \
    | awk -v hz="$hz" '{ d = ($3 - $2) / hz; if (d >= 0.05) printf "%.2f %s\n", d, $4 }' | sort -rn | awk 'NR <= 5' \
    | awk '{ printf "%s%s %s", (NR > 1 ? ", " : " "), $2, $1 }'
  printf '\n'
  if [ -n "$spid" ]; then profile "$work/eip.txt"; fi
}
capture iso-yuyv-480 "$iso_node" 1-1 yuyv 640 480
capture ss-iso-yuyv-480 "$ss_node" 2-3 yuyv 640 480
capture bulk-yuyv-480 "$bulk_node" 1-2 yuyv 640 480
capture iso-mjpg-720 "$iso_node" 1-1 mjpg 1280 720
capture ss-iso-mjpg-720 "$ss_node" 2-3 mjpg 1280 720
capture bulk-mjpg-720 "$bulk_node" 1-2 mjpg 1280 720
typed poweroff
for _ in $(seq 120); do kill -0 "$jpid" 2>/dev/null || break; sleep 1; done
kill "$jpid" 2>/dev/null || true
wait "$jpid" 2>/dev/null || true
exec {con_out}<&- {con_in}>&-
[ -n "${JFR:-}" ] && echo "uvc-bench: JFR recording in $JFR"
exit 0
