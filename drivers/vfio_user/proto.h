/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-user message layer: request builders and strict validators for
 * everything a server sends.  Pure code: no VFIO, mm, socket or
 * allocation dependencies, so it builds for UML KUnit and for the
 * userspace fuzzers unchanged (see tools/fuzz/shim/).
 *
 * Conventions for every vub_check_*() function:
 *   - the input buffer is hostile and exactly @len bytes long;
 *   - returns 0 on success, -EPROTO on a protocol violation (with @err
 *     filled in: a static reason string and the byte offset in the
 *     payload where it was detected), or another -errno documented at
 *     the function;
 *   - never reads outside [p, p + len).
 */
#ifndef _VFIO_USER_PROTO_H
#define _VFIO_USER_PROTO_H

#include <linux/types.h>
#include <uapi/linux/vfio_user.h>

/* Limits the bridge imposes on a server (QEMU uses 100 and 50). */
#define VUB_MAX_REGIONS			64
#define VUB_MAX_IRQ_INDEXES		16
#define VUB_MAX_IRQ_COUNT		2048	/* PCI MSI-X maximum */
#define VUB_MAX_SPARSE_AREAS		16
#define VUB_REGION_INFO_ARGSZ		1024	/* argsz we send, caps fit */
#define VUB_MAX_JSON_LEN		4096	/* VERSION JSON, incl. NUL */
#define VUB_JSON_MAX_DEPTH		8
#define VUB_MAX_REGION_CAPS		8	/* capabilities per region info */
#define VUB_REGION_INFO_MAX_ARGSZ	65536	/* largest argsz a server may ask */
#define VUB_PAGE_SIZE			4096	/* sparse/mmap alignment unit */
/* Capabilities the bridge proposes (vub_caps_ours()). */
#define VUB_OUR_MAX_MSG_FDS		16
#define VUB_OUR_MAX_XFER_SIZE		0x100000	/* 1 MiB */
#define VUB_OUR_PGSIZES			4096ULL
#define VUB_OUR_MAX_DMA_MAPS		16
/* Largest message we accept: a data transfer of the max size + headers. */
#define VUB_MAX_MSG_SIZE(xfer)		((xfer) + sizeof(struct vfio_user_header) + \
					 sizeof(struct vfio_user_dma_region_access))

/* Diagnostics for a rejected message, suitable for dev_err(). */
struct vub_err {
	const char *msg;	/* static string, never NULL after a failure */
	size_t offset;		/* byte offset in the checked buffer */
};

/*
 * Negotiated (or proposed) connection capabilities.  After negotiation
 * each limit is the smaller of ours and the server's: max_msg_fds bounds
 * the fds per message we send, max_data_xfer_size every REGION_READ/WRITE
 * we send; pgsizes is the intersection.  The server's DMA_READ/WRITE are
 * bounded by what we proposed (VUB_OUR_MAX_XFER_SIZE), as the spec says,
 * not by the negotiated value.
 */
struct vub_caps {
	u32 max_msg_fds;
	u32 max_data_xfer_size;
	u64 pgsizes;
	u32 max_dma_maps;
	bool twin_socket;
	bool write_multiple;
	u32 twin_fd_index;	/* index in the VERSION reply's fds */
};

/* Capabilities the bridge proposes (what the module implements). */
void vub_caps_ours(struct vub_caps *caps);

/*
 * VERSION.  vub_version_build() writes the request payload (struct
 * vfio_user_version + NUL-terminated JSON) into @buf and returns its
 * length, or -ENOSPC.  vub_version_check_reply() validates a reply
 * payload against what we proposed and fills @neg with the negotiated
 * values (spec defaults for absent keys) and @minor.
 */
int vub_version_build(void *buf, size_t len, const struct vub_caps *ours);
int vub_version_check_reply(const void *p, size_t len,
			    const struct vub_caps *ours,
			    struct vub_caps *neg, u16 *minor,
			    struct vub_err *err);

/*
 * Header of any message received from the server, before its payload
 * is read.  Returns VFIO_USER_F_TYPE_REPLY or VFIO_USER_F_TYPE_COMMAND,
 * or -EPROTO (unknown flags, bad type, msg_size < 16 or > @max_size,
 * error bit on a command, ...).
 */
int vub_check_header(const struct vfio_user_header *h, u32 max_size,
		     struct vub_err *err);

/*
 * A reply header against the request it answers (same msg_id and
 * command, reply type).  Returns 0 for a success reply, -EPROTO for a
 * violation, or 1 for a well-formed error reply, with the server's
 * errno clamped to 1..VFIO_USER_MAX_ERRNO in @srv_errno (an error reply
 * must carry no payload).
 */
int vub_check_reply_header(const struct vfio_user_header *req,
			   const struct vfio_user_header *rep,
			   int *srv_errno, struct vub_err *err);

/* Request builders: fill the payload, return its length. */
size_t vub_build_device_info(struct vfio_user_device_info *req);
size_t vub_build_region_info(struct vfio_user_region_info *req, u32 index,
			     u32 argsz);
size_t vub_build_irq_info(struct vfio_user_irq_info *req, u32 index);

/* DEVICE_GET_INFO reply: argsz, counts within the VUB_MAX_* limits. */
int vub_check_device_info(const void *p, size_t len,
			  struct vfio_user_device_info *out,
			  struct vub_err *err);

/* A region as the bridge keeps it after validation. */
struct vub_sparse_area {
	u64 offset;		/* relative to the region start */
	u64 size;
};

struct vub_region {
	u32 index;
	u32 flags;		/* VFIO_USER_REGION_INFO_FLAG_* */
	u64 size;
	u64 offset;		/* mmap offset in the server's region fd */
	u32 nr_areas;		/* sparse mmap areas, page aligned, in region */
	struct vub_sparse_area areas[VUB_MAX_SPARSE_AREAS];
	bool has_type;
	u32 type;
	u32 subtype;
	/*
	 * A sparse mmap capability was present.  With the MMAP flag and no
	 * sparse capability the whole region is mmappable (nr_areas 0).
	 */
	bool has_sparse;
};

/*
 * DEVICE_GET_REGION_INFO reply for @index sent with @argsz.  Walks the
 * capability chain (offsets inside the reply and past the fixed part,
 * aligned, strictly increasing so no loops, bounded count), checks the
 * sparse areas (page aligned, inside the region, at most
 * VUB_MAX_SPARSE_AREAS) and the MMAP flag consistency.  Returns
 * -EMSGSIZE with out->size untouched and *@needed set when the server
 * asks for a larger argsz (caller may retry once).
 */
int vub_check_region_info(u32 index, u32 argsz, const void *p, size_t len,
			  struct vub_region *out, u32 *needed,
			  struct vub_err *err);

/* DEVICE_GET_IRQ_INFO reply for @index: count <= VUB_MAX_IRQ_COUNT. */
int vub_check_irq_info(u32 index, const void *p, size_t len,
		       struct vfio_user_irq_info *out, struct vub_err *err);

/*
 * REGION_READ / REGION_WRITE replies against the request.  For a read,
 * the reply echoes offset and region, count <= requested and the
 * payload carries exactly count data bytes; *@count is set to the
 * bytes returned.  For a write, the reply is the access header only.
 */
int vub_check_region_read_reply(const struct vfio_user_region_access *req,
				const void *p, size_t len, u32 *count,
				struct vub_err *err);
int vub_check_region_write_reply(const struct vfio_user_region_access *req,
				 const void *p, size_t len, u32 *count,
				 struct vub_err *err);

/*
 * A DMA_READ / DMA_WRITE request from the server (@cmd), payload @len:
 * count <= @max_xfer, address + count does not wrap, and for DMA_WRITE
 * the payload carries exactly count bytes.  Returns -EPROTO for a
 * malformed message, -E2BIG for count > @max_xfer (answer with an
 * error reply, the connection stays usable).
 */
int vub_check_dma_request(u16 cmd, const void *p, size_t len, u32 max_xfer,
			  struct vub_err *err);

/*
 * More request builders: fill the fixed part, return its length.  For
 * SET_IRQS @data_len is the length of the bool array the caller
 * appends (0 otherwise); argsz covers it.
 */
size_t vub_build_region_access(struct vfio_user_region_access *req,
			       u32 region, u64 offset, u32 count);
size_t vub_build_dma_map(struct vfio_user_dma_map *req, u32 flags,
			 u64 offset, u64 iova, u64 size);
size_t vub_build_dma_unmap(struct vfio_user_dma_unmap *req, u32 flags,
			   u64 iova, u64 size);
size_t vub_build_set_irqs(struct vfio_user_irq_set *req, u32 flags,
			  u32 index, u32 start, u32 count, u32 data_len);

/*
 * A success reply that must carry no payload (DMA_MAP, SET_IRQS,
 * DEVICE_RESET, MIG_DATA_WRITE).
 */
int vub_check_empty_reply(const void *p, size_t len, struct vub_err *err);

/*
 * DMA_UNMAP reply: empty, or the request echoed (libvfio-user sends
 * the original struct back).
 */
int vub_check_dma_unmap_reply(const struct vfio_user_dma_unmap *req,
			      const void *p, size_t len,
			      struct vub_err *err);

/*
 * DEVICE_GET_REGION_IO_FDS.  The bridge asks with room for
 * VUB_MAX_IO_FDS sub-regions per region and supports plain ioeventfds
 * (KVM semantics: an MMIO write of exactly @size bytes at @offset, with
 * the data match if VUB_IOEVENTFD_DATAMATCH is set).
 */
#define VUB_MAX_IO_FDS			16	/* sub-regions per region */
#define VUB_IO_FDS_ARGSZ	(sizeof(struct vfio_user_region_io_fds_reply) + \
				 VUB_MAX_IO_FDS * sizeof(struct vfio_user_sub_region_ioeventfd))
#define VUB_IOEVENTFD_DATAMATCH		(1U << 0)	/* KVM_IOEVENTFD_FLAG_DATAMATCH */

struct vub_io_fd {
	u64 offset;		/* in the region */
	u32 size;		/* 1, 2, 4 or 8 */
	u32 fd_index;		/* in the reply's fds */
	u32 type;		/* VFIO_USER_IO_FD_TYPE_* */
	bool datamatch;
	u64 data;
};

size_t vub_build_region_io_fds(struct vfio_user_region_io_fds_request *req,
			       u32 index, u32 argsz);

/*
 * DEVICE_GET_REGION_IO_FDS reply for region @index (@region_size bytes)
 * asked with @argsz, which came with @nr_fds fds.  At most
 * VUB_MAX_IO_FDS entries, each of a known type, flags 0 or DATAMATCH,
 * size 1/2/4/8, inside the region, a data match that fits the size,
 * fd_index < @nr_fds; no two overlap unless both have the same offset
 * and size and different data matches.  Fills @out (VUB_MAX_IO_FDS
 * entries) and *@count.  ioregionfd and shadow ioeventfd entries are
 * valid but returned with their type for the caller to skip.
 */
int vub_check_region_io_fds(u32 index, u32 argsz, const void *p, size_t len,
			    u64 region_size, u32 nr_fds, struct vub_io_fd *out,
			    u32 *count, struct vub_err *err);

/* ---- migration (mig_proto.c) ---------------------------------------- */

/*
 * DEVICE_FEATURE with the 8 bytes of data of MIGRATION or
 * MIG_DEVICE_STATE: the request the bridge sends and the reply a GET
 * (or libvfio-user's SET) carries.
 */
struct vub_mig_feature {
	struct vfio_user_device_feature f;
	union {
		struct vfio_user_device_feature_migration mig;
		struct vfio_user_device_feature_mig_state st;
	};
} __packed;

/* Request builders: fill the fixed part, return its length. */
size_t vub_build_mig_feature(struct vub_mig_feature *req, u32 flags,
			     u32 state);
/* MIG_DATA_READ asking for @size bytes, MIG_DATA_WRITE sending them. */
size_t vub_build_mig_data(struct vfio_user_mig_data *req, u32 size);

/*
 * The states the bridge supports (ERROR, STOP, RUNNING, STOP_COPY,
 * RESUMING; not RUNNING_P2P or the PRE_COPY states).
 */
bool vub_mig_state_supported(u32 state);

/*
 * DEVICE_FEATURE GET MIGRATION reply: exactly the header and the 8-byte
 * flags, argsz the reply's length, the request's flags echoed.  The
 * server's migration flags are returned in *@mig_flags unchecked (a
 * server without STOP_COPY is not migratable, not in violation).
 */
int vub_check_migration_reply(const void *p, size_t len, u64 *mig_flags,
			      struct vub_err *err);

/*
 * DEVICE_FEATURE GET MIG_DEVICE_STATE reply: as above, and a
 * device_state vub_mig_state_supported() knows, returned in *@state.
 */
int vub_check_mig_state_get_reply(const void *p, size_t len, u32 *state,
				  struct vub_err *err);

/*
 * DEVICE_FEATURE SET MIG_DEVICE_STATE reply for @state: empty, or (as
 * libvfio-user answers) the request echoed with the same device_state.
 */
int vub_check_mig_state_set_reply(u32 state, const void *p, size_t len,
				  struct vub_err *err);

/*
 * MIG_DATA_READ reply to a request for @want bytes: size <= @want,
 * argsz == header + size, and the reply exactly argsz bytes long, or
 * header + @want long (libvfio-user sizes the reply by the request and
 * leaves the bytes past argsz as padding, which are ignored).  *@size
 * is the number of stream bytes at the start of the data; 0 is the end
 * of the stream.
 */
int vub_check_mig_data_read_reply(u32 want, const void *p, size_t len,
				  u32 *size, struct vub_err *err);

/* MIG_DATA_WRITE reply: no payload. */
int vub_check_mig_data_write_reply(const void *p, size_t len,
				   struct vub_err *err);

/*
 * The stop-copy length the bridge reports (MIG_DATA_SIZE): the protocol
 * cannot ask the server, so the length of the device's last complete
 * save stream, before the first one @xfer (one message's worth).  Never
 * 0: QEMU sizes its read buffer by it.
 */
u64 vub_mig_stop_copy_length(u64 last_stream_len, u32 xfer);

/* Human-readable command name for logs and tracepoints. */
const char *vub_cmd_name(u16 cmd);

#endif /* _VFIO_USER_PROTO_H */
