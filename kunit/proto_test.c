// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the vfio_user message layer (drivers/vfio_user/proto.c):
 * VERSION negotiation and every reply validator.  Each table entry is
 * one accept or reject rule; rejections also check the diagnostic.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "proto.h"
#include "json.h"

#define DESC_FN(type)							\
static void type##_desc(const struct type *c, char *desc)		\
{									\
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);			\
}

static void expect_err(struct kunit *test, int ret, int want,
		       const struct vub_err *err, const char *msg)
{
	KUNIT_EXPECT_EQ_MSG(test, ret, want, "diagnostic: %s",
			    err->msg ? err->msg : "(none)");
	if (msg && ret == want) {
		KUNIT_ASSERT_NOT_NULL(test, err->msg);
		KUNIT_EXPECT_STREQ(test, err->msg, msg);
	}
}

/* ---- VERSION negotiation --------------------------------------------- */

struct ver_case {
	const char *name;
	u16 major, minor;
	const char *json;	/* NULL: no JSON; sent with its NUL */
	bool twin_ours;		/* we proposed twin_socket */
	int ret;
	const char *msg;
	u32 fds, xfer;
	u64 pgs;
	u32 maps;
	bool twin;
	u32 fd_index;
};

#define CAPS(x) "{\"capabilities\":{" x "}}"
#define OK_DEF(n, mi, j) { n, 0, mi, j, false, 0, NULL, 1, 1 << 20, 4096, 16 }
#define BAD(n, j, m) { n, 0, 0, j, false, -EPROTO, m }

static const struct ver_case ver_cases[] = {
	OK_DEF("no JSON: spec defaults", 2, NULL),
	OK_DEF("minor 0 accepted", 0, NULL),
	OK_DEF("minor 1 accepted", 1, NULL),
	OK_DEF("empty object: defaults", 2, "{}"),
	OK_DEF("empty capabilities: defaults", 2, CAPS("")),
	OK_DEF("unknown top-level keys ignored", 2,
	       "{\"x\":[1,{\"y\":null}],\"capabilities\":{}}"),
	OK_DEF("unknown capability keys ignored", 2,
	       CAPS("\"future\":{\"a\":[true]},\"z\":\"s\"")),
	OK_DEF("legacy migration object ignored", 2,
	       CAPS("\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}")),
	OK_DEF("legacy migration of any type ignored", 2,
	       CAPS("\"migration\":\"whatever\"")),
	OK_DEF("write_multiple false accepted", 2,
	       CAPS("\"write_multiple\":false")),
	OK_DEF("twin_socket unsupported accepted", 2,
	       CAPS("\"twin_socket\":{\"supported\":false}")),
	OK_DEF("twin_socket without supported accepted", 2,
	       CAPS("\"twin_socket\":{}")),
	{ "libvfio-user reply", 0, 2,
	  CAPS("\"max_msg_fds\":8,\"max_data_xfer_size\":1048576"),
	  false, 0, NULL, 8, 1 << 20, 4096, 16 },
	{ "QEMU-style caps without write_multiple", 0, 0,
	  "{\"capabilities\":{\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456},\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":65535}}",
	  false, 0, NULL, 16, 1 << 20, 4096, 16 },
	{ "max_msg_fds above ours: ours", 0, 2, CAPS("\"max_msg_fds\":253"),
	  false, 0, NULL, 16, 1 << 20, 4096, 16 },
	{ "max_msg_fds minimum 1", 0, 2, CAPS("\"max_msg_fds\":1"),
	  false, 0, NULL, 1, 1 << 20, 4096, 16 },
	{ "max_data_xfer_size 64 MiB: ours", 0, 2,
	  CAPS("\"max_data_xfer_size\":67108864"),
	  false, 0, NULL, 1, 1 << 20, 4096, 16 },
	{ "max_data_xfer_size 4 KiB: theirs", 0, 2,
	  CAPS("\"max_data_xfer_size\":4096"),
	  false, 0, NULL, 1, 4096, 4096, 16 },
	{ "pgsizes with huge pages: intersection", 0, 2,
	  CAPS("\"pgsizes\":1075843072"),
	  false, 0, NULL, 1, 1 << 20, 4096, 16 },
	{ "max_dma_maps 1", 0, 2, CAPS("\"max_dma_maps\":1"),
	  false, 0, NULL, 1, 1 << 20, 4096, 1 },
	{ "max_dma_maps 65535: ours", 0, 2, CAPS("\"max_dma_maps\":65535"),
	  false, 0, NULL, 1, 1 << 20, 4096, 16 },
	{ "escaped key recognised", 0, 2, CAPS("\"max\\u005fmsg_fds\":4"),
	  false, 0, NULL, 4, 1 << 20, 4096, 16 },
	{ "twin_socket granted when proposed", 0, 2,
	  CAPS("\"twin_socket\":{\"supported\":true,\"fd_index\":0}"),
	  true, 0, NULL, 1, 1 << 20, 4096, 16, true, 0 },
	{ "twin_socket fd_index 252", 0, 2,
	  CAPS("\"twin_socket\":{\"supported\":true,\"fd_index\":252}"),
	  true, 0, NULL, 1, 1 << 20, 4096, 16, true, 252 },
	{ "major 1 rejected", 1, 0, NULL, false, -EPROTO,
	  "unsupported major version" },
	{ "minor above ours rejected", 0, VFIO_USER_MINOR + 1, NULL, false,
	  -EPROTO, "minor version above the proposed one" },
	BAD("JSON syntax error", "{\"capabilities\":", "unexpected end of JSON text"),
	BAD("JSON duplicate key", CAPS("\"max_msg_fds\":1,\"max_msg_fds\":2"),
	    "duplicate key in object"),
	BAD("top level not an object", "[]", "VERSION JSON is not an object"),
	BAD("capabilities not an object", "{\"capabilities\":[]}",
	    "capabilities is not an object"),
	BAD("max_msg_fds 0", CAPS("\"max_msg_fds\":0"), "max_msg_fds out of range"),
	BAD("max_msg_fds 254", CAPS("\"max_msg_fds\":254"), "max_msg_fds out of range"),
	BAD("max_msg_fds negative", CAPS("\"max_msg_fds\":-1"), "max_msg_fds out of range"),
	BAD("max_msg_fds string", CAPS("\"max_msg_fds\":\"8\""),
	    "max_msg_fds is not an integer"),
	BAD("max_msg_fds bool", CAPS("\"max_msg_fds\":true"),
	    "max_msg_fds is not an integer"),
	BAD("max_msg_fds float", CAPS("\"max_msg_fds\":8.0"),
	    "floating-point number not supported"),
	BAD("max_data_xfer_size below 4 KiB", CAPS("\"max_data_xfer_size\":4095"),
	    "max_data_xfer_size out of range"),
	BAD("max_data_xfer_size above 64 MiB", CAPS("\"max_data_xfer_size\":67108865"),
	    "max_data_xfer_size out of range"),
	BAD("max_data_xfer_size 2^64-1", CAPS("\"max_data_xfer_size\":18446744073709551615"),
	    "max_data_xfer_size out of range"),
	BAD("max_data_xfer_size null", CAPS("\"max_data_xfer_size\":null"),
	    "max_data_xfer_size is not an integer"),
	BAD("pgsizes 0", CAPS("\"pgsizes\":0"), "pgsizes is zero"),
	BAD("pgsizes below 4 KiB", CAPS("\"pgsizes\":6144"), "pgsizes has sizes below 4 KiB"),
	BAD("pgsizes without 4 KiB", CAPS("\"pgsizes\":8192"), "pgsizes lacks 4 KiB"),
	BAD("pgsizes string", CAPS("\"pgsizes\":\"4096\""), "pgsizes is not an integer"),
	BAD("max_dma_maps 0", CAPS("\"max_dma_maps\":0"), "max_dma_maps out of range"),
	BAD("max_dma_maps 65536", CAPS("\"max_dma_maps\":65536"), "max_dma_maps out of range"),
	BAD("max_dma_maps object", CAPS("\"max_dma_maps\":{}"),
	    "max_dma_maps is not an integer"),
	BAD("write_multiple not proposed", CAPS("\"write_multiple\":true"),
	    "write_multiple not proposed"),
	BAD("write_multiple not a bool", CAPS("\"write_multiple\":1"),
	    "write_multiple is not a boolean"),
	BAD("twin_socket not an object", CAPS("\"twin_socket\":true"),
	    "twin_socket is not an object"),
	BAD("twin_socket.supported not a bool", CAPS("\"twin_socket\":{\"supported\":1}"),
	    "twin_socket.supported is not a boolean"),
	BAD("twin_socket not proposed",
	    CAPS("\"twin_socket\":{\"supported\":true,\"fd_index\":0}"),
	    "twin_socket not proposed"),
	{ "twin_socket fd_index missing", 0, 2,
	  CAPS("\"twin_socket\":{\"supported\":true}"), true, -EPROTO,
	  "twin_socket.fd_index missing" },
	{ "twin_socket fd_index 253", 0, 2,
	  CAPS("\"twin_socket\":{\"supported\":true,\"fd_index\":253}"), true,
	  -EPROTO, "twin_socket.fd_index out of range" },
	{ "twin_socket fd_index string", 0, 2,
	  CAPS("\"twin_socket\":{\"supported\":true,\"fd_index\":\"0\"}"), true,
	  -EPROTO, "twin_socket.fd_index is not an integer" },
};

DESC_FN(ver_case)
KUNIT_ARRAY_PARAM(ver, ver_cases, ver_case_desc);

static void proto_test_version(struct kunit *test)
{
	const struct ver_case *c = test->param_value;
	struct vfio_user_version v = { .major = c->major, .minor = c->minor };
	struct vub_caps ours, neg;
	struct vub_err err = { };
	size_t jlen = c->json ? strlen(c->json) + 1 : 0;
	u16 minor = 0xffff;
	u8 *buf;
	int ret;

	buf = kunit_kzalloc(test, sizeof(v) + jlen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, &v, sizeof(v));
	if (c->json)
		memcpy(buf + sizeof(v), c->json, jlen);
	vub_caps_ours(&ours);
	ours.twin_socket = c->twin_ours;
	memset(&neg, 0xa5, sizeof(neg));

	ret = vub_version_check_reply(buf, sizeof(v) + jlen, &ours, &neg,
				      &minor, &err);
	expect_err(test, ret, c->ret, &err, c->msg);
	if (ret || c->ret)
		return;
	KUNIT_EXPECT_EQ(test, minor, c->minor);
	KUNIT_EXPECT_EQ(test, neg.max_msg_fds, c->fds);
	KUNIT_EXPECT_EQ(test, neg.max_data_xfer_size, c->xfer);
	KUNIT_EXPECT_EQ(test, neg.pgsizes, c->pgs);
	KUNIT_EXPECT_EQ(test, neg.max_dma_maps, c->maps);
	KUNIT_EXPECT_EQ(test, neg.twin_socket, c->twin);
	KUNIT_EXPECT_EQ(test, neg.twin_fd_index, c->fd_index);
	KUNIT_EXPECT_FALSE(test, neg.write_multiple);
}

static void proto_test_version_short(struct kunit *test)
{
	static const u8 buf[4] = { 0, 0, 2, 0 };
	struct vub_caps ours, neg;
	struct vub_err err = { };
	u16 minor;

	vub_caps_ours(&ours);
	expect_err(test, vub_version_check_reply(buf, 3, &ours, &neg, &minor,
						 &err),
		   -EPROTO, &err, "VERSION reply too short");
	KUNIT_EXPECT_EQ(test, vub_version_check_reply(buf, 4, &ours, &neg,
						      &minor, &err), 0);
}

static void proto_test_version_json_unterminated(struct kunit *test)
{
	static const u8 buf[] = { 0, 0, 2, 0, '{', '}' };
	struct vub_caps ours, neg;
	struct vub_err err = { };
	u16 minor;

	vub_caps_ours(&ours);
	expect_err(test, vub_version_check_reply(buf, sizeof(buf), &ours, &neg,
						 &minor, &err),
		   -EPROTO, &err, "JSON text not NUL-terminated");
	/* Offsets are relative to the payload, i.e. past major/minor. */
	KUNIT_EXPECT_EQ(test, err.offset, (size_t)6);
}

static void proto_test_version_json_too_long(struct kunit *test)
{
	struct vub_caps ours, neg;
	struct vub_err err = { };
	size_t len = 4 + VUB_MAX_JSON_LEN + 1;
	u16 minor;
	u8 *buf;

	buf = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf + 4, ' ', len - 5);
	buf[4] = '{';
	buf[5] = '}';
	vub_caps_ours(&ours);
	expect_err(test, vub_version_check_reply(buf, len, &ours, &neg, &minor,
						 &err),
		   -EPROTO, &err, "JSON text too long");
}

static void proto_test_caps_ours(struct kunit *test)
{
	struct vub_caps c;

	memset(&c, 0xff, sizeof(c));
	vub_caps_ours(&c);
	KUNIT_EXPECT_EQ(test, c.max_msg_fds, 16U);
	KUNIT_EXPECT_EQ(test, c.max_data_xfer_size, 1U << 20);
	KUNIT_EXPECT_EQ(test, c.pgsizes, 4096ULL);
	KUNIT_EXPECT_EQ(test, c.max_dma_maps, 16U);
	KUNIT_EXPECT_FALSE(test, c.twin_socket);
	KUNIT_EXPECT_FALSE(test, c.write_multiple);
}

static void proto_test_version_build(struct kunit *test)
{
	struct vfio_user_version v;
	struct vub_caps ours;
	char buf[256];
	int n;

	vub_caps_ours(&ours);
	n = vub_version_build(buf, sizeof(buf), &ours);
	KUNIT_ASSERT_GT(test, n, (int)sizeof(v));
	KUNIT_EXPECT_EQ(test, n, (int)(sizeof(v) + strlen(buf + sizeof(v)) + 1));
	memcpy(&v, buf, sizeof(v));
	KUNIT_EXPECT_EQ(test, v.major, 0);
	KUNIT_EXPECT_EQ(test, v.minor, VFIO_USER_MINOR);
	KUNIT_EXPECT_STREQ(test, buf + sizeof(v),
			   "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":16}}");
}

static void proto_test_version_build_roundtrip(struct kunit *test)
{
	struct vub_caps ours, neg;
	struct vub_err err = { };
	char buf[256];
	u16 minor;
	int n;

	/* Our own request, read back as a reply, negotiates to ours. */
	vub_caps_ours(&ours);
	ours.twin_socket = true;
	ours.write_multiple = true;
	n = vub_version_build(buf, sizeof(buf), &ours);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf + 4, "\"twin_socket\":{\"supported\":true}"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf + 4, "\"write_multiple\":true"));
	/* A request has no twin_socket.fd_index: leave twin out. */
	ours.twin_socket = false;
	n = vub_version_build(buf, sizeof(buf), &ours);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_ASSERT_EQ(test, vub_version_check_reply(buf, n, &ours, &neg,
						      &minor, &err), 0);
	KUNIT_EXPECT_EQ(test, neg.max_msg_fds, ours.max_msg_fds);
	KUNIT_EXPECT_EQ(test, neg.max_data_xfer_size, ours.max_data_xfer_size);
	KUNIT_EXPECT_EQ(test, neg.pgsizes, ours.pgsizes);
	KUNIT_EXPECT_EQ(test, neg.max_dma_maps, ours.max_dma_maps);
	KUNIT_EXPECT_TRUE(test, neg.write_multiple);
}

static void proto_test_version_build_nospace(struct kunit *test)
{
	struct vub_caps ours;
	char buf[256];
	int n;

	vub_caps_ours(&ours);
	n = vub_version_build(buf, sizeof(buf), &ours);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_EXPECT_EQ(test, vub_version_build(buf, n, &ours), n);
	KUNIT_EXPECT_EQ(test, vub_version_build(buf, n - 1, &ours), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vub_version_build(buf, 4, &ours), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vub_version_build(buf, 0, &ours), -ENOSPC);
}

/* ---- message headers ------------------------------------------------- */

#define HDR(id, cmd, size, flags, e) { id, cmd, size, flags, e }
#define T_CMD	VFIO_USER_F_TYPE_COMMAND
#define T_REP	VFIO_USER_F_TYPE_REPLY
#define F_NR	VFIO_USER_F_NO_REPLY
#define F_ERR	VFIO_USER_F_ERROR

struct hdr_case {
	const char *name;
	struct vfio_user_header h;
	int ret;
	const char *msg;
};

static const struct hdr_case hdr_cases[] = {
	{ "command", HDR(1, 11, 32, T_CMD, 0), T_CMD },
	{ "command with no-reply", HDR(1, 12, 40, T_CMD | F_NR, 0), T_CMD },
	{ "reply", HDR(1, 4, 32, T_REP, 0), T_REP },
	{ "header-only reply", HDR(1, 13, 16, T_REP, 0), T_REP },
	{ "error reply", HDR(1, 4, 16, T_REP | F_ERR, 5), T_REP },
	{ "error reply with errno 0", HDR(1, 4, 16, T_REP | F_ERR, 0), T_REP },
	{ "size at the limit", HDR(1, 9, 4096, T_REP, 0), T_REP },
	{ "unknown command accepted here", HDR(1, 99, 16, T_CMD, 0), T_CMD },
	{ "unknown flag bit", HDR(1, 4, 16, T_REP | 0x40, 0), -EPROTO,
	  "unknown header flags" },
	{ "high flag bit", HDR(1, 4, 16, T_REP | 0x80000000, 0), -EPROTO,
	  "unknown header flags" },
	{ "type 2", HDR(1, 4, 16, 2, 0), -EPROTO, "invalid message type" },
	{ "type 15", HDR(1, 4, 16, 15, 0), -EPROTO, "invalid message type" },
	{ "size below header", HDR(1, 4, 15, T_REP, 0), -EPROTO,
	  "message size smaller than the header" },
	{ "size zero", HDR(1, 4, 0, T_REP, 0), -EPROTO,
	  "message size smaller than the header" },
	{ "size above max", HDR(1, 4, 4097, T_REP, 0), -EPROTO,
	  "message too large" },
	{ "size 4 GiB - 1", HDR(1, 4, 0xffffffff, T_CMD, 0), -EPROTO,
	  "message too large" },
	{ "error flag on a command", HDR(1, 11, 32, T_CMD | F_ERR, 0), -EPROTO,
	  "error flag on a command" },
	{ "errno on a command", HDR(1, 11, 32, T_CMD, 1), -EPROTO,
	  "error number on a command" },
	{ "no-reply on a reply", HDR(1, 4, 16, T_REP | F_NR, 0), -EPROTO,
	  "no-reply flag on a reply" },
	/* libvfio-user keeps the reply payload in error replies. */
	{ "error reply with payload", HDR(1, 4, 32, T_REP | F_ERR, 5), T_REP },
	{ "error reply with payload above max", HDR(1, 4, 4097, T_REP | F_ERR, 5),
	  -EPROTO, "message too large" },
	{ "errno without error flag", HDR(1, 4, 16, T_REP, 5), -EPROTO,
	  "error number without the error flag" },
};

DESC_FN(hdr_case)
KUNIT_ARRAY_PARAM(hdr, hdr_cases, hdr_case_desc);

static void proto_test_header(struct kunit *test)
{
	const struct hdr_case *c = test->param_value;
	struct vub_err err = { };

	expect_err(test, vub_check_header(&c->h, 4096, &err), c->ret, &err,
		   c->msg);
}

struct rh_case {
	const char *name;
	struct vfio_user_header req, rep;
	int ret;
	int srv_errno;
	const char *msg;
};

#define REQ HDR(7, 5, 48, T_CMD, 0)

static const struct rh_case rh_cases[] = {
	{ "success reply", REQ, HDR(7, 5, 64, T_REP, 0), 0 },
	{ "error reply", REQ, HDR(7, 5, 16, T_REP | F_ERR, 5), 1, 5 },
	{ "error reply errno max", REQ, HDR(7, 5, 16, T_REP | F_ERR, 4095), 1, 4095 },
	{ "error reply errno 0 is EINVAL", REQ, HDR(7, 5, 16, T_REP | F_ERR, 0),
	  1, EINVAL },
	{ "error reply errno 4096 is EINVAL", REQ,
	  HDR(7, 5, 16, T_REP | F_ERR, 4096), 1, EINVAL },
	{ "error reply errno huge is EINVAL", REQ,
	  HDR(7, 5, 16, T_REP | F_ERR, 0x80000000), 1, EINVAL },
	{ "msg_id mismatch", REQ, HDR(8, 5, 64, T_REP, 0), -EPROTO, 0,
	  "reply message ID mismatch" },
	{ "command mismatch", REQ, HDR(7, 4, 64, T_REP, 0), -EPROTO, 0,
	  "reply command mismatch" },
	{ "command instead of reply", REQ, HDR(7, 5, 64, T_CMD, 0), -EPROTO, 0,
	  "not a reply" },
	{ "unknown flags", REQ, HDR(7, 5, 64, T_REP | 0x100, 0), -EPROTO, 0,
	  "unknown header flags" },
	{ "no-reply flag on reply", REQ, HDR(7, 5, 64, T_REP | F_NR, 0),
	  -EPROTO, 0, "no-reply flag on a reply" },
	{ "reply to a no-reply request", HDR(7, 10, 40, T_CMD | F_NR, 0),
	  HDR(7, 10, 32, T_REP, 0), -EPROTO, 0, "reply to a no-reply request" },
	{ "size below header", REQ, HDR(7, 5, 8, T_REP, 0), -EPROTO, 0,
	  "message size smaller than the header" },
	{ "error reply with payload", REQ, HDR(7, 5, 20, T_REP | F_ERR, 5),
	  1, 5 },
	{ "errno without error flag", REQ, HDR(7, 5, 64, T_REP, 22), -EPROTO,
	  0, "error number without the error flag" },
};

DESC_FN(rh_case)
KUNIT_ARRAY_PARAM(rh, rh_cases, rh_case_desc);

static void proto_test_reply_header(struct kunit *test)
{
	const struct rh_case *c = test->param_value;
	struct vub_err err = { };
	int e = -1;

	expect_err(test, vub_check_reply_header(&c->req, &c->rep, &e, &err),
		   c->ret, &err, c->msg);
	if (c->ret == 1)
		KUNIT_EXPECT_EQ(test, e, c->srv_errno);
}

/* ---- DEVICE_GET_INFO ------------------------------------------------- */

struct di_case {
	const char *name;
	struct vfio_user_device_info d;
	size_t len;		/* 0: sizeof(d) */
	int ret;
	const char *msg;
};

#define PCI	VFIO_USER_DEVICE_FLAGS_PCI
#define RST	VFIO_USER_DEVICE_FLAGS_RESET

static const struct di_case di_cases[] = {
	{ "PCI device like libvfio-user", { 16, PCI | RST, 9, 5 } },
	{ "PCI minimum (QEMU rule)", { 16, PCI, 8, 3 } },
	{ "non-PCI device with few regions", { 16, 0, 1, 0 } },
	{ "limits reached", { 16, PCI, VUB_MAX_REGIONS, VUB_MAX_IRQ_INDEXES } },
	{ "larger argsz accepted", { 64, PCI, 9, 5 } },
	{ "too short", { 16, PCI, 9, 5 }, 12, -EPROTO,
	  "device info reply too short" },
	{ "too long", { 16, PCI, 9, 5 }, 20, -EPROTO,
	  "device info reply too long" },
	{ "argsz below 16", { 15, PCI, 9, 5 }, 0, -EPROTO,
	  "device info argsz too small" },
	{ "unknown device flag", { 16, PCI | (1 << 7), 9, 5 }, 0, -EPROTO,
	  "unknown device flags" },
	{ "too many regions", { 16, PCI, VUB_MAX_REGIONS + 1, 5 }, 0, -EPROTO,
	  "too many regions" },
	{ "region count 2^32-1", { 16, 0, 0xffffffff, 0 }, 0, -EPROTO,
	  "too many regions" },
	{ "too many irq indexes", { 16, PCI, 9, VUB_MAX_IRQ_INDEXES + 1 }, 0,
	  -EPROTO, "too many irq indexes" },
	{ "PCI without config region", { 16, PCI, 7, 5 }, 0, -EPROTO,
	  "PCI device without config region" },
	{ "PCI without MSI-X index", { 16, PCI, 9, 2 }, 0, -EPROTO,
	  "PCI device without MSI-X index" },
};

DESC_FN(di_case)
KUNIT_ARRAY_PARAM(di, di_cases, di_case_desc);

static void proto_test_device_info(struct kunit *test)
{
	const struct di_case *c = test->param_value;
	struct vfio_user_device_info out = { };
	struct vub_err err = { };
	u8 buf[32] = { };

	memcpy(buf, &c->d, sizeof(c->d));
	expect_err(test, vub_check_device_info(buf, c->len ?: sizeof(c->d),
					       &out, &err),
		   c->ret, &err, c->msg);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, memcmp(&out, &c->d, sizeof(out)), 0);
}

static void proto_test_builders(struct kunit *test)
{
	struct vfio_user_device_info di;
	struct vfio_user_region_info ri;
	struct vfio_user_irq_info ii;
	struct vfio_user_region_access ra;
	struct vfio_user_dma_map dm;
	struct vfio_user_dma_unmap du;
	struct vfio_user_irq_set is;

	memset(&di, 0xff, sizeof(di));
	KUNIT_EXPECT_EQ(test, vub_build_device_info(&di), sizeof(di));
	KUNIT_EXPECT_EQ(test, di.argsz, 16U);
	KUNIT_EXPECT_EQ(test, di.flags | di.num_regions | di.num_irqs, 0U);

	memset(&ri, 0xff, sizeof(ri));
	KUNIT_EXPECT_EQ(test, vub_build_region_info(&ri, 7, 1024), sizeof(ri));
	KUNIT_EXPECT_EQ(test, ri.argsz, 1024U);
	KUNIT_EXPECT_EQ(test, ri.index, 7U);
	KUNIT_EXPECT_EQ(test, ri.flags | ri.cap_offset, 0U);
	KUNIT_EXPECT_EQ(test, ri.size | ri.offset, 0ULL);

	memset(&ii, 0xff, sizeof(ii));
	KUNIT_EXPECT_EQ(test, vub_build_irq_info(&ii, 2), sizeof(ii));
	KUNIT_EXPECT_EQ(test, ii.argsz, 16U);
	KUNIT_EXPECT_EQ(test, ii.index, 2U);
	KUNIT_EXPECT_EQ(test, ii.flags | ii.count, 0U);

	KUNIT_EXPECT_EQ(test, vub_build_region_access(&ra, 7, 0x40, 4),
			sizeof(ra));
	KUNIT_EXPECT_EQ(test, ra.offset, 0x40ULL);
	KUNIT_EXPECT_EQ(test, ra.region, 7U);
	KUNIT_EXPECT_EQ(test, ra.count, 4U);

	KUNIT_EXPECT_EQ(test, vub_build_dma_map(&dm, 3, 0x1000, 0x200000, 0x4000),
			sizeof(dm));
	KUNIT_EXPECT_EQ(test, dm.argsz, 32U);
	KUNIT_EXPECT_EQ(test, dm.flags, 3U);
	KUNIT_EXPECT_EQ(test, dm.offset, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, dm.address, 0x200000ULL);
	KUNIT_EXPECT_EQ(test, dm.size, 0x4000ULL);

	KUNIT_EXPECT_EQ(test, vub_build_dma_unmap(&du, 0, 0x200000, 0x4000),
			sizeof(du));
	KUNIT_EXPECT_EQ(test, du.argsz, 24U);
	KUNIT_EXPECT_EQ(test, du.address, 0x200000ULL);
	KUNIT_EXPECT_EQ(test, du.size, 0x4000ULL);

	KUNIT_EXPECT_EQ(test, vub_build_set_irqs(&is, 0x22, 2, 1, 3, 3),
			sizeof(is));
	KUNIT_EXPECT_EQ(test, is.argsz, 23U);
	KUNIT_EXPECT_EQ(test, is.flags, 0x22U);
	KUNIT_EXPECT_EQ(test, is.index, 2U);
	KUNIT_EXPECT_EQ(test, is.start, 1U);
	KUNIT_EXPECT_EQ(test, is.count, 3U);
}

/* ---- DEVICE_GET_REGION_INFO ----------------------------------------- */

#define RI_ARGSZ	VUB_REGION_INFO_ARGSZ
#define RD		VFIO_USER_REGION_INFO_FLAG_READ
#define WR		VFIO_USER_REGION_INFO_FLAG_WRITE
#define MM		VFIO_USER_REGION_INFO_FLAG_MMAP
#define CP		VFIO_USER_REGION_INFO_FLAG_CAPS

/* A region info reply under construction. */
struct rib {
	u8 b[RI_ARGSZ + 64];
	size_t len;
	u32 last_cap;		/* offset of the last capability, 0 if none */
};

static struct vfio_user_region_info *rib_hdr(struct rib *r)
{
	return (struct vfio_user_region_info *)r->b;
}

static void rib_init(struct rib *r, u32 flags, u64 size, u64 offset)
{
	struct vfio_user_region_info *h = rib_hdr(r);

	memset(r, 0, sizeof(*r));
	h->argsz = sizeof(*h);
	h->flags = flags;
	h->index = 3;
	h->size = size;
	h->offset = offset;
	r->len = sizeof(*h);
}

/* Append a capability of @size bytes at the end and link it. */
static u8 *rib_cap(struct rib *r, u16 id, u16 version, size_t size)
{
	struct vfio_user_region_info *h = rib_hdr(r);
	struct vfio_user_cap_header *ch;
	u32 off = ALIGN(r->len, 8);

	ch = (struct vfio_user_cap_header *)(r->b + off);
	ch->id = id;
	ch->version = version;
	ch->next = 0;
	if (r->last_cap)
		((struct vfio_user_cap_header *)(r->b + r->last_cap))->next = off;
	else
		h->cap_offset = off;
	h->flags |= CP;
	r->last_cap = off;
	r->len = off + size;
	h->argsz = r->len;
	return r->b + off;
}

static void rib_sparse(struct rib *r, u32 nr, const u64 *pairs)
{
	struct vfio_user_region_info_cap_sparse_mmap *sm;
	u32 i;

	sm = (void *)rib_cap(r, VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP, 1,
			     sizeof(*sm) + nr * sizeof(sm->areas[0]));
	sm->nr_areas = nr;
	for (i = 0; i < nr; i++) {
		sm->areas[i].offset = pairs[2 * i];
		sm->areas[i].size = pairs[2 * i + 1];
	}
}

static void rib_type(struct rib *r, u32 type, u32 subtype)
{
	struct vfio_user_region_info_cap_type *ct;

	ct = (void *)rib_cap(r, VFIO_USER_REGION_INFO_CAP_TYPE, 1, sizeof(*ct));
	ct->type = type;
	ct->subtype = subtype;
}

/* Common shapes. */
static void ri_plain(struct rib *r)
{
	rib_init(r, RD | WR, 0x100, 0);
}

static void ri_mmap_whole(struct rib *r)
{
	rib_init(r, RD | WR | MM, 0x4000, 0x10000);
}

static void ri_sparse2(struct rib *r)
{
	static const u64 a[] = { 0x1000, 0x1000, 0x3000, 0x2000 };

	rib_init(r, RD | WR | MM, 0x8000, 0);
	rib_sparse(r, 2, a);
}

static void ri_sparse_type(struct rib *r)
{
	static const u64 a[] = { 0, 0x1000 };

	rib_init(r, RD | MM, 0x1000, 0x2000);
	rib_sparse(r, 1, a);
	rib_type(r, 0x80000000, 1);
}

static void ri_type_only(struct rib *r)
{
	rib_init(r, RD, 0x100, 0);
	rib_type(r, 1, 2);
}

static void ri_unknown_cap(struct rib *r)
{
	ri_plain(r);
	rib_cap(r, 99, 1, 24);
	rib_type(r, 1, 2);
}

static void ri_sparse_zero_areas(struct rib *r)
{
	rib_init(r, RD | MM, 0x1000, 0);
	rib_sparse(r, 0, NULL);
}

static void ri_sparse_max(struct rib *r)
{
	u64 a[2 * VUB_MAX_SPARSE_AREAS];
	int i;

	for (i = 0; i < VUB_MAX_SPARSE_AREAS; i++) {
		a[2 * i] = (u64)i * 0x2000;
		a[2 * i + 1] = 0x1000;
	}
	rib_init(r, RD | MM, 0x2000 * VUB_MAX_SPARSE_AREAS, 0);
	rib_sparse(r, VUB_MAX_SPARSE_AREAS, a);
}

static void ri_sparse_unsorted(struct rib *r)
{
	static const u64 a[] = { 0x3000, 0x1000, 0, 0x2000 };

	rib_init(r, RD | MM, 0x4000, 0);
	rib_sparse(r, 2, a);
}

static void ri_sparse_adjacent(struct rib *r)
{
	static const u64 a[] = { 0, 0x1000, 0x1000, 0x1000 };

	rib_init(r, RD | MM, 0x2000, 0);
	rib_sparse(r, 2, a);
}

static void ri_zero_size(struct rib *r)
{
	rib_init(r, 0, 0, 0);
}

/* Mutations of valid shapes into violations. */
static void ri_needs_more(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->argsz = 2000;
}

static void ri_needs_more_padded(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->argsz = 2000;
	r->len = RI_ARGSZ;
}

static void ri_needs_absurd(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->argsz = VUB_REGION_INFO_MAX_ARGSZ + 1;
}

static void ri_needs_more_too_long(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->argsz = 2000;
	r->len = RI_ARGSZ + 8;
}

static void ri_short(struct rib *r)
{
	ri_plain(r);
	r->len = 31;
}

static void ri_bad_index(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->index = 4;
}

static void ri_small_argsz(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->argsz = 16;
}

static void ri_len_above_argsz(struct rib *r)
{
	ri_plain(r);
	r->len = 40;
}

static void ri_len_below_argsz(struct rib *r)
{
	ri_sparse2(r);
	r->len -= 8;
}

static void ri_unknown_flag(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->flags |= 1 << 4;
}

static void ri_caps_no_offset(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->flags |= CP;
}

static void ri_offset_no_caps(struct rib *r)
{
	ri_type_only(r);
	rib_hdr(r)->flags &= ~CP;
}

static void ri_cap_in_fixed(struct rib *r)
{
	ri_type_only(r);
	rib_hdr(r)->cap_offset = 16;
}

static void ri_cap_misaligned(struct rib *r)
{
	ri_type_only(r);
	memmove(r->b + 36, r->b + 32, 16);
	rib_hdr(r)->cap_offset = 36;
	rib_hdr(r)->argsz = 56;
	r->len = 56;
}

static void ri_cap_outside(struct rib *r)
{
	ri_type_only(r);
	rib_hdr(r)->cap_offset = 48;
}

static void ri_cap_offset_huge(struct rib *r)
{
	ri_type_only(r);
	rib_hdr(r)->cap_offset = 0xfffffff8;
}

static void ri_cap_self_loop(struct rib *r)
{
	ri_type_only(r);
	((struct vfio_user_cap_header *)(r->b + 32))->next = 32;
}

static void ri_cap_backwards(struct rib *r)
{
	ri_unknown_cap(r);
	/* The type cap (second) points back at the unknown one. */
	((struct vfio_user_cap_header *)(r->b + r->last_cap))->next = 32;
}

static void ri_cap_overlap(struct rib *r)
{
	ri_sparse2(r);
	rib_type(r, 1, 1);
	/* Make the sparse cap point into its own area list. */
	((struct vfio_user_cap_header *)(r->b + 32))->next = 48;
}

static void ri_too_many_caps(struct rib *r)
{
	int i;

	ri_plain(r);
	for (i = 0; i <= VUB_MAX_REGION_CAPS; i++)
		rib_cap(r, 99, 1, 8);
}

static void ri_max_caps(struct rib *r)
{
	int i;

	ri_plain(r);
	for (i = 0; i < VUB_MAX_REGION_CAPS; i++)
		rib_cap(r, 99, 1, 8);
}

static void ri_sparse_version(struct rib *r)
{
	ri_sparse2(r);
	((struct vfio_user_cap_header *)(r->b + 32))->version = 2;
}

static void ri_sparse_dup(struct rib *r)
{
	static const u64 a[] = { 0, 0x1000 };

	ri_sparse2(r);
	rib_sparse(r, 1, a);
}

static void ri_sparse_truncated(struct rib *r)
{
	ri_plain(r);
	rib_hdr(r)->flags |= MM;
	rib_hdr(r)->size = 0x1000;
	rib_cap(r, VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP, 1, 12);
}

static void ri_sparse_too_many(struct rib *r)
{
	u64 a[2 * (VUB_MAX_SPARSE_AREAS + 1)] = { };

	rib_init(r, RD | MM, 0x100000, 0);
	rib_sparse(r, VUB_MAX_SPARSE_AREAS + 1, a);
}

static void ri_sparse_nr_huge(struct rib *r)
{
	ri_sparse2(r);
	((struct vfio_user_region_info_cap_sparse_mmap *)(r->b + 32))->nr_areas =
		0xffffffff;
}

static void ri_sparse_outside_reply(struct rib *r)
{
	ri_sparse2(r);
	((struct vfio_user_region_info_cap_sparse_mmap *)(r->b + 32))->nr_areas = 3;
}

static void ri_type_version(struct rib *r)
{
	ri_type_only(r);
	((struct vfio_user_cap_header *)(r->b + 32))->version = 0;
}

static void ri_type_dup(struct rib *r)
{
	ri_type_only(r);
	rib_type(r, 3, 4);
}

static void ri_type_truncated(struct rib *r)
{
	ri_plain(r);
	rib_cap(r, VFIO_USER_REGION_INFO_CAP_TYPE, 1, 12);
}

static void ri_mmap_offset_unaligned(struct rib *r)
{
	ri_mmap_whole(r);
	rib_hdr(r)->offset = 0x10800;
}

static void ri_mmap_wraps(struct rib *r)
{
	ri_mmap_whole(r);
	rib_hdr(r)->offset = 0xfffffffffffff000ULL;
	rib_hdr(r)->size = 0x2000;
}

static void ri_mmap_size_unaligned(struct rib *r)
{
	ri_mmap_whole(r);
	rib_hdr(r)->size = 0x4100;
}

static void ri_mmap_size_zero(struct rib *r)
{
	ri_mmap_whole(r);
	rib_hdr(r)->size = 0;
}

static void ri_sparse_no_mmap(struct rib *r)
{
	ri_sparse2(r);
	rib_hdr(r)->flags &= ~MM;
}

static void ri_area(struct rib *r, u64 off, u64 size)
{
	u64 a[] = { off, size };

	rib_init(r, RD | MM, 0x8000, 0);
	rib_sparse(r, 1, a);
}

static void ri_area_off_unaligned(struct rib *r)
{
	ri_area(r, 0x800, 0x1000);
}

static void ri_area_size_unaligned(struct rib *r)
{
	ri_area(r, 0x1000, 0x800);
}

static void ri_area_empty(struct rib *r)
{
	ri_area(r, 0x1000, 0);
}

static void ri_area_outside(struct rib *r)
{
	ri_area(r, 0x4000, 0x5000);
}

static void ri_area_beyond(struct rib *r)
{
	ri_area(r, 0x9000, 0x1000);
}

static void ri_area_wraps(struct rib *r)
{
	ri_area(r, 0xfffffffffffff000ULL, 0x2000);
}

static void ri_area_overlap(struct rib *r)
{
	static const u64 a[] = { 0, 0x2000, 0x1000, 0x2000 };

	rib_init(r, RD | MM, 0x8000, 0);
	rib_sparse(r, 2, a);
}

static void ri_area_same(struct rib *r)
{
	static const u64 a[] = { 0x1000, 0x1000, 0, 0x1000, 0x1000, 0x1000 };

	rib_init(r, RD | MM, 0x8000, 0);
	rib_sparse(r, 3, a);
}

struct ri_case {
	const char *name;
	void (*mk)(struct rib *r);
	int ret;
	const char *msg;
	u32 nr_areas;
	bool has_type, has_sparse;
};

static const struct ri_case ri_cases[] = {
	{ "plain region", ri_plain },
	{ "zero-size region", ri_zero_size },
	{ "whole region mmap", ri_mmap_whole },
	{ "sparse mmap, 2 areas", ri_sparse2, 0, NULL, 2, false, true },
	{ "sparse mmap and type caps", ri_sparse_type, 0, NULL, 1, true, true },
	{ "type cap only", ri_type_only, 0, NULL, 0, true, false },
	{ "unknown cap skipped", ri_unknown_cap, 0, NULL, 0, true, false },
	{ "sparse mmap with 0 areas", ri_sparse_zero_areas, 0, NULL, 0, false, true },
	{ "sparse mmap with max areas", ri_sparse_max, 0, NULL,
	  VUB_MAX_SPARSE_AREAS, false, true },
	{ "sparse areas unsorted", ri_sparse_unsorted, 0, NULL, 2, false, true },
	{ "sparse areas adjacent", ri_sparse_adjacent, 0, NULL, 2, false, true },
	{ "max capabilities", ri_max_caps },
	{ "server needs larger argsz", ri_needs_more, -EMSGSIZE,
	  "region info needs a larger argsz" },
	{ "larger argsz, reply padded", ri_needs_more_padded, -EMSGSIZE,
	  "region info needs a larger argsz" },
	{ "absurd argsz", ri_needs_absurd, -EPROTO,
	  "region info argsz too large" },
	{ "larger argsz, reply above ours", ri_needs_more_too_long, -EPROTO,
	  "region info reply exceeds argsz" },
	{ "too short", ri_short, -EPROTO, "region info reply too short" },
	{ "index mismatch", ri_bad_index, -EPROTO, "region index mismatch" },
	{ "argsz below fixed part", ri_small_argsz, -EPROTO,
	  "region info argsz too small" },
	{ "length above argsz", ri_len_above_argsz, -EPROTO,
	  "region info length differs from argsz" },
	{ "length below argsz", ri_len_below_argsz, -EPROTO,
	  "region info length differs from argsz" },
	{ "unknown region flag", ri_unknown_flag, -EPROTO,
	  "unknown region flags" },
	{ "CAPS flag without offset", ri_caps_no_offset, -EPROTO,
	  "CAPS flag without cap_offset" },
	{ "cap_offset without CAPS flag", ri_offset_no_caps, -EPROTO,
	  "cap_offset without CAPS flag" },
	{ "capability inside the fixed part", ri_cap_in_fixed, -EPROTO,
	  "capability inside the fixed part" },
	{ "misaligned capability", ri_cap_misaligned, -EPROTO,
	  "misaligned capability" },
	{ "capability past the reply", ri_cap_outside, -EPROTO,
	  "capability outside the reply" },
	{ "capability offset huge", ri_cap_offset_huge, -EPROTO,
	  "capability outside the reply" },
	{ "capability loop to itself", ri_cap_self_loop, -EPROTO,
	  "capability offsets not increasing" },
	{ "capability chain backwards", ri_cap_backwards, -EPROTO,
	  "capability offsets not increasing" },
	{ "capability overlapping the previous", ri_cap_overlap, -EPROTO,
	  "capability offsets not increasing" },
	{ "too many capabilities", ri_too_many_caps, -EPROTO,
	  "too many region capabilities" },
	{ "sparse mmap version 2", ri_sparse_version, -EPROTO,
	  "unsupported sparse mmap version" },
	{ "duplicate sparse mmap", ri_sparse_dup, -EPROTO,
	  "duplicate sparse mmap capability" },
	{ "sparse mmap truncated", ri_sparse_truncated, -EPROTO,
	  "sparse mmap capability truncated" },
	{ "too many sparse areas", ri_sparse_too_many, -EPROTO,
	  "too many sparse areas" },
	{ "sparse nr_areas 2^32-1", ri_sparse_nr_huge, -EPROTO,
	  "too many sparse areas" },
	{ "sparse areas past the reply", ri_sparse_outside_reply, -EPROTO,
	  "sparse areas outside the reply" },
	{ "type cap version 0", ri_type_version, -EPROTO,
	  "unsupported type capability version" },
	{ "duplicate type cap", ri_type_dup, -EPROTO,
	  "duplicate type capability" },
	{ "type cap truncated", ri_type_truncated, -EPROTO,
	  "type capability truncated" },
	{ "mmap offset unaligned", ri_mmap_offset_unaligned, -EPROTO,
	  "mmap offset not page aligned" },
	{ "mmap range wraps", ri_mmap_wraps, -EPROTO, "region mmap range wraps" },
	{ "whole mmap size unaligned", ri_mmap_size_unaligned, -EPROTO,
	  "mmappable region size not page aligned" },
	{ "whole mmap size zero", ri_mmap_size_zero, -EPROTO,
	  "mmappable region size not page aligned" },
	{ "sparse mmap without MMAP flag", ri_sparse_no_mmap, -EPROTO,
	  "sparse mmap capability without MMAP flag" },
	{ "area offset unaligned", ri_area_off_unaligned, -EPROTO,
	  "sparse area not page aligned" },
	{ "area size unaligned", ri_area_size_unaligned, -EPROTO,
	  "sparse area not page aligned" },
	{ "empty area", ri_area_empty, -EPROTO, "empty sparse area" },
	{ "area crossing region end", ri_area_outside, -EPROTO,
	  "sparse area outside the region" },
	{ "area beyond region end", ri_area_beyond, -EPROTO,
	  "sparse area outside the region" },
	{ "area wrapping around", ri_area_wraps, -EPROTO,
	  "sparse area outside the region" },
	{ "overlapping areas", ri_area_overlap, -EPROTO,
	  "overlapping sparse areas" },
	{ "duplicate areas", ri_area_same, -EPROTO, "overlapping sparse areas" },
};

DESC_FN(ri_case)
KUNIT_ARRAY_PARAM(ri, ri_cases, ri_case_desc);

static void proto_test_region_info(struct kunit *test)
{
	const struct ri_case *c = test->param_value;
	struct vub_region *out;
	struct vub_err err = { };
	struct rib *r;
	u32 needed = 0;
	int ret;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, out);
	c->mk(r);
	out->size = 0x5a5a;
	ret = vub_check_region_info(3, RI_ARGSZ, r->b, r->len, out, &needed,
				    &err);
	expect_err(test, ret, c->ret, &err, c->msg);
	if (ret == -EMSGSIZE) {
		KUNIT_EXPECT_EQ(test, needed, rib_hdr(r)->argsz);
		KUNIT_EXPECT_EQ(test, out->size, 0x5a5aULL);
	}
	if (ret || c->ret)
		return;
	KUNIT_EXPECT_EQ(test, out->index, 3U);
	KUNIT_EXPECT_EQ(test, out->flags, rib_hdr(r)->flags);
	KUNIT_EXPECT_EQ(test, out->size, rib_hdr(r)->size);
	KUNIT_EXPECT_EQ(test, out->offset, rib_hdr(r)->offset);
	KUNIT_EXPECT_EQ(test, out->nr_areas, c->nr_areas);
	KUNIT_EXPECT_EQ(test, out->has_type, c->has_type);
	KUNIT_EXPECT_EQ(test, out->has_sparse, c->has_sparse);
}

static void proto_test_region_info_values(struct kunit *test)
{
	struct vub_region *out;
	struct vub_err err = { };
	struct rib *r;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, out);
	ri_sparse2(r);
	rib_type(r, 0x80000000, 7);
	KUNIT_ASSERT_EQ(test, vub_check_region_info(3, RI_ARGSZ, r->b, r->len,
						    out, NULL, &err), 0);
	KUNIT_EXPECT_EQ(test, out->areas[0].offset, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, out->areas[0].size, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, out->areas[1].offset, 0x3000ULL);
	KUNIT_EXPECT_EQ(test, out->areas[1].size, 0x2000ULL);
	KUNIT_EXPECT_EQ(test, out->type, 0x80000000U);
	KUNIT_EXPECT_EQ(test, out->subtype, 7U);
	/* The same reply is too big for a smaller argsz. */
	KUNIT_EXPECT_EQ(test, vub_check_region_info(3, r->len - 8, r->b,
						    r->len - 8, out, NULL,
						    &err), -EMSGSIZE);
}

static void proto_test_region_info_offsets(struct kunit *test)
{
	struct vub_region *out;
	struct vub_err err = { };
	struct rib *r;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, out);

	/* A bad cap_offset is reported at the cap_offset field... */
	ri_cap_offset_huge(r);
	KUNIT_EXPECT_EQ(test, vub_check_region_info(3, RI_ARGSZ, r->b, r->len,
						    out, NULL, &err), -EPROTO);
	KUNIT_EXPECT_EQ(test, err.offset, (size_t)12);

	/* ...a bad next at the next field of the previous capability. */
	ri_cap_backwards(r);
	KUNIT_EXPECT_EQ(test, vub_check_region_info(3, RI_ARGSZ, r->b, r->len,
						    out, NULL, &err), -EPROTO);
	KUNIT_EXPECT_EQ(test, err.offset, (size_t)r->last_cap + 4);

	/* Sparse area errors point at the area. */
	ri_area_overlap(r);
	KUNIT_EXPECT_EQ(test, vub_check_region_info(3, RI_ARGSZ, r->b, r->len,
						    out, NULL, &err), -EPROTO);
	KUNIT_EXPECT_EQ(test, err.offset, (size_t)(32 + 16 + 16));
}

/* ---- DEVICE_GET_IRQ_INFO --------------------------------------------- */

struct ii_case {
	const char *name;
	struct vfio_user_irq_info i;
	size_t len;
	int ret;
	const char *msg;
};

#define EV	VFIO_USER_IRQ_INFO_EVENTFD
#define ALLI	(EV | VFIO_USER_IRQ_INFO_MASKABLE | \
		 VFIO_USER_IRQ_INFO_AUTOMASKED | VFIO_USER_IRQ_INFO_NORESIZE)

static const struct ii_case ii_cases[] = {
	{ "MSI-X vectors", { 16, EV | VFIO_USER_IRQ_INFO_NORESIZE, 2, 512 } },
	{ "all flags", { 16, ALLI, 2, 1 } },
	{ "disabled index", { 16, 0, 2, 0 } },
	{ "count at the limit", { 16, EV, 2, VUB_MAX_IRQ_COUNT } },
	{ "too short", { 16, EV, 2, 1 }, 15, -EPROTO, "irq info reply too short" },
	{ "too long", { 16, EV, 2, 1 }, 17, -EPROTO, "irq info reply too long" },
	{ "argsz too small", { 12, EV, 2, 1 }, 0, -EPROTO,
	  "irq info argsz too small" },
	{ "unknown flag", { 16, EV | (1 << 4), 2, 1 }, 0, -EPROTO,
	  "unknown irq info flags" },
	{ "index mismatch", { 16, EV, 3, 1 }, 0, -EPROTO, "irq index mismatch" },
	{ "count above the limit", { 16, EV, 2, VUB_MAX_IRQ_COUNT + 1 }, 0,
	  -EPROTO, "too many interrupts" },
	{ "count 2^32-1", { 16, EV, 2, 0xffffffff }, 0, -EPROTO,
	  "too many interrupts" },
};

DESC_FN(ii_case)
KUNIT_ARRAY_PARAM(ii, ii_cases, ii_case_desc);

static void proto_test_irq_info(struct kunit *test)
{
	const struct ii_case *c = test->param_value;
	struct vfio_user_irq_info out = { };
	struct vub_err err = { };
	u8 buf[32] = { };

	memcpy(buf, &c->i, sizeof(c->i));
	expect_err(test, vub_check_irq_info(2, buf, c->len ?: sizeof(c->i),
					    &out, &err),
		   c->ret, &err, c->msg);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, memcmp(&out, &c->i, sizeof(out)), 0);
}

/* ---- REGION_READ / REGION_WRITE -------------------------------------- */

struct ra_case {
	const char *name;
	bool write;
	struct vfio_user_region_access rep;
	size_t data;		/* payload bytes after the access header */
	int ret;
	const char *msg;
};

static const struct vfio_user_region_access ra_req = {
	.offset = 0x40, .region = 7, .count = 8,
};

static const struct ra_case ra_cases[] = {
	{ "read: full", false, { 0x40, 7, 8 }, 8 },
	{ "read: short", false, { 0x40, 7, 4 }, 4 },
	{ "read: nothing", false, { 0x40, 7, 0 }, 0 },
	{ "read: too short", false, { 0x40, 7, 8 }, 0, -EPROTO,
	  "region read reply too short" },
	{ "read: offset mismatch", false, { 0x48, 7, 8 }, 8, -EPROTO,
	  "region access offset mismatch" },
	{ "read: region mismatch", false, { 0x40, 6, 8 }, 8, -EPROTO,
	  "region access region mismatch" },
	{ "read: count above request", false, { 0x40, 7, 9 }, 9, -EPROTO,
	  "region access count above the request" },
	{ "read: more data than count", false, { 0x40, 7, 4 }, 8, -EPROTO,
	  "region read data length differs from count" },
	{ "read: less data than count", false, { 0x40, 7, 8 }, 4, -EPROTO,
	  "region read data length differs from count" },
	{ "write: full", true, { 0x40, 7, 8 }, 0 },
	{ "write: short", true, { 0x40, 7, 2 }, 0 },
	{ "write: too short", true, { 0x40, 7, 8 }, 0, -EPROTO,
	  "region write reply too short" },
	{ "write: carries data", true, { 0x40, 7, 8 }, 8, -EPROTO,
	  "region write reply carries data" },
	{ "write: offset mismatch", true, { 0, 7, 8 }, 0, -EPROTO,
	  "region access offset mismatch" },
	{ "write: region mismatch", true, { 0x40, 0, 8 }, 0, -EPROTO,
	  "region access region mismatch" },
	{ "write: count above request", true, { 0x40, 7, 16 }, 0, -EPROTO,
	  "region access count above the request" },
};

DESC_FN(ra_case)
KUNIT_ARRAY_PARAM(ra, ra_cases, ra_case_desc);

static void proto_test_region_access(struct kunit *test)
{
	const struct ra_case *c = test->param_value;
	struct vub_err err = { };
	u8 buf[64] = { };
	size_t len = sizeof(c->rep) + c->data;
	u32 count = 0xdead;
	int ret;

	memcpy(buf, &c->rep, sizeof(c->rep));
	/* "too short" cases: cut into the access header. */
	if (c->msg && strstr(c->msg, "too short"))
		len = sizeof(c->rep) - 1;
	if (c->write)
		ret = vub_check_region_write_reply(&ra_req, buf, len, &count,
						   &err);
	else
		ret = vub_check_region_read_reply(&ra_req, buf, len, &count,
						  &err);
	expect_err(test, ret, c->ret, &err, c->msg);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, count, c->rep.count);
}

/* ---- DMA_READ / DMA_WRITE from the server ---------------------------- */

struct dma_case {
	const char *name;
	u16 cmd;
	u64 addr, count;
	size_t data;
	int ret;
	const char *msg;
};

#define DR VFIO_USER_DMA_READ
#define DW VFIO_USER_DMA_WRITE
#define MAXX 4096

static const struct dma_case dma_cases[] = {
	{ "read", DR, 0x1000, 64, 0 },
	{ "read at the limit", DR, 0x1000, MAXX, 0 },
	{ "read of 0 bytes", DR, 0x1000, 0, 0 },
	{ "read of the last byte", DR, U64_MAX, 1, 0 },
	{ "write", DW, 0x1000, 64, 64 },
	{ "write at the limit", DW, 0, MAXX, MAXX },
	{ "write of 0 bytes", DW, 0x1000, 0, 0 },
	{ "not a DMA command", VFIO_USER_REGION_READ, 0, 8, 0, -EPROTO,
	  "not a DMA request" },
	{ "too short", DR, 0, 8, 0, -EPROTO, "DMA request too short" },
	{ "range wraps", DR, U64_MAX, 2, 0, -EPROTO, "DMA range wraps" },
	{ "range wraps far", DW, 0xfffffffffffff000ULL, 0x2000, 0, -EPROTO,
	  "DMA range wraps" },
	{ "read above max", DR, 0, MAXX + 1, 0, -E2BIG,
	  "DMA count above max_data_xfer_size" },
	{ "write above max", DW, 0, MAXX + 1, MAXX + 1, -E2BIG,
	  "DMA count above max_data_xfer_size" },
	{ "count 2^63", DR, 0, 1ULL << 63, 0, -E2BIG,
	  "DMA count above max_data_xfer_size" },
	{ "read carries data", DR, 0, 8, 8, -EPROTO,
	  "DMA_READ request carries data" },
	{ "write with less data", DW, 0, 8, 4, -EPROTO,
	  "DMA_WRITE data length differs from count" },
	{ "write with more data", DW, 0, 8, 12, -EPROTO,
	  "DMA_WRITE data length differs from count" },
};

DESC_FN(dma_case)
KUNIT_ARRAY_PARAM(dma, dma_cases, dma_case_desc);

static void proto_test_dma_request(struct kunit *test)
{
	const struct dma_case *c = test->param_value;
	struct vfio_user_dma_region_access d = {
		.address = c->addr, .count = c->count,
	};
	struct vub_err err = { };
	size_t len = sizeof(d) + c->data;
	u8 *buf;

	buf = kunit_kzalloc(test, sizeof(d) + MAXX + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, &d, sizeof(d));
	if (c->msg && strstr(c->msg, "too short"))
		len = 8;
	expect_err(test, vub_check_dma_request(c->cmd, buf, len, MAXX, &err),
		   c->ret, &err, c->msg);
}

/* ---- empty and DMA_UNMAP replies, names ------------------------------ */

static void proto_test_empty_reply(struct kunit *test)
{
	struct vub_err err = { };
	u8 b[4] = { };

	KUNIT_EXPECT_EQ(test, vub_check_empty_reply(b, 0, &err), 0);
	expect_err(test, vub_check_empty_reply(b, 1, &err), -EPROTO, &err,
		   "unexpected reply payload");
}

static void proto_test_dma_unmap_reply(struct kunit *test)
{
	struct vfio_user_dma_unmap req, rep;
	struct vub_err err = { };

	vub_build_dma_unmap(&req, 0, 0x100000, 0x2000);
	rep = req;
	KUNIT_EXPECT_EQ(test, vub_check_dma_unmap_reply(&req, &rep, 0, &err), 0);
	KUNIT_EXPECT_EQ(test, vub_check_dma_unmap_reply(&req, &rep, sizeof(rep),
							&err), 0);
	expect_err(test, vub_check_dma_unmap_reply(&req, &rep, sizeof(rep) - 1,
						   &err),
		   -EPROTO, &err, "DMA_UNMAP reply has the wrong size");
	rep.size = 0x1000;
	expect_err(test, vub_check_dma_unmap_reply(&req, &rep, sizeof(rep),
						   &err),
		   -EPROTO, &err, "DMA_UNMAP reply range mismatch");
	rep = req;
	rep.address += 0x1000;
	expect_err(test, vub_check_dma_unmap_reply(&req, &rep, sizeof(rep),
						   &err),
		   -EPROTO, &err, "DMA_UNMAP reply range mismatch");
}

static void proto_test_cmd_name(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(VFIO_USER_VERSION), "VERSION");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(VFIO_USER_DMA_WRITE), "DMA_WRITE");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(VFIO_USER_MIG_DATA_WRITE),
			   "MIG_DATA_WRITE");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(0), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(14), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(VFIO_USER_MAX_COMMAND), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, vub_cmd_name(0xffff), "UNKNOWN");
}

static void proto_test_null_err(struct kunit *test)
{
	struct vfio_user_header h = HDR(1, 4, 15, T_REP, 0);
	struct vub_region r;
	u8 b[8] = { };

	/* Diagnostics are optional everywhere. */
	KUNIT_EXPECT_EQ(test, vub_check_header(&h, 4096, NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_region_info(0, 32, b, sizeof(b), &r,
						    NULL, NULL), -EPROTO);
	KUNIT_EXPECT_EQ(test, vub_check_dma_request(DR, b, 4, 8, NULL),
			-EPROTO);
}

/* ---- DEVICE_GET_REGION_IO_FDS ---------------------------------------- */

struct iof_case {
	const char *name;
	void (*build)(struct vfio_user_region_io_fds_reply *r);
	size_t trim;		/* bytes cut off the end */
	u32 nr_fds;
	int ret;
	const char *msg;
	u32 count;
};

#define IOF_MAX	(sizeof(struct vfio_user_region_io_fds_reply) + \
		 (VUB_MAX_IO_FDS + 1) * sizeof(struct vfio_user_sub_region_ioeventfd))

/* Two 4-byte ioeventfds of region 0 (4 KiB), one with a data match. */
static void iof_two(struct vfio_user_region_io_fds_reply *r)
{
	r->count = 2;
	r->argsz = sizeof(*r) + 2 * sizeof(r->sub_regions[0]);
	r->sub_regions[0].offset = 0x70;
	r->sub_regions[0].size = 4;
	r->sub_regions[0].flags = VUB_IOEVENTFD_DATAMATCH;
	r->sub_regions[0].datamatch = 1;
	r->sub_regions[1].offset = 0x84;
	r->sub_regions[1].size = 4;
	r->sub_regions[1].fd_index = 1;
}

static void iof_none(struct vfio_user_region_io_fds_reply *r)
{
	r->argsz = sizeof(*r);
}

static void iof_overlap(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].offset = 0x72;
}

static void iof_same_reg(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].offset = 0x70;
	r->sub_regions[1].flags = VUB_IOEVENTFD_DATAMATCH;
	r->sub_regions[1].datamatch = 2;
}

static void iof_same_data(struct vfio_user_region_io_fds_reply *r)
{
	iof_same_reg(r);
	r->sub_regions[1].datamatch = 1;
}

static void iof_size16(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[0].size = 16;
}

static void iof_outside(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].offset = 0xffe;
}

static void iof_fd_index(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].fd_index = 2;
}

static void iof_pio(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].flags = 2;	/* KVM_IOEVENTFD_FLAG_PIO */
}

static void iof_type(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].type = 3;
}

static void iof_shadow(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[1].type = VFIO_USER_IO_FD_TYPE_IOEVENTFD_SHADOW;
}

static void iof_wide_data(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->sub_regions[0].datamatch = 0x100000000ULL;
}

static void iof_too_many(struct vfio_user_region_io_fds_reply *r)
{
	u32 i;

	r->count = VUB_MAX_IO_FDS + 1;
	r->argsz = sizeof(*r) + r->count * sizeof(r->sub_regions[0]);
	for (i = 0; i < r->count; i++) {
		r->sub_regions[i].offset = 8 * i;
		r->sub_regions[i].size = 4;
	}
}

static void iof_header_only(struct vfio_user_region_io_fds_reply *r)
{
	r->count = 17;
	r->argsz = sizeof(*r) + 17 * sizeof(r->sub_regions[0]);
}

static void iof_index(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->index = 1;
}

static void iof_flags(struct vfio_user_region_io_fds_reply *r)
{
	iof_two(r);
	r->flags = 1;
}

static const struct iof_case iof_cases[] = {
	{ "two", iof_two, 0, 2, 0, NULL, 2 },
	{ "none", iof_none, 0, 0, 0, NULL, 0 },
	{ "same register, two values", iof_same_reg, 0, 2, 0, NULL, 2 },
	{ "shadow: valid, caller skips", iof_shadow, 0, 2, 0, NULL, 2 },
	{ "overlap", iof_overlap, 0, 2, -EPROTO, "overlapping io fds" },
	{ "same register, same value", iof_same_data, 0, 2, -EPROTO,
	  "overlapping io fds" },
	{ "size 16", iof_size16, 0, 2, -EPROTO, "io fd size not 1, 2, 4 or 8" },
	{ "outside", iof_outside, 0, 2, -EPROTO, "io fd outside the region" },
	{ "fd index", iof_fd_index, 0, 2, -EPROTO,
	  "fd_index beyond the fds received" },
	{ "fewer fds", iof_two, 0, 1, -EPROTO,
	  "fd_index beyond the fds received" },
	{ "pio flag", iof_pio, 0, 2, -EPROTO, "unsupported io fd flags" },
	{ "unknown type", iof_type, 0, 2, -EPROTO, "unknown io fd type" },
	{ "wide data match", iof_wide_data, 0, 2, -EPROTO,
	  "data match wider than the size" },
	{ "17 entries", iof_too_many, 0, 2, -EPROTO,
	  "more io fds than the bridge supports" },
	{ "17, header only", iof_header_only,
	  17 * sizeof(struct vfio_user_sub_region_ioeventfd), 0, -EPROTO,
	  "more io fds than the bridge supports" },
	{ "truncated", iof_two, 8, 2, -EPROTO,
	  "reply size does not match the count" },
	{ "index", iof_index, 0, 2, -EPROTO, "region index mismatch" },
	{ "flags", iof_flags, 0, 2, -EPROTO, "flags not zero" },
};

DESC_FN(iof_case);
KUNIT_ARRAY_PARAM(iof, iof_cases, iof_case_desc);

static void proto_test_io_fds(struct kunit *test)
{
	const struct iof_case *c = test->param_value;
	struct vfio_user_region_io_fds_reply *r;
	struct vub_io_fd out[VUB_MAX_IO_FDS];
	struct vub_err err = { };
	size_t len;
	u32 count = 99;

	r = kunit_kzalloc(test, IOF_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	c->build(r);
	len = sizeof(*r) + r->count * sizeof(r->sub_regions[0]) - c->trim;
	expect_err(test, vub_check_region_io_fds(0, VUB_IO_FDS_ARGSZ, r, len,
						 0x1000, c->nr_fds, out,
						 &count, &err),
		   c->ret, &err, c->msg);
	KUNIT_EXPECT_EQ(test, count, c->ret ? 0 : c->count);
	if (!c->ret && c->count == 2) {
		KUNIT_EXPECT_EQ(test, out[0].offset, 0x70ULL);
		KUNIT_EXPECT_TRUE(test, out[0].datamatch);
		KUNIT_EXPECT_EQ(test, out[1].fd_index, 1U);
	}
	if (c->ret)
		KUNIT_EXPECT_LE(test, err.offset, len);
}

static struct kunit_case proto_test_cases[] = {
	KUNIT_CASE_PARAM(proto_test_version, ver_gen_params),
	KUNIT_CASE(proto_test_version_short),
	KUNIT_CASE(proto_test_version_json_unterminated),
	KUNIT_CASE(proto_test_version_json_too_long),
	KUNIT_CASE(proto_test_caps_ours),
	KUNIT_CASE(proto_test_version_build),
	KUNIT_CASE(proto_test_version_build_roundtrip),
	KUNIT_CASE(proto_test_version_build_nospace),
	KUNIT_CASE_PARAM(proto_test_header, hdr_gen_params),
	KUNIT_CASE_PARAM(proto_test_reply_header, rh_gen_params),
	KUNIT_CASE_PARAM(proto_test_device_info, di_gen_params),
	KUNIT_CASE(proto_test_builders),
	KUNIT_CASE_PARAM(proto_test_region_info, ri_gen_params),
	KUNIT_CASE(proto_test_region_info_values),
	KUNIT_CASE(proto_test_region_info_offsets),
	KUNIT_CASE_PARAM(proto_test_irq_info, ii_gen_params),
	KUNIT_CASE_PARAM(proto_test_region_access, ra_gen_params),
	KUNIT_CASE_PARAM(proto_test_dma_request, dma_gen_params),
	KUNIT_CASE(proto_test_empty_reply),
	KUNIT_CASE(proto_test_dma_unmap_reply),
	KUNIT_CASE(proto_test_cmd_name),
	KUNIT_CASE(proto_test_null_err),
	KUNIT_CASE_PARAM(proto_test_io_fds, iof_gen_params),
	{}
};

static struct kunit_suite proto_test_suite = {
	.name = "vfio_user_proto",
	.test_cases = proto_test_cases,
};

kunit_test_suites(&proto_test_suite);
