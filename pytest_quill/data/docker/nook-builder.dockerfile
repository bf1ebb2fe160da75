# The Docker backend's toolchain for the Nook's kernel (B&N 2.6.29 tree).
#
# NEEDS: an ubuntu:12.04 image (pulled from a registry, or `docker load`ed)
# NEEDS: and its archive reachable (old-releases.ubuntu.com, or MIRROR).
#
# Why this base: 2.6.29 builds only with GCC 4.x (it has no compiler-gcc5.h
# and later) and GNU make 3.81 (make 3.82+ rejects its mixed implicit rules).
# Ubuntu 12.04 ships both, with an armel cross GCC 4.6 in its archive. Debian
# never had an armel cross GCC 4.x in its main archive (cross toolchains came
# with stretch, GCC 6), and GCC 4.7+ defaults to unaligned accesses on ARMv6+,
# which kernels before 3.2 do not expect. Neither that image nor that archive
# can be reached from the project's build machines, so this image is written
# but not built there; a build failure names what is missing (the NEEDS lines).
ARG BASE=ubuntu:12.04
FROM ${BASE}
ARG MIRROR=http://old-releases.ubuntu.com/ubuntu
RUN sed -i "s|http://[a-z.]*ubuntu\.com/ubuntu|${MIRROR}|" /etc/apt/sources.list \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc-arm-linux-gnueabi gcc libc6-dev make bc cpio u-boot-tools ccache \
      module-init-tools perl rsync xz-utils git ca-certificates patch \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
