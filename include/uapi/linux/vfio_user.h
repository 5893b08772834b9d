/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio-user wire protocol.
 *
 * Layout follows the vfio-user specification as published in QEMU's
 * docs/interop/vfio-user.rst (identical to libvfio-user 0.9.2).  All
 * fields are in host byte order, structures are packed as on the wire.
 * Shared by the vfio_user kernel module and the userspace tools.
 */
#ifndef _UAPI_LINUX_VFIO_USER_H
#define _UAPI_LINUX_VFIO_USER_H

#include <linux/types.h>

/* Protocol version implemented by this header. */
#define VFIO_USER_MAJOR			0
#define VFIO_USER_MINOR			2

/* Commands (14, the old DIRTY_PAGES, is retired). */
enum vfio_user_command {
	VFIO_USER_VERSION			= 1,
	VFIO_USER_DMA_MAP			= 2,
	VFIO_USER_DMA_UNMAP			= 3,
	VFIO_USER_DEVICE_GET_INFO		= 4,
	VFIO_USER_DEVICE_GET_REGION_INFO	= 5,
	VFIO_USER_DEVICE_GET_REGION_IO_FDS	= 6,
	VFIO_USER_DEVICE_GET_IRQ_INFO		= 7,
	VFIO_USER_DEVICE_SET_IRQS		= 8,
	VFIO_USER_REGION_READ			= 9,
	VFIO_USER_REGION_WRITE			= 10,
	VFIO_USER_DMA_READ			= 11,
	VFIO_USER_DMA_WRITE			= 12,
	VFIO_USER_DEVICE_RESET			= 13,
	VFIO_USER_REGION_WRITE_MULTI		= 15,
	VFIO_USER_DEVICE_FEATURE		= 16,
	VFIO_USER_MIG_DATA_READ			= 17,
	VFIO_USER_MIG_DATA_WRITE		= 18,
	VFIO_USER_MAX_COMMAND			= 19,
};

/* Header flags. */
#define VFIO_USER_F_TYPE_MASK		0x0000000fU
#define VFIO_USER_F_TYPE_COMMAND	0x0U
#define VFIO_USER_F_TYPE_REPLY		0x1U
#define VFIO_USER_F_NO_REPLY		0x00000010U
#define VFIO_USER_F_ERROR		0x00000020U
#define VFIO_USER_F_KNOWN		(VFIO_USER_F_TYPE_MASK | \
					 VFIO_USER_F_NO_REPLY | \
					 VFIO_USER_F_ERROR)

/* Every message starts with this 16-byte header. */
struct vfio_user_header {
	__u16	msg_id;
	__u16	cmd;
	__u32	msg_size;	/* whole message, header included */
	__u32	flags;
	__u32	error_no;	/* errno in error replies, 0 otherwise */
} __attribute__((packed));

/* Largest errno a peer may report; anything else is clamped. */
#define VFIO_USER_MAX_ERRNO		4095

/* VERSION (1): request and reply have the same layout. */
struct vfio_user_version {
	__u16	major;
	__u16	minor;
	char	data[];		/* optional NUL-terminated JSON */
} __attribute__((packed));

/* Capability keys in the VERSION JSON ("capabilities" object). */
#define VFIO_USER_CAP_CAPABILITIES	"capabilities"
#define VFIO_USER_CAP_MAX_MSG_FDS	"max_msg_fds"
#define VFIO_USER_CAP_MAX_XFER_SIZE	"max_data_xfer_size"
#define VFIO_USER_CAP_PGSIZES		"pgsizes"
#define VFIO_USER_CAP_MAX_DMA_MAPS	"max_dma_maps"
#define VFIO_USER_CAP_TWIN_SOCKET	"twin_socket"
#define VFIO_USER_CAP_TWIN_SUPPORTED	"supported"
#define VFIO_USER_CAP_TWIN_FD_INDEX	"fd_index"
#define VFIO_USER_CAP_WRITE_MULTIPLE	"write_multiple"
#define VFIO_USER_CAP_MIGRATION		"migration"	/* legacy */
#define VFIO_USER_CAP_MIG_PGSIZE	"pgsize"	/* legacy */
#define VFIO_USER_CAP_MIG_BITMAP	"max_bitmap_size" /* legacy */

/* Capability defaults (spec) and the bounds we accept from a peer. */
#define VFIO_USER_DEF_MAX_MSG_FDS	1
#define VFIO_USER_MIN_MAX_MSG_FDS	1
#define VFIO_USER_MAX_MAX_MSG_FDS	253	/* SCM_MAX_FD */
#define VFIO_USER_DEF_MAX_XFER_SIZE	(1U << 20)
#define VFIO_USER_MIN_MAX_XFER_SIZE	(4U << 10)
#define VFIO_USER_MAX_MAX_XFER_SIZE	(64U << 20)
#define VFIO_USER_DEF_PGSIZES		4096ULL
#define VFIO_USER_DEF_MAX_DMA_MAPS	65535
#define VFIO_USER_MAX_MAX_DMA_MAPS	65535

/* DMA_MAP (2). */
#define VFIO_USER_F_DMA_REGION_READ	(1U << 0)
#define VFIO_USER_F_DMA_REGION_WRITE	(1U << 1)
/* libvfio-user extensions, not in the QEMU copy of the spec. */
#define VFIO_USER_F_DMA_REGION_MMAP	(1U << 2)
#define VFIO_USER_F_DMA_REGION_FILE_IO	(1U << 3)

struct vfio_user_dma_map {
	__u32	argsz;
	__u32	flags;
	__u64	offset;		/* file offset when an fd is sent */
	__u64	address;	/* IOVA */
	__u64	size;
} __attribute__((packed));

/* DMA_UNMAP (3). */
#define VFIO_USER_F_DMA_UNMAP_GET_DIRTY_BITMAP	(1U << 0)	/* legacy */
#define VFIO_USER_F_DMA_UNMAP_ALL		(1U << 1)

struct vfio_user_dma_unmap {
	__u32	argsz;
	__u32	flags;
	__u64	address;
	__u64	size;
} __attribute__((packed));

/* DEVICE_GET_INFO (4). */
#define VFIO_USER_DEVICE_FLAGS_RESET	(1U << 0)
#define VFIO_USER_DEVICE_FLAGS_PCI	(1U << 1)

struct vfio_user_device_info {
	__u32	argsz;
	__u32	flags;
	__u32	num_regions;
	__u32	num_irqs;
} __attribute__((packed));

/* DEVICE_GET_REGION_INFO (5): the VFIO region info layout. */
#define VFIO_USER_REGION_INFO_FLAG_READ		(1U << 0)
#define VFIO_USER_REGION_INFO_FLAG_WRITE	(1U << 1)
#define VFIO_USER_REGION_INFO_FLAG_MMAP		(1U << 2)
#define VFIO_USER_REGION_INFO_FLAG_CAPS		(1U << 3)

struct vfio_user_region_info {
	__u32	argsz;
	__u32	flags;
	__u32	index;
	__u32	cap_offset;	/* from the start of this struct */
	__u64	size;
	__u64	offset;		/* mmap offset in the region fd */
} __attribute__((packed));

/* Capability chain entries (VFIO layout). */
struct vfio_user_cap_header {
	__u16	id;
	__u16	version;
	__u32	next;		/* from the start of the region info, 0 = end */
} __attribute__((packed));

#define VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP	1
#define VFIO_USER_REGION_INFO_CAP_TYPE		2

struct vfio_user_sparse_mmap_area {
	__u64	offset;		/* relative to the region info offset */
	__u64	size;
} __attribute__((packed));

struct vfio_user_region_info_cap_sparse_mmap {
	struct vfio_user_cap_header header;
	__u32	nr_areas;
	__u32	reserved;
	struct vfio_user_sparse_mmap_area areas[];
} __attribute__((packed));

struct vfio_user_region_info_cap_type {
	struct vfio_user_cap_header header;
	__u32	type;
	__u32	subtype;
} __attribute__((packed));

/* DEVICE_GET_REGION_IO_FDS (6). */
#define VFIO_USER_IO_FD_TYPE_IOEVENTFD		0
#define VFIO_USER_IO_FD_TYPE_IOREGIONFD		1
#define VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW	2

struct vfio_user_region_io_fds_request {
	__u32	argsz;
	__u32	flags;
	__u32	index;
	__u32	count;
} __attribute__((packed));

struct vfio_user_sub_region_ioeventfd {
	__u64	offset;
	__u64	size;
	__u32	fd_index;
	__u32	type;
	__u32	flags;
	__u32	padding;
	__u64	datamatch;
} __attribute__((packed));

struct vfio_user_region_io_fds_reply {
	__u32	argsz;
	__u32	flags;
	__u32	index;
	__u32	count;
	struct vfio_user_sub_region_ioeventfd sub_regions[];
} __attribute__((packed));

/* DEVICE_GET_IRQ_INFO (7). */
#define VFIO_USER_IRQ_INFO_EVENTFD	(1U << 0)
#define VFIO_USER_IRQ_INFO_MASKABLE	(1U << 1)
#define VFIO_USER_IRQ_INFO_AUTOMASKED	(1U << 2)
#define VFIO_USER_IRQ_INFO_NORESIZE	(1U << 3)

struct vfio_user_irq_info {
	__u32	argsz;
	__u32	flags;
	__u32	index;
	__u32	count;
} __attribute__((packed));

/* PCI interrupt indexes (as VFIO_PCI_*_IRQ_INDEX). */
#define VFIO_USER_PCI_INTX_IRQ_INDEX	0
#define VFIO_USER_PCI_MSI_IRQ_INDEX	1
#define VFIO_USER_PCI_MSIX_IRQ_INDEX	2
#define VFIO_USER_PCI_ERR_IRQ_INDEX	3
#define VFIO_USER_PCI_REQ_IRQ_INDEX	4
#define VFIO_USER_PCI_NUM_IRQS		5

/* PCI region indexes (as VFIO_PCI_*_REGION_INDEX). */
#define VFIO_USER_PCI_BAR0_REGION_INDEX	0
#define VFIO_USER_PCI_BAR5_REGION_INDEX	5
#define VFIO_USER_PCI_ROM_REGION_INDEX	6
#define VFIO_USER_PCI_CONFIG_REGION_INDEX 7
#define VFIO_USER_PCI_VGA_REGION_INDEX	8
#define VFIO_USER_PCI_NUM_REGIONS	9

/* DEVICE_SET_IRQS (8). */
#define VFIO_USER_IRQ_SET_DATA_NONE	(1U << 0)
#define VFIO_USER_IRQ_SET_DATA_BOOL	(1U << 1)
#define VFIO_USER_IRQ_SET_DATA_EVENTFD	(1U << 2)
#define VFIO_USER_IRQ_SET_ACTION_MASK	(1U << 3)
#define VFIO_USER_IRQ_SET_ACTION_UNMASK	(1U << 4)
#define VFIO_USER_IRQ_SET_ACTION_TRIGGER (1U << 5)
#define VFIO_USER_IRQ_SET_DATA_TYPE_MASK  (VFIO_USER_IRQ_SET_DATA_NONE | \
					   VFIO_USER_IRQ_SET_DATA_BOOL | \
					   VFIO_USER_IRQ_SET_DATA_EVENTFD)
#define VFIO_USER_IRQ_SET_ACTION_TYPE_MASK (VFIO_USER_IRQ_SET_ACTION_MASK | \
					    VFIO_USER_IRQ_SET_ACTION_UNMASK | \
					    VFIO_USER_IRQ_SET_ACTION_TRIGGER)

struct vfio_user_irq_set {
	__u32	argsz;
	__u32	flags;
	__u32	index;
	__u32	start;
	__u32	count;
	__u8	data[];		/* bool[count] with DATA_BOOL */
} __attribute__((packed));

/* REGION_READ (9) / REGION_WRITE (10). */
struct vfio_user_region_access {
	__u64	offset;
	__u32	region;
	__u32	count;
	__u8	data[];		/* read reply / write request */
} __attribute__((packed));

/*
 * DMA_READ (11) / DMA_WRITE (12), server to client.  libvfio-user layout:
 * 64-bit count, data at payload offset 16.
 */
struct vfio_user_dma_region_access {
	__u64	address;
	__u64	count;
	__u8	data[];		/* read reply / write request */
} __attribute__((packed));

/* REGION_WRITE_MULTI (15). */
#define VFIO_USER_MULTI_DATA		8
#define VFIO_USER_MULTI_MAX		200

struct vfio_user_wr_multi_entry {
	__u64	offset;
	__u32	region;
	__u32	count;
	__u8	data[VFIO_USER_MULTI_DATA];
} __attribute__((packed));

struct vfio_user_wr_multi {
	__u64	wr_cnt;
	struct vfio_user_wr_multi_entry wrs[];
} __attribute__((packed));

/* DEVICE_FEATURE (16). */
#define VFIO_USER_DEVICE_FEATURE_MASK		0xffffU
#define VFIO_USER_DEVICE_FEATURE_GET		(1U << 16)
#define VFIO_USER_DEVICE_FEATURE_SET		(1U << 17)
#define VFIO_USER_DEVICE_FEATURE_PROBE		(1U << 18)

#define VFIO_USER_DEVICE_FEATURE_MIGRATION		1
#define VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE	2
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START	6
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP	7
#define VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT	8

struct vfio_user_device_feature {
	__u32	argsz;
	__u32	flags;
	__u8	data[];
} __attribute__((packed));

#define VFIO_USER_MIGRATION_STOP_COPY	(1ULL << 0)
#define VFIO_USER_MIGRATION_P2P		(1ULL << 1)
#define VFIO_USER_MIGRATION_PRE_COPY	(1ULL << 2)

struct vfio_user_device_feature_migration {
	__u64	flags;
} __attribute__((packed));

enum vfio_user_device_mig_state {
	VFIO_USER_DEVICE_STATE_ERROR		= 0,
	VFIO_USER_DEVICE_STATE_STOP		= 1,
	VFIO_USER_DEVICE_STATE_RUNNING		= 2,
	VFIO_USER_DEVICE_STATE_STOP_COPY	= 3,
	VFIO_USER_DEVICE_STATE_RESUMING		= 4,
	VFIO_USER_DEVICE_STATE_RUNNING_P2P	= 5,
	VFIO_USER_DEVICE_STATE_PRE_COPY		= 6,
	VFIO_USER_DEVICE_STATE_PRE_COPY_P2P	= 7,
};

struct vfio_user_device_feature_mig_state {
	__u32	device_state;
	__u32	data_fd;	/* unused on the wire */
} __attribute__((packed));

struct vfio_user_device_feature_dma_logging_range {
	__u64	iova;
	__u64	length;
} __attribute__((packed));

struct vfio_user_device_feature_dma_logging_control {
	__u64	page_size;
	__u32	num_ranges;
	__u32	reserved;
	struct vfio_user_device_feature_dma_logging_range ranges[];
} __attribute__((packed));

struct vfio_user_device_feature_dma_logging_report {
	__u64	iova;
	__u64	length;
	__u64	page_size;
	__u8	bitmap[];
} __attribute__((packed));

/* MIG_DATA_READ (17) / MIG_DATA_WRITE (18). */
struct vfio_user_mig_data {
	__u32	argsz;
	__u32	size;
	__u8	data[];
} __attribute__((packed));

#endif /* _UAPI_LINUX_VFIO_USER_H */
