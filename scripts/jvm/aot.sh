# The JDK's AOT cache for a JVM that runs a machine (sourced by ./machina and the boot benchmark;
# needs JAVA_HOME). One cache per distribution and JDK, cds/machine-ID.aot in the distribution's
# folder (ID: a checksum of the JDK's path and release file), holding the classes a machine run
# loaded (the JDK's, Felix's and the bundles'), already parsed and linked, and the profiles of
# the methods it ran (JDK 25's AOT method profiling), so that HotSpot compiles the CPU's
# interpreter and the translator's helpers for what a Linux boot does from its start.
# Measured in docs/architecture.md ("The JDK's AOT cache"): a cache trained by a boot to /init
# saved about 1 s of a boot; one trained by a short ROM run made boots slower (its profiles
# misled C2), so only Linux boots train: ./machina boot and the boot benchmark's untimed boot.
# Three steps, across runs:
#   1. no cache yet: a training run records (-XX:AOTMode=record); the JVM writes
#      machine-ID.aotconf at exit
#   2. the next training run first writes the cache from it (-XX:AOTMode=create, about a second),
#      removes the training data and uses the cache
#   3. later runs, training or not, use it (-XX:AOTCache)
# The cache holds the JVM options it was written with: every JVM that uses it must be given the
# same module options (no --enable-native-access: the launcher's manifest grants that), or the
# JVM refuses it (silently here, with -Xlog:aot errors otherwise).
# A rebuilt jar in lib/ or bundles/ makes both files stale: they are removed and step 1 comes again.
# MACHINA_AOT=off runs without (an A/B pair, or a JVM that refuses the options).
#
# machina_aot DIST MODE   sets the array aot_opts to the JVM options
#   MODE train  any of the three steps (a Linux boot)
#   MODE use    the cache when it is current, else nothing (run, daemon, start)
machina_aot() {
  local dist=$1 mode=$2 dir="$1/cds" id cache conf f
  aot_opts=()
  [ "${MACHINA_AOT:-on}" = off ] && return 0
  id=$({ echo "$JAVA_HOME"; cat "$JAVA_HOME/release" 2>/dev/null || true; } | cksum | cut -d" " -f1)
  cache="$dir/machine-$id.aot"
  conf="$dir/machine-$id.aotconf"
  if dist_current "$dist" "$cache"; then
    aot_opts=(-XX:AOTCache="$cache")
    return 0
  fi
  [ "$mode" = train ] && mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || return 0
  # another JDK's files, and files older than a jar of the distribution
  for f in "$dir"/machine-*.aot "$dir"/machine-*.aotconf; do
    [ -e "$f" ] || continue
    if [ "$f" != "$conf" ] || ! dist_current "$dist" "$f"; then rm -f "$f"; fi
  done
  if [ -f "$conf" ]; then
    echo "machina: writing the JVM's AOT cache from the first boot's training data (once)..." >&2
    local tmp="$cache.$$.tmp"
    if "$JAVA_HOME/bin/java" -Xlog:disable -Xlog:all=error:stderr -XX:AOTMode=create -XX:AOTConfiguration="$conf" \
        -XX:AOTCache="$tmp" --sun-misc-unsafe-memory-access=allow @"$(dirname "${BASH_SOURCE[0]}")/machine.options" \
        -jar "$dist/lib/launcher-0.1.0-SNAPSHOT.jar" >/dev/null 2>"$tmp.err" && [ -s "$tmp" ]; then
      mv -f "$tmp" "$cache"
      rm -f "$conf"
      aot_opts=(-XX:AOTCache="$cache")
    else
      echo "machina: the JVM could not write its AOT cache (running without; next run records again): $(tail -1 "$tmp.err")" >&2
      rm -f "$tmp" "$conf"
    fi
    rm -f "$tmp.err"
  else
    # the JVM says "AOTConfiguration recorded" at exit: on stderr (stdout is the command's output)
    aot_opts=(-XX:AOTMode=record -XX:AOTConfiguration="$conf" -XX:+DisplayVMOutputToStderr)
  fi
}

# true when file $2 exists and no jar of distribution $1 is newer (also ./machina's test for its
# class-data sharing archives)
dist_current() {
  [ -f "$2" ] && [ -z "$(find "$1/lib" "$1/bundles" -newer "$2" -print -quit 2>/dev/null)" ]
}
