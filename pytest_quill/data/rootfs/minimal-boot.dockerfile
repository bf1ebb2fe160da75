# SquireOS minimal root filesystem: busybox-static, kmod with its libraries,
# /etc and busybox init, for the profile's Debian architecture.
#
# The first stage runs on the build machine's own architecture and never runs
# a target binary: the packages are fetched for DEBIAN_ARCH with a private apt
# root and unpacked (fetch-packages.sh), and the tree is put together
# (assemble.sh). The same two scripts make the tree on the host backend, so
# both backends give the same layout. The final stage holds only that tree.
#
# Build args (pytest_quill/rootfs/recipe.py passes them from the profile):
#   BUILDER_IMAGE   a native Debian image with apt (the Docker backend's base_image)
#   BUILD_PLATFORM  that image's platform, e.g. linux/amd64
#   DEBIAN_ARCH     profile target.debian_arch, e.g. armhf
#   SUITE           profile rootfs.suite, e.g. bookworm
#   MIRROR          a Debian mirror that has SUITE
#   PACKAGES        profile rootfs.packages, space separated (may be empty)
#   USERLAND        debian | busybox-musl (busybox built here, build-busybox.sh)
#   BUILD_PACKAGES  what build-busybox.sh links against, for DEBIAN_ARCH
#   TRIPLET         the GNU triplet of DEBIAN_ARCH's cross gcc
#   DEV_METHOD      devtmpfs | mdev (devtmpfs only when the kernel has it)
#   PACKAGE_INDEX   the suite's package index digests (pytest_quill/rootfs/debian_index.py):
#                   a new one invalidates Docker's cached toolchain and fetch layers
ARG BUILDER_IMAGE
ARG BUILD_PLATFORM=linux/amd64
FROM --platform=${BUILD_PLATFORM} ${BUILDER_IMAGE} AS assemble
ARG DEBIAN_ARCH
ARG SUITE
ARG MIRROR=http://deb.debian.org/debian
ARG PACKAGES="busybox-static kmod"
ARG DEV_METHOD=devtmpfs
ARG USERLAND=debian
ARG BUILD_PACKAGES=""
ARG TRIPLET
ARG PACKAGE_INDEX
# Only busybox-musl compiles anything: the cross gcc, and gcc for its Kconfig tools.
RUN if [ "$USERLAND" = busybox-musl ]; then \
        apt-get update -q && apt-get install -q -y --no-install-recommends \
            "gcc-$TRIPLET" gcc libc6-dev make bzip2 patch; \
    fi
COPY . /src
RUN sh /src/fetch-packages.sh /work "$DEBIAN_ARCH" "$SUITE" "$MIRROR" $PACKAGES \
 && if [ "$USERLAND" = busybox-musl ]; then sh /src/build-busybox.sh /work /src "$TRIPLET" "$MIRROR"; fi \
 && sh /src/assemble.sh /work /rootfs /src "$DEV_METHOD"

FROM scratch
COPY --from=assemble /rootfs/ /
CMD ["/sbin/init"]
