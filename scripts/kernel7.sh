#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel7.sh: print a build directory for the newest 7.x kernel that
# Debian ships in trixie-backports, for compile-checking the module.
#
# Debian's linux-headers-7.x package cannot be used on bookworm as is:
# its kbuild helpers need glibc >= 2.38.  So this takes Debian's
# linux-source-7.x (the same patched source) with the .config and
# Module.symvers of Debian's linux-headers-7.x-amd64, and runs
# "olddefconfig modules_prepare" with the host compiler, once; the
# result lives in the cache.  apt uses a private list directory, the
# system's sources are not touched.
set -eu
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
	make -s -C "$dir/src" O="$dir/build" -j"$(nproc)" modules_prepare >&2
	touch "$dir/build/.prepared"
fi
echo "$dir/build"
