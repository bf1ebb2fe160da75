#!/bin/sh
# Build busybox from source as one static program against musl, for a kernel
# older than Debian's glibc allows (rootfs.userland = "busybox-musl").
# Nothing here runs a target binary.
# Usage: build-busybox.sh WORK SRC TRIPLET MIRROR
#   WORK     fetch-packages.sh's folder; WORK/toolchain holds musl-dev and
#            linux-libc-dev for the target, unpacked (BUILD_PACKAGES)
#   SRC      this folder (busybox/source.env, busybox/config, busybox/*.patch)
#   TRIPLET  the GNU triplet of the target's gcc, e.g. arm-linux-gnueabi
#   MIRROR   the Debian mirror that has busybox's source
# Writes WORK/staging/bin/busybox and WORK/busybox.links.
set -eu
umask 022
work=$1 src=$2 triplet=$3 mirror=$4
. "$src/busybox/source.env"
toolchain=$work/toolchain
build=$work/busybox-build
command -v "$triplet-gcc" >/dev/null || { echo "build-busybox.sh: $triplet-gcc not found (package gcc-$triplet)" >&2; exit 2; }
specs_in=$(ls "$toolchain"/usr/lib/*/musl-gcc.specs 2>/dev/null | head -n 1)
[ -n "$specs_in" ] || { echo "build-busybox.sh: no musl-gcc.specs under $toolchain (musl-dev not fetched)" >&2; exit 2; }
musl_lib=$(dirname "$specs_in")
musl_include=$toolchain/usr/include/$(basename "$musl_lib")

rm -rf "$build"
mkdir -p "$build/kernel-headers"
# musl ships no kernel headers: busybox's <linux/...> and <asm/...> come from
# linux-libc-dev, through a folder of their own so that glibc's headers
# beside them never mix with musl's.
for dir in linux asm-generic mtd; do
    ln -s "$toolchain/usr/include/$dir" "$build/kernel-headers/$dir"
done
ln -s "$toolchain/usr/include/$triplet/asm" "$build/kernel-headers/asm"

# The ABI tag note (name "GNU", type 1, OS 0 = Linux, then the version).
floor=$(echo "$MUSL_MIN_KERNEL" | tr '.' ',')
printf '\t.section .note.ABI-tag, "a", %%note\n\t.balign 4\n\t.long 4, 16, 1\n\t.asciz "GNU"\n\t.long 0, %s\n' \
    "$floor" > "$build/abi-note.S"
"$triplet-gcc" -c "$build/abi-note.S" -o "$build/abi-note.o"
sed -e "s#/usr/include/$(basename "$musl_lib")#$musl_include -isystem $build/kernel-headers#g" \
    -e "s#/usr/lib/$(basename "$musl_lib")#$musl_lib#g" \
    -e "s#$musl_lib/crti.o#$musl_lib/crti.o $build/abi-note.o#" \
    "$specs_in" > "$build/musl.specs"

tarball=$build/busybox.tar.bz2
/usr/lib/apt/apt-helper download-file "$mirror/$BUSYBOX_POOL_PATH" "$tarball" "SHA256:$BUSYBOX_SHA256"
tar -xjf "$tarball" -C "$build"
cd "$build/busybox-$BUSYBOX_VERSION"
# Our changes to the release, each explained at its top (busybox/*.patch).
for patch in "$src"/busybox/*.patch; do
    [ -f "$patch" ] || continue
    patch -p1 --batch --quiet < "$patch" || { echo "build-busybox.sh: $(basename "$patch") does not apply" >&2; exit 2; }
done

# The same bytes from the same inputs: no build date, no build folder.
export SOURCE_DATE_EPOCH=0 KCONFIG_NOTIMESTAMP=1
make -s defconfig >/dev/null
grep -v -e '^#' -e '^$' "$src/busybox/config" | while IFS='=' read -r name value; do
    sed -i -e "/^$name=/d" -e "/^# $name is not set/d" .config
    if [ "$value" = n ]; then echo "# $name is not set"; else echo "$name=$value"; fi >> .config
done
yes '' | make -s oldconfig >/dev/null
cc="$triplet-gcc -specs=$build/musl.specs -ffile-prefix-map=$build=."
make -s -j"$(nproc)" CROSS_COMPILE="$triplet-" CC="$cc" busybox
make -s busybox.links
install -D -m 0755 busybox "$work/staging/bin/busybox"
sed 's#^/##' busybox.links > "$work/busybox.links"
echo "busybox $BUSYBOX_VERSION for $triplet against musl, ABI tag $MUSL_MIN_KERNEL"
