// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: interrupts.
 *
 * VFIO_DEVICE_SET_IRQS is forwarded to the server as SET_IRQS.  The
 * consumer's eventfds are passed to the server with SCM_RIGHTS, as
 * QEMU's own vfio-user client does: the server signals them directly,
 * so an interrupt costs no bridge work.  The fd numbers are turned into
 * files once, checked to be eventfds, and exactly those files are sent
 * (fdpass.c), so another thread of the consumer cannot swap them.
 * Arrays are split into runs of eventfds (chunked by the negotiated
 * max_msg_fds) and runs of -1 (de-assign, no fds).
 *
 * ERR and REQ of a PCI device are the bridge's own: it keeps the
 * consumer's eventfds to report a broken server (ERR) and to ask for
 * the device back on removal (REQ), and also hands them to the server
 * when it advertises these indexes.
 *
 * Every index that was given to the server is disabled again (SET_IRQS
 * DATA_NONE|TRIGGER, count 0) on close and before a reset, so that a
 * new open starts without stale eventfds in the server.
 *
 * With the irq_relay module parameter the server gets revocable relay
 * files instead of the eventfds themselves (irq_relay.c); every change
 * of a vector's assignment revokes the relay it had.
 */
#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "vfio_dev.h"

/* The wire flags are VFIO's. */
static_assert(VFIO_USER_IRQ_SET_DATA_NONE == VFIO_IRQ_SET_DATA_NONE);
static_assert(VFIO_USER_IRQ_SET_DATA_BOOL == VFIO_IRQ_SET_DATA_BOOL);
static_assert(VFIO_USER_IRQ_SET_DATA_EVENTFD == VFIO_IRQ_SET_DATA_EVENTFD);
static_assert(VFIO_USER_IRQ_SET_ACTION_MASK == VFIO_IRQ_SET_ACTION_MASK);
static_assert(VFIO_USER_IRQ_SET_ACTION_UNMASK == VFIO_IRQ_SET_ACTION_UNMASK);
static_assert(VFIO_USER_IRQ_SET_ACTION_TRIGGER ==
	      VFIO_IRQ_SET_ACTION_TRIGGER);

#define VUB_IRQ_INFO_FLAGS	(VFIO_IRQ_INFO_EVENTFD | \
				 VFIO_IRQ_INFO_MASKABLE | \
				 VFIO_IRQ_INFO_AUTOMASKED | \
				 VFIO_IRQ_INFO_NORESIZE)

static bool vub_irq_bridge_owned(struct vub_device *vd, u32 index)
{
	return (vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI) &&
	       (index == VFIO_PCI_ERR_IRQ_INDEX ||
		index == VFIO_PCI_REQ_IRQ_INDEX);
}

/* Vectors the server has at @index (0 when it has no such index). */
static u32 vub_irq_server_count(struct vub_device *vd, u32 index)
{
	u32 n = vd->irqs ? min_t(u32, vd->info.num_irqs,
				 VUB_MAX_IRQ_INDEXES) : 0;

	if (index >= n)
		return 0;
	return min_t(u32, vd->irqs[index].count, VUB_MAX_IRQ_COUNT);
}

static void vub_irq_describe(struct vub_device *vd, u32 index, u32 *flags,
			     u32 *count)
{
	if (vub_irq_bridge_owned(vd, index)) {
		*flags = VFIO_IRQ_INFO_EVENTFD;
		*count = 1;
		return;
	}
	*count = vub_irq_server_count(vd, index);
	*flags = *count ? vd->irqs[index].flags & VUB_IRQ_INFO_FLAGS : 0;
}

long vub_ioctl_get_irq_info(struct vub_vfio *vv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vub_device *vd = vv->vd;
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= vub_vfio_num_irqs(vd))
		return -EINVAL;
	info.index = array_index_nospec(info.index, vub_vfio_num_irqs(vd));
	vub_irq_describe(vd, info.index, &info.flags, &info.count);
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* One SET_IRQS message; with @files (eventfds or relays) or @bools. */
static int vub_send_set_irqs(struct vub_device *vd, u32 flags, u32 index,
			     u32 start, u32 count, struct file *const *files,
			     unsigned int nr_files, const u8 *bools)
{
	struct vfio_user_irq_set req;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[16];
	int ret;

	vub_build_set_irqs(&req, flags, index, start, count,
			   bools ? count : 0);
	if (bools)
		ret = vub_request2(vd, VFIO_USER_DEVICE_SET_IRQS, &req,
				   sizeof(req), bools, count, rep, sizeof(rep),
				   &rlen);
	else
		ret = vub_request(vd, VFIO_USER_DEVICE_SET_IRQS, &req,
				  sizeof(req), files, nr_files, rep, sizeof(rep),
				  &rlen);
	if (ret)
		return ret;
	if (vub_check_empty_reply(rep, rlen, &err))
		return vub_vfio_bad_reply(vd, "SET_IRQS reply", &err);
	return 0;
}

int vub_irq_send_files(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		       u32 count, struct file *const *files)
{
	return vub_send_set_irqs(vv->vd, flags, index, start, count, files,
				 count, NULL);
}

static unsigned long vub_irq_key(u32 index, u32 vector)
{
	return (unsigned long)index * VUB_MAX_IRQ_COUNT + vector;
}

/* Forget the eventfds of [start, start + count) of @index. */
static void vub_irq_files_clear(struct vub_vfio *vv, u32 index, u32 start,
				u32 count)
{
	unsigned long first = vub_irq_key(index, start), key;
	struct file *f;

	if (!count)
		return;
	xa_for_each_range(&vv->irq_files, key, f, first, first + count - 1)
		if (xa_cmpxchg(&vv->irq_files, key, f, NULL, 0) == f)
			fput(f);
}

/* Remember the trigger eventfds the server now holds. */
static void vub_irq_files_set(struct vub_vfio *vv, u32 index, u32 start,
			      u32 count, struct file *const *files)
{
	u32 i;

	for (i = 0; i < count; i++) {
		void *old = xa_store(&vv->irq_files, vub_irq_key(index, start + i),
				     get_file(files[i]), GFP_KERNEL);

		if (xa_is_err(old)) {
			/* Not replayed after a reconnect: logged. */
			fput(files[i]);
			dev_warn(&vv->vd->dev, "irq %u/%u: no memory to keep its eventfd for a reconnect\n",
				 index, start + i);
			continue;
		}
		if (old)
			fput(old);
	}
}

void vub_irq_files_free(struct vub_vfio *vv)
{
	vub_irq_files_clear(vv, 0, 0, VUB_MAX_IRQ_INDEXES * VUB_MAX_IRQ_COUNT);
	xa_destroy(&vv->irq_files);
}

int vub_irq_replay(struct vub_vfio *vv)
{
	u32 flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	unsigned long key = 0;
	struct file *f;
	int ret = 0;

	for (;;) {
		u32 index, vector;

		xa_lock(&vv->irq_files);
		f = xa_find(&vv->irq_files, &key, ULONG_MAX, XA_PRESENT);
		if (f)
			get_file(f);
		xa_unlock(&vv->irq_files);
		if (!f)
			break;
		index = key / VUB_MAX_IRQ_COUNT;
		vector = key % VUB_MAX_IRQ_COUNT;
		if (READ_ONCE(vub_irq_relay))
			ret = __vub_relay_send(vv, flags, index, vector, 1, &f);
		else
			ret = vub_irq_send_files(vv, flags, index, vector, 1, &f);
		fput(f);
		if (ret)
			break;
		key++;
	}
	return ret;
}

/*
 * Disable @index in the server (drops all its eventfds) and revoke its
 * relays, whatever the server answers.
 */
static int vub_irq_disable(struct vub_vfio *vv, u32 index)
{
	int ret;

	ret = vub_send_set_irqs(vv->vd, VFIO_IRQ_SET_DATA_NONE |
				VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0,
				NULL, 0, NULL);
	clear_bit(index, &vv->irq_assigned);
	vub_relay_revoke_range(vv, index, 0, VUB_MAX_IRQ_COUNT);
	vub_irq_files_clear(vv, index, 0, VUB_MAX_IRQ_COUNT);
	return ret;
}

static void vub_irq_put_files(struct file **files, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		if (files[i])
			fput(files[i]);
	kfree(files);
}

/*
 * The files of the fd numbers @fds: NULL for a negative number
 * (de-assign), else the eventfd's file, referenced.  The numbers are
 * looked up once, here; everything after works on these files.
 */
static struct file **vub_irq_get_files(const s32 *fds, u32 count)
{
	struct file **files;
	u32 i;

	files = kcalloc(count, sizeof(*files), GFP_KERNEL);
	if (!files)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < count; i++) {
		struct eventfd_ctx *ctx;

		if (fds[i] < 0)
			continue;
		files[i] = fget(fds[i]);
		if (!files[i]) {
			vub_irq_put_files(files, count);
			return ERR_PTR(-EBADF);
		}
		ctx = eventfd_ctx_fileget(files[i]);
		if (IS_ERR(ctx)) {
			vub_irq_put_files(files, count);
			return ERR_CAST(ctx);
		}
		eventfd_ctx_put(ctx);
	}
	return files;
}

/*
 * DATA_EVENTFD for [start, start + count): runs of eventfds go with
 * their files, at most max_msg_fds per message; runs of NULL entries
 * go as DATA_EVENTFD without fds, which de-assigns them.
 */
static int vub_forward_eventfds(struct vub_vfio *vv, u32 flags, u32 index,
				u32 start, u32 count, struct file *const *files)
{
	struct vub_device *vd = vv->vd;
	/* Negotiated (<= ours <= SCM_MAX_FD); bounded again at use. */
	u32 max_fds = clamp_t(u32, vd->caps.max_msg_fds, 1,
			      min(VUB_OUR_MAX_MSG_FDS,
				  VFIO_USER_MAX_MAX_MSG_FDS));
	bool trigger = (flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) ==
		       VFIO_IRQ_SET_ACTION_TRIGGER;
	u32 i = 0, j, k, n;
	int ret;

	lockdep_assert_held(&vv->irq_lock);
	while (i < count) {
		bool valid = files[i];

		for (j = i; j < count && !!files[j] == valid; j++)
			;
		if (!valid) {
			ret = vub_send_set_irqs(vd, flags, index, start + i,
						j - i, NULL, 0, NULL);
			vub_relay_revoke_range(vv, index, start + i, j - i);
			if (trigger)
				vub_irq_files_clear(vv, index, start + i, j - i);
			if (ret)
				return ret;
		}
		for (k = i; valid && k < j; k += n) {
			n = min(j - k, max_fds);
			if (READ_ONCE(vub_irq_relay)) {
				ret = vub_relay_send(vv, flags, index,
						     start + k, n, files + k);
			} else {
				ret = vub_irq_send_files(vv, flags, index,
							 start + k, n,
							 files + k);
				vub_relay_revoke_range(vv, index, start + k, n);
			}
			if (ret) {
				if (trigger)
					vub_irq_files_clear(vv, index, start + k, n);
				return ret;
			}
			if (trigger)
				vub_irq_files_set(vv, index, start + k, n, files + k);
			set_bit(index, &vv->irq_assigned);
		}
		i = j;
	}
	return 0;
}

/* @files: for DATA_EVENTFD, the checked eventfds (vub_irq_get_files()). */
static int vub_forward_set_irqs(struct vub_vfio *vv,
				const struct vfio_irq_set *hdr,
				const void *data, struct file *const *files)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	if (!hdr->count) {
		/* DATA_NONE|TRIGGER, count 0: disable the index. */
		if (type == VFIO_IRQ_SET_DATA_NONE &&
		    action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return vub_irq_disable(vv, hdr->index);
		if (type != VFIO_IRQ_SET_DATA_NONE)
			return 0;	/* nothing to do */
	}
	if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		return vub_forward_eventfds(vv, hdr->flags, hdr->index,
					    hdr->start, hdr->count, files);
	return vub_send_set_irqs(vv->vd, hdr->flags, hdr->index, hdr->start,
				 hdr->count, NULL, 0,
				 type == VFIO_IRQ_SET_DATA_BOOL ? data : NULL);
}

static struct eventfd_ctx **vub_trigger_slot(struct vub_vfio *vv, u32 index)
{
	return index == VFIO_PCI_ERR_IRQ_INDEX ? &vv->err_trigger :
						 &vv->req_trigger;
}

static void vub_trigger_replace(struct vub_vfio *vv, u32 index,
				struct eventfd_ctx *ctx)
{
	struct eventfd_ctx **slot = vub_trigger_slot(vv, index);
	struct eventfd_ctx *old;

	spin_lock(&vv->trig_lock);
	old = *slot;
	*slot = ctx;
	spin_unlock(&vv->trig_lock);
	if (old)
		eventfd_ctx_put(old);
}

static void vub_trigger_signal(struct vub_vfio *vv, u32 index)
{
	struct eventfd_ctx *ctx;

	spin_lock(&vv->trig_lock);
	ctx = *vub_trigger_slot(vv, index);
	if (ctx)
		vub_eventfd_signal(ctx);
	spin_unlock(&vv->trig_lock);
}

void vub_irq_signal_err(struct vub_vfio *vv)
{
	vub_trigger_signal(vv, VFIO_PCI_ERR_IRQ_INDEX);
}

void vub_irq_signal_req(struct vub_vfio *vv)
{
	vub_trigger_signal(vv, VFIO_PCI_REQ_IRQ_INDEX);
}

/* ERR / REQ (PCI): one vector, TRIGGER only, as vfio-pci. */
static int vub_set_bridge_irq(struct vub_vfio *vv,
			      const struct vfio_irq_set *hdr, const void *data,
			      struct file *const *files)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool server = vub_irq_server_count(vv->vd, hdr->index) > 0;
	struct eventfd_ctx *ctx = NULL;
	int ret;

	lockdep_assert_held(&vv->irq_lock);
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;

	if (!hdr->count) {
		if (type != VFIO_IRQ_SET_DATA_NONE)
			return 0;
		vub_trigger_replace(vv, hdr->index, NULL);
		/*
		 * The trigger is the bridge's and it is gone: that is what
		 * the consumer asked for, even if a broken or removed
		 * server cannot be told any more.
		 */
		if (server && test_bit(hdr->index, &vv->irq_assigned) &&
		    vub_irq_disable(vv, hdr->index))
			dev_dbg(&vv->vd->dev, "irq index %u: server not told of the disable\n",
				hdr->index);
		return 0;
	}

	switch (type) {
	case VFIO_IRQ_SET_DATA_NONE:
		vub_trigger_signal(vv, hdr->index);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (*(const u8 *)data)
			vub_trigger_signal(vv, hdr->index);
		return 0;
	}

	if (files[0]) {
		ctx = eventfd_ctx_fileget(files[0]);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	/*
	 * The trigger is the bridge's own and takes effect whatever the
	 * server answers: handing it to a server that has these indexes
	 * too is a courtesy, and a broken or removed server must not
	 * stop a consumer from setting up or tearing down its REQ and ERR
	 * eventfds (which is when it needs them most).
	 */
	if (server) {
		ret = vub_forward_eventfds(vv, hdr->flags, hdr->index, 0, 1,
					   files);
		if (ret)
			dev_dbg(&vv->vd->dev, "irq index %u: not forwarded to the server: %pe\n",
				hdr->index, ERR_PTR(ret));
	}
	vub_trigger_replace(vv, hdr->index, ctx);
	return 0;
}

long vub_ioctl_set_irqs(struct vub_vfio *vv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vub_device *vd = vv->vd;
	struct vfio_irq_set hdr;
	struct file **files = NULL;
	size_t data_size = 0;
	u32 flags, max;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.index >= vub_vfio_num_irqs(vd))
		return -EINVAL;
	hdr.index = array_index_nospec(hdr.index, vub_vfio_num_irqs(vd));
	vub_irq_describe(vd, hdr.index, &flags, &max);
	ret = vfio_set_irqs_validate_and_prepare(&hdr, max,
						 vub_vfio_num_irqs(vd),
						 &data_size);
	if (ret)
		return ret;
	if (hweight32(hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != 1)
		return -EINVAL;

	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	if (hdr.count &&
	    (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) == VFIO_IRQ_SET_DATA_EVENTFD) {
		files = vub_irq_get_files(data, hdr.count);
		if (IS_ERR(files)) {
			kfree(data);
			return PTR_ERR(files);
		}
	}

	/*
	 * Killable: a reset holds the lock for as long as the server
	 * takes to answer (reset_timeout_ms).
	 */
	ret = mutex_lock_killable(&vv->irq_lock);
	if (ret)
		goto out;
	if (vub_irq_bridge_owned(vd, hdr.index))
		ret = vub_set_bridge_irq(vv, &hdr, data, files);
	else
		ret = vub_forward_set_irqs(vv, &hdr, data, files);
	mutex_unlock(&vv->irq_lock);
out:
	if (files)
		vub_irq_put_files(files, hdr.count);
	kfree(data);
	return ret;
}

/*
 * Disable every index the server holds eventfds for (errors ignored:
 * a broken server has nothing left to disable).  With @bridge_owned
 * also ERR and REQ, and drop the bridge's own triggers.  irq_lock held.
 */
void vub_irq_disable_all(struct vub_vfio *vv, bool bridge_owned)
{
	struct vub_device *vd = vv->vd;
	unsigned long index;
	int ret;

	lockdep_assert_held(&vv->irq_lock);
	for_each_set_bit(index, &vv->irq_assigned, BITS_PER_LONG) {
		if (!bridge_owned && vub_irq_bridge_owned(vd, index))
			continue;
		ret = vub_irq_disable(vv, index);
		if (ret)
			dev_dbg(&vd->dev, "disabling irq index %lu: %d\n",
				index, ret);
	}
	if (bridge_owned && (vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI)) {
		vub_trigger_replace(vv, VFIO_PCI_ERR_IRQ_INDEX, NULL);
		vub_trigger_replace(vv, VFIO_PCI_REQ_IRQ_INDEX, NULL);
	}
}
