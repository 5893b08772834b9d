# SPDX-License-Identifier: GPL-2.0
#
# The bridged sample device as a VFIO device: iommu group, device fd,
# info, regions, config space and BAR I/O, mmap of the sparse area,
# error cases, exclusive group open, reset and reopen, all through the
# public VFIO UAPI (tools/tests/consumer/vfio-consumer-test).
. "$(dirname "$0")/lib.sh"

sock=/run/t20.sock
dev=/sys/bus/vfio-user/devices/vfio-user0

check server start_server "$sock"
check insmod load_module socket="$sock"
check device test -d "$dev"
check iommu-group test -L "$dev/iommu_group"
grp=$(basename "$(readlink "$dev/iommu_group" 2>/dev/null)")
check group-node test -c "/dev/vfio/$grp"

run_consumer vfio-user0 info regions irqs config bar0 bar2-rw mmap \
	negative ebusy reset reopen

check rmmod unload_module
stop_server
