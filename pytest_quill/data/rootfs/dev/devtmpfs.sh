# Sourced by rcS. /dev from the kernel's devtmpfs; with DEVTMPFS_MOUNT the
# kernel has mounted it already.
grep -q '^[^ ]* /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
