#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM: start the sample server, load the bridge
# with socket=, and show what a VFIO consumer sees.  VUB_KO and TOP
# come from tools/demo.sh.
set -e
server=$TOP/tools/vfio-user-server/vfio-user-server
sock=/run/sample.sock

say() { printf '\n### %s\n' "$*"; }

say "kernel $(uname -r); start the sample vfio-user server on $sock"
"$server" --socket "$sock" 2>/tmp/server.log &
spid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

say "modprobe vfio_iommu_type1; insmod vfio_user.ko socket=$sock"
modprobe vfio_iommu_type1
insmod "$VUB_KO" socket="$sock"
dmesg | sed -n 's/^\[[^]]*\] //p' | grep -E '^(vfio_user|vfio-user)' |
	grep -v -E 'taints kernel|verification failed'
lsmod | grep -E '^(vfio_user|vfio|vfio_iommu_type1) '

d=/sys/bus/vfio-user/devices/vfio-user0
say "the device on the vfio-user bus and its VFIO group"
ls -l /sys/bus/vfio-user/devices/
echo "iommu_group -> $(readlink $d/iommu_group)"
ls -l /dev/vfio/
for a in state socket protocol_version timeout_ms server_pid server_uid \
	 caps/max_msg_fds caps/max_data_xfer_size caps/pgsizes \
	 caps/max_dma_maps; do
	[ -e "$d/$a" ] && printf '%-24s %s\n' "$a" "$(cat $d/$a)"
done

say "a VFIO consumer (tools/demo/vfio-user-demo) opens the group and drives the device"
"$TOP/tools/demo/vfio-user-demo" vfio-user0

if [ -x "$TOP/tools/demo/qemu-demo.sh" ]; then
	say "QEMU: -device vfio-pci,sysfsdev=$d"
	sh "$TOP/tools/demo/qemu-demo.sh" "$d"
fi

say "statistics"
[ -d "$d/stats" ] && grep -H . "$d"/stats/* | sed "s|$d/stats/||"

say "rmmod vfio_user; stop the server"
rmmod vfio_user
kill "$spid"
wait "$spid" 2>/dev/null || true
echo "done"
