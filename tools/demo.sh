#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build the module for the Debian kernel the VM boots, build
# the sample server and the demo consumer, boot the VM and run
# tools/demo/guest.sh in it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
abi=$(scripts/abi.sh)
echo "demo: building vfio_user.ko for $abi and the userspace tools"
ko=$(scripts/build-in.sh "$abi" "/usr/src/linux-headers-$abi" 2>/dev/null | tail -n 1)
make -s -C tools all
echo "demo: booting Debian $abi under qemu (TCG)"
exec tools/vm/vmrun.sh -a "$abi" -- "VUB_KO=$ko TOP=$top sh tools/demo/guest.sh"
