// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user bus: the "vfio-user" bus type, its one driver (VFIO needs
 * the parent device bound to a driver, whose owner module it pins while
 * the VFIO device is open), and device creation and removal through
 * /sys/bus/vfio-user/{add,remove} and the "socket" module parameter.
 *
 * Creation runs synchronously in the requesting process and leaves
 * nothing behind on failure.  Removal revokes the connection first (in
 * flight and new requests fail with -EIO), then unregisters the device,
 * which waits for a VFIO consumer to close it (see
 * Documentation/lifecycle.rst).
 *
 * vub_devices_lock protects the device list, name uniqueness and the
 * published/removing flags; it is never held across bring-up or
 * unregistration.  A device is published (as nbd_dev_add() does) only
 * once its creation has fully succeeded: remove and module exit act on
 * published devices only, so a device is never torn down under its
 * creator.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "conn.h"
#include "ioeventfd.h"

#ifdef VUB_HAVE_BUS_ATTR_CONST_BUS
#define vub_bus_attr_bus_t	const struct bus_type
#else
#define vub_bus_attr_bus_t	struct bus_type
#endif

static DEFINE_IDA(vub_ida);
static DEFINE_MUTEX(vub_devices_lock);
static LIST_HEAD(vub_devices);

/* ---- bus and driver --------------------------------------------------- */

/* A device for the mdev front-end waits for vfio_user_mdev (frontend.c). */
static int vub_bus_match(struct device *dev, vub_bus_match_drv_t *drv)
{
	return to_vub_device(dev)->frontend != VUB_FRONTEND_MDEV ||
	       vub_mdev_available();
}

static void vub_broken_work(struct work_struct *work)
{
	struct vub_device *vd = container_of(work, struct vub_device,
					     broken_work);

	if (!READ_ONCE(vd->vfio_ready))
		return;
	if (test_and_set_bit(VUB_F_BROKEN_NOTIFIED, &vd->flags))
		return;
	vub_vfio_broken(vd);
}

static int vub_bus_probe(struct device *dev)
{
	struct vub_device *vd = to_vub_device(dev);
	int ret;

	ret = vub_frontend_probe(vd);
	if (ret) {
		vd->probe_err = ret;
		dev_err(dev, "cannot register the VFIO device (frontend=%s): %pe\n",
			vub_frontend_name(vd->frontend), ERR_PTR(ret));
		return ret;
	}
	WRITE_ONCE(vd->vfio_ready, true);
	/* Pairs with the barrier in vub_set_broken(). */
	smp_mb();
	if (vub_state(vd) == VUB_STATE_BROKEN)
		schedule_work(&vd->broken_work);
	return 0;
}

static void vub_bus_remove(struct device *dev)
{
	struct vub_device *vd = to_vub_device(dev);

	WRITE_ONCE(vd->vfio_ready, false);
	cancel_work_sync(&vd->broken_work);
	vub_frontend_remove(vd);
}

static struct bus_type vub_bus = {
	.name = "vfio-user",
	.match = vub_bus_match,
	.probe = vub_bus_probe,
	.remove = vub_bus_remove,
};

static struct device_driver vub_driver = {
	.name = "vfio-user",
	.bus = &vub_bus,
	.owner = THIS_MODULE,
	.suppress_bind_attrs = true,
	.probe_type = PROBE_FORCE_SYNCHRONOUS,
};

/* For frontend.c: bind devices that wait for vfio_user_mdev. */
int vub_bus_rescan(void)
{
	return bus_rescan_devices(&vub_bus);
}

/* For frontend.c: call @fn for every device on the bus. */
int vub_bus_for_each(int (*fn)(struct device *dev, void *data))
{
	return bus_for_each_dev(&vub_bus, NULL, NULL, fn);
}

/* ---- devices ----------------------------------------------------------- */

static void vub_device_release(struct device *dev)
{
	struct vub_device *vd = to_vub_device(dev);
	u32 i;

	WARN_ON(work_pending(&vd->broken_work) ||
		work_pending(&vd->state_work) ||
		delayed_work_pending(&vd->reconnect_work));
	vub_conn_free(vd);
	if (vd->region_files) {
		for (i = 0; i < vd->info.num_regions; i++) {
			if (!vd->region_files[i])
				continue;
			if (test_bit(i, vd->region_writable))
				mapping_unmap_writable(vd->region_files[i]->f_mapping);
			fput(vd->region_files[i]);
		}
	}
	kfree(vd->region_files);
	vub_ioeventfd_free(vd);
	kfree(vd->regions);
	kfree(vd->irqs);
	vub_device_free_owned(vd);
	put_pid(vd->server_pid);
	if (vd->id >= 0)
		ida_free(&vub_ida, vd->id);
	kfree(vd->first_socket_path);
	mutex_destroy(&vd->reconnect_lock);
	kfree(vd);
}

static struct vub_device *vub_find_locked(const char *name)
{
	struct vub_device *vd;

	list_for_each_entry(vd, &vub_devices, node)
		if (!strcmp(dev_name(&vd->dev), name))
			return vd;
	return NULL;
}

/* Letters, digits, '-', '_', '.', ':'; not starting with '.'. */
static bool vub_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > VUB_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("-_.:", name[i]))
			return false;
	return true;
}

/*
 * A live device (not broken, not being removed) already connected to
 * @vd's socket?  A second connection would sit in a one-client server's
 * backlog until bring-up times out.
 */
static struct vub_device *vub_socket_user_locked(struct vub_device *vd)
{
	struct vub_device *it;

	list_for_each_entry(it, &vub_devices, node) {
		if (it->removing || vub_state(it) == VUB_STATE_BROKEN ||
		    vub_state(it) == VUB_STATE_CLOSING)
			continue;
		if (!strcmp(it->socket_path, vd->socket_path) ||
		    (vd->sock_ino && it->sock_ino == vd->sock_ino &&
		     it->sock_dev == vd->sock_dev))
			return it;
	}
	return NULL;
}

/*
 * Give @vd its name and put it on the list; -EEXIST if the name is
 * taken, -EADDRINUSE if a live device uses the same socket.
 */
static int vub_device_name(struct vub_device *vd, const char *name)
{
	char buf[VUB_NAME_MAX + 1];
	struct vub_device *other;
	int id, start = 0, ret;

	mutex_lock(&vub_devices_lock);
	ret = -EEXIST;
	if (name && vub_find_locked(name))
		goto out;
	other = vub_socket_user_locked(vd);
	if (other) {
		pr_err("add: %s is already served by device %s; remove it first (a vfio-user server usually serves one client)\n",
		       vd->socket_path, dev_name(&other->dev));
		ret = -EADDRINUSE;
		goto out;
	}
	if (name) {
		ret = dev_set_name(&vd->dev, "%s", name);
		goto add;
	}
	for (;;) {
		id = ida_alloc_range(&vub_ida, start, INT_MAX, GFP_KERNEL);
		ret = id;
		if (id < 0)
			goto out;
		snprintf(buf, sizeof(buf), "vfio-user%d", id);
		if (!vub_find_locked(buf))
			break;
		/* Taken by an explicitly named device: try the next one. */
		ida_free(&vub_ida, id);
		start = id + 1;
	}
	vd->id = id;
	ret = dev_set_name(&vd->dev, "%s", buf);
add:
	if (!ret)
		list_add_tail(&vd->node, &vub_devices);
out:
	mutex_unlock(&vub_devices_lock);
	return ret;
}

static void vub_device_unlist(struct vub_device *vd)
{
	mutex_lock(&vub_devices_lock);
	list_del_init(&vd->node);
	mutex_unlock(&vub_devices_lock);
}

struct vub_add_args {
	char *socket;
	char *name;
	unsigned int timeout_ms;
	unsigned int reset_timeout_ms;
	bool has_server_uid;
	u32 server_uid;
	enum vub_dma_mode dma_mode;
	unsigned int dma_bits;
	bool has_frontend;
	enum vub_frontend frontend;
	bool has_reconnect;
	bool reconnect;
	unsigned int reconnect_timeout_ms;
	bool may_wait;		/* module init: frontend=mdev may stay unbound */
};

/* Note which inode the socket path names (for vub_socket_user_locked()). */
static void vub_socket_identity(struct vub_device *vd)
{
	struct path path;

	/* A path that does not resolve fails at connect, with its error. */
	if (kern_path(vd->socket_path, LOOKUP_FOLLOW, &path))
		return;
	vd->sock_dev = d_inode(path.dentry)->i_sb->s_dev;
	vd->sock_ino = d_inode(path.dentry)->i_ino;
	path_put(&path);
}

/* The uid the server must run as, or INVALID_UID for no check. */
static int vub_expected_uid(const struct vub_add_args *a, kuid_t *uid)
{
	int def = READ_ONCE(vub_default_server_uid);
	u32 n;

	*uid = INVALID_UID;
	if (a->has_server_uid)
		n = a->server_uid;
	else if (def >= 0)
		n = def;
	else
		return 0;
	*uid = make_kuid(current_user_ns(), n);
	if (!uid_valid(*uid)) {
		pr_err("add: server_uid=%u is not a uid of the writer's user namespace\n",
		       n);
		return -EINVAL;
	}
	return 0;
}

static int vub_device_create(const struct vub_add_args *a)
{
	struct vub_device *vd;
	kuid_t expected_uid;
	int ret;

	if (a->socket[0] != '/') {
		pr_err("add: socket=%s: the path must be absolute\n", a->socket);
		return -EINVAL;
	}
	if (a->name && !vub_name_valid(a->name)) {
		pr_err("add: name=%s: 1 to %u letters, digits or -_.: not starting with '.'\n",
		       a->name, VUB_NAME_MAX);
		return -EINVAL;
	}
	ret = vub_expected_uid(a, &expected_uid);
	if (ret)
		return ret;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	vd->id = -1;
	INIT_LIST_HEAD(&vd->node);
	INIT_LIST_HEAD(&vd->owned);
	vd->frontend = a->has_frontend ? a->frontend :
		       READ_ONCE(vub_default_frontend);
	INIT_WORK(&vd->broken_work, vub_broken_work);
	INIT_WORK(&vd->state_work, vub_state_work);
	INIT_DELAYED_WORK(&vd->reconnect_work, vub_reconnect_expired);
	mutex_init(&vd->reconnect_lock);
	init_rwsem(&vd->files_sem);
	vd->expected_uid = expected_uid;
	vd->reconnect_timeout_ms = a->reconnect_timeout_ms ?:
				   READ_ONCE(vub_default_reconnect_timeout_ms);
	vd->timeout_ms = a->timeout_ms ?: READ_ONCE(vub_default_timeout_ms);
	vd->reset_timeout_ms = a->reset_timeout_ms ?:
			       READ_ONCE(vub_default_reset_timeout_ms);
	vd->dma_mode = a->dma_mode;
	vd->dma_bits = a->dma_bits;
	device_initialize(&vd->dev);
	vd->dev.bus = &vub_bus;
	vd->dev.groups = vub_dev_groups;
	vd->dev.release = vub_device_release;
	/* From here on put_device() frees everything. */
	vd->first_socket_path = kstrdup(a->socket, GFP_KERNEL);
	vd->socket_path = vd->first_socket_path;
	if (!vd->socket_path) {
		put_device(&vd->dev);
		return -ENOMEM;
	}
	vub_socket_identity(vd);
	ret = vub_device_name(vd, a->name);
	if (ret) {
		if (ret == -EEXIST)
			pr_err("add: device %s already exists: choose another name=\n",
			       a->name);
		put_device(&vd->dev);
		return ret;
	}

	ret = vub_conn_connect(vd);
	if (ret) {
		dev_err(&vd->dev, "cannot connect to %s: %pe\n",
			vd->socket_path, ERR_PTR(ret));
		goto err;
	}
	/* The listener's euid at listen() time, from SO_PEERCRED. */
	if (uid_valid(expected_uid) && !uid_eq(vd->server_uid, expected_uid)) {
		dev_err(&vd->dev, "server on %s runs as uid %u, expected %u: refusing it\n",
			vd->socket_path,
			from_kuid_munged(current_user_ns(), vd->server_uid),
			from_kuid_munged(current_user_ns(), expected_uid));
		ret = -EPERM;
		goto err;
	}
	ret = vub_bringup(vd);
	if (ret) {
		dev_err(&vd->dev, "bring-up with %s failed: %pe\n",
			vd->socket_path, ERR_PTR(ret));
		goto err;
	}
	ret = vub_conn_start(vd);
	if (ret)
		goto err;
	if (a->has_reconnect ? a->reconnect : READ_ONCE(vub_default_reconnect)) {
		ret = vub_reconnect_enable(vd, true);
		if (ret)
			goto err;
	}
	if (vd->frontend == VUB_FRONTEND_MDEV && !a->may_wait)
		vub_mdev_request_module();
	ret = device_add(&vd->dev);
	if (ret)
		goto err;
	if (!vd->dev.driver) {
		/* Not bound, and not because its front-end failed? */
		bool wait = vd->frontend == VUB_FRONTEND_MDEV && !vd->probe_err;

		if (wait && a->may_wait) {
			dev_info(&vd->dev, "frontend=mdev: waiting for vfio_user_mdev to be loaded\n");
		} else {
			if (wait)
				dev_err(&vd->dev, "frontend=mdev needs vfio_user_mdev.ko, which is not loaded (a kernel with CONFIG_VFIO_MDEV)\n");
			ret = vd->probe_err ?: -ENODEV;
			device_del(&vd->dev);
			goto err;
		}
	}
	vub_debugfs_add(vd);
	if (vd->frontend == VUB_FRONTEND_BUS)
		dev_info(&vd->dev, "%s: protocol %u.%u, %u regions, %u irq indexes, server pid %d, VFIO group /dev/vfio/%d\n",
			 vd->socket_path, vd->major, vd->minor,
			 vd->info.num_regions, vd->info.num_irqs,
			 pid_nr(vd->server_pid), vub_vfio_group_id(vd));
	else
		dev_info(&vd->dev, "%s: protocol %u.%u, %u regions, %u irq indexes, server pid %d, mdev parent\n",
			 vd->socket_path, vd->major, vd->minor,
			 vd->info.num_regions, vd->info.num_irqs,
			 pid_nr(vd->server_pid));
	/*
	 * Last: from here on "remove" may free @vd at any time.  The first
	 * state notification (udev learns the VFIO group) is queued under
	 * the lock, so a removal's vub_conn_shutdown() flushes it.
	 */
	mutex_lock(&vub_devices_lock);
	vd->published = true;
	schedule_work(&vd->state_work);
	mutex_unlock(&vub_devices_lock);
	return 0;

err:
	vub_conn_shutdown(vd);
	vub_device_unlist(vd);
	put_device(&vd->dev);
	return ret;
}

/* Revoke the connection, then unregister (may wait for a consumer). */
static void vub_device_destroy(struct vub_device *vd)
{
	dev_dbg(&vd->dev, "removing\n");
	vub_conn_shutdown(vd);
	vub_debugfs_remove(vd);
	device_del(&vd->dev);
	dev_info(&vd->dev, "removed (server %s)\n", vd->socket_path);
	vub_device_unlist(vd);
	put_device(&vd->dev);
}

static int vub_device_remove(const char *name)
{
	struct vub_device *vd;

	mutex_lock(&vub_devices_lock);
	vd = vub_find_locked(name);
	if (!vd || vd->removing) {
		mutex_unlock(&vub_devices_lock);
		return -ENODEV;
	}
	if (!vd->published) {
		mutex_unlock(&vub_devices_lock);
		pr_err_ratelimited("remove: %s is still being created, try again\n",
				   name);
		return -EBUSY;
	}
	vd->removing = true;
	mutex_unlock(&vub_devices_lock);
	vub_device_destroy(vd);
	return 0;
}

/* ---- /sys/bus/vfio-user/{add,remove} ------------------------------------ */

#define VUB_ADD_USAGE \
	"\"PATH\" or \"socket=PATH [name=NAME] [timeout_ms=N] [reset_timeout_ms=N] [server_uid=UID] [dma=mmap|message] [dma_bits=N] [frontend=bus|mdev] [reconnect=0|1] [reconnect_timeout_ms=N]\""

static int vub_parse_timeout(const char *key, const char *s,
			     unsigned int *val)
{
	unsigned int v;

	if (kstrtouint(s, 10, &v) || v < VUB_MIN_TIMEOUT_MS ||
	    v > VUB_MAX_TIMEOUT_MS) {
		pr_err("add: %s=%s: expected a decimal number of ms, %u to %u\n",
		       key, s, VUB_MIN_TIMEOUT_MS, VUB_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	*val = v;
	return 0;
}

/*
 * "PATH" or "socket=PATH [name=NAME] [timeout_ms=N]
 * [reset_timeout_ms=N] [server_uid=N] [dma=MODE] [dma_bits=N]",
 * whitespace separated.  @s is
 * modified.  Every error names the token at fault.
 */
static int vub_parse_add(char *s, struct vub_add_args *a)
{
	char *tok;

	memset(a, 0, sizeof(*a));
	s = strim(s);
	if (s[0] == '/' && !strpbrk(s, " \t\n")) {
		a->socket = s;
		return 0;
	}
	while ((tok = strsep(&s, " \t\n"))) {
		char *val;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val || !val[1]) {
			pr_err("add: \"%s\": expected KEY=VALUE; add takes %s\n",
			       tok, VUB_ADD_USAGE);
			return -EINVAL;
		}
		*val++ = '\0';
		if (!strcmp(tok, "socket")) {
			a->socket = val;
		} else if (!strcmp(tok, "name")) {
			a->name = val;
		} else if (!strcmp(tok, "timeout_ms")) {
			if (vub_parse_timeout(tok, val, &a->timeout_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "reset_timeout_ms")) {
			if (vub_parse_timeout(tok, val, &a->reset_timeout_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "reconnect_timeout_ms")) {
			if (vub_parse_timeout(tok, val, &a->reconnect_timeout_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "reconnect")) {
			if (kstrtobool(val, &a->reconnect)) {
				pr_err("add: reconnect=%s: expected 0 or 1\n", val);
				return -EINVAL;
			}
			a->has_reconnect = true;
		} else if (!strcmp(tok, "server_uid")) {
			/* Decimal, as uids are everywhere else. */
			if (kstrtou32(val, 10, &a->server_uid)) {
				pr_err("add: server_uid=%s: expected a decimal uid\n",
				       val);
				return -EINVAL;
			}
			a->has_server_uid = true;
		} else if (!strcmp(tok, "dma")) {
			if (vub_dma_parse_mode(val, &a->dma_mode)) {
				pr_err("add: dma=%s: expected \"mmap\" or \"message\"\n",
				       val);
				return -EINVAL;
			}
		} else if (!strcmp(tok, "dma_bits")) {
			if (kstrtouint(val, 10, &a->dma_bits) ||
			    a->dma_bits < PAGE_SHIFT || a->dma_bits > 47) {
				pr_err("add: dma_bits=%s: expected a decimal number of IOVA bits, %u to 47\n",
				       val, PAGE_SHIFT);
				return -EINVAL;
			}
		} else if (!strcmp(tok, "frontend")) {
			if (vub_frontend_parse(val, &a->frontend)) {
				pr_err("add: frontend=%s: expected bus or mdev\n",
				       val);
				return -EINVAL;
			}
			a->has_frontend = true;
		} else {
			pr_err("add: unknown key \"%s\"; add takes %s\n", tok,
			       VUB_ADD_USAGE);
			return -EINVAL;
		}
	}
	if (!a->socket) {
		pr_err("add: no socket=PATH given; add takes %s\n",
		       VUB_ADD_USAGE);
		return -EINVAL;
	}
	/* The server maps dma=mmap windows whole: a smaller range. */
	if (a->dma_bits && (a->dma_mode == VUB_DMA_MMAP ||
			    (a->dma_mode == VUB_DMA_DEFAULT &&
			     vub_dma_mode_of(NULL) == VUB_DMA_MMAP)) &&
	    vub_dma_check_mmap_bits("add: dma_bits", a->dma_bits))
		return -EINVAL;
	return 0;
}

static ssize_t add_store(vub_bus_attr_bus_t *bus, const char *buf,
			 size_t count)
{
	struct vub_add_args a;
	char *s;
	int ret;

	s = vub_admin_strdup(buf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = vub_parse_add(s, &a);
	if (!ret)
		ret = vub_device_create(&a);
	kfree(s);
	return ret ?: count;
}

static ssize_t remove_store(vub_bus_attr_bus_t *bus, const char *buf,
			    size_t count)
{
	char *s;
	int ret;

	s = vub_admin_strdup(buf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = vub_device_remove(strim(s));
	kfree(s);
	return ret ?: count;
}

static BUS_ATTR_WO(add);
static BUS_ATTR_WO(remove);

/* ---- module init and exit -------------------------------------------- */

/*
 * Remove every device.  Called once add and remove are gone (their
 * writers drained), so every device left is published.
 */
static void vub_destroy_all(void)
{
	struct vub_device *vd, *it;

	for (;;) {
		vd = NULL;
		mutex_lock(&vub_devices_lock);
		list_for_each_entry(it, &vub_devices, node) {
			if (WARN_ON(!it->published) || it->removing)
				continue;
			vd = it;
			vd->removing = true;
			break;
		}
		mutex_unlock(&vub_devices_lock);
		if (!vd)
			break;
		vub_device_destroy(vd);
	}
}

/* @sockets: the "socket" module parameter, comma-separated paths. */
int vub_bus_init(const char *sockets)
{
	struct vub_add_args a = {};
	char *list, *p, *path;
	int ret;

	ret = bus_register(&vub_bus);
	if (ret)
		return ret;
	ret = driver_register(&vub_driver);
	if (ret)
		goto err_bus;
	/* remove first, so that add goes first on the way back. */
	ret = bus_create_file(&vub_bus, &bus_attr_remove);
	if (ret)
		goto err_drv;
	ret = bus_create_file(&vub_bus, &bus_attr_add);
	if (ret)
		goto err_remove;

	if (!sockets || !*sockets)
		return 0;
	list = kstrdup(sockets, GFP_KERNEL);
	if (!list) {
		ret = -ENOMEM;
		goto err_devs;
	}
	p = list;
	while ((path = strsep(&p, ","))) {
		if (!*path)
			continue;
		a.socket = path;
		a.may_wait = true;
		ret = vub_device_create(&a);
		if (ret)
			break;
	}
	kfree(list);
	if (!ret)
		return 0;
err_devs:
	/*
	 * As vub_bus_exit(): add first (waiting for its writers), so that
	 * no device is still being created when the others are destroyed.
	 */
	bus_remove_file(&vub_bus, &bus_attr_add);
	vub_destroy_all();
err_remove:
	bus_remove_file(&vub_bus, &bus_attr_remove);
err_drv:
	driver_unregister(&vub_driver);
err_bus:
	bus_unregister(&vub_bus);
	return ret;
}

void vub_bus_exit(void)
{
	/* Waits for writers of add/remove still running. */
	bus_remove_file(&vub_bus, &bus_attr_add);
	bus_remove_file(&vub_bus, &bus_attr_remove);
	vub_destroy_all();
	driver_unregister(&vub_driver);
	bus_unregister(&vub_bus);
	ida_destroy(&vub_ida);
}
