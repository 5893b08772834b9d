/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the consumer tests share (consumer-lib.c): PASS/FAIL lines, the
 * device opened with vfio_open(), its regions and the sample device's
 * DMA engine (tools/include/vub_sample.h), its sysfs attributes.
 */
#ifndef CONSUMER_LIB_H
#define CONSUMER_LIB_H

#include <stdint.h>
#include <linux/vfio.h>

#include "vfio-open.h"

/* vfio-pci's region offsets: the index in the top bits. */
#define REGION_OFF(i)	((uint64_t)(i) << 40)
#define BAR0		VFIO_PCI_BAR0_REGION_INDEX
#define BAR2		(VFIO_PCI_BAR0_REGION_INDEX + 2)

extern const char *dev_name;	/* the device's name on the vfio-user bus */
extern struct vfio_open vo;	/* the device, its group and container */
extern int failures;		/* FAIL lines printed so far */

/* "PASS: @name" / "FAIL: @name: ..." (counted in failures). */
void pass(const char *name);
void __attribute__((format(printf, 2, 3)))
fail(const char *name, const char *fmt, ...);

/* Region @region of vo.device at @off: 0, or -1 on a short access. */
int rd32(unsigned int region, uint64_t off, uint32_t *v);
int wr32(unsigned int region, uint64_t off, uint32_t v);
int rd64(unsigned int region, uint64_t off, uint64_t *v);
int wr64(unsigned int region, uint64_t off, uint64_t v);

/* A BAR0 register, or ~0 on error. */
uint32_t reg(uint64_t off);

/*
 * One DMA of the sample device: @len bytes between @iova and its DMA
 * buffer at @buf_off, @dir a VUB_SAMPLE_DMA_DIR_*.  DMA_STATUS, or ~0
 * if a register access failed.
 */
uint32_t dma_run(uint32_t dir, uint64_t iova, uint32_t len, uint32_t buf_off);

/*
 * The number in /sys/bus/vfio-user/devices/<dev_name>/@attr (such as
 * "stats/dma_pinned"), or -1.
 */
long dev_attr_long(const char *attr);

#endif
