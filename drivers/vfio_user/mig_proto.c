// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-user message layer, migration: request builders and validators
 * for the replies to DEVICE_FEATURE (MIGRATION, MIG_DEVICE_STATE),
 * MIG_DATA_READ and MIG_DATA_WRITE, and the stop-copy length the bridge
 * reports (see proto.h).
 *
 * Pure code like proto.c: no VFIO, mm, socket or allocation
 * dependencies; built unchanged for UML KUnit and the fuzzers.  Every
 * input buffer is hostile and may be unaligned.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "proto.h"

static int vub_mig_fail(struct vub_err *err, const char *msg, size_t off)
{
	if (err) {
		err->msg = msg;
		err->offset = off;
	}
	return -EPROTO;
}

size_t vub_build_mig_feature(struct vub_mig_feature *req, u32 flags,
			     u32 state)
{
	memset(req, 0, sizeof(*req));
	req->f.argsz = sizeof(*req);
	req->f.flags = flags;
	req->st.device_state = state;
	return sizeof(*req);
}

size_t vub_build_mig_data(struct vfio_user_mig_data *req, u32 size)
{
	req->argsz = sizeof(*req) + size;
	req->size = size;
	return sizeof(*req);
}

bool vub_mig_state_supported(u32 state)
{
	switch (state) {
	case VFIO_USER_DEVICE_STATE_ERROR:
	case VFIO_USER_DEVICE_STATE_STOP:
	case VFIO_USER_DEVICE_STATE_RUNNING:
	case VFIO_USER_DEVICE_STATE_STOP_COPY:
	case VFIO_USER_DEVICE_STATE_RESUMING:
		return true;
	}
	return false;
}

/*
 * A DEVICE_FEATURE reply with data: exactly the header and 8 bytes,
 * argsz the reply's length, the request's flags echoed.  Fills @out.
 */
static int check_feature(const void *p, size_t len, u32 flags,
			 struct vub_mig_feature *out, struct vub_err *err)
{
	if (len != sizeof(*out))
		return vub_mig_fail(err, "DEVICE_FEATURE reply length", 0);
	memcpy(out, p, sizeof(*out));
	if (out->f.argsz != len)
		return vub_mig_fail(err,
				    "DEVICE_FEATURE argsz is not the reply length",
				    0);
	if (out->f.flags != flags)
		return vub_mig_fail(err, "DEVICE_FEATURE flags not echoed", 4);
	return 0;
}

int vub_check_migration_reply(const void *p, size_t len, u64 *mig_flags,
			      struct vub_err *err)
{
	struct vub_mig_feature rep;
	int ret;

	ret = check_feature(p, len, VFIO_USER_DEVICE_FEATURE_GET |
			    VFIO_USER_DEVICE_FEATURE_MIGRATION, &rep, err);
	if (ret)
		return ret;
	*mig_flags = rep.mig.flags;
	return 0;
}

int vub_check_mig_state_get_reply(const void *p, size_t len, u32 *state,
				  struct vub_err *err)
{
	struct vub_mig_feature rep;
	int ret;

	ret = check_feature(p, len, VFIO_USER_DEVICE_FEATURE_GET |
			    VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, &rep,
			    err);
	if (ret)
		return ret;
	if (!vub_mig_state_supported(rep.st.device_state))
		return vub_mig_fail(err, "unknown or unsupported device_state",
				    8);
	*state = rep.st.device_state;
	return 0;
}

int vub_check_mig_state_set_reply(u32 state, const void *p, size_t len,
				  struct vub_err *err)
{
	struct vub_mig_feature rep;
	int ret;

	if (!len)
		return 0;
	ret = check_feature(p, len, VFIO_USER_DEVICE_FEATURE_SET |
			    VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, &rep,
			    err);
	if (ret)
		return ret;
	/* libvfio-user echoes the request: it must name our state. */
	if (rep.st.device_state != state)
		return vub_mig_fail(err, "device_state not the one requested",
				    8);
	return 0;
}

int vub_check_mig_data_read_reply(u32 want, const void *p, size_t len,
				  u32 *size, struct vub_err *err)
{
	struct vfio_user_mig_data rep;

	if (len < sizeof(rep))
		return vub_mig_fail(err,
				    "MIG_DATA_READ reply shorter than its header",
				    0);
	memcpy(&rep, p, sizeof(rep));
	if (rep.size > want)
		return vub_mig_fail(err,
				    "MIG_DATA_READ returned more than requested",
				    4);
	if (rep.argsz != sizeof(rep) + rep.size)
		return vub_mig_fail(err,
				    "MIG_DATA_READ argsz does not match its size",
				    0);
	/* libvfio-user pads a short read to the requested length. */
	if (len != rep.argsz && len != sizeof(rep) + (size_t)want)
		return vub_mig_fail(err,
				    "MIG_DATA_READ reply length is neither argsz nor requested",
				    0);
	*size = rep.size;
	return 0;
}

int vub_check_mig_data_write_reply(const void *p, size_t len,
				   struct vub_err *err)
{
	if (len)
		return vub_mig_fail(err, "MIG_DATA_WRITE reply has a payload",
				    0);
	return 0;
}

u64 vub_mig_stop_copy_length(u64 last_stream_len, u32 xfer)
{
	if (last_stream_len)
		return last_stream_len;
	return xfer ? xfer : 1;
}
