// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: revocable interrupt relays (module parameter irq_relay).
 *
 * By default the consumer's eventfds go to the server as they are, as
 * QEMU's own vfio-user client does, and the server holds them for as
 * long as it likes: after a vector is re-assigned or disabled, the
 * device reset or closed, a hostile server can still signal them.
 *
 * With irq_relay=Y the server gets a relay file per vector instead: an
 * anonymous write-only file ("anon_inode:[vfio-user-irq]") whose
 * write(2) of a non-zero 8-byte value, which is what eventfd_write()
 * does, signals the consumer's eventfd.  The bridge detaches the
 * eventfd when the vector is re-assigned or de-assigned, when its
 * index is disabled (also on reset and close) and when the device
 * breaks; later writes succeed and signal nothing.  The price: the
 * server does not get an eventfd, so a server that needs one (to hand
 * it to KVM or vhost, or to read it) does not work in this mode.
 *
 * A relay is shared by its file (until the server closes it) and the
 * per-device table (until revoked); the table is an xarray keyed by
 * index and vector, changed under the xarray's lock only, so the
 * broken path can sweep it without the irq_lock.
 */
#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "vfio_dev.h"

bool vub_irq_relay;
module_param_named(irq_relay, vub_irq_relay, bool, 0644);
MODULE_PARM_DESC(irq_relay,
		 "Give the server revocable relay files instead of the consumer's eventfds (default N)");

struct vub_relay {
	struct kref ref;		/* the file's and the table's */
	spinlock_t lock;
	struct eventfd_ctx *ctx;	/* NULL once revoked */
};

static unsigned long vub_relay_key(u32 index, u32 vector)
{
	return (unsigned long)index * VUB_MAX_IRQ_COUNT + vector;
}

static void vub_relay_free(struct kref *ref)
{
	struct vub_relay *r = container_of(ref, struct vub_relay, ref);

	WARN_ON(r->ctx);
	kfree(r);
}

/* Detach the consumer's eventfd and drop the table's reference. */
static void vub_relay_revoke(struct vub_relay *r)
{
	struct eventfd_ctx *ctx;

	spin_lock(&r->lock);
	ctx = r->ctx;
	r->ctx = NULL;
	spin_unlock(&r->lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	kref_put(&r->ref, vub_relay_free);
}

static ssize_t vub_relay_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct vub_relay *r = file->private_data;
	u64 v;

	/* eventfd's rules, so that eventfd_write() works unchanged. */
	if (len < sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, sizeof(v)))
		return -EFAULT;
	if (v == ULLONG_MAX)
		return -EINVAL;
	if (v && eventfd_signal_allowed()) {
		spin_lock(&r->lock);
		if (r->ctx)
			vub_eventfd_signal(r->ctx);
		spin_unlock(&r->lock);
	}
	return sizeof(v);
}

static __poll_t vub_relay_poll(struct file *file, poll_table *wait)
{
	return EPOLLOUT | EPOLLWRNORM;
}

static int vub_relay_release(struct inode *inode, struct file *file)
{
	struct vub_relay *r = file->private_data;

	kref_put(&r->ref, vub_relay_free);
	return 0;
}

static const struct file_operations vub_relay_fops = {
	.owner		= THIS_MODULE,
	.write		= vub_relay_write,
	.poll		= vub_relay_poll,
	.release	= vub_relay_release,
	.llseek		= noop_llseek,
};

/*
 * A relay file for the eventfd file @efile, to go out with SCM_RIGHTS.
 * Returns the file (our reference) and the relay in *@rp.
 */
static struct file *vub_relay_open(struct file *efile, struct vub_relay **rp)
{
	struct eventfd_ctx *ctx;
	struct vub_relay *r;
	struct file *file;

	ctx = eventfd_ctx_fileget(efile);
	if (IS_ERR(ctx))
		return ERR_CAST(ctx);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		eventfd_ctx_put(ctx);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&r->ref);		/* the table's */
	spin_lock_init(&r->lock);
	r->ctx = ctx;

	kref_get(&r->ref);		/* the file's, dropped by release */
	file = anon_inode_getfile("[vfio-user-irq]", &vub_relay_fops, r,
				  O_WRONLY);
	if (IS_ERR(file)) {
		kref_put(&r->ref, vub_relay_free);
		vub_relay_revoke(r);
		return file;
	}
	*rp = r;
	return file;
}

/* Put @r in the table for (@index, @vector), revoking the old one. */
static void vub_relay_install(struct vub_vfio *vv, u32 index, u32 vector,
			      struct vub_relay *r)
{
	void *old = xa_store(&vv->relays, vub_relay_key(index, vector), r,
			     GFP_KERNEL);

	if (xa_is_err(old)) {
		vub_relay_revoke(r);
		return;
	}
	if (old)
		vub_relay_revoke(old);
	/* Pairs with the sweep in vub_relay_revoke_all() after breaking. */
	smp_mb();
	if (vub_state(vv->vd) == VUB_STATE_BROKEN)
		vub_relay_revoke_all(vv);
}

void vub_relay_revoke_range(struct vub_vfio *vv, u32 index, u32 start,
			    u32 count)
{
	unsigned long first = vub_relay_key(index, start);
	unsigned long last = first + count - 1;
	struct vub_relay *r;
	unsigned long key;

	if (!count)
		return;
	xa_for_each_range(&vv->relays, key, r, first, last) {
		if (xa_cmpxchg(&vv->relays, key, r, NULL, 0) == r)
			vub_relay_revoke(r);
	}
}

void vub_relay_revoke_all(struct vub_vfio *vv)
{
	vub_relay_revoke_range(vv, 0, 0,
			       VUB_MAX_IRQ_INDEXES * VUB_MAX_IRQ_COUNT);
}

/**
 * vub_relay_send() - assign vectors relay files instead of eventfds
 * @vv: the device
 * @flags: the SET_IRQS flags (DATA_EVENTFD and the action)
 * @index: the interrupt index
 * @start: first vector
 * @n: number of vectors, at most %VUB_OUR_MAX_MSG_FDS
 * @efiles: the consumer's eventfd files for them, all present
 *
 * SET_IRQS DATA_EVENTFD for [@start, @start + @n) of @index with relay
 * files for @efiles.  On success the new relays replace the old ones;
 * on failure they, and the old ones, are revoked: what the server holds
 * is unknown.
 *
 * Context: process context, the device's irq_lock held.
 * Return: 0 or -errno, as vub_request().
 */
int vub_relay_send(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		   u32 n, struct file *const *efiles)
{
	lockdep_assert_held(&vv->irq_lock);
	return __vub_relay_send(vv, flags, index, start, n, efiles);
}

/* vub_relay_send(), for a reconnect's replay (consumers wait meanwhile). */
int __vub_relay_send(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		     u32 n, struct file *const *efiles)
{
	struct vub_relay *r[VUB_OUR_MAX_MSG_FDS];
	struct file *files[VUB_OUR_MAX_MSG_FDS];
	u32 k, made = 0;
	int ret = 0;

	if (WARN_ON_ONCE(n > VUB_OUR_MAX_MSG_FDS))
		return -EINVAL;
	for (k = 0; k < n; k++) {
		files[k] = vub_relay_open(efiles[k], &r[k]);
		if (IS_ERR(files[k])) {
			ret = PTR_ERR(files[k]);
			break;
		}
		made++;
	}
	if (!ret)
		ret = vub_irq_send_files(vv, flags, index, start, n, files);
	for (k = 0; k < made; k++) {
		fput(files[k]);
		if (ret)
			vub_relay_revoke(r[k]);
		else
			vub_relay_install(vv, index, start + k, r[k]);
	}
	if (ret)
		vub_relay_revoke_range(vv, index, start, n);
	return ret;
}
