# Sourced by rcS. This kernel has no devtmpfs: a tmpfs /dev filled by mdev
# from /sys, and kept current by mdev as the hotplug helper.
mount -t tmpfs -o mode=0755,size=512k dev /dev
mknod -m 600 /dev/console c 5 1
mknod -m 666 /dev/null c 1 3
echo /sbin/mdev > /proc/sys/kernel/hotplug
mdev -s
