# SPDX-License-Identifier: GPL-2.0
#
# QEMU as the VFIO consumer: Debian's qemu-system-x86_64 (TCG, nested
# in the test VM) realizes -device vfio-pci,sysfsdev=<bridged device>
# (config space, BARs, MSI-X, INTx eventfds, DMA maps of its RAM through
# the type1 container); SeaBIOS, the guest side, enumerates the device
# through its config space and maps its BARs (its debug console shows
# it); `info pci` over QMP shows the sample device's ids and BAR sizes;
# QEMU quits cleanly and the bridge is left ready and unloads.  No
# timed assertions.  A nested Linux guest was measured and left out:
# TCG inside TCG needs many minutes to boot it.  The assertions are in
# qemu-body.sh, shared with t-42-mdev-qemu.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp.sh"

sock=/tmp/t40.sock
D=/sys/bus/vfio-user/devices/vfio-user0
qemu_test_init /tmp/t40 fail || exit 0

check server start_server "$sock"
check insmod load_module socket="$sock"
check state-ready-before wait_state ready 50

QDEV=$D
QNAME=vfio-user0
QOPTS=
VUDEV=$D
VUNAME=vfio-user0
qemu_remove() { wr /sys/bus/vfio-user/remove vfio-user0; }
. "$(dirname "$0")/qemu-body.sh"

check refcount-zero test "$(module_refcount)" = 0
check rmmod unload_module
stop_server
