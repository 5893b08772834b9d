// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: device and region info, and region I/O on the device fd.
 *
 * pread/pwrite at (index << 40 | offset) become REGION_READ /
 * REGION_WRITE requests of at most the negotiated max_data_xfer_size
 * each.  Everything the server said at bring-up was validated then;
 * the sizes are bounded again here, where they are used.
 *
 * Fast paths for writes (Documentation/region-io.rst):
 *   - a write that matches one of the server's ioeventfds (offset,
 *     size, data match) signals that eventfd instead (ioeventfd.c);
 *   - a write to a memory BAR of a PCI device is posted (REGION_WRITE
 *     with NO_REPLY) when the device's posted_writes is on and the
 *     region is not mappable: a register-sized one (up to 8 bytes) is
 *     queued and returns at once (posted.c), a larger one returns once
 *     it is in the socket (vub_post()).  Every message sent later
 *     flushes the queue first; the stream is FIFO and the server
 *     handles commands in order, so any later read or write of the
 *     consumer is handled after it; a consumer that needs completion
 *     reads back.  Not for
 *     config space, I/O BARs (bit 0 of the BAR register, read once from
 *     the server's config space), the ROM, VGA or device-specific
 *     regions, or mappable regions (a read through the mapping would
 *     not be ordered after the write).
 */
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "ioeventfd.h"
#include "posted.h"
#include "vfio_dev.h"

bool vub_default_posted_writes = true;
module_param_named(posted_writes, vub_default_posted_writes, bool, 0644);
MODULE_PARM_DESC(posted_writes,
		 "Default of each new device's posted_writes: post writes to memory BARs of devices without mappable regions (default Y)");

static bool vub_posted_queue = true;
module_param_named(posted_queue, vub_posted_queue, bool, 0644);
MODULE_PARM_DESC(posted_queue,
		 "Queue posted register writes (up to 8 bytes) and return at once; N: send each in the writer's context (default Y)");

int vub_vfio_bad_reply(struct vub_device *vd, const char *what,
		       const struct vub_err *err)
{
	dev_err_ratelimited(&vd->dev, "bad %s: %s at byte %zu\n", what,
			    err->msg ? err->msg : "?", err->offset);
	vub_set_broken(vd, -EPROTO, what);
	return -EIO;
}

static bool vub_is_pci(struct vub_device *vd)
{
	return vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI;
}

/* Regions the server described (what vd->regions holds). */
static u32 vub_server_regions(struct vub_device *vd)
{
	return vd->regions ? min_t(u32, vd->info.num_regions,
				   VUB_MAX_REGIONS) : 0;
}

/* Regions the consumer sees: a PCI device has at least the 9 PCI ones. */
u32 vub_vfio_num_regions(struct vub_device *vd)
{
	u32 n = vub_server_regions(vd);

	if (vub_is_pci(vd))
		n = max_t(u32, n, VFIO_PCI_NUM_REGIONS);
	return n;
}

/*
 * Interrupt indexes the consumer sees: a PCI device has at least the 5
 * PCI ones (ERR and REQ are provided by the bridge, see irq.c).
 */
u32 vub_vfio_num_irqs(struct vub_device *vd)
{
	u32 n = vd->irqs ? min_t(u32, vd->info.num_irqs,
				 VUB_MAX_IRQ_INDEXES) : 0;

	if (vub_is_pci(vd))
		n = max_t(u32, n, VFIO_PCI_NUM_IRQS);
	return n;
}

/*
 * The server's region @index, or NULL (absent, or beyond its list).
 * @index comes from the consumer: clamped under speculation too.
 */
const struct vub_region *vub_vfio_region(struct vub_device *vd, u32 index)
{
	u32 n = vub_server_regions(vd);
	const struct vub_region *r;

	if (index >= n)
		return NULL;
	r = &vd->regions[array_index_nospec(index, n)];
	return r->size ? r : NULL;
}

long vub_ioctl_get_info(struct vub_vfio *vv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vub_device *vd = vv->vd;
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = 0;
	if (vd->info.flags & VFIO_USER_DEVICE_FLAGS_RESET)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	if (vub_is_pci(vd))
		info.flags |= VFIO_DEVICE_FLAGS_PCI;
	info.num_regions = vub_vfio_num_regions(vd);
	info.num_irqs = vub_vfio_num_irqs(vd);

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int vub_add_sparse_cap(const struct vub_region *r,
			      struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	u32 i, nr = min_t(u32, r->nr_areas, VUB_MAX_SPARSE_AREAS);
	size_t size = struct_size(sparse, areas, nr);
	int ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = nr;
	for (i = 0; i < nr; i++) {
		sparse->areas[i].offset = r->areas[i].offset;
		sparse->areas[i].size = r->areas[i].size;
	}
	ret = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	return ret;
}

static int vub_add_type_cap(const struct vub_region *r,
			    struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type cap = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = r->type,
		.subtype = r->subtype,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

/* The server's file for region @index (a consumer index), or NULL. */
struct file *vub_vfio_region_file(struct vub_device *vd, u32 index)
{
	u32 n = vub_server_regions(vd);

	if (index >= n || !vd->region_files)
		return NULL;
	return vd->region_files[array_index_nospec(index, n)];
}

/* True if mmap of region @index can be offered (server fd present). */
static bool vub_region_mmappable(struct vub_device *vd,
				 const struct vub_region *r, u32 index)
{
	return (r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) &&
	       vub_vfio_region_file(vd, index);
}

/*
 * The info of region @info->index and its capability chain (sparse
 * mmap areas, region type).  Also ops->get_region_info_caps on kernels
 * where the VFIO core handles VFIO_DEVICE_GET_REGION_INFO itself.
 */
int vub_region_info_caps(struct vfio_device *vdev,
			 struct vfio_region_info *info,
			 struct vfio_info_cap *caps)
{
	struct vub_device *vd = to_vub_vfio(vdev)->vd;
	const struct vub_region *r;
	int ret;

	if (info->index >= vub_vfio_num_regions(vd))
		return -EINVAL;
	info->index = array_index_nospec(info->index,
					 vub_vfio_num_regions(vd));

	info->offset = VUB_INDEX_TO_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	r = vub_vfio_region(vd, info->index);
	if (!r)
		return 0;

	info->size = r->size;
	if (r->flags & VFIO_USER_REGION_INFO_FLAG_READ)
		info->flags |= VFIO_REGION_INFO_FLAG_READ;
	if (r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE)
		info->flags |= VFIO_REGION_INFO_FLAG_WRITE;
	if (vub_region_mmappable(vd, r, info->index)) {
		info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		if (r->has_sparse) {
			ret = vub_add_sparse_cap(r, caps);
			if (ret)
				return ret;
		}
	}
	if (r->has_type) {
		ret = vub_add_type_cap(r, caps);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * VFIO_DEVICE_GET_REGION_INFO where it still reaches ops->ioctl: the
 * argsz handling of the newer VFIO core (vfio_get_region_info()).  When
 * argsz is too small for the chain, CAPS is set, argsz says how much is
 * needed and cap_offset is 0.
 */
long vub_ioctl_get_region_info(struct vub_vfio *vv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = {};
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	ret = vub_region_info_caps(&vv->vdev, &info, &caps);
	if (ret)
		goto out;

	info.cap_offset = 0;
	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf,
					 caps.size)) {
				ret = -EFAULT;
				goto out;
			}
			info.cap_offset = sizeof(info);
		}
	}
	if (copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
out:
	kfree(caps.buf);
	return ret;
}

/*
 * One REGION_READ of @n bytes into @buf (room for the access header and
 * @n bytes).  Returns the bytes read (the server may return fewer) and
 * their address in *@data, or -errno.
 */
static int vub_read_chunk(struct vub_device *vd, u32 index, u64 off, u32 n,
			  void *buf, const void **data)
{
	struct vfio_user_region_access req;
	struct vub_err err = {};
	size_t rlen = 0;
	u32 got = 0;
	int ret;

	vub_build_region_access(&req, index, off, n);
	ret = vub_request(vd, VFIO_USER_REGION_READ, &req, sizeof(req),
			  NULL, 0, buf, sizeof(req) + n, &rlen);
	if (ret)
		return ret;
	if (vub_check_region_read_reply(&req, buf, rlen, &got, &err))
		return vub_vfio_bad_reply(vd, "REGION_READ reply", &err);
	if (got > n || rlen < sizeof(req) + got)	/* checked; bound again */
		return vub_vfio_bad_reply(vd, "REGION_READ count", &err);
	*data = buf + sizeof(req);
	return got;
}

/*
 * Is BAR @index a memory BAR?  Bit 0 of its config space register,
 * read from the server at the first write and remembered (the BAR type
 * is hardwired in PCI); after a failed read that write is not posted
 * and the next one asks again.
 */
static bool vub_bar_is_mem(struct vub_device *vd, u32 index)
{
	u8 buf[sizeof(struct vfio_user_region_access) + sizeof(u32)];
	const struct vub_region *cfg;
	const void *data;
	u8 kind;
	__le32 bar;

	kind = READ_ONCE(vd->bar_kind[index]);
	if (kind != VUB_BAR_UNKNOWN)
		return kind == VUB_BAR_MEM;
	cfg = vub_vfio_region(vd, VFIO_PCI_CONFIG_REGION_INDEX);
	if (!cfg || !(cfg->flags & VFIO_USER_REGION_INFO_FLAG_READ) ||
	    cfg->size < PCI_BASE_ADDRESS_5 + sizeof(u32)) {
		WRITE_ONCE(vd->bar_kind[index], VUB_BAR_OTHER);
		return false;
	}
	/* A failed read (a signal, a broken device) is not remembered. */
	if (vub_read_chunk(vd, VFIO_PCI_CONFIG_REGION_INDEX,
			   PCI_BASE_ADDRESS_0 + index * sizeof(u32),
			   sizeof(u32), buf, &data) != sizeof(u32))
		return false;
	memcpy(&bar, data, sizeof(bar));
	kind = le32_to_cpu(bar) & PCI_BASE_ADDRESS_SPACE_IO ? VUB_BAR_OTHER :
							      VUB_BAR_MEM;
	WRITE_ONCE(vd->bar_kind[index], kind);
	return kind == VUB_BAR_MEM;
}

/* May writes to region @index (@r) be posted? */
static bool vub_may_post(struct vub_device *vd, u32 index,
			 const struct vub_region *r)
{
	if (!READ_ONCE(vd->posted_writes) || !vub_is_pci(vd) ||
	    index > VFIO_PCI_BAR5_REGION_INDEX ||
	    vub_region_mmappable(vd, r, index))
		return false;
	return vub_bar_is_mem(vd, array_index_nospec(index, 6));
}

/*
 * One REGION_WRITE of @n bytes at @data; returns the bytes written.
 * Posted: returns @n once the message is sent.
 */
static int vub_write_chunk(struct vub_device *vd, u32 index, u64 off, u32 n,
			   const void *data, bool post)
{
	struct vfio_user_region_access req, rep;
	struct vub_err err = {};
	size_t rlen = 0;
	u32 done = 0;
	int ret;

	if (post && n <= VUB_POSTQ_MAX_DATA && READ_ONCE(vub_posted_queue)) {
		ret = vub_postq_write(vd, index, off, data, n);
		return ret ?: n;
	}
	vub_build_region_access(&req, index, off, n);
	if (post) {
		ret = vub_post(vd, VFIO_USER_REGION_WRITE, &req, sizeof(req),
			       data, n);
		return ret ?: n;
	}
	ret = vub_request2(vd, VFIO_USER_REGION_WRITE, &req, sizeof(req),
			   data, n, &rep, sizeof(rep), &rlen);
	if (ret)
		return ret;
	if (vub_check_region_write_reply(&req, &rep, rlen, &done, &err))
		return vub_vfio_bad_reply(vd, "REGION_WRITE reply", &err);
	return min(done, n);
}

#define VUB_RW_STACK	64	/* config space and register accesses */

static ssize_t vub_region_rw(struct vub_vfio *vv, char __user *ubuf,
			     size_t count, loff_t *ppos, bool write)
{
	struct vub_device *vd = vv->vd;
	u8 small[sizeof(struct vfio_user_region_access) + VUB_RW_STACK];
	u64 pos = *ppos, off = pos & VUB_OFFSET_MASK;
	u32 index = pos >> VUB_OFFSET_SHIFT;
	const struct vub_region *r;
	u32 max = vub_xfer_max(vd);
	size_t done = 0, bufsize;
	void *buf = small;
	ssize_t ret = 0;
	bool post = false;

	if (*ppos < 0)
		return -EINVAL;
	r = vub_vfio_region(vd, index);
	if (!r)
		return -EINVAL;
	if (!(r->flags & (write ? VFIO_USER_REGION_INFO_FLAG_WRITE :
				  VFIO_USER_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	if (off >= r->size)
		return -EINVAL;
	count = min_t(u64, count, r->size - off);
	if (!count)
		return 0;
	if (write) {
		ret = vub_ioeventfd_write(vd, index, off, ubuf, count);
		if (ret) {
			if (ret > 0)
				*ppos += ret;
			return ret;
		}
		post = vub_may_post(vd, index, r);
	}

	bufsize = sizeof(struct vfio_user_region_access) + min_t(size_t,
								 count, max);
	if (bufsize > sizeof(small)) {
		buf = kvmalloc(bufsize, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}

	while (done < count) {
		u32 n = min_t(size_t, count - done, max);
		const void *data;
		int got;

		if (write) {
			data = buf + sizeof(struct vfio_user_region_access);
			if (copy_from_user((void *)data, ubuf + done, n)) {
				ret = -EFAULT;
				break;
			}
			got = vub_write_chunk(vd, index, off + done, n, data,
					      post);
		} else {
			got = vub_read_chunk(vd, index, off + done, n, buf,
					     &data);
			if (got > 0 && copy_to_user(ubuf + done, data, got)) {
				ret = -EFAULT;
				break;
			}
		}
		if (got < 0) {
			ret = got;
			break;
		}
		done += got;
		if (got < n)	/* short transfer: report what was done */
			break;
	}

	if (buf != small)
		kvfree(buf);
	if (!done)
		return ret;
	*ppos += done;
	return done;
}

ssize_t vub_vfio_read(struct vfio_device *vdev, char __user *buf,
		      size_t count, loff_t *ppos)
{
	return vub_region_rw(to_vub_vfio(vdev), buf, count, ppos, false);
}

ssize_t vub_vfio_write(struct vfio_device *vdev, const char __user *buf,
		       size_t count, loff_t *ppos)
{
	return vub_region_rw(to_vub_vfio(vdev), (char __user *)buf, count,
			     ppos, true);
}
