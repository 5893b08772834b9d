# SPDX-License-Identifier: GPL-2.0
#
# Interrupts and DMA through the bridge: eventfds for INTx, MSI and each
# MSI-X vector fired by the sample server's doorbell, mask/unmask, ERR
# and REQ; DMA engine transfers (1 byte to 4 MiB, both directions),
# faults on unmapped IOVAs, unmap/remap racing with DMA; and REQ
# signalled when the device is removed while in use.
. "$(dirname "$0")/lib.sh"

sock=/run/t30.sock

check server start_server "$sock"
check insmod load_module socket="$sock"

run_consumer vfio-user0 irq-intx irq-msi irq-msix irq-err-req dma \
	dma-fault dma-unmap-race reopen dma-after-reopen
check dma-windows-logged sh -c '! dmesg | grep -q "DMA_MAP.*refused"'

check rmmod unload_module
stop_server

# REQ: removing the device while a consumer holds it signals REQ (the
# removal completes once the consumer closes).
check server2 start_server "$sock"
check insmod2 load_module socket="$sock"
out=/tmp/consumer-$T-req.log
"$CONSUMER/vfio-consumer-test" vfio-user0 req-on-remove >"$out" 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING "$out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check remove-while-open sh -c 'echo vfio-user0 > /sys/bus/vfio-user/remove'
wait $cpid
check req-consumer-exit test $? = 0
check req-on-remove grep -q '^PASS: req-on-remove' "$out"
check removed test ! -e /sys/bus/vfio-user/devices/vfio-user0

# ERR: the server dies while a consumer holds the device: ERR is
# signalled, accesses fail with EIO, close and unload still work.
check add sh -c "echo $sock > /sys/bus/vfio-user/add"
out=/tmp/consumer-$T-err.log
"$CONSUMER/vfio-consumer-test" vfio-user0 err-on-broken >"$out" 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING "$out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
stop_server
wait $cpid
check err-consumer-exit test $? = 0
check err-on-broken grep -q '^PASS: err-on-broken' "$out"
check rmmod2 unload_module

# Small limits: 16 MSI-X eventfds go in chunks of 3 fds, region I/O in
# 4 KiB messages.  (DMA is chunked by the max_data_xfer_size the bridge
# advertised, 1 MiB, whatever the server's own limit: only transfers of
# at most 4 KiB are checked here, see Documentation/vfio-device.rst.)
check server-small start_server "$sock" --max-fds 3 --max-xfer 4096
check insmod3 load_module socket="$sock"
check small-caps test "$(cat /sys/bus/vfio-user/devices/vfio-user0/caps/max_msg_fds 2>/dev/null) $(cat /sys/bus/vfio-user/devices/vfio-user0/caps/max_data_xfer_size 2>/dev/null)" = "3 4096"
T=$T-small run_consumer vfio-user0 irq-msix bar2-rw mmap \
	dma-fault
# 16 windows of 8 TiB: the whole 47-bit default range.
check dma-range-47 test "$(cat /sys/bus/vfio-user/devices/vfio-user0/dma_range)" = 0x0-0x7fffffffffff
check rmmod3 unload_module
stop_server

# dma_window_bits=33: one 8 GiB window, DMA below 8 GiB works, above not.
check server-w33 start_server "$sock"
check insmod4 load_module socket="$sock" dma_window_bits=33
D0=/sys/bus/vfio-user/devices/vfio-user0
check dma-range-before-open test "$(cat $D0/dma_range)" = none
check dma-faults-zero test "$(cat $D0/stats/dma_faults)" = 0
T=$T-w33 run_consumer vfio-user0 dma-fault
check dma-windows-33 grep -q '^INFO: dma-windows: 1$' /tmp/consumer-$T-w33.log
check dma-range-33 test "$(cat $D0/dma_range)" = 0x0-0x1ffffffff
check dma-faults-counted test "$(cat $D0/stats/dma_faults)" -gt 0
check rmmod4 unload_module
stop_server
