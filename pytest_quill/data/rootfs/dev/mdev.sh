# Sourced by rcS. This kernel has no devtmpfs: a tmpfs /dev filled by mdev,
# the kernel's hotplug helper where it has one (2.6.29 always does).
mount -t tmpfs -o mode=0755,size=512k dev /dev
mknod -m 600 /dev/console c 5 1
mknod -m 666 /dev/null c 1 3
[ -w /proc/sys/kernel/hotplug ] && echo /sbin/mdev > /proc/sys/kernel/hotplug
if grep -qs '^DEVNAME=' /sys/class/mem/null/uevent; then
    mdev -s  # the kernel names its devices in sysfs (2.6.31 on)
else
    # 2.6.29's uevents carry no DEVNAME, and `mdev -s` would name nodes "179:2":
    # replaying each device's add event gives the kernel's own names.
    for event in /sys/class/*/*/uevent /sys/block/*/uevent /sys/block/*/*/uevent; do
        [ -f "$event" ] && echo add > "$event"
    done
fi
