# Sourced by rcS. This kernel has no devtmpfs: a tmpfs /dev filled by mdev,
# the kernel's hotplug helper where it has one (2.6.29 always does).
mount -t tmpfs -o mode=0755,size=512k dev /dev
mknod -m 600 /dev/console c 5 1
mknod -m 666 /dev/null c 1 3
[ -w /proc/sys/kernel/hotplug ] && echo /sbin/mdev > /proc/sys/kernel/hotplug
# One scan of /sys for the devices that are already there. 2.6.29's uevents
# carry no DEVNAME, so this busybox's mdev scans /sys/class and /sys/block
# there (busybox/mdev-scan-sysfs-class.patch): the kernel's own names, as a
# replay of each device's add event would give, in one process instead of one
# kernel-started mdev per device.
mdev -s
