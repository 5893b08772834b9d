#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-all.sh [PATTERN]: run inside the test VM (tools/vm/vmrun.sh).
# Loads vfio and vfio_iommu_type1, then runs every t-*.sh in this
# directory (or those matching PATTERN) in order.  Each prints
# "PASS: vm:<test>:<case>" / "FAIL: ..." lines.
here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../../.." && pwd)
: "${VUB_KO:?VUB_KO must name the module to test}"
SERVER=${SERVER:-$TOP/tools/vfio-user-server/vfio-user-server}
CONSUMER=${CONSUMER:-$TOP/tools/tests/consumer}
export TOP VUB_KO SERVER CONSUMER

echo "vm: kernel $(uname -r), module $VUB_KO"
modprobe vfio || echo "FAIL: vm:setup:modprobe-vfio"
modprobe vfio_iommu_type1 || echo "FAIL: vm:setup:modprobe-vfio_iommu_type1"
for t in "$here"/t-*.sh; do
	case "$(basename "$t")" in
	*${1:-}*) ;;
	*) continue ;;
	esac
	echo "vm: running $(basename "$t")"
	T=$(basename "$t" .sh) sh "$t" || echo "FAIL: vm:$(basename "$t" .sh):exit-status"
	if grep -q '^vfio_user ' /proc/modules; then
		echo "FAIL: vm:$(basename "$t" .sh):left-module-loaded"
		rmmod vfio_user 2>/dev/null
	fi
done
