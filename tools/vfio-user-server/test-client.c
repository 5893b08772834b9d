// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the sample vfio-user server, from a userspace client that
 * speaks the protocol directly.  One line per test: "PASS: name" or
 * "FAIL: name: reason"; exit status 1 if anything failed.
 *
 * usage: test-client [--server PATH] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "server.h"	/* JSON reader */
#include "test.h"

/* Pieces of server.h the JSON reader needs at link time. */
int vus_verbose;
void vus_log(const char *fmt, ...) { (void)fmt; }
void vus_dbg(const char *fmt, ...) { (void)fmt; }

static struct srv S;		/* the default server */

#define CFG	VFIO_USER_PCI_CONFIG_REGION_INDEX

static void test_version(void)
{
	TEST("version");
	const char *json = "{\"capabilities\":{\"max_msg_fds\":8,"
		"\"max_data_xfer_size\":4096,\"pgsizes\":4096,"
		"\"max_dma_maps\":65535,\"twin_socket\":{\"supported\":false},"
		"\"write_multiple\":true,\"migration\":{\"pgsize\":4096,"
		"\"max_bitmap_size\":268435456},\"unknown_key\":[1,2,{}]}}";
	const struct vus_json *caps, *k;
	struct vfio_user_version *v;
	struct vus_json *root = NULL;
	const char *err;
	struct reply r = { };
	int fd = cli_connect(&S), ret;

	CHECK(fd >= 0, "connect");
	ret = t_negotiate(fd, json, &r);
	CHECK(!ret, "VERSION failed: %d", ret);
	v = (void *)r.data;
	CHECK(r.len > sizeof(*v) && v->major == 0 && v->minor == 2,
	      "bad version reply %u.%u", v->major, v->minor);
	CHECK(r.data[r.len - 1] == 0, "JSON not NUL-terminated");
	root = vus_json_parse(v->data, r.len - sizeof(*v) - 1, &err);
	CHECK(root, "reply JSON: %s", err);
	caps = vus_json_get(root, "capabilities");
	CHECK(caps && caps->type == VUS_JSON_OBJECT, "no capabilities");
	k = vus_json_get(caps, "max_msg_fds");
	CHECK(k && k->is_int && k->i == 8, "max_msg_fds");
	k = vus_json_get(caps, "max_data_xfer_size");
	CHECK(k && k->is_int && k->i == 1048576, "max_data_xfer_size");
	k = vus_json_get(caps, "write_multiple");
	CHECK(k && k->type == VUS_JSON_BOOL && k->b, "write_multiple");
	CHECK(!vus_json_get(caps, "twin_socket"), "twin_socket offered");
	CHECK(!vus_json_get(caps, "migration"), "migration echoed");
	t_reply_free(&r);
	/* A second VERSION is refused. */
	ret = t_negotiate(fd, NULL, NULL);
	CHECK(ret == -EINVAL, "second VERSION: %d", ret);
	t_pass(__t_name);
out:
	vus_json_free(root);
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
}

static void test_version_minor(void)
{
	TEST("version-minor");
	struct vfio_user_version v = { .major = 0, .minor = 0 };
	struct reply r = { };
	int fd = cli_connect(&S), ret;

	CHECK(fd >= 0, "connect");
	/* No JSON at all: defaults; QEMU-style minor 0 is echoed. */
	ret = t_call(fd, VFIO_USER_VERSION, &v, sizeof(v), NULL, 0, &r);
	CHECK(!ret && ((struct vfio_user_version *)r.data)->minor == 0,
	      "minor 0: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
}

/* Negotiation failures: error reply, then the server drops us. */
static void neg_bad(const char *name, uint16_t major, const void *json,
		    size_t jlen)
{
	struct vfio_user_version *v = calloc(1, sizeof(*v) + jlen);
	struct reply r = { };
	int fd = cli_connect(&S), ret;
	const char *__t_name = name;

	CHECK(fd >= 0, "connect");
	v->major = major;
	memcpy(v->data, json, jlen);
	ret = t_call(fd, VFIO_USER_VERSION, v, sizeof(*v) + jlen, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "expected EINVAL, got %d", ret);
	ret = t_recv(fd, &r, 2000);
	CHECK(ret == -ECONNRESET, "not disconnected: %d", ret);
	t_pass(name);
out:
	t_reply_free(&r);
	free(v);
	if (fd >= 0)
		close(fd);
}

#define NEG_BAD(n, maj, s) neg_bad(n, maj, s, sizeof(s))

static void test_version_bad(void)
{
	static const char unterminated[] = { '{', '}' };
	TEST("version-before-other-cmd");
	struct vfio_user_device_info di = { .argsz = sizeof(di) };
	int fd, ret;

	NEG_BAD("version-bad-major", 1, "{}");
	NEG_BAD("version-bad-json", 0, "{\"capabilities\":");
	neg_bad("version-json-not-nul-terminated", 0, unterminated,
		sizeof(unterminated));
	NEG_BAD("version-json-not-object", 0, "[1]");
	NEG_BAD("version-caps-not-object", 0, "{\"capabilities\":1}");
	NEG_BAD("version-max-msg-fds-negative", 0,
		"{\"capabilities\":{\"max_msg_fds\":-1}}");
	NEG_BAD("version-max-msg-fds-string", 0,
		"{\"capabilities\":{\"max_msg_fds\":\"8\"}}");
	NEG_BAD("version-max-xfer-zero", 0,
		"{\"capabilities\":{\"max_data_xfer_size\":0}}");
	NEG_BAD("version-write-multiple-not-bool", 0,
		"{\"capabilities\":{\"write_multiple\":1}}");
	NEG_BAD("version-twin-socket-not-object", 0,
		"{\"capabilities\":{\"twin_socket\":true}}");
	NEG_BAD("version-json-too-deep", 0,
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]}");

	fd = cli_connect(&S);
	CHECK(fd >= 0, "connect");
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		     NULL);
	CHECK(ret == -EINVAL, "GET_INFO before VERSION: %d", ret);
	t_pass(__t_name);
out:
	if (fd >= 0)
		close(fd);
}

static void test_device_info(int fd)
{
	TEST("device-get-info");
	struct vfio_user_device_info di = { .argsz = sizeof(di) }, *o;
	struct reply r = { };
	int ret;

	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0, &r);
	CHECK(!ret && r.len == sizeof(di), "GET_INFO: %d len %u", ret, r.len);
	o = (void *)r.data;
	CHECK(o->argsz == 16 && o->num_regions == 9 && o->num_irqs == 5 &&
	      o->flags == (VFIO_USER_DEVICE_FLAGS_PCI |
			   VFIO_USER_DEVICE_FLAGS_RESET),
	      "argsz %u flags %#x regions %u irqs %u", o->argsz, o->flags,
	      o->num_regions, o->num_irqs);
	di.argsz = 8;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		     NULL);
	CHECK(ret == -EINVAL, "small argsz: %d", ret);
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, 8, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "short payload: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
}

struct bar2_info {
	uint8_t *map;		/* the mmapped sparse area */
	int fd;
};

static void test_region_info(int fd, struct bar2_info *b2)
{
	TEST("region-info");
	static const uint64_t sizes[9] = {
		VUB_SAMPLE_BAR0_SIZE, 0, VUB_SAMPLE_BAR2_SIZE, 0, 0, 0, 0,
		VUB_SAMPLE_CONFIG_SIZE, 0,
	};
	struct vfio_user_region_info ri, *o;
	struct vfio_user_region_info_cap_sparse_mmap *sp;
	struct reply r = { };
	uint32_t i;
	int ret;

	for (i = 0; i < 9; i++) {
		memset(&ri, 0, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri,
			     sizeof(ri), NULL, 0, &r);
		CHECK(!ret, "index %u: %d", i, ret);
		o = (void *)r.data;
		CHECK(r.len == sizeof(ri) && o->size == sizes[i] &&
		      o->index == i, "index %u: len %u size %#llx", i, r.len,
		      (unsigned long long)o->size);
		if (sizes[i])
			CHECK((o->flags & 3) == 3, "index %u flags %#x", i,
			      o->flags);
		else
			CHECK(o->flags == 0, "index %u flags %#x", i, o->flags);
		if (i == 2) {
			/* argsz too small: needed size, no caps, no fd. */
			CHECK(o->argsz == 64 && o->cap_offset == 0 &&
			      r.nfds == 0 &&
			      (o->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) &&
			      (o->flags & VFIO_USER_REGION_INFO_FLAG_CAPS),
			      "BAR2 small argsz: argsz %u flags %#x fds %d",
			      o->argsz, o->flags, r.nfds);
		} else {
			CHECK(o->argsz == 32 && r.nfds == 0, "index %u argsz %u",
			      i, o->argsz);
		}
		t_reply_free(&r);
	}
	/* BAR2 again with room for the caps: sparse cap + memfd. */
	memset(&ri, 0, sizeof(ri));
	ri.argsz = 256;
	ri.index = 2;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		     NULL, 0, &r);
	CHECK(!ret && r.len == 64 && r.nfds == 1, "BAR2 full: %d len %u fds %d",
	      ret, r.len, r.nfds);
	o = (void *)r.data;
	CHECK(o->cap_offset == 32 && o->argsz == 64, "cap_offset %u argsz %u",
	      o->cap_offset, o->argsz);
	sp = (void *)(r.data + o->cap_offset);
	CHECK(sp->header.id == VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP &&
	      sp->header.version == 1 && sp->header.next == 0 &&
	      sp->nr_areas == 1 &&
	      sp->areas[0].offset == VUB_SAMPLE_BAR2_MMAP_OFFSET &&
	      sp->areas[0].size == VUB_SAMPLE_BAR2_MMAP_SIZE,
	      "sparse cap id %u ver %u next %u nr %u", sp->header.id,
	      sp->header.version, sp->header.next, sp->nr_areas);
	b2->map = mmap(NULL, sp->areas[0].size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r.fds[0], o->offset + sp->areas[0].offset);
	CHECK(b2->map != MAP_FAILED, "mmap of the region fd: %m");
	b2->fd = r.fds[0];
	r.nfds = 0;
	/* Bad index. */
	ri.index = 9;
	ri.argsz = sizeof(ri);
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		     NULL, 0, NULL);
	CHECK(ret == -EINVAL, "index 9: %d", ret);
	ri.index = 0;
	ri.argsz = 16;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		     NULL, 0, NULL);
	CHECK(ret == -EINVAL, "argsz 16: %d", ret);
	t_pass(__t_name);
	t_reply_free(&r);
	return;
out:
	b2->map = NULL;
	t_reply_free(&r);
}

static void test_bar2(int fd, struct bar2_info *b2)
{
	TEST("bar2-mmap-vs-region-rw");
	uint8_t buf[256], cmp[256];
	int i, ret;

	CHECK(b2->map, "no mapping");
	for (i = 0; i < 256; i++)
		b2->map[0x1000 + i] = i ^ 0x5a;
	ret = t_region_read(fd, 2, 0x1000, buf, sizeof(buf));
	CHECK(!ret && !memcmp(buf, b2->map + 0x1000, sizeof(buf)),
	      "REGION_READ differs from mmap: %d", ret);
	for (i = 0; i < 256; i++)
		cmp[i] = i * 7;
	ret = t_region_write(fd, 2, 0x2003, cmp, sizeof(cmp));
	CHECK(!ret && !memcmp(cmp, b2->map + 0x2003, sizeof(cmp)),
	      "mmap differs from REGION_WRITE: %d", ret);
	/* Trapped half. */
	ret = t_region_write(fd, 2, 0xffff0, cmp, 16);
	CHECK(!ret, "trapped write: %d", ret);
	ret = t_region_read(fd, 2, 0xffff0, buf, 16);
	CHECK(!ret && !memcmp(buf, cmp, 16), "trapped read: %d", ret);
	ret = t_region_read(fd, 2, 0xffff8, buf, 16);
	CHECK(ret == -EINVAL, "read past the end: %d", ret);
	ret = t_region_read(fd, 2, 0x1000, buf, 0);
	CHECK(ret == 0, "zero-length read: %d", ret);
	t_pass(__t_name);
out:
	;
}

static void test_irq_info(int fd)
{
	TEST("irq-info");
	static const uint32_t counts[5] = { 1, 1, 16, 1, 1 };
	struct vfio_user_irq_info ii, *o;
	struct reply r = { };
	uint32_t i;
	int ret;

	for (i = 0; i < 5; i++) {
		ii = (struct vfio_user_irq_info){ .argsz = 16, .index = i };
		ret = t_call(fd, VFIO_USER_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii),
			     NULL, 0, &r);
		o = (void *)r.data;
		CHECK(!ret && r.len == 16 && o->count == counts[i] &&
		      (o->flags & VFIO_USER_IRQ_INFO_EVENTFD),
		      "index %u: %d count %u", i, ret, ret ? 0 : o->count);
		if (i == 0)
			CHECK(o->flags & VFIO_USER_IRQ_INFO_AUTOMASKED,
			      "INTx not automasked");
		t_reply_free(&r);
	}
	ii.index = 5;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), NULL,
		     0, NULL);
	CHECK(ret == -EINVAL, "index 5: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
}

static uint32_t cfg32(int fd, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	t_rd32(fd, CFG, off, &v);
	return v;
}

static void test_config(int fd)
{
	TEST("config-space");
	uint8_t b;
	uint16_t w;
	int ret;

	CHECK(cfg32(fd, 0) == (VUB_SAMPLE_DEVICE_ID << 16 | VUB_SAMPLE_VENDOR_ID),
	      "ids %#x", cfg32(fd, 0));
	CHECK(cfg32(fd, 8) == (uint32_t)(VUB_SAMPLE_CLASS << 8 | VUB_SAMPLE_REVISION),
	      "class/rev %#x", cfg32(fd, 8));
	CHECK(cfg32(fd, 0x2c) == (VUB_SAMPLE_SUBSYS_ID << 16 |
				  VUB_SAMPLE_SUBSYS_VENDOR_ID), "subsys");
	CHECK((cfg32(fd, 4) >> 16) & 0x10, "status: no cap list");
	/* Capability chain: MSI -> MSI-X -> end. */
	ret = t_region_read(fd, CFG, 0x34, &b, 1);
	CHECK(!ret && b == VUB_SAMPLE_CAP_MSI, "cap ptr %#x", b);
	CHECK((cfg32(fd, VUB_SAMPLE_CAP_MSI) & 0xffff) ==
	      (VUB_SAMPLE_CAP_MSIX << 8 | 0x05), "MSI cap %#x",
	      cfg32(fd, VUB_SAMPLE_CAP_MSI));
	CHECK(cfg32(fd, VUB_SAMPLE_CAP_MSIX) ==
	      ((VUB_SAMPLE_NUM_MSIX - 1) << 16 | 0x11), "MSI-X cap %#x",
	      cfg32(fd, VUB_SAMPLE_CAP_MSIX));
	CHECK(cfg32(fd, VUB_SAMPLE_CAP_MSIX + 4) == VUB_SAMPLE_MSIX_TABLE_OFFSET &&
	      cfg32(fd, VUB_SAMPLE_CAP_MSIX + 8) == VUB_SAMPLE_MSIX_PBA_OFFSET,
	      "MSI-X table/PBA");
	/* Command register: writable bits only. */
	w = 0xffff;
	ret = t_region_write(fd, CFG, 4, &w, 2);
	CHECK(!ret && (cfg32(fd, 4) & 0xffff) == 0x0547, "command %#x",
	      cfg32(fd, 4) & 0xffff);
	w = 0x0006;
	t_region_write(fd, CFG, 4, &w, 2);
	CHECK((cfg32(fd, 4) & 0xffff) == 6, "command");
	/* BAR sizing. */
	t_wr32(fd, CFG, 0x10, 0xffffffff);
	CHECK(cfg32(fd, 0x10) == 0xfffff000, "BAR0 mask %#x", cfg32(fd, 0x10));
	t_wr32(fd, CFG, 0x14, 0xffffffff);
	CHECK(cfg32(fd, 0x14) == 0, "BAR1 %#x", cfg32(fd, 0x14));
	t_wr32(fd, CFG, 0x18, 0xffffffff);
	t_wr32(fd, CFG, 0x1c, 0xffffffff);
	CHECK(cfg32(fd, 0x18) == 0xfff0000c && cfg32(fd, 0x1c) == 0xffffffff,
	      "BAR2 mask %#x %#x", cfg32(fd, 0x18), cfg32(fd, 0x1c));
	t_wr32(fd, CFG, 0x10, 0xfe001000);
	CHECK(cfg32(fd, 0x10) == 0xfe001000, "BAR0 address");
	t_wr32(fd, CFG, 0x30, 0xffffffff);
	CHECK(cfg32(fd, 0x30) == 0, "ROM BAR");
	/* Read-only ids. */
	t_wr32(fd, CFG, 0, 0x12345678);
	CHECK(cfg32(fd, 0) == (VUB_SAMPLE_DEVICE_ID << 16 | VUB_SAMPLE_VENDOR_ID),
	      "ids writable");
	ret = t_rd32(fd, CFG, 0xfe, (uint32_t *)&w);
	CHECK(ret == -EINVAL, "read past config end: %d", ret);
	t_pass(__t_name);
out:
	;
}

static void test_config_4k(void)
{
	TEST("config-space-4k");
	static const char *const args[] = { "--config-size", "4096", NULL };
	struct vfio_user_region_info ri = { .argsz = 32, .index = CFG }, *o;
	struct srv s;
	struct reply r = { };
	uint32_t v;
	int fd = -1, ret;

	CHECK(!srv_start(&s, args), "server start");
	fd = t_connect_negotiated(&s, NULL);
	CHECK(fd >= 0, "connect");
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		     NULL, 0, &r);
	o = (void *)r.data;
	CHECK(!ret && o->size == 4096, "config size");
	CHECK(!t_rd32(fd, CFG, 0xffc, &v) && v == 0, "read at 0xffc");
	CHECK(!t_rd32(fd, CFG, 0x100, &v) && v == 0, "no extended caps");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
	srv_stop(&s);
}

static void test_bar0(int fd)
{
	TEST("bar0-registers");
	uint64_t v64;
	uint32_t v;
	uint16_t v16;
	int ret;

	CHECK(t_bar0(fd, VUB_SAMPLE_REG_ID) == VUB_SAMPLE_ID_VALUE, "ID");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_VERSION) == VUB_SAMPLE_VERSION_VALUE,
	      "VERSION");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0, "scratch reset value");
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 0xcafef00d) &&
	      t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0xcafef00d, "scratch");
	CHECK(!t_wr64(fd, 0, VUB_SAMPLE_REG_SCRATCH64, 0x0123456789abcdefULL) &&
	      !t_rd64(fd, 0, VUB_SAMPLE_REG_SCRATCH64, &v64) &&
	      v64 == 0x0123456789abcdefULL, "scratch64");
	/* ID is read-only. */
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_ID, 0) &&
	      t_bar0(fd, VUB_SAMPLE_REG_ID) == VUB_SAMPLE_ID_VALUE, "ID RO");
	/* Bad widths / alignment. */
	ret = t_region_read(fd, 0, VUB_SAMPLE_REG_ID, &v16, 2);
	CHECK(ret == -EINVAL, "2-byte read: %d", ret);
	ret = t_rd32(fd, 0, VUB_SAMPLE_REG_SCRATCH64, &v);
	CHECK(ret == -EINVAL, "4-byte read of a u64: %d", ret);
	ret = t_rd64(fd, 0, VUB_SAMPLE_REG_ID, &v64);
	CHECK(ret == -EINVAL, "8-byte read of a u32: %d", ret);
	ret = t_rd32(fd, 0, 2, &v);
	CHECK(ret == -EINVAL, "unaligned read: %d", ret);
	/* Reserved space reads 0; out of range fails. */
	CHECK(t_bar0(fd, 0x200) == 0, "reserved");
	ret = t_rd64(fd, 0, 0xffc, &v64);
	CHECK(ret == -EINVAL, "read past BAR0: %d", ret);
	/* MSI-X table: vectors start masked, entries are storage. */
	CHECK(t_bar0(fd, VUB_SAMPLE_MSIX_TABLE_OFFSET + 12) == 1, "MSI-X mask");
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_MSIX_TABLE_OFFSET + 16, 0xfee00000) &&
	      t_bar0(fd, VUB_SAMPLE_MSIX_TABLE_OFFSET + 16) == 0xfee00000,
	      "MSI-X table write");
	CHECK(t_bar0(fd, VUB_SAMPLE_MSIX_PBA_OFFSET) == 0, "PBA");
	t_pass(__t_name);
out:
	;
}

#define EVFD	VFIO_USER_IRQ_SET_DATA_EVENTFD
#define TRIG	VFIO_USER_IRQ_SET_ACTION_TRIGGER
#define DNONE	VFIO_USER_IRQ_SET_DATA_NONE
#define DBOOL	VFIO_USER_IRQ_SET_DATA_BOOL
#define MASK	VFIO_USER_IRQ_SET_ACTION_MASK
#define UNMASK	VFIO_USER_IRQ_SET_ACTION_UNMASK
#define DOORBELL(t, v) ((t) << 16 | (v))

static void test_irqs(int fd, int *msix)
{
	TEST("set-irqs-msix-doorbell");
	uint8_t bools[4] = { 1, 0, 1, 0 };
	int i, ret;

	for (i = 0; i < 16; i++)
		msix[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* 16 fds in one message exceed max_msg_fds (8). */
	ret = t_set_irqs(fd, EVFD | TRIG, 2, 0, 16, NULL, 0, msix, 16);
	CHECK(ret == -EINVAL, "16 fds accepted: %d", ret);
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 0, 8, NULL, 0, msix, 8) &&
	      !t_set_irqs(fd, EVFD | TRIG, 2, 8, 8, NULL, 0, msix + 8, 8),
	      "assign");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 16, "IRQ_FDS %u",
	      t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS));
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 5));
	CHECK(t_efd_read(msix[5]) == 1, "vector 5 not fired");
	CHECK(t_efd_read(msix[4]) == 0, "vector 4 fired");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FIRED) == 1, "IRQ_FIRED");
	/* Mask / unmask. */
	CHECK(!t_set_irqs(fd, DNONE | MASK, 2, 5, 1, NULL, 0, NULL, 0), "mask");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 5));
	CHECK(t_efd_read(msix[5]) == 0, "masked vector fired");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_DROPPED) == 1, "IRQ_DROPPED");
	CHECK(!t_set_irqs(fd, DNONE | UNMASK, 2, 5, 1, NULL, 0, NULL, 0),
	      "unmask");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 5));
	CHECK(t_efd_read(msix[5]) == 1, "unmasked vector not fired");
	/* Out-of-range vector and type. */
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 16));
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(7, 0));
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_DROPPED) == 3, "dropped count");
	/* Client-side trigger: DATA_BOOL and DATA_NONE. */
	CHECK(!t_set_irqs(fd, DBOOL | TRIG, 2, 0, 4, bools, 4, NULL, 0),
	      "bool trigger");
	CHECK(t_efd_read(msix[0]) == 1 && t_efd_read(msix[1]) == 0 &&
	      t_efd_read(msix[2]) == 1, "bool trigger result");
	CHECK(!t_set_irqs(fd, DNONE | TRIG, 2, 15, 1, NULL, 0, NULL, 0),
	      "none trigger");
	CHECK(t_efd_read(msix[15]) == 1, "none trigger result");
	/* De-assign 0..3 (no fds). */
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 0, 4, NULL, 0, NULL, 0),
	      "de-assign");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 12, "IRQ_FDS after");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 0));
	CHECK(t_efd_read(msix[0]) == 0, "de-assigned vector fired");
	/* Re-assign 0..3 for the DMA tests. */
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 0, 4, NULL, 0, msix, 4),
	      "re-assign");
	/* Another index while MSI-X is enabled. */
	ret = t_set_irqs(fd, EVFD | TRIG, 0, 0, 1, NULL, 0, msix, 1);
	CHECK(ret == -EINVAL, "INTx while MSI-X enabled: %d", ret);
	t_pass(__t_name);
out:
	;
}

static void test_irq_validation(int fd)
{
	TEST("set-irqs-validation");
	int efd = eventfd(0, EFD_CLOEXEC), fds[2] = { efd, efd };
	struct vfio_user_irq_set s = { .argsz = 20, .flags = EVFD | TRIG,
				       .index = 2, .start = 0, .count = 1 };
	uint8_t b[2] = { 1, 1 };
	int ret;

	ret = t_set_irqs(fd, EVFD | TRIG, 2, 15, 2, NULL, 0, fds, 2);
	CHECK(ret == -EINVAL, "start+count > 16: %d", ret);
	ret = t_set_irqs(fd, EVFD | TRIG, 2, 16, 0, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "start 16: %d", ret);
	ret = t_set_irqs(fd, EVFD | TRIG, 2, 0, 2, NULL, 0, fds, 1);
	CHECK(ret == -EINVAL, "1 fd for count 2: %d", ret);
	ret = t_set_irqs(fd, DNONE | TRIG, 2, 0, 1, NULL, 0, fds, 1);
	CHECK(ret == -EINVAL, "fd with DATA_NONE: %d", ret);
	ret = t_set_irqs(fd, EVFD | TRIG, 2, 0, 0, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "count 0 with EVENTFD: %d", ret);
	ret = t_set_irqs(fd, DNONE | TRIG | MASK, 2, 0, 1, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "two actions: %d", ret);
	ret = t_set_irqs(fd, DNONE | DBOOL | TRIG, 2, 0, 1, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "two data types: %d", ret);
	ret = t_set_irqs(fd, DBOOL | TRIG, 2, 0, 1, b, 2, NULL, 0);
	CHECK(ret == -EINVAL, "bool payload size: %d", ret);
	{
		int p[2];

		CHECK(!pipe(p), "pipe");
		ret = t_set_irqs(fd, EVFD | TRIG, 2, 0, 1, NULL, 0, p, 1);
		close(p[0]);
		close(p[1]);
		CHECK(ret == -EINVAL, "pipe as eventfd: %d", ret);
	}
	ret = t_set_irqs(fd, DNONE | MASK, 3, 0, 1, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "mask ERR: %d", ret);
	ret = t_set_irqs(fd, DNONE | TRIG, 5, 0, 1, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "index 5: %d", ret);
	ret = t_set_irqs(fd, DNONE | TRIG, 2, 1, 0, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "count 0 with start 1: %d", ret);
	s.argsz = 16;
	ret = t_call(fd, VFIO_USER_DEVICE_SET_IRQS, &s, sizeof(s), fds, 1, NULL);
	CHECK(ret == -EINVAL, "argsz 16: %d", ret);
	ret = t_call(fd, VFIO_USER_DEVICE_SET_IRQS, &s, 16, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "payload 16: %d", ret);
	t_pass(__t_name);
out:
	close(efd);
}

static void test_intx_err(int fd, int *msix)
{
	TEST("set-irqs-intx-automask-err-req");
	int intx = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int req = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int i;

	/* Disable MSI-X (count 0, DATA_NONE, TRIGGER). */
	CHECK(!t_set_irqs(fd, DNONE | TRIG, 2, 0, 0, NULL, 0, NULL, 0),
	      "disable MSI-X");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 0, "IRQ_FDS %u",
	      t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS));
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(2, 5));
	CHECK(t_efd_read(msix[5]) == 0, "disabled MSI-X fired");
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 0, 0, 1, NULL, 0, &intx, 1),
	      "INTx assign");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(0, 0));
	CHECK(t_efd_read(intx) == 1, "INTx not fired");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_INTX_MASKED) == 1, "not automasked");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(0, 0));
	CHECK(t_efd_read(intx) == 0, "automasked INTx fired");
	CHECK(!t_set_irqs(fd, DNONE | UNMASK, 0, 0, 1, NULL, 0, NULL, 0),
	      "unmask");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_INTX_MASKED) == 0, "still masked");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(0, 0));
	CHECK(t_efd_read(intx) == 1, "INTx not fired after unmask");
	/* ERR and REQ work alongside INTx. */
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 3, 0, 1, NULL, 0, &err, 1) &&
	      !t_set_irqs(fd, EVFD | TRIG, 4, 0, 1, NULL, 0, &req, 1),
	      "ERR/REQ assign");
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(3, 0));
	t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, DOORBELL(4, 0));
	CHECK(t_efd_read(err) == 1 && t_efd_read(req) == 1, "ERR/REQ fired");
	/* Back to MSI-X for the DMA tests. */
	CHECK(!t_set_irqs(fd, DNONE | TRIG, 0, 0, 0, NULL, 0, NULL, 0),
	      "disable INTx");
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 0, 8, NULL, 0, msix, 8),
	      "re-enable MSI-X");
	for (i = 0; i < 16; i++)
		t_efd_read(msix[i]);
	t_pass(__t_name);
out:
	close(intx);
	close(err);
	close(req);
}

static int dma_go(int fd, uint64_t iova, uint32_t len, uint32_t buf_off,
		  uint32_t dir, uint32_t irq)
{
	if (t_wr64(fd, 0, VUB_SAMPLE_REG_DMA_ADDR, iova) ||
	    t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_LEN, len) ||
	    t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_BUF_OFF, buf_off) ||
	    t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_DIR, dir) ||
	    t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_IRQ, irq) ||
	    t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_GO, 1))
		return -1;
	return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

/* DMA through messages; the client negotiated max_data_xfer_size 4096. */
static void test_dma_messages(struct bar2_info *b2)
{
	TEST("dma-messages-chunked");
	static uint8_t mem[0x10000], pat[40000];
	struct dma_ctx d = { .iova = 0x100000, .mem = mem, .size = sizeof(mem),
			     .max_chunk = 4096 };
	int fd = -1, efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint32_t st;

	fd = t_connect_negotiated(&S, "{\"capabilities\":{\"max_msg_fds\":4,"
				  "\"max_data_xfer_size\":4096}}");
	CHECK(fd >= 0, "connect");
	CHECK(!t_dma_map(fd, 3, d.iova, d.size, 0, -1), "DMA_MAP");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 1, "DMA_MAPS");
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 2, 1, NULL, 0, &efd, 1), "irq");
	/* Device -> host. */
	fill(pat, sizeof(pat), 1);
	CHECK(!t_region_write(fd, 2, 0x1000, pat, sizeof(pat)), "BAR2 fill");
	t_dma = &d;
	CHECK(!dma_go(fd, d.iova + 100, sizeof(pat), 0x1000,
		      VUB_SAMPLE_DMA_DIR_TO_HOST, 3), "GO to host");
	CHECK(d.bad == 0, "malformed DMA_WRITE requests (%d)", d.bad);
	CHECK(d.nreq == (sizeof(pat) + 4095) / 4096, "%d DMA_WRITE requests",
	      d.nreq);
	CHECK(!memcmp(mem + 100, pat, sizeof(pat)), "host memory differs");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == VUB_SAMPLE_DMA_OK, "STATUS %#x", st);
	CHECK(t_efd_read(efd) == 1, "completion MSI-X vector 2 not fired");
	/* Host -> device. */
	fill(mem, sizeof(mem), 2);
	d.nreq = 0;
	CHECK(!dma_go(fd, d.iova, 9000, 0x20000, VUB_SAMPLE_DMA_DIR_FROM_HOST,
		      0), "GO from host");
	CHECK(d.bad == 0 && d.nreq == 3, "%d DMA_READ requests (bad %d)",
	      d.nreq, d.bad);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS) == VUB_SAMPLE_DMA_OK,
	      "STATUS");
	CHECK(b2->map && !memcmp(b2->map + 0x20000, mem, 9000),
	      "BAR2 differs from host memory");
	/* The client fails a DMA_READ: STATUS carries its errno. */
	d.fail_errno = EIO;
	CHECK(!dma_go(fd, d.iova, 100, 0, VUB_SAMPLE_DMA_DIR_FROM_HOST, 0),
	      "GO (failing)");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EIO), "STATUS %#x", st);
	d.fail_errno = 0;
	/* A command sent while the server waits for a DMA reply. */
	d.interleave = true;
	d.nreq = 0;
	t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 0x77);
	CHECK(!dma_go(fd, d.iova, 5000, 0, VUB_SAMPLE_DMA_DIR_TO_HOST, 0),
	      "GO (interleaved)");
	CHECK(d.bad == 0, "interleaved reply came before the GO reply");
	{
		struct reply r;
		int ret = t_recv(fd, &r, 2000);
		struct vfio_user_region_access *ra = (void *)r.data;

		CHECK(!ret && r.hdr.msg_id == d.interleave_id &&
		      r.len == 20 && ra->data[0] == 0x77,
		      "interleaved command reply: %d", ret);
		t_reply_free(&r);
	}
	t_pass(__t_name);
out:
	t_dma = NULL;
	close(efd);
	if (fd >= 0)
		close(fd);
}

static void test_dma_fd(void)
{
	TEST("dma-memfd");
	struct dma_ctx d = { 0 };
	uint8_t pat[20000], *m = MAP_FAILED;
	int fd = -1, mfd = memfd_create("dma", MFD_CLOEXEC);

	CHECK(mfd >= 0 && !ftruncate(mfd, 0x40000), "memfd");
	m = mmap(NULL, 0x40000, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(m != MAP_FAILED, "mmap");
	fd = t_connect_negotiated(&S, NULL);
	CHECK(fd >= 0, "connect");
	CHECK(!t_dma_map(fd, 3, 0x400000, 0x10000, 0x3000, mfd), "DMA_MAP fd");
	close(mfd);
	mfd = -1;
	fill(pat, sizeof(pat), 3);
	CHECK(!t_region_write(fd, 2, 0x40000, pat, sizeof(pat)), "BAR2 fill");
	t_dma = &d;		/* must stay unused */
	CHECK(!dma_go(fd, 0x400010, sizeof(pat), 0x40000,
		      VUB_SAMPLE_DMA_DIR_TO_HOST, 0), "GO");
	CHECK(d.nreq == 0, "server sent %d DMA messages", d.nreq);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS) == VUB_SAMPLE_DMA_OK,
	      "STATUS");
	CHECK(!memcmp(m + 0x3010, pat, sizeof(pat)), "memfd content differs");
	fill(m + 0x3000, 0x1000, 4);
	CHECK(!dma_go(fd, 0x400000, 0x1000, 0x50000,
		      VUB_SAMPLE_DMA_DIR_FROM_HOST, 0), "GO from host");
	CHECK(!t_region_read(fd, 2, 0x50000, pat, 0x1000) &&
	      !memcmp(pat, m + 0x3000, 0x1000), "BAR2 differs");
	t_pass(__t_name);
out:
	t_dma = NULL;
	if (m != MAP_FAILED)
		munmap(m, 0x40000);
	if (mfd >= 0)
		close(mfd);
	if (fd >= 0)
		close(fd);
}

static void test_dma_errors(void)
{
	TEST("dma-map-unmap-errors");
	int fd = t_connect_negotiated(&S, NULL), ret, i;
	uint32_t st;

	CHECK(fd >= 0, "connect");
	/* DMA to an unmapped IOVA. */
	CHECK(!dma_go(fd, 0x5000000, 64, 0, VUB_SAMPLE_DMA_DIR_TO_HOST, 0),
	      "GO");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EFAULT), "STATUS %#x", st);
	CHECK(!t_dma_map(fd, 1, 0x10000, 0x4000, 0, -1), "map");
	ret = t_dma_map(fd, 3, 0x12000, 0x4000, 0, -1);
	CHECK(ret == -EEXIST, "overlap: %d", ret);
	/* Read-only region: the device may not write it. */
	CHECK(!dma_go(fd, 0x10000, 64, 0, VUB_SAMPLE_DMA_DIR_TO_HOST, 0), "GO");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EPERM), "STATUS RO %#x", st);
	/* Crossing the end of a region. */
	CHECK(!dma_go(fd, 0x13ff0, 64, 0, VUB_SAMPLE_DMA_DIR_FROM_HOST, 0),
	      "GO");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EFAULT), "STATUS end %#x", st);
	ret = t_dma_map(fd, 3, 0x100000, 0, 0, -1);
	CHECK(ret == -EINVAL, "size 0: %d", ret);
	ret = t_dma_map(fd, 3, 0x100000, (8ULL << 40) + 4096, 0, -1);
	CHECK(ret == -EINVAL, "size > 8 TiB: %d", ret);
	ret = t_dma_map(fd, 3, ~0ULL - 4095, 8192, 0, -1);
	CHECK(ret == -EINVAL, "wrapping range: %d", ret);
	ret = t_dma_map(fd, 3 | 0x100, 0x100000, 4096, 0, -1);
	CHECK(ret == -EINVAL, "unknown flag: %d", ret);
	ret = t_dma_map(fd, 3 | VFIO_USER_F_DMA_REGION_MMAP, 0x100000, 4096, 0,
			-1);
	CHECK(ret == -EINVAL, "MMAP flag without fd: %d", ret);
	for (i = 1; i < 16; i++)
		CHECK(!t_dma_map(fd, 3, 0x1000000 * i, 4096, 0, -1), "map %d", i);
	ret = t_dma_map(fd, 3, 0x80000000, 4096, 0, -1);
	CHECK(ret == -ENOSPC, "17th region: %d", ret);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 16, "DMA_MAPS");
	ret = t_dma_unmap(fd, 0, 0x10000, 0x2000);
	CHECK(ret == -ENOENT, "partial unmap: %d", ret);
	CHECK(!t_dma_unmap(fd, 0, 0x10000, 0x4000), "unmap");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 15, "DMA_MAPS after");
	ret = t_dma_unmap(fd, VFIO_USER_F_DMA_UNMAP_ALL, 0x1000000, 0);
	CHECK(ret == -EINVAL, "unmap all with address: %d", ret);
	ret = t_dma_unmap(fd, 4, 0x1000000, 4096);
	CHECK(ret == -EINVAL, "unmap bad flags: %d", ret);
	CHECK(!t_dma_unmap(fd, VFIO_USER_F_DMA_UNMAP_ALL, 0, 0), "unmap all");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 0, "DMA_MAPS after all");
	t_pass(__t_name);
out:
	if (fd >= 0)
		close(fd);
}

static void test_reset(int fd)
{
	TEST("device-reset");
	uint32_t v = 1;
	int ret;

	t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 0x1234);
	t_wr32(fd, CFG, 4, 6);
	ret = t_call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL);
	CHECK(!ret, "reset: %d", ret);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0, "scratch not reset");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_RESET_COUNT) == 1, "RESET_COUNT");
	CHECK((cfg32(fd, 4) & 0xffff) == 0, "command not reset");
	ret = t_call(fd, VFIO_USER_DEVICE_RESET, &v, 4, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "reset with payload: %d", ret);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_RESET_COUNT) == 1, "RESET_COUNT 2");
	t_pass(__t_name);
out:
	;
}

static void test_write_multi(void)
{
	TEST("region-write-multi");
	struct {
		struct vfio_user_wr_multi h;
		struct vfio_user_wr_multi_entry e[2];
	} __attribute__((packed)) wm;
	struct reply r = { };
	uint64_t v64;
	int fd, ret;

	memset(&wm, 0, sizeof(wm));
	wm.h.wr_cnt = 2;
	wm.e[0].offset = VUB_SAMPLE_REG_SCRATCH;
	wm.e[0].count = 4;
	wm.e[0].data[0] = 0x42;
	wm.e[1].offset = VUB_SAMPLE_REG_SCRATCH64;
	wm.e[1].count = 8;
	memset(wm.e[1].data, 0x11, 8);
	/* Not negotiated: refused. */
	fd = t_connect_negotiated(&S, NULL);
	CHECK(fd >= 0, "connect");
	ret = t_call(fd, VFIO_USER_REGION_WRITE_MULTI, &wm, sizeof(wm), NULL,
		     0, NULL);
	CHECK(ret == -EINVAL, "without write_multiple: %d", ret);
	close(fd);
	fd = t_connect_negotiated(&S, "{\"capabilities\":"
				  "{\"write_multiple\":true}}");
	CHECK(fd >= 0, "connect");
	ret = t_call(fd, VFIO_USER_REGION_WRITE_MULTI, &wm, sizeof(wm), NULL,
		     0, &r);
	CHECK(!ret && r.len == 8 && *(uint64_t *)r.data == 2, "reply: %d", ret);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0x42, "scratch");
	CHECK(!t_rd64(fd, 0, VUB_SAMPLE_REG_SCRATCH64, &v64) &&
	      v64 == 0x1111111111111111ULL, "scratch64");
	ret = t_call(fd, VFIO_USER_REGION_WRITE_MULTI, &wm, sizeof(wm) - 24,
		     NULL, 0, NULL);
	CHECK(ret == -EINVAL, "wr_cnt vs size: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
}

static void test_misc_cmds(int fd)
{
	TEST("io-fds-and-feature");
	struct vfio_user_region_io_fds_request io = { .argsz = 16, .index = 0 };
	const uint32_t get = VFIO_USER_DEVICE_FEATURE_GET |
			     VFIO_USER_DEVICE_FEATURE_MIGRATION;
	struct reply r = { };
	int ret;

	/* argsz too small for BAR0's two ioeventfds: the header only. */
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &io, sizeof(io),
		     NULL, 0, &r);
	CHECK(!ret && r.len == 16 && ((uint32_t *)r.data)[3] == 2 &&
	      ((uint32_t *)r.data)[0] == 16 + 2 * 40 && r.nfds == 0,
	      "IO_FDS: %d", ret);
	t_reply_free(&r);
	io.argsz = 16 + 2 * 40;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &io, sizeof(io),
		     NULL, 0, &r);
	CHECK(!ret && r.len == 16 + 2 * 40 && ((uint32_t *)r.data)[3] == 2 &&
	      r.nfds == 2, "IO_FDS BAR0: %d len %u fds %d", ret, r.len,
	      r.nfds);
	t_reply_free(&r);
	io.argsz = 16;
	io.flags = 1;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &io, sizeof(io),
		     NULL, 0, NULL);
	CHECK(ret == -EINVAL, "IO_FDS flags: %d", ret);
	io.flags = 0;
	io.index = 1;
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &io, sizeof(io),
		     NULL, 0, NULL);
	CHECK(ret == -EINVAL, "IO_FDS absent region: %d", ret);
	ret = t_feature(fd, get, 16, NULL, 0, &r);
	CHECK(ret == -ENOTSUP && r.len == 0, "FEATURE: %d", ret);
	t_reply_free(&r);
	ret = t_feature(fd, get | VFIO_USER_DEVICE_FEATURE_SET, 16, NULL, 0,
			NULL);
	CHECK(ret == -EINVAL, "FEATURE GET|SET: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
}

static void test_negative(void)
{
	TEST("negative-requests");
	struct vfio_user_region_access ra = { .offset = 0, .region = 0,
					      .count = 4 };
	struct vfio_user_device_info di = { .argsz = 16 };
	struct vfio_user_header h;
	struct reply r = { };
	int fd = t_connect_negotiated(&S, NULL), ret, efd;
	uint8_t big[64];

	CHECK(fd >= 0, "connect");
	/* msg_size smaller than a header. */
	h = (struct vfio_user_header){ .msg_id = 0x99, .cmd = 4, .msg_size = 8 };
	t_send_raw(fd, &h, sizeof(h), NULL, 0);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 0x99 &&
	      (r.hdr.flags & VFIO_USER_F_ERROR) && r.hdr.error_no == EINVAL &&
	      r.hdr.msg_size == 16, "msg_size 8: %d", ret);
	t_reply_free(&r);
	/* Payload-less command. */
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, NULL, 0, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "no payload: %d", ret);
	/* Unknown / retired / server-to-client commands. */
	ret = t_call(fd, 14, &di, sizeof(di), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "cmd 14: %d", ret);
	ret = t_call(fd, 999, &di, sizeof(di), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "cmd 999: %d", ret);
	ret = t_call(fd, VFIO_USER_DMA_READ, &di, sizeof(di), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "DMA_READ from client: %d", ret);
	ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &di, 8, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "MIG_DATA_READ: %d", ret);
	/* A reply where a command is expected. */
	t_send(fd, 0x55, VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_TYPE_REPLY,
	       &di, sizeof(di), NULL, 0);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 0x55 && r.hdr.error_no == EINVAL,
	      "reply as command: %d", ret);
	t_reply_free(&r);
	/* Region access bounds and sizes. */
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, 8, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "short REGION_READ: %d", ret);
	memset(big, 0, sizeof(big));
	memcpy(big, &ra, sizeof(ra));
	ret = t_call(fd, VFIO_USER_REGION_READ, big, sizeof(ra) + 4, NULL, 0,
		     NULL);
	CHECK(ret == -EINVAL, "REGION_READ with data: %d", ret);
	ret = t_call(fd, VFIO_USER_REGION_WRITE, big, sizeof(ra) + 8, NULL, 0,
		     NULL);
	CHECK(ret == -EINVAL, "REGION_WRITE count mismatch: %d", ret);
	ra.region = 9;
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "region 9: %d", ret);
	ra.region = 1;
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "absent BAR1: %d", ret);
	ra.region = 0;
	ra.offset = ~0ULL - 1;
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "wrapping offset: %d", ret);
	ra.region = 2;
	ra.offset = 0;
	ra.count = (1U << 20) + 1;
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "count > max_data_xfer_size: %d", ret);
	/* fds with a command that takes none. */
	efd = eventfd(0, EFD_CLOEXEC);
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), &efd, 1,
		     NULL);
	close(efd);
	CHECK(ret == -EINVAL, "GET_INFO with an fd: %d", ret);
	/* Still alive and in sync. */
	CHECK(t_alive(fd), "alive");
	/* An msg_size we cannot skip: error reply, then disconnect. */
	h = (struct vfio_user_header){ .msg_id = 0x77, .cmd = 9,
				       .msg_size = 0x7fffffff };
	t_send_raw(fd, &h, sizeof(h), NULL, 0);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 0x77 && r.hdr.error_no == EINVAL,
	      "huge msg_size: %d", ret);
	t_reply_free(&r);
	ret = t_recv(fd, &r, 2000);
	CHECK(ret == -ECONNRESET, "not disconnected: %d", ret);
	close(fd);
	fd = t_connect_negotiated(&S, NULL);
	CHECK(t_alive(fd), "server gone after huge msg_size");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
}

static void test_no_reply_flag(int fd)
{
	TEST("no-reply-flag");
	uint8_t buf[sizeof(struct vfio_user_region_access) + 4];
	struct vfio_user_region_access *ra = (void *)buf;

	ra->offset = VUB_SAMPLE_REG_SCRATCH;
	ra->region = 0;
	ra->count = 4;
	memcpy(ra->data, "\x21\x43\x65\x87", 4);
	t_send(fd, t_next_id(), VFIO_USER_REGION_WRITE, VFIO_USER_F_NO_REPLY,
	       buf, sizeof(buf), NULL, 0);
	/* The next reply must be for the next command. */
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0x87654321, "posted write");
	t_pass(__t_name);
out:
	;
}

static void test_reconnect(void)
{
	TEST("reconnect-resets-state");
	int efd = eventfd(0, EFD_CLOEXEC), fd;

	fd = t_connect_negotiated(&S, NULL);
	CHECK(fd >= 0, "connect");
	t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 5);
	t_dma_map(fd, 3, 0x1000, 0x1000, 0, -1);
	t_set_irqs(fd, EVFD | TRIG, 2, 0, 1, NULL, 0, &efd, 1);
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 1 &&
	      t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 1, "setup");
	close(fd);
	fd = t_connect_negotiated(&S, NULL);
	CHECK(fd >= 0, "reconnect");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0 &&
	      t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 0 &&
	      t_bar0(fd, VUB_SAMPLE_REG_DMA_MAPS) == 0 &&
	      t_bar0(fd, VUB_SAMPLE_REG_RESET_COUNT) == 0, "state kept");
	t_pass(__t_name);
out:
	close(efd);
	if (fd >= 0)
		close(fd);
}

static void test_options(void)
{
	TEST("options-max-fds-max-xfer");
	static const char *const args[] = { "--max-fds", "1", "--max-xfer",
					    "4096", NULL };
	struct vfio_user_region_access ra = { .region = 2, .count = 4097 };
	const struct vus_json *caps;
	struct vus_json *j = NULL;
	struct reply r = { };
	struct srv s;
	uint8_t buf[4096];
	int fd = -1, efd[2], ret;

	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	CHECK(!srv_start(&s, args), "start");
	fd = cli_connect(&s);
	CHECK(fd >= 0 && !t_negotiate(fd, "{}", &r), "negotiate");
	j = vus_json_parse((char *)r.data + 4, r.len - 5, NULL);
	caps = vus_json_get(j, "capabilities");
	CHECK(vus_json_get(caps, "max_msg_fds") &&
	      vus_json_get(caps, "max_msg_fds")->i == 1 &&
	      vus_json_get(caps, "max_data_xfer_size") &&
	      vus_json_get(caps, "max_data_xfer_size")->i == 4096,
	      "advertised caps");
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, NULL);
	CHECK(ret == -EINVAL, "count 4097: %d", ret);
	CHECK(!t_region_read(fd, 2, 0, buf, 4096), "count 4096");
	ret = t_set_irqs(fd, EVFD | TRIG, 2, 0, 2, NULL, 0, efd, 2);
	CHECK(ret == -EINVAL, "2 fds with max_msg_fds 1: %d", ret);
	CHECK(!t_set_irqs(fd, EVFD | TRIG, 2, 0, 1, NULL, 0, efd, 1), "1 fd");
	t_pass(__t_name);
out:
	vus_json_free(j);
	t_reply_free(&r);
	close(efd[0]);
	close(efd[1]);
	if (fd >= 0)
		close(fd);
	srv_stop(&s);
}

/*
 * Random but well-framed requests: every one must get a reply with its
 * id, and the server must survive.  Payloads start with plausible
 * fields so that some requests get past the first checks.
 */
static void test_random_requests(void)
{
	TEST("random-requests");
	static uint8_t mem[4096];
	struct dma_ctx d = { .iova = 0, .mem = mem, .size = sizeof(mem),
			     .fail_errno = EIO };
	uint32_t seed = 12345, i, ok = 0, err = 0;
	uint8_t buf[256];
	int fd = t_connect_negotiated(&S, "{\"capabilities\":"
				      "{\"write_multiple\":true}}"), ret, k;

	CHECK(fd >= 0, "connect");
	t_dma = &d;
	for (i = 0; i < 3000; i++) {
		uint16_t cmd;
		uint32_t len;

		seed = seed * 1103515245 + 12345;
		cmd = (seed >> 16) % 20;
		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % 64;
		for (k = 0; k < (int)sizeof(buf); k++) {
			seed = seed * 1103515245 + 12345;
			buf[k] = seed >> 24;
		}
		/* Small argsz/index/region/count values now and then. */
		if (i & 1) {
			buf[0] = 16 + (buf[0] & 31);
			buf[1] = buf[2] = buf[3] = 0;
			buf[8] &= 7;
			buf[9] = buf[10] = buf[11] = 0;
			buf[12] &= 15;
			buf[13] = buf[14] = buf[15] = 0;
		}
		if (cmd == VFIO_USER_VERSION && (i & 2))
			cmd = VFIO_USER_DEVICE_GET_INFO;
		ret = t_call(fd, cmd, buf, len, NULL, 0, NULL);
		if (ret == -EPROTO || ret == -ETIMEDOUT || ret == -ECONNRESET)
			break;
		if (ret)
			err++;
		else
			ok++;
	}
	CHECK(i == 3000, "request %u: %d", i, ret);
	CHECK(d.bad == 0 || d.nreq >= d.bad, "DMA requests");
	CHECK(t_alive(fd), "alive");
	if (t_verbose)
		fprintf(stderr, "random: %u ok, %u errors, %d DMA requests\n",
			ok, err, d.nreq);
	CHECK(ok > 100 && err > 100, "%u ok, %u errors", ok, err);
	t_pass(__t_name);
out:
	t_dma = NULL;
	if (fd >= 0)
		close(fd);
}

static void test_once_pidfile(void)
{
	TEST("once-pidfile-sigterm");
	char pidfile[256];
	const char *args[] = { "--once", "--pidfile", pidfile, NULL };
	struct srv s;
	struct stat st;
	int fd, status;
	FILE *f;
	int pid = 0;

	snprintf(pidfile, sizeof(pidfile), "%s/once.pid", t_tmpdir);
	CHECK(!srv_start(&s, args), "start");
	f = fopen(pidfile, "r");
	CHECK(f && fscanf(f, "%d", &pid) == 1 && pid == s.pid, "pidfile");
	fclose(f);
	fd = t_connect_negotiated(&s, NULL);
	CHECK(fd >= 0, "connect");
	close(fd);
	CHECK(srv_exited(&s, 3000), "--once server still running");
	status = s.status;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status");
	CHECK(stat(s.sock, &st) && stat(pidfile, &st), "socket/pidfile left");
	/* SIGTERM: clean exit, socket removed. */
	CHECK(!srv_start(&s, NULL), "start");
	CHECK(srv_stop(&s) == 0, "SIGTERM exit status");
	CHECK(stat(s.sock, &st), "socket left after SIGTERM");
	t_pass(__t_name);
out:
	;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ }
	};
	struct bar2_info b2 = { .map = NULL, .fd = -1 };
	char tmpl[] = "/tmp/vus-test.XXXXXX";
	char cmd[300];
	int opt, fd, msix[16], i;

	while ((opt = getopt_long(argc, argv, "v", lopts, NULL)) != -1) {
		if (opt == 's')
			t_server_path = optarg;
		else if (opt == 'v')
			t_verbose = 1;
		else
			return 2;
	}
	t_tmpdir = mkdtemp(tmpl);
	if (!t_tmpdir) {
		perror("mkdtemp");
		return 2;
	}
	if (srv_start(&S, NULL)) {
		printf("FAIL: server-start: %s did not print ready\n",
		       t_server_path);
		return 1;
	}
	t_pass("server-start");

	test_version();
	test_version_minor();
	test_version_bad();
	fd = t_connect_negotiated(&S, "{\"capabilities\":{\"max_msg_fds\":8}}");
	if (fd < 0) {
		t_fail("connect", "cannot negotiate");
	} else {
		test_device_info(fd);
		test_region_info(fd, &b2);
		test_bar2(fd, &b2);
		test_irq_info(fd);
		test_config(fd);
		test_bar0(fd);
		test_irqs(fd, msix);
		test_irq_validation(fd);
		test_intx_err(fd, msix);
		test_misc_cmds(fd);
		test_no_reply_flag(fd);
		test_reset(fd);
		close(fd);
		for (i = 0; i < 16; i++)
			close(msix[i]);
	}
	/* BAR2 mapping survives the client: the memfd is the device's. */
	test_dma_messages(&b2);
	test_dma_fd();
	test_dma_errors();
	test_write_multi();
	test_negative();
	test_reconnect();
	test_config_4k();
	test_options();
	test_random_requests();
	test_once_pidfile();
	run_fault_tests();
	run_mig_tests();

	if (srv_stop(&S) != 0)
		t_fail("server-exit", "default server did not exit cleanly");
	else
		t_pass("server-exit");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_tmpdir);
	opt = system(cmd);
	(void)opt;
	printf("%d tests, %d failed\n", t_total(), t_failures());
	return t_failures() ? 1 : 0;
}
