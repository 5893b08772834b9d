// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: the server's ioeventfds (DEVICE_GET_REGION_IO_FDS).
 *
 * At bring-up (bringup.c, in the creating process, where server fds can
 * be received) the bridge asks for the io fds of every writable BAR (of
 * every writable region for a non-PCI device).  A reply that is not
 * valid in every respect (vub_check_region_io_fds(), and each fd an
 * eventfd) is dropped as a whole with a log line: that region's writes
 * go as messages, the device works.  A server that answers with an
 * error has none.  ioregionfd and shadow ioeventfd entries are skipped.
 *
 * Afterwards a consumer write of exactly an ioeventfd's size at its
 * offset, with its data match if it has one, signals the eventfd
 * instead of sending REGION_WRITE; every other write goes as before.
 * Such a write is not ordered against the messages on the socket: the
 * server sees the eventfd whenever it polls it (the queued posted
 * writes are sent first, so they are at least in the socket).  The
 * table is fixed after bring-up and freed with the device.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/eventfd.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "conn.h"
#include "ioeventfd.h"
#include "posted.h"
#include "trace.h"

static bool vub_ioeventfds_enabled = true;
module_param_named(ioeventfds, vub_ioeventfds_enabled, bool, 0644);
MODULE_PARM_DESC(ioeventfds,
		 "Ask servers for ioeventfds (DEVICE_GET_REGION_IO_FDS) at bring-up and signal them for matching writes (default Y)");

struct vub_ioeventfd {
	u32 region;
	u32 size;
	u64 offset;
	bool datamatch;
	u64 data;
	struct eventfd_ctx *ctx;
};

bool vub_ioeventfd_wanted(struct vub_device *vd, u32 index)
{
	const struct vub_region *r = &vd->regions[index];

	if (!READ_ONCE(vub_ioeventfds_enabled) || !r->size ||
	    !(r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE))
		return false;
	if (vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI)
		return index <= VFIO_USER_PCI_BAR5_REGION_INDEX;
	return true;
}

int vub_ioeventfd_add(struct vub_device *vd, u32 index,
		      const struct vub_io_fd *io, u32 count,
		      struct file *const *files, u32 nr_files)
{
	struct eventfd_ctx *ctx[VUB_MAX_IO_FDS] = {};
	struct vub_ioeventfd *tab;
	bool used[VUB_MAX_IO_FDS] = {};
	u32 i, n = 0, skipped = 0;

	if (count > VUB_MAX_IO_FDS || nr_files > VUB_MAX_IO_FDS)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		u32 fi = io[i].fd_index;

		if (io[i].type != VFIO_USER_IO_FD_TYPE_IOEVENTFD) {
			skipped++;
			continue;
		}
		if (fi >= nr_files)
			goto bad;
		if (!used[fi]) {
			ctx[fi] = eventfd_ctx_fileget(files[fi]);
			if (IS_ERR(ctx[fi])) {
				ctx[fi] = NULL;
				dev_warn(&vd->dev, "region %u: io fd %u is not an eventfd; ioeventfds of the region ignored, writes go as messages\n",
					 index, fi);
				goto bad;
			}
			used[fi] = true;
		}
		n++;
	}
	for (i = 0; i < nr_files; i++)
		if (!used[i])
			atomic64_inc(&vd->stats.unexpected_fds);
	if (skipped)
		dev_info(&vd->dev, "region %u: %u ioregionfd/shadow ioeventfd entries not supported, ignored\n",
			 index, skipped);
	if (!n)
		goto out;

	tab = krealloc_array(vd->ioeventfds, vd->nr_ioeventfds + n,
			     sizeof(*tab), GFP_KERNEL);
	if (!tab)
		goto nomem;
	vd->ioeventfds = tab;
	tab += vd->nr_ioeventfds;
	for (i = 0; i < count; i++) {
		if (io[i].type != VFIO_USER_IO_FD_TYPE_IOEVENTFD)
			continue;
		*tab = (struct vub_ioeventfd){
			.region = index,
			.size = io[i].size,
			.offset = io[i].offset,
			.datamatch = io[i].datamatch,
			.data = io[i].data,
			/* Cannot fail: checked above.  One reference each. */
			.ctx = eventfd_ctx_fileget(files[io[i].fd_index]),
		};
		tab++;
	}
	vd->nr_ioeventfds += n;
	dev_dbg(&vd->dev, "region %u: %u ioeventfds\n", index, n);
	goto out;
nomem:
	for (i = 0; i < VUB_MAX_IO_FDS; i++)
		if (ctx[i])
			eventfd_ctx_put(ctx[i]);
	return -ENOMEM;
bad:
	n = 0;
out:
	for (i = 0; i < VUB_MAX_IO_FDS; i++)
		if (ctx[i])
			eventfd_ctx_put(ctx[i]);
	return 0;
}

void vub_ioeventfd_free(struct vub_device *vd)
{
	unsigned int i;

	for (i = 0; i < vd->nr_ioeventfds; i++)
		eventfd_ctx_put(vd->ioeventfds[i].ctx);
	kfree(vd->ioeventfds);
	vd->ioeventfds = NULL;
	vd->nr_ioeventfds = 0;
}

unsigned int vub_ioeventfd_count(struct vub_device *vd)
{
	return vd->nr_ioeventfds;
}

ssize_t vub_ioeventfd_write(struct vub_device *vd, u32 index, u64 off,
			    const char __user *ubuf, size_t count)
{
	const struct vub_ioeventfd *e;
	bool any = false;
	u8 b[8] = {};
	u64 val = 0;
	unsigned int i, j;
	int ret;

	if (!vd->nr_ioeventfds || count > sizeof(val) ||
	    READ_ONCE(vd->ioeventfds_stale))
		return 0;
	for (i = 0; i < vd->nr_ioeventfds; i++) {
		e = &vd->ioeventfds[i];
		if (e->region != index || e->offset != off || e->size != count)
			continue;
		if (!any) {
			if (vub_state(vd) != VUB_STATE_READY)
				return -EIO;
			if (copy_from_user(b, ubuf, count))
				return -EFAULT;
			/* A little-endian register value, as KVM compares. */
			for (j = count; j--; )
				val = val << 8 | b[j];
			any = true;
		}
		if (e->datamatch && e->data != val)
			continue;
		/*
		 * Not while an upgrade stops the server: after it, the
		 * eventfds are the old server's (stale), the write goes as
		 * a message.
		 */
		ret = vub_conn_gate_enter(vd);
		if (ret)
			return ret;
		if (READ_ONCE(vd->ioeventfds_stale)) {
			vub_conn_gate_exit(vd);
			return 0;
		}
		/* Earlier posted writes at least reach the socket first. */
		ret = __vub_postq_flush(vd);
		if (!ret)
			vub_eventfd_signal(e->ctx);
		vub_conn_gate_exit(vd);
		if (ret)
			return ret;
		atomic64_inc(&vd->stats.ioeventfd_writes);
		trace_vub_ioeventfd(vd, index, off, val);
		return count;
	}
	return 0;
}
