// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user front-ends: how a connected device reaches VFIO consumers.
 *
 *   bus   the vfio_device hangs off the vfio-user device itself
 *         (/sys/bus/vfio-user/devices/NAME, vfio.c);
 *   mdev  the vfio-user device is an mdev parent with one type,
 *         vfio-user-pci; creating the mdev registers the vfio_device on
 *         it (/sys/bus/mdev/devices/UUID).  The mdev code is
 *         vfio_user_mdev.ko, so that this module loads on kernels
 *         without CONFIG_VFIO_MDEV; it registers its ops here.
 *
 * The front-end is chosen per device at add time ("frontend=", default
 * the "frontend" module parameter) and never changes: one connection
 * is never reachable through two VFIO devices.  A device that wants the
 * mdev front-end matches the bus driver only while vfio_user_mdev is
 * loaded: loading it binds such devices (bus_rescan_devices()),
 * unloading it unbinds them, which removes their mdevs.
 */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio.h>

#include "vub.h"

static DEFINE_MUTEX(vub_mdev_lock);
/* Under vub_mdev_lock; stable while a device is bound (see below). */
static const struct vub_mdev_ops *vub_mdev_ops;
static bool vub_mdev_going;

int vub_default_frontend = VUB_FRONTEND_BUS;

static const char *const vub_frontend_names[] = {
	[VUB_FRONTEND_BUS]	= "bus",
	[VUB_FRONTEND_MDEV]	= "mdev",
};

/**
 * vub_frontend_name() - a front-end's name, as "frontend=" takes it
 * @fe: the front-end
 *
 * Return: a static string.
 */
const char *vub_frontend_name(enum vub_frontend fe)
{
	return fe < ARRAY_SIZE(vub_frontend_names) ?
	       vub_frontend_names[fe] : "?";
}

/**
 * vub_frontend_parse() - parse "bus" or "mdev"
 * @s: the string (a trailing newline is ignored)
 * @fe: the result
 *
 * Return: 0, or -EINVAL for anything else.
 */
int vub_frontend_parse(const char *s, enum vub_frontend *fe)
{
	int i = sysfs_match_string(vub_frontend_names, s);

	if (i < 0)
		return -EINVAL;
	*fe = i;
	return 0;
}

static int vub_param_set_frontend(const char *val,
				  const struct kernel_param *kp)
{
	enum vub_frontend fe;

	if (vub_frontend_parse(val, &fe)) {
		pr_err("%s=%.*s refused: bus or mdev\n",
		       kp->name, (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(*(int *)kp->arg, fe);
	return 0;
}

static int vub_param_get_frontend(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 vub_frontend_name(READ_ONCE(*(int *)kp->arg)));
}

static const struct kernel_param_ops vub_frontend_param_ops = {
	.set = vub_param_set_frontend,
	.get = vub_param_get_frontend,
};

module_param_cb(frontend, &vub_frontend_param_ops, &vub_default_frontend,
		0644);
MODULE_PARM_DESC(frontend, "Default front-end of new devices: bus (a VFIO device on the vfio-user device, the default) or mdev (an mdev parent, needs vfio_user_mdev)");

/**
 * vub_mdev_available() - may a device with the mdev front-end bind?
 *
 * Context: any process context (the bus match).
 * Return: true while vfio_user_mdev is registered and not going away.
 */
bool vub_mdev_available(void)
{
	bool ok;

	mutex_lock(&vub_mdev_lock);
	ok = vub_mdev_ops && !vub_mdev_going;
	mutex_unlock(&vub_mdev_lock);
	return ok;
}

/**
 * vub_mdev_request_module() - load vfio_user_mdev if it is not loaded
 *
 * Context: a process adding a device (never module init: the module
 * loader would wait for this module's own init).
 */
void vub_mdev_request_module(void)
{
	if (!vub_mdev_available())
		request_module("vfio_user_mdev");
}

/**
 * vub_frontend_probe() - attach the device's front-end
 * @vd: the device, bound to the bus driver right now
 *
 * Context: the bus driver's probe, device lock held.
 * Return: 0 or -errno.
 */
int vub_frontend_probe(struct vub_device *vd)
{
	const struct vub_mdev_ops *ops;
	int ret = -ENODEV;

	if (vd->frontend == VUB_FRONTEND_BUS)
		return vub_vfio_register_on(vd, &vd->dev);

	/*
	 * vub_mdev_unregister() sets "going", then unbinds every device
	 * on the bus (waiting for the device lock, which we hold) before
	 * it clears the ops: they stay valid through this attach and
	 * until our remove has run.  No global lock is held while the
	 * attach talks to the server.
	 */
	mutex_lock(&vub_mdev_lock);
	ops = vub_mdev_going ? NULL : vub_mdev_ops;
	mutex_unlock(&vub_mdev_lock);
	if (ops)
		ret = ops->attach(vd);
	vd->frontend_attached = !ret;
	return ret;
}

/**
 * vub_frontend_remove() - detach the device's front-end
 * @vd: the device
 *
 * Waits for a consumer of the VFIO device to close it.
 *
 * Context: the bus driver's remove, device lock held.
 */
void vub_frontend_remove(struct vub_device *vd)
{
	if (vd->frontend == VUB_FRONTEND_BUS) {
		vub_vfio_unregister(vd);
		return;
	}
	if (vd->frontend_attached)
		vub_mdev_ops->detach(vd);
	vd->frontend_attached = false;
}

/**
 * vub_mdev_register() - vfio_user_mdev offers the mdev front-end
 * @ops: its attach and detach
 *
 * Binds the devices that wait for it.
 *
 * Context: vfio_user_mdev's init.
 * Return: 0, or -EBUSY if registered already.
 */
int vub_mdev_register(const struct vub_mdev_ops *ops)
{
	mutex_lock(&vub_mdev_lock);
	if (vub_mdev_ops) {
		mutex_unlock(&vub_mdev_lock);
		return -EBUSY;
	}
	vub_mdev_ops = ops;
	mutex_unlock(&vub_mdev_lock);
	/* A device that does not attach stays unbound; not our failure. */
	if (vub_bus_rescan())
		pr_warn("mdev: some devices could not be bound\n");
	return 0;
}
EXPORT_SYMBOL_GPL(vub_mdev_register);

static int vub_mdev_unbind(struct device *dev, void *data)
{
	struct vub_device *vd = to_vub_device(dev);

	if (vd->frontend == VUB_FRONTEND_MDEV)
		device_release_driver(dev);
	return 0;
}

/**
 * vub_mdev_unregister() - vfio_user_mdev goes away
 * @ops: what it registered
 *
 * Unbinds every device with the mdev front-end, which removes its mdev
 * (waiting for a consumer to close it, which REQ asks for).  The
 * devices stay, unbound, until vfio_user_mdev is loaded again.
 *
 * Context: vfio_user_mdev's exit.
 */
void vub_mdev_unregister(const struct vub_mdev_ops *ops)
{
	mutex_lock(&vub_mdev_lock);
	if (WARN_ON(vub_mdev_ops != ops)) {
		mutex_unlock(&vub_mdev_lock);
		return;
	}
	vub_mdev_going = true;
	mutex_unlock(&vub_mdev_lock);

	/* Probes from now on fail; a probe in flight finishes first. */
	vub_bus_for_each(vub_mdev_unbind);

	mutex_lock(&vub_mdev_lock);
	vub_mdev_ops = NULL;
	vub_mdev_going = false;
	mutex_unlock(&vub_mdev_lock);
}
EXPORT_SYMBOL_GPL(vub_mdev_unregister);

/**
 * vub_device_own() - free memory together with the device
 * @vd: the device
 * @mem: a kmalloc()ed block starting with a struct vub_owned
 *
 * For front-end memory that sysfs objects may reference until the
 * device's release (an mdev type's kobject holds a reference on its
 * parent device, and the type lives in the front-end's memory).
 *
 * Context: the bus driver's probe, device lock held.
 */
void vub_device_own(struct vub_device *vd, struct vub_owned *mem)
{
	list_add(&mem->node, &vd->owned);
}
EXPORT_SYMBOL_GPL(vub_device_own);

/**
 * vub_device_free_owned() - free what vub_device_own() took
 * @vd: the device
 *
 * Context: the device's release function.
 */
void vub_device_free_owned(struct vub_device *vd)
{
	struct vub_owned *mem, *tmp;

	list_for_each_entry_safe(mem, tmp, &vd->owned, node) {
		list_del(&mem->node);
		kfree(mem);
	}
}

void vub_pci_ids_decode(const u8 *c, struct vub_pci_ids *ids)
{
	ids->vendor = c[0] | c[1] << 8;
	ids->device = c[2] | c[3] << 8;
	ids->class = c[9] | c[10] << 8 | c[11] << 16;
	ids->subsystem_vendor = c[44] | c[45] << 8;
	ids->subsystem_device = c[46] | c[47] << 8;
}

/**
 * vub_read_pci_ids() - read a PCI device's ids from its config space
 * @vd: a READY device with %VFIO_USER_DEVICE_FLAGS_PCI
 * @ids: the result (only shown to the administrator)
 *
 * Context: process context, sleeps (one REGION_READ).
 * Return: 0 or -errno.
 */
int vub_read_pci_ids(struct vub_device *vd, struct vub_pci_ids *ids)
{
	struct vfio_user_region_access req, *rep;
	size_t rlen = 0, replen = sizeof(*rep) + 48;
	struct vub_err err;
	u32 got = 0;
	int ret;

	if (!(vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI))
		return -ENODEV;
	rep = kzalloc(replen, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	ret = vub_request(vd, VFIO_USER_REGION_READ, &req,
			  vub_build_region_access(&req,
						  VFIO_PCI_CONFIG_REGION_INDEX,
						  0, 48),
			  NULL, 0, rep, replen, &rlen);
	if (!ret)
		ret = vub_check_region_read_reply(&req, rep, rlen, &got, &err);
	if (!ret && got < 48)
		ret = -EIO;
	if (!ret)
		vub_pci_ids_decode(rep->data, ids);
	kfree(rep);
	return ret;
}
EXPORT_SYMBOL_GPL(vub_read_pci_ids);

/**
 * vub_device_ready() - may a VFIO device be created for the device?
 * @vd: the device
 *
 * Context: any.
 * Return: true if it is READY (not broken, not being removed).
 */
bool vub_device_ready(struct vub_device *vd)
{
	return vub_state(vd) == VUB_STATE_READY;
}
EXPORT_SYMBOL_GPL(vub_device_ready);
