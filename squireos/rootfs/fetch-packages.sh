#!/bin/sh
# Download the packages and everything they depend on for a foreign Debian
# architecture, and unpack them into WORK/staging. A private apt root: the
# build machine's dpkg is left alone, and no target binary runs (no binfmt).
# Writes WORK/packages.txt: "name version architecture", one per package.
# Usage: fetch-packages.sh WORK ARCH SUITE MIRROR PACKAGE...
set -eu
umask 022
work=$1 arch=$2 suite=$3 mirror=$4
shift 4
apt_root=$work/apt
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

rm -rf "$apt_root" "$work/staging"
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
# An empty status file: apt fetches the whole dependency closure.
apt install --download-only --no-install-recommends -y "$@"

: > "$work/packages.txt"
for deb in "$apt_root"/var/cache/apt/archives/*.deb; do
    dpkg-deb -x "$deb" "$work/staging"
    dpkg-deb -f "$deb" Package Version Architecture | cut -d' ' -f2 | paste -sd' ' >> "$work/packages.txt"
done
sort -o "$work/packages.txt" "$work/packages.txt"
