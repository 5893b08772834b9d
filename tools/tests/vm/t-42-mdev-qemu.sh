# SPDX-License-Identifier: GPL-2.0
#
# QEMU through the mdev front-end: t-40's assertions (qemu-body.sh:
# realize, SeaBIOS enumeration and BAR mapping, ids and BAR sizes in
# `info pci`, BARs and the BAR2 mmap in `info mtree`, clean quit, REQ
# unplug on removal of the mdev) with -device
# vfio-pci,sysfsdev=/sys/bus/mdev/devices/UUID,x-balloon-allowed=on:
# QEMU accepts ballooning for an mdev, which is true of the bridge with
# dma=message, the default (it pins nothing), and refuses it for the bus
# device.
# Debian's libvirtd starts a domain with <hostdev type='mdev'
# model='vfio-pci'> on the mdev (libvirt-mdev.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp.sh"

BUS=/sys/bus/vfio-user
MDEV_KO=${VUB_KO%/*}/vfio_user_mdev.ko
U=6f6b1e0c-2b8a-4c55-9e0e-42a000000001

if [ ! -e "$MDEV_KO" ]; then
	skip all "vfio_user_mdev.ko not built (kernel without CONFIG_VFIO_MDEV)"
	exit 0
fi
qemu_test_init /tmp/t42 fail || exit 0
sock=$d/a.sock

check modprobe-mdev modprobe mdev
check server start_server "$sock"
check insmod load_module
check insmod-mdev insmod "$MDEV_KO"
check add wr $BUS/add "socket=$sock name=qm frontend=mdev"
check create wr $BUS/devices/qm/mdev_supported_types/vfio-user-pci/create $U
check state-ready-before test "$(cat $BUS/devices/qm/state 2>/dev/null)" = ready

QDEV=/sys/bus/mdev/devices/$U
QNAME=$U
QOPTS=,x-balloon-allowed=on
VUDEV=$BUS/devices/qm
VUNAME=qm
qemu_remove() { wr $QDEV/remove 1; }
. "$(dirname "$0")/qemu-body.sh"

check type-available-after test "$(cat $BUS/devices/qm/mdev_supported_types/vfio-user-pci/available_instances)" = 1

# ---- libvirt: a domain with <hostdev type='mdev'> reaches running ----------
U2=6f6b1e0c-2b8a-4c55-9e0e-42a000000002
if command -v libvirtd >/dev/null 2>&1 && command -v virsh >/dev/null 2>&1; then
	check create-libvirt wr $BUS/devices/qm/mdev_supported_types/vfio-user-pci/create $U2
	unshare -m sh "$(dirname "$0")/libvirt-mdev.sh" $U2 "$d" $BUS/devices/qm ||
		fail libvirt-exit-status
	check remove-libvirt-mdev wr /sys/bus/mdev/devices/$U2/remove 1
else
	skip libvirt "libvirtd or virsh not installed (make deps)"
fi
check remove-qm wr $BUS/remove qm

# ---- the bus front-end: QEMU refuses ballooning (it may pin pages) ---------
check add-bus wr $BUS/add "socket=$sock name=qb"
timeout 120 "$QEMU" -machine q35 -accel tcg -nodefaults -no-user-config \
	-display none -m 128 -serial none -S \
	-device vfio-pci,sysfsdev=$BUS/devices/qb,x-balloon-allowed=on \
	</dev/null >"$d/balloon.out" 2>&1
rc=$?
sed 's/^/    qemu: /' "$d/balloon.out" | head -n 3
check balloon-bus-refused test "$rc" = 1
check balloon-bus-message grep -q 'x-balloon-allowed only potentially compatible with mdev devices' "$d/balloon.out"
check remove-qb wr $BUS/remove qb

check rmmod-mdev rmmod vfio_user_mdev
check refcount-zero test "$(module_refcount)" = 0
check rmmod unload_module
stop_server
