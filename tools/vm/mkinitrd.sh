#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitrd.sh KROOT KVER OUT: a busybox initramfs with the virtio/9p
# modules KVER needs to mount the host root (none if they are built in).
set -eu
kroot=$1
kver=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vub-initrd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev" \
	"$tmp/newroot"
cp /bin/busybox "$tmp/bin/busybox"
for a in sh mount umount mkdir insmod chroot sleep poweroff cat echo \
	 dmesg sync mknod ln; do
	ln -s busybox "$tmp/bin/$a"
done
: > "$tmp/mods/list"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null |
		sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | awk '!seen[$0]++' | while read -r ko; do
	b=$(basename "$ko")
	case "$ko" in
	*.xz) xz -dc "$ko" > "$tmp/mods/${b%.xz}"; b=${b%.xz} ;;
	*.zst) zstd -qdc "$ko" > "$tmp/mods/${b%.zst}"; b=${b%.zst} ;;
	*) cp "$ko" "$tmp/mods/$b" ;;
	esac
	echo "$b" >> "$tmp/mods/list"
done
cp "$here/guest-init" "$tmp/init"
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
