#!/bin/sh
# Build U-Boot for the QEMU "2.6.29 twin" of the Nook Simple Touch.
#
# usage: build-u-boot.sh SRC_DIR OUT_DIR
#   SRC_DIR  Debian's U-Boot 2023.01 source (`apt-get source u-boot` on
#            bookworm: u-boot-2023.01+dfsg/); never modified.
#   OUT_DIR  gets src/ (a patched copy), build/ (the O= tree), build.log and
#            the results: u-boot.bin, u-boot (ELF), u-boot.config.
#
# environment:
#   CROSS_COMPILE  default arm-linux-gnueabi- (Debian's gcc-arm-linux-gnueabi)
#   BOARD          versatileab (default): QEMU -M versatileab, the twin's own
#                    board. U-Boot dropped the Versatile boards (and they never
#                    had MMC), so this applies u-boot-2023.01-versatileab-qemu.patch
#                    (a small board port: PL181 SD, SP804 timer, PL011, ATAGs,
#                    Nook-style env, `mmcinit`/`autoscr` compat commands).
#                    Run: qemu-system-arm -M versatileab -kernel u-boot.bin
#                         -drive if=sd,file=card.img,format=raw -nographic
#                    (-bios is ignored by QEMU on versatileab.)
#                  vexpress-a9: stock vexpress_ca9x4_defconfig + a fragment
#                    (ATAGs, a Nook-like bootcmd). Not the twin's board; a
#                    2.6.29 kernel has no Versatile Express support.
#                    Run: qemu-system-arm -M vexpress-a9 -m 1G -kernel u-boot
#                         -drive if=sd,file=card.img,format=raw -nographic
#                    (the ELF; -bios u-boot.bin prints nothing.)
#   JOBS           make -j value, default 2
set -eu

die() { echo "build-u-boot.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 SRC_DIR OUT_DIR"
SRC_DIR=$1
OUT_DIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CROSS_COMPILE=${CROSS_COMPILE:-arm-linux-gnueabi-}
BOARD=${BOARD:-versatileab}
JOBS=${JOBS:-2}
PATCH=$HERE/u-boot-2023.01-versatileab-qemu.patch

case $BOARD in
versatileab) DEFCONFIG=versatileab_qemu_defconfig ;;
vexpress-a9) DEFCONFIG=vexpress_ca9x4_defconfig ;;
*) die "BOARD must be versatileab or vexpress-a9, not '$BOARD'" ;;
esac

# ---- checks before any work ----------------------------------------------
[ -f "$SRC_DIR/Makefile" ] && [ -d "$SRC_DIR/arch/arm" ] ||
	die "$SRC_DIR is not a U-Boot source tree (try: apt-get source u-boot)"
version=$(sed -n 's/^VERSION = //p;s/^PATCHLEVEL = //p' "$SRC_DIR/Makefile" | paste -sd. -)
[ "$version" = 2023.01 ] ||
	die "U-Boot $version in $SRC_DIR; this script and its patch are for 2023.01 (Debian bookworm)"
for tool in make patch bison flex cc "${CROSS_COMPILE}gcc"; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (apt-get install make patch bison flex gcc gcc-arm-linux-gnueabi libssl-dev)"
done
[ "$BOARD" != versatileab ] || [ -f "$PATCH" ] || die "missing $PATCH"

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
LOG=$OUT_DIR/build.log
: >"$LOG"

# ---- a private copy of the source (patched for versatileab) --------------
# Reused while the source and the patch are unchanged, so re-runs are
# incremental.
stamp=$(cat "$SRC_DIR/Makefile" "$PATCH" 2>/dev/null | cksum | cut -d' ' -f1)-$BOARD
SRC=$OUT_DIR/src
if [ "$(cat "$SRC/.twin-stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$SRC" "$OUT_DIR/build"
	cp -a "$SRC_DIR" "$SRC"
	if [ "$BOARD" = versatileab ]; then
		patch -d "$SRC" -p1 --forward --batch <"$PATCH" >>"$LOG" 2>&1 ||
			die "$(basename "$PATCH") does not apply to $SRC_DIR (see $LOG)"
	fi
	echo "$stamp" >"$SRC/.twin-stamp"
fi

# ---- configure ------------------------------------------------------------
B=$OUT_DIR/build
mk() { make -C "$SRC" O="$B" CROSS_COMPILE="$CROSS_COMPILE" "$@" >>"$LOG" 2>&1; }
mk "$DEFCONFIG" || die "make $DEFCONFIG failed (see $LOG)"
if [ "$BOARD" = vexpress-a9 ]; then
	# 2.6.29-era kernels boot on ATAGs (no device tree); the stock config
	# has none ("FDT and ATAGS support not compiled in"). Its distro boot
	# also fails: scriptaddr is not defined. Boot like the Nook instead.
	"$SRC/scripts/config" --file "$B/.config" \
		-e SUPPORT_PASSING_ATAGS -e SETUP_MEMORY_TAGS -e CMDLINE_TAG \
		-e INITRD_TAG -e CMD_ITEST -d EFI_LOADER \
		--set-str BOOTCOMMAND 'if fatload mmc 0:1 ${loadaddr} boot.scr; then source ${loadaddr}; else echo No boot.scr on mmc 0:1; fi'
	mk olddefconfig || die "make olddefconfig failed (see $LOG)"
fi

# Everything a Nook-style boot.scr needs, checked in the final .config.
for sym in CMD_MMC ARM_PL180_MMCI CMD_FAT FS_FAT DOS_PARTITION CMD_SOURCE \
	CMD_BOOTM LEGACY_IMAGE_FORMAT HUSH_PARSER CMD_ITEST CMDLINE_TAG \
	SETUP_MEMORY_TAGS INITRD_TAG; do
	grep -q "^CONFIG_$sym=y" "$B/.config" ||
		die "CONFIG_$sym is not enabled in $B/.config"
done

# ---- build ----------------------------------------------------------------
start=$(date +%s)
mk -j"$JOBS" || die "U-Boot build failed (last lines of $LOG):
$(tail -n 15 "$LOG")"
[ -s "$B/u-boot.bin" ] || die "build finished but $B/u-boot.bin is missing"
cp "$B/u-boot.bin" "$B/u-boot" "$OUT_DIR/"
cp "$B/.config" "$OUT_DIR/u-boot.config"
echo "build-u-boot.sh: $BOARD: $OUT_DIR/u-boot.bin ($(wc -c <"$OUT_DIR/u-boot.bin") bytes, $(($(date +%s) - start)) s)"
