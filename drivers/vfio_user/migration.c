// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: live migration, bridging the kernel's VFIO migration v2
 * uAPI (VFIO_DEVICE_FEATURE_MIGRATION, MIG_DEVICE_STATE and its data
 * fds) to the vfio-user migration protocol (DEVICE_FEATURE MIGRATION
 * and MIG_DEVICE_STATE, MIG_DATA_READ, MIG_DATA_WRITE).
 *
 * - At registration the server is asked for its migration flags; only
 *   a server with STOP_COPY gets mig_ops, with STOP_COPY alone (no P2P:
 *   the protocol has no RUNNING_P2P the server implements; no PRE_COPY:
 *   nothing in the protocol tells how much pre-copy data is pending).
 *   No log_ops: dirty tracking is type1's, which marks the pages
 *   vfio_dma_rw() writes for the server.
 * - migration_set_state walks the arcs with vfio_mig_get_next_state(),
 *   one MIG_DEVICE_STATE SET per arc, under the state lock.  After a
 *   failed arc the state is read back from the server (GET).
 * - STOP -> STOP_COPY returns a read-only stream file: each read() is
 *   one MIG_DATA_READ of at most the negotiated max_data_xfer_size, a
 *   reply of 0 bytes is the end of the stream.  STOP -> RESUMING returns
 *   a write-only file: each write() is one MIG_DATA_WRITE.  Leaving the
 *   state, a reset and the device's close disable the file (-ENODEV);
 *   it holds a reference on the vfio_device until it is released.
 * - While the device is not RUNNING no server DMA is served (the DMA
 *   gate answers ENODEV): nothing lands in guest memory after the
 *   consumer's last dirty-bitmap sync.
 * - libvfio-user refuses SET_IRQS, DMA_MAP and DEVICE_RESET while STOP
 *   or STOP_COPY: close and reset return the server to RUNNING first.
 *
 * Every answer is checked: state values, reply sizes, stream lengths; a
 * violation breaks the device.  Timeouts are per message.
 */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "vfio_dev.h"

#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
/* The uAPI of 6.2 and later; 6.1's core leaves it to device_feature. */
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif

struct vub_mig_file {
	struct vub_vfio *vv;
	struct mutex lock;		/* one transfer at a time */
	bool disabled;			/* -ENODEV from now on */
	bool eof;			/* the server ended the stream */
	unsigned long bytes;		/* read so far */
	u32 xfer;			/* bytes per message */
	/* A MIG_DATA_READ reply or MIG_DATA_WRITE data, xfer data bytes. */
	struct vfio_user_mig_data *msg;
};

struct vub_mig {
	struct mutex lock;		/* state lock */
	/* Written under the lock; sysfs "migration" reads it locklessly. */
	enum vfio_device_mig_state state;
	struct vub_mig_file *file;	/* the live stream file, or NULL */
	/* The last complete save stream's length (MIG_DATA_SIZE), or 0. */
	unsigned long stream_len;
};

/*
 * A DEVICE_FEATURE MIGRATION or MIG_DEVICE_STATE request with @flags
 * (and @state for a SET).  Returns the reply's length, or -errno; -EIO
 * for a broken device.
 */
static int vub_mig_feature(struct vub_device *vd, u32 flags, u32 state,
			   struct vub_mig_feature *rep)
{
	struct vub_mig_feature req;
	size_t rlen = 0;
	int ret;

	vub_build_mig_feature(&req, flags, state);
	ret = vub_request(vd, VFIO_USER_DEVICE_FEATURE, &req, sizeof(req),
			  NULL, 0, rep, sizeof(*rep), &rlen);
	if (ret == -EPROTO)	/* the device is broken: as bad replies */
		ret = -EIO;
	return ret ? ret : rlen;
}

/* The server's state (GET); -EIO and a broken device for a bad one. */
static int vub_mig_get_server_state(struct vub_device *vd, u32 *state)
{
	struct vub_mig_feature rep;
	struct vub_err err = {};
	int ret;

	ret = vub_mig_feature(vd, VFIO_USER_DEVICE_FEATURE_GET |
			      VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, 0,
			      &rep);
	if (ret < 0)
		return ret;
	if (vub_check_mig_state_get_reply(&rep, ret, state, &err))
		return vub_vfio_bad_reply(vd, "MIG_DEVICE_STATE GET reply",
					  &err);
	return 0;
}

/* One arc on the server: MIG_DEVICE_STATE SET. */
int vub_mig_server_arc(struct vub_device *vd, u32 state)
{
	struct vub_mig_feature rep;
	struct vub_err err = {};
	int ret;

	ret = vub_mig_feature(vd, VFIO_USER_DEVICE_FEATURE_SET |
			      VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, state,
			      &rep);
	if (ret < 0)
		return ret;
	if (vub_check_mig_state_set_reply(state, &rep, ret, &err))
		return vub_vfio_bad_reply(vd, "MIG_DEVICE_STATE SET reply",
					  &err);
	return 0;
}

/*
 * Serve server DMA only while RUNNING, by message or through the window
 * file (zapped while stopped); waits for a request in progress.
 */
void vub_mig_set_frozen(struct vub_vfio *vv, bool frozen)
{
	down_write(&vv->dma_sem);
	vub_dmaw_freeze(vv, frozen);
	up_write(&vv->dma_sem);
}

/* ---- stream files ---------------------------------------------------- */

static void vub_mig_file_disable(struct vub_mig *mig)
{
	struct vub_mig_file *mf = mig->file;

	lockdep_assert_held(&mig->lock);
	if (!mf)
		return;
	/* Waits for a transfer in progress (bounded by the timeout). */
	mutex_lock(&mf->lock);
	mf->disabled = true;
	mutex_unlock(&mf->lock);
	mig->file = NULL;
}

static int vub_mig_file_release(struct inode *inode, struct file *filp)
{
	struct vub_mig_file *mf = filp->private_data;
	struct vub_vfio *vv = mf->vv;

	mutex_lock(&vv->mig->lock);
	if (vv->mig->file == mf)
		vv->mig->file = NULL;
	mutex_unlock(&vv->mig->lock);
	mutex_destroy(&mf->lock);
	kvfree(mf->msg);
	kfree(mf);
	vfio_put_device(&vv->vdev);
	return 0;
}

int vub_mig_data_read(struct vub_device *vd, struct vfio_user_mig_data *rep,
		      u32 want, u32 *got)
{
	struct vfio_user_mig_data req;
	struct vub_err err = {};
	size_t rlen = 0;
	int ret;

	vub_build_mig_data(&req, want);
	ret = vub_request(vd, VFIO_USER_MIG_DATA_READ, &req, sizeof(req),
			  NULL, 0, rep, sizeof(*rep) + want, &rlen);
	if (ret == -EPROTO)	/* e.g. more data than asked: broken */
		ret = -EIO;
	if (ret)
		return ret;
	if (vub_check_mig_data_read_reply(want, rep, rlen, got, &err))
		return vub_vfio_bad_reply(vd, "MIG_DATA_READ reply", &err);
	return 0;
}

static ssize_t vub_mig_save_read(struct file *filp, char __user *ubuf,
				 size_t count, loff_t *pos)
{
	struct vub_mig_file *mf = filp->private_data;
	struct vub_device *vd = mf->vv->vd;
	struct vfio_user_mig_data *rep = mf->msg;
	ssize_t ret;
	u32 want, got;

	if (pos)
		return -ESPIPE;
	if (!count)
		return 0;
	if (mutex_lock_killable(&mf->lock))
		return -EINTR;
	if (mf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	if (mf->eof) {
		ret = 0;
		goto out;
	}
	want = min_t(size_t, count, mf->xfer);
	ret = vub_mig_data_read(vd, rep, want, &got);
	if (ret)
		goto out;
	if (!got) {
		mf->eof = true;
		WRITE_ONCE(mf->vv->mig->stream_len, mf->bytes);
		ret = 0;
		goto out;
	}
	ret = got;
	if (copy_to_user(ubuf, rep->data, got))
		ret = -EFAULT;
	else
		mf->bytes += got;
out:
	mutex_unlock(&mf->lock);
	return ret;
}

static ssize_t vub_mig_resume_write(struct file *filp, const char __user *ubuf,
				    size_t count, loff_t *pos)
{
	struct vub_mig_file *mf = filp->private_data;
	struct vub_device *vd = mf->vv->vd;
	struct vfio_user_mig_data req;
	struct vub_err err = {};
	size_t rlen = 0;
	ssize_t ret;
	u8 rep[16];
	u32 n;

	if (pos)
		return -ESPIPE;
	if (!count)
		return 0;
	if (mutex_lock_killable(&mf->lock))
		return -EINTR;
	if (mf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	n = min_t(size_t, count, mf->xfer);
	if (copy_from_user(mf->msg->data, ubuf, n)) {
		ret = -EFAULT;
		goto out;
	}
	vub_build_mig_data(&req, n);
	ret = vub_request2(vd, VFIO_USER_MIG_DATA_WRITE, &req, sizeof(req),
			   mf->msg->data, n, rep, sizeof(rep), &rlen);
	if (ret == -EPROTO)
		ret = -EIO;
	if (ret)
		goto out;
	if (vub_check_mig_data_write_reply(rep, rlen, &err)) {
		ret = vub_vfio_bad_reply(vd, "MIG_DATA_WRITE reply", &err);
		goto out;
	}
	ret = n;
out:
	mutex_unlock(&mf->lock);
	return ret;
}

static const struct file_operations vub_mig_save_fops = {
	.owner		= THIS_MODULE,
	.read		= vub_mig_save_read,
	.release	= vub_mig_file_release,
};

static const struct file_operations vub_mig_resume_fops = {
	.owner		= THIS_MODULE,
	.write		= vub_mig_resume_write,
	.release	= vub_mig_file_release,
};

static struct file *vub_mig_file_new(struct vub_vfio *vv, bool save)
{
	struct vub_mig_file *mf;
	struct file *filp;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return ERR_PTR(-ENOMEM);
	mf->vv = vv;
	mf->xfer = vub_xfer_max(vv->vd);
	mf->msg = kvmalloc(struct_size(mf->msg, data, mf->xfer), GFP_KERNEL);
	if (!mf->msg) {
		kfree(mf);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&mf->lock);
	filp = anon_inode_getfile(save ? "[vfio-user-mig-save]" :
				  "[vfio-user-mig-resume]",
				  save ? &vub_mig_save_fops :
				  &vub_mig_resume_fops, mf,
				  save ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		mutex_destroy(&mf->lock);
		kvfree(mf->msg);
		kfree(mf);
		return filp;
	}
	stream_open(file_inode(filp), filp);
	/* Released by vub_mig_file_release(). */
	get_device(&vv->vdev.device);
	return filp;
}

/* ---- state machine --------------------------------------------------- */

/* After a failed arc: believe the server; ERROR if it cannot say. */
static void vub_mig_resync(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;
	u32 state = VFIO_DEVICE_STATE_ERROR;

	if (vub_mig_get_server_state(vv->vd, &state))
		state = VFIO_DEVICE_STATE_ERROR;
	if (state != mig->state)
		dev_warn(&vv->vd->dev,
			 "migration: the server is in state %u after a failed transition\n",
			 state);
	WRITE_ONCE(mig->state, state);
	if (state != VFIO_DEVICE_STATE_STOP_COPY &&
	    state != VFIO_DEVICE_STATE_RESUMING)
		vub_mig_file_disable(mig);
	vub_mig_set_frozen(vv, state != VFIO_DEVICE_STATE_RUNNING);
}

/* One arc; returns the new stream file, NULL, or an ERR_PTR. */
static struct file *vub_mig_arc(struct vub_vfio *vv, u32 next)
{
	struct vub_mig *mig = vv->mig;
	struct file *filp = NULL;
	int ret;

	if (next == VFIO_DEVICE_STATE_STOP_COPY ||
	    next == VFIO_DEVICE_STATE_RESUMING) {
		filp = vub_mig_file_new(vv,
					next == VFIO_DEVICE_STATE_STOP_COPY);
		if (IS_ERR(filp))
			return filp;
	}
	/* No transfer may be in flight when the stream ends. */
	vub_mig_file_disable(mig);
	/* A resumed device may DMA as soon as the server says RUNNING. */
	if (next == VFIO_DEVICE_STATE_RUNNING)
		vub_mig_set_frozen(vv, false);

	ret = vub_mig_server_arc(vv->vd, next);
	if (ret) {
		if (filp)
			fput(filp);
		return ERR_PTR(ret);
	}
	/*
	 * DMA the server requested before answering was served in order
	 * by the receiver; from here on none is.
	 */
	if (mig->state == VFIO_DEVICE_STATE_RUNNING)
		vub_mig_set_frozen(vv, true);
	WRITE_ONCE(mig->state, next);
	if (filp)
		mig->file = filp->private_data;
	return filp;
}

static struct file *vub_mig_set_state(struct vfio_device *vdev,
				      enum vfio_device_mig_state new_state)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);
	struct vub_mig *mig = vv->mig;
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	if (mutex_lock_killable(&mig->lock))
		return ERR_PTR(-EINTR);
	while (new_state != mig->state) {
		/* Only a reset leaves ERROR (and the core's table WARNs). */
		if (mig->state == VFIO_DEVICE_STATE_ERROR) {
			res = ERR_PTR(-EINVAL);
			break;
		}
		ret = vfio_mig_get_next_state(vdev, mig->state, new_state,
					      &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vub_mig_arc(vv, next);
		if (IS_ERR(res)) {
			vub_mig_resync(vv);
			break;
		}
		/* A file is only returned by the last arc of a walk. */
		if (res && next != new_state) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&mig->lock);
	return res;
}

static int vub_mig_get_state(struct vfio_device *vdev,
			     enum vfio_device_mig_state *state)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);

	mutex_lock(&vv->mig->lock);
	*state = vv->mig->state;
	mutex_unlock(&vv->mig->lock);
	return 0;
}

/*
 * The protocol has no way to ask how long the stream will be: answer
 * with the length of the last complete, non-empty save stream of this
 * device, before the first one with one message's worth
 * (max_data_xfer_size).  Never 0: QEMU sizes its read buffer by this
 * and fails on an empty one; failing the ioctl makes it assume 100 MB,
 * which keeps a slow migration from ever converging.
 */
static int vub_mig_get_data_size(struct vfio_device *vdev,
				 unsigned long *stop_copy_length)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);

	*stop_copy_length =
		vub_mig_stop_copy_length(READ_ONCE(vv->mig->stream_len),
					 vub_xfer_max(vv->vd));
	return 0;
}

static const struct vfio_migration_ops vub_mig_ops = {
	.migration_set_state	= vub_mig_set_state,
	.migration_get_state	= vub_mig_get_state,
#ifdef VUB_HAVE_VFIO_MIG_GET_DATA_SIZE
	.migration_get_data_size = vub_mig_get_data_size,
#endif
};

int vub_mig_device_feature(struct vfio_device *vdev, u32 flags,
			   void __user *arg, size_t argsz)
{
	struct vub_vfio *vv = to_vub_vfio(vdev);
	struct vfio_device_feature_mig_data_size data = {};
	unsigned long len;
	int ret;

	/* Reached on kernels whose core does not know MIG_DATA_SIZE. */
	if (!vv->mig || (flags & VFIO_DEVICE_FEATURE_MASK) !=
			VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)
		return -ENOTTY;
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(struct vfio_device_feature_mig_data_size));
	if (ret != 1)
		return ret;
	ret = vub_mig_get_data_size(vdev, &len);
	if (ret)
		return ret;
	data.stop_copy_length = len;
	if (copy_to_user(arg, &data, sizeof(data)))
		return -EFAULT;
	return 0;
}

/*
 * Bring the server back to RUNNING (close and reset: libvfio-user
 * refuses SET_IRQS, DMA_MAP and DEVICE_RESET while stopped).  ERROR is
 * left to the caller.
 */
static void vub_mig_to_running(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;
	enum vfio_device_mig_state next;

	lockdep_assert_held(&mig->lock);
	vub_mig_file_disable(mig);
	while (mig->state != VFIO_DEVICE_STATE_RUNNING &&
	       mig->state != VFIO_DEVICE_STATE_ERROR &&
	       vub_state(vv->vd) == VUB_STATE_READY) {
		if (vfio_mig_get_next_state(&vv->vdev, mig->state,
					    VFIO_DEVICE_STATE_RUNNING, &next))
			break;
		if (IS_ERR(vub_mig_arc(vv, next))) {
			vub_mig_resync(vv);
			break;
		}
	}
}

/*
 * Open and close: a server left in ERROR (a refused stream) gets
 * DEVICE_RESET, the only way out, so that the next consumer finds it
 * RUNNING.
 */
static void vub_mig_leave_error(struct vub_vfio *vv)
{
	struct vub_device *vd = vv->vd;
	struct vub_err err = {};
	size_t rlen = 0;
	u8 rep[16];
	u32 state;
	int ret;

	if (vv->mig->state != VFIO_DEVICE_STATE_ERROR ||
	    !(vd->info.flags & VFIO_USER_DEVICE_FLAGS_RESET) ||
	    vub_state(vd) != VUB_STATE_READY)
		return;
	ret = vub_request(vd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0,
			  rep, sizeof(rep), &rlen);
	if (!ret && vub_check_empty_reply(rep, rlen, &err))
		ret = vub_vfio_bad_reply(vd, "DEVICE_RESET reply", &err);
	if (!ret && !vub_mig_get_server_state(vd, &state))
		WRITE_ONCE(vv->mig->state, state);
}

void vub_mig_open(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;
	u32 state;

	if (!mig)
		return;
	mutex_lock(&mig->lock);
	/* The server may have been left stopped by an earlier consumer. */
	if (!vub_mig_get_server_state(vv->vd, &state))
		WRITE_ONCE(mig->state, state);
	vub_mig_to_running(vv);
	vub_mig_leave_error(vv);
	vub_mig_set_frozen(vv, mig->state != VFIO_DEVICE_STATE_RUNNING);
	mutex_unlock(&mig->lock);
}

void vub_mig_close(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;

	if (!mig)
		return;
	mutex_lock(&mig->lock);
	vub_mig_to_running(vv);
	vub_mig_leave_error(vv);
	mutex_unlock(&mig->lock);
}

void vub_mig_reset_prepare(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;

	if (!mig)
		return;
	mutex_lock(&mig->lock);
	vub_mig_to_running(vv);
}

void vub_mig_reset_done(struct vub_vfio *vv, int ret)
{
	struct vub_mig *mig = vv->mig;
	u32 state;

	if (!mig)
		return;
	/*
	 * The uAPI: a reset returns the device to RUNNING.  A server
	 * leaves ERROR on DEVICE_RESET; ask it where it is.
	 */
	if (!ret && !vub_mig_get_server_state(vv->vd, &state))
		WRITE_ONCE(mig->state, state);
	else if (!ret)
		WRITE_ONCE(mig->state, VFIO_DEVICE_STATE_ERROR);
	vub_mig_set_frozen(vv, mig->state != VFIO_DEVICE_STATE_RUNNING);
	mutex_unlock(&mig->lock);
}

int vub_mig_init(struct vub_vfio *vv)
{
	struct vub_device *vd = vv->vd;
	struct vub_mig_feature rep;
	struct vub_err err = {};
	struct vub_mig *mig;
	u64 flags;
	int ret;

	ret = vub_mig_feature(vd, VFIO_USER_DEVICE_FEATURE_GET |
			      VFIO_USER_DEVICE_FEATURE_MIGRATION, 0, &rep);
	if (ret < 0) {
		if (vub_state(vd) != VUB_STATE_READY)
			return ret;
		/* A server without migration refuses the feature. */
		dev_dbg(&vd->dev, "no migration: %pe\n", ERR_PTR(ret));
		return 0;
	}
	if (vub_check_migration_reply(&rep, ret, &flags, &err))
		return vub_vfio_bad_reply(vd, "DEVICE_FEATURE MIGRATION reply",
					  &err);
	if (!(flags & VFIO_USER_MIGRATION_STOP_COPY)) {
		dev_info(&vd->dev,
			 "server migration flags %#llx lack STOP_COPY: no migration\n",
			 flags);
		return 0;
	}
	mig = kzalloc(sizeof(*mig), GFP_KERNEL);
	if (!mig)
		return -ENOMEM;
	mutex_init(&mig->lock);
	WRITE_ONCE(mig->state, VFIO_DEVICE_STATE_RUNNING);
	vv->mig = mig;
	vv->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY;
	vv->vdev.mig_ops = &vub_mig_ops;
	dev_dbg(&vd->dev, "migration: server flags %#llx, offering STOP_COPY\n",
		flags);
	return 0;
}

void vub_mig_free(struct vub_vfio *vv)
{
	if (!vv->mig)
		return;
	mutex_destroy(&vv->mig->lock);
	kfree(vv->mig);
	vv->mig = NULL;
}

int vub_mig_upgrade_begin(struct vub_vfio *vv)
{
	struct vub_mig *mig = vv->mig;

	if (!mig)
		return -EOPNOTSUPP;
	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	if (mig->state != VFIO_DEVICE_STATE_RUNNING || mig->file) {
		mutex_unlock(&mig->lock);
		return -EBUSY;
	}
	return 0;
}

void vub_mig_upgrade_end(struct vub_vfio *vv)
{
	mutex_unlock(&vv->mig->lock);
}

const char *vub_vfio_migration(struct vub_device *vd)
{
	static const char *const names[] = {
		[VFIO_DEVICE_STATE_ERROR] = "error",
		[VFIO_DEVICE_STATE_STOP] = "stop",
		[VFIO_DEVICE_STATE_RUNNING] = "running",
		[VFIO_DEVICE_STATE_STOP_COPY] = "stop_copy",
		[VFIO_DEVICE_STATE_RESUMING] = "resuming",
	};
	const char *name = "none";
	struct vub_vfio *vv;
	u32 state;

	mutex_lock(&vub_vfio_ptr_lock);
	vv = vd->vfio;
	if (vv && vv->mig) {
		state = READ_ONCE(vv->mig->state);
		name = state < ARRAY_SIZE(names) && names[state] ?
		       names[state] : "unknown";
	}
	mutex_unlock(&vub_vfio_ptr_lock);
	return name;
}
