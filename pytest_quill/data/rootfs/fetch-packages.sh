#!/bin/sh
# Download the packages and everything they depend on for a foreign Debian
# architecture, and unpack them into WORK/staging. A private apt root: the
# build machine's dpkg is left alone, and no target binary runs (no binfmt).
# Writes WORK/packages.txt: "name version architecture", one per package.
# BUILD_PACKAGES (optional, space separated): packages a build step needs for
# the target (headers, a libc to link against), fetched without their
# dependencies into WORK/toolchain and listed in WORK/build-packages.txt.
# Usage: fetch-packages.sh WORK ARCH SUITE MIRROR [PACKAGE...]
set -eu
umask 022
work=$1 arch=$2 suite=$3 mirror=$4
shift 4
apt_root=$work/apt
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

rm -rf "$apt_root" "$work/staging" "$work/toolchain" "$work/build-debs"
mkdir -p "$apt_root/etc/apt/apt.conf.d" "$apt_root/etc/apt/preferences.d" \
    "$apt_root/etc/apt/sources.list.d" "$apt_root/var/lib/apt/lists/partial" \
    "$apt_root/var/cache/apt/archives/partial" "$apt_root/var/lib/dpkg" "$work/staging"
: > "$apt_root/var/lib/dpkg/status"
echo "deb [signed-by=$keyring] $mirror $suite main" > "$apt_root/etc/apt/sources.list"

apt() {
    apt-get -q -o Dir="$apt_root" -o Dir::State::status="$apt_root/var/lib/dpkg/status" \
        -o APT::Architecture="$arch" -o APT::Architectures="$arch" \
        -o Debug::NoLocking=1 "$@"
}
apt update

# unpack_all DEBS_DIR DEST LIST: unpack every .deb and list "name version arch".
unpack_all() {
    : > "$3"
    for deb in "$1"/*.deb; do
        [ -e "$deb" ] || continue
        dpkg-deb -x "$deb" "$2"
        dpkg-deb -f "$deb" Package Version Architecture | cut -d' ' -f2 | paste -sd' ' >> "$3"
    done
    sort -o "$3" "$3"
}

if [ $# -gt 0 ]; then
    # An empty status file: apt fetches the whole dependency closure.
    apt install --download-only --no-install-recommends -y "$@"
fi
unpack_all "$apt_root/var/cache/apt/archives" "$work/staging" "$work/packages.txt"

if [ -n "${BUILD_PACKAGES:-}" ]; then
    mkdir -p "$work/build-debs" "$work/toolchain"
    (cd "$work/build-debs" && apt download $BUILD_PACKAGES)
    unpack_all "$work/build-debs" "$work/toolchain" "$work/build-packages.txt"
fi
