# SPDX-License-Identifier: GPL-2.0
#
# Direct DMA (dma=mmap): the DMA windows come with the device's window
# file, the sample server maps it and moves data with loads and stores,
# no DMA_READ/DMA_WRITE message.  Data checks both ways (1 byte to
# 4 MiB), unmapped IOVAs (SIGBUS in the server, caught: EFAULT), unmap
# racing with transfers, close and reopen; every pin is released when
# the consumer is done (stats/dma_pinned back to 0).
. "$(dirname "$0")/lib.sh"

sock=/run/t33.sock
dev=/sys/bus/vfio-user/devices/vfio-user0
log=/tmp/server-t33.sock.log

stat() { cat "$dev/stats/$1" 2>/dev/null; }

check server start_server "$sock"
check insmod load_module socket="$sock" dma=mmap
check mode-asked test "$(cat $dev/dma_mode)" = mmap
run_consumer vfio-user0 dma dma-fault dma-unmap-race reopen dma-after-reopen
check mode-mmap test "$(cat $dev/dma_mode)" = mmap
check server-mapped grep -qF 'DMA_MAP 0+0x10000000000 flags 0x3 (mmap)' "$log"
check direct-no-messages test "$(stat server_requests)" = 0
check pinned-faults test "$(stat dma_mmap_faults)" -gt 0
check sigbus-counted test "$(stat dma_mmap_sigbus)" -gt 0
check pins-released test "$(stat dma_pinned)" = 0
check state-ready test "$(cat $dev/state)" = ready
# The server's window files hold the module: it goes first.
stop_server
check rmmod unload_module
