// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: every message validator in proto.c and
 * mig_proto.c.  The first
 * input byte selects the validator, a fixed-size "request" part (when
 * the validator compares against a request) follows, the rest is the
 * hostile payload in an exactly sized heap buffer.  Accepted messages
 * are checked against the rules the validators promise.
 */
#include <linux/errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

enum {
	V_HEADER,
	V_REPLY_HEADER,
	V_DEVICE_INFO,
	V_REGION_INFO,
	V_IRQ_INFO,
	V_REGION_READ,
	V_REGION_WRITE,
	V_DMA_REQUEST,
	V_DMA_UNMAP_REPLY,
	V_EMPTY_REPLY,
	V_IO_FDS,
	V_MIGRATION,
	V_MIG_STATE_GET,
	V_MIG_STATE_SET,
	V_MIG_DATA_READ,
	V_MIG_DATA_WRITE,
	V_NR,
};

static void check_err(int ret, const struct vub_err *err, size_t len)
{
	if (ret < 0) {
		CHECK(err->msg != NULL);
		CHECK(err->offset <= len);
	}
}

static void check_region(const struct vub_region *r)
{
	u32 i, j;

	CHECK(r->nr_areas <= VUB_MAX_SPARSE_AREAS);
	CHECK(!r->nr_areas || r->has_sparse);
	CHECK(!r->has_sparse || (r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP));
	if (r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) {
		CHECK(!(r->offset % VUB_PAGE_SIZE));
		CHECK(r->offset + r->size >= r->offset);
		if (!r->has_sparse)
			CHECK(r->size && !(r->size % VUB_PAGE_SIZE));
	}
	for (i = 0; i < r->nr_areas; i++) {
		const struct vub_sparse_area *a = &r->areas[i];

		CHECK(a->size && !(a->size % VUB_PAGE_SIZE));
		CHECK(!(a->offset % VUB_PAGE_SIZE));
		CHECK(a->offset + a->size >= a->offset);
		CHECK(a->offset + a->size <= r->size);
		for (j = 0; j < i; j++)
			CHECK(a->offset >= r->areas[j].offset + r->areas[j].size ||
			      r->areas[j].offset >= a->offset + a->size);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct vub_err err = { 0 };
	const u8 *in;
	size_t fixed = 0, len;
	u8 sel;
	u8 *p;
	int ret;

	if (size < 1)
		return 0;
	sel = data[0] % V_NR;
	in = data + 1;
	size--;

	switch (sel) {
	case V_REPLY_HEADER:
		fixed = sizeof(struct vfio_user_header);
		break;
	case V_REGION_INFO:
		fixed = 8;	/* index, argsz */
		break;
	case V_IRQ_INFO:
		fixed = 4;	/* index */
		break;
	case V_REGION_READ:
	case V_REGION_WRITE:
		fixed = sizeof(struct vfio_user_region_access);
		break;
	case V_DMA_REQUEST:
		fixed = 6;	/* cmd, max_xfer */
		break;
	case V_DMA_UNMAP_REPLY:
		fixed = sizeof(struct vfio_user_dma_unmap);
		break;
	case V_IO_FDS:
		fixed = 5;	/* index, nr_fds */
		break;
	case V_MIG_STATE_SET:
		fixed = 4;	/* the state set */
		break;
	case V_MIG_DATA_READ:
		fixed = 4;	/* the bytes requested */
		break;
	}
	if (size < fixed)
		return 0;
	len = size - fixed;
	p = malloc(len ? len : 1);
	if (!p)
		return 0;
	memcpy(p, in + fixed, len);

	switch (sel) {
	case V_HEADER: {
		struct vfio_user_header h;
		u32 max = 1 << 20;

		if (len < sizeof(h))
			break;
		memcpy(&h, p, sizeof(h));
		ret = vub_check_header(&h, max, &err);
		check_err(ret, &err, sizeof(h));
		if (ret >= 0) {
			CHECK(ret == VFIO_USER_F_TYPE_COMMAND ||
			      ret == VFIO_USER_F_TYPE_REPLY);
			CHECK(h.msg_size >= sizeof(h) && h.msg_size <= max);
			CHECK(!(h.flags & ~VFIO_USER_F_KNOWN));
			/* An error reply may carry a payload (ignored). */
			if (!(h.flags & VFIO_USER_F_ERROR))
				CHECK(!h.error_no);
		}
		break;
	}
	case V_REPLY_HEADER: {
		struct vfio_user_header req, rep;
		int e = 0;

		if (len < sizeof(rep))
			break;
		memcpy(&req, in, sizeof(req));
		memcpy(&rep, p, sizeof(rep));
		ret = vub_check_reply_header(&req, &rep, &e, &err);
		check_err(ret, &err, sizeof(rep));
		CHECK(ret == 0 || ret == 1 || ret == -EPROTO);
		if (ret == 1)
			CHECK(e >= 1 && e <= VFIO_USER_MAX_ERRNO);
		if (ret >= 0)
			CHECK(rep.msg_id == req.msg_id && rep.cmd == req.cmd);
		break;
	}
	case V_DEVICE_INFO: {
		struct vfio_user_device_info d;

		ret = vub_check_device_info(p, len, &d, &err);
		check_err(ret, &err, len);
		if (!ret)
			CHECK(d.num_regions <= VUB_MAX_REGIONS &&
			      d.num_irqs <= VUB_MAX_IRQ_INDEXES);
		break;
	}
	case V_REGION_INFO: {
		struct vub_region r;
		u32 index, argsz, needed = 0;

		memcpy(&index, in, 4);
		memcpy(&argsz, in + 4, 4);
		/* Mostly the argsz the bridge uses, sometimes anything. */
		if (!(argsz & 0x80000000))
			argsz = VUB_REGION_INFO_ARGSZ;
		else
			argsz &= 0xffff;
		memset(&r, 0x5a, sizeof(r));
		ret = vub_check_region_info(index, argsz, p, len, &r, &needed,
					    &err);
		check_err(ret, &err, len);
		if (ret == -EMSGSIZE)
			CHECK(needed > argsz &&
			      needed <= VUB_REGION_INFO_MAX_ARGSZ);
		else if (!ret)
			check_region(&r);
		else
			CHECK(ret == -EPROTO);
		break;
	}
	case V_IRQ_INFO: {
		struct vfio_user_irq_info ii;
		u32 index;

		memcpy(&index, in, 4);
		ret = vub_check_irq_info(index, p, len, &ii, &err);
		check_err(ret, &err, len);
		if (!ret)
			CHECK(ii.index == index && ii.count <= VUB_MAX_IRQ_COUNT);
		break;
	}
	case V_REGION_READ:
	case V_REGION_WRITE: {
		struct vfio_user_region_access req;
		u32 count = 0;

		memcpy(&req, in, sizeof(req));
		if (sel == V_REGION_READ)
			ret = vub_check_region_read_reply(&req, p, len, &count,
							  &err);
		else
			ret = vub_check_region_write_reply(&req, p, len, &count,
							   &err);
		check_err(ret, &err, len);
		if (!ret) {
			CHECK(count <= req.count);
			CHECK(len == sizeof(req) +
			      (sel == V_REGION_READ ? count : 0));
		}
		break;
	}
	case V_DMA_REQUEST: {
		struct vfio_user_dma_region_access d;
		u16 cmd;
		u32 max;

		memcpy(&cmd, in, 2);
		memcpy(&max, in + 2, 4);
		/* Mostly DMA commands and realistic limits. */
		if (!(cmd & 0x8000))
			cmd = cmd & 1 ? VFIO_USER_DMA_WRITE : VFIO_USER_DMA_READ;
		if (!(max & 0x80000000))
			max = max % (VFIO_USER_MAX_MAX_XFER_SIZE + 1);
		ret = vub_check_dma_request(cmd, p, len, max, &err);
		check_err(ret, &err, len);
		CHECK(ret == 0 || ret == -EPROTO || ret == -E2BIG);
		if (!ret) {
			memcpy(&d, p, sizeof(d));
			CHECK(d.count <= max);
			CHECK(!d.count || d.address + (d.count - 1) >= d.address);
			CHECK(len == sizeof(d) +
			      (cmd == VFIO_USER_DMA_WRITE ? d.count : 0));
		}
		break;
	}
	case V_DMA_UNMAP_REPLY: {
		struct vfio_user_dma_unmap req;

		memcpy(&req, in, sizeof(req));
		ret = vub_check_dma_unmap_reply(&req, p, len, &err);
		check_err(ret, &err, len);
		if (!ret)
			CHECK(!len || len == sizeof(req));
		break;
	}
	case V_EMPTY_REPLY:
		ret = vub_check_empty_reply(p, len, &err);
		check_err(ret, &err, len);
		CHECK(!ret == !len);
		if (len >= 2) {
			u16 cmd;

			memcpy(&cmd, p, 2);
			CHECK(vub_cmd_name(cmd) != NULL);
		}
		break;
	case V_IO_FDS: {
		struct vub_io_fd io[VUB_MAX_IO_FDS];
		u32 index, count, i, j;
		u8 nr_fds = in[4] % (VUB_MAX_IO_FDS + 2);

		memcpy(&index, in, 4);
		index %= 4;
		ret = vub_check_region_io_fds(index, VUB_IO_FDS_ARGSZ, p, len,
					      0x1000, nr_fds, io, &count, &err);
		check_err(ret, &err, len);
		if (ret) {
			CHECK(count == 0);
			break;
		}
		CHECK(count <= VUB_MAX_IO_FDS);
		for (i = 0; i < count; i++) {
			CHECK(io[i].size == 1 || io[i].size == 2 ||
			      io[i].size == 4 || io[i].size == 8);
			CHECK(io[i].offset + io[i].size <= 0x1000);
			CHECK(io[i].fd_index < nr_fds);
			for (j = 0; j < i; j++)
				CHECK(io[i].offset >= io[j].offset + io[j].size ||
				      io[j].offset >= io[i].offset + io[i].size ||
				      (io[i].offset == io[j].offset &&
				       io[i].size == io[j].size &&
				       io[i].datamatch && io[j].datamatch &&
				       io[i].data != io[j].data));
		}
		break;
	}
	case V_MIGRATION: {
		u64 flags = 0x5a;

		ret = vub_check_migration_reply(p, len, &flags, &err);
		check_err(ret, &err, len);
		CHECK(ret == 0 || ret == -EPROTO);
		if (!ret) {
			struct vub_mig_feature f;

			CHECK(len == sizeof(f));
			memcpy(&f, p, sizeof(f));
			CHECK(f.f.argsz == len && flags == f.mig.flags);
		} else {
			CHECK(flags == 0x5a);
		}
		break;
	}
	case V_MIG_STATE_GET: {
		u32 state = 0x5a;

		ret = vub_check_mig_state_get_reply(p, len, &state, &err);
		check_err(ret, &err, len);
		CHECK(ret == 0 || ret == -EPROTO);
		if (!ret)
			CHECK(len == sizeof(struct vub_mig_feature) &&
			      vub_mig_state_supported(state) &&
			      state <= VFIO_USER_DEVICE_STATE_RESUMING);
		else
			CHECK(state == 0x5a);
		break;
	}
	case V_MIG_STATE_SET: {
		struct vub_mig_feature f;
		u32 state;

		memcpy(&state, in, 4);
		/* Mostly the states the bridge sets. */
		if (!(state & 0x80000000))
			state = 1 + state % 4;
		ret = vub_check_mig_state_set_reply(state, p, len, &err);
		check_err(ret, &err, len);
		CHECK(ret == 0 || ret == -EPROTO);
		if (!ret && len) {
			CHECK(len == sizeof(f));
			memcpy(&f, p, sizeof(f));
			CHECK(f.st.device_state == state);
		}
		break;
	}
	case V_MIG_DATA_READ: {
		struct vfio_user_mig_data h;
		u32 want, got = 0x5a5a5a5a;

		memcpy(&want, in, 4);
		/* Mostly lengths that fit the input. */
		if (!(want & 0x80000000))
			want %= 4096;
		ret = vub_check_mig_data_read_reply(want, p, len, &got, &err);
		check_err(ret, &err, len);
		CHECK(ret == 0 || ret == -EPROTO);
		if (!ret) {
			memcpy(&h, p, sizeof(h));
			CHECK(got == h.size && got <= want);
			CHECK(h.argsz == sizeof(h) + got);
			/* The data the caller copies lies in the reply. */
			CHECK(sizeof(h) + (size_t)got <= len);
			CHECK(len == h.argsz || len == sizeof(h) + (size_t)want);
		} else {
			CHECK(got == 0x5a5a5a5a);
		}
		break;
	}
	case V_MIG_DATA_WRITE:
		ret = vub_check_mig_data_write_reply(p, len, &err);
		check_err(ret, &err, len);
		CHECK(!ret == !len);
		break;
	}
	free(p);
	return 0;
}
