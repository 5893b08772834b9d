// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-user-demo: open a bridged device through the ordinary VFIO UAPI
 * (container, group, device fd) and show in a few lines what a consumer
 * sees: device info, regions, irqs, config space, one interrupt and a
 * DMA round trip through the sample server's DMA engine.
 *
 * usage: vfio-user-demo DEVICE-NAME     (e.g. vfio-user0)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "vub_sample.h"

#define REGION_OFF(i)	((uint64_t)(i) << 40)

static int dev_fd;

static void die(const char *what)
{
	fprintf(stderr, "vfio-user-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t rd32(unsigned int region, uint64_t off)
{
	uint32_t v;

	if (pread(dev_fd, &v, 4, REGION_OFF(region) + off) != 4)
		die("region read");
	return v;
}

static void wr32(unsigned int region, uint64_t off, uint32_t v)
{
	if (pwrite(dev_fd, &v, 4, REGION_OFF(region) + off) != 4)
		die("region write");
}

static void wr64(unsigned int region, uint64_t off, uint64_t v)
{
	if (pwrite(dev_fd, &v, 8, REGION_OFF(region) + off) != 8)
		die("region write");
}

static int open_device(const char *name, int *container, int *group)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path),
		 "/sys/bus/vfio-user/devices/%s/iommu_group", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	printf("device  %s -> group %s\n", name, path);

	*container = open("/dev/vfio/vfio", O_RDWR);
	if (*container < 0)
		die("/dev/vfio/vfio");
	*group = open(path, O_RDWR);
	if (*group < 0)
		die(path);
	if (ioctl(*group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	fd = ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	return fd;
}

static void show_info(void)
{
	static const char * const irq_names[] = {
		"INTx", "MSI", "MSI-X", "ERR", "REQ"
	};
	struct vfio_device_info info = { .argsz = sizeof(info) };
	unsigned int i;

	if (ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	printf("info    flags%s%s, %u regions, %u irqs\n",
	       info.flags & VFIO_DEVICE_FLAGS_PCI ? " PCI" : "",
	       info.flags & VFIO_DEVICE_FLAGS_RESET ? " RESET" : "",
	       info.num_regions, info.num_irqs);

	for (i = 0; i < info.num_regions; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
			die("VFIO_DEVICE_GET_REGION_INFO");
		if (!ri.size)
			continue;
		printf("region  %u: size 0x%llx%s%s%s%s\n", i,
		       (unsigned long long)ri.size,
		       ri.flags & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
		       ri.flags & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
		       ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "",
		       ri.flags & VFIO_REGION_INFO_FLAG_CAPS ? " caps" : "");
	}
	for (i = 0; i < info.num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		if (ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii))
			die("VFIO_DEVICE_GET_IRQ_INFO");
		printf("irq     %u (%s): count %u%s\n", i,
		       i < 5 ? irq_names[i] : "?", ii.count,
		       ii.flags & VFIO_IRQ_INFO_EVENTFD ? " eventfd" : "");
	}
}

static void show_config(void)
{
	unsigned int off, i;
	uint8_t cfg[64];

	if (pread(dev_fd, cfg, sizeof(cfg),
		  REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX)) != sizeof(cfg))
		die("config read");
	for (off = 0; off < sizeof(cfg); off += 16) {
		printf("config  %02x:", off);
		for (i = 0; i < 16; i++)
			printf(" %02x", cfg[off + i]);
		printf("\n");
	}
}

static void interrupt(void)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	struct pollfd pfd;
	uint64_t cnt;
	int efd;

	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0)
		die("eventfd");
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = 3;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, set))
		die("VFIO_DEVICE_SET_IRQS");

	wr32(0, VUB_SAMPLE_REG_DOORBELL, (VUB_SAMPLE_IRQ_MSIX << 16) | 3);
	pfd.fd = efd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(efd, &cnt, 8) != 8)
		die("MSI-X vector 3 did not fire");
	printf("irq     MSI-X vector 3 fired: eventfd count %llu\n",
	       (unsigned long long)cnt);

	set->argsz = sizeof(*set);
	set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->start = 0;
	set->count = 0;
	if (ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, set))
		die("VFIO_DEVICE_SET_IRQS disable");
	close(efd);
}

static int dma(uint32_t dir, uint64_t iova, uint32_t len, uint32_t buf_off)
{
	wr64(0, VUB_SAMPLE_REG_DMA_ADDR, iova);
	wr32(0, VUB_SAMPLE_REG_DMA_LEN, len);
	wr32(0, VUB_SAMPLE_REG_DMA_BUF_OFF, buf_off);
	wr32(0, VUB_SAMPLE_REG_DMA_DIR, dir);
	wr32(0, VUB_SAMPLE_REG_DMA_GO, 1);
	return rd32(0, VUB_SAMPLE_REG_DMA_STATUS) == VUB_SAMPLE_DMA_OK ? 0 : -1;
}

static void dma_round_trip(int container)
{
	const size_t len = 64 * 1024;
	const uint64_t iova = 0x100000;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	uint8_t *mem;
	size_t i;

	mem = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	for (i = 0; i < len; i++)
		mem[i] = (uint8_t)(i * 7 + 1);
	memset(mem + len, 0, len);
	map.vaddr = (uintptr_t)mem;
	map.iova = iova;
	map.size = 2 * len;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");

	/* Device reads our first half into BAR2, writes it to the second. */
	if (dma(VUB_SAMPLE_DMA_DIR_FROM_HOST, iova, len, 0) ||
	    dma(VUB_SAMPLE_DMA_DIR_TO_HOST, iova + len, len, 0))
		die("DMA engine reported an error");
	if (memcmp(mem, mem + len, len)) {
		errno = EIO;
		die("DMA round trip data mismatch");
	}
	printf("dma     %zu KiB host -> device -> host through DMA_READ/DMA_WRITE: data identical\n",
	       len / 1024);
}

int main(int argc, char **argv)
{
	int container, group;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DEVICE-NAME\n", argv[0]);
		return 2;
	}
	dev_fd = open_device(argv[1], &container, &group);
	show_info();
	show_config();
	wr32(0, VUB_SAMPLE_REG_SCRATCH, 0xc0ffee11);
	printf("bar0    id 0x%08x, scratch <- 0xc0ffee11 -> 0x%08x\n",
	       rd32(0, VUB_SAMPLE_REG_ID), rd32(0, VUB_SAMPLE_REG_SCRATCH));
	interrupt();
	dma_round_trip(container);
	close(dev_fd);
	close(group);
	close(container);
	return 0;
}
