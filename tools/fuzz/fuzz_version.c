// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: VERSION reply negotiation.  The first byte picks
 * our proposal (twin_socket / write_multiple); the rest is the reply
 * payload.  Negotiated values are checked against the documented
 * bounds.
 */
#include <linux/errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct vub_caps ours, neg;
	struct vub_err err = { 0 };
	u16 minor = 0xffff;
	u8 *p;
	int ret;

	if (!size)
		return 0;
	vub_caps_ours(&ours);
	ours.twin_socket = data[0] & 1;
	ours.write_multiple = data[0] & 2;
	size--;
	p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size);
	memset(&neg, 0xa5, sizeof(neg));

	ret = vub_version_check_reply(p, size, &ours, &neg, &minor, &err);
	if (ret) {
		CHECK(ret == -EPROTO);
		CHECK(err.msg != NULL);
		CHECK(err.offset <= size);
	} else {
		CHECK(minor <= VFIO_USER_MINOR);
		CHECK(neg.max_msg_fds >= 1 &&
		      neg.max_msg_fds <= ours.max_msg_fds);
		CHECK(neg.max_data_xfer_size >= VFIO_USER_MIN_MAX_XFER_SIZE &&
		      neg.max_data_xfer_size <= ours.max_data_xfer_size);
		CHECK(neg.pgsizes & VUB_PAGE_SIZE);
		CHECK(!(neg.pgsizes & ~ours.pgsizes));
		CHECK(neg.max_dma_maps >= 1 &&
		      neg.max_dma_maps <= ours.max_dma_maps);
		CHECK(!neg.twin_socket || ours.twin_socket);
		CHECK(!neg.twin_socket ||
		      neg.twin_fd_index < VFIO_USER_MAX_MAX_MSG_FDS);
		CHECK(!neg.write_multiple || ours.write_multiple);
	}

	free(p);
	return 0;
}
