/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Register map of the bundled sample vfio-user server's PCI test device
 * (tools/vfio-user-server).  Shared by the server, the userspace test
 * client and the VFIO consumer tests; the kernel module never sees it.
 *
 * All BAR0 registers are little-endian and must be accessed with their
 * natural width (4 or 8 bytes) and alignment; other accesses get EINVAL.
 */
#ifndef _VUB_SAMPLE_H
#define _VUB_SAMPLE_H

#define VUB_SAMPLE_VENDOR_ID		0x4e58
#define VUB_SAMPLE_DEVICE_ID		0x7575
#define VUB_SAMPLE_SUBSYS_VENDOR_ID	0x4e58
#define VUB_SAMPLE_SUBSYS_ID		0x0001
#define VUB_SAMPLE_CLASS		0xff0000	/* unclassified device */
#define VUB_SAMPLE_REVISION		0x01

/* Regions (VFIO PCI indexes).  Absent BARs have size 0. */
#define VUB_SAMPLE_CONFIG_SIZE		256		/* region 7 */
#define VUB_SAMPLE_BAR0_SIZE		0x1000		/* region 0, trapped */
#define VUB_SAMPLE_BAR2_SIZE		0x100000	/* region 2, memfd */
/* BAR2: [0, MMAP_SIZE) is a sparse mmap area, the rest is trapped. */
#define VUB_SAMPLE_BAR2_MMAP_OFFSET	0
#define VUB_SAMPLE_BAR2_MMAP_SIZE	0x80000

/* Config space capabilities. */
#define VUB_SAMPLE_CAP_MSI		0x50
#define VUB_SAMPLE_CAP_MSIX		0x70
#define VUB_SAMPLE_MSIX_TABLE_BAR	0		/* table at BAR0 + 0x800 */
#define VUB_SAMPLE_MSIX_TABLE_OFFSET	0x800
#define VUB_SAMPLE_MSIX_PBA_OFFSET	0xc00

/* Interrupt counts per VFIO PCI irq index. */
#define VUB_SAMPLE_NUM_INTX		1
#define VUB_SAMPLE_NUM_MSI		1
#define VUB_SAMPLE_NUM_MSIX		16
#define VUB_SAMPLE_NUM_ERR		1
#define VUB_SAMPLE_NUM_REQ		1

/* BAR0 registers. */
#define VUB_SAMPLE_REG_ID		0x00	/* RO u32: VUB_SAMPLE_ID_VALUE */
#define VUB_SAMPLE_REG_VERSION		0x04	/* RO u32 */
#define VUB_SAMPLE_REG_SCRATCH		0x08	/* RW u32, reset 0 */
#define VUB_SAMPLE_REG_SCRATCH64	0x10	/* RW u64, reset 0 */
/*
 * Doorbell: write (type << 16) | vector to fire one interrupt through
 * the eventfd the client registered for it.  Type: VUB_SAMPLE_IRQ_*.
 * A masked vector, a vector without an eventfd or a type whose index
 * is not enabled is counted in DROPPED and not fired.  INTx is
 * automasked: after it fires it stays masked until the client unmasks
 * it (SET_IRQS ACTION_UNMASK).
 */
#define VUB_SAMPLE_REG_DOORBELL		0x20	/* WO u32 */
#define VUB_SAMPLE_REG_IRQ_FIRED	0x24	/* RO u32: interrupts fired */
#define VUB_SAMPLE_REG_IRQ_DROPPED	0x28	/* RO u32: doorbells dropped */
#define   VUB_SAMPLE_IRQ_INTX		0
#define   VUB_SAMPLE_IRQ_MSI		1
#define   VUB_SAMPLE_IRQ_MSIX		2
#define   VUB_SAMPLE_IRQ_ERR		3
#define   VUB_SAMPLE_IRQ_REQ		4

/*
 * DMA engine.  Program ADDR (client IOVA), LEN (bytes, up to the whole
 * of BAR2), BUF_OFF (offset in BAR2, the device-side buffer) and DIR,
 * then write 1 to GO.  The transfer runs before the GO write is
 * answered: the server sends DMA_WRITE (DIR_TO_HOST: BAR2 -> IOVA) or
 * DMA_READ (DIR_FROM_HOST: IOVA -> BAR2) messages, chunked by the
 * client's max_data_xfer_size, or uses its mapping of the client's
 * DMA region when the client passed an fd with DMA_MAP.  STATUS then
 * holds VUB_SAMPLE_DMA_OK or VUB_SAMPLE_DMA_ERR | errno (the client's
 * error reply, or EFAULT when the IOVA is not inside a DMA_MAP region).
 * If IRQ is non-zero, MSI-X vector IRQ - 1 fires on completion.
 */
#define VUB_SAMPLE_REG_DMA_ADDR		0x40	/* RW u64 */
#define VUB_SAMPLE_REG_DMA_LEN		0x48	/* RW u32 */
#define VUB_SAMPLE_REG_DMA_BUF_OFF	0x4c	/* RW u32 */
#define VUB_SAMPLE_REG_DMA_DIR		0x50	/* RW u32 */
#define   VUB_SAMPLE_DMA_DIR_TO_HOST	0	/* device writes host memory */
#define   VUB_SAMPLE_DMA_DIR_FROM_HOST	1	/* device reads host memory */
#define VUB_SAMPLE_REG_DMA_GO		0x54	/* WO u32: 1 = start */
#define VUB_SAMPLE_REG_DMA_STATUS	0x58	/* RO u32 */
#define   VUB_SAMPLE_DMA_IDLE		0
#define   VUB_SAMPLE_DMA_OK		1
#define   VUB_SAMPLE_DMA_ERR		0x80000000U
#define VUB_SAMPLE_REG_DMA_IRQ		0x5c	/* RW u32: MSI-X vector + 1 */

/* Introspection for tests. */
#define VUB_SAMPLE_REG_RESET_COUNT	0x60	/* RO u32: DEVICE_RESETs seen */
#define VUB_SAMPLE_REG_DMA_MAPS		0x64	/* RO u32: DMA regions mapped */
#define VUB_SAMPLE_REG_IRQ_FDS		0x68	/* RO u32: eventfds held */
#define VUB_SAMPLE_REG_INTX_MASKED	0x6c	/* RO u32: 1 if INTx masked */

/*
 * Direct DMA (DMA regions that came with an fd, which the server maps).
 * MODE: how the engine moves data (AUTO: the mapping if the region has
 * one, else messages; MESSAGES: always messages; SPLIT: the first half
 * of each transfer through the mapping, the rest by messages; LOCAL:
 * no client memory at all, the same copy within the server's own
 * memory, for benchmarks; ADDR need not be mapped).  An
 * access to the mapping that raises SIGBUS (an IOVA the client cannot
 * provide) ends the transfer with EFAULT and counts in SIGBUS.  DIRECT
 * counts transfers (or halves) done through the mapping.  HAMMER: that
 * many threads (up to 8; 0 stops them) read and write back every byte
 * of [ADDR, ADDR + LEN) through the mapping in a loop, HAMMER_LOOPS
 * counts their passes.
 */
#define VUB_SAMPLE_REG_DMA_MODE		0x70	/* RW u32 */
#define   VUB_SAMPLE_DMA_MODE_AUTO	0
#define   VUB_SAMPLE_DMA_MODE_MESSAGES	1
#define   VUB_SAMPLE_DMA_MODE_SPLIT	2
#define   VUB_SAMPLE_DMA_MODE_LOCAL	3
#define VUB_SAMPLE_REG_DMA_DIRECT	0x74	/* RO u32 */
#define VUB_SAMPLE_REG_DMA_SIGBUS	0x78	/* RO u32 */
#define VUB_SAMPLE_REG_DMA_HAMMER	0x7c	/* RW u32: threads */
#define VUB_SAMPLE_REG_HAMMER_LOOPS	0x80	/* RO u32 */
#define VUB_SAMPLE_HAMMER_MAX		8
/*
 * GUP probe: writing 1 tries, on the page of the mapping at ADDR (after
 * reading it) and on a heap page for comparison, the operations that
 * take references to user pages: process_vm_readv() (from the server
 * itself), vmsplice() into a pipe and, with --odirect-file, an O_DIRECT
 * read.  A bit is set for each that succeeded.
 */
#define VUB_SAMPLE_REG_DMA_GUP		0x84	/* RW u32 */
#define   VUB_SAMPLE_GUP_PVR_WINDOW	(1U << 0)
#define   VUB_SAMPLE_GUP_SPLICE_WINDOW	(1U << 1)
#define   VUB_SAMPLE_GUP_ODIRECT_WINDOW	(1U << 2)
#define   VUB_SAMPLE_GUP_PVR_HEAP	(1U << 8)
#define   VUB_SAMPLE_GUP_SPLICE_HEAP	(1U << 9)
#define   VUB_SAMPLE_GUP_ODIRECT_HEAP	(1U << 10)
#define   VUB_SAMPLE_GUP_ODIRECT_TRIED	(1U << 16)
#define   VUB_SAMPLE_GUP_DONE		(1U << 31)

/*
 * Doorbells offered as ioeventfds (DEVICE_GET_REGION_IO_FDS on BAR0):
 *   NOTIFY: 4-byte writes of VUB_SAMPLE_NOTIFY_VALUE signal an eventfd
 *   (data match); any other value comes as a REGION_WRITE.  Either way
 *   each write adds one to NOTIFY_COUNT and its value to NOTIFY_SUM,
 *   and fires MSI-X vector NOTIFY_IRQ - 1 if NOTIFY_IRQ is non-zero.
 *   NOTIFY_VIA_FD counts the writes that came through the eventfd.
 *   KICK: any 4-byte write signals a second eventfd (no data match);
 *   KICK_COUNT counts kicks, through the eventfd or as messages.
 */
#define VUB_SAMPLE_REG_NOTIFY		0x90	/* WO u32 */
#define VUB_SAMPLE_REG_NOTIFY_COUNT	0x94	/* RO u32 */
#define VUB_SAMPLE_REG_NOTIFY_SUM	0x98	/* RO u64 */
#define VUB_SAMPLE_REG_NOTIFY_IRQ	0xa0	/* RW u32: MSI-X vector + 1 */
#define VUB_SAMPLE_REG_KICK		0xa4	/* WO u32 */
#define VUB_SAMPLE_REG_KICK_COUNT	0xa8	/* RO u32 */
#define VUB_SAMPLE_REG_NOTIFY_VIA_FD	0xac	/* RO u32 */
#define VUB_SAMPLE_NOTIFY_VALUE		1

#define VUB_SAMPLE_ID_VALUE		0x56554230	/* "VUB0" */
#define VUB_SAMPLE_VERSION_VALUE	0x00010000

#endif /* _VUB_SAMPLE_H */
