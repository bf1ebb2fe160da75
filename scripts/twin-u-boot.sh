#!/bin/sh
# The nook-twin bench's U-Boot: Debian's U-Boot 2023.01 source with a small
# Versatile AB port (squireos/boot/twin/), built once into
# squireos/boot/twin/out/u-boot.bin, which the profile's bench.qemu.bios names.
# Idempotent: does nothing when that file is newer than the patch and script.
# Needs root (or sudo) once, to add bookworm's deb-src and fetch the source.
set -eu
cd "$(dirname "$0")/.."
TWIN=squireos/boot/twin
OUT=$TWIN/out/u-boot.bin
WORK=${XDG_CACHE_HOME:-$HOME/.cache}/pytest-quill/u-boot-twin
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ -f "$OUT" ] && [ "$OUT" -nt "$TWIN/build-u-boot.sh" ] &&
   [ "$OUT" -nt "$TWIN/u-boot-2023.01-versatileab-qemu.patch" ]; then
    exit 0
fi
src=$(ls -d "$WORK"/u-boot-2023.01*/ 2>/dev/null | head -n 1 || true)
if [ -z "$src" ]; then
    list=/etc/apt/sources.list.d/pytest-quill-src.sources
    if ! apt-get source --print-uris u-boot >/dev/null 2>&1; then
        # The source comes from Debian's archive as a source package.
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
            $SUDO tee "$list" >/dev/null
        $SUDO apt-get update -q >/dev/null
    fi
    mkdir -p "$WORK"
    (cd "$WORK" && apt-get source -q u-boot >/dev/null)
    src=$(ls -d "$WORK"/u-boot-2023.01*/ | head -n 1)
fi
sh "$TWIN/build-u-boot.sh" "$src" "$WORK/out"
mkdir -p "$TWIN/out"
cp "$WORK/out/u-boot.bin" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "twin-u-boot: $OUT ($(wc -c < "$OUT") bytes)"
