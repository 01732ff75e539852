# Sourced by project scripts: sets JAVA_HOME to a JDK 25 or newer, or exits with a clear message.
# Order: JAVA_HOME if it is 25+, then the usual install locations, then java on PATH.
machina_java_version() { # prints the feature version of $1/bin/java, or nothing
  [ -x "$1/bin/java" ] || return 0
  # the JDK's release file answers without starting a JVM or any other process
  local line v
  if [ -f "$1/release" ]; then
    while IFS= read -r line; do
      case $line in
        JAVA_VERSION=*) v=${line#JAVA_VERSION=\"}; v=${v%%[!0-9]*}; [ -n "$v" ] && { echo "$v"; return 0; };;
      esac
    done <"$1/release"
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}
machina_find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/temurin-25-jdk \
           /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-25-openjdk /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /opt/java/* \
           "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$c" ] || continue
    v=$(machina_java_version "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME=$(machina_find_jdk); then
  echo "machina: no JDK 25 or newer found. Install one (e.g. Temurin 25 under /usr/lib/jvm) or set JAVA_HOME to it." >&2
  exit 2
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
