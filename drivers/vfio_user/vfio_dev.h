/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user bridge, VFIO side: the vfio_device registered for each
 * connected vfio-user device and the helpers shared by vfio.c (ops and
 * registration), region.c (info and I/O), mmap.c, irq.c and dma.c.
 */
#ifndef _VFIO_USER_VFIO_DEV_H
#define _VFIO_USER_VFIO_DEV_H

#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>
#include <linux/xarray.h>
#include "vub.h"

struct eventfd_ctx;

/*
 * Device fd offsets, as vfio-pci: region index in bits 40..63, offset in
 * the region below.
 */
#define VUB_OFFSET_SHIFT	40
#define VUB_OFFSET_MASK		((1ULL << VUB_OFFSET_SHIFT) - 1)
#define VUB_INDEX_TO_OFFSET(i)	((u64)(i) << VUB_OFFSET_SHIFT)

struct vub_vfio {
	struct vfio_device vdev;	/* first: vfio_alloc_device() */
	struct vub_device *vd;

	/*
	 * Serialises SET_IRQS, RESET, open and close (irq bookkeeping).
	 * Never taken by vub_vfio_broken() or the DMA path.
	 */
	struct mutex irq_lock;
	/* Indexes the server holds eventfds (or an enable) for. */
	unsigned long irq_assigned;

	/* Relay files given to the server (irq_relay.c), own lock. */
	struct xarray relays;

	/* Bridge-owned ERR and REQ triggers, under trig_lock. */
	spinlock_t trig_lock;
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;

	/*
	 * DMA service gate: vub_dma_handle() holds dma_sem for reading
	 * while it serves a request, open/close flip dma_enabled under it
	 * for writing, which also drains requests in flight.
	 */
	struct rw_semaphore dma_sem;
	bool dma_enabled;
	bool dma_windows;		/* DMA_MAP windows sent */
	struct mutex dma_buf_lock;
	void *dma_buf;			/* DMA_READ bounce, dma_buf_size */
	size_t dma_buf_size;
};

static inline struct vub_vfio *to_vub_vfio(struct vfio_device *vdev)
{
	return container_of(vdev, struct vub_vfio, vdev);
}

/*
 * Protects vd->vfio against vub_vfio_unregister() for the callers that
 * are not vfio_device ops (vub_vfio_broken(), vub_dma_handle()).
 */
extern struct mutex vub_vfio_ptr_lock;

/* Largest data chunk per REGION_READ/WRITE or DMA_READ/WRITE. */
u32 vub_xfer_max(struct vub_device *vd);

/* region.c */
u32 vub_vfio_num_regions(struct vub_device *vd);
u32 vub_vfio_num_irqs(struct vub_device *vd);
const struct vub_region *vub_vfio_region(struct vub_device *vd, u32 index);
long vub_ioctl_get_info(struct vub_vfio *vv, void __user *arg);
int vub_region_info_caps(struct vfio_device *vdev,
			 struct vfio_region_info *info,
			 struct vfio_info_cap *caps);
long vub_ioctl_get_region_info(struct vub_vfio *vv, void __user *arg);
ssize_t vub_vfio_read(struct vfio_device *vdev, char __user *buf,
		      size_t count, loff_t *ppos);
ssize_t vub_vfio_write(struct vfio_device *vdev, const char __user *buf,
		       size_t count, loff_t *ppos);
/* Report a malformed server reply: marks the device broken, -EIO. */
int vub_vfio_bad_reply(struct vub_device *vd, const char *what,
		       const struct vub_err *err);

/* mmap.c */
int vub_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);

/* irq.c */
long vub_ioctl_get_irq_info(struct vub_vfio *vv, void __user *arg);
long vub_ioctl_set_irqs(struct vub_vfio *vv, void __user *arg);
void vub_irq_disable_all(struct vub_vfio *vv, bool bridge_owned);
void vub_irq_signal_err(struct vub_vfio *vv);
void vub_irq_signal_req(struct vub_vfio *vv);
int vub_irq_send_fds(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		     u32 count, const int *fds);

/* irq_relay.c */
extern bool vub_irq_relay;
int vub_relay_send(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		   u32 n, const s32 *efds);
void vub_relay_revoke_range(struct vub_vfio *vv, u32 index, u32 start,
			    u32 count);
void vub_relay_revoke_all(struct vub_vfio *vv);

/* dma.c */
int vub_dma_start(struct vub_vfio *vv);
void vub_dma_stop(struct vub_vfio *vv);
void vub_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length);
int vub_dma_init(struct vub_vfio *vv);
void vub_dma_free(struct vub_vfio *vv);

#endif /* _VFIO_USER_VFIO_DEV_H */
