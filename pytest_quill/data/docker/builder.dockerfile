# The Docker backend's toolchain for kernels a current GCC builds (qemu-virt:
# Debian's linux-source-6.1, cross-compiled for ARM), with the tools the kernel
# recipe runs through the same argv as on the host: tar/xz to unpack the
# source, make + gcc for the host programs, the cross compilers through ccache,
# mkimage for the uImage, kmod/nm for the modules, git for a tree given by URL.
#
# The base comes through BASE: when debian:bookworm cannot be pulled, the
# backend makes it locally (mmdebstrap + docker import) and passes its tag.
# The backend copies nothing in (empty context): the image is this file, its
# tag is this file's hash.
ARG BASE=debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc-arm-linux-gnueabihf gcc-arm-linux-gnueabi gcc libc6-dev make \
      bc bison flex libssl-dev cpio u-boot-tools ccache kmod perl python3 \
      rsync xz-utils git ca-certificates patch \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
