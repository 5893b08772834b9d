#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh [ABI]: make sure Debian's linux-image-<ABI>-unsigned is
# unpacked (with modules.dep) under the cache and print its root, which
# holds boot/vmlinuz-<ABI> and lib/modules/<ABI>.  ABI defaults to the
# one the installed linux-headers-amd64 metapackage depends on, so the
# image always matches the headers the module is built against.
set -eu
abi=${1:-}
if [ -z "$abi" ]; then
	abi=$("$(dirname "$0")/../../scripts/abi.sh")
fi
[ -n "$abi" ] || { echo "kernel.sh: cannot tell the kernel ABI" >&2; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
root=$cache/debian-$abi/root
if [ ! -e "$root/.done" ]; then
	rm -rf "$cache/debian-$abi"
	mkdir -p "$cache/debian-$abi"
	(
		cd "$cache/debian-$abi"
		apt-get download -q "linux-image-$abi-unsigned" >&2 ||
			{ apt-get update -q >&2 &&
			  apt-get download -q "linux-image-$abi-unsigned" >&2; }
		dpkg-deb -x linux-image-"$abi"-unsigned_*.deb root
		rm -f linux-image-"$abi"-unsigned_*.deb
	)
	depmod -b "$root" "$abi"
	touch "$root/.done"
fi
echo "$root"
