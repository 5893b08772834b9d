// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: DMA from the server into the consumer's IOVA space.
 *
 * An emulated-IOMMU vfio_device is not told about VFIO_IOMMU_MAP_DMA,
 * so the bridge cannot mirror the consumer's mappings to the server.
 * Instead, when the device is first opened, it advertises fixed,
 * fd-less DMA_MAP windows covering [0, 2^dma_window_bits) (at most 16
 * windows of at most 8 TiB: libvfio-user's limits).  The server then
 * accesses memory with DMA_READ / DMA_WRITE messages, which the
 * receiver thread serves here with vfio_dma_rw() against whatever the
 * consumer has mapped at that moment; an IOVA the consumer has not
 * mapped is answered with an error reply, like an IOMMU fault.
 *
 * As the windows never change, DMA_UNMAP is never sent: they stay
 * valid (and EEXIST on a later DMA_MAP of them is expected) for the
 * life of the connection.  Nothing is pinned either, so ops->dma_unmap
 * has nothing to release: vfio_dma_rw() runs under the IOMMU backend's
 * own lock (type1) or access protection (iommufd), so an unmap is
 * never concurrent with a copy into the range being unmapped.
 *
 * DMA is only served while the device is open (vfio_dma_rw() requires
 * it): open_device sets dma_enabled, close_device clears it under
 * dma_sem, which also waits for a request being served.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/bits.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include "vfio_dev.h"

#define VUB_DMA_WINDOW_MAX	BIT_ULL(43)	/* 8 TiB */
#define VUB_DMA_WINDOWS_MAX	16
#define VUB_DMA_BITS_MAX	47		/* 16 x 8 TiB */

static unsigned int dma_window_bits = VUB_DMA_BITS_MAX;

/* 0 (no DMA) or PAGE_SHIFT..47; anything else fails the load. */
static int vub_param_set_dma_bits(const char *val,
				  const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 10, &v);
	if (ret || (v && (v < PAGE_SHIFT || v > VUB_DMA_BITS_MAX))) {
		pr_err("%s=%.*s refused: 0 (no DMA) or %u-%u\n", kp->name,
		       (int)strcspn(val, "\n"), val, PAGE_SHIFT,
		       VUB_DMA_BITS_MAX);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops vub_dma_bits_ops = {
	.set = vub_param_set_dma_bits,
	.get = param_get_uint,
};

module_param_cb(dma_window_bits, &vub_dma_bits_ops, &dma_window_bits, 0444);
MODULE_PARM_DESC(dma_window_bits,
		 "IOVA range [0, 2^bits) offered to servers for DMA, as up to 16 fd-less DMA_MAP windows of up to 8 TiB: 0 = no DMA, or 12-47 (default 47); other values fail the load");

/*
 * The largest DMA_READ/WRITE we accept: what we advertised as our
 * max_data_xfer_size in VERSION (the spec's limit for server-to-client
 * transfers; libvfio-user chunks its DMA by it).
 */
static u32 vub_dma_xfer_max(void)
{
	return VUB_OUR_MAX_XFER_SIZE;
}

int vub_dma_init(struct vub_vfio *vv)
{
	vv->dma_buf_size = vub_dma_xfer_max();
	vv->dma_buf = kvmalloc(vv->dma_buf_size, GFP_KERNEL);
	return vv->dma_buf ? 0 : -ENOMEM;
}

void vub_dma_free(struct vub_vfio *vv)
{
	kvfree(vv->dma_buf);
	vv->dma_buf = NULL;
}

static int vub_dma_map_window(struct vub_device *vd, u64 iova, u64 size)
{
	struct vfio_user_dma_map req;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[16];
	int ret;

	vub_build_dma_map(&req, VFIO_USER_F_DMA_REGION_READ |
			  VFIO_USER_F_DMA_REGION_WRITE, 0, iova, size);
	ret = vub_request(vd, VFIO_USER_DMA_MAP, &req, sizeof(req), NULL, 0,
			  rep, sizeof(rep), &rlen);
	if (ret == -EEXIST)
		return 0;	/* advertised in an earlier open */
	if (ret)
		return ret;
	if (vub_check_empty_reply(rep, rlen, &err))
		return vub_vfio_bad_reply(vd, "DMA_MAP reply", &err);
	return 0;
}

static int vub_dma_map_windows(struct vub_vfio *vv)
{
	struct vub_device *vd = vv->vd;
	u64 total, wsize;
	u32 i, nr, max;
	int ret;

	total = 1ULL << dma_window_bits;
	wsize = min_t(u64, total, VUB_DMA_WINDOW_MAX);
	nr = total / wsize;
	max = clamp_t(u32, vd->caps.max_dma_maps, 1, VUB_DMA_WINDOWS_MAX);
	if (nr > max) {
		dev_warn(&vd->dev,
			 "server takes %u DMA maps: DMA limited to IOVAs below %#llx\n",
			 max, max * wsize);
		nr = max;
	}

	for (i = 0; i < nr; i++) {
		ret = vub_dma_map_window(vd, i * wsize, wsize);
		if (!ret) {
			/* sysfs dma_range: what the server accepted */
			WRITE_ONCE(vd->dma_end, (i + 1) * wsize);
			continue;
		}
		if (vub_state(vd) != VUB_STATE_READY || ret == -EINTR ||
		    ret == -ETIMEDOUT)
			return ret;
		/* The server refuses: the device works, without DMA. */
		dev_warn(&vd->dev,
			 "DMA_MAP [%#llx, +%#llx) refused (%pe): DMA limited to IOVAs below %#llx\n",
			 i * wsize, wsize, ERR_PTR(ret), i * wsize);
		break;
	}
	return 0;
}

/* open_device: windows on the first open, then serve DMA. */
int vub_dma_start(struct vub_vfio *vv)
{
	int ret;

	if (!vv->dma_windows && dma_window_bits) {
		ret = vub_dma_map_windows(vv);
		if (ret)
			return ret;
		vv->dma_windows = true;
	}
	down_write(&vv->dma_sem);
	vv->dma_enabled = true;
	up_write(&vv->dma_sem);
	return 0;
}

/* close_device: stop serving DMA, wait for a request in progress. */
void vub_dma_stop(struct vub_vfio *vv)
{
	down_write(&vv->dma_sem);
	vv->dma_enabled = false;
	up_write(&vv->dma_sem);
}

/*
 * ops->dma_unmap.  type1 only calls it for ranges with pinned pages and
 * iommufd for ranges with accesses (including (0, ULONG_MAX) on IOAS
 * detach): the bridge never pins, so there is nothing to release.
 */
void vub_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
}

/* A vfio_dma_rw() error as the (positive) errno of an error reply. */
static int vub_dma_errno(int ret)
{
	if (ret == -EINVAL)	/* no mapping at this IOVA */
		ret = -EFAULT;
	if (ret >= 0 || -ret > VFIO_USER_MAX_ERRNO)
		ret = -EFAULT;
	return -ret;
}

/*
 * Take the device's DMA gate: returns the vub_vfio, referenced, with
 * dma_sem held for reading and DMA enabled, or NULL.  The reference
 * keeps it (and its bounce buffer) alive after vub_vfio_unregister().
 */
static struct vub_vfio *vub_dma_get(struct vub_device *vd)
{
	struct vub_vfio *vv;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	if (vv)
		get_device(&vv->vdev.device);
	mutex_unlock(&vub_vfio_ptr_lock);
	if (!vv)
		return NULL;
	down_read(&vv->dma_sem);
	/* Stopped for migration: nothing may land after the last sync. */
	if (!vv->dma_enabled || vv->dma_frozen) {
		up_read(&vv->dma_sem);
		vfio_put_device(&vv->vdev);
		return NULL;
	}
	return vv;
}

/* A DMA request answered with an error: counted in stats/dma_faults. */
static void vub_dma_fault(struct vub_device *vd, const char *op, u64 iova,
			  u32 count, int error)
{
	atomic64_inc(&vd->stats.dma_faults);
	dev_dbg_ratelimited(&vd->dev, "%s %#llx+%u: %pe\n", op, iova, count,
			    ERR_PTR(-error));
}

static int vub_dma_write(struct vub_device *vd,
			 const struct vfio_user_header *hdr,
			 struct vfio_user_dma_region_access *acc, u32 count)
{
	bool no_reply = hdr->flags & VFIO_USER_F_NO_REPLY;
	struct vub_vfio *vv;
	int error = 0, ret;

	vv = vub_dma_get(vd);
	if (!vv) {
		error = ENODEV;
	} else {
		if (count) {
			ret = vfio_dma_rw(&vv->vdev, acc->address, acc->data,
					  count, true);
			if (ret)
				error = vub_dma_errno(ret);
		}
		up_read(&vv->dma_sem);
		vfio_put_device(&vv->vdev);
	}
	if (error)
		vub_dma_fault(vd, "DMA_WRITE", acc->address, count, error);
	if (no_reply)
		return 0;
	return vub_send_reply(vd, hdr, error, acc, error ? 0 : sizeof(*acc),
			      NULL, 0);
}

static int vub_dma_read(struct vub_device *vd,
			const struct vfio_user_header *hdr,
			struct vfio_user_dma_region_access *acc, u32 count)
{
	struct vub_vfio *vv;
	int error = 0, ret;

	vv = vub_dma_get(vd);
	if (!vv) {
		vub_dma_fault(vd, "DMA_READ", acc->address, count, ENODEV);
		return vub_send_reply(vd, hdr, ENODEV, NULL, 0, NULL, 0);
	}

	/*
	 * Only the copy runs under the gate: the reply is sent after it
	 * is dropped, so a close never waits on the socket.
	 */
	mutex_lock(&vv->dma_buf_lock);
	if (count > vv->dma_buf_size) {
		error = E2BIG;
	} else if (count) {
		ret = vfio_dma_rw(&vv->vdev, acc->address, vv->dma_buf, count,
				  false);
		if (ret)
			error = vub_dma_errno(ret);
	}
	up_read(&vv->dma_sem);
	if (error) {
		vub_dma_fault(vd, "DMA_READ", acc->address, count, error);
		ret = vub_send_reply(vd, hdr, error, NULL, 0, NULL, 0);
	} else {
		ret = vub_send_reply(vd, hdr, 0, acc, sizeof(*acc),
				     vv->dma_buf, count);
	}
	mutex_unlock(&vv->dma_buf_lock);
	vfio_put_device(&vv->vdev);
	return ret;
}

int vub_dma_handle(struct vub_device *vd, const struct vfio_user_header *hdr,
		   void *payload, size_t len)
{
	struct vfio_user_dma_region_access *acc = payload;

	/* vub_rx_command() checked it against the same limit. */
	if (WARN_ON_ONCE(acc->count > vub_dma_xfer_max()))
		return -EPROTO;
	if (hdr->cmd == VFIO_USER_DMA_WRITE)
		return vub_dma_write(vd, hdr, acc, acc->count);
	return vub_dma_read(vd, hdr, acc, acc->count);
}
