# Sourced by rcS. This kernel has no devtmpfs: a tmpfs /dev filled by mdev,
# the kernel's hotplug helper, for every device already there. `mdev -s`
# is not used: on 2.6.29 /sys/dev has no DEVNAME, so it names nodes
# "179:2"; replaying each device's add event gives the kernel's own names.
mount -t tmpfs -o mode=0755,size=512k dev /dev
mknod -m 600 /dev/console c 5 1
mknod -m 666 /dev/null c 1 3
echo /sbin/mdev > /proc/sys/kernel/hotplug
for event in /sys/class/*/*/uevent /sys/block/*/uevent /sys/block/*/*/uevent; do
    [ -f "$event" ] && echo add > "$event"
done
