// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mig-test: the VFIO migration v2 uAPI of a bridged sample device
 * (tools/include/vub_sample.h), through the public uAPI only: container,
 * type1v2, group, device fd, VFIO_DEVICE_FEATURE and the data fds.
 * Prints "PASS: <name>" / "FAIL: <name>: reason" lines; exits non-zero
 * if anything failed.
 *
 * usage: vfio-mig-test DEVICE TEST [FILE]
 *   flags          migration flags STOP_COPY, MIG_DATA_SIZE max_data_xfer_size
 *   no-migration   VFIO_DEVICE_FEATURE_MIGRATION absent (ENOTTY)
 *   arcs           every legal arc (and walks), illegal states EINVAL
 *   save FILE      program device state, STOP_COPY, stream to FILE
 *   restore FILE   RESUMING from FILE, check the device state
 *   stale-fd       data fds ENODEV after leaving the state and close
 *   reset          VFIO_DEVICE_RESET from STOP, STOP_COPY and RESUMING
 *   stream-eio     reading the stream ends in EIO (server misbehaves)
 *   set-eio        RUNNING -> STOP fails with EIO (server misbehaves)
 *   dma-stopped    server DMA refused while stopped, served when running
 *   dma-stopped-direct  the same with dma=mmap: the server's mapping of
 *                  the consumer's memory is cut off while stopped
 *   dirty          VFIO_IOMMU_DIRTY_PAGES reports the DMA-written pages
 *   dirty-direct   the same with dma=mmap: the pages pinned for the
 *                  server's mapping (reported in every read) and those
 *                  written by DMA_WRITE messages
 *   bar2-fill      write the pattern "save" uses into BAR2 (for QEMU)
 *   bar2-check     BAR2 holds that pattern
 *   hold-stop:SECONDS  STOP, say STOPPED, keep it for SECONDS, RUNNING
 *                  (an upgrade is refused meanwhile: t-23)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "consumer-lib.h"
#include "vub_sample.h"

#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#endif

#define DMA_IOVA	0x100000000ULL
#define DMA_SIZE	(1U << 20)
/* dirty-direct: two 2 MiB chunks (the bridge pins a chunk per fault). */
#define DMAW_SIZE	(4U << 20)
#define DMAW_CHUNK	512U	/* pages */
#define PG		4096U
#define STREAM_MAX	(8U << 20)

#define S_ERROR		VFIO_DEVICE_STATE_ERROR
#define S_STOP		VFIO_DEVICE_STATE_STOP
#define S_RUNNING	VFIO_DEVICE_STATE_RUNNING
#define S_STOP_COPY	VFIO_DEVICE_STATE_STOP_COPY
#define S_RESUMING	VFIO_DEVICE_STATE_RESUMING

#define PINNED()	dev_attr_long("stats/dma_pinned")

#define CHECK(cond, ...) do {				\
	if (!(cond)) {					\
		fail(name, __VA_ARGS__);		\
		return;					\
	}						\
} while (0)

/* VFIO_DEVICE_FEATURE with up to 8 bytes of data; -errno or 0. */
static int feature(uint32_t flags, void *data, size_t len)
{
	struct {
		struct vfio_device_feature f;
		uint64_t data;
	} b = { .f.argsz = sizeof(b.f) + len, .f.flags = flags };

	memcpy(&b.data, data, len);
	if (ioctl(vo.device, VFIO_DEVICE_FEATURE, &b))
		return -errno;
	memcpy(data, &b.data, len);
	return 0;
}

/* SET the state: -errno, or the data fd (-1 when none). */
static int set_state(uint32_t state)
{
	struct vfio_device_feature_mig_state st = { .device_state = state,
						    .data_fd = -1 };
	int ret;

	ret = feature(VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	return ret ? ret : st.data_fd;
}

static int get_state(void)
{
	struct vfio_device_feature_mig_state st = { 0 };
	int ret;

	ret = feature(VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	return ret ? ret : (int)st.device_state;
}

/* The consumer migrating: STOP for SECONDS, then RUNNING again. */
static void test_hold_stop(double secs)
{
	int ret;

	ret = set_state(VFIO_DEVICE_STATE_STOP);
	if (ret != -1)
		return fail("hold-stop", "RUNNING -> STOP: %d", ret);
	printf("STOPPED\n");
	fflush(stdout);
	usleep(secs * 1e6);
	ret = set_state(VFIO_DEVICE_STATE_RUNNING);
	if (ret != -1)
		return fail("hold-stop", "STOP -> RUNNING: %d", ret);
	pass("hold-stop");
}

/* Reads the whole stream; its length, or -errno. */
static long read_stream(int fd, uint8_t *buf, size_t max, size_t chunk)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len + chunk > max)
			return -E2BIG;
		n = read(fd, buf + len, chunk);
		if (n < 0)
			return -errno;
		if (n == 0)
			return len;
		len += n;
	}
}

static int write_stream(int fd, const uint8_t *buf, size_t len, size_t chunk)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, buf + off, len - off < chunk ? len - off : chunk);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
	}
	return 0;
}

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed + (i >> 9));
}

/* ---- tests ------------------------------------------------------------ */

static void test_flags(void)
{
	const char *name = "flags";
	struct vfio_device_feature_migration mig = { 0 };
	unsigned long long xfer = 0;
	char path[PATH_MAX];
	uint64_t size = 0;
	FILE *f;
	int ret;

	ret = feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		      &mig, sizeof(mig));
	CHECK(!ret, "GET MIGRATION: %s", strerror(-ret));
	CHECK(mig.flags == VFIO_MIGRATION_STOP_COPY, "flags %#llx",
	      (unsigned long long)mig.flags);
	ret = feature(VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &size, 8);
	CHECK(!ret, "PROBE MIG_DEVICE_STATE: %s", strerror(-ret));
	ret = get_state();
	CHECK(ret == S_RUNNING, "initial state %d", ret);
	snprintf(path, sizeof(path),
		 "/sys/bus/vfio-user/devices/%s/caps/max_data_xfer_size",
		 dev_name);
	f = fopen(path, "r");
	CHECK(f && fscanf(f, "%llu", &xfer) == 1, "%s", path);
	fclose(f);
	ret = feature(VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &size, 8);
	CHECK(!ret && size == xfer, "MIG_DATA_SIZE before any save: %d, %llu",
	      ret, (unsigned long long)size);
	pass(name);
}

static void test_no_migration(void)
{
	const char *name = "no-migration";
	struct vfio_device_feature_migration mig = { 0 };
	int ret;

	ret = feature(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		      &mig, sizeof(mig));
	CHECK(ret == -ENOTTY, "GET MIGRATION: %d", ret);
	ret = set_state(S_STOP);
	CHECK(ret == -ENOTTY, "SET STOP: %d", ret);
	pass(name);
}

/* Go to @to; data fd expected iff @want_fd; state checked after. */
static bool arc(const char *name, uint32_t to, bool want_fd, int *fdp)
{
	int fd = set_state(to), st;

	if (fd < -1 || (fd >= 0) != want_fd) {
		fail(name, "-> %u: %d", to, fd);
		if (fd >= 0)
			close(fd);
		return false;
	}
	st = get_state();
	if (st != (int)to) {
		fail(name, "-> %u: GET says %d", to, st);
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fdp)
		*fdp = fd;
	else if (fd >= 0)
		close(fd);
	return true;
}

static void test_arcs(void)
{
	const char *name = "arcs";
	static const uint32_t bad[] = { S_ERROR, VFIO_DEVICE_STATE_RUNNING_P2P,
					6 /* PRE_COPY */, 7, 42 };
	uint8_t *stream = malloc(STREAM_MAX);
	long len;
	int fd, ret;
	unsigned int i;

	CHECK(stream, "malloc");
	/* The single arcs. */
	if (!arc(name, S_STOP, false, NULL) ||
	    !arc(name, S_STOP_COPY, true, &fd))
		goto out;
	len = read_stream(fd, stream, STREAM_MAX, 1 << 20);
	close(fd);
	if (len <= VUB_SAMPLE_BAR2_SIZE) {
		fail(name, "stream: %ld", len);
		goto out;
	}
	if (!arc(name, S_STOP, false, NULL) ||
	    !arc(name, S_RESUMING, true, &fd))
		goto out;
	ret = write_stream(fd, stream, len, 1 << 20);
	close(fd);
	if (ret) {
		fail(name, "resume write: %d", ret);
		goto out;
	}
	if (!arc(name, S_STOP, false, NULL) ||
	    !arc(name, S_RUNNING, false, NULL))
		goto out;
	/* Illegal targets: EINVAL, state unchanged. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = set_state(bad[i]);
		if (ret != -EINVAL || get_state() != S_RUNNING) {
			fail(name, "-> %u: %d, state %d", bad[i], ret,
			     get_state());
			goto out;
		}
	}
	/* The walks: RUNNING -> STOP_COPY -> RUNNING -> RESUMING -> RUNNING. */
	if (!arc(name, S_STOP_COPY, true, &fd))
		goto out;
	len = read_stream(fd, stream, STREAM_MAX, 65536);
	close(fd);
	if (len <= VUB_SAMPLE_BAR2_SIZE) {
		fail(name, "stream 2: %ld", len);
		goto out;
	}
	if (!arc(name, S_RUNNING, false, NULL) ||
	    !arc(name, S_RESUMING, true, &fd))
		goto out;
	ret = write_stream(fd, stream, len, 65536);
	close(fd);
	if (ret) {
		fail(name, "resume write 2: %d", ret);
		goto out;
	}
	if (!arc(name, S_RUNNING, false, NULL))
		goto out;
	/* STOP_COPY -> RESUMING walks through STOP. */
	if (!arc(name, S_STOP_COPY, true, &fd))
		goto out;
	close(fd);
	if (!arc(name, S_STOP, false, NULL) || !arc(name, S_RUNNING, false, NULL))
		goto out;
	pass(name);
out:
	free(stream);
}

/* Device state the save programs and the restore checks. */
#define SCRATCH		0x5a5a1234U
#define SCRATCH64	0x0123456789abcdefULL
#define MSIX_DATA	0x00004041U
#define B2_OFF		(VUB_SAMPLE_BAR2_MMAP_SIZE - 2 * PG)	/* across the trap */
#define B2_LEN		(4 * PG)

static void test_save(const char *file)
{
	const char *name = "save";
	uint8_t *b2 = malloc(B2_LEN), *stream = malloc(STREAM_MAX);
	uint64_t size = 0;
	long len;
	int fd, out;

	CHECK(b2 && stream, "malloc");
	pattern(b2, B2_LEN, 7);
	CHECK(!wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, SCRATCH) &&
	      !wr64(BAR0, VUB_SAMPLE_REG_SCRATCH64, SCRATCH64) &&
	      !wr32(BAR0, VUB_SAMPLE_MSIX_TABLE_OFFSET + 3 * 16 + 8, MSIX_DATA) &&
	      !wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, DMA_IOVA + PG) &&
	      !wr32(BAR0, VUB_SAMPLE_REG_DMA_LEN, 3 * PG),
	      "program BAR0: %m");
	CHECK(pwrite(vo.device, b2, B2_LEN, REGION_OFF(BAR2) + B2_OFF) == B2_LEN,
	      "program BAR2: %m");
	fd = set_state(S_STOP_COPY);
	CHECK(fd >= 0, "RUNNING -> STOP_COPY: %d", fd);
	len = read_stream(fd, stream, STREAM_MAX, 100000);
	close(fd);
	CHECK(len > VUB_SAMPLE_BAR2_SIZE, "stream: %ld", len);
	/* The estimate is the last complete stream's length. */
	CHECK(!feature(VFIO_DEVICE_FEATURE_GET |
		       VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &size, 8) &&
	      size == (uint64_t)len, "MIG_DATA_SIZE %llu, stream %ld",
	      (unsigned long long)size, len);
	out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(out >= 0 && write(out, stream, len) == len && !close(out),
	      "%s: %m", file);
	/* The source may run on (as after a failed migration). */
	CHECK(set_state(S_RUNNING) == -1, "back to RUNNING");
	CHECK(reg(VUB_SAMPLE_REG_SCRATCH) == SCRATCH, "source state kept");
	printf("INFO: stream %ld bytes\n", len);
	pass(name);
	free(b2);
	free(stream);
}

static void test_restore(const char *file)
{
	const char *name = "restore";
	uint8_t *b2 = malloc(B2_LEN), *got = malloc(B2_LEN);
	uint8_t *stream = malloc(STREAM_MAX);
	uint64_t v64 = 0;
	uint32_t v = 0;
	long len;
	int fd, in, ret;

	CHECK(b2 && got && stream, "malloc");
	in = open(file, O_RDONLY);
	CHECK(in >= 0, "%s: %m", file);
	len = read(in, stream, STREAM_MAX);
	close(in);
	CHECK(len > 0, "read %s", file);
	/* Registers as after a reset (BAR2 is not cleared by it). */
	CHECK(!ioctl(vo.device, VFIO_DEVICE_RESET), "reset: %m");
	CHECK(reg(VUB_SAMPLE_REG_SCRATCH) == 0, "scratch after reset");
	fd = set_state(S_RESUMING);
	CHECK(fd >= 0, "RUNNING -> RESUMING: %d", fd);
	ret = write_stream(fd, stream, len, 65536);
	close(fd);
	CHECK(!ret, "write stream: %d", ret);
	ret = set_state(S_RUNNING);
	CHECK(ret == -1, "RESUMING -> RUNNING: %d", ret);
	CHECK(reg(VUB_SAMPLE_REG_SCRATCH) == SCRATCH, "scratch %#x",
	      reg(VUB_SAMPLE_REG_SCRATCH));
	CHECK(!rd64(BAR0, VUB_SAMPLE_REG_SCRATCH64, &v64) && v64 == SCRATCH64,
	      "scratch64 %#llx", (unsigned long long)v64);
	CHECK(!rd32(BAR0, VUB_SAMPLE_MSIX_TABLE_OFFSET + 3 * 16 + 8, &v) &&
	      v == MSIX_DATA, "MSI-X entry 3 data %#x", v);
	CHECK(!rd64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, &v64) &&
	      v64 == DMA_IOVA + PG && reg(VUB_SAMPLE_REG_DMA_LEN) == 3 * PG,
	      "DMA engine registers");
	pattern(b2, B2_LEN, 7);
	CHECK(pread(vo.device, got, B2_LEN, REGION_OFF(BAR2) + B2_OFF) == B2_LEN &&
	      !memcmp(got, b2, B2_LEN), "BAR2 contents");
	pass(name);
	free(b2);
	free(got);
	free(stream);
}

static void test_stale_fd(void)
{
	const char *name = "stale-fd";
	uint8_t buf[PG];
	int fd, fd2, fd3;

	fd = set_state(S_STOP_COPY);
	CHECK(fd >= 0, "STOP_COPY: %d", fd);
	CHECK(read(fd, buf, sizeof(buf)) == sizeof(buf), "read: %m");
	CHECK(lseek(fd, 0, SEEK_SET) < 0 && errno == ESPIPE, "lseek");
	CHECK(write(fd, buf, 1) < 0 && errno == EBADF, "write on save fd");
	CHECK(set_state(S_STOP) == -1, "STOP");
	CHECK(read(fd, buf, sizeof(buf)) < 0 && errno == ENODEV,
	      "read after STOP: %m");
	fd2 = set_state(S_RESUMING);
	CHECK(fd2 >= 0, "RESUMING: %d", fd2);
	CHECK(read(fd2, buf, 1) < 0 && errno == EBADF, "read on resume fd");
	CHECK(write(fd2, buf, sizeof(buf)) == sizeof(buf), "write: %m");
	/* A partial stream aborts only through a reset. */
	CHECK(!ioctl(vo.device, VFIO_DEVICE_RESET), "reset: %m");
	CHECK(write(fd2, buf, sizeof(buf)) < 0 && errno == ENODEV,
	      "write after reset: %m");
	CHECK(get_state() == S_RUNNING, "RUNNING after reset");
	fd3 = set_state(S_STOP_COPY);
	CHECK(fd3 >= 0, "STOP_COPY again: %d", fd3);
	/* Closing the device invalidates the file, which outlives it. */
	close(vo.device);
	vo.device = -1;
	CHECK(read(fd3, buf, sizeof(buf)) < 0 && errno == ENODEV,
	      "read after close: %m");
	close(fd);
	close(fd2);
	close(fd3);
	pass(name);
}

static void test_reset(void)
{
	const char *name = "reset";
	static const uint32_t from[] = { S_STOP, S_STOP_COPY, S_RESUMING };
	uint8_t buf[16];
	unsigned int i;
	int fd;

	for (i = 0; i < 3; i++) {
		CHECK(!wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0x77), "scratch");
		fd = set_state(S_STOP);
		CHECK(fd == -1, "STOP: %d", fd);
		if (from[i] != S_STOP) {
			fd = set_state(from[i]);
			CHECK(fd >= 0, "-> %u: %d", from[i], fd);
		}
		CHECK(!ioctl(vo.device, VFIO_DEVICE_RESET), "reset from %u: %m",
		      from[i]);
		CHECK(get_state() == S_RUNNING, "RUNNING after reset from %u",
		      from[i]);
		/* The server did reset the device. */
		CHECK(reg(VUB_SAMPLE_REG_SCRATCH) == 0, "scratch after reset");
		if (fd >= 0) {
			CHECK((from[i] == S_STOP_COPY ? read(fd, buf, 16) :
			       write(fd, buf, 16)) < 0 && errno == ENODEV,
			      "fd after reset from %u: %m", from[i]);
			close(fd);
		}
	}
	pass(name);
}

static void test_stream_eio(void)
{
	const char *name = "stream-eio";
	uint8_t *buf = malloc(1 << 20);
	ssize_t n;
	long total = 0;
	int fd;

	CHECK(buf, "malloc");
	fd = set_state(S_STOP_COPY);
	CHECK(fd >= 0, "STOP_COPY: %d", fd);
	for (;;) {
		n = read(fd, buf, 65536);
		if (n <= 0)
			break;
		total += n;
	}
	CHECK(n < 0 && errno == EIO, "after %ld bytes: %zd (%m)", total, n);
	CHECK(read(fd, buf, 16) < 0 && errno == EIO, "EIO again: %m");
	printf("INFO: EIO after %ld bytes\n", total);
	close(fd);
	free(buf);
	pass(name);
}

static void test_set_eio(void)
{
	const char *name = "set-eio";
	int ret = set_state(S_STOP);

	CHECK(ret == -EIO, "RUNNING -> STOP: %d", ret);
	pass(name);
}

static uint8_t *dma_mem;

static int dma_map_size(uint32_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = DMA_IOVA,
		.size = size,
	};

	dma_mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dma_mem == MAP_FAILED)
		return -1;
	map.vaddr = (uintptr_t)dma_mem;
	return ioctl(vo.container, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_map(void)
{
	return dma_map_size(DMA_SIZE);
}

static bool all(const uint8_t *p, size_t len, uint8_t v)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

/*
 * Needs the server's mig-dma-stopped:2 fault.  @direct: the bridge is
 * in dma=mmap mode, so the server's access through its mapping of the
 * window file is what the bridge refuses (SIGBUS, which the sample
 * server reports as EFAULT) instead of a DMA_READ/WRITE message.
 */
static void test_dma_stopped(bool direct)
{
	const char *name = direct ? "dma-stopped-direct" : "dma-stopped";
	uint32_t refused = VUB_SAMPLE_DMA_ERR | (direct ? EFAULT : ENODEV);
	uint8_t *b2 = malloc(2 * PG);
	uint32_t st;

	CHECK(b2, "malloc");
	CHECK(!dma_map(), "MAP_DMA: %m");
	memset(dma_mem, 0xaa, 2 * PG);
	pattern(b2, 2 * PG, 1);
	CHECK(pwrite(vo.device, b2, 2 * PG, REGION_OFF(BAR2)) == 2 * PG, "BAR2");
	CHECK(set_state(S_STOP) == -1, "STOP");
	/* A well-behaved stopped device does not start DMA... */
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 2 * PG, 0);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EBUSY), "server refusal: %#x", st);
	/* ... and the bridge refuses one that does. */
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 2 * PG, 0);
	CHECK(st == refused, "bridge refusal: %#x", st);
	CHECK(all(dma_mem, 2 * PG, 0xaa), "guest memory written while stopped");
	CHECK(set_state(S_RUNNING) == -1, "RUNNING");
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 2 * PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "DMA when running: %#x", st);
	CHECK(!memcmp(dma_mem, b2, 2 * PG), "DMA data");
	free(b2);
	pass(name);
}

static int dirty_ctl(uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap db = {
		.argsz = sizeof(db), .flags = flags,
	};

	return ioctl(vo.container, VFIO_IOMMU_DIRTY_PAGES, &db);
}

/* The dirty bitmap of [DMA_IOVA, DMA_IOVA + nbytes * 8 pages). */
static int dirty_get(uint64_t *bits, size_t nbytes)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap db;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} b = {
		.db.argsz = sizeof(b),
		.db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		.get.iova = DMA_IOVA,
		.get.size = (uint64_t)nbytes * 8 * PG,
		.get.bitmap.pgsize = PG,
		.get.bitmap.size = nbytes,
		.get.bitmap.data = (__u64 *)bits,
	};

	memset(bits, 0, nbytes);
	return ioctl(vo.container, VFIO_IOMMU_DIRTY_PAGES, &b);
}

static void test_dirty(void)
{
	const char *name = "dirty";
	uint64_t bits[DMA_SIZE / PG / 64], want[DMA_SIZE / PG / 64];
	unsigned int i, p;
	uint32_t st;
	int ret;

	CHECK(!dma_map(), "MAP_DMA: %m");
	CHECK(!dirty_ctl(VFIO_IOMMU_DIRTY_PAGES_FLAG_START), "START: %m");
	CHECK(!dirty_get(bits, sizeof(bits)), "GET_BITMAP: %m");
	CHECK(all((uint8_t *)bits, sizeof(bits), 0), "dirty before any DMA");
	/* Device writes: page 3; pages 10-12; 10 bytes inside page 40. */
	memset(want, 0, sizeof(want));
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 3 * PG, PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "DMA 1: %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 10 * PG, 3 * PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "DMA 2: %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 40 * PG + 100, 10,
		     0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "DMA 3: %#x", st);
	/* Device reads dirty nothing. */
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + 100 * PG, 8 * PG,
		     0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "DMA read: %#x", st);
	for (p = 0; p < DMA_SIZE / PG; p++)
		if (p == 3 || (p >= 10 && p <= 12) || p == 40)
			want[p / 64] |= 1ULL << (p % 64);
	CHECK(set_state(S_STOP) == -1, "STOP");
	ret = dirty_get(bits, sizeof(bits));
	CHECK(!ret, "GET_BITMAP: %m");
	for (i = 0; i < sizeof(bits) / 8; i++)
		CHECK(bits[i] == want[i],
		      "bitmap word %u: %#llx, expected %#llx", i,
		      (unsigned long long)bits[i], (unsigned long long)want[i]);
	/* The bitmap was cleared by the read; stopped: no new dirt. */
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 50 * PG, PG, 0);
	CHECK(st & VUB_SAMPLE_DMA_ERR, "DMA while stopped: %#x", st);
	CHECK(!dirty_get(bits, sizeof(bits)) &&
	      all((uint8_t *)bits, sizeof(bits), 0), "dirty after stop");
	CHECK(!dirty_ctl(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP), "STOP tracking");
	CHECK(set_state(S_RUNNING) == -1, "RUNNING");
	pass(name);
}

static void set_bits(uint64_t *bits, unsigned int first, unsigned int n)
{
	while (n--) {
		bits[first / 64] |= 1ULL << (first % 64);
		first++;
	}
}

/* Compare two bitmaps of @words words; the first difference in @diff. */
static bool bits_eq(const uint64_t *got, const uint64_t *want,
		    unsigned int words, char *diff, size_t dlen)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		if (got[i] != want[i]) {
			snprintf(diff, dlen, "word %u (pages %u-%u): %#llx, expected %#llx",
				 i, i * 64, i * 64 + 63,
				 (unsigned long long)got[i],
				 (unsigned long long)want[i]);
			return false;
		}
	return true;
}

/*
 * dma=mmap.  type1 only sees what goes through it: pages written with
 * vfio_dma_rw() (the DMA_WRITE message path) and pinned pages.  The
 * container holds only this emulated-IOMMU device, so type1 tracks in
 * its pinned-page scope: a read of the bitmap reports the pages
 * written by message since the last read, plus every page pinned at
 * the time of the read (or pinned since the last one).  The server's
 * stores through its mapping are invisible; the bridge pins the 2 MiB
 * chunk around a fault, which is what the bitmap must show.
 */
static void test_dirty_direct(void)
{
	const char *name = "dirty-direct";
	enum { WORDS = DMAW_SIZE / PG / 64 };
	uint64_t bits[WORDS], want[WORDS];
	const unsigned int pg_direct = DMAW_CHUNK + 88;	/* chunk 1 */
	char diff[128];
	uint32_t st;
	long pinned;

	CHECK(!dma_map_size(DMAW_SIZE), "MAP_DMA: %m");
	CHECK(PINNED() == 0, "pinned before any DMA: %ld", PINNED());
	CHECK(!dirty_ctl(VFIO_IOMMU_DIRTY_PAGES_FLAG_START), "START: %m");
	CHECK(!dirty_get(bits, sizeof(bits)), "GET_BITMAP: %m");
	CHECK(all((uint8_t *)bits, sizeof(bits), 0), "dirty before any DMA");

	/* Through the mapping: 16 bytes inside one page of chunk 1. */
	CHECK(!wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_AUTO),
	      "mode");
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST,
		     DMA_IOVA + (uint64_t)pg_direct * PG + 40, 16, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "direct DMA: %#x", st);
	CHECK(reg(VUB_SAMPLE_REG_DMA_DIRECT) >= 1, "not through the mapping");
	pinned = PINNED();
	CHECK(pinned == DMAW_CHUNK, "pinned after one fault: %ld", pinned);
	/* By message, in chunk 0: page 3, pages 10-12; a read dirties none. */
	CHECK(!wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE,
		    VUB_SAMPLE_DMA_MODE_MESSAGES), "mode");
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 3 * PG, PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "message DMA 1: %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + 10 * PG + 8,
		     2 * PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "message DMA 2: %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + 100 * PG,
		     8 * PG, 0);
	CHECK(st == VUB_SAMPLE_DMA_OK, "message DMA read: %#x", st);
	CHECK(PINNED() == DMAW_CHUNK,
	      "messages pinned pages: %ld", PINNED());
	CHECK(!wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_AUTO),
	      "mode");

	CHECK(set_state(S_STOP) == -1, "STOP");
	/* The first sync: chunk 1 (pinned) and the message-written pages. */
	memset(want, 0, sizeof(want));
	set_bits(want, DMAW_CHUNK, DMAW_CHUNK);
	set_bits(want, 3, 1);
	set_bits(want, 10, 3);
	CHECK(!dirty_get(bits, sizeof(bits)), "GET_BITMAP: %m");
	CHECK(bits_eq(bits, want, WORDS, diff, sizeof(diff)),
	      "first sync: %s", diff);
	/*
	 * The second: the message-written pages were reported; the pinned
	 * chunk is reported again (still pinned, the server could write
	 * through it) although nothing was written since.
	 */
	memset(want, 0, sizeof(want));
	set_bits(want, DMAW_CHUNK, DMAW_CHUNK);
	CHECK(!dirty_get(bits, sizeof(bits)), "GET_BITMAP 2: %m");
	CHECK(bits_eq(bits, want, WORDS, diff, sizeof(diff)),
	      "second sync: %s", diff);
	CHECK(PINNED() == DMAW_CHUNK,
	      "pinned while stopped: %ld", PINNED());
	CHECK(!dirty_ctl(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP), "STOP tracking");
	CHECK(set_state(S_RUNNING) == -1, "RUNNING");
	pass(name);
}

static void test_bar2(bool fill)
{
	const char *name = fill ? "bar2-fill" : "bar2-check";
	uint8_t *b2 = malloc(B2_LEN), *got = malloc(B2_LEN);

	CHECK(b2 && got, "malloc");
	pattern(b2, B2_LEN, 7);
	if (fill)
		CHECK(pwrite(vo.device, b2, B2_LEN, REGION_OFF(BAR2) + B2_OFF) ==
		      B2_LEN, "write BAR2: %m");
	else
		CHECK(pread(vo.device, got, B2_LEN, REGION_OFF(BAR2) + B2_OFF) ==
		      B2_LEN && !memcmp(got, b2, B2_LEN), "BAR2 contents");
	free(b2);
	free(got);
	pass(name);
}

int main(int argc, char **argv)
{
	const char *test, *file = argc > 3 ? argv[3] : NULL;
	const char *why;

	if (argc < 3) {
		fprintf(stderr, "usage: vfio-mig-test DEVICE TEST [FILE]\n");
		return 2;
	}
	dev_name = argv[1];
	test = argv[2];
	alarm(120);
	if (vfio_open(&vo, NULL, dev_name, VFIO_TYPE1v2_IOMMU, &why)) {
		fail("open", "%s: %s: %m", dev_name, why);
		vfio_close(&vo);
		return 1;
	}
	if (!strcmp(test, "flags"))
		test_flags();
	else if (!strcmp(test, "no-migration"))
		test_no_migration();
	else if (!strcmp(test, "arcs"))
		test_arcs();
	else if (!strcmp(test, "save") && file)
		test_save(file);
	else if (!strcmp(test, "restore") && file)
		test_restore(file);
	else if (!strcmp(test, "stale-fd"))
		test_stale_fd();
	else if (!strcmp(test, "reset"))
		test_reset();
	else if (!strcmp(test, "stream-eio"))
		test_stream_eio();
	else if (!strcmp(test, "set-eio"))
		test_set_eio();
	else if (!strcmp(test, "dma-stopped"))
		test_dma_stopped(false);
	else if (!strcmp(test, "dma-stopped-direct"))
		test_dma_stopped(true);
	else if (!strcmp(test, "dirty"))
		test_dirty();
	else if (!strcmp(test, "dirty-direct"))
		test_dirty_direct();
	else if (!strncmp(test, "hold-stop:", 10))
		test_hold_stop(atof(test + 10));
	else if (!strcmp(test, "bar2-fill") || !strcmp(test, "bar2-check"))
		test_bar2(!strcmp(test, "bar2-fill"));
	else
		fail("usage", "unknown test \"%s\"", test);
	vfio_close(&vo);
	return failures ? 1 : 0;
}
