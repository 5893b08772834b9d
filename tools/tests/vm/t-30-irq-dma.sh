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
