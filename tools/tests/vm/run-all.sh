#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-all.sh [PATTERN...]: run inside the test VM (tools/vm/vmrun.sh).
# Loads vfio and vfio_iommu_type1, then runs every t-*.sh in this
# directory (or those whose name contains one of the PATTERNs) in
# order.  Each prints "PASS: vm:<test>:<case>" / "FAIL: ..." /
# "SKIP: ..." lines.
here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../../.." && pwd)
: "${VUB_KO:?VUB_KO must name the module to test}"
SERVER=${SERVER:-$TOP/tools/vfio-user-server/vfio-user-server}
CONSUMER=${CONSUMER:-$TOP/tools/tests/consumer}
export TOP VUB_KO SERVER CONSUMER

echo "vm: kernel $(uname -r), module $VUB_KO"
modprobe vfio || echo "FAIL: vm:setup:modprobe-vfio"
modprobe vfio_iommu_type1 || echo "FAIL: vm:setup:modprobe-vfio_iommu_type1"
matches() {
	[ $# -eq 0 ] && return 0
	for _p in "$@"; do
		case "$(basename "$t")" in
		*$_p*) return 0 ;;
		esac
	done
	return 1
}
for t in "$here"/t-*.sh; do
	matches "$@" || continue
	echo "vm: running $(basename "$t")"
	T=$(basename "$t" .sh) sh "$t" || echo "FAIL: vm:$(basename "$t" .sh):exit-status"
	if grep -q '^vfio_user_mdev ' /proc/modules; then
		echo "FAIL: vm:$(basename "$t" .sh):left-mdev-module-loaded"
		rmmod vfio_user_mdev 2>/dev/null
	fi
	if grep -q '^vfio_user ' /proc/modules; then
		echo "FAIL: vm:$(basename "$t" .sh):left-module-loaded"
		rmmod vfio_user 2>/dev/null
	fi
done
