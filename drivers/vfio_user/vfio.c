// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: the VFIO device exposed for each connected vfio-user
 * server.  Registration, open/close and the ioctl dispatcher; region
 * info and I/O are in region.c, mmap in mmap.c, interrupts in irq.c and
 * DMA in dma.c.
 *
 * The device is an emulated-IOMMU vfio_device whose parent is our bus
 * device, so it gets its own iommu group (/dev/vfio/N) and works with
 * the type1 container (and iommufd's emulated access where built).
 */
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include "compat.h"
#include "vfio_dev.h"

/* Guards vd->vfio for vub_vfio_broken() and vub_dma_handle(). */
DEFINE_MUTEX(vub_vfio_ptr_lock);

u32 vub_xfer_max(struct vub_device *vd)
{
	/* Negotiated already, bounded again here: it sizes our buffers. */
	return clamp_t(u32, vd->caps.max_data_xfer_size,
		       VFIO_USER_MIN_MAX_XFER_SIZE, VUB_OUR_MAX_XFER_SIZE);
}

/*
 * open_device and close_device take irq_lock without waiting for
 * anyone: the VFIO core calls them for the first open and the last
 * close, when no ioctl of the device can be running.
 */
static int vub_vfio_open_device(struct vfio_device *vdev)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);
	int ret;

	if (vub_state(vv->vd) != VUB_STATE_READY)
		return -EIO;

	/* Back to RUNNING first: a stopped server refuses DMA_MAP. */
	vub_mig_open(vv);
	mutex_lock(&vv->irq_lock);
	vv->irq_assigned = 0;
	ret = vub_dma_start(vv);
	mutex_unlock(&vv->irq_lock);
	if (!ret) {
		/* open_device runs in the opener's context. */
		spin_lock(&vv->trig_lock);
		vv->consumer = get_task_pid(current, PIDTYPE_TGID);
		spin_unlock(&vv->trig_lock);
	}
	return ret;
}

static void vub_vfio_close_device(struct vfio_device *vdev)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);

	struct pid *consumer;

	/* Nothing to wait for: what the server held is dropped anyway. */
	WRITE_ONCE(vv->vd->consumer_closing, true);
	/* Back to RUNNING first: a stopped server refuses SET_IRQS. */
	vub_mig_close(vv);
	mutex_lock(&vv->irq_lock);
	vub_irq_disable_all(vv, true);
	mutex_unlock(&vv->irq_lock);
	vub_dma_stop(vv);
	spin_lock(&vv->trig_lock);
	consumer = vv->consumer;
	vv->consumer = NULL;
	spin_unlock(&vv->trig_lock);
	put_pid(consumer);
	WRITE_ONCE(vv->vd->consumer_closing, false);
}

static long vub_ioctl_reset(struct vub_vfio *vv)
{
	struct vub_device *vd = vv->vd;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[16];
	int ret;

	if (!(vd->info.flags & VFIO_USER_DEVICE_FLAGS_RESET))
		return -EINVAL;

	/*
	 * The reset drops every interrupt assignment of the device (as
	 * QEMU's pre-reset does); ERR and REQ stay, they are the bridge's.
	 * Another thread's reset may hold the lock for as long as its
	 * server takes (reset_timeout_ms): wait killably.
	 */
	if (mutex_lock_killable(&vv->irq_lock))
		return -EINTR;
	/* A stopped server refuses DEVICE_RESET: RUNNING first. */
	vub_mig_reset_prepare(vv);
	vub_irq_disable_all(vv, false);
	ret = vub_request(vd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0,
			  rep, sizeof(rep), &rlen);
	if (!ret && vub_check_empty_reply(rep, rlen, &err))
		ret = vub_vfio_bad_reply(vd, "DEVICE_RESET reply", &err);
	vub_mig_reset_done(vv, ret);
	mutex_unlock(&vv->irq_lock);
	return ret;
}

static long vub_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vub_ioctl_get_info(vv, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		/* Only reached on kernels without ops->get_region_info_caps. */
		return vub_ioctl_get_region_info(vv, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vub_ioctl_get_irq_info(vv, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vub_ioctl_set_irqs(vv, uarg);
	case VFIO_DEVICE_RESET:
		return vub_ioctl_reset(vv);
	}
	return -ENOTTY;
}

/*
 * vfio_unregister_group_dev() calls this while a consumer keeps the
 * device open: ask it to let go through the REQ interrupt.
 */
static void vub_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);
	struct vub_device *vd = vv->vd;

	if (!count)
		dev_notice(&vd->dev,
			   "/dev/vfio/%d in use by pid %d: asking the consumer to release it (REQ); removal waits until it does\n",
			   vub_vfio_group_id(vd), vub_vfio_consumer(vd));
	vub_irq_signal_req(vv);
}

static void vub_vfio_release(struct vfio_device *vdev)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);

	vub_mig_free(vv);
	vub_dma_free(vv);
	vub_relay_revoke_all(vv);
	xa_destroy(&vv->relays);
	vub_irq_files_free(vv);
	mutex_destroy(&vv->irq_lock);
	mutex_destroy(&vv->dma_buf_lock);
#ifdef VUB_HAVE_VFIO_FREE_DEVICE
	vfio_free_device(vdev);
#endif
}

static const struct vfio_device_ops vub_vfio_ops = {
	.name		= "vfio-user",
	.release	= vub_vfio_release,
#ifdef VUB_HAVE_VFIO_OPS_BIND_IOMMUFD
	.bind_iommufd	= vfio_iommufd_emulated_bind,
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
#endif
#ifdef VUB_HAVE_VFIO_OPS_DETACH_IOAS
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#endif
	.open_device	= vub_vfio_open_device,
	.close_device	= vub_vfio_close_device,
	.read		= vub_vfio_read,
	.write		= vub_vfio_write,
	.ioctl		= vub_vfio_ioctl,
#ifdef VUB_HAVE_VFIO_OPS_GET_REGION_INFO_CAPS
	.get_region_info_caps = vub_region_info_caps,
#endif
	.mmap		= vub_vfio_mmap,
	.request	= vub_vfio_request,
	.dma_unmap	= vub_vfio_dma_unmap,
	.device_feature	= vub_mig_device_feature,
};

int vub_vfio_register(struct vub_device *vd)
{
	return vub_vfio_register_on(vd, &vd->dev);
}

/*
 * The parent is the vfio-user device (bus front-end) or an mdev of it
 * (vfio_user_mdev.ko); the VFIO device is the same either way.
 */
int vub_vfio_register_on(struct vub_device *vd, struct device *parent)
{
	struct vub_vfio *vv;
	int ret;

	if (READ_ONCE(vd->vfio))
		return -EBUSY;
	vv = vfio_alloc_device(vub_vfio, vdev, parent, &vub_vfio_ops);
	if (IS_ERR(vv))
		return PTR_ERR(vv);
	vv->vd = vd;
	mutex_init(&vv->irq_lock);
	xa_init(&vv->relays);
	xa_init(&vv->irq_files);
	spin_lock_init(&vv->trig_lock);
	init_rwsem(&vv->dma_sem);
	mutex_init(&vv->dma_buf_lock);

	ret = vub_dma_init(vv);
	if (ret)
		goto err_put;
	ret = vub_mig_init(vv);
	if (ret)
		goto err_put;
	ret = vfio_register_emulated_iommu_dev(&vv->vdev);
	if (ret)
		goto err_put;

	mutex_lock(&vub_vfio_ptr_lock);
	vd->vfio = vv;
	mutex_unlock(&vub_vfio_ptr_lock);
	return 0;

err_put:
	vfio_put_device(&vv->vdev);
	return ret;
}
EXPORT_SYMBOL_GPL(vub_vfio_register_on);

void vub_vfio_unregister(struct vub_device *vd)
{
	struct vub_vfio *vv = vd->vfio;

	if (!vv)
		return;
	/* Waits for the consumers to close, calling ops->request. */
	vfio_unregister_group_dev(&vv->vdev);

	mutex_lock(&vub_vfio_ptr_lock);
	vd->vfio = NULL;
	mutex_unlock(&vub_vfio_ptr_lock);
	/* A DMA request being served holds its own reference. */
	vfio_put_device(&vv->vdev);
}
EXPORT_SYMBOL_GPL(vub_vfio_unregister);

/* The group is the VFIO device's parent's: @vd's own, or its mdev's. */
int vub_vfio_group_id(struct vub_device *vd)
{
	struct iommu_group *group = NULL;
	int id = -1;

	mutex_lock(&vub_vfio_ptr_lock);
	if (vd->vfio)
		group = iommu_group_get(vd->vfio->vdev.dev);
	mutex_unlock(&vub_vfio_ptr_lock);
	if (group) {
		id = iommu_group_id(group);
		iommu_group_put(group);
	}
	return id;
}
EXPORT_SYMBOL_GPL(vub_vfio_group_id);

struct vub_vfio *vub_vfio_get(struct vub_device *vd)
{
	struct vub_vfio *vv;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	if (vv)
		get_device(&vv->vdev.device);
	mutex_unlock(&vub_vfio_ptr_lock);
	return vv;
}

pid_t vub_vfio_consumer(struct vub_device *vd)
{
	struct vub_vfio *vv;
	pid_t nr = 0;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	if (vv) {
		spin_lock(&vv->trig_lock);
		nr = pid_vnr(vv->consumer);
		spin_unlock(&vv->trig_lock);
	}
	mutex_unlock(&vub_vfio_ptr_lock);
	return nr;
}

void vub_vfio_broken(struct vub_device *vd)
{
	struct vub_vfio *vv;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	if (vv) {
		vub_irq_signal_err(vv);
		vub_irq_signal_req(vv);
		/* A misbehaving server signals nothing any more. */
		vub_relay_revoke_all(vv);
	}
	mutex_unlock(&vub_vfio_ptr_lock);
}

enum vub_dma_mode vub_vfio_dma_mode(struct vub_device *vd)
{
	enum vub_dma_mode mode = vub_dma_mode_of(vd);
	struct vub_vfio *vv;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	/* dma_windows_mmap is a bool written at open: a snapshot. */
	if (vv && READ_ONCE(vv->dma_windows))
		mode = READ_ONCE(vv->dma_windows_mmap) ? VUB_DMA_MMAP :
		       VUB_DMA_MESSAGE;
	mutex_unlock(&vub_vfio_ptr_lock);
	return mode;
}
