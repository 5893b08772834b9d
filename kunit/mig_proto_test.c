// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the migration message validators
 * (drivers/vfio_user/mig_proto.c): the DEVICE_FEATURE MIGRATION and
 * MIG_DEVICE_STATE replies, MIG_DATA_READ and MIG_DATA_WRITE replies,
 * and the stop-copy length.  Every field a reply carries is corrupted
 * once; each good form a server may send is accepted.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "proto.h"

#define MF_GET_MIG	(VFIO_USER_DEVICE_FEATURE_GET | \
			 VFIO_USER_DEVICE_FEATURE_MIGRATION)
#define MF_GET_STATE	(VFIO_USER_DEVICE_FEATURE_GET | \
			 VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE)
#define MF_SET_STATE	(VFIO_USER_DEVICE_FEATURE_SET | \
			 VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE)

static void expect_bad(struct kunit *test, int ret, const struct vub_err *err,
		       const char *msg, size_t offset)
{
	KUNIT_EXPECT_EQ(test, ret, -EPROTO);
	if (ret == -EPROTO) {
		KUNIT_ASSERT_NOT_NULL(test, err->msg);
		KUNIT_EXPECT_STREQ(test, err->msg, msg);
		KUNIT_EXPECT_EQ(test, err->offset, offset);
	}
}

static void feature(struct vub_mig_feature *f, u32 flags, u64 data)
{
	memset(f, 0, sizeof(*f));
	f->f.argsz = sizeof(*f);
	f->f.flags = flags;
	f->mig.flags = data;
}

/* ---- builders ------------------------------------------------------ */

static void mig_test_builders(struct kunit *test)
{
	struct vub_mig_feature f;
	struct vfio_user_mig_data d;

	memset(&f, 0xff, sizeof(f));
	KUNIT_EXPECT_EQ(test, vub_build_mig_feature(&f, MF_SET_STATE,
						    VFIO_USER_DEVICE_STATE_STOP),
			(size_t)16);
	KUNIT_EXPECT_EQ(test, f.f.argsz, 16U);
	KUNIT_EXPECT_EQ(test, f.f.flags, (u32)MF_SET_STATE);
	KUNIT_EXPECT_EQ(test, f.st.device_state,
			(u32)VFIO_USER_DEVICE_STATE_STOP);
	KUNIT_EXPECT_EQ(test, f.st.data_fd, 0U);

	KUNIT_EXPECT_EQ(test, vub_build_mig_data(&d, 4096), (size_t)8);
	KUNIT_EXPECT_EQ(test, d.argsz, 8U + 4096);
	KUNIT_EXPECT_EQ(test, d.size, 4096U);
	vub_build_mig_data(&d, 0);
	KUNIT_EXPECT_EQ(test, d.argsz, 8U);
	KUNIT_EXPECT_EQ(test, d.size, 0U);
}

/* ---- DEVICE_FEATURE MIGRATION (GET) -------------------------------- */

static void mig_test_migration_reply(struct kunit *test)
{
	struct vub_mig_feature f;
	struct vub_err err = { };
	u8 buf[sizeof(f) + 1] = { };
	u64 flags = 0;

	/* Accepted, flags returned unchecked (any bits; none at all). */
	feature(&f, MF_GET_MIG, VFIO_USER_MIGRATION_STOP_COPY);
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(&f, sizeof(f), &flags,
							&err), 0);
	KUNIT_EXPECT_EQ(test, flags, (u64)VFIO_USER_MIGRATION_STOP_COPY);
	feature(&f, MF_GET_MIG, VFIO_USER_MIGRATION_STOP_COPY |
		VFIO_USER_MIGRATION_P2P | VFIO_USER_MIGRATION_PRE_COPY);
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(&f, sizeof(f), &flags,
							&err), 0);
	KUNIT_EXPECT_EQ(test, flags, 7ULL);
	feature(&f, MF_GET_MIG, 0);
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(&f, sizeof(f), &flags,
							&err), 0);
	KUNIT_EXPECT_EQ(test, flags, 0ULL);
	feature(&f, MF_GET_MIG, U64_MAX);
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(&f, sizeof(f), &flags,
							&err), 0);
	KUNIT_EXPECT_EQ(test, flags, U64_MAX);

	/* Unaligned input. */
	feature(&f, MF_GET_MIG, 1);
	memcpy(buf + 1, &f, sizeof(f));
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(buf + 1, sizeof(f),
							&flags, &err), 0);
	KUNIT_EXPECT_EQ(test, flags, 1ULL);

	/* Lengths: empty, header only, one short, one long. */
	flags = 0x5a;
	expect_bad(test, vub_check_migration_reply(&f, 0, &flags, &err), &err,
		   "DEVICE_FEATURE reply length", 0);
	expect_bad(test, vub_check_migration_reply(&f, 8, &flags, &err), &err,
		   "DEVICE_FEATURE reply length", 0);
	expect_bad(test, vub_check_migration_reply(&f, 15, &flags, &err), &err,
		   "DEVICE_FEATURE reply length", 0);
	expect_bad(test, vub_check_migration_reply(buf, 17, &flags, &err),
		   &err, "DEVICE_FEATURE reply length", 0);
	/* argsz. */
	f.f.argsz = 8;
	expect_bad(test, vub_check_migration_reply(&f, sizeof(f), &flags,
						   &err), &err,
		   "DEVICE_FEATURE argsz is not the reply length", 0);
	f.f.argsz = 17;
	expect_bad(test, vub_check_migration_reply(&f, sizeof(f), &flags,
						   &err), &err,
		   "DEVICE_FEATURE argsz is not the reply length", 0);
	/* flags: another feature, SET instead of GET, extra bits. */
	feature(&f, MF_GET_STATE, 1);
	expect_bad(test, vub_check_migration_reply(&f, sizeof(f), &flags,
						   &err), &err,
		   "DEVICE_FEATURE flags not echoed", 4);
	feature(&f, VFIO_USER_DEVICE_FEATURE_SET |
		VFIO_USER_DEVICE_FEATURE_MIGRATION, 1);
	expect_bad(test, vub_check_migration_reply(&f, sizeof(f), &flags,
						   &err), &err,
		   "DEVICE_FEATURE flags not echoed", 4);
	feature(&f, MF_GET_MIG | VFIO_USER_DEVICE_FEATURE_PROBE, 1);
	expect_bad(test, vub_check_migration_reply(&f, sizeof(f), &flags,
						   &err), &err,
		   "DEVICE_FEATURE flags not echoed", 4);
	/* Nothing returned on failure. */
	KUNIT_EXPECT_EQ(test, flags, 0x5aULL);
}

/* ---- MIG_DEVICE_STATE GET ------------------------------------------ */

static void mig_test_state_get_reply(struct kunit *test)
{
	static const u32 good[] = {
		VFIO_USER_DEVICE_STATE_ERROR, VFIO_USER_DEVICE_STATE_STOP,
		VFIO_USER_DEVICE_STATE_RUNNING,
		VFIO_USER_DEVICE_STATE_STOP_COPY,
		VFIO_USER_DEVICE_STATE_RESUMING,
	};
	static const u32 bad[] = {
		VFIO_USER_DEVICE_STATE_RUNNING_P2P,
		VFIO_USER_DEVICE_STATE_PRE_COPY,
		VFIO_USER_DEVICE_STATE_PRE_COPY_P2P, 8, 0x80000000, U32_MAX,
	};
	struct vub_mig_feature f;
	struct vub_err err = { };
	u32 state, i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		vub_build_mig_feature(&f, MF_GET_STATE, good[i]);
		f.st.data_fd = U32_MAX;		/* unused, ignored */
		state = 0x5a;
		ret = vub_check_mig_state_get_reply(&f, sizeof(f), &state,
						    &err);
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, state, good[i]);
		KUNIT_EXPECT_TRUE(test, vub_mig_state_supported(good[i]));
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		vub_build_mig_feature(&f, MF_GET_STATE, bad[i]);
		state = 0x5a;
		expect_bad(test, vub_check_mig_state_get_reply(&f, sizeof(f),
							       &state, &err),
			   &err, "unknown or unsupported device_state", 8);
		KUNIT_EXPECT_EQ(test, state, 0x5aU);
		KUNIT_EXPECT_FALSE(test, vub_mig_state_supported(bad[i]));
	}
	vub_build_mig_feature(&f, MF_GET_STATE, VFIO_USER_DEVICE_STATE_STOP);
	/* A GET must carry the state: empty is a violation. */
	expect_bad(test, vub_check_mig_state_get_reply(&f, 0, &state, &err),
		   &err, "DEVICE_FEATURE reply length", 0);
	expect_bad(test, vub_check_mig_state_get_reply(&f, 12, &state, &err),
		   &err, "DEVICE_FEATURE reply length", 0);
	f.f.argsz = 0;
	expect_bad(test, vub_check_mig_state_get_reply(&f, sizeof(f), &state,
						       &err),
		   &err, "DEVICE_FEATURE argsz is not the reply length", 0);
	vub_build_mig_feature(&f, MF_SET_STATE, VFIO_USER_DEVICE_STATE_STOP);
	expect_bad(test, vub_check_mig_state_get_reply(&f, sizeof(f), &state,
						       &err),
		   &err, "DEVICE_FEATURE flags not echoed", 4);
	vub_build_mig_feature(&f, MF_GET_MIG, VFIO_USER_DEVICE_STATE_STOP);
	expect_bad(test, vub_check_mig_state_get_reply(&f, sizeof(f), &state,
						       &err),
		   &err, "DEVICE_FEATURE flags not echoed", 4);
}

/* ---- MIG_DEVICE_STATE SET ------------------------------------------ */

static void mig_test_state_set_reply(struct kunit *test)
{
	const u32 stop = VFIO_USER_DEVICE_STATE_STOP;
	const u32 run = VFIO_USER_DEVICE_STATE_RUNNING;
	struct vub_mig_feature f;
	struct vub_err err = { };
	int ret;
	u32 s;

	/* Empty (the spec) or the request echoed (libvfio-user). */
	for (s = VFIO_USER_DEVICE_STATE_STOP;
	     s <= VFIO_USER_DEVICE_STATE_RESUMING; s++) {
		KUNIT_EXPECT_EQ(test, vub_check_mig_state_set_reply(s, NULL, 0,
								    &err), 0);
		vub_build_mig_feature(&f, MF_SET_STATE, s);
		ret = vub_check_mig_state_set_reply(s, &f, sizeof(f), &err);
		KUNIT_EXPECT_EQ(test, ret, 0);
	}
	/* Another state than the one set. */
	vub_build_mig_feature(&f, MF_SET_STATE, stop);
	expect_bad(test, vub_check_mig_state_set_reply(run, &f, sizeof(f),
						       &err),
		   &err, "device_state not the one requested", 8);
	vub_build_mig_feature(&f, MF_SET_STATE, VFIO_USER_DEVICE_STATE_ERROR);
	expect_bad(test, vub_check_mig_state_set_reply(stop, &f, sizeof(f),
						       &err),
		   &err, "device_state not the one requested", 8);
	/* Lengths, argsz, flags. */
	vub_build_mig_feature(&f, MF_SET_STATE, stop);
	expect_bad(test, vub_check_mig_state_set_reply(stop, &f, 1, &err),
		   &err, "DEVICE_FEATURE reply length", 0);
	expect_bad(test, vub_check_mig_state_set_reply(stop, &f, 8, &err),
		   &err, "DEVICE_FEATURE reply length", 0);
	f.f.argsz = 8;
	expect_bad(test, vub_check_mig_state_set_reply(stop, &f, sizeof(f),
						       &err),
		   &err, "DEVICE_FEATURE argsz is not the reply length", 0);
	vub_build_mig_feature(&f, MF_GET_STATE, stop);
	expect_bad(test, vub_check_mig_state_set_reply(stop, &f, sizeof(f),
						       &err),
		   &err, "DEVICE_FEATURE flags not echoed", 4);
}

/* ---- MIG_DATA_READ ------------------------------------------------- */

#define WANT	64

struct rd_case {
	const char *name;
	u32 argsz, size;
	size_t len;		/* reply length, header included */
	int ret;
	const char *msg;
	size_t offset;
};

static const struct rd_case rd_cases[] = {
	{ "full read", 8 + WANT, WANT, 8 + WANT, 0 },
	{ "short read, exact length", 8 + 10, 10, 8 + 10, 0 },
	{ "short read, padded to the request", 8 + 10, 10, 8 + WANT, 0 },
	{ "one byte", 9, 1, 9, 0 },
	{ "end of stream, header only", 8, 0, 8, 0 },
	{ "end of stream, padded", 8, 0, 8 + WANT, 0 },
	{ "empty reply", 8, 0, 0, -EPROTO,
	  "MIG_DATA_READ reply shorter than its header", 0 },
	{ "shorter than the header", 8, 0, 7, -EPROTO,
	  "MIG_DATA_READ reply shorter than its header", 0 },
	{ "size above the request", 8 + WANT + 1, WANT + 1, 8 + WANT + 1,
	  -EPROTO, "MIG_DATA_READ returned more than requested", 4 },
	{ "size huge", 8, U32_MAX, 8 + WANT, -EPROTO,
	  "MIG_DATA_READ returned more than requested", 4 },
	{ "argsz below size", 8 + 9, 10, 8 + 10, -EPROTO,
	  "MIG_DATA_READ argsz does not match its size", 0 },
	{ "argsz above size", 8 + 11, 10, 8 + 11, -EPROTO,
	  "MIG_DATA_READ argsz does not match its size", 0 },
	{ "argsz zero", 0, 0, 8, -EPROTO,
	  "MIG_DATA_READ argsz does not match its size", 0 },
	{ "argsz wraps", U32_MAX, U32_MAX - 7, 8 + WANT, -EPROTO,
	  "MIG_DATA_READ returned more than requested", 4 },
	{ "data missing", 8 + 10, 10, 8 + 9, -EPROTO,
	  "MIG_DATA_READ reply length is neither argsz nor requested", 0 },
	{ "data beyond size", 8 + 10, 10, 8 + 11, -EPROTO,
	  "MIG_DATA_READ reply length is neither argsz nor requested", 0 },
	{ "longer than the request", 8 + 10, 10, 8 + WANT + 1, -EPROTO,
	  "MIG_DATA_READ reply length is neither argsz nor requested", 0 },
	{ "end of stream with data", 8, 0, 9, -EPROTO,
	  "MIG_DATA_READ reply length is neither argsz nor requested", 0 },
};

static void rd_case_desc(const struct rd_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rd, rd_cases, rd_case_desc);

static void mig_test_data_read_reply(struct kunit *test)
{
	const struct rd_case *c = test->param_value;
	struct vfio_user_mig_data h = { .argsz = c->argsz, .size = c->size };
	struct vub_err err = { };
	u32 got = 0x5a;
	u8 *buf;
	int ret;

	/* Exactly @len bytes (+1 for an unaligned start), so KASAN sees. */
	buf = kunit_kzalloc(test, c->len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf + 1, &h, min(c->len, sizeof(h)));
	ret = vub_check_mig_data_read_reply(WANT, buf + 1, c->len, &got, &err);
	if (c->ret) {
		expect_bad(test, ret, &err, c->msg, c->offset);
		KUNIT_EXPECT_EQ(test, got, 0x5aU);
	} else {
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, got, c->size);
	}
}

static void mig_test_data_read_bounds(struct kunit *test)
{
	struct vfio_user_mig_data h = { .argsz = 8, .size = 0 };
	const u32 max = VUB_OUR_MAX_XFER_SIZE;
	struct vub_err err = { };
	u32 got;

	/* want 0 (never sent) only admits the end of the stream. */
	KUNIT_EXPECT_EQ(test, vub_check_mig_data_read_reply(0, &h, 8, &got,
							    &err), 0);
	KUNIT_EXPECT_EQ(test, got, 0U);
	h.argsz = 9;
	h.size = 1;
	expect_bad(test, vub_check_mig_data_read_reply(0, &h, 9, &got, &err),
		   &err, "MIG_DATA_READ returned more than requested", 4);
	/* The largest transfer the bridge proposes. */
	h.argsz = 8 + max;
	h.size = max;
	KUNIT_EXPECT_EQ(test, vub_check_mig_data_read_reply(max, &h, 8 + max,
							    &got, &err), 0);
	KUNIT_EXPECT_EQ(test, got, max);
	/* The length check cannot wrap for a want near U32_MAX. */
	h.argsz = 8;
	h.size = 0;
	expect_bad(test, vub_check_mig_data_read_reply(U32_MAX, &h, 7, &got,
						       &err),
		   &err, "MIG_DATA_READ reply shorter than its header", 0);
	KUNIT_EXPECT_EQ(test, vub_check_mig_data_read_reply(U32_MAX, &h, 8,
							    &got, &err), 0);
}

/* ---- MIG_DATA_WRITE, stop-copy length ------------------------------ */

static void mig_test_data_write_reply(struct kunit *test)
{
	struct vfio_user_mig_data d = { .argsz = 8, .size = 0 };
	struct vub_err err = { };

	KUNIT_EXPECT_EQ(test, vub_check_mig_data_write_reply(NULL, 0, &err),
			0);
	/* Echoing the request's header is not allowed either. */
	expect_bad(test, vub_check_mig_data_write_reply(&d, sizeof(d), &err),
		   &err, "MIG_DATA_WRITE reply has a payload", 0);
	expect_bad(test, vub_check_mig_data_write_reply(&d, 1, &err),
		   &err, "MIG_DATA_WRITE reply has a payload", 0);
}

static void mig_test_stop_copy_length(struct kunit *test)
{
	/* Before any save: one message's worth; never 0. */
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(0, 0x100000),
			0x100000ULL);
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(0, 1), 1ULL);
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(0, 0), 1ULL);
	/* After one: its length, smaller or larger than a message. */
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(1, 0x100000), 1ULL);
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(0x12345678, 4096),
			0x12345678ULL);
	KUNIT_EXPECT_EQ(test, vub_mig_stop_copy_length(U64_MAX, 0), U64_MAX);
}

static void mig_test_null_err(struct kunit *test)
{
	struct vub_mig_feature f;
	u64 flags;
	u32 v;

	/* A NULL @err is allowed, as for proto.c's validators. */
	feature(&f, 0, 0);
	KUNIT_EXPECT_EQ(test, vub_check_migration_reply(&f, 1, &flags, NULL),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_mig_state_get_reply(&f, sizeof(f), &v,
							    NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_mig_state_set_reply(1, &f, sizeof(f),
							    NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_mig_data_read_reply(1, &f, 3, &v,
							    NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_mig_data_write_reply(&f, 1, NULL),
			-EPROTO);
}

static struct kunit_case mig_proto_test_cases[] = {
	KUNIT_CASE(mig_test_builders),
	KUNIT_CASE(mig_test_migration_reply),
	KUNIT_CASE(mig_test_state_get_reply),
	KUNIT_CASE(mig_test_state_set_reply),
	KUNIT_CASE_PARAM(mig_test_data_read_reply, rd_gen_params),
	KUNIT_CASE(mig_test_data_read_bounds),
	KUNIT_CASE(mig_test_data_write_reply),
	KUNIT_CASE(mig_test_stop_copy_length),
	KUNIT_CASE(mig_test_null_err),
	{}
};

static struct kunit_suite mig_proto_test_suite = {
	.name = "vfio_user_mig_proto",
	.test_cases = mig_proto_test_cases,
};

kunit_test_suites(&mig_proto_test_suite);
