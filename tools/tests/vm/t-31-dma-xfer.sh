# SPDX-License-Identifier: GPL-2.0
#
# A server that proposes a smaller max_data_xfer_size than the bridge:
# region I/O is chunked by the negotiated (smaller) value, while the
# server's own DMA_READ/DMA_WRITE may be as large as the bridge's
# proposal (1 MiB), as the specification bounds server-to-client
# transfers by the client's value.  The sample server chunks its DMA by
# the client's value, so the consumer's DMA test (1 byte to 4 MiB)
# sends 1 MiB DMA messages to a device whose negotiated size is 4 KiB.
. "$(dirname "$0")/lib.sh"

sock=/run/t31.sock
dev=/sys/bus/vfio-user/devices/vfio-user0

check server start_server "$sock" --max-xfer 4096
check insmod load_module socket="$sock"
check negotiated-4k test "$(cat $dev/caps/max_data_xfer_size)" = 4096
run_consumer vfio-user0 config bar0 bar2-rw dma
check state-ready test "$(cat $dev/state)" = ready
check dma-served test "$(cat $dev/stats/server_requests)" -gt 0
check no-timeouts test "$(cat $dev/stats/timeouts)" = 0
check rmmod unload_module
stop_server
check server-log-1m grep -q 'max_xfer 1048576' /tmp/server-t31.sock.log
