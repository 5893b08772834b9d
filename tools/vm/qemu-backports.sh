#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu-backports.sh: a QEMU >= 8.1 (VFIO migration v2 with
# enable-migration=on) for tools/tests/vm/t-51-qemu-migration.sh, without
# touching the system's QEMU (Debian bookworm's 7.2, which the other
# tests use).  Downloads bookworm-backports' qemu-system-x86,
# qemu-system-common, qemu-system-data and seabios with apt (a private
# list directory, as scripts/kernel7.sh does; the .debs stay in the
# cache), unpacks them with dpkg -x into .build/qemu-VERSION of this tree
# (the test VM sees the tree, not the host's home) and prints the
# binary's path.  Run it with -L DIR/usr/share/qemu -L DIR/usr/share/seabios
# (DIR: the unpacked tree, three levels above the binary).  Idempotent.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
apt=$cache/apt-bookworm-backports
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$apt/sources.list"
opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$apt/lists -o Dir::Cache::Archives=$apt/archives"
pkgs="qemu-system-x86 qemu-system-common qemu-system-data seabios"
if ! ls "$apt/lists/"*Packages* >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	apt-get $opts update -q >&2
fi
# shellcheck disable=SC2086
ver=$(apt-cache $opts policy qemu-system-x86 |
	sed -n 's/^ *\([0-9]*:\)\{0,1\}\([0-9][^ ]*~bpo[^ ]*\) .*/\2/p' | head -n 1)
[ -n "$ver" ] || { echo "qemu-backports.sh: no backports qemu-system-x86" >&2; exit 1; }
dir=$top/.build/qemu-$(echo "$ver" | sed 's/[+~].*//')
bin=$dir/usr/bin/qemu-system-x86_64
if [ ! -x "$bin" ]; then
	# shellcheck disable=SC2086
	(cd "$apt/archives" && apt-get $opts download -q $pkgs >&2)
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	for p in $pkgs; do
		f=$(ls -t "$apt/archives/${p}_"*.deb | head -n 1)
		dpkg -x "$f" "$dir.tmp"
	done
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
"$bin" --version >/dev/null
echo "$bin"
