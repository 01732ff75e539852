#!/usr/bin/env bash
# Fetches the Debian i386 686 kernel and busybox-static into images/ (git-ignored).
#
# The kernel version is not hard-coded: the linux-image-686 metapackage is resolved to its
# linux-image-<abi>-686 dependency. The system's apt configuration is left untouched: a private
# apt state directory (images/apt) reads the system's sources with APT::Architecture=i386.
# apt-get download checks each .deb against the signed index; the sha256 is printed as well.
# Idempotent: files already present are kept (delete images/ to refetch).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMG="$ROOT/images"
APTDIR="$IMG/apt"
DEBS="$IMG/debs"
STAGE="$IMG/staging"
mkdir -p "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" "$DEBS" "$STAGE"

step() { printf '==> %s\n' "$*" >&2; }

# Private sources list: the system's Debian sources, with i386 as the architecture.
SRC="$APTDIR/sources.list"
SRCPARTS="$APTDIR/sources.list.d"
mkdir -p "$SRCPARTS"
if [ ! -s "$SRC" ] && [ -z "$(ls -A "$SRCPARTS")" ]; then
    [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$SRC"
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] && grep -qi 'debian' "$f" && cp "$f" "$SRCPARTS/"
    done
    touch "$SRC"
fi

APT_OPTS=(
    -o "Dir::State=$APTDIR/state"
    -o "Dir::State::status=$APTDIR/state/status"
    -o "Dir::Cache=$APTDIR/cache"
    -o "Dir::Etc::sourcelist=$SRC"
    -o "Dir::Etc::sourceparts=$SRCPARTS"
    -o "APT::Architecture=i386"
    -o "APT::Architectures=i386"
    -o "Debug::NoLocking=1"
)
touch "$APTDIR/state/status"

# images/kernel-deb names the package images/vmlinuz came from: build-initramfs.sh takes the
# kernel's modules from the same package, never from another one left in images/debs.
if [ -f "$IMG/vmlinuz" ] && [ ! -s "$IMG/kernel-deb" ]; then
    # A cache from before the record existed: find the package whose kernel this is.
    for deb in "$DEBS"/linux-image-*.deb; do
        [ -f "$deb" ] || continue
        rm -rf "$IMG/kernel-x" && mkdir -p "$IMG/kernel-x"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$IMG/kernel-x" --wildcards './boot/vmlinuz-*'
        if cmp -s "$(ls "$IMG"/kernel-x/boot/vmlinuz-* | head -n1)" "$IMG/vmlinuz"; then
            basename "$deb" > "$IMG/kernel-deb"
        fi
        rm -rf "$IMG/kernel-x"
        [ -s "$IMG/kernel-deb" ] && break
    done
    if [ ! -s "$IMG/kernel-deb" ]; then
        step "images/vmlinuz matches no package in images/debs: fetching the current kernel"
        rm -f "$IMG/vmlinuz"
    fi
fi

refresh_lists() {
    step "apt-get update (private state in images/apt, i386)"
    apt-get "${APT_OPTS[@]}" update \
        || step "warning: some index files failed (see above); continuing with the ones fetched"
}
if [ ! -f "$IMG/vmlinuz" ] || [ ! -x "$STAGE/bin/busybox" ]; then
    if [ -z "$(ls -A "$APTDIR/state/lists" 2>/dev/null | grep -v partial || true)" ] || [ -n "${REFRESH:-}" ]; then
        refresh_lists
    fi
fi

download() { # PACKAGE -> path of the .deb
    local pkg="$1" existing
    existing=$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -n "$existing" ]; then
        step "cached: $(basename "$existing")"
    else
        step "downloading $pkg"
        # Lists from an earlier day may name a version the archive no longer has: refresh, retry.
        (cd "$DEBS" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2) \
            || { refresh_lists; (cd "$DEBS" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2); }
        existing=$(ls "$DEBS/${pkg}_"*.deb | head -n1)
    fi
    printf '    sha256 %s\n' "$(sha256sum "$existing" | cut -d' ' -f1)" >&2
    echo "$existing"
}

if [ ! -f "$IMG/vmlinuz" ]; then
    step "resolving linux-image-686"
    KPKG=$(apt-cache "${APT_OPTS[@]}" depends linux-image-686 \
        | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-686\(-unsigned\)\?\)$/\1/p' | head -n1)
    [ -n "$KPKG" ] || { echo "cannot resolve linux-image-686 to a kernel package" >&2; exit 1; }
    step "linux-image-686 -> $KPKG"
    KDEB=$(download "$KPKG")
    step "extracting kernel"
    rm -rf "$IMG/kernel-x" && mkdir -p "$IMG/kernel-x"
    dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$IMG/kernel-x" --wildcards './boot/vmlinuz-*'
    cp "$(ls "$IMG"/kernel-x/boot/vmlinuz-* | head -n1)" "$IMG/vmlinuz"
    rm -rf "$IMG/kernel-x"
    basename "$KDEB" > "$IMG/kernel-deb"
    step "images/vmlinuz ($(stat -c %s "$IMG/vmlinuz") bytes, sha256 $(sha256sum "$IMG/vmlinuz" | cut -d' ' -f1)) from $(cat "$IMG/kernel-deb")"
else
    step "cached: images/vmlinuz (from $(cat "$IMG/kernel-deb"))"
fi

if [ ! -x "$STAGE/bin/busybox" ]; then
    BDEB=$(download busybox-static)
    step "extracting busybox"
    dpkg-deb -x "$BDEB" "$IMG/busybox-x"
    mkdir -p "$STAGE/bin"
    cp "$IMG/busybox-x/bin/busybox" "$STAGE/bin/busybox"
    rm -rf "$IMG/busybox-x"
    file "$STAGE/bin/busybox" 2>/dev/null >&2 || true
else
    step "cached: images/staging/bin/busybox"
fi
step "done"
