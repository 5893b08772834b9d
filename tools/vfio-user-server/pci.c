// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI test device of tools/include/vub_sample.h: config space with
 * MSI and MSI-X capabilities, BAR0 trapped registers, BAR2 backed by a
 * memfd (first half mmappable, all of it also reachable by REGION_READ/
 * WRITE).
 *
 * BAR0 is a 32-bit non-prefetchable memory BAR; BAR2 is a 64-bit
 * prefetchable memory BAR (BAR3 holds its upper half, region 3 has size
 * 0 as with vfio-pci).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "server.h"

#define CFG_COMMAND		0x04
#define CFG_STATUS		0x06
#define CFG_BAR0		0x10
#define CFG_CAP_PTR		0x34
#define CFG_INT_LINE		0x3c
#define CFG_INT_PIN		0x3d
#define STATUS_CAP_LIST		0x0010
/* IO, MEM, MASTER, SERR, INTX_DISABLE (+ parity). */
#define COMMAND_WMASK		0x0547

#define MSI_CTRL		2
#define MSIX_CTRL		2

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void cfg_init(struct vus_dev *d)
{
	uint8_t *c = d->cfg, *w = d->cfg_wmask;
	uint8_t *msi = c + VUB_SAMPLE_CAP_MSI, *msix = c + VUB_SAMPLE_CAP_MSIX;

	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->cfg_wmask, 0, sizeof(d->cfg_wmask));
	put16(c + 0x00, VUB_SAMPLE_VENDOR_ID);
	put16(c + 0x02, VUB_SAMPLE_DEVICE_ID);
	put16(c + CFG_STATUS, STATUS_CAP_LIST);
	c[0x08] = VUB_SAMPLE_REVISION;
	c[0x09] = VUB_SAMPLE_CLASS & 0xff;
	c[0x0a] = (VUB_SAMPLE_CLASS >> 8) & 0xff;
	c[0x0b] = (VUB_SAMPLE_CLASS >> 16) & 0xff;
	c[0x0e] = 0;			/* header type 0 */
	/* BAR0: 32-bit memory, not prefetchable. */
	put32(c + CFG_BAR0, 0);
	/* bar0-io: BAR0 claims to be an I/O BAR (writes must not be posted). */
	if (vus_fault_armed(VUS_F_BAR0_IO))
		put32(c + CFG_BAR0, 1);
	/* BAR2: 64-bit prefetchable memory. */
	put32(c + CFG_BAR0 + 8, 0x0c);
	put16(c + 0x2c, VUB_SAMPLE_SUBSYS_VENDOR_ID);
	put16(c + 0x2e, VUB_SAMPLE_SUBSYS_ID);
	c[CFG_CAP_PTR] = VUB_SAMPLE_CAP_MSI;
	c[CFG_INT_PIN] = 1;		/* INTA# */

	/* MSI: 64-bit capable, 1 vector, no per-vector masking. */
	msi[0] = 0x05;
	msi[1] = VUB_SAMPLE_CAP_MSIX;
	put16(msi + MSI_CTRL, 0x0080);
	/* MSI-X: table and PBA in BAR0. */
	msix[0] = 0x11;
	msix[1] = 0;
	put16(msix + MSIX_CTRL, VUB_SAMPLE_NUM_MSIX - 1);
	put32(msix + 4, VUB_SAMPLE_MSIX_TABLE_OFFSET | VUB_SAMPLE_MSIX_TABLE_BAR);
	put32(msix + 8, VUB_SAMPLE_MSIX_PBA_OFFSET | VUB_SAMPLE_MSIX_TABLE_BAR);

	/* Write masks. */
	put16(w + CFG_COMMAND, COMMAND_WMASK);
	put32(w + CFG_BAR0, ~(VUB_SAMPLE_BAR0_SIZE - 1));
	put32(w + CFG_BAR0 + 8, ~(VUB_SAMPLE_BAR2_SIZE - 1));
	put32(w + CFG_BAR0 + 12, 0xffffffff);
	w[CFG_INT_LINE] = 0xff;
	put16(w + VUB_SAMPLE_CAP_MSI + MSI_CTRL, 0x0071);	/* enable, MME */
	put32(w + VUB_SAMPLE_CAP_MSI + 4, 0xfffffffc);		/* addr lo */
	put32(w + VUB_SAMPLE_CAP_MSI + 8, 0xffffffff);		/* addr hi */
	put16(w + VUB_SAMPLE_CAP_MSI + 12, 0xffff);		/* data */
	put16(w + VUB_SAMPLE_CAP_MSIX + MSIX_CTRL, 0xc000);	/* en, mask */
}

static void regs_reset(struct vus_dev *d)
{
	int i;

	d->scratch = 0;
	d->scratch64 = 0;
	d->irq_fired = 0;
	d->irq_dropped = 0;
	d->dma_addr = 0;
	d->dma_len = 0;
	d->dma_buf_off = 0;
	d->dma_dir = 0;
	d->dma_status = VUB_SAMPLE_DMA_IDLE;
	d->dma_irq = 0;
	d->dma_mode = VUB_SAMPLE_DMA_MODE_AUTO;
	d->notify_count = 0;
	d->notify_sum = 0;
	d->notify_irq = 0;
	d->notify_via_fd = 0;
	d->kick_count = 0;
	memset(d->msix_table, 0, sizeof(d->msix_table));
	for (i = 0; i < VUB_SAMPLE_NUM_MSIX; i++)
		d->msix_table[i * 16 + 12] = 1;	/* vector masked */
}

int vus_dev_init(struct vus_dev *d, uint32_t cfg_size)
{
	memset(d, 0, sizeof(*d));
	vus_mig_reset(d);
	d->cfg_size = cfg_size;
	d->bar2_fd = memfd_create("vub-sample-bar2", MFD_CLOEXEC);
	if (d->bar2_fd < 0)
		return -errno;
	if (ftruncate(d->bar2_fd, VUB_SAMPLE_BAR2_SIZE))
		return -errno;
	d->bar2 = mmap(NULL, VUB_SAMPLE_BAR2_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, d->bar2_fd, 0);
	if (d->bar2 == MAP_FAILED)
		return -errno;
	cfg_init(d);
	vus_dma_hammer(d, 0);
	regs_reset(d);
	vus_irq_init(d);
	return vus_ioeventfd_init(d);
}

/* DEVICE_RESET: registers and config space; DMA maps and IRQ fds stay. */
void vus_dev_reset(struct vus_dev *d)
{
	int i;

	cfg_init(d);
	vus_dma_hammer(d, 0);
	regs_reset(d);
	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
		memset(d->irq[i].masked, 0, sizeof(d->irq[i].masked));
}

/* Client gone: forget everything it set up. */
void vus_dev_disconnect(struct vus_dev *d)
{
	vus_dma_release(d);
	vus_irq_release(d);
	vus_ioeventfd_reset(d);
	vus_dev_reset(d);
	vus_mig_reset(d);
	d->reset_count = 0;
	d->dma_direct = 0;
	memset(d->bar2, 0, VUB_SAMPLE_BAR2_SIZE);
}

uint64_t vus_region_size(const struct vus_dev *d, uint32_t index)
{
	switch (index) {
	case VFIO_USER_PCI_BAR0_REGION_INDEX:
		return VUB_SAMPLE_BAR0_SIZE;
	case 2:
		return VUB_SAMPLE_BAR2_SIZE;
	case VFIO_USER_PCI_CONFIG_REGION_INDEX:
		return d->cfg_size;
	default:
		return 0;
	}
}

uint32_t vus_region_flags(const struct vus_dev *d, uint32_t index)
{
	if (vus_region_size(d, index))
		return VFIO_USER_REGION_INFO_FLAG_READ |
		       VFIO_USER_REGION_INFO_FLAG_WRITE;
	return 0;
}

static int cfg_access(struct vus_dev *d, uint64_t off, uint8_t *buf,
		      uint32_t count, bool write)
{
	uint32_t i;

	if (!write) {
		memcpy(buf, d->cfg + off, count);
		return 0;
	}
	for (i = 0; i < count; i++) {
		uint32_t o = off + i;

		d->cfg[o] = (d->cfg[o] & ~d->cfg_wmask[o]) |
			    (buf[i] & d->cfg_wmask[o]);
	}
	return 0;
}

static uint64_t get_le(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

/* Width of the BAR0 register at @off (0: not a register). */
static uint32_t bar0_reg_width(uint64_t off)
{
	switch (off) {
	case VUB_SAMPLE_REG_SCRATCH64:
	case VUB_SAMPLE_REG_DMA_ADDR:
		return 8;
	case VUB_SAMPLE_REG_ID:
	case VUB_SAMPLE_REG_VERSION:
	case VUB_SAMPLE_REG_SCRATCH:
	case VUB_SAMPLE_REG_DOORBELL:
	case VUB_SAMPLE_REG_IRQ_FIRED:
	case VUB_SAMPLE_REG_IRQ_DROPPED:
	case VUB_SAMPLE_REG_DMA_LEN:
	case VUB_SAMPLE_REG_DMA_BUF_OFF:
	case VUB_SAMPLE_REG_DMA_DIR:
	case VUB_SAMPLE_REG_DMA_GO:
	case VUB_SAMPLE_REG_DMA_STATUS:
	case VUB_SAMPLE_REG_DMA_IRQ:
	case VUB_SAMPLE_REG_RESET_COUNT:
	case VUB_SAMPLE_REG_DMA_MAPS:
	case VUB_SAMPLE_REG_IRQ_FDS:
	case VUB_SAMPLE_REG_INTX_MASKED:
	case VUB_SAMPLE_REG_DMA_MODE:
	case VUB_SAMPLE_REG_DMA_DIRECT:
	case VUB_SAMPLE_REG_DMA_SIGBUS:
	case VUB_SAMPLE_REG_DMA_HAMMER:
	case VUB_SAMPLE_REG_HAMMER_LOOPS:
	case VUB_SAMPLE_REG_DMA_GUP:
	case VUB_SAMPLE_REG_NOTIFY:
	case VUB_SAMPLE_REG_NOTIFY_COUNT:
	case VUB_SAMPLE_REG_NOTIFY_IRQ:
	case VUB_SAMPLE_REG_KICK:
	case VUB_SAMPLE_REG_KICK_COUNT:
	case VUB_SAMPLE_REG_NOTIFY_VIA_FD:
		return 4;
	case VUB_SAMPLE_REG_NOTIFY_SUM:
		return 8;
	}
	return 0;
}

static uint64_t bar0_read(struct vus_dev *d, uint64_t off)
{
	switch (off) {
	case VUB_SAMPLE_REG_ID:
		return VUB_SAMPLE_ID_VALUE;
	case VUB_SAMPLE_REG_VERSION:
		return VUB_SAMPLE_VERSION_VALUE;
	case VUB_SAMPLE_REG_SCRATCH:
		return d->scratch;
	case VUB_SAMPLE_REG_SCRATCH64:
		return d->scratch64;
	case VUB_SAMPLE_REG_IRQ_FIRED:
		return d->irq_fired;
	case VUB_SAMPLE_REG_IRQ_DROPPED:
		return d->irq_dropped;
	case VUB_SAMPLE_REG_DMA_ADDR:
		return d->dma_addr;
	case VUB_SAMPLE_REG_DMA_LEN:
		return d->dma_len;
	case VUB_SAMPLE_REG_DMA_BUF_OFF:
		return d->dma_buf_off;
	case VUB_SAMPLE_REG_DMA_DIR:
		return d->dma_dir;
	case VUB_SAMPLE_REG_DMA_STATUS:
		return d->dma_status;
	case VUB_SAMPLE_REG_DMA_IRQ:
		return d->dma_irq;
	case VUB_SAMPLE_REG_RESET_COUNT:
		return d->reset_count;
	case VUB_SAMPLE_REG_DMA_MAPS:
		return vus_dma_nr_regions(d);
	case VUB_SAMPLE_REG_IRQ_FDS:
		return vus_irq_nr_fds(d);
	case VUB_SAMPLE_REG_INTX_MASKED:
		return d->irq[VFIO_USER_PCI_INTX_IRQ_INDEX].masked[0];
	case VUB_SAMPLE_REG_DMA_MODE:
		return d->dma_mode;
	case VUB_SAMPLE_REG_DMA_DIRECT:
		return d->dma_direct;
	case VUB_SAMPLE_REG_DMA_SIGBUS:
		return vus_dma_sigbus_count();
	case VUB_SAMPLE_REG_DMA_HAMMER:
		return d->hammer_threads;
	case VUB_SAMPLE_REG_HAMMER_LOOPS:
		return vus_dma_hammer_loops();
	case VUB_SAMPLE_REG_DMA_GUP:
		return d->dma_gup;
	case VUB_SAMPLE_REG_NOTIFY_COUNT:
		return d->notify_count;
	case VUB_SAMPLE_REG_NOTIFY_SUM:
		return d->notify_sum;
	case VUB_SAMPLE_REG_NOTIFY_IRQ:
		return d->notify_irq;
	case VUB_SAMPLE_REG_KICK_COUNT:
		return d->kick_count;
	case VUB_SAMPLE_REG_NOTIFY_VIA_FD:
		return d->notify_via_fd;
	default:
		return 0;	/* write-only registers read 0 */
	}
}

static void bar0_write(struct vus_conn *c, uint64_t off, uint64_t v)
{
	struct vus_dev *d = c->dev;

	switch (off) {
	case VUB_SAMPLE_REG_SCRATCH:
		d->scratch = v;
		break;
	case VUB_SAMPLE_REG_SCRATCH64:
		d->scratch64 = v;
		break;
	case VUB_SAMPLE_REG_DOORBELL:
		vus_irq_doorbell(d, v);
		break;
	case VUB_SAMPLE_REG_DMA_ADDR:
		d->dma_addr = v;
		break;
	case VUB_SAMPLE_REG_DMA_LEN:
		d->dma_len = v;
		break;
	case VUB_SAMPLE_REG_DMA_BUF_OFF:
		d->dma_buf_off = v;
		break;
	case VUB_SAMPLE_REG_DMA_DIR:
		d->dma_dir = v;
		break;
	case VUB_SAMPLE_REG_DMA_IRQ:
		d->dma_irq = v;
		break;
	case VUB_SAMPLE_REG_DMA_GO:
		if (v != 1)
			break;
		if (vus_mig_stopped(d) &&
		    !vus_fault_hit(VUS_F_MIG_DMA_STOPPED, VFIO_USER_REGION_WRITE)) {
			vus_log("DMA GO while stopped: refused");
			d->dma_status = VUB_SAMPLE_DMA_ERR | EBUSY;
			break;
		}
		vus_dma_go(c);
		break;
	case VUB_SAMPLE_REG_DMA_MODE:
		if (v <= VUB_SAMPLE_DMA_MODE_LOCAL)
			d->dma_mode = v;
		break;
	case VUB_SAMPLE_REG_DMA_HAMMER:
		vus_dma_hammer(d, v);
		break;
	case VUB_SAMPLE_REG_DMA_GUP:
		if (v == 1)
			d->dma_gup = vus_dma_gup_probe(d);
		break;
	case VUB_SAMPLE_REG_NOTIFY:
		vus_notify(d, v, 1);
		break;
	case VUB_SAMPLE_REG_NOTIFY_IRQ:
		d->notify_irq = v;
		break;
	case VUB_SAMPLE_REG_KICK:
		d->kick_count++;
		break;
	default:
		break;		/* read-only registers ignore writes */
	}
}

#define MSIX_TABLE_END	(VUB_SAMPLE_MSIX_TABLE_OFFSET + VUB_SAMPLE_NUM_MSIX * 16)
#define MSIX_PBA_END	(VUB_SAMPLE_MSIX_PBA_OFFSET + 8)

static int bar0_access(struct vus_conn *c, uint64_t off, uint8_t *buf,
		       uint32_t count, bool write)
{
	struct vus_dev *d = c->dev;
	uint32_t width = bar0_reg_width(off);

	if ((count != 4 && count != 8) || (off & (count - 1)))
		return -EINVAL;
	if (off >= VUB_SAMPLE_MSIX_TABLE_OFFSET && off < MSIX_TABLE_END) {
		uint8_t *e = d->msix_table + (off - VUB_SAMPLE_MSIX_TABLE_OFFSET);

		if (write)
			memcpy(e, buf, count);
		else
			memcpy(buf, e, count);
		return 0;
	}
	if (off >= VUB_SAMPLE_MSIX_PBA_OFFSET && off < MSIX_PBA_END) {
		if (!write)
			memset(buf, 0, count);	/* nothing ever pending */
		return 0;
	}
	if (width && width != count)
		return -EINVAL;
	if (!width) {
		/* Reserved space: reads 0, writes ignored. */
		if (!write)
			memset(buf, 0, count);
		return 0;
	}
	if (write)
		bar0_write(c, off, get_le(buf, count));
	else
		put_le(buf, bar0_read(d, off), count);
	return 0;
}

/* Bounds were checked by the caller. */
int vus_region_access(struct vus_conn *c, uint32_t index, uint64_t off,
		      void *buf, uint32_t count, bool write)
{
	struct vus_dev *d = c->dev;

	switch (index) {
	case VFIO_USER_PCI_CONFIG_REGION_INDEX:
		return cfg_access(d, off, buf, count, write);
	case VFIO_USER_PCI_BAR0_REGION_INDEX:
		return bar0_access(c, off, buf, count, write);
	case 2:
		if (write)
			memcpy(d->bar2 + off, buf, count);
		else
			memcpy(buf, d->bar2 + off, count);
		return 0;
	default:
		return -EINVAL;
	}
}
