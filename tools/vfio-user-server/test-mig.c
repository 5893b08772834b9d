// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the sample server's migration (--migration): the feature,
 * the arcs, commands refused while stopped, a save on one server and a
 * restore into a fresh one, a corrupted stream, held interrupts, and
 * the migration fault modes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "test.h"

static const char *const mig_args[] = { "--migration", NULL };

#define MIG_GET	(VFIO_USER_DEVICE_FEATURE_GET | \
		 VFIO_USER_DEVICE_FEATURE_MIGRATION)

/* Reads the whole stream; returns its length or -errno. */
static long mig_read_all(int fd, uint8_t *buf, size_t max, uint32_t chunk)
{
	struct vfio_user_mig_data req = { .argsz = 8 + chunk, .size = chunk };
	struct reply r = { };
	size_t len = 0;
	int ret;

	for (;;) {
		struct vfio_user_mig_data *o;

		ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req),
			     NULL, 0, &r);
		if (ret)
			return ret;
		o = (void *)r.data;
		if (r.len < 8 || o->size != r.len - 8 || o->size > chunk ||
		    o->argsz != r.len || len + o->size > max) {
			t_reply_free(&r);
			return -EPROTO;
		}
		if (!o->size) {
			t_reply_free(&r);
			return len;
		}
		memcpy(buf + len, o->data, o->size);
		len += o->size;
		t_reply_free(&r);
	}
}

static int mig_write_all(int fd, const uint8_t *buf, size_t len,
			 uint32_t chunk)
{
	struct vfio_user_mig_data *req = malloc(8 + chunk);
	size_t off = 0;
	int ret = 0;

	if (!req)
		return -ENOMEM;
	while (off < len && !ret) {
		uint32_t n = len - off < chunk ? len - off : chunk;

		req->argsz = 8 + n;
		req->size = n;
		memcpy(req->data, buf + off, n);
		ret = t_call(fd, VFIO_USER_MIG_DATA_WRITE, req, 8 + n, NULL, 0,
			     NULL);
		off += n;
	}
	free(req);
	return ret;
}

static void test_mig_feature(void)
{
	TEST("mig-feature");
	struct reply r = { };
	struct srv s;
	uint32_t st;
	int fd, ret;

	fd = t_start(&s, mig_args, true);
	CHECK(fd >= 0, "server start and connect");
	ret = t_feature(fd, MIG_GET, 16, NULL, 0, &r);
	CHECK(!ret && r.len == 16 &&
	      *(uint64_t *)(r.data + 8) == VFIO_USER_MIGRATION_STOP_COPY,
	      "GET MIGRATION: %d len %u", ret, r.len);
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_RUNNING,
	      "initial state");
	/* Every arc, and the two-step walks. */
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP), "RUNNING->STOP");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP_COPY), "STOP->STOP_COPY");
	CHECK(t_mig_set(fd, VFIO_USER_DEVICE_STATE_RUNNING_P2P) == -EINVAL,
	      "P2P refused");
	CHECK(t_mig_set(fd, VFIO_USER_DEVICE_STATE_PRE_COPY) == -EINVAL,
	      "PRE_COPY refused");
	CHECK(t_mig_set(fd, VFIO_USER_DEVICE_STATE_RESUMING) == 0,
	      "STOP_COPY->STOP->RESUMING");
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_RESUMING,
	      "RESUMING");
	CHECK(t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP) == -EINVAL,
	      "RESUMING->STOP with an empty stream refused");
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_ERROR,
	      "a failed load leaves ERROR");
	CHECK(t_mig_set(fd, VFIO_USER_DEVICE_STATE_RUNNING) == -EINVAL,
	      "no arc out of ERROR");
	CHECK(!t_call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL),
	      "DEVICE_RESET in ERROR");
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_RUNNING,
	      "RUNNING after the reset");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void test_mig_stopped(void)
{
	TEST("mig-refused-while-stopped");
	struct srv s;
	uint32_t v;
	int fd, efd = -1, ret;

	fd = t_start(&s, mig_args, true);
	CHECK(fd >= 0, "server start and connect");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0, "eventfd");
	CHECK(!t_dma_map(fd, VFIO_USER_F_DMA_REGION_READ |
			 VFIO_USER_F_DMA_REGION_WRITE, 0, 1 << 20, 0, -1),
	      "DMA_MAP while running");
	CHECK(!t_set_irqs(fd, VFIO_USER_IRQ_SET_DATA_EVENTFD |
			  VFIO_USER_IRQ_SET_ACTION_TRIGGER,
			  VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0, &efd, 1),
	      "MSI-X 0 eventfd");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP), "STOP");
	ret = t_set_irqs(fd, VFIO_USER_IRQ_SET_DATA_NONE |
			 VFIO_USER_IRQ_SET_ACTION_TRIGGER,
			 VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, 0, NULL, 0);
	CHECK(ret == -EINVAL, "SET_IRQS while stopped: %d", ret);
	ret = t_dma_map(fd, VFIO_USER_F_DMA_REGION_READ, 2 << 20, 4096, 0, -1);
	CHECK(ret == -EINVAL, "DMA_MAP while stopped: %d", ret);
	ret = t_call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL);
	CHECK(ret == -EINVAL, "DEVICE_RESET while stopped: %d", ret);
	/* Register access works; GO and the doorbell do nothing. */
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 0x1234), "scratch");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_SCRATCH) == 0x1234, "scratch read");
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_GO, 1), "GO");
	v = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(v == (VUB_SAMPLE_DMA_ERR | EBUSY), "GO while stopped: %#x", v);
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL,
		      VUB_SAMPLE_IRQ_MSIX << 16), "doorbell");
	usleep(50000);
	CHECK(t_efd_read(efd) == 0, "no interrupt while stopped");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_RUNNING), "RUNNING");
	CHECK(t_efd_read(efd) == 1, "held interrupt fired on RUNNING");
	ret = t_call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL);
	CHECK(!ret, "DEVICE_RESET while running: %d", ret);
	t_pass(__t_name);
out:
	if (efd >= 0)
		close(efd);
	t_end(&s, fd);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 12));
}

static void test_mig_roundtrip(void)
{
	TEST("mig-save-restore");
	size_t max = 4 << 20;
	uint8_t *stream = malloc(max), *pat = malloc(8192), *chk = malloc(8192);
	struct srv a, b;
	int fa = -1, fb = -1;
	long len = -1;
	uint32_t st;
	uint64_t v64;

	CHECK(stream && pat && chk, "malloc");
	fa = t_start(&a, mig_args, true);
	fb = t_start(&b, mig_args, true);
	CHECK(fa >= 0 && fb >= 0, "servers start and connect");
	fill(pat, 8192, 3);
	CHECK(!t_wr32(fa, 0, VUB_SAMPLE_REG_SCRATCH, 0xc0ffee), "scratch");
	CHECK(!t_wr64(fa, 0, VUB_SAMPLE_REG_SCRATCH64, 0x1122334455667788ULL),
	      "scratch64");
	CHECK(!t_region_write(fa, 2, 0x80000 - 4096, pat, 8192), "bar2");
	CHECK(!t_mig_set(fa, VFIO_USER_DEVICE_STATE_STOP_COPY),
	      "RUNNING->STOP->STOP_COPY");
	len = mig_read_all(fa, stream, max, 65536);
	CHECK(len > VUB_SAMPLE_BAR2_SIZE, "stream: %ld", len);
	CHECK(mig_read_all(fa, stream + len, max - len, 4096) == 0,
	      "end of stream stays at the end");
	CHECK(!t_mig_set(fa, VFIO_USER_DEVICE_STATE_RUNNING), "a back to RUNNING");

	CHECK(!t_mig_set(fb, VFIO_USER_DEVICE_STATE_RESUMING), "b RESUMING");
	/* A corrupted stream is refused and the state stays RESUMING. */
	stream[100] ^= 1;
	CHECK(!mig_write_all(fb, stream, len, 100000), "write corrupted");
	CHECK(t_mig_set(fb, VFIO_USER_DEVICE_STATE_STOP) == -EINVAL,
	      "corrupted stream refused");
	CHECK(!t_mig_get(fb, &st) && st == VFIO_USER_DEVICE_STATE_ERROR,
	      "ERROR after a refused stream");
	CHECK(!t_call(fb, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL),
	      "reset out of ERROR");
	stream[100] ^= 1;
	CHECK(!t_mig_set(fb, VFIO_USER_DEVICE_STATE_RESUMING), "RESUMING again");
	CHECK(!mig_write_all(fb, stream, len, 100000), "write");
	CHECK(!t_mig_set(fb, VFIO_USER_DEVICE_STATE_RUNNING),
	      "RESUMING->STOP->RUNNING");
	CHECK(t_bar0(fb, VUB_SAMPLE_REG_SCRATCH) == 0xc0ffee, "scratch moved");
	CHECK(!t_rd64(fb, 0, VUB_SAMPLE_REG_SCRATCH64, &v64) &&
	      v64 == 0x1122334455667788ULL, "scratch64 moved");
	CHECK(!t_region_read(fb, 2, 0x80000 - 4096, chk, 8192) &&
	      !memcmp(chk, pat, 8192), "BAR2 moved");
	t_pass(__t_name);
out:
	t_end(&a, fa);
	t_end(&b, fb);
	free(stream);
	free(pat);
	free(chk);
}

static void test_mig_absent(void)
{
	TEST("mig-absent-without-option");
	struct vfio_user_mig_data d = { .argsz = 8, .size = 0 };
	struct srv s;
	int fd, ret;

	fd = t_start(&s, NULL, true);
	CHECK(fd >= 0, "server start and connect");
	ret = t_feature(fd, MIG_GET, 16, NULL, 0, NULL);
	CHECK(ret == -ENOTSUP, "GET MIGRATION: %d", ret);
	ret = t_call(fd, VFIO_USER_MIG_DATA_WRITE, &d, sizeof(d), NULL, 0,
		     NULL);
	CHECK(ret == -EINVAL, "MIG_DATA_WRITE: %d", ret);
	t_pass(__t_name);
out:
	t_end(&s, fd);
}

static void test_mig_faults(void)
{
	TEST("mig-faults");
	static const char *const args[] = {
		"--migration", "--fault", "mig-refuse", "--fault",
		"mig-oversized-data", "--fault", "mig-short-data:2", NULL,
	};
	struct vfio_user_mig_data req = { .argsz = 8 + 4096, .size = 4096 };
	struct reply r = { };
	struct vfio_user_mig_data *o;
	struct srv s;
	uint32_t st;
	int fd, ret;

	fd = t_start(&s, args, true);
	CHECK(fd >= 0, "server start and connect");
	ret = t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP);
	CHECK(ret == -EIO, "mig-refuse: %d", ret);
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_RUNNING,
	      "state unchanged");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP_COPY), "STOP_COPY");
	ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req), NULL, 0,
		     &r);
	o = (void *)r.data;
	CHECK(!ret && o->size == 4096 + 16 && r.len == 8 + 4096 + 16,
	      "oversized: %d size %u", ret, o->size);
	t_reply_free(&r);
	ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req), NULL, 0,
		     &r);
	o = (void *)r.data;
	CHECK(!ret && o->size == 4096 && r.len == 8 + 2048,
	      "short: %d size %u len %u", ret, o->size, r.len);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

/*
 * mig-write-refuse:2: the second MIG_DATA_WRITE is answered with EIO
 * and its data dropped; the first and the third are taken.
 */
static void test_mig_write_refuse(void)
{
	TEST("mig-write-refuse");
	static const char *const args[] = {
		"--migration", "--fault", "mig-write-refuse:2", NULL,
	};
	struct {
		struct vfio_user_mig_data h;
		uint8_t data[16];
	} req = { .h = { .argsz = 8 + 16, .size = 16 } };
	static const int want[] = { 0, -EIO, 0 };
	struct srv s;
	uint32_t st;
	int fd, ret, i;

	fd = t_start(&s, args, true);
	CHECK(fd >= 0, "server start and connect");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_RESUMING), "RESUMING");
	for (i = 0; i < 3; i++) {
		ret = t_call(fd, VFIO_USER_MIG_DATA_WRITE, &req, sizeof(req),
			     NULL, 0, NULL);
		CHECK(ret == want[i], "write %d: %d, want %d", i + 1, ret,
		      want[i]);
	}
	CHECK(!t_mig_get(fd, &st) && st == VFIO_USER_DEVICE_STATE_RESUMING,
	      "still RESUMING");
	t_pass(__t_name);
out:
	t_end(&s, fd);
}

/*
 * --mig-pad-reads: a short read (the stream's tail, the end) is padded
 * with zeros to the requested size, argsz and size name the data.
 */
static void test_mig_pad_reads(void)
{
	TEST("mig-pad-reads");
	static const char *const args[] = {
		"--migration", "--mig-pad-reads", NULL,
	};
	const uint32_t chunk = 300000;
	struct vfio_user_mig_data req = { .argsz = 8 + chunk, .size = chunk };
	struct vfio_user_mig_data *o;
	struct reply r = { };
	struct srv s;
	uint32_t i;
	int fd, ret;

	fd = t_start(&s, args, true);
	CHECK(fd >= 0, "server start and connect");
	CHECK(!t_mig_set(fd, VFIO_USER_DEVICE_STATE_STOP_COPY), "STOP_COPY");
	/* Full reads up to the stream's tail. */
	for (i = 0; i < 8; i++) {
		ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req),
			     NULL, 0, &r);
		o = (void *)r.data;
		CHECK(!ret && r.len == 8 + chunk && o->argsz == 8 + o->size,
		      "read %u: %d len %u size %u argsz %u", i, ret, r.len,
		      o->size, o->argsz);
		if (o->size < chunk)
			break;
		t_reply_free(&r);
	}
	CHECK(i < 8 && o->size, "no short tail (%u reads)", i);
	for (i = 8 + o->size; i < r.len; i++)
		CHECK(!r.data[i], "padding byte %u: %#x", i, r.data[i]);
	t_reply_free(&r);
	ret = t_call(fd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req), NULL, 0,
		     &r);
	o = (void *)r.data;
	CHECK(!ret && r.len == 8 + chunk && o->size == 0 && o->argsz == 8,
	      "end: %d len %u size %u", ret, r.len, o->size);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

void run_mig_tests(void)
{
	test_mig_absent();
	test_mig_feature();
	test_mig_stopped();
	test_mig_roundtrip();
	test_mig_faults();
	test_mig_write_refuse();
	test_mig_pad_reads();
}
