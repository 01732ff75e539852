#!/usr/bin/env bash
# Fetches the Debian guest kernel and busybox, then builds the initramfs (both idempotent).
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
"$DIR/fetch-guest.sh"
"$DIR/build-initramfs.sh"
