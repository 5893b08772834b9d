#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the Debian kernel ABI (e.g. 6.1.0-56-amd64) that the installed
# linux-headers-amd64 metapackage depends on: the headers the module is
# built against for the VM and the linux-image the VM boots.
abi=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	tr ',' '\n' | sed -n 's/^ *linux-headers-\([^ ]*\).*/\1/p' | head -n 1)
[ -n "$abi" ] || { echo "abi.sh: linux-headers-amd64 is not installed (make deps)" >&2; exit 1; }
echo "$abi"
