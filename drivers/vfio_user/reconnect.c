// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user reconnect: bring a device whose server was lost back with a
 * new server, while the consumer keeps the VFIO device open.
 *
 * With reconnect on (module parameter "reconnect", sysfs
 * "reconnect_enabled"),
 * a lost connection (end of file, reset, a failed send) makes the device
 * RECONNECTING instead of BROKEN (conn.c): pending requests fail with
 * -EIO, new ones wait killably, at most until the reconnect deadline
 * (reconnect_timeout_ms), when the device breaks.  A protocol violation
 * or a timeout still breaks it: a misbehaving server is not restarted
 * behind the consumer's back.
 *
 * The reconnect itself runs in the process that writes the "reconnect"
 * attribute, as add does, because fds are only received (region files)
 * and sent (DMA window files, interrupt eventfds) in process context:
 *
 *  1. connect to the socket (the same path or a new one), check the
 *     server's uid as add did, and run VERSION and discovery
 *     (bringup.c) on the new socket;
 *  2. identity: the new server must present the same device (device
 *     flags, region count, each region's flags, size, sparse areas and
 *     type, IRQ counts and flags, capabilities at least as large as the
 *     negotiated ones); otherwise the device breaks (-ENODEV);
 *  3. refuse (-EBUSY, the device stays RECONNECTING) while the consumer
 *     still maps a region file of the lost server: those mappings are
 *     the lost server's memory and cannot be moved to the new server's
 *     file, so they have to go first;
 *  4. swap the connection (conn.c) and the region files; from here on
 *     only the writer sends, consumer requests keep waiting;
 *  5. the PCI ids (read when reconnect was turned on) must match;
 *     DEVICE_RESET (the device state is gone with the lost server);
 *     the DMA windows and the interrupt eventfds the lost server held
 *     are sent again;
 *  6. READY: waiting requests go to the new server; the consumer's ERR
 *     eventfd is signalled (unless reconnect_err=N: QEMU stops the guest
 *     on ERR), stats/reconnects counted, a line logged.
 *
 * A consumer that closes the device meanwhile does not wait: its close
 * drops what the server held anyway (vfio.c, consumer_closing).
 *
 * Not carried over: the server's ioeventfds (doorbell writes go as
 * messages after a reconnect), posted writes the lost server had not
 * processed, interrupt masks and the migration state.
 *
 * Locking: vd->reconnect_lock serialises writers and the device's
 * teardown (vub_conn_shutdown() takes it after moving to CLOSING, which
 * shuts the new socket down so that a writer gives up at once).  The
 * writer takes no lock a waiting consumer holds (irq_lock): the replay
 * reads what it needs from the eventfd table and the window state.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "conn.h"
#include "vfio_dev.h"

static bool vub_reconnect_err = true;
module_param_named(reconnect_err, vub_reconnect_err, bool, 0644);
MODULE_PARM_DESC(reconnect_err,
		 "Signal the consumer's ERR eventfd after a reconnect, the device was reset (default Y; QEMU stops the guest on it)");

/* The first difference between the device and what the new server shows. */
static const char *vub_reconnect_differs(struct vub_device *vd,
					 const struct vub_desc *d, u32 *index)
{
	u32 i;

	*index = 0;
	if (d->info.flags != vd->info.flags)
		return "device flags";
	if (d->info.num_regions != vd->info.num_regions)
		return "number of regions";
	if (d->info.num_irqs != vd->info.num_irqs)
		return "number of IRQ indexes";
	for (i = 0; i < vd->info.num_regions; i++) {
		const struct vub_region *a = &vd->regions[i], *b = &d->regions[i];

		*index = i;
		if (a->flags != b->flags)
			return "region flags";
		if (a->size != b->size)
			return "region size";
		if (a->has_sparse != b->has_sparse || a->nr_areas != b->nr_areas ||
		    memcmp(a->areas, b->areas,
			   min_t(u32, a->nr_areas, VUB_MAX_SPARSE_AREAS) *
			   sizeof(a->areas[0])))
			return "region sparse mmap areas";
		if (a->has_type != b->has_type || a->type != b->type ||
		    a->subtype != b->subtype)
			return "region type";
		if (!!vd->region_files[i] != !!d->region_files[i])
			return "region file";
	}
	for (i = 0; i < vd->info.num_irqs; i++) {
		*index = i;
		if (vd->irqs[i].flags != d->irqs[i].flags)
			return "IRQ flags";
		if (vd->irqs[i].count != d->irqs[i].count)
			return "IRQ count";
	}
	*index = 0;
	/* What the bridge already relies on must still hold. */
	if (d->caps.max_msg_fds < vd->caps.max_msg_fds)
		return "max_msg_fds capability";
	if (d->caps.max_data_xfer_size < vd->caps.max_data_xfer_size)
		return "max_data_xfer_size capability";
	if (d->caps.max_dma_maps < vd->caps.max_dma_maps)
		return "max_dma_maps capability";
	if (d->caps.pgsizes != vd->caps.pgsizes)
		return "pgsizes capability";
	if (d->minor != vd->minor)
		return "protocol version";
	return NULL;
}

/* Does the consumer still map a region file of the lost server? */
static int vub_reconnect_mapped(struct vub_device *vd)
{
	u32 i;

	for (i = 0; i < vd->info.num_regions; i++)
		if (vd->region_files[i] &&
		    mapping_mapped(vd->region_files[i]->f_mapping))
			return i;
	return -1;
}

/* The new server's region files replace the lost one's; files_sem held. */
void vub_reconnect_swap_files(struct vub_device *vd, struct vub_desc *d)
{
	DECLARE_BITMAP(tmp, VUB_MAX_REGIONS);
	u32 i;

	lockdep_assert_held_write(&vd->files_sem);
	for (i = 0; i < vd->info.num_regions; i++) {
		swap(vd->region_files[i], d->region_files[i]);
		/* Only the offset in the file may differ (checked). */
		vd->regions[i].offset = d->regions[i].offset;
	}
	bitmap_copy(tmp, vd->region_writable, VUB_MAX_REGIONS);
	bitmap_copy(vd->region_writable, d->region_writable, VUB_MAX_REGIONS);
	bitmap_copy(d->region_writable, tmp, VUB_MAX_REGIONS);
	/* The lost server's eventfds: doorbells go as messages now. */
	WRITE_ONCE(vd->ioeventfds_stale, true);
}

struct vub_path_mem {
	struct vub_owned owned;
	char path[];
};

/*
 * A new socket path: the old string stays allocated until the device
 * goes (log lines and sysfs read it without a lock).
 */
int vub_reconnect_set_path(struct vub_device *vd, const char *path)
{
	size_t len = strlen(path);
	struct vub_path_mem *m;
	struct path p;

	m = kmalloc(sizeof(*m) + len + 1, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	memcpy(m->path, path, len + 1);
	if (!kern_path(path, LOOKUP_FOLLOW, &p)) {
		vd->sock_dev = d_inode(p.dentry)->i_sb->s_dev;
		vd->sock_ino = d_inode(p.dentry)->i_ino;
		path_put(&p);
	} else {
		vd->sock_dev = 0;
		vd->sock_ino = 0;
	}
	vub_device_own(vd, &m->owned);
	WRITE_ONCE(vd->socket_path, m->path);
	return 0;
}

bool vub_pci_ids_differ(struct vub_device *vd, const char *op,
			const struct vub_pci_ids *ids,
			const struct vub_pci_ids *was)
{
	if (!memcmp(ids, was, sizeof(*ids)))
		return false;
	dev_err(&vd->dev, "%s: the new server is another device: PCI %04x:%04x (%04x:%04x) class %06x, was %04x:%04x (%04x:%04x) class %06x: refused\n",
		op, ids->vendor, ids->device, ids->subsystem_vendor,
		ids->subsystem_device, ids->class, was->vendor, was->device,
		was->subsystem_vendor, was->subsystem_device, was->class);
	return true;
}

static int vub_reconnect_ids(struct vub_device *vd)
{
	struct vub_pci_ids ids;
	int ret;

	/* Pairs with smp_store_release() in vub_reconnect_enable(). */
	if (!smp_load_acquire(&vd->pci_ids_valid))
		return 0;
	ret = vub_read_pci_ids(vd, &ids);
	if (ret) {
		dev_err(&vd->dev, "reconnect: cannot read the new server's PCI ids: %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	if (vub_pci_ids_differ(vd, "reconnect", &ids, &vd->pci_ids)) {
		vub_set_broken(vd, -ENODEV, "the new server presents another device");
		return -ENODEV;
	}
	return 0;
}

int vub_replay_to_new(struct vub_vfio *vv, const char *op)
{
	struct vub_device *vd = vv->vd;
	int ret;

	ret = vub_dma_replay(vv);
	if (ret) {
		dev_err(&vd->dev, "%s: DMA windows refused by the new server: %pe\n",
			op, ERR_PTR(ret));
		return ret;
	}
	ret = vub_irq_replay(vv);
	if (ret)
		dev_err(&vd->dev, "%s: interrupt eventfds refused by the new server: %pe\n",
			op, ERR_PTR(ret));
	return ret;
}

/* Steps 5 and 6: the connection is the new server's, only we send. */
static int vub_reconnect_replay(struct vub_device *vd)
{
	struct vub_err err = {};
	struct vub_vfio *vv;
	size_t rlen = 0;
	u8 rep[16];
	int ret;

	ret = vub_reconnect_ids(vd);
	if (ret)
		return ret;
	if (vd->info.flags & VFIO_USER_DEVICE_FLAGS_RESET) {
		ret = vub_request(vd, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0,
				  rep, sizeof(rep), &rlen);
		if (!ret && vub_check_empty_reply(rep, rlen, &err))
			ret = vub_vfio_bad_reply(vd, "DEVICE_RESET reply", &err);
		if (ret) {
			dev_err(&vd->dev, "reconnect: DEVICE_RESET failed: %pe\n",
				ERR_PTR(ret));
			return ret;
		}
	}
	vv = vub_vfio_get(vd);
	if (vv)
		ret = vub_replay_to_new(vv, "reconnect");
	if (!ret)
		ret = vub_conn_reconnected(vd);
	if (vv) {
		/* The device was reset: tell the consumer. */
		if (!ret && READ_ONCE(vub_reconnect_err))
			vub_irq_signal_err(vv);
		vfio_put_device(&vv->vdev);
	}
	return ret;
}

int vub_server_probe(struct vub_device *vd, const char *op, const char *path,
		     enum vub_state state, struct vub_probe *pr)
{
	const char *what;
	u32 index;
	int ret;

	memset(pr, 0, sizeof(*pr));
	ret = vub_sock_connect(vd, path, &pr->sock, &pr->pid, &pr->uid);
	if (!ret)
		ret = vub_conn_set_new_sock(vd, pr->sock, state);
	if (ret) {
		dev_err(&vd->dev, "%s: cannot connect to %s: %pe\n", op, path,
			ERR_PTR(ret));
		return ret;
	}
	pr->registered = true;
	if (uid_valid(vd->expected_uid) && !uid_eq(pr->uid, vd->expected_uid)) {
		dev_err(&vd->dev, "%s: server on %s runs as uid %u, expected %u: refusing it\n",
			op, path, from_kuid_munged(current_user_ns(), pr->uid),
			from_kuid_munged(current_user_ns(), vd->expected_uid));
		return -EPERM;
	}
	ret = vub_bringup_sock(vd, pr->sock, &pr->d);
	if (ret) {
		dev_err(&vd->dev, "%s: bring-up with %s failed: %pe\n",
			op, path, ERR_PTR(ret));
		return ret;
	}
	what = vub_reconnect_differs(vd, &pr->d, &index);
	if (what) {
		dev_err(&vd->dev, "%s: the server on %s presents another device (%s differs, index %u): refused\n",
			op, path, what, index);
		return -ENODEV;
	}
	return 0;
}

void vub_server_probe_done(struct vub_device *vd, struct vub_probe *pr)
{
	if (pr->sock) {
		if (pr->registered)
			vub_conn_clear_new_sock(vd);
		sock_release(pr->sock);
	}
	put_pid(pr->pid);
	vub_desc_free(&pr->d);
	memset(pr, 0, sizeof(*pr));
}

/* The new server is the device's now: its pid and uid. */
void vub_server_set_peer(struct vub_device *vd, struct vub_probe *pr)
{
	struct pid *old_pid;

	xa_lock(&vd->conn->pending);
	old_pid = vd->server_pid;
	vd->server_pid = pr->pid;
	vd->server_uid = pr->uid;
	xa_unlock(&vd->conn->pending);
	put_pid(old_pid);
	pr->pid = NULL;
}

static int vub_reconnect_locked(struct vub_device *vd, const char *path)
{
	const char *p = path ?: vd->socket_path;
	struct vub_probe pr;
	int ret, mapped;

	if (vub_state(vd) != VUB_STATE_RECONNECTING) {
		dev_err(&vd->dev, "reconnect: the device is %s, not reconnecting\n",
			vub_state_name(vub_state(vd)));
		return -EINVAL;
	}
	ret = vub_server_probe(vd, "reconnect", p, VUB_STATE_RECONNECTING, &pr);
	if (ret == -ENODEV)
		vub_set_broken(vd, -ENODEV, "the new server presents another device");
	if (ret)
		goto out;

	/* No new mapping is made while RECONNECTING (mmap.c). */
	mapped = vub_reconnect_mapped(vd);
	if (mapped >= 0)
		goto busy;
	ret = vub_conn_swap(vd, pr.sock);
	if (ret)
		goto out;
	pr.sock = NULL;		/* the connection's now */
	/*
	 * Not around the swap: it waits for the receiver, which may fault
	 * in the consumer's memory (DMA), while mmap holds mmap_lock.
	 */
	down_write(&vd->files_sem);
	mapped = vub_reconnect_mapped(vd);
	if (mapped < 0)
		vub_reconnect_swap_files(vd, &pr.d);
	up_write(&vd->files_sem);
	if (mapped >= 0) {
		vub_conn_replay_failed(vd);
		goto busy;
	}

	vub_server_set_peer(vd, &pr);
	if (path && strcmp(path, vd->socket_path)) {
		ret = vub_reconnect_set_path(vd, path);
		if (ret) {
			vub_conn_replay_failed(vd);
			goto out;
		}
	}

	ret = vub_reconnect_replay(vd);
	if (ret) {
		vub_conn_replay_failed(vd);
		goto out;
	}
	atomic64_inc(&vd->stats.reconnects);
	dev_info(&vd->dev, "reconnected to %s (server pid %d): device reset, %s%s\n",
		 vd->socket_path, pid_nr(vd->server_pid),
		 "DMA windows and interrupt eventfds sent again",
		 READ_ONCE(vub_reconnect_err) ?
		 "; the consumer's ERR eventfd signalled" : "");
	goto out;
busy:
	dev_err(&vd->dev, "reconnect: region %d of the lost server is still mapped (by the consumer): refused until it is unmapped\n",
		mapped);
	ret = -EBUSY;
out:
	vub_server_probe_done(vd, &pr);
	return ret;
}

int vub_reconnect(struct vub_device *vd, const char *path)
{
	int ret;

	if (!current->mm)
		return -EINVAL;
	if (path && path[0] != '/') {
		dev_err(&vd->dev, "reconnect: %s: the path must be absolute\n",
			path);
		return -EINVAL;
	}
	if (mutex_lock_killable(&vd->reconnect_lock))
		return -EINTR;
	ret = vub_reconnect_locked(vd, path);
	mutex_unlock(&vd->reconnect_lock);
	return ret;
}

int vub_reconnect_enable(struct vub_device *vd, bool on)
{
	struct vub_pci_ids ids;
	int ret;

	if (on && (vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI) &&
	    /* Pairs with the smp_store_release() below. */
	    !smp_load_acquire(&vd->pci_ids_valid)) {
		/* Not under reconnect_lock: the request may wait for one. */
		ret = vub_read_pci_ids(vd, &ids);
		if (ret) {
			dev_err(&vd->dev, "reconnect: cannot read the PCI ids the next server must present: %pe\n",
				ERR_PTR(ret));
			return ret;
		}
		if (mutex_lock_killable(&vd->reconnect_lock))
			return -EINTR;
		if (!vd->pci_ids_valid) {
			vd->pci_ids = ids;
			/* The ids before the flag (vub_reconnect_ids()). */
			smp_store_release(&vd->pci_ids_valid, true);
		}
		mutex_unlock(&vd->reconnect_lock);
	}
	WRITE_ONCE(vd->reconnect, on);
	return 0;
}
