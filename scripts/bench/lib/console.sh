# shellcheck shell=bash
# A guest's serial console for the guest benchmarks (sourced): the emulator runs as a coprocess
# with its console on the pipes $con_in/$con_out; every line read is appended to $log. Markers are
# matched at the end of a line: the shell's prompt has no newline, so output may follow it on the
# same line; the typed commands' echo never matches (quotes).
# The sourcing script sets: con_in, con_out, log; console_name (the prefix of error messages);
# console_err (the emulator's stderr file, shown on a failure, may be absent); guest_limit (the
# default seconds of `guest`, 1800 when unset).

now() { date +%s.%N; }

# await PATTERN SECONDS: reads lines until one matches (extended regex); the line is in $line and
# its arrival time in $at. Fails with the console's last lines when none did in time.
await() {
  local pattern=$1 deadline=$((SECONDS + $2)) l
  while [ "$SECONDS" -lt "$deadline" ]; do
    if IFS= read -r -t 5 l <&"$con_out"; then
      l=$partial${l//$'\r'/}; partial=""; printf '%s\n' "$l" >>"$log"
      if [[ $l =~ $pattern ]]; then line=$l; at=$(now); return 0; fi
    elif [ $? -le 128 ]; then # end of the console: the emulator ended
      break
    else                      # timed out inside a line (the prompt has no newline): keep its start
      partial+=${l//$'\r'/}
    fi
  done
  echo "$console_name: no '$pattern' within $2 s; console:" >&2; tail -25 "$log" >&2
  [ -f "${console_err:-}" ] && { echo "stderr:" >&2; tail -10 "$console_err" >&2; }
  return 1
}
partial=""

typed() { printf '%s\n' "$1" >&"$con_in"; }

# guest COMMAND [SECONDS]: runs it between markers; its output lines are in $out, its status in
# $status, the host seconds between the markers in $secs.
ncmd=0
guest() {
  ncmd=$((ncmd + 1))
  typed "echo __B\"\"EG_${ncmd}__; $1; echo __E\"\"ND_${ncmd}_\$?__"
  await "__BEG_${ncmd}__\$" 120; local t0=$at
  out=""; status=""
  while await "." "${2:-${guest_limit:-1800}}"; do
    if [[ $line =~ __END_${ncmd}_([0-9]+)__$ ]]; then status=${BASH_REMATCH[1]}; break; fi
    out+="$line"$'\n'
  done
  [ -n "$status" ] || { echo "$console_name: '$1' did not end" >&2; return 1; }
  secs=$(echo "$at - $t0" | bc -l)
}
