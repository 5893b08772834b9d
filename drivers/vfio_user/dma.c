// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: DMA from the server into the consumer's IOVA space.
 *
 * An emulated-IOMMU vfio_device is not told about VFIO_IOMMU_MAP_DMA,
 * so the bridge cannot mirror the consumer's mappings to the server.
 * Instead, when the device is opened, it advertises fixed DMA_MAP
 * windows covering [0, 2^bits) (at most 16 windows of at most 8 TiB:
 * libvfio-user's limits), in one of two modes:
 *
 * - dma=message: fd-less windows.  The server accesses memory with
 *   DMA_READ / DMA_WRITE messages, which the receiver thread serves
 *   here with vfio_dma_rw() against whatever the consumer has mapped
 *   at that moment; an IOVA the consumer has not mapped is answered
 *   with an error reply, like an IOMMU fault.  Nothing is pinned:
 *   vfio_dma_rw() runs under the IOMMU backend's own lock (type1) or
 *   access protection (iommufd), so an unmap is never concurrent with
 *   a copy into the range being unmapped.
 * - dma=mmap: the same windows come with the device's window file
 *   (dma_window.c, offset = IOVA), which the server maps for direct
 *   loads and stores; DMA_READ / DMA_WRITE keep working on them.  A
 *   container that cannot pin (type1 v1) gets message windows instead,
 *   decided at each open (the windows are withdrawn with DMA_UNMAP and
 *   offered again when the mode changes).
 *
 * Otherwise the windows never change and stay valid (an EEXIST on a
 * later DMA_MAP of them is expected) for the life of the connection.
 *
 * DMA is only served while the device is open (vfio_dma_rw() and
 * vfio_pin_pages() require it): open_device sets dma_enabled,
 * close_device clears it under dma_sem, which also waits for a request
 * or a pin in progress, then takes every pinned page back.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/bits.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include "vfio_dev.h"

#define VUB_DMA_WINDOW_MAX	BIT_ULL(43)	/* 8 TiB */
#define VUB_DMA_WINDOWS_MAX	16
#define VUB_DMA_BITS_MAX	47		/* 16 x 8 TiB */
/*
 * With the window file the server maps every window whole at DMA_MAP
 * time (libvfio-user does): 64 TiB at most leaves half of a 47-bit
 * address space to the server.  At least 2 MiB (SPDK's granule).
 */
#define VUB_DMA_MMAP_BITS_MIN	21
#define VUB_DMA_MMAP_BITS_MAX	46
#define VUB_DMA_MMAP_BITS_DEF	40		/* 1 TiB */

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

static const char *const vub_dma_mode_names[] = {
	[VUB_DMA_MESSAGE] = "message",
	[VUB_DMA_MMAP] = "mmap",
};

static enum vub_dma_mode vub_dma_mode_default = VUB_DMA_MESSAGE;

int vub_dma_parse_mode(const char *s, enum vub_dma_mode *mode)
{
	enum vub_dma_mode m;

	for (m = VUB_DMA_MESSAGE; m <= VUB_DMA_MMAP; m++) {
		if (sysfs_streq(s, vub_dma_mode_names[m])) {
			*mode = m;
			return 0;
		}
	}
	return -EINVAL;
}

static int vub_dma_mode_set(const char *val, const struct kernel_param *kp)
{
	enum vub_dma_mode m;

	if (vub_dma_parse_mode(val, &m)) {
		pr_err("%s=%.*s refused: \"mmap\" or \"message\"\n", kp->name,
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(vub_dma_mode_default, m);
	return 0;
}

static int vub_dma_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  vub_dma_mode_names[READ_ONCE(vub_dma_mode_default)]);
}

static const struct kernel_param_ops vub_dma_mode_ops = {
	.set = vub_dma_mode_set,
	.get = vub_dma_mode_get,
};
module_param_cb(dma, &vub_dma_mode_ops, NULL, 0644);
MODULE_PARM_DESC(dma,
		 "default DMA mode of new devices: \"message\" (fd-less windows, DMA_READ/DMA_WRITE; default) or \"mmap\" (windows with a file the server maps: direct DMA)");

static unsigned int dma_mmap_bits = VUB_DMA_MMAP_BITS_DEF;

int vub_dma_check_mmap_bits(const char *key, unsigned int bits)
{
	if (bits < VUB_DMA_MMAP_BITS_MIN || bits > VUB_DMA_MMAP_BITS_MAX) {
		pr_err("%s=%u refused: %u-%u with dma=mmap (the server maps the whole range)\n",
		       key, bits, VUB_DMA_MMAP_BITS_MIN, VUB_DMA_MMAP_BITS_MAX);
		return -EINVAL;
	}
	return 0;
}

static int vub_dma_mmap_bits_set(const char *val,
				 const struct kernel_param *kp)
{
	unsigned int bits;

	if (kstrtouint(val, 10, &bits)) {
		pr_err("%s=%.*s refused: %u-%u\n", kp->name,
		       (int)strcspn(val, "\n"), val, VUB_DMA_MMAP_BITS_MIN,
		       VUB_DMA_MMAP_BITS_MAX);
		return -EINVAL;
	}
	if (vub_dma_check_mmap_bits("dma_mmap_bits", bits))
		return -EINVAL;
	WRITE_ONCE(dma_mmap_bits, bits);
	return 0;
}

static const struct kernel_param_ops vub_dma_mmap_bits_ops = {
	.set = vub_dma_mmap_bits_set,
	.get = param_get_uint,
};
module_param_cb(dma_mmap_bits, &vub_dma_mmap_bits_ops, &dma_mmap_bits, 0644);
MODULE_PARM_DESC(dma_mmap_bits,
		 "IOVA range [0, 2^bits) of new devices' dma=mmap windows, which servers map whole (21 to 46, default 40 = 1 TiB)");

enum vub_dma_mode vub_dma_mode_of(struct vub_device *vd)
{
	return !vd || vd->dma_mode == VUB_DMA_DEFAULT ?
	       READ_ONCE(vub_dma_mode_default) : vd->dma_mode;
}

const char *vub_dma_mode_name(enum vub_dma_mode mode)
{
	return mode == VUB_DMA_MMAP ? "mmap" : "message";
}

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
	vub_dmaw_init(vv);
	vv->dma_buf_size = vub_dma_xfer_max();
	vv->dma_buf = kvmalloc(vv->dma_buf_size, GFP_KERNEL);
	return vv->dma_buf ? 0 : -ENOMEM;
}

void vub_dma_free(struct vub_vfio *vv)
{
	kvfree(vv->dma_buf);
	vv->dma_buf = NULL;
	vub_dmaw_free(vv);
}

static int vub_dma_map_window(struct vub_vfio *vv, u64 iova, u64 size,
			      bool mmap)
{
	struct vub_device *vd = vv->vd;
	struct vfio_user_dma_map req;
	struct file *file = NULL;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[16];
	int ret;

	if (mmap) {
		file = vub_dmaw_file(vv);
		if (IS_ERR(file))
			return PTR_ERR(file);
	}
	/* With the file: offset = IOVA, no MMAP/FILE_IO flag (old servers). */
	vub_build_dma_map(&req, VFIO_USER_F_DMA_REGION_READ |
			  VFIO_USER_F_DMA_REGION_WRITE, mmap ? iova : 0, iova,
			  size);
	ret = vub_request(vd, VFIO_USER_DMA_MAP, &req, sizeof(req),
			  mmap ? &file : NULL, mmap ? 1 : 0,
			  rep, sizeof(rep), &rlen);
	if (file)
		fput(file);
	if (ret == -EEXIST && !mmap)
		return 0;	/* advertised in an earlier connection */
	if (ret)
		return ret;
	if (vub_check_empty_reply(rep, rlen, &err))
		return vub_vfio_bad_reply(vd, "DMA_MAP reply", &err);
	return 0;
}

static int vub_dma_unmap_window(struct vub_vfio *vv, u64 iova, u64 size)
{
	struct vub_device *vd = vv->vd;
	struct vfio_user_dma_unmap req;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[sizeof(req)];
	int ret;

	vub_build_dma_unmap(&req, 0, iova, size);
	ret = vub_request(vd, VFIO_USER_DMA_UNMAP, &req, sizeof(req), NULL, 0,
			  rep, sizeof(rep), &rlen);
	if (ret)
		return ret;
	if (vub_check_dma_unmap_reply(&req, rep, rlen, &err))
		return vub_vfio_bad_reply(vd, "DMA_UNMAP reply", &err);
	return 0;
}

/* Withdraw the windows sent (before offering them in the other mode). */
static int vub_dma_unmap_windows(struct vub_vfio *vv)
{
	u32 i;
	int ret;

	for (i = 0; i < vv->dma_nr_windows; i++) {
		ret = vub_dma_unmap_window(vv, i * vv->dma_wsize,
					   vv->dma_wsize);
		if (ret)
			return ret;
	}
	vv->dma_windows = false;
	vv->dma_nr_windows = 0;
	WRITE_ONCE(vv->vd->dma_end, 0);
	return 0;
}

static int vub_dma_map_windows(struct vub_vfio *vv, bool mmap)
{
	struct vub_device *vd = vv->vd;
	unsigned int bits;
	u64 total, wsize;
	u32 i, nr, max;
	int ret;

	if (mmap)
		bits = vd->dma_bits ?: READ_ONCE(dma_mmap_bits);
	else
		bits = min_t(unsigned int, vd->dma_bits ?: dma_window_bits,
			     VUB_DMA_BITS_MAX);
	if (!bits)
		return 0;
	bits = max_t(unsigned int, bits, PAGE_SHIFT);
	total = 1ULL << bits;
	wsize = min_t(u64, total, VUB_DMA_WINDOW_MAX);
	nr = total / wsize;
	max = clamp_t(u32, vd->caps.max_dma_maps, 1, VUB_DMA_WINDOWS_MAX);
	if (nr > max) {
		dev_warn(&vd->dev,
			 "server takes %u DMA maps: DMA limited to IOVAs below %#llx\n",
			 max, max * wsize);
		nr = max;
	}
	if (mmap) {
		ret = vub_dmaw_create(vv, total);
		if (ret)
			return ret;
	}

	vv->dma_windows_mmap = mmap;
	vv->dma_wsize = wsize;
	vv->dma_nr_windows = 0;
	for (i = 0; i < nr; i++) {
		ret = vub_dma_map_window(vv, i * wsize, wsize, mmap);
		if (!ret) {
			vv->dma_nr_windows++;
			/* sysfs dma_range: what the server accepted */
			WRITE_ONCE(vd->dma_end, (i + 1) * wsize);
			continue;
		}
		if (vub_state(vd) != VUB_STATE_READY || ret == -EINTR ||
		    ret == -ETIMEDOUT)
			return ret;
		/* A server that takes no DMA fds: message windows. */
		if (mmap && !i) {
			dev_warn(&vd->dev,
				 "dma=mmap: the server refused the window file (%pe): DMA by messages\n",
				 ERR_PTR(ret));
			return vub_dma_map_windows(vv, false);
		}
		/* The server refuses: the device works, without DMA. */
		dev_warn(&vd->dev,
			 "DMA_MAP [%#llx, +%#llx) refused (%pe): DMA limited to IOVAs below %#llx\n",
			 i * wsize, wsize, ERR_PTR(ret), i * wsize);
		break;
	}
	vv->dma_windows = true;
	return 0;
}

int vub_dma_replay(struct vub_vfio *vv)
{
	bool mmap = READ_ONCE(vv->dma_windows_mmap);
	u32 i, nr = READ_ONCE(vv->dma_nr_windows);
	u64 wsize = READ_ONCE(vv->dma_wsize);
	int ret;

	if (!READ_ONCE(vv->dma_windows))
		return 0;
	/* The lost server's own mappings of the window, if it lives on. */
	if (mmap && vv->dmaw_inode)
		unmap_mapping_range(vv->dmaw_inode->i_mapping, 0, 0, 1);
	for (i = 0; i < nr; i++) {
		ret = vub_dma_map_window(vv, i * wsize, wsize, mmap);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Whether this open can do direct DMA: vfio_pin_pages() works on type1
 * v2 (and iommufd) only; v1 says -EACCES whatever the IOVA.
 */
static bool vub_dma_can_pin(struct vub_vfio *vv)
{
	struct page *page;
	int ret;

	ret = vfio_pin_pages(&vv->vdev, 0, 1, IOMMU_READ, &page);
	if (ret == 1)
		vfio_unpin_pages(&vv->vdev, 0, 1);
	return ret != -EACCES;
}

/* open_device: windows (again if the mode changed), then serve DMA. */
int vub_dma_start(struct vub_vfio *vv)
{
	struct vub_device *vd = vv->vd;
	bool mmap = vub_dma_mode_of(vd) == VUB_DMA_MMAP;
	int ret;

	if (mmap && !vub_dma_can_pin(vv)) {
		dev_info(&vd->dev,
			 "dma=mmap: this VFIO container cannot pin pages (type1 v1): DMA by messages for this open\n");
		mmap = false;
	}
	if (vv->dma_windows && vv->dma_windows_mmap != mmap) {
		ret = vub_dma_unmap_windows(vv);
		if (ret)
			return ret;
	}
	if (!vv->dma_windows) {
		ret = vub_dma_map_windows(vv, mmap);
		if (ret)
			return ret;
	}
	down_write(&vv->dma_sem);
	vv->dma_enabled = true;
	up_write(&vv->dma_sem);
	return 0;
}

/*
 * close_device: stop serving DMA, wait for a request or a pin in
 * progress, then take every page back from the server.
 */
void vub_dma_stop(struct vub_vfio *vv)
{
	down_write(&vv->dma_sem);
	vv->dma_enabled = false;
	up_write(&vv->dma_sem);
	vub_dmaw_close(vv);
}

/*
 * ops->dma_unmap.  type1 only calls it for ranges with pinned pages and
 * iommufd for ranges with accesses (including (0, ULONG_MAX) on IOAS
 * detach): only the window file pins (message DMA never does).
 */
void vub_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	vub_dmaw_revoke(to_vub_vfio(vdev), iova, length);
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
	struct vub_vfio *vv = vub_vfio_get(vd);

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
