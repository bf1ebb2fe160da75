#!/bin/sh
# Make the SquireOS root tree from the unpacked packages (fetch-packages.sh):
# busybox with its applet links, kmod with its libraries, /etc, busybox init
# and its scripts. Nothing here runs a target binary.
# Usage: assemble.sh WORK DEST SRC DEV_METHOD
#   WORK       fetch-packages.sh's folder (staging/, packages.txt)
#   DEST       the tree to make (emptied first)
#   SRC        this folder (overlay/, dev/, busybox-applets.list)
# The applet links come from WORK/busybox.links when busybox was built here
# (build-busybox.sh), else from busybox-applets.list (Debian's busybox-static).
#   DEV_METHOD devtmpfs | mdev: how init fills /dev (dev/METHOD.sh)
set -eu
umask 022
work=$1 dest=$2 src=$3 dev_method=$4
staging=$work/staging
[ -f "$src/dev/$dev_method.sh" ] || { echo "assemble.sh: no dev method $dev_method in $src/dev" >&2; exit 2; }

rm -rf "$dest"
mkdir -p "$dest"
# Programs, libraries and their configuration; usr/share (docs, man pages,
# locales, completions, initramfs hooks) stays behind.
for dir in bin sbin lib usr/bin usr/sbin usr/lib etc; do
    [ -d "$staging/$dir" ] || continue
    mkdir -p "$dest/$dir"
    cp -a "$staging/$dir/." "$dest/$dir/"
done
# The packages' init.d scripts are for sysvinit; gconv serves iconv, unused here.
rm -rf "$dest/etc/init.d" "$dest"/usr/lib/*/gconv

mkdir -p "$dest/bin" "$dest/sbin" "$dest/usr/bin" "$dest/usr/sbin"
applets=$src/busybox-applets.list
[ -f "$work/busybox.links" ] && applets=$work/busybox.links
grep -v -e '^#' -e '^$' "$applets" | while read -r applet; do
    if [ ! -e "$dest/$applet" ] && [ ! -L "$dest/$applet" ]; then
        ln -s /bin/busybox "$dest/$applet"
    fi
done

for dir in dev proc sys tmp root run mnt var/log lib/modules; do
    mkdir -p "$dest/$dir"
done
cp -R "$src/overlay/." "$dest/"
cp "$src/dev/$dev_method.sh" "$dest/etc/init.d/dev"
cp "$work/packages.txt" "$dest/etc/squireos/packages"
if [ -f "$work/build-packages.txt" ]; then
    cp "$work/build-packages.txt" "$dest/etc/squireos/build-packages"
fi

# Modes fixed here, not left to the checkout's umask: the tarball keeps them.
find "$dest/etc" -type d -exec chmod 0755 {} +
find "$dest/etc" -type f -exec chmod 0644 {} +
chmod 0755 "$dest/etc/init.d/rcS" "$dest/etc/init.d/rcK" "$dest/etc/init.d/modules"
chmod 1777 "$dest/tmp"
chmod 0700 "$dest/root"
