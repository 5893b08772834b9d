# SPDX-License-Identifier: GPL-2.0
#
# Direct DMA (dma=mmap): the DMA windows come with the device's window
# file, the sample server maps it and moves data with loads and stores,
# no DMA_READ/DMA_WRITE message.
#  - today's DMA tests over the mapping: data both ways (1 byte to
#    4 MiB), unmapped IOVAs (SIGBUS in the server, caught: EFAULT),
#    unmap racing with transfers, close and reopen;
#  - direct and message DMA mixed on one window;
#  - unmap while the server has the range mapped: pins and VmLck back
#    to 0, the server faults and never sees the reused memory;
#  - read-only consumer mappings cannot be written by the server;
#  - map/unmap in a loop racing 4 server threads faulting the range
#    (no BUG: type1 BUG()s after 10 re-notifies; stats/dma_pinned and
#    VmLck are 0 right after every unmap), then the unmapped memory
#    stays untouched;
#  - GUP (process_vm_readv, vmsplice, O_DIRECT) on the window fails;
#  - RLIMIT_MEMLOCK exhaustion: a clean, quick failure;
#  - the consumer SIGKILLed mid-DMA: nothing stays pinned;
#  - a type1 v1 container gets message windows (and passes the DMA
#    tests), v2 gets the mapping back;
#  - the window is mapped at a 2 MiB-aligned address (SPDK needs it);
#  - --dma-messages servers ignore the fd; bad dma= / dma_bits refused;
#    dma=message per device passes today's DMA tests, pins nothing;
#  - the vub_dmaw_fault tracepoint reports pins, insertions and SIGBUS.
. "$(dirname "$0")/lib.sh"

sock=/run/t33.sock
dev=/sys/bus/vfio-user/devices/vfio-user0
log=/tmp/server-t33.sock.log

stat() { cat "$dev/stats/$1" 2>/dev/null; }
refused() { ! wr "$@" >/dev/null; }

# O_DIRECT needs a block device: a loop device if this kernel has one.
odirect=
img=/tmp/t33-odirect.img
if modprobe loop 2>/dev/null; [ -e /dev/loop-control ] &&
	dd if=/dev/zero of=$img bs=64k count=16 2>/dev/null &&
	odirect=$(losetup -f --show $img 2>/dev/null); then
	:
else
	odirect=
fi

check server start_server "$sock" ${odirect:+--odirect-file $odirect}
check insmod load_module socket="$sock" dma=mmap
check mode-asked test "$(cat $dev/dma_mode)" = mmap
# The window-fault tracepoint: pins (retry), insertions, SIGBUS.
TR=/sys/kernel/tracing
[ -d $TR/events ] || TR=/sys/kernel/debug/tracing
ev=$TR/events/vfio_user/vub_dmaw_fault/enable
echo > $TR/trace 2>/dev/null
echo 1 > $ev 2>/dev/null
run_consumer vfio-user0 dma dma-fault dma-unmap-race reopen dma-after-reopen
if [ -w "$ev" ]; then
	echo 0 > $ev
	grep vub_dmaw_fault: $TR/trace > /tmp/t33-trace.txt
	for r in pinned-retry inserted sigbus; do
		check traced-$r grep -q "vfio-user0 iova=0x[0-9a-f]* len=0x[0-9a-f]* $r err=" /tmp/t33-trace.txt
	done
	check traced-pinned-count grep -q 'pinned-retry err=0 pinned=[1-9]' /tmp/t33-trace.txt
else
	echo "SKIP: vm:$T:traced: no tracefs in this kernel"
fi
check mode-mmap test "$(cat $dev/dma_mode)" = mmap
check dma-range test "$(cat $dev/dma_range)" = 0x0-0xffffffffff
check server-mapped grep -qF 'DMA_MAP 0+0x10000000000 flags 0x3 (mmap)' "$log"
# thp_get_unmapped_area() aligns only with CONFIG_TRANSPARENT_HUGEPAGE.
if [ -d /sys/kernel/mm/transparent_hugepage ]; then
	check server-map-2m-aligned grep -q 'DMA_MAP: mapped at a 2 MiB-aligned address' "$log"
	check server-map-never-unaligned sh -c "! grep -q 'DMA_MAP: mapped at a not' $log"
else
	echo "SKIP: vm:$T:server-map-2m-aligned: kernel without transparent hugepages"
fi
check direct-no-messages test "$(stat server_requests)" = 0
check pinned-faults test "$(stat dma_mmap_faults)" -gt 0
check sigbus-counted test "$(stat dma_mmap_sigbus)" -gt 0
check pins-released test "$(stat dma_pinned)" = 0

T=$T-2 run_consumer vfio-user0 dma-mix dma-revoke dma-readonly \
	dma-hammer-race dma-gup dma-memlock
check pins-released-2 test "$(stat dma_pinned)" = 0
check memlock-logged sh -c 'dmesg | grep -q "RLIMIT_MEMLOCK"'
if [ -n "$odirect" ]; then
	check odirect-probed grep -q '^PASS: dma-gup-odirect' /tmp/consumer-$T-2.log
else
	echo "SKIP: vm:$T:odirect-probed: no loop device for an O_DIRECT read"
fi

T=$T-kill run_consumer vfio-user0 dma-kill
check pins-released-kill test "$(stat dma_pinned)" = 0

# type1 v1: message windows (the mapped ones withdrawn), today's tests.
T=$T-v1 run_consumer vfio-user0 reopen-v1 dma dma-fault dma-unmap-race
check v1-unmapped grep -q 'DMA_UNMAP 0+0x10000000000' "$log"
check v1-messages test "$(stat server_requests)" -gt 0
T=$T-v2 run_consumer vfio-user0 reopen-v2 dma
check v2-mmap-again test "$(grep -c 'flags 0x3 (mmap)' "$log")" = 2
check state-ready test "$(cat $dev/state)" = ready
# The server's window files hold the module: it goes first.
stop_server
check rmmod unload_module

# A server told to ignore DMA fds: messages over dma=mmap windows.
check server-msg start_server "$sock" --dma-messages
check insmod-msg load_module socket="$sock" dma=mmap
T=$T-msg run_consumer vfio-user0 dma dma-fault
check msg-served test "$(stat server_requests)" -gt 0
check msg-no-pins test "$(stat dma_mmap_faults)" = 0
stop_server
check rmmod-msg unload_module

# dma= and dma_bits: per device, bad values refused with a message.
check bad-dma-param sh -c "! insmod $VUB_KO dma=dma 2>/dev/null"
check bad-mmap-bits sh -c "! insmod $VUB_KO dma_mmap_bits=47 2>/dev/null"
check bad-dma-logged sh -c 'dmesg | grep -q "dma=dma refused"'
check server3 start_server "$sock"
check insmod3 load_module
check bad-add-mode refused /sys/bus/vfio-user/add "socket=$sock dma=direct"
check bad-add-bits refused /sys/bus/vfio-user/add "socket=$sock dma=mmap dma_bits=20"
check add-mmap-33 wr /sys/bus/vfio-user/add "socket=$sock dma=mmap dma_bits=33"
T=$T-33 run_consumer vfio-user0 dma-fault
check dma-range-33 test "$(cat $dev/dma_range)" = 0x0-0x1ffffffff
check mode-33 test "$(cat $dev/dma_mode)" = mmap
# dma=message asked for per device: today's DMA tests, nothing pinned.
check remove-33 wr /sys/bus/vfio-user/remove vfio-user0
msg0=$(grep -c '(messages)' "$log")
check add-message wr /sys/bus/vfio-user/add "socket=$sock name=vfio-user-msg dma=message"
dev=/sys/bus/vfio-user/devices/vfio-user-msg
T=$T-message run_consumer vfio-user-msg dma dma-fault dma-unmap-race
check mode-message test "$(cat $dev/dma_mode)" = message
check message-served test "$(stat server_requests)" -gt 0
check message-no-pins test "$(stat dma_mmap_faults)" = 0
check message-map-no-fd test "$(grep -c 'flags 0x3 (messages)' "$log")" -gt "$msg0"
stop_server
check rmmod3 unload_module

[ -n "$odirect" ] && losetup -d "$odirect"
rm -f $img
