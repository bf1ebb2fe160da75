#!/bin/sh
# Idempotent set-up for a fresh Debian/Ubuntu machine: the apt packages that
# are missing, binfmt for foreign-arch rootfs steps, the project's .venv, the
# Allure 3 command line. Safe to run again: it only adds what is missing.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

wanted=$(grep -v '^#' scripts/apt-packages.txt | tr '\n' ' ')
missing=""
for pkg in $wanted; do
    # nodejs may come from elsewhere (NodeSource); npx is what we need of it.
    [ "$pkg" = nodejs ] && command -v npx >/dev/null && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    $SUDO apt-get update -q
    [ "$missing" != "${missing% nodejs*}" ] && missing="$missing npm"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

# Foreign-arch RUN steps (armhf rootfs) need qemu-user registered in binfmt_misc.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || echo "setup: binfmt_misc not mountable; foreign rootfs steps will use the extract path"
fi
if [ -e /proc/sys/fs/binfmt_misc/register ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then
    $SUDO update-binfmts --enable qemu-arm || true
fi

# The nook-twin bench's U-Boot (Versatile AB), built once from Debian's source.
# It compiles while pip and npm below wait on their downloads.
sh scripts/twin-u-boot.sh &
u_boot=$!

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.quill-installed
if [ ! -e "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[labgrid,registry,test]"
    touch "$stamp"
fi

if [ ! -x node_modules/.bin/allure ]; then
    npm install --no-audit --no-fund --silent allure@3 >/dev/null
fi
wait "$u_boot" || { echo "setup: the twin's U-Boot did not build (scripts/twin-u-boot.sh)" >&2; exit 1; }
echo "setup: ready (.venv, apt packages, allure)"
