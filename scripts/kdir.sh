#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build directory to build against when KDIR is not
# given: the running kernel's, else the headers the Debian
# linux-headers-amd64 metapackage depends on, else the newest installed
# /usr/src/linux-headers-*-amd64.
krel=$(uname -r)
if [ -e "/lib/modules/$krel/build/Makefile" ]; then
	echo "/lib/modules/$krel/build"
	exit 0
fi
abi=$("$(dirname "$0")/abi.sh" 2>/dev/null)
if [ -n "$abi" ] && [ -e "/usr/src/linux-headers-$abi/Makefile" ]; then
	echo "/usr/src/linux-headers-$abi"
	exit 0
fi
newest=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -n "$newest" ]; then
	echo "$newest"
	exit 0
fi
echo "no kernel headers found: run 'make deps' or pass KDIR=" >&2
exit 1
