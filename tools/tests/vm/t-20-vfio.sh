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

# Direct replies (conn.c): with direct_reply=Y (the default) a waiter
# reads its own reply, so some replies bypass the receiver thread; with
# N every reply goes through it and the same tests still pass.
stat() { cat "$dev/stats/$1"; }
param=/sys/module/vfio_user/parameters/direct_reply
check direct-default test "$(cat $param)" = Y
d0=$(stat direct_replies)
r0=$(stat replies)
check direct-used test "$d0" -gt 0
check direct-subset test "$d0" -le "$r0"
echo "INFO: direct replies $d0 of $r0"
check direct-off wr "$param" N
run_consumer vfio-user0 config bar0 bar2-rw reset
check direct-off-unused test "$(stat direct_replies)" -eq "$d0"
check direct-off-replies test "$(stat replies)" -gt "$r0"
check direct-on wr "$param" Y
r1=$(stat replies)
run_consumer vfio-user0 config bar0
check direct-on-used test "$(stat direct_replies)" -gt "$d0"
check direct-on-replies test "$(stat replies)" -gt "$r1"

check rmmod unload_module
stop_server
