#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build and the tests need, with apt.  Idempotent and
# quick when everything is present (dpkg-query only, no network).
#
#   - headers of the ABI that Debian's linux-headers-amd64 points to
#     (the VM boots the matching linux-image-<abi>-unsigned, fetched by
#     tools/vm/kernel.sh) and the newest 6.12 headers for build checks;
#   - qemu, busybox, kmod, cpio for the VM runner;
#   - linux-source-6.1 and the kernel build tools for KUnit on UML;
#   - clang and its runtime for the libFuzzer harnesses;
#   - mdevctl and libvirt's daemon and QEMU driver for the mdev tests;
#   - dkms, debhelper (dh-dkms) and lintian for the Debian packages.
set -eu

pkgs="linux-headers-amd64 qemu-system-x86 busybox-static kmod cpio
	linux-source-6.1 gcc make flex bison bc libelf-dev libssl-dev dwarves
	zstd rsync python3 clang libclang-rt-14-dev socat
	mdevctl libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian"

missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
have612=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | head -n 1)

if [ -z "$missing" ] && [ -n "$have612" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: installing:$missing${have612:- (and the newest 6.12 headers)}"
apt-get update -q
if [ -z "$have612" ]; then
	h612=$(apt-cache search --names-only \
		'^linux-headers-6\.12\.[0-9.]*\+deb[0-9]*-amd64$' |
		awk '{print $1}' | sort -V | tail -n 1)
	[ -n "$h612" ] || echo "deps: no 6.12 headers in the archive" >&2
	missing="$missing $h612"
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
