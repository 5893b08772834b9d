#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench, inside the VM (tools/bench/run.sh): two instances of the
# sample server with irqts.so preloaded, one bridged by vfio_user.ko,
# one for the userspace client, and a third bridged with dma=mmap (the
# direct DMA rows); then vub-bench prints the table.
# VUB_KO and TOP come from run.sh; extra arguments go to vub-bench.
set -e
srv=$TOP/tools/vfio-user-server/vfio-user-server
b=$TOP/tools/bench
ts=/tmp/vub-bench.irqts
dev=/sys/bus/vfio-user/devices/vfio-user0

dd if=/dev/zero of=$ts bs=4096 count=1 2>/dev/null
for s in a b c; do
	rm -f /tmp/bench-$s.sock
	VUB_BENCH_IRQTS=$ts LD_PRELOAD=$b/irqts.so \
		"$srv" --socket /tmp/bench-$s.sock >/dev/null 2>/tmp/bench-$s.log &
	eval pid_$s=$!
done
i=0
while { [ ! -S /tmp/bench-a.sock ] || [ ! -S /tmp/bench-b.sock ] ||
	[ ! -S /tmp/bench-c.sock ]; } &&
	[ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
modprobe vfio_iommu_type1
insmod "$VUB_KO" socket=/tmp/bench-a.sock
ddev=/sys/bus/vfio-user/devices/vfio-user-direct
echo "socket=/tmp/bench-c.sock name=vfio-user-direct dma=mmap" \
	>/sys/bus/vfio-user/add || true
i=0
while { [ "$(cat $dev/state 2>/dev/null)" != ready ] ||
	[ "$(cat $ddev/state 2>/dev/null)" != ready ]; } && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$(cat $dev/state 2>/dev/null)" != ready ]; then
	echo "vub-bench: the bridged device did not become ready:"
	dmesg | grep -E 'vfio.user' | tail -n 20
	tail -n 5 /tmp/bench-a.log
	rmmod vfio_user 2>/dev/null
	kill $pid_a $pid_b $pid_c 2>/dev/null
	exit 1
fi
echo "vub-bench: kernel $(uname -r), $(nproc) vCPUs (TCG), module $VUB_KO"
rc=0
"$b/vub-bench" --dev vfio-user0 --socket /tmp/bench-b.sock --irqts $ts \
	--ddev vfio-user-direct "$@" || rc=$?
if [ -d $dev/stats ]; then
	printf 'bridge counters:'
	for f in $dev/stats/*; do printf ' %s=%s' "$(basename $f)" "$(cat $f)"; done
	echo
fi
# The dma=mmap server's window files hold the module: it goes first.
kill $pid_c 2>/dev/null
wait $pid_c 2>/dev/null
rmmod vfio_user || rc=1
kill $pid_a $pid_b 2>/dev/null || true
wait 2>/dev/null || true
exit $rc
