// SPDX-License-Identifier: GPL-2.0
/*
 * What the consumer tests share (consumer-lib.h).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "consumer-lib.h"
#include "vub_sample.h"

const char *dev_name;
struct vfio_open vo = { .container = -1, .group = -1, .device = -1 };
int failures;

void pass(const char *name)
{
	printf("PASS: %s\n", name);
	fflush(stdout);
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

int rd32(unsigned int region, uint64_t off, uint32_t *v)
{
	return pread(vo.device, v, 4, REGION_OFF(region) + off) == 4 ? 0 : -1;
}

int wr32(unsigned int region, uint64_t off, uint32_t v)
{
	return pwrite(vo.device, &v, 4, REGION_OFF(region) + off) == 4 ? 0 : -1;
}

int rd64(unsigned int region, uint64_t off, uint64_t *v)
{
	return pread(vo.device, v, 8, REGION_OFF(region) + off) == 8 ? 0 : -1;
}

int wr64(unsigned int region, uint64_t off, uint64_t v)
{
	return pwrite(vo.device, &v, 8, REGION_OFF(region) + off) == 8 ? 0 : -1;
}

uint32_t reg(uint64_t off)
{
	uint32_t v;

	return rd32(BAR0, off, &v) ? ~0U : v;
}

uint32_t dma_run(uint32_t dir, uint64_t iova, uint32_t len, uint32_t buf_off)
{
	uint32_t st;

	if (wr64(BAR0, VUB_SAMPLE_REG_DMA_ADDR, iova) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_LEN, len) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_BUF_OFF, buf_off) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_DIR, dir) ||
	    wr32(BAR0, VUB_SAMPLE_REG_DMA_GO, 1) ||
	    rd32(BAR0, VUB_SAMPLE_REG_DMA_STATUS, &st))
		return ~0U;
	return st;
}

long dev_attr_long(const char *attr)
{
	char path[PATH_MAX];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/vfio-user/devices/%s/%s",
		 dev_name, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
