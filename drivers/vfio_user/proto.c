// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-user message layer: request builders and strict validators for
 * everything a server sends (see proto.h for the conventions and
 * Documentation/json-and-validation.rst for the rules).
 *
 * Pure code: no VFIO, mm, socket or allocation dependencies.  Every
 * input buffer is hostile and may be unaligned, so fixed parts are
 * copied out with memcpy() before use.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "proto.h"
#include "json.h"

#define HDR_SIZE	sizeof(struct vfio_user_header)

static int vub_fail(struct vub_err *err, const char *msg, size_t off)
{
	if (err) {
		err->msg = msg;
		err->offset = off;
	}
	return -EPROTO;
}

/* ---- VERSION ------------------------------------------------------- */

void vub_caps_ours(struct vub_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->max_msg_fds = VUB_OUR_MAX_MSG_FDS;
	caps->max_data_xfer_size = VUB_OUR_MAX_XFER_SIZE;
	caps->pgsizes = VUB_OUR_PGSIZES;
	caps->max_dma_maps = VUB_OUR_MAX_DMA_MAPS;
	caps->twin_socket = false;
	caps->write_multiple = false;
}

int vub_version_build(void *buf, size_t len, const struct vub_caps *ours)
{
	struct vfio_user_version v = {
		.major = VFIO_USER_MAJOR,
		.minor = VFIO_USER_MINOR,
	};
	size_t hlen = sizeof(v);
	int n;

	if (len <= hlen)
		return -ENOSPC;
	n = snprintf((char *)buf + hlen, len - hlen,
		     "{\"capabilities\":{\"max_msg_fds\":%u,\"max_data_xfer_size\":%u,\"pgsizes\":%llu,\"max_dma_maps\":%u%s%s}}",
		     ours->max_msg_fds, ours->max_data_xfer_size,
		     (unsigned long long)ours->pgsizes, ours->max_dma_maps,
		     ours->twin_socket ? ",\"twin_socket\":{\"supported\":true}" : "",
		     ours->write_multiple ? ",\"write_multiple\":true" : "");
	if (n < 0 || (size_t)n >= len - hlen)
		return -ENOSPC;
	memcpy(buf, &v, hlen);
	return hlen + n + 1;
}

/*
 * An integer capability @key of object @obj within [@lo, @hi]; *@val is
 * left alone when the key is absent.  @base is the payload offset of
 * the JSON text, for diagnostics.
 */
static int cap_u64(const struct vub_json *js, int obj, const char *key,
		   u64 lo, u64 hi, u64 *val, size_t base, const char *bad_type,
		   const char *bad_range, struct vub_err *err)
{
	int t = vub_json_obj_get(js, obj, key);
	u64 v;

	if (t == -ENOENT)
		return 0;
	if (t < 0)
		return vub_fail(err, bad_type, base);
	if (vub_json_get_u64(js, t, &v))
		return vub_fail(err, vub_json_type(js, t) == VUB_JSON_INT ?
				bad_range : bad_type,
				base + js->tok[t].start);
	if (v < lo || v > hi)
		return vub_fail(err, bad_range, base + js->tok[t].start);
	*val = v;
	return 0;
}

static int cap_bool(const struct vub_json *js, int obj, const char *key,
		    bool *val, size_t base, const char *bad_type,
		    struct vub_err *err)
{
	int t = vub_json_obj_get(js, obj, key);

	if (t == -ENOENT)
		return 0;
	if (t < 0 || vub_json_get_bool(js, t, val))
		return vub_fail(err, bad_type,
				base + (t < 0 ? 0 : js->tok[t].start));
	return 0;
}

/* Parse the server's capabilities into @srv (which holds the defaults). */
static int parse_caps(const char *text, size_t tlen, size_t base,
		      const struct vub_caps *ours, struct vub_caps *srv,
		      struct vub_err *err)
{
	struct vub_json js;
	u64 fds = srv->max_msg_fds, xfer = srv->max_data_xfer_size;
	u64 pgs = srv->pgsizes, maps = srv->max_dma_maps, idx = 0;
	bool twin = false, wm = false;
	int ret, caps, t;

	ret = vub_json_parse(&js, text, tlen, err);
	if (ret) {
		if (err)
			err->offset += base;
		return ret;
	}
	if (vub_json_type(&js, 0) != VUB_JSON_OBJECT)
		return vub_fail(err, "VERSION JSON is not an object", base);
	caps = vub_json_obj_get(&js, 0, VFIO_USER_CAP_CAPABILITIES);
	if (caps == -ENOENT)
		return 0;
	if (vub_json_type(&js, caps) != VUB_JSON_OBJECT)
		return vub_fail(err, "capabilities is not an object",
				base + js.tok[caps].start);

	ret = cap_u64(&js, caps, VFIO_USER_CAP_MAX_MSG_FDS,
		      VFIO_USER_MIN_MAX_MSG_FDS, VFIO_USER_MAX_MAX_MSG_FDS,
		      &fds, base, "max_msg_fds is not an integer",
		      "max_msg_fds out of range", err);
	if (ret)
		return ret;
	ret = cap_u64(&js, caps, VFIO_USER_CAP_MAX_XFER_SIZE,
		      VFIO_USER_MIN_MAX_XFER_SIZE, VFIO_USER_MAX_MAX_XFER_SIZE,
		      &xfer, base, "max_data_xfer_size is not an integer",
		      "max_data_xfer_size out of range", err);
	if (ret)
		return ret;
	ret = cap_u64(&js, caps, VFIO_USER_CAP_PGSIZES, 1, U64_MAX, &pgs,
		      base, "pgsizes is not an integer", "pgsizes is zero",
		      err);
	if (ret)
		return ret;
	t = vub_json_obj_get(&js, caps, VFIO_USER_CAP_PGSIZES);
	if (t >= 0 && (pgs & (VUB_PAGE_SIZE - 1)))
		return vub_fail(err, "pgsizes has sizes below 4 KiB",
				base + js.tok[t].start);
	if (t >= 0 && !(pgs & VUB_PAGE_SIZE))
		return vub_fail(err, "pgsizes lacks 4 KiB",
				base + js.tok[t].start);
	ret = cap_u64(&js, caps, VFIO_USER_CAP_MAX_DMA_MAPS, 1,
		      VFIO_USER_MAX_MAX_DMA_MAPS, &maps, base,
		      "max_dma_maps is not an integer",
		      "max_dma_maps out of range", err);
	if (ret)
		return ret;
	ret = cap_bool(&js, caps, VFIO_USER_CAP_WRITE_MULTIPLE, &wm, base,
		       "write_multiple is not a boolean", err);
	if (ret)
		return ret;
	if (wm && !ours->write_multiple)
		return vub_fail(err, "write_multiple not proposed", base);

	t = vub_json_obj_get(&js, caps, VFIO_USER_CAP_TWIN_SOCKET);
	if (t >= 0) {
		if (vub_json_type(&js, t) != VUB_JSON_OBJECT)
			return vub_fail(err, "twin_socket is not an object",
					base + js.tok[t].start);
		ret = cap_bool(&js, t, VFIO_USER_CAP_TWIN_SUPPORTED, &twin,
			       base, "twin_socket.supported is not a boolean",
			       err);
		if (ret)
			return ret;
		if (twin && !ours->twin_socket)
			return vub_fail(err, "twin_socket not proposed",
					base + js.tok[t].start);
		if (twin) {
			idx = U64_MAX;
			ret = cap_u64(&js, t, VFIO_USER_CAP_TWIN_FD_INDEX, 0,
				      VFIO_USER_MAX_MAX_MSG_FDS - 1, &idx,
				      base, "twin_socket.fd_index is not an integer",
				      "twin_socket.fd_index out of range", err);
			if (ret)
				return ret;
			if (idx == U64_MAX)
				return vub_fail(err, "twin_socket.fd_index missing",
						base + js.tok[t].start);
		}
	}
	/* "migration" (legacy) and unknown keys are ignored. */

	srv->max_msg_fds = fds;
	srv->max_data_xfer_size = xfer;
	srv->pgsizes = pgs;
	srv->max_dma_maps = maps;
	srv->twin_socket = twin;
	srv->twin_fd_index = idx;
	srv->write_multiple = wm;
	return 0;
}

int vub_version_check_reply(const void *p, size_t len,
			    const struct vub_caps *ours,
			    struct vub_caps *neg, u16 *minor,
			    struct vub_err *err)
{
	struct vfio_user_version v;
	struct vub_caps srv = {
		.max_msg_fds = VFIO_USER_DEF_MAX_MSG_FDS,
		.max_data_xfer_size = VFIO_USER_DEF_MAX_XFER_SIZE,
		.pgsizes = VFIO_USER_DEF_PGSIZES,
		.max_dma_maps = VFIO_USER_DEF_MAX_DMA_MAPS,
	};
	int ret;

	if (len < sizeof(v))
		return vub_fail(err, "VERSION reply too short", 0);
	memcpy(&v, p, sizeof(v));
	if (v.major != VFIO_USER_MAJOR)
		return vub_fail(err, "unsupported major version", 0);
	if (v.minor > VFIO_USER_MINOR)
		return vub_fail(err, "minor version above the proposed one", 2);
	if (len > sizeof(v)) {
		ret = parse_caps((const char *)p + sizeof(v), len - sizeof(v),
				 sizeof(v), ours, &srv, err);
		if (ret)
			return ret;
	}
	if (!(ours->pgsizes & srv.pgsizes))
		return vub_fail(err, "no common page size", sizeof(v));

	neg->max_msg_fds = min_t(u32, ours->max_msg_fds, srv.max_msg_fds);
	neg->max_data_xfer_size = min_t(u32, ours->max_data_xfer_size,
					srv.max_data_xfer_size);
	neg->pgsizes = ours->pgsizes & srv.pgsizes;
	neg->max_dma_maps = min_t(u32, ours->max_dma_maps, srv.max_dma_maps);
	neg->twin_socket = srv.twin_socket;
	neg->twin_fd_index = srv.twin_socket ? srv.twin_fd_index : 0;
	neg->write_multiple = srv.write_multiple;
	*minor = v.minor;
	return 0;
}

/* ---- headers ------------------------------------------------------- */

int vub_check_header(const struct vfio_user_header *h, u32 max_size,
		     struct vub_err *err)
{
	u32 flags = h->flags, type = flags & VFIO_USER_F_TYPE_MASK;

	if (flags & ~VFIO_USER_F_KNOWN)
		return vub_fail(err, "unknown header flags", 8);
	if (type != VFIO_USER_F_TYPE_COMMAND && type != VFIO_USER_F_TYPE_REPLY)
		return vub_fail(err, "invalid message type", 8);
	if (h->msg_size < HDR_SIZE)
		return vub_fail(err, "message size smaller than the header", 4);
	if (h->msg_size > max_size)
		return vub_fail(err, "message too large", 4);
	if (type == VFIO_USER_F_TYPE_COMMAND) {
		if (flags & VFIO_USER_F_ERROR)
			return vub_fail(err, "error flag on a command", 8);
		if (h->error_no)
			return vub_fail(err, "error number on a command", 12);
		return type;
	}
	if (flags & VFIO_USER_F_NO_REPLY)
		return vub_fail(err, "no-reply flag on a reply", 8);
	/* An error reply's payload, if any, is ignored: see below. */
	if (!(flags & VFIO_USER_F_ERROR) && h->error_no)
		return vub_fail(err, "error number without the error flag", 12);
	return type;
}

int vub_check_reply_header(const struct vfio_user_header *req,
			   const struct vfio_user_header *rep,
			   int *srv_errno, struct vub_err *err)
{
	u32 flags = rep->flags;
	u32 e;

	if (flags & ~VFIO_USER_F_KNOWN)
		return vub_fail(err, "unknown header flags", 8);
	if ((flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY)
		return vub_fail(err, "not a reply", 8);
	if (flags & VFIO_USER_F_NO_REPLY)
		return vub_fail(err, "no-reply flag on a reply", 8);
	if (req->flags & VFIO_USER_F_NO_REPLY)
		return vub_fail(err, "reply to a no-reply request", 0);
	if (rep->msg_id != req->msg_id)
		return vub_fail(err, "reply message ID mismatch", 0);
	if (rep->cmd != req->cmd)
		return vub_fail(err, "reply command mismatch", 2);
	if (rep->msg_size < HDR_SIZE)
		return vub_fail(err, "message size smaller than the header", 4);
	if (!(flags & VFIO_USER_F_ERROR)) {
		if (rep->error_no)
			return vub_fail(err,
					"error number without the error flag",
					12);
		return 0;
	}
	/*
	 * The spec says an error reply is the header alone, but
	 * libvfio-user sends the reply payload it had built before the
	 * failure (e.g. the region access header of a failed
	 * REGION_WRITE).  Its bytes carry no meaning once the error flag
	 * is set, so they are received (within the size bound checked by
	 * vub_check_header()) and dropped instead of breaking the device.
	 *
	 * The spec allows 0 with the error flag: report EINVAL then.
	 */
	e = rep->error_no;
	if (!e || e > VFIO_USER_MAX_ERRNO)
		e = EINVAL;
	if (srv_errno)
		*srv_errno = e;
	return 1;
}

/* ---- device, region and irq info ----------------------------------- */

size_t vub_build_region_io_fds(struct vfio_user_region_io_fds_request *req,
			       u32 index, u32 argsz)
{
	memset(req, 0, sizeof(*req));
	req->argsz = argsz;
	req->index = index;
	return sizeof(*req);
}

static bool vub_io_fds_overlap(const struct vub_io_fd *a,
			       const struct vub_io_fd *b)
{
	if (a->offset >= b->offset + b->size ||
	    b->offset >= a->offset + a->size)
		return false;
	/* The same register with different values: KVM allows it too. */
	return !(a->offset == b->offset && a->size == b->size &&
		 a->datamatch && b->datamatch && a->data != b->data);
}

int vub_check_region_io_fds(u32 index, u32 argsz, const void *p, size_t len,
			    u64 region_size, u32 nr_fds, struct vub_io_fd *out,
			    u32 *count, struct vub_err *err)
{
	const size_t hsz = sizeof(struct vfio_user_region_io_fds_reply);
	const size_t esz = sizeof(struct vfio_user_sub_region_ioeventfd);
	struct vfio_user_region_io_fds_reply r;
	u32 i, j;

	*count = 0;
	if (len < hsz)
		return vub_fail(err, "reply shorter than its header", len);
	memcpy(&r, p, hsz);
	if (r.index != index)
		return vub_fail(err, "region index mismatch", 8);
	if (r.flags)
		return vub_fail(err, "flags not zero", 4);
	if (r.count > VUB_MAX_IO_FDS || r.argsz > argsz)
		return vub_fail(err, "more io fds than the bridge supports", 12);
	if (r.argsz < hsz + (size_t)r.count * esz)
		return vub_fail(err, "argsz smaller than the sub-regions", 0);
	if (len != hsz + (size_t)r.count * esz)
		return vub_fail(err, "reply size does not match the count", 12);
	for (i = 0; i < r.count; i++) {
		struct vfio_user_sub_region_ioeventfd e;
		size_t off = hsz + i * esz;
		struct vub_io_fd *o = &out[i];

		memcpy(&e, (const u8 *)p + off, esz);
		if (e.type > VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW)
			return vub_fail(err, "unknown io fd type", off + 20);
		if (e.flags & ~VUB_IOEVENTFD_DATAMATCH)
			return vub_fail(err, "unsupported io fd flags", off + 24);
		if (e.size != 1 && e.size != 2 && e.size != 4 && e.size != 8)
			return vub_fail(err, "io fd size not 1, 2, 4 or 8",
					off + 8);
		if (e.offset > region_size || e.size > region_size - e.offset)
			return vub_fail(err, "io fd outside the region", off);
		if (e.fd_index >= nr_fds)
			return vub_fail(err, "fd_index beyond the fds received",
					off + 16);
		if ((e.flags & VUB_IOEVENTFD_DATAMATCH) && e.size < 8 &&
		    (e.datamatch >> (e.size * 8)))
			return vub_fail(err, "data match wider than the size",
					off + 32);
		o->offset = e.offset;
		o->size = e.size;
		o->fd_index = e.fd_index;
		o->type = e.type;
		o->datamatch = e.flags & VUB_IOEVENTFD_DATAMATCH;
		o->data = o->datamatch ? e.datamatch : 0;
		for (j = 0; j < i; j++)
			if (vub_io_fds_overlap(&out[j], o))
				return vub_fail(err, "overlapping io fds", off);
	}
	*count = r.count;
	return 0;
}

size_t vub_build_device_info(struct vfio_user_device_info *req)
{
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	return sizeof(*req);
}

size_t vub_build_region_info(struct vfio_user_region_info *req, u32 index,
			     u32 argsz)
{
	memset(req, 0, sizeof(*req));
	req->argsz = argsz;
	req->index = index;
	return sizeof(*req);
}

size_t vub_build_irq_info(struct vfio_user_irq_info *req, u32 index)
{
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->index = index;
	return sizeof(*req);
}

int vub_check_device_info(const void *p, size_t len,
			  struct vfio_user_device_info *out,
			  struct vub_err *err)
{
	struct vfio_user_device_info d;

	if (len < sizeof(d))
		return vub_fail(err, "device info reply too short", len);
	if (len > sizeof(d))
		return vub_fail(err, "device info reply too long", sizeof(d));
	memcpy(&d, p, sizeof(d));
	if (d.argsz < sizeof(d))
		return vub_fail(err, "device info argsz too small", 0);
	if (d.flags & ~(VFIO_USER_DEVICE_FLAGS_RESET |
			VFIO_USER_DEVICE_FLAGS_PCI))
		return vub_fail(err, "unknown device flags", 4);
	if (d.num_regions > VUB_MAX_REGIONS)
		return vub_fail(err, "too many regions", 8);
	if (d.num_irqs > VUB_MAX_IRQ_INDEXES)
		return vub_fail(err, "too many irq indexes", 12);
	if (d.flags & VFIO_USER_DEVICE_FLAGS_PCI) {
		/* What QEMU's vfio-pci requires: config space, MSI-X. */
		if (d.num_regions <= VFIO_USER_PCI_CONFIG_REGION_INDEX)
			return vub_fail(err, "PCI device without config region",
					8);
		if (d.num_irqs <= VFIO_USER_PCI_MSIX_IRQ_INDEX)
			return vub_fail(err, "PCI device without MSI-X index",
					12);
	}
	*out = d;
	return 0;
}

static bool is_page_aligned(u64 v)
{
	return !(v & (VUB_PAGE_SIZE - 1));
}

/* Sparse areas: page aligned, non-empty, inside the region, disjoint. */
static int check_areas(const struct vub_region *r, const u32 *area_off,
		       struct vub_err *err)
{
	unsigned int i, j;

	for (i = 0; i < r->nr_areas; i++) {
		const struct vub_sparse_area *a = &r->areas[i];

		if (!is_page_aligned(a->offset) || !is_page_aligned(a->size))
			return vub_fail(err, "sparse area not page aligned",
					area_off[i]);
		if (!a->size)
			return vub_fail(err, "empty sparse area", area_off[i]);
		if (a->offset > r->size || a->size > r->size - a->offset)
			return vub_fail(err, "sparse area outside the region",
					area_off[i]);
		for (j = 0; j < i; j++) {
			const struct vub_sparse_area *b = &r->areas[j];

			if (a->offset < b->offset + b->size &&
			    b->offset < a->offset + a->size)
				return vub_fail(err, "overlapping sparse areas",
						area_off[i]);
		}
	}
	return 0;
}

int vub_check_region_info(u32 index, u32 argsz, const void *p, size_t len,
			  struct vub_region *out, u32 *needed,
			  struct vub_err *err)
{
	const u8 *b = p;
	struct vfio_user_region_info ri;
	struct vub_region r;
	u32 area_off[VUB_MAX_SPARSE_AREAS];
	u32 known = VFIO_USER_REGION_INFO_FLAG_READ |
		    VFIO_USER_REGION_INFO_FLAG_WRITE |
		    VFIO_USER_REGION_INFO_FLAG_MMAP |
		    VFIO_USER_REGION_INFO_FLAG_CAPS;
	u32 off, end, prev_end, i, link;
	unsigned int ncaps = 0;
	int ret;

	if (len < sizeof(ri))
		return vub_fail(err, "region info reply too short", len);
	memcpy(&ri, p, sizeof(ri));
	if (ri.index != index)
		return vub_fail(err, "region index mismatch", 8);
	if (ri.argsz < sizeof(ri))
		return vub_fail(err, "region info argsz too small", 0);
	if (ri.argsz > argsz) {
		/* Only the fixed part (possibly padded to our argsz). */
		if (ri.argsz > VUB_REGION_INFO_MAX_ARGSZ)
			return vub_fail(err, "region info argsz too large", 0);
		if (len > argsz)
			return vub_fail(err, "region info reply exceeds argsz",
					argsz);
		if (needed)
			*needed = ri.argsz;
		if (err) {
			err->msg = "region info needs a larger argsz";
			err->offset = 0;
		}
		return -EMSGSIZE;
	}
	if (len != ri.argsz)
		return vub_fail(err, "region info length differs from argsz",
				0);
	if (ri.flags & ~known)
		return vub_fail(err, "unknown region flags", 4);

	memset(&r, 0, sizeof(r));
	r.index = index;
	r.flags = ri.flags;
	r.size = ri.size;
	r.offset = ri.offset;

	if (ri.flags & VFIO_USER_REGION_INFO_FLAG_CAPS) {
		if (!ri.cap_offset)
			return vub_fail(err, "CAPS flag without cap_offset", 12);
	} else if (ri.cap_offset) {
		return vub_fail(err, "cap_offset without CAPS flag", 12);
	}

	/*
	 * Each capability must start at or after the end of the previous
	 * one (the first after the fixed part): offsets strictly increase,
	 * so the walk ends, and at most VUB_MAX_REGION_CAPS are accepted.
	 * Errors about where a capability is point at the link to it
	 * (cap_offset or the previous header's next).
	 */
	prev_end = sizeof(ri);
	off = ri.cap_offset;
	link = offsetof(struct vfio_user_region_info, cap_offset);
	while (off) {
		struct vfio_user_cap_header ch;
		u32 nr, rest;

		if (++ncaps > VUB_MAX_REGION_CAPS)
			return vub_fail(err, "too many region capabilities",
					link);
		if (off < prev_end)
			return vub_fail(err, off < sizeof(ri) ?
					"capability inside the fixed part" :
					"capability offsets not increasing",
					link);
		if (off & 7)
			return vub_fail(err, "misaligned capability", link);
		if (off > ri.argsz || ri.argsz - off < sizeof(ch))
			return vub_fail(err, "capability outside the reply",
					link);
		memcpy(&ch, b + off, sizeof(ch));
		rest = ri.argsz - off;

		switch (ch.id) {
		case VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP: {
			struct vfio_user_region_info_cap_sparse_mmap sm;
			struct vfio_user_sparse_mmap_area a;

			if (ch.version != 1)
				return vub_fail(err,
						"unsupported sparse mmap version",
						off);
			if (r.has_sparse)
				return vub_fail(err,
						"duplicate sparse mmap capability",
						off);
			if (rest < sizeof(sm))
				return vub_fail(err,
						"sparse mmap capability truncated",
						off);
			memcpy(&sm, b + off, sizeof(sm));
			nr = sm.nr_areas;
			if (nr > VUB_MAX_SPARSE_AREAS)
				return vub_fail(err, "too many sparse areas",
						off + 8);
			if ((rest - sizeof(sm)) / sizeof(a) < nr)
				return vub_fail(err,
						"sparse areas outside the reply",
						off + 8);
			for (i = 0; i < nr; i++) {
				area_off[i] = off + sizeof(sm) + i * sizeof(a);
				memcpy(&a, b + area_off[i], sizeof(a));
				r.areas[i].offset = a.offset;
				r.areas[i].size = a.size;
			}
			r.nr_areas = nr;
			r.has_sparse = true;
			end = off + sizeof(sm) + nr * sizeof(a);
			break;
		}
		case VFIO_USER_REGION_INFO_CAP_TYPE: {
			struct vfio_user_region_info_cap_type ct;

			if (ch.version != 1)
				return vub_fail(err,
						"unsupported type capability version",
						off);
			if (r.has_type)
				return vub_fail(err,
						"duplicate type capability",
						off);
			if (rest < sizeof(ct))
				return vub_fail(err,
						"type capability truncated",
						off);
			memcpy(&ct, b + off, sizeof(ct));
			r.has_type = true;
			r.type = ct.type;
			r.subtype = ct.subtype;
			end = off + sizeof(ct);
			break;
		}
		default:
			/* Unknown capabilities are skipped. */
			end = off + sizeof(ch);
			break;
		}
		prev_end = end;
		link = off + offsetof(struct vfio_user_cap_header, next);
		off = ch.next;
	}

	if (r.flags & VFIO_USER_REGION_INFO_FLAG_MMAP) {
		if (!is_page_aligned(r.offset))
			return vub_fail(err, "mmap offset not page aligned",
					24);
		if (r.size > U64_MAX - r.offset)
			return vub_fail(err, "region mmap range wraps", 16);
		if (!r.has_sparse && (!r.size || !is_page_aligned(r.size)))
			return vub_fail(err,
					"mmappable region size not page aligned",
					16);
	} else if (r.has_sparse) {
		return vub_fail(err, "sparse mmap capability without MMAP flag",
				4);
	}
	ret = check_areas(&r, area_off, err);
	if (ret)
		return ret;
	*out = r;
	return 0;
}

int vub_check_irq_info(u32 index, const void *p, size_t len,
		       struct vfio_user_irq_info *out, struct vub_err *err)
{
	struct vfio_user_irq_info ii;
	u32 known = VFIO_USER_IRQ_INFO_EVENTFD | VFIO_USER_IRQ_INFO_MASKABLE |
		    VFIO_USER_IRQ_INFO_AUTOMASKED |
		    VFIO_USER_IRQ_INFO_NORESIZE;

	if (len < sizeof(ii))
		return vub_fail(err, "irq info reply too short", len);
	if (len > sizeof(ii))
		return vub_fail(err, "irq info reply too long", sizeof(ii));
	memcpy(&ii, p, sizeof(ii));
	if (ii.argsz < sizeof(ii))
		return vub_fail(err, "irq info argsz too small", 0);
	if (ii.flags & ~known)
		return vub_fail(err, "unknown irq info flags", 4);
	if (ii.index != index)
		return vub_fail(err, "irq index mismatch", 8);
	if (ii.count > VUB_MAX_IRQ_COUNT)
		return vub_fail(err, "too many interrupts", 12);
	*out = ii;
	return 0;
}

/* ---- region access ------------------------------------------------- */

size_t vub_build_region_access(struct vfio_user_region_access *req,
			       u32 region, u64 offset, u32 count)
{
	memset(req, 0, sizeof(*req));
	req->offset = offset;
	req->region = region;
	req->count = count;
	return sizeof(*req);
}

static int check_access_echo(const struct vfio_user_region_access *req,
			     const struct vfio_user_region_access *a,
			     struct vub_err *err)
{
	if (a->offset != req->offset)
		return vub_fail(err, "region access offset mismatch", 0);
	if (a->region != req->region)
		return vub_fail(err, "region access region mismatch", 8);
	if (a->count > req->count)
		return vub_fail(err, "region access count above the request",
				12);
	return 0;
}

int vub_check_region_read_reply(const struct vfio_user_region_access *req,
				const void *p, size_t len, u32 *count,
				struct vub_err *err)
{
	struct vfio_user_region_access a;
	int ret;

	if (len < sizeof(a))
		return vub_fail(err, "region read reply too short", len);
	memcpy(&a, p, sizeof(a));
	ret = check_access_echo(req, &a, err);
	if (ret)
		return ret;
	if (len - sizeof(a) != a.count)
		return vub_fail(err, "region read data length differs from count",
				sizeof(a));
	*count = a.count;
	return 0;
}

int vub_check_region_write_reply(const struct vfio_user_region_access *req,
				 const void *p, size_t len, u32 *count,
				 struct vub_err *err)
{
	struct vfio_user_region_access a;
	int ret;

	if (len < sizeof(a))
		return vub_fail(err, "region write reply too short", len);
	if (len > sizeof(a))
		return vub_fail(err, "region write reply carries data",
				sizeof(a));
	memcpy(&a, p, sizeof(a));
	ret = check_access_echo(req, &a, err);
	if (ret)
		return ret;
	*count = a.count;
	return 0;
}

/* ---- DMA ----------------------------------------------------------- */

int vub_check_dma_request(u16 cmd, const void *p, size_t len, u32 max_xfer,
			  struct vub_err *err)
{
	struct vfio_user_dma_region_access d;

	if (cmd != VFIO_USER_DMA_READ && cmd != VFIO_USER_DMA_WRITE)
		return vub_fail(err, "not a DMA request", 0);
	if (len < sizeof(d))
		return vub_fail(err, "DMA request too short", len);
	memcpy(&d, p, sizeof(d));
	if (d.count && d.address > U64_MAX - (d.count - 1))
		return vub_fail(err, "DMA range wraps", 0);
	if (d.count > max_xfer) {
		if (err) {
			err->msg = "DMA count above max_data_xfer_size";
			err->offset = 8;
		}
		return -E2BIG;
	}
	if (cmd == VFIO_USER_DMA_READ && len != sizeof(d))
		return vub_fail(err, "DMA_READ request carries data",
				sizeof(d));
	if (cmd == VFIO_USER_DMA_WRITE && len - sizeof(d) != d.count)
		return vub_fail(err, "DMA_WRITE data length differs from count",
				sizeof(d));
	return 0;
}

size_t vub_build_dma_map(struct vfio_user_dma_map *req, u32 flags,
			 u64 offset, u64 iova, u64 size)
{
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = flags;
	req->offset = offset;
	req->address = iova;
	req->size = size;
	return sizeof(*req);
}

size_t vub_build_dma_unmap(struct vfio_user_dma_unmap *req, u32 flags,
			   u64 iova, u64 size)
{
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req);
	req->flags = flags;
	req->address = iova;
	req->size = size;
	return sizeof(*req);
}

size_t vub_build_set_irqs(struct vfio_user_irq_set *req, u32 flags,
			  u32 index, u32 start, u32 count, u32 data_len)
{
	memset(req, 0, sizeof(*req));
	req->argsz = sizeof(*req) + data_len;
	req->flags = flags;
	req->index = index;
	req->start = start;
	req->count = count;
	return sizeof(*req);
}

int vub_check_empty_reply(const void *p, size_t len, struct vub_err *err)
{
	if (len)
		return vub_fail(err, "unexpected reply payload", 0);
	return 0;
}

int vub_check_dma_unmap_reply(const struct vfio_user_dma_unmap *req,
			      const void *p, size_t len,
			      struct vub_err *err)
{
	struct vfio_user_dma_unmap u;

	if (!len)
		return 0;
	if (len != sizeof(u))
		return vub_fail(err, "DMA_UNMAP reply has the wrong size", 0);
	memcpy(&u, p, sizeof(u));
	if (u.address != req->address || u.size != req->size)
		return vub_fail(err, "DMA_UNMAP reply range mismatch", 8);
	return 0;
}

/* ---- names --------------------------------------------------------- */

static const char * const vub_cmd_names[VFIO_USER_MAX_COMMAND] = {
	[VFIO_USER_VERSION]			= "VERSION",
	[VFIO_USER_DMA_MAP]			= "DMA_MAP",
	[VFIO_USER_DMA_UNMAP]			= "DMA_UNMAP",
	[VFIO_USER_DEVICE_GET_INFO]		= "DEVICE_GET_INFO",
	[VFIO_USER_DEVICE_GET_REGION_INFO]	= "DEVICE_GET_REGION_INFO",
	[VFIO_USER_DEVICE_GET_REGION_IO_FDS]	= "DEVICE_GET_REGION_IO_FDS",
	[VFIO_USER_DEVICE_GET_IRQ_INFO]		= "DEVICE_GET_IRQ_INFO",
	[VFIO_USER_DEVICE_SET_IRQS]		= "DEVICE_SET_IRQS",
	[VFIO_USER_REGION_READ]			= "REGION_READ",
	[VFIO_USER_REGION_WRITE]		= "REGION_WRITE",
	[VFIO_USER_DMA_READ]			= "DMA_READ",
	[VFIO_USER_DMA_WRITE]			= "DMA_WRITE",
	[VFIO_USER_DEVICE_RESET]		= "DEVICE_RESET",
	[VFIO_USER_REGION_WRITE_MULTI]		= "REGION_WRITE_MULTI",
	[VFIO_USER_DEVICE_FEATURE]		= "DEVICE_FEATURE",
	[VFIO_USER_MIG_DATA_READ]		= "MIG_DATA_READ",
	[VFIO_USER_MIG_DATA_WRITE]		= "MIG_DATA_WRITE",
};

const char *vub_cmd_name(u16 cmd)
{
	if (cmd < ARRAY_SIZE(vub_cmd_names) && vub_cmd_names[cmd])
		return vub_cmd_names[cmd];
	return "UNKNOWN";
}
