// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-consumer-test: drive a bridged vfio-user device (the sample
 * server's test device, tools/include/vub_sample.h) through the public
 * VFIO UAPI only, as any VFIO program would: container, type1v2 IOMMU,
 * group, device fd.  Prints "PASS: <name>" / "FAIL: <name>: reason"
 * lines and exits non-zero if anything failed.
 *
 * usage: vfio-consumer-test [-q] DEVICE-NAME [TEST...]
 *        (DEVICE-NAME on the vfio-user bus, or a sysfs path such as
 *        /sys/bus/mdev/devices/UUID: its iommu_group and basename)
 *        (e.g. vfio-consumer-test vfio-user0; tests: see tests[])
 *        vfio-consumer-test DEVICE-NAME op-NAME      one operation, "OP:" line
 *        vfio-consumer-test DEVICE-NAME wrap[:N[:THREADS]]  N config reads
 *        vfio-consumer-test DEVICE-NAME stress:SECONDS:THREADS[:eproto]
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "consumer-lib.h"
#include "vub_sample.h"

#define CFG		VFIO_PCI_CONFIG_REGION_INDEX
#define DMA_IOVA	0x100000000ULL		/* 4 GiB */
#define DMA_BUF_SIZE	(4U << 20)		/* several MiB */
#define MiB		(1U << 20)

static unsigned long iommu_type = VFIO_TYPE1v2_IOMMU;
static const char *dev_path;	/* DEVICE given as a sysfs path */
static bool quiet;

static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- device access -------------------------------------------------- */

static int full_pread(void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pread(vo.device, buf, len, off);
		if (n <= 0)
			return -1;
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int full_pwrite(const void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(vo.device, buf, len, off);
		if (n <= 0)
			return -1;
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int open_device(const char **why)
{
	return vfio_open(&vo, dev_path, dev_name, iommu_type, why);
}

static void close_device(void)
{
	vfio_close(&vo);
}

/* ---- info ----------------------------------------------------------- */

static void test_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	if (ioctl(vo.device, VFIO_DEVICE_GET_INFO, &di))
		return fail("info", "VFIO_DEVICE_GET_INFO: %m");
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    !(di.flags & VFIO_DEVICE_FLAGS_RESET))
		return fail("info", "flags %#x, want PCI|RESET", di.flags);
	if (di.num_regions < VFIO_PCI_NUM_REGIONS ||
	    di.num_irqs < VFIO_PCI_NUM_IRQS)
		return fail("info", "%u regions, %u irqs", di.num_regions,
			    di.num_irqs);
	di.argsz = offsetof(struct vfio_device_info, num_irqs);
	if (ioctl(vo.device, VFIO_DEVICE_GET_INFO, &di) == 0 || errno != EINVAL)
		return fail("info", "short argsz accepted");
	info("info: flags %#x, %u regions, %u irqs\n", di.flags,
	     di.num_regions, di.num_irqs);
	pass("info");
}

static int region_info(unsigned int index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(vo.device, VFIO_DEVICE_GET_REGION_INFO, ri);
}

static void test_regions(void)
{
	static const uint64_t want[VFIO_PCI_NUM_REGIONS] = {
		[BAR0] = VUB_SAMPLE_BAR0_SIZE,
		[BAR2] = VUB_SAMPLE_BAR2_SIZE,
		[CFG] = VUB_SAMPLE_CONFIG_SIZE,
	};
	struct vfio_region_info ri, *full;
	struct vfio_info_cap_header *cap;
	struct vfio_region_info_cap_sparse_mmap *sparse = NULL;
	unsigned int i, rw = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
	uint32_t need, off;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		if (region_info(i, &ri))
			return fail("regions", "region %u: %m", i);
		if (ri.size != want[i])
			return fail("regions", "region %u size %#llx want %#llx",
				    i, (unsigned long long)ri.size,
				    (unsigned long long)want[i]);
		if (ri.offset != REGION_OFF(i))
			return fail("regions", "region %u offset %#llx", i,
				    (unsigned long long)ri.offset);
		if (want[i] && (ri.flags & rw) != rw)
			return fail("regions", "region %u flags %#x", i,
				    ri.flags);
		if ((i == BAR0 || i == CFG) &&
		    (ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
			return fail("regions", "region %u mmappable", i);
	}
	pass("regions");

	/* BAR2: too small an argsz gets CAPS, the size needed, no chain. */
	if (region_info(BAR2, &ri))
		return fail("region-caps", "%m");
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_CAPS))
		return fail("region-caps", "BAR2 flags %#x, want MMAP|CAPS",
			    ri.flags);
	if (ri.argsz <= sizeof(ri) || ri.cap_offset)
		return fail("region-caps", "argsz %u cap_offset %u", ri.argsz,
			    ri.cap_offset);
	need = ri.argsz;
	full = calloc(1, need);
	full->argsz = need;
	full->index = BAR2;
	if (ioctl(vo.device, VFIO_DEVICE_GET_REGION_INFO, full)) {
		free(full);
		return fail("region-caps", "full argsz: %m");
	}
	if (full->cap_offset != sizeof(ri) || full->argsz != need) {
		fail("region-caps", "cap_offset %u argsz %u",
		     full->cap_offset, full->argsz);
		free(full);
		return;
	}
	for (off = full->cap_offset, i = 0; off && i < 16; i++) {
		if (off + sizeof(*cap) > need)
			break;
		cap = (void *)((char *)full + off);
		if (cap->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			sparse = (void *)cap;
		off = cap->next;
	}
	if (!sparse || sparse->nr_areas != 1 ||
	    sparse->areas[0].offset != VUB_SAMPLE_BAR2_MMAP_OFFSET ||
	    sparse->areas[0].size != VUB_SAMPLE_BAR2_MMAP_SIZE) {
		free(full);
		return fail("region-caps", "no sparse cap with the mmap area");
	}
	free(full);
	pass("region-caps");
}

static void test_irqs(void)
{
	static const uint32_t want[VFIO_PCI_NUM_IRQS] = {
		VUB_SAMPLE_NUM_INTX, VUB_SAMPLE_NUM_MSI, VUB_SAMPLE_NUM_MSIX,
		VUB_SAMPLE_NUM_ERR, VUB_SAMPLE_NUM_REQ,
	};
	struct vfio_irq_info ii;
	unsigned int i;

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		ii = (struct vfio_irq_info){ .argsz = sizeof(ii), .index = i };
		if (ioctl(vo.device, VFIO_DEVICE_GET_IRQ_INFO, &ii))
			return fail("irqs", "index %u: %m", i);
		if (ii.count != want[i] || !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
			return fail("irqs", "index %u count %u flags %#x", i,
				    ii.count, ii.flags);
	}
	pass("irqs");
}

/* ---- region I/O ----------------------------------------------------- */

static void test_config(void)
{
	uint8_t cfg[VUB_SAMPLE_CONFIG_SIZE];
	uint16_t cmd, cmd2;

	if (full_pread(cfg, sizeof(cfg), REGION_OFF(CFG)))
		return fail("config", "read: %m");
	if ((cfg[0] | cfg[1] << 8) != VUB_SAMPLE_VENDOR_ID ||
	    (cfg[2] | cfg[3] << 8) != VUB_SAMPLE_DEVICE_ID ||
	    cfg[8] != VUB_SAMPLE_REVISION ||
	    (uint32_t)(cfg[9] | cfg[10] << 8 | cfg[11] << 16) !=
	    VUB_SAMPLE_CLASS ||
	    (cfg[0x2c] | cfg[0x2d] << 8) != VUB_SAMPLE_SUBSYS_VENDOR_ID ||
	    (cfg[0x2e] | cfg[0x2f] << 8) != VUB_SAMPLE_SUBSYS_ID)
		return fail("config", "ids %02x%02x:%02x%02x rev %02x",
			    cfg[1], cfg[0], cfg[3], cfg[2], cfg[8]);
	/* Command register: memory space + bus master, read back. */
	cmd = 0x0006;
	if (pwrite(vo.device, &cmd, 2, REGION_OFF(CFG) + 4) != 2 ||
	    pread(vo.device, &cmd2, 2, REGION_OFF(CFG) + 4) != 2)
		return fail("config", "command register: %m");
	if ((cmd2 & 0x6) != 0x6)
		return fail("config", "command %#x after writing %#x", cmd2,
			    cmd);
	pass("config");
}

static void test_bar0(void)
{
	uint64_t v64;
	uint32_t v;

	if (reg(VUB_SAMPLE_REG_ID) != VUB_SAMPLE_ID_VALUE ||
	    reg(VUB_SAMPLE_REG_VERSION) != VUB_SAMPLE_VERSION_VALUE)
		return fail("bar0", "id %#x version %#x",
			    reg(VUB_SAMPLE_REG_ID),
			    reg(VUB_SAMPLE_REG_VERSION));
	if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0xa5a55a5a) ||
	    rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v) || v != 0xa5a55a5a)
		return fail("bar0", "scratch");
	if (wr64(BAR0, VUB_SAMPLE_REG_SCRATCH64, 0x0123456789abcdefULL) ||
	    rd64(BAR0, VUB_SAMPLE_REG_SCRATCH64, &v64) ||
	    v64 != 0x0123456789abcdefULL)
		return fail("bar0", "scratch64");
	pass("bar0");
	{
		const int n = 200;
		double t0 = now();
		int k;

		for (k = 0; k < n; k++)
			rd32(BAR0, VUB_SAMPLE_REG_ID, &v);
		printf("INFO: region-latency: 4-byte BAR0 read %.0f us\n",
		       (now() - t0) * 1e6 / n);
	}
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 17 + (i >> 12));
}

/* BAR2 through read/write only: 1 MiB, and odd sizes and offsets. */
static void test_bar2_rw(void)
{
	static const struct { uint32_t off, len; } cases[] = {
		{ 0, VUB_SAMPLE_BAR2_SIZE }, { 3, 1 }, { 4093, 4099 },
		{ 0x7ff00, 0x300 },		/* across the mmap area end */
		{ 0x80001, 65537 }, { VUB_SAMPLE_BAR2_SIZE - 5, 5 },
	};
	uint8_t *a = malloc(VUB_SAMPLE_BAR2_SIZE);
	uint8_t *b = malloc(VUB_SAMPLE_BAR2_SIZE);
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t off = REGION_OFF(BAR2) + cases[i].off;

		fill(a, cases[i].len, i + 1);
		memset(b, 0, cases[i].len);
		if (full_pwrite(a, cases[i].len, off) ||
		    full_pread(b, cases[i].len, off)) {
			fail("bar2-rw", "case %u: %m", i);
			goto out;
		}
		if (memcmp(a, b, cases[i].len)) {
			fail("bar2-rw", "case %u: data mismatch", i);
			goto out;
		}
	}
	pass("bar2-rw");
out:
	free(a);
	free(b);
}

/*
 * hold-mmap:SECONDS: map BAR2's mmap area, say MAPPED, keep it for
 * SECONDS (an upgrade or reconnect is refused meanwhile: t-23).
 */
static void test_hold_mmap(double secs)
{
	const char *why;
	void *m;

	if (open_device(&why))
		return fail("hold-mmap", "open: %s: %m", why);
	m = mmap(NULL, VUB_SAMPLE_BAR2_MMAP_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, vo.device,
		 REGION_OFF(BAR2) + VUB_SAMPLE_BAR2_MMAP_OFFSET);
	if (m == MAP_FAILED) {
		close_device();
		return fail("hold-mmap", "mmap: %m");
	}
	printf("MAPPED\n");
	fflush(stdout);
	usleep(secs * 1e6);
	munmap(m, VUB_SAMPLE_BAR2_MMAP_SIZE);
	close_device();
	pass("hold-mmap");
}

static void test_mmap(void)
{
	size_t len = VUB_SAMPLE_BAR2_MMAP_SIZE;
	uint8_t *m, *buf = malloc(len);

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vo.device,
		 REGION_OFF(BAR2) + VUB_SAMPLE_BAR2_MMAP_OFFSET);
	if (m == MAP_FAILED) {
		free(buf);
		return fail("mmap", "mmap BAR2 area: %m");
	}
	/* Written through the mapping, read on the trapped path. */
	fill(m, len, 7);
	fill(buf, len, 7);
	if (full_pread(buf, len, REGION_OFF(BAR2))) {
		fail("mmap", "pread: %m");
		goto out;
	}
	if (memcmp(m, buf, len)) {
		fail("mmap", "pread does not see the mmap writes");
		goto out;
	}
	/* And the other way round. */
	fill(buf, len, 9);
	if (full_pwrite(buf + 4096, 8192, REGION_OFF(BAR2) + 4096) ||
	    memcmp(m + 4096, buf + 4096, 8192)) {
		fail("mmap", "mapping does not see pwrite");
		goto out;
	}
	pass("mmap");
out:
	munmap(m, len);
	free(buf);
}

static void expect_errno(const char *name, const char *what, long ret,
			 int err, int *bad)
{
	if (ret >= 0 || errno != err) {
		fail(name, "%s: got %ld (%s), want %s", what, ret,
		     ret < 0 ? strerror(errno) : "success", strerror(err));
		(*bad)++;
	}
}

static void test_negative(void)
{
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} set;
	uint32_t v;
	void *m;
	int bad = 0;
	long r;

	expect_errno("negative", "read of region 20",
		     pread(vo.device, &v, 4, REGION_OFF(20)), EINVAL, &bad);
	expect_errno("negative", "read of absent BAR1",
		     pread(vo.device, &v, 4, REGION_OFF(1)), EINVAL, &bad);
	expect_errno("negative", "read past BAR0",
		     pread(vo.device, &v, 4, REGION_OFF(BAR0) +
			   VUB_SAMPLE_BAR0_SIZE), EINVAL, &bad);
	expect_errno("negative", "write past config",
		     pwrite(vo.device, &v, 4, REGION_OFF(CFG) + 0x1000), EINVAL,
		     &bad);
	r = pread(vo.device, &v, 4, REGION_OFF(CFG) + VUB_SAMPLE_CONFIG_SIZE - 2);
	if (r != 2) {
		fail("negative", "read across config end returned %ld", r);
		bad++;
	}

	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vo.device,
		 REGION_OFF(BAR2) + VUB_SAMPLE_BAR2_MMAP_SIZE);
	expect_errno("negative", "mmap of BAR2's trapped part",
		     m == MAP_FAILED ? -1 : 0, EINVAL, &bad);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	m = mmap(NULL, VUB_SAMPLE_BAR2_MMAP_SIZE + 4096, PROT_READ,
		 MAP_SHARED, vo.device, REGION_OFF(BAR2));
	expect_errno("negative", "mmap across the sparse area end",
		     m == MAP_FAILED ? -1 : 0, EINVAL, &bad);
	if (m != MAP_FAILED)
		munmap(m, VUB_SAMPLE_BAR2_MMAP_SIZE + 4096);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, vo.device, REGION_OFF(BAR0));
	expect_errno("negative", "mmap of BAR0", m == MAP_FAILED ? -1 : 0,
		     EINVAL, &bad);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, vo.device, REGION_OFF(BAR2));
	expect_errno("negative", "MAP_PRIVATE mmap", m == MAP_FAILED ? -1 : 0,
		     EINVAL, &bad);
	if (m != MAP_FAILED)
		munmap(m, 4096);

	region_info(BAR0, &ri);
	ri.argsz = 16;
	expect_errno("negative", "region info argsz 16",
		     ioctl(vo.device, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL,
		     &bad);
	region_info(0, &ri);
	ri.index = 99;
	expect_errno("negative", "region info index 99",
		     ioctl(vo.device, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL,
		     &bad);
	ii = (struct vfio_irq_info){ .argsz = sizeof(ii), .index = 99 };
	expect_errno("negative", "irq info index 99",
		     ioctl(vo.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		     &bad);
	ii = (struct vfio_irq_info){ .argsz = 8, .index = 0 };
	expect_errno("negative", "irq info argsz 8",
		     ioctl(vo.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		     &bad);

	memset(&set, 0, sizeof(set));
	set.s.argsz = sizeof(set);
	set.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set.s.index = VFIO_PCI_MSIX_IRQ_INDEX;
	set.s.start = VUB_SAMPLE_NUM_MSIX;
	set.s.count = 1;
	set.fd = -1;
	expect_errno("negative", "SET_IRQS beyond the vectors",
		     ioctl(vo.device, VFIO_DEVICE_SET_IRQS, &set), EINVAL, &bad);
	set.s.start = 0;
	set.s.argsz = sizeof(set.s);
	expect_errno("negative", "SET_IRQS argsz without the data",
		     ioctl(vo.device, VFIO_DEVICE_SET_IRQS, &set), EINVAL, &bad);
	set.s.argsz = sizeof(set);
	set.fd = 0;	/* stdin: not an eventfd */
	r = ioctl(vo.device, VFIO_DEVICE_SET_IRQS, &set);
	if (r == 0) {
		fail("negative", "SET_IRQS accepted a non-eventfd fd");
		bad++;
	}
	set.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
		      VFIO_IRQ_SET_ACTION_MASK;
	expect_errno("negative", "SET_IRQS with two actions",
		     ioctl(vo.device, VFIO_DEVICE_SET_IRQS, &set), EINVAL, &bad);
	/* The device is still fine. */
	if (reg(VUB_SAMPLE_REG_ID) != VUB_SAMPLE_ID_VALUE) {
		fail("negative", "device unusable afterwards");
		bad++;
	}
	if (!bad)
		pass("negative");
}

static void test_ebusy(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open(vo.group_path, O_RDWR);

		_exit(fd < 0 && errno == EBUSY ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return fail("ebusy", "fork: %m");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return fail("ebusy", "second process opened %s", vo.group_path);
	pass("ebusy");
}

/* ---- interrupts ----------------------------------------------------- */

static int set_irqs(uint32_t flags, uint32_t index, uint32_t start,
		    uint32_t count, const void *data, size_t dlen)
{
	size_t sz = sizeof(struct vfio_irq_set) + dlen;
	struct vfio_irq_set *s = calloc(1, sz);
	int ret;

	s->argsz = sz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (dlen)
		memcpy(s->data, data, dlen);
	ret = ioctl(vo.device, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return ret;
}

static int set_eventfds(uint32_t index, uint32_t start, uint32_t count,
			const int32_t *fds)
{
	return set_irqs(VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, index, start, count, fds,
			count * sizeof(*fds));
}

static int disable_irqs(uint32_t index)
{
	return set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			index, 0, 0, NULL, 0);
}

static uint64_t efd_count(int efd)
{
	uint64_t v;

	return read(efd, &v, 8) == 8 ? v : 0;
}

static int doorbell(uint32_t type, uint32_t vec)
{
	return wr32(BAR0, VUB_SAMPLE_REG_DOORBELL, type << 16 | vec);
}

static void test_intx(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	uint32_t dropped;
	uint64_t n;

	if (set_eventfds(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd)) {
		fail("irq-intx", "SET_IRQS: %m");
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) != 1) {
		fail("irq-intx", "server holds %u eventfds",
		     reg(VUB_SAMPLE_REG_IRQ_FDS));
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_INTX, 0);
	n = efd_count(efd);
	if (n != 1 || reg(VUB_SAMPLE_REG_INTX_MASKED) != 1) {
		fail("irq-intx", "fired %llu, masked %u", (unsigned long long)n,
		     reg(VUB_SAMPLE_REG_INTX_MASKED));
		goto out;
	}
	/* Automasked: dropped until unmasked. */
	dropped = reg(VUB_SAMPLE_REG_IRQ_DROPPED);
	doorbell(VUB_SAMPLE_IRQ_INTX, 0);
	if (efd_count(efd) || reg(VUB_SAMPLE_REG_IRQ_DROPPED) != dropped + 1) {
		fail("irq-intx", "fired while automasked");
		goto out;
	}
	if (set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0)) {
		fail("irq-intx", "unmask: %m");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_INTX, 0);
	if (efd_count(efd) != 1) {
		fail("irq-intx", "no interrupt after unmask");
		goto out;
	}
	/* Explicit mask (DATA_BOOL), unmask, fire. */
	set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		 VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	if (set_irqs(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
		     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, "\1", 1)) {
		fail("irq-intx", "mask: %m");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_INTX, 0);
	if (efd_count(efd)) {
		fail("irq-intx", "fired while masked");
		goto out;
	}
	set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		 VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	/* Consumer-side trigger (DATA_NONE) through the server. */
	if (set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0) ||
	    efd_count(efd) != 1) {
		fail("irq-intx", "DATA_NONE trigger");
		goto out;
	}
	if (disable_irqs(VFIO_PCI_INTX_IRQ_INDEX) ||
	    reg(VUB_SAMPLE_REG_IRQ_FDS) != 0) {
		fail("irq-intx", "disable: %m / %u fds left",
		     reg(VUB_SAMPLE_REG_IRQ_FDS));
		goto out;
	}
	pass("irq-intx");
out:
	disable_irqs(VFIO_PCI_INTX_IRQ_INDEX);
	close(efd);
}

/*
 * A server that ignores the disable (the sample server's
 * --fault=keep-irq-fds) fires the old vector again.  Through a relay
 * (irq_relay=1) that reaches nothing any more: "irq-revoked".  With
 * plain eventfd passing the consumer's eventfd is still signalled:
 * "irq-kept", the documented limit of that mode.
 */
static void test_irq_revoke(const char *name, bool revoked)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	uint64_t n;

	if (set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd)) {
		fail(name, "SET_IRQS: %m");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_MSIX, 0);
	n = efd_count(efd);
	if (n != 1) {
		fail(name, "before the disable: eventfd count %llu",
		     (unsigned long long)n);
		goto out;
	}
	if (disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX)) {
		fail(name, "disable: %m");
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) == 0) {
		fail(name, "the server dropped its fds (no keep-irq-fds fault?)");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_MSIX, 0);
	n = efd_count(efd);
	if (n != (revoked ? 0 : 1)) {
		fail(name, "after the disable: eventfd count %llu, want %d",
		     (unsigned long long)n, revoked ? 0 : 1);
		goto out;
	}
	pass(name);
out:
	close(efd);
}

static void test_irq_revoked(void)
{
	test_irq_revoke("irq-revoked", true);
}

static void test_irq_kept(void)
{
	test_irq_revoke("irq-kept", false);
}

static void test_msi(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	unsigned int i;
	uint64_t n;

	if (set_eventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd)) {
		fail("irq-msi", "SET_IRQS: %m");
		goto out;
	}
	for (i = 0; i < 5; i++)
		doorbell(VUB_SAMPLE_IRQ_MSI, 0);
	n = efd_count(efd);
	if (n != 5) {
		fail("irq-msi", "5 doorbells, eventfd count %llu",
		     (unsigned long long)n);
		goto out;
	}
	if (disable_irqs(VFIO_PCI_MSI_IRQ_INDEX)) {
		fail("irq-msi", "disable: %m");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_MSI, 0);
	if (efd_count(efd)) {
		fail("irq-msi", "fired after disable");
		goto out;
	}
	pass("irq-msi");
out:
	disable_irqs(VFIO_PCI_MSI_IRQ_INDEX);
	close(efd);
}

static void test_msix(void)
{
	int32_t efd[VUB_SAMPLE_NUM_MSIX], fds[VUB_SAMPLE_NUM_MSIX];
	uint32_t fired0 = reg(VUB_SAMPLE_REG_IRQ_FIRED);
	unsigned int i, j, bad = 0;
	uint64_t n;

	for (i = 0; i < VUB_SAMPLE_NUM_MSIX; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	if (set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, VUB_SAMPLE_NUM_MSIX,
			 efd)) {
		fail("irq-msix", "SET_IRQS: %m");
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) != VUB_SAMPLE_NUM_MSIX) {
		fail("irq-msix", "server holds %u eventfds",
		     reg(VUB_SAMPLE_REG_IRQ_FDS));
		goto out;
	}
	/* Vector i fires i + 1 times. */
	for (i = 0; i < VUB_SAMPLE_NUM_MSIX; i++)
		for (j = 0; j <= i; j++)
			doorbell(VUB_SAMPLE_IRQ_MSIX, i);
	for (i = 0; i < VUB_SAMPLE_NUM_MSIX; i++) {
		n = efd_count(efd[i]);
		if (n != i + 1) {
			fail("irq-msix", "vector %u: count %llu, want %u", i,
			     (unsigned long long)n, i + 1);
			bad++;
		}
	}
	if (reg(VUB_SAMPLE_REG_IRQ_FIRED) - fired0 !=
	    VUB_SAMPLE_NUM_MSIX * (VUB_SAMPLE_NUM_MSIX + 1) / 2) {
		fail("irq-msix", "server fired %u",
		     reg(VUB_SAMPLE_REG_IRQ_FIRED) - fired0);
		bad++;
	}
	if (bad)
		goto out;
	pass("irq-msix");

	/* Mask vectors 4..5 (DATA_BOOL), unmask 5 only. */
	if (set_irqs(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
		     VFIO_PCI_MSIX_IRQ_INDEX, 4, 2, "\1\1", 2) ||
	    set_irqs(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
		     VFIO_PCI_MSIX_IRQ_INDEX, 4, 2, "\0\1", 2)) {
		fail("irq-mask", "SET_IRQS: %m");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_MSIX, 4);
	doorbell(VUB_SAMPLE_IRQ_MSIX, 5);
	if (efd_count(efd[4]) || efd_count(efd[5]) != 1) {
		fail("irq-mask", "masked vector fired or unmasked did not");
		goto out;
	}
	set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		 VFIO_PCI_MSIX_IRQ_INDEX, 4, 1, NULL, 0);
	doorbell(VUB_SAMPLE_IRQ_MSIX, 4);
	if (efd_count(efd[4]) != 1) {
		fail("irq-mask", "vector 4 after unmask");
		goto out;
	}
	pass("irq-mask");

	/* De-assign a run in the middle: [e0 e1 -1 -1 e4 ...]. */
	memcpy(fds, efd, sizeof(fds));
	fds[2] = fds[3] = -1;
	if (set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, VUB_SAMPLE_NUM_MSIX,
			 fds)) {
		fail("irq-msix-runs", "SET_IRQS: %m");
		goto out;
	}
	for (i = 0; i < 5; i++)
		doorbell(VUB_SAMPLE_IRQ_MSIX, i);
	if (efd_count(efd[0]) != 1 || efd_count(efd[1]) != 1 ||
	    efd_count(efd[2]) || efd_count(efd[3]) ||
	    efd_count(efd[4]) != 1 ||
	    reg(VUB_SAMPLE_REG_IRQ_FDS) != VUB_SAMPLE_NUM_MSIX - 2) {
		fail("irq-msix-runs", "counts wrong after partial de-assign");
		goto out;
	}
	pass("irq-msix-runs");
out:
	disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX);
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) != 0)
		fail("irq-msix", "%u eventfds left after disable",
		     reg(VUB_SAMPLE_REG_IRQ_FDS));
	for (i = 0; i < VUB_SAMPLE_NUM_MSIX; i++)
		close(efd[i]);
}

static void test_err_req(void)
{
	int32_t err = eventfd(0, EFD_NONBLOCK), req = eventfd(0, EFD_NONBLOCK);

	if (set_eventfds(VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &err) ||
	    set_eventfds(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &req)) {
		fail("irq-err-req", "SET_IRQS: %m");
		goto out;
	}
	/* Triggered by the consumer (bridge-local), then by the server. */
	if (set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		     VFIO_PCI_ERR_IRQ_INDEX, 0, 1, NULL, 0) ||
	    efd_count(err) != 1) {
		fail("irq-err-req", "ERR DATA_NONE trigger");
		goto out;
	}
	doorbell(VUB_SAMPLE_IRQ_ERR, 0);
	doorbell(VUB_SAMPLE_IRQ_REQ, 0);
	if (efd_count(err) != 1 || efd_count(req) != 1) {
		fail("irq-err-req", "server-fired ERR/REQ not delivered");
		goto out;
	}
	if (set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
		     VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &err, 4) == 0) {
		fail("irq-err-req", "MASK accepted on ERR");
		goto out;
	}
	pass("irq-err-req");
out:
	disable_irqs(VFIO_PCI_ERR_IRQ_INDEX);
	disable_irqs(VFIO_PCI_REQ_IRQ_INDEX);
	close(err);
	close(req);
}

/* ---- reset and reopen ----------------------------------------------- */

static void test_reset(void)
{
	uint32_t resets = reg(VUB_SAMPLE_REG_RESET_COUNT);
	int32_t efd = eventfd(0, EFD_NONBLOCK);

	wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0x1234);
	set_eventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd);
	if (ioctl(vo.device, VFIO_DEVICE_RESET)) {
		fail("reset", "VFIO_DEVICE_RESET: %m");
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_RESET_COUNT) != resets + 1 ||
	    reg(VUB_SAMPLE_REG_SCRATCH) != 0) {
		fail("reset", "reset count %u (was %u), scratch %#x",
		     reg(VUB_SAMPLE_REG_RESET_COUNT), resets,
		     reg(VUB_SAMPLE_REG_SCRATCH));
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) != 0) {
		fail("reset", "eventfds still assigned after reset");
		goto out;
	}
	pass("reset");
out:
	disable_irqs(VFIO_PCI_MSI_IRQ_INDEX);
	close(efd);
}

static void test_reopen(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	const char *why;

	/* Leave an eventfd assigned: close must clean it up. */
	if (set_eventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd))
		fail("reopen", "SET_IRQS: %m");
	close_device();
	close(efd);
	if (open_device(&why))
		return fail("reopen", "%s: %m", why);
	if (reg(VUB_SAMPLE_REG_ID) != VUB_SAMPLE_ID_VALUE)
		return fail("reopen", "device unusable");
	if (reg(VUB_SAMPLE_REG_IRQ_FDS) != 0)
		return fail("reopen", "%u eventfds survived the close",
			    reg(VUB_SAMPLE_REG_IRQ_FDS));
	pass("reopen");
}

/* ---- DMA ------------------------------------------------------------ */

static uint8_t *dma_mem;
static uint8_t *bar2_map;
static bool dma_mapped;

static int dma_map(void)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)dma_mem,
		.iova = DMA_IOVA,
		.size = DMA_BUF_SIZE,
	};

	return ioctl(vo.container, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(void)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = DMA_IOVA,
		.size = DMA_BUF_SIZE,
	};

	return ioctl(vo.container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

static int dma_setup(void)
{
	if (!dma_mem) {
		dma_mem = mmap(NULL, DMA_BUF_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dma_mem == MAP_FAILED) {
			dma_mem = NULL;
			return -1;
		}
	}
	if (!bar2_map) {
		bar2_map = mmap(NULL, VUB_SAMPLE_BAR2_MMAP_SIZE,
				PROT_READ | PROT_WRITE, MAP_SHARED, vo.device,
				REGION_OFF(BAR2));
		if (bar2_map == MAP_FAILED) {
			bar2_map = NULL;
			return -1;
		}
	}
	if (!dma_mapped && dma_map())
		return -1;
	dma_mapped = true;
	return 0;
}

static void dma_teardown(void)
{
	if (dma_mapped)
		dma_unmap();
	dma_mapped = false;
	if (bar2_map)
		munmap(bar2_map, VUB_SAMPLE_BAR2_MMAP_SIZE);
	bar2_map = NULL;
}

/* Device-side buffer contents at @off, via mmap or the trapped path. */
static int bar2_read(void *buf, uint32_t off, uint32_t len)
{
	if (off + len <= VUB_SAMPLE_BAR2_MMAP_SIZE) {
		memcpy(buf, bar2_map + off, len);
		return 0;
	}
	return full_pread(buf, len, REGION_OFF(BAR2) + off);
}

static int bar2_write(const void *buf, uint32_t off, uint32_t len)
{
	if (off + len <= VUB_SAMPLE_BAR2_MMAP_SIZE) {
		memcpy(bar2_map + off, buf, len);
		return 0;
	}
	return full_pwrite(buf, len, REGION_OFF(BAR2) + off);
}


static void test_dma(void)
{
	static const struct { uint32_t host_off, len, buf_off; } cases[] = {
		{ 0, 1, 0 }, { 4095, 2, 7 }, { 100, 4096, 0 },
		{ 4000, 8192 + 5, 4093 }, { 12345, 65536 + 17, 0x7f000 },
		{ 0, MiB, 0 }, { MiB + 3, MiB - 3, 0 },
		{ 2 * MiB - 4096, MiB, 0 }, { 3 * MiB, MiB, 0 },
	};
	uint8_t *dev = malloc(MiB);
	unsigned int i;
	uint32_t st;

	if (dma_setup()) {
		free(dev);
		return fail("dma", "setup: %m");
	}
	if (reg(VUB_SAMPLE_REG_DMA_MAPS) == 0) {
		fail("dma", "server has no DMA windows");
		goto out;
	}
	info("dma: server holds %u DMA windows\n",
	     reg(VUB_SAMPLE_REG_DMA_MAPS));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ho = cases[i].host_off, len = cases[i].len;
		uint32_t bo = cases[i].buf_off;

		/* Host -> device. */
		fill(dma_mem + ho, len, i + 11);
		st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + ho, len,
			     bo);
		if (st != VUB_SAMPLE_DMA_OK) {
			fail("dma", "case %u from host: status %#x", i, st);
			goto out;
		}
		if (bar2_read(dev, bo, len) || memcmp(dev, dma_mem + ho, len)) {
			fail("dma", "case %u from host: data mismatch", i);
			goto out;
		}
		/* Device -> host. */
		fill(dev, len, i + 23);
		memset(dma_mem + ho, 0, len);
		if (bar2_write(dev, bo, len)) {
			fail("dma", "case %u: BAR2 write: %m", i);
			goto out;
		}
		st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + ho, len,
			     bo);
		if (st != VUB_SAMPLE_DMA_OK) {
			fail("dma", "case %u to host: status %#x", i, st);
			goto out;
		}
		if (memcmp(dev, dma_mem + ho, len)) {
			fail("dma", "case %u to host: data mismatch", i);
			goto out;
		}
	}
	/* The whole 4 MiB buffer, in 1 MiB transfers, both ways. */
	fill(dma_mem, DMA_BUF_SIZE, 99);
	for (i = 0; i < DMA_BUF_SIZE / MiB; i++) {
		st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + i * MiB,
			     MiB, 0);
		if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, 0, MiB) ||
		    memcmp(dev, dma_mem + i * MiB, MiB)) {
			fail("dma", "4 MiB from host: MiB %u: status %#x", i,
			     st);
			goto out;
		}
	}
	for (i = 0; i < DMA_BUF_SIZE / MiB; i++) {
		fill(dev, MiB, 200 + i);
		if (bar2_write(dev, 0, MiB)) {
			fail("dma", "BAR2 write: %m");
			goto out;
		}
		st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + i * MiB,
			     MiB, 0);
		if (st != VUB_SAMPLE_DMA_OK) {
			fail("dma", "4 MiB to host: MiB %u: status %#x", i, st);
			goto out;
		}
	}
	for (i = 0; i < DMA_BUF_SIZE / MiB; i++) {
		fill(dev, MiB, 200 + i);
		if (memcmp(dev, dma_mem + i * MiB, MiB)) {
			fail("dma", "4 MiB to host: MiB %u mismatch", i);
			goto out;
		}
	}
	pass("dma");

	/* Throughput of 1 MiB transfers. */
	{
		const int n = 32;
		double t0, t1, t2;
		int k;

		t0 = now();
		for (k = 0; k < n; k++)
			dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, MiB, 0);
		t1 = now();
		for (k = 0; k < n; k++)
			dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, MiB, 0);
		t2 = now();
		printf("INFO: dma-throughput: 1 MiB transfers: host->device %.1f MB/s, device->host %.1f MB/s\n",
		       n * (double)MiB / 1e6 / (t1 - t0),
		       n * (double)MiB / 1e6 / (t2 - t1));
		t0 = now();
		for (k = 0; k < n; k++)
			dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 4096, 0);
		t1 = now();
		for (k = 0; k < n; k++)
			dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 4096, 0);
		t2 = now();
		printf("INFO: dma-latency: 4 KiB transfers: host->device %.0f us, device->host %.0f us (incl. 6 register accesses)\n",
		       (t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n);
	}

	/* DMA completion interrupt on MSI-X vector 2. */
	{
		int32_t efd[3] = { -1, -1, eventfd(0, EFD_NONBLOCK) };

		if (set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, efd) ||
		    wr32(BAR0, VUB_SAMPLE_REG_DMA_IRQ, 3) ||
		    dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 4096, 0) !=
		    VUB_SAMPLE_DMA_OK || efd_count(efd[2]) != 1)
			fail("dma-irq", "no completion interrupt");
		else
			pass("dma-irq");
		wr32(BAR0, VUB_SAMPLE_REG_DMA_IRQ, 0);
		disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX);
		close(efd[2]);
	}
out:
	free(dev);
}

static void test_dma_fault(void)
{
	uint32_t st;

	if (dma_setup())
		return fail("dma-fault", "setup: %m");
	printf("INFO: dma-windows: %u\n", reg(VUB_SAMPLE_REG_DMA_MAPS));
	/* Below and above the mapping, and straddling its end. */
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA - 4096, 16, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR))
		return fail("dma-fault", "unmapped IOVA: status %#x", st);
	info("dma-fault: unmapped IOVA -> status %#x\n", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST,
		     DMA_IOVA + DMA_BUF_SIZE - 8, 16, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR))
		return fail("dma-fault", "straddling IOVA: status %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, 1ULL << 50, 16, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR))
		return fail("dma-fault", "IOVA 2^50: status %#x", st);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 4096, 0);
	if (st != VUB_SAMPLE_DMA_OK)
		return fail("dma-fault", "device unusable after faults: %#x",
			    st);
	pass("dma-fault");
}

static volatile int race_stop;

static void *race_unmapper(void *arg)
{
	unsigned long *cycles = arg;

	while (!race_stop) {
		dma_unmap();
		usleep(100);
		dma_map();
		(*cycles)++;
	}
	return NULL;
}

static void test_dma_unmap_race(void)
{
	unsigned long cycles = 0, ok = 0, err = 0, other = 0;
	pthread_t t;
	double end;
	uint32_t st;

	if (dma_setup())
		return fail("dma-unmap-race", "setup: %m");
	race_stop = 0;
	if (pthread_create(&t, NULL, race_unmapper, &cycles))
		return fail("dma-unmap-race", "pthread_create");
	end = now() + 2.0;
	while (now() < end) {
		st = dma_run(ok & 1 ? VUB_SAMPLE_DMA_DIR_TO_HOST :
			     VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 65536, 0);
		if (st == VUB_SAMPLE_DMA_OK)
			ok++;
		else if (st & VUB_SAMPLE_DMA_ERR && st != ~0U)
			err++;
		else
			other++;
	}
	race_stop = 1;
	pthread_join(t, NULL);
	dma_unmap();
	dma_map();
	info("dma-unmap-race: %lu ok, %lu faulted, %lu unmap cycles\n", ok,
	     err, cycles);
	if (other)
		return fail("dma-unmap-race", "%lu register accesses failed",
			    other);
	/*
	 * A faulted transfer is one an unmap raced with.  (On a slow
	 * kernel every transfer may overlap an unmap, so none need
	 * succeed during the race; the one after it must.)
	 */
	if (!err || !cycles)
		return fail("dma-unmap-race",
			    "no race: %lu ok, %lu faulted, %lu unmap cycles",
			    ok, err, cycles);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 4096, 0);
	if (st != VUB_SAMPLE_DMA_OK)
		return fail("dma-unmap-race", "DMA after the race: %#x", st);
	pass("dma-unmap-race");
}

/* After a close and reopen: DMA is served again, windows still there. */
static void test_dma_after_reopen(void)
{
	uint32_t st;

	if (dma_setup())
		return fail("dma-after-reopen", "setup: %m");
	fill(dma_mem, 65536, 5);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 65536, 0);
	if (st != VUB_SAMPLE_DMA_OK || memcmp(bar2_map, dma_mem, 65536))
		return fail("dma-after-reopen", "status %#x", st);
	pass("dma-after-reopen");
}

/* ---- direct DMA (dma=mmap), manual: run by t-33 ------------------------ */

static bool dev_attr_is(const char *attr, const char *want)
{
	char path[PATH_MAX], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/vfio-user/devices/%s/%s",
		 dev_name, attr);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, want);
}

#define PINNED()	dev_attr_long("stats/dma_pinned")

/* This process's VmLck (kB): type1 charges the pins to it. */
static long vm_lck_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int map_at(void *mem, uint64_t iova, size_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)mem, .iova = iova, .size = size,
	};

	return ioctl(vo.container, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_at(uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};

	return ioctl(vo.container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Direct and message DMA on one window: half of each transfer each way. */
static void test_dma_mix(void)
{
	const uint32_t ho = 12345, len = 3 * 65536 + 17, bo = 4093;
	uint8_t *dev = malloc(len);
	long req0, req1, req2;
	uint32_t st, d0, d1;

	if (!dev || dma_setup()) {
		free(dev);
		return fail("dma-mix", "setup: %m");
	}
	req0 = dev_attr_long("stats/server_requests");
	d0 = reg(VUB_SAMPLE_REG_DMA_DIRECT);
	wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_SPLIT);
	fill(dma_mem + ho, len, 41);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + ho, len, bo);
	if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, bo, len) ||
	    memcmp(dev, dma_mem + ho, len)) {
		fail("dma-mix", "from host: status %#x or data mismatch", st);
		goto out;
	}
	fill(dev, len, 42);
	memset(dma_mem + ho, 0, len);
	if (bar2_write(dev, bo, len)) {
		fail("dma-mix", "BAR2 write: %m");
		goto out;
	}
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + ho, len, bo);
	if (st != VUB_SAMPLE_DMA_OK || memcmp(dev, dma_mem + ho, len)) {
		fail("dma-mix", "to host: status %#x or data mismatch", st);
		goto out;
	}
	req1 = dev_attr_long("stats/server_requests");
	d1 = reg(VUB_SAMPLE_REG_DMA_DIRECT);
	if (d1 != d0 + 2 || req1 <= req0) {
		fail("dma-mix", "direct %u -> %u, messages %ld -> %ld", d0, d1,
		     req0, req1);
		goto out;
	}
	/* Messages only, then the mapping only, on the same window. */
	wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_MESSAGES);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + ho, len, bo);
	req2 = dev_attr_long("stats/server_requests");
	if (st != VUB_SAMPLE_DMA_OK || reg(VUB_SAMPLE_REG_DMA_DIRECT) != d1 ||
	    req2 <= req1 || bar2_read(dev, bo, len) ||
	    memcmp(dev, dma_mem + ho, len)) {
		fail("dma-mix", "messages only: status %#x", st);
		goto out;
	}
	wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_AUTO);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + ho, len, bo);
	if (st != VUB_SAMPLE_DMA_OK ||
	    reg(VUB_SAMPLE_REG_DMA_DIRECT) != d1 + 1 ||
	    dev_attr_long("stats/server_requests") != req2) {
		fail("dma-mix", "mapping only: status %#x", st);
		goto out;
	}
	printf("INFO: dma-mix: %ld DMA messages for the halves\n", req1 - req0);
	pass("dma-mix");
out:
	wr32(BAR0, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_AUTO);
	free(dev);
}

/*
 * Unmap while the server has the range mapped and pinned: pins and
 * VmLck drop to zero at once, the server then faults (SIGBUS, caught:
 * EFAULT) and never sees the memory again, whatever the consumer puts
 * in it; an IOVA mapped again shows the new memory.
 */
static void test_dma_revoke(void)
{
	const uint32_t len = MiB;
	uint8_t *dev = malloc(len), *other = anon(len);
	long pinned, lck;
	uint32_t st, bus0;

	if (!dev || !other || dma_setup()) {
		fail("dma-revoke", "setup: %m");
		goto out;
	}
	fill(dma_mem, len, 51);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, len, 0);
	if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, 0, len) ||
	    memcmp(dev, dma_mem, len)) {
		fail("dma-revoke", "first DMA: %#x", st);
		goto out;
	}
	pinned = PINNED();
	lck = vm_lck_kb();
	printf("INFO: dma-revoke: %ld pages pinned, VmLck %ld kB\n", pinned, lck);
	if (pinned < (long)(len / 4096) || lck < (long)(len / 1024)) {
		fail("dma-revoke", "pinned %ld, VmLck %ld kB after a 1 MiB DMA",
		     pinned, lck);
		goto out;
	}
	if (dma_unmap()) {
		fail("dma-revoke", "unmap: %m");
		goto out;
	}
	dma_mapped = false;
	if (PINNED() != 0 || vm_lck_kb() != 0) {
		fail("dma-revoke", "after unmap: pinned %ld, VmLck %ld kB",
		     PINNED(), vm_lck_kb());
		goto out;
	}
	/* The consumer reuses its memory: the server must not see it. */
	fill(dma_mem, len, 52);
	bus0 = reg(VUB_SAMPLE_REG_DMA_SIGBUS);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 4096, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR) || bar2_read(dev, 0, len)) {
		fail("dma-revoke", "read after unmap: status %#x", st);
		goto out;
	}
	fill(other, len, 51);	/* what BAR2 held: unchanged */
	if (memcmp(dev, other, len)) {
		fail("dma-revoke", "the server read unmapped memory");
		goto out;
	}
	fill(dev, 4096, 53);
	if (bar2_write(dev, 0, 4096)) {
		fail("dma-revoke", "BAR2 write: %m");
		goto out;
	}
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA, 4096, 0);
	fill(other, 4096, 52);
	if (!(st & VUB_SAMPLE_DMA_ERR) || memcmp(dma_mem, other, 4096)) {
		fail("dma-revoke", "write after unmap: status %#x", st);
		goto out;
	}
	if (reg(VUB_SAMPLE_REG_DMA_SIGBUS) < bus0 + 2) {
		fail("dma-revoke", "no SIGBUS in the server");
		goto out;
	}
	/* Other memory at the same IOVA: the server sees that. */
	fill(other, len, 54);
	if (map_at(other, DMA_IOVA, len, VFIO_DMA_MAP_FLAG_READ |
		   VFIO_DMA_MAP_FLAG_WRITE)) {
		fail("dma-revoke", "map: %m");
		goto out;
	}
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, len, 0);
	if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, 0, len) ||
	    memcmp(dev, other, len)) {
		fail("dma-revoke", "new memory at the IOVA: %#x", st);
		unmap_at(DMA_IOVA, len);
		goto out;
	}
	unmap_at(DMA_IOVA, len);
	if (PINNED() != 0 || vm_lck_kb() != 0) {
		fail("dma-revoke", "after the second unmap: pinned %ld",
		     PINNED());
		goto out;
	}
	pass("dma-revoke");
out:
	if (other)
		munmap(other, len);
	free(dev);
}

/* The consumer maps memory read-only: the server cannot write it. */
static void test_dma_readonly(void)
{
	const uint64_t iova = DMA_IOVA + 64 * MiB;
	const uint32_t len = 4 * MiB;
	uint8_t *ro = anon(len), *copy = malloc(len), *dev = malloc(65536);
	uint32_t st;

	if (!ro || !copy || !dev || dma_setup()) {
		fail("dma-readonly", "setup: %m");
		goto out;
	}
	fill(ro, len, 61);
	memcpy(copy, ro, len);
	if (map_at(ro, iova, len, VFIO_DMA_MAP_FLAG_READ)) {
		fail("dma-readonly", "map: %m");
		goto out;
	}
	/* A write to a page not mapped in the server yet. */
	fill(dev, 4096, 62);
	bar2_write(dev, 0, 4096);
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, iova + 2 * MiB, 4096, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR)) {
		fail("dma-readonly", "write to a fresh page: %#x", st);
		goto unmap;
	}
	/* Reads work (and map the pages, read-only) ... */
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, iova, 65536, 0);
	if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, 0, 65536) ||
	    memcmp(dev, ro, 65536)) {
		fail("dma-readonly", "read: %#x", st);
		goto unmap;
	}
	/* ... and a write to a page the server has mapped fails too. */
	fill(dev, 4096, 63);
	bar2_write(dev, 0, 4096);
	st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, iova, 4096, 0);
	if (!(st & VUB_SAMPLE_DMA_ERR)) {
		fail("dma-readonly", "write to a mapped page: %#x", st);
		goto unmap;
	}
	if (memcmp(ro, copy, len)) {
		fail("dma-readonly", "read-only memory changed");
		goto unmap;
	}
	pass("dma-readonly");
unmap:
	unmap_at(iova, len);
out:
	if (ro)
		munmap(ro, len);
	free(copy);
	free(dev);
}

/*
 * Map/unmap in a loop while server threads fault the same range.  Each
 * unmap returns only once the bridge has released every pin (type1
 * BUG()s otherwise): right after it, stats/dma_pinned and VmLck are 0,
 * with no slack (a pin in flight over the range is waited for).  Then
 * the old memory, unmapped and cleared, must stay untouched while the
 * threads go on (they increment what they can reach).
 */
static void test_dma_hammer_race(void)
{
	unsigned long cycles = 0, hot = 0, left = 0;
	uint32_t loops0, bus0, i;
	long pinned, lck;
	double end;

	if (dma_setup())
		return fail("dma-hammer-race", "setup: %m");
	loops0 = reg(VUB_SAMPLE_REG_HAMMER_LOOPS);
	bus0 = reg(VUB_SAMPLE_REG_DMA_SIGBUS);
	wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, DMA_IOVA);
	wr32(BAR0, VUB_SAMPLE_REG_DMA_LEN, DMA_BUF_SIZE);
	wr32(BAR0, VUB_SAMPLE_REG_DMA_HAMMER, 4);
	if (reg(VUB_SAMPLE_REG_DMA_HAMMER) != 4) {
		fail("dma-hammer-race", "no hammer threads");
		goto out;
	}
	/* 3 s, longer (up to 30 s) on a slow (debug) kernel: 5 hot unmaps. */
	end = now() + 3.0;
	while (now() < end || (hot < 5 && now() < end + 27.0)) {
		if (PINNED() > 0)
			hot++;
		if (dma_unmap()) {
			fail("dma-hammer-race", "unmap: %m");
			goto out;
		}
		pinned = PINNED();
		lck = vm_lck_kb();
		if (pinned || lck) {
			if (!left++)
				printf("INFO: dma-hammer-race: after unmap %lu: pinned %ld, VmLck %ld kB\n",
				       cycles, pinned, lck);
		}
		if (dma_map()) {
			fail("dma-hammer-race", "map: %m");
			goto out;
		}
		cycles++;
		/* Every third cycle: let the threads pin some (<= 20 ms). */
		for (i = 0; !(cycles % 3) && i < 20 && PINNED() <= 0; i++)
			usleep(1000);
	}
	dma_unmap();
	dma_mapped = false;
	memset(dma_mem, 0, DMA_BUF_SIZE);
	usleep(300000);
	for (i = 0; i < DMA_BUF_SIZE; i++)
		if (dma_mem[i]) {
			fail("dma-hammer-race",
			     "unmapped memory changed at %#x", i);
			goto out;
		}
	wr32(BAR0, VUB_SAMPLE_REG_DMA_HAMMER, 0);
	printf("INFO: dma-hammer-race: %lu map/unmap cycles (%lu with pins), %u hammer passes, %u SIGBUS\n",
	     cycles, hot, reg(VUB_SAMPLE_REG_HAMMER_LOOPS) - loops0,
	     reg(VUB_SAMPLE_REG_DMA_SIGBUS) - bus0);
	if (reg(VUB_SAMPLE_REG_HAMMER_LOOPS) == loops0 ||
	    reg(VUB_SAMPLE_REG_DMA_SIGBUS) == bus0 || cycles < 10 ||
	    hot < 3) {
		fail("dma-hammer-race", "no race");
		goto out;
	}
	if (left) {
		fail("dma-hammer-race", "%lu unmaps returned with pins left",
		     left);
		goto out;
	}
	if (PINNED() != 0 || vm_lck_kb() != 0) {
		fail("dma-hammer-race", "pinned %ld after unmap", PINNED());
		goto out;
	}
	pass("dma-hammer-race");
out:
	wr32(BAR0, VUB_SAMPLE_REG_DMA_HAMMER, 0);
}

/* Pages of the window cannot be pinned through the server's mapping. */
static void test_dma_gup(void)
{
	uint32_t r;

	if (dma_setup())
		return fail("dma-gup", "setup: %m");
	wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, DMA_IOVA);
	wr32(BAR0, VUB_SAMPLE_REG_DMA_GUP, 1);
	r = reg(VUB_SAMPLE_REG_DMA_GUP);
	printf("INFO: dma-gup: %#x\n", r);
	if (!(r & VUB_SAMPLE_GUP_DONE))
		return fail("dma-gup", "probe not run: %#x", r);
	/* Kernels without CONFIG_CROSS_MEMORY_ATTACH (the debug one). */
	if (syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0) &&
	    errno == ENOSYS) {
		printf("SKIP: dma-gup-pvr: no process_vm_readv in this kernel\n");
		r |= VUB_SAMPLE_GUP_PVR_HEAP;
	}
	if (!(r & VUB_SAMPLE_GUP_PVR_HEAP) || !(r & VUB_SAMPLE_GUP_SPLICE_HEAP))
		return fail("dma-gup", "controls failed on heap memory: %#x",
			    r);
	if (r & (VUB_SAMPLE_GUP_PVR_WINDOW | VUB_SAMPLE_GUP_SPLICE_WINDOW |
		 VUB_SAMPLE_GUP_ODIRECT_WINDOW))
		return fail("dma-gup", "the window could be pinned: %#x", r);
	if (r & VUB_SAMPLE_GUP_ODIRECT_TRIED) {
		if (!(r & VUB_SAMPLE_GUP_ODIRECT_HEAP))
			return fail("dma-gup", "O_DIRECT control failed: %#x",
				    r);
		pass("dma-gup-odirect");
	}
	pass("dma-gup");
}

static int cap_ipc_lock(bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[CAP_IPC_LOCK / 32].effective |= 1U << (CAP_IPC_LOCK % 32);
	else
		d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d);
}

/*
 * RLIMIT_MEMLOCK: type1 charges the server's pins to the consumer (a
 * mapping made without CAP_IPC_LOCK).  A transfer beyond the limit
 * fails cleanly and quickly; within it, DMA works.
 */
static void test_dma_memlock(void)
{
	const uint64_t iova = DMA_IOVA + 128 * MiB;
	const uint32_t len = 4 * MiB, limit = 512 * 1024;
	struct rlimit old, rl = { limit, limit };
	uint8_t *mem = anon(len), *dev = malloc(65536);
	double t0, t;
	uint32_t st;

	if (!mem || !dev || dma_setup()) {
		fail("dma-memlock", "setup: %m");
		goto out;
	}
	/* Nothing else pinned: the limit applies to this mapping alone. */
	dma_unmap();
	dma_mapped = false;
	getrlimit(RLIMIT_MEMLOCK, &old);
	if (cap_ipc_lock(false) || setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    map_at(mem, iova, len, VFIO_DMA_MAP_FLAG_READ |
		   VFIO_DMA_MAP_FLAG_WRITE)) {
		fail("dma-memlock", "limit and map: %m");
		cap_ipc_lock(true);
		goto out;
	}
	cap_ipc_lock(true);
	fill(mem, len, 71);
	t0 = now();
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, iova, MiB, 0);
	t = now() - t0;
	printf("INFO: dma-memlock: 1 MiB over a 512 KiB limit: status %#x in %.2f s, VmLck %ld kB\n",
	     st, t, vm_lck_kb());
	if (!(st & VUB_SAMPLE_DMA_ERR) || st == ~0U || t > 20) {
		fail("dma-memlock", "over the limit: status %#x in %.1f s", st,
		     t);
		goto unmap;
	}
	if (vm_lck_kb() > (long)limit / 1024) {
		fail("dma-memlock", "VmLck %ld kB over the limit", vm_lck_kb());
		goto unmap;
	}
	/* Released, then mapped again: 64 KiB fit in the limit. */
	if (unmap_at(iova, len) || vm_lck_kb() != 0 || cap_ipc_lock(false) ||
	    map_at(mem, iova, len, VFIO_DMA_MAP_FLAG_READ |
		   VFIO_DMA_MAP_FLAG_WRITE)) {
		fail("dma-memlock", "remap: %m (VmLck %ld kB)", vm_lck_kb());
		cap_ipc_lock(true);
		goto unmap;
	}
	cap_ipc_lock(true);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, iova, 65536, 0);
	if (st != VUB_SAMPLE_DMA_OK || bar2_read(dev, 0, 65536) ||
	    memcmp(dev, mem, 65536)) {
		fail("dma-memlock", "within the limit: %#x", st);
		goto unmap;
	}
	pass("dma-memlock");
unmap:
	unmap_at(iova, len);
	setrlimit(RLIMIT_MEMLOCK, &old);
	if (PINNED() != 0 || vm_lck_kb() != 0)
		fail("dma-memlock-released", "pinned %ld", PINNED());
out:
	if (mem)
		munmap(mem, len);
	free(dev);
}

/*
 * The consumer is killed in the middle of direct DMA (server threads
 * faulting, transfers running): nothing stays pinned, the device can be
 * opened and used again.
 */
static void test_dma_kill(void)
{
	const char *why;
	double t0;
	pid_t pid;
	int status;

	dma_teardown();
	close_device();
	pid = fork();
	if (pid < 0)
		return fail("dma-kill", "fork: %m");
	if (pid == 0) {
		quiet = true;
		if (open_device(&why) || dma_setup())
			_exit(1);
		wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, DMA_IOVA);
		wr32(BAR0, VUB_SAMPLE_REG_DMA_LEN, DMA_BUF_SIZE);
		wr32(BAR0, VUB_SAMPLE_REG_DMA_HAMMER, 2);
		for (;;) {
			dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, MiB, 0);
			dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST, DMA_IOVA + MiB,
				MiB, 0);
		}
	}
	usleep(1500000);
	if (PINNED() <= 0)
		printf("INFO: dma-kill: nothing pinned at the kill\n");
	else
		printf("INFO: dma-kill: %ld pages pinned at the kill\n", PINNED());
	t0 = now();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("INFO: dma-kill: consumer gone in %.2f s\n", now() - t0);
	if (!WIFSIGNALED(status))
		return fail("dma-kill", "consumer exited with %#x", status);
	if (PINNED() != 0)
		return fail("dma-kill", "%ld pages still pinned", PINNED());
	if (open_device(&why))
		return fail("dma-kill", "reopen: %s: %m", why);
	wr32(BAR0, VUB_SAMPLE_REG_DMA_HAMMER, 0);
	if (dma_setup())
		return fail("dma-kill", "setup: %m");
	fill(dma_mem, 65536, 81);
	if (dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA, 65536, 0) !=
	    VUB_SAMPLE_DMA_OK || memcmp(bar2_map, dma_mem, 65536))
		return fail("dma-kill", "DMA after the kill");
	pass("dma-kill");
}

/* Reopen with a type1 v1 container, which cannot pin: message windows. */
static void test_reopen_v1(void)
{
	const char *why;

	dma_teardown();
	close_device();
	iommu_type = VFIO_TYPE1_IOMMU;
	if (open_device(&why))
		return fail("reopen-v1", "%s: %m", why);
	if (!dev_attr_is("dma_mode", "message"))
		return fail("reopen-v1", "dma_mode is not \"message\"");
	pass("reopen-v1");
}

/* And back to v2: the mapped windows again. */
static void test_reopen_v2(void)
{
	const char *why;

	dma_teardown();
	close_device();
	iommu_type = VFIO_TYPE1v2_IOMMU;
	if (open_device(&why))
		return fail("reopen-v2", "%s: %m", why);
	if (!dev_attr_is("dma_mode", "mmap"))
		return fail("reopen-v2", "dma_mode is not \"mmap\"");
	pass("reopen-v2");
}

/*
 * Manual tests, run by name only: wait (up to 30 s) for an eventfd the
 * bridge itself signals.  The caller removes the device (REQ) or kills
 * the server (ERR) meanwhile; "WAITING" on stdout says when to.
 */
static int wait_efd(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && efd_count(efd) >= 1 ? 0 : -1;
}

static void test_req_on_remove(void)
{
	int32_t req = eventfd(0, EFD_NONBLOCK);

	if (set_eventfds(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &req))
		return fail("req-on-remove", "SET_IRQS: %m");
	printf("WAITING\n");
	fflush(stdout);
	if (wait_efd(req, 30000))
		fail("req-on-remove", "REQ not signalled");
	else
		pass("req-on-remove");
	close(req);
	/* main() closes the device, which lets the removal finish. */
}

static void test_err_on_broken(void)
{
	int32_t err = eventfd(0, EFD_NONBLOCK);
	uint32_t v;

	if (set_eventfds(VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &err))
		return fail("err-on-broken", "SET_IRQS: %m");
	printf("WAITING\n");
	fflush(stdout);
	if (wait_efd(err, 30000)) {
		fail("err-on-broken", "ERR not signalled");
	} else if (rd32(BAR0, VUB_SAMPLE_REG_ID, &v) == 0 || errno != EIO) {
		fail("err-on-broken", "access after the server died: %s",
		     strerror(errno));
	} else {
		pass("err-on-broken");
	}
	close(err);
}

/* ---- single operations (tools/tests/vm/t-13-fault-matrix.sh) -------- */

/*
 * "op-NAME" runs one operation and prints "OP: NAME RESULT MS" with
 * RESULT "OK", the errno's name (e.g. "EPROTO"), "DMA_ERR:<errno name>"
 * for a DMA the device reports as failed, "CORRUPT" for wrong data or
 * "SETUP:<errno name>" if the preparation failed.  These never print
 * PASS/FAIL: the caller decides what RESULT must be.
 */
static const char *errname(int e)
{
	static const struct { int e; const char *n; } names[] = {
		{ EIO, "EIO" }, { EPROTO, "EPROTO" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EINVAL, "EINVAL" }, { E2BIG, "E2BIG" }, { EFAULT, "EFAULT" },
		{ ENODEV, "ENODEV" }, { ECONNRESET, "ECONNRESET" },
		{ EINTR, "EINTR" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ EBUSY, "EBUSY" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EBADMSG, "EBADMSG" },
		{ ENOSPC, "ENOSPC" }, { EEXIST, "EEXIST" },
	};
	static char buf[16];
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static double op_t0;

static void op_print(const char *op, const char *prefix, const char *res)
{
	printf("OP: %s %s%s %d\n", op, prefix, res,
	       (int)((now() - op_t0) * 1000));
	fflush(stdout);
}

static void op_result(const char *op, const char *prefix, int err)
{
	op_print(op, prefix, err ? errname(err) : "OK");
}

static void op_read(void)
{
	uint32_t v = 0;
	int ret;

	op_t0 = now();
	ret = rd32(CFG, 0, &v) ? errno : 0;
	if (!ret && v != (VUB_SAMPLE_DEVICE_ID << 16 | VUB_SAMPLE_VENDOR_ID))
		return op_print("read", "", "CORRUPT");
	op_result("read", "", ret);
}

static void op_write(void)
{
	op_t0 = now();
	op_result("write", "", wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0x5a5a) ?
		  errno : 0);
}

static void op_irqs(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);

	op_t0 = now();
	op_result("irqs", "", set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
					   &efd) ? errno : 0);
	close(efd);
}

static void op_reset(void)
{
	op_t0 = now();
	op_result("reset", "", ioctl(vo.device, VFIO_DEVICE_RESET) ? errno : 0);
}

/* Close with an interrupt assigned: the close sends its de-assign. */
static void op_close(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);

	op_t0 = now();
	if (set_eventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd)) {
		op_result("close", "SETUP:", errno);
	} else {
		op_t0 = now();
		close_device();
		op_result("close", "", 0);
	}
	close(efd);
}

static void op_dma(const char *op, uint32_t dir)
{
	const uint32_t len = 4096, off = 0x1000;
	uint32_t st;
	int ret;

	op_t0 = now();
	if (dma_setup())
		return op_result(op, "SETUP:", errno);
	fill(dma_mem, len, 3);
	fill(bar2_map + off, len, 4);
	op_t0 = now();
	if (wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, DMA_IOVA) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_LEN, len) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_BUF_OFF, off) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_DIR, dir))
		return op_result(op, "SETUP:", errno);
	/* The GO write is answered once the server's DMA is done. */
	ret = wr32(BAR0, VUB_SAMPLE_REG_DMA_GO, 1) ? errno : 0;
	if (ret)
		return op_result(op, "", ret);
	if (rd32(BAR0, VUB_SAMPLE_REG_DMA_STATUS, &st))
		return op_result(op, "STATUS:", errno);
	if (st & VUB_SAMPLE_DMA_ERR)
		return op_result(op, "DMA_ERR:", st & 0xffff);
	if (st != VUB_SAMPLE_DMA_OK || memcmp(dma_mem, bar2_map + off, len))
		return op_print(op, "", "CORRUPT");
	op_result(op, "", 0);
}

static void op_dma_to_host(void)
{
	op_dma("dma-to-host", VUB_SAMPLE_DMA_DIR_TO_HOST);
}

static void op_dma_from_host(void)
{
	op_dma("dma-from-host", VUB_SAMPLE_DMA_DIR_FROM_HOST);
}

/* ---- msg_id wrap: "wrap[:N[:THREADS]]" ---------------------------------- */

struct wrap_thread {
	pthread_t t;
	unsigned long n, done, bad;
	int err;
};

static void *wrap_worker(void *arg)
{
	const uint32_t want = VUB_SAMPLE_DEVICE_ID << 16 | VUB_SAMPLE_VENDOR_ID;
	struct wrap_thread *w = arg;
	uint32_t v;

	for (w->done = 0; w->done < w->n; w->done++) {
		if (rd32(CFG, 0, &v)) {
			w->err = errno;
			break;
		}
		if (v != want)
			w->bad++;
	}
	return NULL;
}

/*
 * N (default 70000) 4-byte config reads on one device from THREADS
 * threads (default 2, so that more than one msg_id is in flight when
 * the 16-bit counter wraps); each read must return the vendor/device
 * ID.  About 1 ms per read under TCG, whatever the thread count.
 */
static void test_wrap(unsigned long n, unsigned int nthreads)
{
	struct wrap_thread w[8] = { };
	unsigned long done = 0, bad = 0;
	double t0 = now();
	unsigned int i;
	int err = 0;

	if (n == 0 || nthreads < 1 || nthreads > 8)
		return fail("wrap", "bad arguments");
	for (i = 0; i < nthreads; i++) {
		w[i].n = n / nthreads + (i < n % nthreads);
		pthread_create(&w[i].t, NULL, wrap_worker, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].t, NULL);
		done += w[i].done;
		bad += w[i].bad;
		if (w[i].err)
			err = w[i].err;
	}
	printf("INFO: wrap: %lu reads from %u threads in %.1f s\n", done,
	       nthreads, now() - t0);
	if (err)
		fail("wrap", "read after %lu: %s", done, strerror(err));
	else if (bad)
		fail("wrap", "%lu reads returned wrong data", bad);
	else
		pass("wrap");
}

/* ---- stress: "stress:SECONDS:THREADS[:eproto]" ------------------------- */

/*
 * THREADS threads (at most 8) do region reads and writes, MSI-X
 * interrupts (doorbell, then wait for the eventfd) and DMA round trips
 * for SECONDS, while the caller kills and restarts the server and
 * removes and re-adds the device.  A session lasts from an open of the
 * device to its ERR (server gone) or REQ (device being removed)
 * eventfd; then the device is closed and opened again as soon as it is
 * back.  EIO and ENODEV are what a broken or removed device returns;
 * with ":eproto" (the caller also runs servers that send malformed
 * replies) EPROTO is expected too, and counted apart.  Any other errno,
 * a lost interrupt or wrong data is a failure.
 */
#define ST_MAX_THREADS	8
enum { ST_RW, ST_IRQ, ST_DMA, ST_KINDS };
static const char *const st_kind[ST_KINDS] = { "rw", "irq", "dma" };

struct st_thread {
	pthread_t t;
	unsigned int idx;
	int32_t efd;
	unsigned long ok[ST_KINDS], expected[ST_KINDS], bad[ST_KINDS];
	unsigned long eproto[ST_KINDS];
	unsigned long reset[ST_KINDS];
	int last_err;
	double max_op;
	char why[96];
};

static volatile int st_stop;
static bool st_eproto_ok;
static bool st_eio_only;		/* survive: ENODEV is a failure too */
static volatile unsigned long st_err_gen;	/* survive: ERR signals seen */
static pthread_mutex_t st_dma_lock = PTHREAD_MUTEX_INITIALIZER;

/* 0 ok, 1 expected error, 2 failure (why says what). */
static int st_err(struct st_thread *t, const char *what, int e)
{
	t->last_err = e;
	if (e == EIO || (e == ENODEV && !st_eio_only) ||
	    (e == EPROTO && st_eproto_ok))
		return 1;
	snprintf(t->why, sizeof(t->why), "%s: %s", what, errname(e));
	return 2;
}

static int st_rw(struct st_thread *t, unsigned long iter)
{
	/* MSI-X table entry idx: plain storage, one per thread. */
	uint64_t off = VUB_SAMPLE_MSIX_TABLE_OFFSET + 16 * t->idx + 8;
	uint32_t v = (uint32_t)(iter * 2654435761U) ^ t->idx, r;

	if (rd32(BAR0, VUB_SAMPLE_REG_ID, &r))
		return st_err(t, "read ID", errno);
	if (r != VUB_SAMPLE_ID_VALUE) {
		snprintf(t->why, sizeof(t->why), "ID reads %#x", r);
		return 2;
	}
	if (wr32(BAR0, off, v))
		return st_err(t, "write", errno);
	if (rd32(BAR0, off, &r))
		return st_err(t, "read back", errno);
	if (r != v) {
		snprintf(t->why, sizeof(t->why), "wrote %#x, read %#x", v, r);
		return 2;
	}
	return 0;
}

static int st_irq(struct st_thread *t)
{
	struct pollfd p = { .fd = t->efd, .events = POLLIN };

	if (doorbell(VUB_SAMPLE_IRQ_MSIX, t->idx))
		return st_err(t, "doorbell", errno);
	/* The server signals the eventfd before it answers the write. */
	if (poll(&p, 1, 5000) != 1 || efd_count(t->efd) < 1) {
		snprintf(t->why, sizeof(t->why), "MSI-X vector %u lost",
			 t->idx);
		return 2;
	}
	return 0;
}

static int st_dma(struct st_thread *t, unsigned long iter)
{
	const uint32_t len = 4096;
	uint64_t host = (uint64_t)t->idx * 65536;
	uint32_t dev = 0x10000 + t->idx * 65536;
	int ret = 0;
	uint32_t st;

	pthread_mutex_lock(&st_dma_lock);
	fill(dma_mem + host, len, iter + t->idx);
	memset(dma_mem + host + 32768, 0, len);
	st = dma_run(VUB_SAMPLE_DMA_DIR_FROM_HOST, DMA_IOVA + host, len, dev);
	if (st == VUB_SAMPLE_DMA_OK)
		st = dma_run(VUB_SAMPLE_DMA_DIR_TO_HOST,
			     DMA_IOVA + host + 32768, len, dev);
	if (st == ~0U)
		ret = st_err(t, "DMA registers", errno);
	else if (st != VUB_SAMPLE_DMA_OK)
		ret = 2, snprintf(t->why, sizeof(t->why), "DMA status %#x", st);
	else if (memcmp(dma_mem + host, dma_mem + host + 32768, len))
		ret = 2, snprintf(t->why, sizeof(t->why), "DMA data differs");
	pthread_mutex_unlock(&st_dma_lock);
	return ret;
}

static void *st_worker(void *arg)
{
	struct st_thread *t = arg;
	unsigned long iter, gen;
	double t0, el;
	int k, r;

	for (iter = 0; !st_stop; iter++) {
		k = (iter + t->idx) % ST_KINDS;
		t0 = now();
		gen = st_err_gen;
		r = k == ST_RW ? st_rw(t, iter) : k == ST_IRQ ? st_irq(t) :
		    st_dma(t, iter);
		if (r == 2 && st_eio_only) {
			/*
			 * survive: the device was reset under an operation
			 * that spans the server's restart (its ERR may come a
			 * moment after the operation ends): not a failure.
			 */
			usleep(300000);
			if (st_err_gen != gen) {
				t->reset[k]++;
				continue;
			}
		}
		el = now() - t0;
		if (el > t->max_op)
			t->max_op = el;
		if (r == 0) {
			t->ok[k]++;
		} else if (r == 1) {
			t->expected[k]++;
			if (t->last_err == EPROTO)
				t->eproto[k]++;
			usleep(20000);	/* the session is ending */
		} else {
			t->bad[k]++;
			printf("INFO: stress: thread %u: %s\n", t->idx, t->why);
			fflush(stdout);
			usleep(20000);
		}
	}
	return NULL;
}

static void test_stress(double secs, unsigned int nthreads)
{
	struct st_thread th[ST_MAX_THREADS] = { };
	unsigned long sessions = 0, open_retries = 0, setup_errs = 0;
	unsigned long ok[ST_KINDS] = { }, exp[ST_KINDS] = { }, bad = 0;
	unsigned long eproto[ST_KINDS] = { };
	unsigned long ends_err = 0, ends_req = 0;
	double end = now() + secs, max_op = 0;
	int32_t fds[ST_MAX_THREADS];
	unsigned int i, k;
	const char *why;

	if (nthreads < 1 || nthreads > ST_MAX_THREADS)
		return fail("stress", "1..%d threads", ST_MAX_THREADS);
	for (i = 0; i < nthreads; i++) {
		th[i].idx = i;
		th[i].efd = fds[i] = eventfd(0, EFD_NONBLOCK);
	}
	while (now() < end) {
		int32_t err_efd, req_efd;
		struct pollfd p[2];

		if (open_device(&why)) {
			close_device();
			open_retries++;
			usleep(50000);
			continue;
		}
		sessions++;
		err_efd = eventfd(0, EFD_NONBLOCK);
		req_efd = eventfd(0, EFD_NONBLOCK);
		if (set_eventfds(VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &err_efd) ||
		    set_eventfds(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &req_efd) ||
		    set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, nthreads, fds) ||
		    dma_setup()) {
			/* Broken or removed between open and setup. */
			if (errno != EIO && errno != ENODEV &&
			    !(errno == EPROTO && st_eproto_ok)) {
				printf("INFO: stress: session setup: %s\n",
				       errname(errno));
				bad++;
			}
			setup_errs++;
			goto close;
		}
		for (i = 0; i < nthreads; i++)
			efd_count(fds[i]);	/* stale counts */
		st_stop = 0;
		for (i = 0; i < nthreads; i++)
			pthread_create(&th[i].t, NULL, st_worker, &th[i]);
		p[0] = (struct pollfd){ .fd = err_efd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = req_efd, .events = POLLIN };
		while (now() < end) {
			if (poll(p, 2, 100) > 0) {
				if (p[0].revents)
					ends_err++;
				else
					ends_req++;
				break;
			}
		}
		st_stop = 1;
		for (i = 0; i < nthreads; i++)
			pthread_join(th[i].t, NULL);
close:
		dma_teardown();
		close_device();
		close(err_efd);
		close(req_efd);
	}
	for (i = 0; i < nthreads; i++) {
		for (k = 0; k < ST_KINDS; k++) {
			ok[k] += th[i].ok[k];
			exp[k] += th[i].expected[k];
			eproto[k] += th[i].eproto[k];
			bad += th[i].bad[k];
		}
		if (th[i].max_op > max_op)
			max_op = th[i].max_op;
		close(fds[i]);
	}
	printf("INFO: stress: %u threads, %.0f s: %lu sessions (%lu ended by ERR, %lu by REQ), %lu open retries, %lu setups failed\n",
	       nthreads, secs, sessions, ends_err, ends_req, open_retries,
	       setup_errs);
	for (k = 0; k < ST_KINDS; k++)
		printf("INFO: stress: %s: %lu ok, %lu EIO/ENODEV/EPROTO (%lu EPROTO)\n",
		       st_kind[k], ok[k], exp[k], eproto[k]);
	printf("INFO: stress: slowest operation %.0f ms, %lu unexpected errors\n",
	       max_op * 1000, bad);
	if (bad)
		fail("stress", "%lu unexpected errors (see INFO lines)", bad);
	else if (!sessions || !ok[ST_RW] || !ok[ST_IRQ] || !ok[ST_DMA])
		fail("stress", "no progress: %lu sessions, ok %lu/%lu/%lu",
		     sessions, ok[ST_RW], ok[ST_IRQ], ok[ST_DMA]);
	else
		pass("stress");
}

/*
 * survive:SECONDS:THREADS: one open of the device for SECONDS while the
 * caller kills the server, starts it again and reconnects the device
 * (t-22).  THREADS threads do region I/O, MSI-X interrupts and DMA
 * round trips (no mapping of a region: a reconnect refuses while one
 * exists).  Every operation must succeed or fail with EIO; one that
 * spans the restart may see the device reset (its ERR eventfd fired):
 * counted apart.  At the end, every kind of operation must work again
 * on the same open device, and the number of ERR signals is printed.
 */
/*
 * survive-carry (t-23, planned upgrade): a register and the upper part
 * of BAR2 (beyond what the DMA threads use) written before, read back
 * after: the device state is carried to the new server.
 */
#define CARRY_OFF	0x90000
#define CARRY_LEN	(VUB_SAMPLE_BAR2_SIZE - CARRY_OFF)
static uint32_t carry_scratch;

static int carry_write(void)
{
	uint8_t *a = malloc(CARRY_LEN);
	int ret;

	if (!a)
		return -1;
	carry_scratch = 0x5eed0000 | (getpid() & 0xffff);
	fill(a, CARRY_LEN, carry_scratch);
	ret = wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, carry_scratch) ||
	      full_pwrite(a, CARRY_LEN, REGION_OFF(BAR2) + CARRY_OFF);
	free(a);
	return ret ? -1 : 0;
}

static void carry_check(void)
{
	uint8_t *a = malloc(CARRY_LEN), *b = malloc(CARRY_LEN);
	uint32_t v = 0;

	if (!a || !b) {
		fail("carry-state", "no memory");
		goto out;
	}
	fill(a, CARRY_LEN, carry_scratch);
	if (rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v) ||
	    full_pread(b, CARRY_LEN, REGION_OFF(BAR2) + CARRY_OFF))
		fail("carry-state", "read back: %s", errname(errno));
	else if (v != carry_scratch)
		fail("carry-state", "scratch reads %#x, wrote %#x", v,
		     carry_scratch);
	else if (memcmp(a, b, CARRY_LEN))
		fail("carry-state", "BAR2 [%#x, +%#x) differs", CARRY_OFF,
		     CARRY_LEN);
	else
		pass("carry-state");
out:
	free(a);
	free(b);
}

static void test_survive(double secs, unsigned int nthreads, bool carry)
{
	struct st_thread th[ST_MAX_THREADS] = { };
	unsigned long ok[ST_KINDS] = { }, exp[ST_KINDS] = { };
	unsigned long reset[ST_KINDS] = { }, bad = 0;
	int32_t fds[ST_MAX_THREADS], err_efd;
	double end = now() + secs, max_op = 0;
	struct pollfd p;
	unsigned int i, k;
	const char *why;
	int r;

	if (nthreads < 1 || nthreads > ST_MAX_THREADS)
		return fail("survive", "1..%d threads", ST_MAX_THREADS);
	st_eio_only = true;
	if (open_device(&why))
		return fail("survive", "open: %s: %m", why);
	for (i = 0; i < nthreads; i++) {
		th[i].idx = i;
		th[i].efd = fds[i] = eventfd(0, EFD_NONBLOCK);
	}
	err_efd = eventfd(0, EFD_NONBLOCK);
	dma_mem = mmap(NULL, DMA_BUF_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dma_mem == MAP_FAILED || dma_map() ||
	    set_eventfds(VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &err_efd) ||
	    set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, nthreads, fds) ||
	    (carry && carry_write()))
		return fail("survive", "setup: %m");
	dma_mapped = true;
	if (carry)
		printf("SCRATCH: %#x\n", carry_scratch);
	printf("RUNNING\n");
	fflush(stdout);
	st_stop = 0;
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i].t, NULL, st_worker, &th[i]);
	p = (struct pollfd){ .fd = err_efd, .events = POLLIN };
	while (now() < end)
		if (poll(&p, 1, 50) > 0)
			st_err_gen += efd_count(err_efd);
	st_stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i].t, NULL);
	if (poll(&p, 1, 0) > 0)
		st_err_gen += efd_count(err_efd);
	for (i = 0; i < nthreads; i++) {
		for (k = 0; k < ST_KINDS; k++) {
			ok[k] += th[i].ok[k];
			exp[k] += th[i].expected[k];
			reset[k] += th[i].reset[k];
			bad += th[i].bad[k];
		}
		if (th[i].max_op > max_op)
			max_op = th[i].max_op;
	}
	printf("INFO: survive: %u threads, %.0f s, %lu ERR signals\n",
	       nthreads, secs, st_err_gen);
	for (k = 0; k < ST_KINDS; k++)
		printf("INFO: survive: %s: %lu ok, %lu EIO, %lu across a reset\n",
		       st_kind[k], ok[k], exp[k], reset[k]);
	printf("INFO: survive: slowest operation %.0f ms, %lu unexpected results\n",
	       max_op * 1000, bad);
	printf("ERR-SIGNALS: %lu\n", st_err_gen);
	printf("EIO-COUNT: %lu\n", exp[ST_RW] + exp[ST_IRQ] + exp[ST_DMA]);
	if (bad)
		fail("survive", "%lu unexpected results (see INFO lines)", bad);
	else if (!ok[ST_RW] || !ok[ST_IRQ] || !ok[ST_DMA])
		fail("survive", "no progress: ok %lu/%lu/%lu", ok[ST_RW],
		     ok[ST_IRQ], ok[ST_DMA]);
	else
		pass("survive");
	/* The same open device works again, every kind of operation. */
	for (i = 0; i < nthreads; i++)
		efd_count(fds[i]);
	th[0].why[0] = 0;
	r = st_rw(&th[0], 7);
	if (!r)
		r = st_irq(&th[0]);
	if (!r)
		r = st_dma(&th[0], 7);
	if (r)
		fail("survive-after", "%s", th[0].why[0] ? th[0].why :
		     errname(th[0].last_err));
	else
		pass("survive-after");
	if (carry)
		carry_check();
	disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX);
	for (i = 0; i < nthreads; i++)
		close(fds[i]);
	close(err_efd);
	dma_teardown();
	close_device();
}

/* ---- hardening (run by name, t-17) ----------------------------------- */

/*
 * BAR2's server file cannot be mapped for writing (sealed, or its fd
 * read-only): a writable mapping is refused (EPERM for a sealed file,
 * EACCES otherwise, as mmap(2) of the file itself), a read-only one
 * works and cannot be made writable.
 */
static void test_mmap_ro(void)
{
	size_t len = VUB_SAMPLE_BAR2_MMAP_SIZE;
	off_t off = REGION_OFF(BAR2) + VUB_SAMPLE_BAR2_MMAP_OFFSET;
	uint8_t *m, *buf = malloc(len);

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vo.device, off);
	if (m != MAP_FAILED || (errno != EACCES && errno != EPERM)) {
		fail("mmap-ro", "writable mmap: %s, want EACCES or EPERM",
		     m == MAP_FAILED ? strerror(errno) : "mapped");
		if (m != MAP_FAILED)
			munmap(m, len);
		goto out;
	}
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, vo.device, off);
	if (m == MAP_FAILED) {
		fail("mmap-ro", "read-only mmap: %m");
		goto out;
	}
	if (!mprotect(m, len, PROT_READ | PROT_WRITE) || errno != EACCES) {
		fail("mmap-ro", "mprotect(PROT_WRITE): %s, want EACCES",
		     strerror(errno));
		goto unmap;
	}
	/* Reading the mapping works (its content is the server's). */
	memcpy(buf, m, len);
	pass("mmap-ro");
unmap:
	munmap(m, len);
out:
	free(buf);
}

static volatile int dup2_stop;
static int dup2_num, dup2_efd, dup2_other;
static unsigned long dup2_swaps;

/* Swap a non-eventfd in and out of the fd number SET_IRQS is given. */
static void *dup2_racer(void *arg __attribute__((unused)))
{
	while (!dup2_stop) {
		dup2(dup2_other, dup2_num);
		dup2(dup2_efd, dup2_num);
		dup2_swaps++;
	}
	return NULL;
}

/*
 * Another thread replaces the eventfd behind SET_IRQS's fd number all
 * the time: each SET_IRQS either fails (it saw the other file) or
 * hands the server an eventfd, never the other file (the server logs
 * a non-eventfd, t-17 checks its log).  Both outcomes must happen, or
 * the race was not exercised.
 */
static void test_irq_dup2_race(void)
{
	unsigned long ok = 0, refused = 0, other = 0;
	pthread_t t;
	double end;

	dup2_efd = eventfd(0, EFD_NONBLOCK);
	dup2_other = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2_num = dup(dup2_efd);
	if (dup2_efd < 0 || dup2_other < 0 || dup2_num < 0)
		return fail("irq-dup2-race", "setup: %m");
	dup2_stop = 0;
	if (pthread_create(&t, NULL, dup2_racer, NULL))
		return fail("irq-dup2-race", "pthread_create");
	end = now() + 3.0;
	while (now() < end) {
		if (!set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &dup2_num))
			ok++;
		else if (errno == EINVAL)
			refused++;
		else
			other++;
	}
	dup2_stop = 1;
	pthread_join(t, NULL);
	disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX);
	info("irq-dup2-race: %lu assigned, %lu refused, %lu other, %lu swaps\n",
	     ok, refused, other, dup2_swaps);
	close(dup2_num);
	close(dup2_other);
	close(dup2_efd);
	if (other)
		return fail("irq-dup2-race", "%lu SET_IRQS failed otherwise",
			    other);
	if (!ok || !refused)
		return fail("irq-dup2-race", "no race: %lu assigned, %lu refused",
			    ok, refused);
	pass("irq-dup2-race");
}

/* Wait up to @ms for @pid; its exit time in ms, or -1. */
static double wait_exit_ms(pid_t pid, int ms)
{
	double t0 = now();
	int st;

	while ((now() - t0) * 1000 < ms) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return (now() - t0) * 1000;
		usleep(10000);
	}
	return -1;
}

/*
 * A server that takes long to reset (its reply is delayed, t-17): a
 * second process's SET_IRQS waits behind the reset and is SIGKILLed;
 * it must exit at once, not when the reset ends.
 */
static void test_reset_kill(void)
{
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	int done[2];
	pid_t resetter, setter;
	double ms;
	char c;

	if (efd < 0 || pipe(done))
		return fail("reset-kill", "setup: %m");
	resetter = fork();
	if (!resetter) {
		ioctl(vo.device, VFIO_DEVICE_RESET);
		_exit(0);
	}
	sleep(1);		/* the reset is in the server now */
	setter = fork();
	if (!setter) {
		set_eventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd);
		if (write(done[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	sleep(1);		/* SET_IRQS is waiting behind the reset */
	fcntl(done[0], F_SETFL, O_NONBLOCK);
	if (read(done[0], &c, 1) == 1) {
		fail("reset-kill", "SET_IRQS did not wait for the reset");
		goto out;
	}
	kill(setter, SIGKILL);
	ms = wait_exit_ms(setter, 5000);
	info("reset-kill: SET_IRQS caller exited %.0f ms after SIGKILL\n", ms);
	if (ms < 0)
		fail("reset-kill", "SET_IRQS caller still there 5 s after SIGKILL");
	else
		pass("reset-kill");
out:
	kill(setter, SIGKILL);
	kill(resetter, SIGKILL);
	if (wait_exit_ms(resetter, 5000) < 0)
		fail("reset-kill", "the resetter did not exit after SIGKILL");
	wait_exit_ms(setter, 5000);
	close(done[0]);
	close(done[1]);
	close(efd);
}

/* ---- main ----------------------------------------------------------- */


/* ---- fast paths: posted writes, ioeventfds (t-21) ------------------- */

#define BURST	2000

/*
 * A burst of writes, then a read-back: every write applied, in order.
 * Run with posted_writes on (t-21 checks stats/posted_writes), and off
 * for the comparison; prints the time per write.
 */
static void test_posted_burst(void)
{
	long posted0 = dev_attr_long("stats/posted_writes");
	uint32_t count0 = reg(VUB_SAMPLE_REG_NOTIFY_COUNT);
	uint64_t sum0 = 0, sum = 0, want = 0;
	double t0, t1;
	uint32_t i, v = 0;

	if (rd64(BAR0, VUB_SAMPLE_REG_NOTIFY_SUM, &sum0))
		return fail("posted-burst", "read NOTIFY_SUM: %m");
	t0 = now();
	for (i = 1; i <= BURST; i++) {
		/* Values != NOTIFY_VALUE: messages, never the ioeventfd. */
		if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, i) ||
		    wr32(BAR0, VUB_SAMPLE_REG_NOTIFY, i + 1))
			return fail("posted-burst", "write %u: %m", i);
		want += i + 1;
	}
	t1 = now();
	/* The read is answered after every write before it. */
	if (rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v) ||
	    rd64(BAR0, VUB_SAMPLE_REG_NOTIFY_SUM, &sum))
		return fail("posted-burst", "read back: %m");
	info("INFO: posted-burst: %.2f us per write, posted_writes %ld -> %ld\n",
	     (t1 - t0) * 1e6 / (2 * BURST), posted0,
	     dev_attr_long("stats/posted_writes"));
	if (v != BURST)
		return fail("posted-burst", "SCRATCH %u, want %u (order)", v,
			    BURST);
	if (reg(VUB_SAMPLE_REG_NOTIFY_COUNT) - count0 != BURST ||
	    sum - sum0 != want)
		return fail("posted-burst", "NOTIFY count %u sum %llu, want %u %llu",
			    reg(VUB_SAMPLE_REG_NOTIFY_COUNT) - count0,
			    (unsigned long long)(sum - sum0), BURST,
			    (unsigned long long)want);
	pass("posted-burst");
}

/* A 2-byte write to a 4-byte register: the server fails it (EINVAL). */
static void test_posted_error(void)
{
	uint16_t h = 0x1234;
	ssize_t n = pwrite(vo.device, &h, 2,
			   REGION_OFF(BAR0) + VUB_SAMPLE_REG_SCRATCH);

	if (dev_attr_long("posted_writes") == 1 && n != 2)
		return fail("posted-error", "posted write returned %zd: %m", n);
	if (dev_attr_long("posted_writes") == 0 && (n != -1 || errno != EINVAL))
		return fail("posted-error", "write returned %zd: %m", n);
	/* Any later request is handled after it (and its error reply). */
	if (reg(VUB_SAMPLE_REG_ID) != VUB_SAMPLE_ID_VALUE)
		return fail("posted-error", "read after: %m");
	pass("posted-error");
}

/*
 * Posted writes queued in the socket of a stopped server that then
 * dies: the device breaks, later calls fail with EIO.
 */
static void test_posted_dead(void)
{
	long pid = dev_attr_long("server_pid");
	uint32_t i, v;
	char st[32] = "";
	int k;

	/*
	 * One write first: the BAR's type is learned (a config read) at
	 * the first write, which a stopped server would not answer.
	 */
	if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0) ||
	    rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v))
		return fail("posted-dead", "first write: %m");
	if (pid <= 0 || kill(pid, SIGSTOP))
		return fail("posted-dead", "stop server %ld: %m", pid);
	for (i = 0; i < 200; i++)
		if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, i))
			break;
	if (i < 200) {
		kill(pid, SIGKILL);
		return fail("posted-dead", "posted write %u blocked or failed: %m",
			    i);
	}
	kill(pid, SIGKILL);
	for (k = 0; k < 100; k++) {
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/bus/vfio-user/devices/%s/state", dev_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(st, sizeof(st), f))
				st[0] = 0;
			fclose(f);
		}
		if (!strncmp(st, "broken", 6))
			break;
		usleep(50000);
	}
	if (strncmp(st, "broken", 6))
		return fail("posted-dead", "state %s", st);
	if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 1) == 0 || errno != EIO)
		return fail("posted-dead", "write after: %m");
	if (rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v) == 0 || errno != EIO)
		return fail("posted-dead", "read after: %m");
	pass("posted-dead");
}

/* Wait up to 5 s for the device's state to start with @want. */
static bool state_is(const char *want)
{
	char path[PATH_MAX], st[32] = "";
	int k;

	snprintf(path, sizeof(path), "/sys/bus/vfio-user/devices/%s/state",
		 dev_name);
	for (k = 0; k < 100; k++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (!fgets(st, sizeof(st), f))
				st[0] = 0;
			fclose(f);
		}
		if (!strncmp(st, want, strlen(want)))
			return true;
		usleep(50000);
	}
	return false;
}

/*
 * Back-pressure of the posted-write queue: with the server stopped,
 * posted writes fill the socket and then the bridge's queue; the write
 * that finds both full blocks instead of queueing more.  @kill: a
 * child kills the server 1 s after the stop, while the writer is
 * blocked (a server that dies with a full queue: EIO); otherwise the
 * server stays stopped and the device's timeout (3 s in t-21) breaks
 * the device (EIO or ETIMEDOUT).  Either way the device is broken and
 * later calls fail with EIO.  t-21 checks stats/posted_queue_full.
 */
static void test_posted_full_common(const char *name, bool kill_server)
{
	long pid = dev_attr_long("server_pid");
	double t0 = 0, blocked = 0, start;
	uint32_t i, v;
	pid_t child = -1;
	int err = 0;

	if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 0) ||
	    rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v))
		return fail(name, "first write: %m");
	if (pid <= 0 || kill(pid, SIGSTOP))
		return fail(name, "stop server %ld: %m", pid);
	if (kill_server) {
		child = fork();
		if (child == 0) {
			sleep(1);
			kill(pid, SIGKILL);
			_exit(0);
		}
	}
	start = now();
	for (i = 0; i < 1000000; i++) {
		t0 = now();
		if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, i)) {
			err = errno;
			blocked = now() - t0;
			break;
		}
		if (now() - start > 20)
			break;
	}
	kill(pid, SIGKILL);
	if (child > 0)
		waitpid(child, NULL, 0);
	info("INFO: %s: %u writes queued, then a write failed (%s) after %.2f s\n",
	     name, i, strerror(err), blocked);
	if (!err)
		return fail(name, "%u posted writes, none blocked", i);
	if (err != EIO && (kill_server || err != ETIMEDOUT))
		return fail(name, "write %u: %s, want EIO%s", i, strerror(err),
			    kill_server ? "" : " or ETIMEDOUT");
	/* The queue (64) and the socket filled; the last write waited. */
	if (i <= 64 || blocked < 0.5)
		return fail(name, "failed after %u writes, %.2f s: no back-pressure",
			    i, blocked);
	if (!state_is("broken"))
		return fail(name, "device not broken");
	if (wr32(BAR0, VUB_SAMPLE_REG_SCRATCH, 1) == 0 || errno != EIO)
		return fail(name, "write after: %m");
	if (rd32(BAR0, VUB_SAMPLE_REG_SCRATCH, &v) == 0 || errno != EIO)
		return fail(name, "read after: %m");
	pass(name);
}

static void test_posted_full_dead(void)
{
	test_posted_full_common("posted-full-dead", true);
}

static void test_posted_full_stuck(void)
{
	test_posted_full_common("posted-full-stuck", false);
}

/* Poll a register until it reaches @want (the eventfd is asynchronous). */
static uint32_t reg_wait(uint64_t off, uint32_t want)
{
	uint32_t v = ~0U;
	int i;

	for (i = 0; i < 100; i++) {
		v = reg(off);
		if (v == want)
			break;
		usleep(10000);
	}
	return v;
}

#define NOTIFY_N	300
#define NOTIFY_M	50
#define KICK_K		70

/*
 * NOTIFY with its data match and KICK go through the server's
 * ioeventfds (t-21 checks stats/ioeventfd_writes), other values as
 * messages; the device model sees every write with its value.
 * With "ioeventfd-off" nothing goes through an eventfd.
 */
static void do_ioeventfd(const char *name, bool on)
{
	uint32_t c0 = reg(VUB_SAMPLE_REG_NOTIFY_COUNT);
	uint32_t f0 = reg(VUB_SAMPLE_REG_NOTIFY_VIA_FD);
	uint32_t k0 = reg(VUB_SAMPLE_REG_KICK_COUNT);
	uint64_t s0 = 0, s1 = 0;
	int32_t efd = eventfd(0, EFD_NONBLOCK);
	uint32_t i, c, f, k;

	if (rd64(BAR0, VUB_SAMPLE_REG_NOTIFY_SUM, &s0))
		return fail(name, "read: %m");
	for (i = 0; i < NOTIFY_N + NOTIFY_M; i++)
		if (wr32(BAR0, VUB_SAMPLE_REG_NOTIFY,
			 i < NOTIFY_N ? VUB_SAMPLE_NOTIFY_VALUE : 5))
			return fail(name, "NOTIFY write %u: %m", i);
	for (i = 0; i < KICK_K; i++)
		if (wr32(BAR0, VUB_SAMPLE_REG_KICK, i))
			return fail(name, "KICK write %u: %m", i);
	c = reg_wait(VUB_SAMPLE_REG_NOTIFY_COUNT, c0 + NOTIFY_N + NOTIFY_M) - c0;
	k = reg_wait(VUB_SAMPLE_REG_KICK_COUNT, k0 + KICK_K) - k0;
	f = reg(VUB_SAMPLE_REG_NOTIFY_VIA_FD) - f0;
	if (rd64(BAR0, VUB_SAMPLE_REG_NOTIFY_SUM, &s1))
		return fail(name, "read: %m");
	info("INFO: %s: count %u sum %llu via eventfd %u kicks %u\n", name, c,
	     (unsigned long long)(s1 - s0), f, k);
	if (c != NOTIFY_N + NOTIFY_M || k != KICK_K ||
	    s1 - s0 != NOTIFY_N * VUB_SAMPLE_NOTIFY_VALUE + NOTIFY_M * 5)
		return fail(name, "device model saw count %u sum %llu kicks %u",
			    c, (unsigned long long)(s1 - s0), k);
	if (on ? f != NOTIFY_N : f != 0)
		return fail(name, "%u notifications through the eventfd", f);
	/*
	 * A doorbell through the eventfd fires the device's interrupt.
	 * The eventfd is not ordered after a posted write: read NOTIFY_IRQ
	 * back before ringing.
	 */
	if (efd < 0 || set_eventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd) ||
	    wr32(BAR0, VUB_SAMPLE_REG_NOTIFY_IRQ, 1) ||
	    reg(VUB_SAMPLE_REG_NOTIFY_IRQ) != 1 ||
	    wr32(BAR0, VUB_SAMPLE_REG_NOTIFY, VUB_SAMPLE_NOTIFY_VALUE))
		return fail(name, "interrupt setup: %m");
	if (wait_efd(efd, 5000))
		return fail(name, "no interrupt for the doorbell");
	wr32(BAR0, VUB_SAMPLE_REG_NOTIFY_IRQ, 0);
	disable_irqs(VFIO_PCI_MSIX_IRQ_INDEX);
	close(efd);
	pass(name);
}

static void test_ioeventfd(void)
{
	do_ioeventfd("ioeventfd", true);
}

static void test_ioeventfd_off(void)
{
	do_ioeventfd("ioeventfd-off", false);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool manual;
} tests[] = {
	{ "info", test_info, false },
	{ "regions", test_regions, false },
	{ "irqs", test_irqs, false },
	{ "config", test_config, false },
	{ "bar0", test_bar0, false },
	{ "bar2-rw", test_bar2_rw, false },
	{ "mmap", test_mmap, false },
	{ "negative", test_negative, false },
	{ "ebusy", test_ebusy, false },
	{ "irq-intx", test_intx, false },
	{ "irq-msi", test_msi, false },
	{ "irq-msix", test_msix, false },
	{ "irq-err-req", test_err_req, false },
	{ "irq-revoked", test_irq_revoked, true },
	{ "irq-kept", test_irq_kept, true },
	{ "reopen-v1", test_reopen_v1, true },	/* before the DMA tests */
	{ "dma", test_dma, false },
	{ "dma-fault", test_dma_fault, false },
	{ "dma-unmap-race", test_dma_unmap_race, false },
	{ "reset", test_reset, false },
	{ "reopen", test_reopen, false },
	{ "dma-after-reopen", test_dma_after_reopen, false },
	{ "req-on-remove", test_req_on_remove, true },
	{ "err-on-broken", test_err_on_broken, true },
	{ "op-read", op_read, true },
	{ "op-write", op_write, true },
	{ "op-irqs", op_irqs, true },
	{ "op-dma-to-host", op_dma_to_host, true },
	{ "op-dma-from-host", op_dma_from_host, true },
	{ "op-reset", op_reset, true },
	{ "op-close", op_close, true },
	{ "mmap-ro", test_mmap_ro, true },
	{ "irq-dup2-race", test_irq_dup2_race, true },
	{ "reset-kill", test_reset_kill, true },
	{ "dma-mix", test_dma_mix, true },
	{ "dma-revoke", test_dma_revoke, true },
	{ "dma-readonly", test_dma_readonly, true },
	{ "dma-hammer-race", test_dma_hammer_race, true },
	{ "dma-gup", test_dma_gup, true },
	{ "dma-memlock", test_dma_memlock, true },
	{ "dma-kill", test_dma_kill, true },
	{ "reopen-v2", test_reopen_v2, true },
	{ "posted-burst", test_posted_burst, true },
	{ "posted-error", test_posted_error, true },
	{ "posted-dead", test_posted_dead, true },
	{ "posted-full-dead", test_posted_full_dead, true },
	{ "posted-full-stuck", test_posted_full_stuck, true },
	{ "ioeventfd", test_ioeventfd, true },
	{ "ioeventfd-off", test_ioeventfd_off, true },
};

#define NR_TESTS	(sizeof(tests) / sizeof(tests[0]))

/* Every name must be a test: a typo must not pass with nothing run. */
static bool known_tests(int argc, char **argv)
{
	bool ok = true;
	unsigned int i;
	int a;

	for (a = 0; a < argc; a++) {
		for (i = 0; i < NR_TESTS; i++)
			if (!strcmp(argv[a], tests[i].name))
				break;
		if (i == NR_TESTS) {
			fail("unknown-test", "no test called \"%s\"", argv[a]);
			ok = false;
		}
	}
	return ok;
}

static bool selected(int argc, char **argv, const char *name, bool manual)
{
	int i;

	if (!argc)
		return !manual;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *why;
	unsigned int i;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		quiet = true;
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: vfio-consumer-test [-q] DEVICE-NAME|SYSFS-PATH [TEST...]\n");
		return 2;
	}
	dev_name = argv[1];
	if (strchr(dev_name, '/')) {
		dev_path = dev_name;
		dev_name = strrchr(dev_path, '/') + 1;
	}
	/* A single operation must not hang its caller: SIGALRM ends it. */
	if (argc == 3 && !strncmp(argv[2], "op-", 3))
		alarm(60);
	/* survive:SECONDS:THREADS: one open across server restarts. */
	if (argc == 3 && !strncmp(argv[2], "survive:", 8)) {
		const char *c = strchr(argv[2] + 8, ':');

		test_survive(atof(argv[2] + 8), c ? atoi(c + 1) : 3, false);
		printf("RESULT: %d failure(s)\n", failures);
		return failures ? 1 : 0;
	}
	/* survive-carry:SECONDS:THREADS: the same across upgrades. */
	if (argc == 3 && !strncmp(argv[2], "survive-carry:", 14)) {
		const char *c = strchr(argv[2] + 14, ':');

		test_survive(atof(argv[2] + 14), c ? atoi(c + 1) : 3, true);
		printf("RESULT: %d failure(s)\n", failures);
		return failures ? 1 : 0;
	}
	/* hold-mmap:SECONDS: BAR2's mmap area mapped for SECONDS. */
	if (argc == 3 && !strncmp(argv[2], "hold-mmap:", 10)) {
		test_hold_mmap(atof(argv[2] + 10));
		printf("RESULT: %d failure(s)\n", failures);
		return failures ? 1 : 0;
	}
	/* stress:SECONDS:THREADS opens (and reopens) the device itself. */
	if (argc == 3 && !strncmp(argv[2], "stress:", 7)) {
		double secs = atof(argv[2] + 7);
		const char *c = strchr(argv[2] + 7, ':');

		st_eproto_ok = c && strstr(c + 1, ":eproto");
		test_stress(secs, c ? atoi(c + 1) : 3);
		printf("RESULT: %d failure(s)\n", failures);
		return failures ? 1 : 0;
	}
	if (!(argc == 3 && !strncmp(argv[2], "wrap", 4)) &&
	    !known_tests(argc - 2, argv + 2))
		return 2;
	if (open_device(&why)) {
		fail("open", "%s: %m", why);
		return 1;
	}
	pass("open");

	if (argc == 3 && !strncmp(argv[2], "wrap", 4)) {
		char *c = argv[2] + 4;
		unsigned long n = 70000;

		if (*c == ':')
			n = strtoul(c + 1, &c, 0);
		test_wrap(n, *c == ':' ? atoi(c + 1) : 2);
		argc = 2;
		goto done;
	}
	for (i = 0; i < NR_TESTS; i++) {
		if (!selected(argc - 2, argv + 2, tests[i].name,
			      tests[i].manual))
			continue;
		if (!strcmp(tests[i].name, "reopen"))
			dma_teardown();
		tests[i].fn();
	}
done:
	dma_teardown();
	close_device();
	printf("RESULT: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
