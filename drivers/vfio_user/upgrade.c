// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user planned upgrade: carry a READY device, with its state, from
 * its server to a new server process while the consumer keeps the VFIO
 * device open.  Needs a server with migration (STOP_COPY, migration.c):
 * the device state travels as a migration stream.
 *
 * The upgrade runs in the process that writes the "upgrade" attribute,
 * as reconnect and add do (fds are received and sent in process
 * context):
 *
 *  1. refuse (-EBUSY) while the consumer maps a region file of the
 *     server (as reconnect: those mappings cannot be moved), and
 *     (-EOPNOTSUPP) without migration;
 *  2. connect to the new socket, check its uid, run VERSION and
 *     discovery, and check the identity as a reconnect does
 *     (vub_server_probe()); the new server must have STOP_COPY too and
 *     present the same PCI ids; it goes RUNNING -> STOP -> RESUMING.
 *     The new server is talked to on its own socket
 *     (vub_sock_request()) until the switch;
 *  3. hold the consumer's migration back (-EBUSY if the consumer's
 *     migration state is not RUNNING: it is migrating the device), and
 *     take the send gate: consumer requests, posted writes and
 *     doorbells wait from here on (killably), requests already sent are
 *     answered by the old server before it stops;
 *  4. the old server: RUNNING -> STOP (server DMA refused from then on)
 *     -> STOP_COPY; its stream is read (MIG_DATA_READ) and written into
 *     the new server (MIG_DATA_WRITE), chunk by chunk, each chunk at
 *     most max_data_xfer_size, all of it at most upgrade_max_state_mb
 *     and within reconnect_timeout_ms;
 *  5. the new server: RESUMING -> STOP (it checks the stream) ->
 *     RUNNING;
 *  6. the switch: the connection and region files are swapped (as a
 *     reconnect does), the DMA windows and interrupt eventfds are sent
 *     to the new server (no reset: the state was carried), the gate is
 *     opened (waiting requests go to the new server) and the old
 *     connection is closed.  stats/upgrades counts it, a line is
 *     logged; the consumer's ERR eventfd is not signalled.
 *
 * A failure in steps 2-5 (the new server refuses, dies, presents
 * another device, refuses the stream; a timeout; the writer killed)
 * leaves the device on the old server, which is walked back to RUNNING
 * (its requests then wait uninterruptibly, each bounded by the timeout:
 * a killed writer must still resume it); the write returns the error
 * and a line says what failed.  If the old server itself is lost
 * meanwhile, the device reconnects or breaks as for any lost server
 * (conn.c).  After the switch the new server is the device's: if it
 * refuses the DMA windows or the eventfds, its connection counts as
 * lost (reconnect or broken).
 *
 * Not carried: the server's ioeventfds (doorbells go as messages after
 * an upgrade, as after a reconnect); a doorbell rung through one just
 * before the upgrade reaches the old server only if it reads its
 * eventfd before it saves its state.
 *
 * Locking: reconnect_lock (upgrade and reconnect writers, teardown) ->
 * the migration state lock -> the send gate (conn.h) -> files_sem,
 * dma_sem.  Consumers take the migration state lock and irq_lock before
 * the gate; the upgrader takes no irq_lock.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "posted.h"
#include "vfio_dev.h"

static unsigned int vub_upgrade_max_mb = 1024;
module_param_named(upgrade_max_state_mb, vub_upgrade_max_mb, uint, 0644);
MODULE_PARM_DESC(upgrade_max_state_mb,
		 "Largest device state an upgrade carries from the old server to the new one, in MiB (default 1024)");

struct vub_upgrade {
	struct vub_device *vd;
	struct vub_vfio *vv;
	const char *path;
	struct vub_probe pr;		/* the new server */
	u16 msg_id;			/* next msg_id on its socket */
	u32 old_state;			/* the old server's, as confirmed */
	bool frozen;			/* server DMA refused */
	struct vfio_user_mig_data *buf;	/* one chunk of the stream */
	u32 xfer;			/* its data bytes */
	unsigned long deadline;		/* for the stream */
	u64 bytes;			/* carried so far */
};

static const char *vub_upgrade_state_name(u32 state)
{
	switch (state) {
	case VFIO_USER_DEVICE_STATE_STOP:
		return "STOP";
	case VFIO_USER_DEVICE_STATE_RUNNING:
		return "RUNNING";
	case VFIO_USER_DEVICE_STATE_STOP_COPY:
		return "STOP_COPY";
	case VFIO_USER_DEVICE_STATE_RESUMING:
		return "RESUMING";
	}
	return "?";
}

/* The old server's mm (referenced), or NULL. */
static struct mm_struct *vub_upgrade_server_mm(struct vub_device *vd)
{
	struct mm_struct *mm = NULL;
	struct task_struct *t;

	t = get_pid_task(vd->server_pid, PIDTYPE_PID);
	if (t) {
		mm = get_task_mm(t);
		put_task_struct(t);
	}
	return mm;
}

/*
 * The first region whose file someone other than the old server maps
 * (the consumer, through the device), or -1.  Unlike the lost server of
 * a reconnect, the old server is alive and maps its own memory.  The
 * file's mappings are walked in its i_mmap tree, in order (the tree's
 * iterator is not exported).  Not under files_sem: see the caller.
 */
static int vub_upgrade_mapped(struct vub_device *vd,
			      struct mm_struct *server_mm)
{
	int found = -1;
	u32 i;

	for (i = 0; found < 0 && i < vd->info.num_regions; i++) {
		struct address_space *m;
		struct rb_node *n;

		if (!vd->region_files[i])
			continue;
		m = vd->region_files[i]->f_mapping;
		i_mmap_lock_read(m);
		for (n = rb_first(&m->i_mmap.rb_root); n; n = rb_next(n)) {
			struct vm_area_struct *vma =
				rb_entry(n, struct vm_area_struct, shared.rb);

			if (vma->vm_mm != server_mm) {
				found = i;
				break;
			}
		}
		i_mmap_unlock_read(m);
	}
	return found;
}

static int vub_upgrade_busy(struct vub_device *vd, int region)
{
	dev_err(&vd->dev, "upgrade: region %d of the server is mapped (by the consumer): refused until it is unmapped\n",
		region);
	return -EBUSY;
}

/* One MIG_DEVICE_STATE SET on the new server. */
static int vub_upgrade_new_arc(struct vub_upgrade *up, u32 state)
{
	struct vub_device *vd = up->vd;
	struct vub_mig_feature req, rep;
	struct vub_err err = {};
	size_t rlen = 0;
	int ret;

	vub_build_mig_feature(&req, VFIO_USER_DEVICE_FEATURE_SET |
			      VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, state);
	ret = vub_sock_request(vd, up->pr.sock, &up->msg_id,
			       VFIO_USER_DEVICE_FEATURE, &req, sizeof(req),
			       &rep, sizeof(rep), &rlen);
	if (!ret && vub_check_mig_state_set_reply(state, &rep, rlen, &err)) {
		dev_err(&vd->dev, "upgrade: bad MIG_DEVICE_STATE reply of the new server: %s\n",
			err.msg);
		ret = -EPROTO;
	}
	if (ret)
		dev_err(&vd->dev, "upgrade: the new server on %s did not go %s: %pe\n",
			up->path, vub_upgrade_state_name(state), ERR_PTR(ret));
	return ret;
}

/* The new server has STOP_COPY and is the same PCI device. */
static int vub_upgrade_check_new(struct vub_upgrade *up,
				 const struct vub_pci_ids *old)
{
	struct vub_device *vd = up->vd;
	struct vfio_user_region_access req, *rep = NULL;
	struct vub_mig_feature mreq, mrep;
	struct vub_pci_ids ids;
	struct vub_err err = {};
	size_t rlen = 0, replen = sizeof(*rep) + 48;
	u64 flags = 0;
	u32 got = 0;
	int ret;

	vub_build_mig_feature(&mreq, VFIO_USER_DEVICE_FEATURE_GET |
			      VFIO_USER_DEVICE_FEATURE_MIGRATION, 0);
	ret = vub_sock_request(vd, up->pr.sock, &up->msg_id,
			       VFIO_USER_DEVICE_FEATURE, &mreq, sizeof(mreq),
			       &mrep, sizeof(mrep), &rlen);
	if (!ret && vub_check_migration_reply(&mrep, rlen, &flags, &err))
		ret = -EPROTO;
	if (ret == -EPROTO || ret == -ETIMEDOUT || ret == -ECONNRESET ||
	    ret == -EINTR) {
		dev_err(&vd->dev, "upgrade: the new server on %s failed DEVICE_FEATURE MIGRATION: %pe\n",
			up->path, ERR_PTR(ret));
		return ret;
	}
	if (ret || !(flags & VFIO_USER_MIGRATION_STOP_COPY)) {
		dev_err(&vd->dev, "upgrade: the new server on %s has no migration (STOP_COPY): refused\n",
			up->path);
		return -EOPNOTSUPP;
	}
	if (!(vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI))
		return 0;

	rep = kzalloc(replen, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	ret = vub_sock_request(vd, up->pr.sock, &up->msg_id,
			       VFIO_USER_REGION_READ, &req,
			       vub_build_region_access(&req,
						       VFIO_PCI_CONFIG_REGION_INDEX,
						       0, 48),
			       rep, replen, &rlen);
	if (!ret && (vub_check_region_read_reply(&req, rep, rlen, &got, &err) ||
		     got < 48))
		ret = -EPROTO;
	if (!ret)
		vub_pci_ids_decode(rep->data, &ids);
	kfree(rep);
	if (ret) {
		dev_err(&vd->dev, "upgrade: cannot read the new server's PCI ids: %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	if (vub_pci_ids_differ(vd, "upgrade", &ids, old))
		return -ENODEV;
	return 0;
}

/* One arc of the old server; its state as confirmed. */
static int vub_upgrade_old_arc(struct vub_upgrade *up, u32 state)
{
	int ret;

	ret = vub_mig_server_arc(up->vd, state);
	if (ret)
		dev_err(&up->vd->dev, "upgrade: the old server did not go %s: %pe\n",
			vub_upgrade_state_name(state), ERR_PTR(ret));
	else
		up->old_state = state;
	return ret;
}

/* Step 4, first half: the old server stops. */
static int vub_upgrade_stop_old(struct vub_upgrade *up)
{
	int ret;

	ret = vub_upgrade_old_arc(up, VFIO_USER_DEVICE_STATE_STOP);
	if (ret)
		return ret;
	/* DMA it requested before it answered was served in order. */
	vub_mig_set_frozen(up->vv, true);
	up->frozen = true;
	return vub_upgrade_old_arc(up, VFIO_USER_DEVICE_STATE_STOP_COPY);
}

/* Step 4, second half: the old server's stream into the new one. */
static int vub_upgrade_stream(struct vub_upgrade *up)
{
	struct vub_device *vd = up->vd;
	u64 max = (u64)READ_ONCE(vub_upgrade_max_mb) << 20;
	struct vub_err err = {};
	size_t rlen;
	u8 rep[16];
	u32 got;
	int ret;

	for (;;) {
		if (time_after(jiffies, up->deadline)) {
			dev_err(&vd->dev, "upgrade: the state was not carried within reconnect_timeout_ms (%llu bytes so far)\n",
				up->bytes);
			return -ETIMEDOUT;
		}
		ret = vub_mig_data_read(vd, up->buf, up->xfer, &got);
		if (ret) {
			dev_err(&vd->dev, "upgrade: MIG_DATA_READ from the old server failed after %llu bytes: %pe\n",
				up->bytes, ERR_PTR(ret));
			return ret;
		}
		if (!got)
			return 0;
		if (up->bytes + got > max) {
			dev_err(&vd->dev, "upgrade: the device state exceeds upgrade_max_state_mb (%u MiB)\n",
				READ_ONCE(vub_upgrade_max_mb));
			return -EFBIG;
		}
		up->bytes += got;
		/* The reply's header and data are the write's request. */
		vub_build_mig_data(up->buf, got);
		rlen = 0;
		ret = vub_sock_request(vd, up->pr.sock, &up->msg_id,
				       VFIO_USER_MIG_DATA_WRITE, up->buf,
				       sizeof(*up->buf) + got, rep, sizeof(rep),
				       &rlen);
		if (!ret && vub_check_mig_data_write_reply(rep, rlen, &err))
			ret = -EPROTO;
		if (ret) {
			dev_err(&vd->dev, "upgrade: MIG_DATA_WRITE to the new server failed after %llu bytes: %pe\n",
				up->bytes, ERR_PTR(ret));
			return ret;
		}
	}
}

/*
 * A failure before the switch: the old server back to RUNNING.  Its
 * requests wait uninterruptibly (bounded by the timeout), so that a
 * killed writer still resumes it.
 */
static void vub_upgrade_resume_old(struct vub_upgrade *up)
{
	struct vub_device *vd = up->vd;
	int ret = 0;

	vub_conn_gate_nokill(vd, true);
	if (up->old_state == VFIO_USER_DEVICE_STATE_STOP_COPY)
		ret = vub_upgrade_old_arc(up, VFIO_USER_DEVICE_STATE_STOP);
	/* A resumed device may DMA as soon as the server says RUNNING. */
	if (up->frozen) {
		vub_mig_set_frozen(up->vv, false);
		up->frozen = false;
	}
	if (!ret && up->old_state == VFIO_USER_DEVICE_STATE_STOP)
		ret = vub_upgrade_old_arc(up, VFIO_USER_DEVICE_STATE_RUNNING);
	vub_conn_gate_nokill(vd, false);
	if (!ret) {
		dev_info(&vd->dev, "upgrade: failed, the device stays on the server on %s, running\n",
			 vd->socket_path);
		return;
	}
	/* A lost server was handled by conn.c (reconnect or broken). */
	if (vub_state(vd) == VUB_STATE_READY) {
		dev_err(&vd->dev, "upgrade: the old server could not be resumed: %pe\n",
			ERR_PTR(ret));
		vub_set_broken(vd, -EIO,
			       "the old server could not be resumed after a failed upgrade");
	}
}

/* Step 6: the new server is the device's from here on. */
static int vub_upgrade_switch(struct vub_upgrade *up)
{
	struct vub_device *vd = up->vd;
	struct vub_vfio *vv = up->vv;
	struct socket *old;
	int ret;

	ret = vub_conn_swap_upgrade(vd, up->pr.sock, &old);
	if (ret) {
		dev_err(&vd->dev, "upgrade: cannot switch the connection: %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	up->pr.sock = NULL;		/* the connection's now */
	up->pr.registered = false;
	down_write(&vd->files_sem);
	vub_reconnect_swap_files(vd, &up->pr.d);
	up_write(&vd->files_sem);
	vub_server_set_peer(vd, &up->pr);
	if (strcmp(up->path, vd->socket_path) &&
	    vub_reconnect_set_path(vd, up->path))
		dev_warn(&vd->dev, "upgrade: no memory for the new socket path: %s is shown\n",
			 vd->socket_path);
	vub_mig_set_frozen(vv, false);
	up->frozen = false;
	up->old_state = VFIO_USER_DEVICE_STATE_RUNNING;
	ret = vub_replay_to_new(vv, "upgrade");
	/* The old server sees the end of its stream and may exit. */
	sock_release(old);
	if (ret) {
		vub_conn_lost(vd, -EIO, "the new server refused the replay after an upgrade");
		return ret;
	}
	return 0;
}

/* Steps 3-6, the migration state lock held. */
static int vub_upgrade_gated(struct vub_upgrade *up)
{
	struct vub_device *vd = up->vd;
	struct mm_struct *mm;
	int ret, mapped;

	ret = vub_conn_gate_lock(vd);
	if (ret)
		return ret;
	/* Its last mmput() would tear an mm down: not under files_sem. */
	mm = vub_upgrade_server_mm(vd);
	down_write(&vd->files_sem);
	mapped = vub_upgrade_mapped(vd, mm);
	if (mapped < 0)
		vd->upgrading = true;
	up_write(&vd->files_sem);
	if (mm)
		mmput(mm);
	if (mapped >= 0) {
		ret = vub_upgrade_busy(vd, mapped);
		goto unlock;
	}
	if (vub_state(vd) != VUB_STATE_READY) {
		ret = -EIO;
		goto out;
	}
	up->deadline = jiffies +
		       msecs_to_jiffies(READ_ONCE(vd->reconnect_timeout_ms));
	/* Queued posted writes reach the old server before it stops. */
	ret = vub_postq_flush(vd);
	if (!ret)
		ret = vub_upgrade_stop_old(up);
	if (!ret)
		ret = vub_upgrade_stream(up);
	/* The new server checks the stream on leaving RESUMING. */
	if (!ret)
		ret = vub_upgrade_new_arc(up, VFIO_USER_DEVICE_STATE_STOP);
	if (!ret)
		ret = vub_upgrade_new_arc(up, VFIO_USER_DEVICE_STATE_RUNNING);
	if (!ret)
		ret = vub_upgrade_switch(up);
	else
		vub_upgrade_resume_old(up);
out:
	down_write(&vd->files_sem);
	vd->upgrading = false;
	up_write(&vd->files_sem);
unlock:
	vub_conn_gate_unlock(vd);
	return ret;
}

static int vub_upgrade_locked(struct vub_upgrade *up)
{
	struct vub_device *vd = up->vd;
	struct vub_pci_ids ids = {};
	struct mm_struct *mm;
	int ret, mapped;

	if (vub_state(vd) != VUB_STATE_READY) {
		dev_err(&vd->dev, "upgrade: the device is %s, not ready\n",
			vub_state_name(vub_state(vd)));
		return -EINVAL;
	}
	/* Early, before the new server is brought up; again at the gate. */
	mm = vub_upgrade_server_mm(vd);
	mapped = vub_upgrade_mapped(vd, mm);
	if (mm)
		mmput(mm);
	if (mapped >= 0)
		return vub_upgrade_busy(vd, mapped);
	if (vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI) {
		ret = vub_read_pci_ids(vd, &ids);
		if (ret) {
			dev_err(&vd->dev, "upgrade: cannot read the PCI ids: %pe\n",
				ERR_PTR(ret));
			return ret;
		}
	}
	ret = vub_server_probe(vd, "upgrade", up->path, VUB_STATE_READY,
			       &up->pr);
	if (ret)
		return ret;
	/* Every bring-up request was answered: any msg_id will do. */
	up->msg_id = 0;
	ret = vub_upgrade_check_new(up, &ids);
	/* It waits in RESUMING: nothing done so far touched the old one. */
	if (!ret)
		ret = vub_upgrade_new_arc(up, VFIO_USER_DEVICE_STATE_STOP);
	if (!ret)
		ret = vub_upgrade_new_arc(up, VFIO_USER_DEVICE_STATE_RESUMING);
	if (ret)
		return ret;

	ret = vub_mig_upgrade_begin(up->vv);
	if (ret == -EBUSY)
		dev_err(&vd->dev, "upgrade: the consumer is migrating the device (migration state %s): refused\n",
			vub_vfio_migration(vd));
	if (ret)
		return ret;
	ret = vub_upgrade_gated(up);
	vub_mig_upgrade_end(up->vv);
	return ret;
}

int vub_upgrade(struct vub_device *vd, const char *path)
{
	struct vub_upgrade *up;
	int ret;

	if (!current->mm)
		return -EINVAL;
	if (path[0] != '/') {
		dev_err(&vd->dev, "upgrade: %s: the path must be absolute\n",
			path);
		return -EINVAL;
	}
	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	up->vd = vd;
	up->path = path;
	up->old_state = VFIO_USER_DEVICE_STATE_RUNNING;
	up->vv = vub_vfio_get(vd);
	if (!up->vv || !up->vv->mig) {
		dev_err(&vd->dev, "upgrade: the server has no migration (STOP_COPY) or the device no VFIO device: refused (a restart needs reconnect)\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	up->xfer = vub_xfer_max(vd);
	up->buf = kvmalloc(struct_size(up->buf, data, up->xfer), GFP_KERNEL);
	if (!up->buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (mutex_lock_killable(&vd->reconnect_lock)) {
		ret = -EINTR;
		goto out;
	}
	ret = vub_upgrade_locked(up);
	vub_server_probe_done(vd, &up->pr);
	if (!ret) {
		atomic64_inc(&vd->stats.upgrades);
		dev_info(&vd->dev, "upgraded to %s (server pid %d): %llu bytes of device state carried, DMA windows and interrupt eventfds sent again\n",
			 vd->socket_path, pid_nr(vd->server_pid), up->bytes);
	}
	mutex_unlock(&vd->reconnect_lock);
out:
	if (up->vv)
		vfio_put_device(&up->vv->vdev);
	kvfree(up->buf);
	kfree(up);
	return ret;
}
