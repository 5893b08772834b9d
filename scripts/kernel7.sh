#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel7.sh [build|image|abi]: the newest 7.x kernel that Debian ships
# in trixie-backports.
#   build (default)  print a build directory for it (the module built
#                    there loads into Debian's image: same release
#                    string, .config and Module.symvers)
#   image            print a kernel root for tools/vm/vmrun.sh -k: Debian's
#                    signed image and modules, with boot/vmlinuz-ABI and
#                    lib/modules/ABI (modules.dep made here)
#   abi              print the ABI, e.g. 7.3.4+deb13-amd64
#
# Debian's linux-headers-7.x package cannot be used on bookworm as is:
# its kbuild helpers need glibc >= 2.38.  So this takes Debian's
# linux-source-7.x (the same patched source) with the .config and
# Module.symvers of Debian's linux-headers-7.x-amd64, and runs
# "olddefconfig modules_prepare" with the host compiler and Debian's
# KERNELRELEASE (the ABI: vermagic must match), once; the result lives
# in the cache.
#
# In trixie-backports linux-image-ABI is a meta package: the kernel is
# linux-binary-ABI (vmlinuz in /usr/lib/modules/ABI/) and the modules
# are linux-modules-ABI.  apt uses a private list directory, the
# system's sources are not touched.
set -eu
mode=${1:-build}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
apt=$cache/apt-trixie-backports
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
echo 'deb http://deb.debian.org/debian trixie-backports main' > "$apt/sources.list"
opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$apt/lists -o Dir::Cache::Archives=$apt/archives
	-o APT::Get::List-Cleanup=0 -o Acquire::AllowInsecureRepositories=0
	-o Dir::Etc::Trusted=/usr/share/keyrings/debian-archive-keyring.gpg"

# shellcheck disable=SC2086
newest() {
	apt-cache $opts search --names-only \
		'^linux-headers-7\.[0-9.]*\+deb[0-9]*-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}
hdr=$(newest)
if [ -z "$hdr" ] || [ -n "$(find "$apt/lists" -maxdepth 1 -name '*Packages*' -mtime +1)" ]; then
	# shellcheck disable=SC2086
	apt-get $opts update -q >&2
	hdr=$(newest)
fi
[ -n "$hdr" ] || { echo "kernel7.sh: no 7.x headers in trixie-backports" >&2; exit 1; }
abi=${hdr#linux-headers-}
ver=${abi%%+*}
series=$(echo "$ver" | cut -d. -f1-2)
case $mode in
abi)
	echo "$abi"
	exit 0
	;;
image)
	root=$cache/image-$abi/root
	if [ ! -e "$root/.done" ]; then
		rm -rf "$cache/image-$abi"
		mkdir -p "$cache/image-$abi/debs" "$root"
		(
			cd "$cache/image-$abi/debs"
			# shellcheck disable=SC2086
			apt-get $opts download -q "linux-binary-$abi" \
				"linux-modules-$abi" >&2
		)
		for d in "$cache/image-$abi"/debs/*.deb; do
			dpkg-deb -x "$d" "$root"
		done
		rm -rf "$cache/image-$abi/debs"
		# vmrun.sh wants KROOT/lib/modules and KROOT/boot.
		mkdir -p "$root/lib" "$root/boot"
		mv "$root/usr/lib/modules" "$root/lib/modules"
		mv "$root/lib/modules/$abi/vmlinuz" "$root/boot/vmlinuz-$abi" 2>/dev/null ||
			mv "$root"/boot/vmlinuz-"$abi"* "$root/boot/vmlinuz-$abi" 2>/dev/null || true
		[ -e "$root/boot/vmlinuz-$abi" ] ||
			{ echo "kernel7.sh: no vmlinuz in linux-binary-$abi" >&2; exit 1; }
		depmod -b "$root" "$abi"
		touch "$root/.done"
	fi
	echo "$root"
	exit 0
	;;
build) ;;
*) echo "usage: kernel7.sh [build|image|abi]" >&2; exit 2 ;;
esac

dir=$cache/linux-$abi
if [ ! -e "$dir/build/.prepared" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/hdr" "$dir/src" "$dir/build"
	(
		cd "$dir/debs"
		# shellcheck disable=SC2086
		apt-get $opts download -q "$hdr" "linux-source-$series" >&2
	)
	dpkg-deb -x "$dir"/debs/linux-headers-*.deb "$dir/hdr"
	dpkg-deb --fsys-tarfile "$dir"/debs/linux-source-*.deb |
		tar -xO "./usr/src/linux-source-$series.tar.xz" |
		tar -xJ -C "$dir/src" --strip-components=1
	cp "$dir/hdr/usr/src/$hdr/.config" "$dir/build/.config"
	cp "$dir/hdr/usr/src/$hdr/Module.symvers" "$dir/build/Module.symvers"
	rm -rf "$dir/debs" "$dir/hdr"
	make -s -C "$dir/src" O="$dir/build" olddefconfig >&2
	touch "$dir/build/.prepared"
fi
# A tree prepared before the release string was set is prepared again
# (quick: only the release headers change).
if [ "$(cat "$dir/build/include/config/kernel.release" 2>/dev/null)" != "$abi" ] ||
   [ ! -e "$dir/build/.release" ]; then
	make -s -C "$dir/src" O="$dir/build" KERNELRELEASE="$abi" \
		-j"$(nproc)" modules_prepare >&2
	touch "$dir/build/.release"
fi
echo "$dir/build"
