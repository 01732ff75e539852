#!/usr/bin/env bash
# Runs every test: installs the Debian tools the tests use (needs root or sudo the first time),
# finds a JDK 25, then builds and runs unit tests and the Pax Exam integration tests
# (mvn verify). Extra arguments go to Maven, e.g. scripts/test.sh -pl bundles/cpu-x86 -am
# The guest images are made first, so the Linux guest test (itests LinuxGuestIT) fails, not skips,
# when they or qemu-img are missing (-Dmachina.requireImages=true).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
"$root/scripts/install-deps.sh"
. "$root/scripts/find-jdk.sh"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
if [ -x "$root/scripts/guest-images.sh" ]; then
  "$root/scripts/guest-images.sh"
fi
cd "$root"
echo "test: using $JAVA_HOME"
exec mvn -B -ntp verify -Dmachina.requireImages=true "$@"
