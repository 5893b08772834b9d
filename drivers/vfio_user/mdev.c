// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user_mdev: the mdev front-end of vfio_user (Documentation/mdev.rst).
 *
 * A vfio-user device added with frontend=mdev is an mdev parent with one
 * type, vfio-user-pci (driver name "vfio-user" + "pci"), offered for PCI
 * devices only; one instance at a time.  Creating the mdev registers the
 * bridge's usual VFIO device (vfio.c) with the mdev as its parent, so
 * QEMU's sysfsdev=/sys/bus/mdev/devices/UUID, libvirt's <hostdev
 * type='mdev'> and mdevctl work with bridged servers.
 *
 * A separate module, so that vfio_user.ko loads on kernels without
 * CONFIG_VFIO_MDEV.  Loading it binds the devices that wait for it;
 * unloading it removes their mdevs (asking consumers to let go with the
 * REQ interrupt) and leaves the devices unbound.
 */
#define pr_fmt(fmt) "vfio-user-mdev: " fmt

#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vub.h"

/*
 * Per parent.  Freed with the vfio-user device (vub_device_own()): the
 * type's kobject keeps a reference on the parent device and may outlive
 * mdev_unregister_parent().
 */
struct vub_mdev_parent {
	struct vub_owned owned;		/* first: kfree()d by the core */
	struct mdev_parent parent;
	struct mdev_type type;
	struct mdev_type *types[1];
	struct vub_device *vd;
	struct vub_pci_ids ids;
	char pretty_name[64];
};

static struct mdev_driver vub_mdev_driver;

static struct vub_mdev_parent *to_vub_mdev_parent(struct mdev_type *mtype)
{
	return container_of(mtype, struct vub_mdev_parent, type);
}

static int vub_mdev_probe(struct mdev_device *mdev)
{
	struct vub_mdev_parent *mp = to_vub_mdev_parent(mdev->type);
	struct vub_device *vd = mp->vd;
	int ret;

	if (!vub_device_ready(vd)) {
		dev_err(&vd->dev, "mdev %pUl: the device is not ready (see its state and broken_reason)\n",
			&mdev->uuid);
		return -EIO;
	}
	ret = vub_vfio_register_on(vd, &mdev->dev);
	if (ret) {
		dev_err(&vd->dev, "mdev %pUl: cannot register the VFIO device: %pe\n",
			&mdev->uuid, ERR_PTR(ret));
		return ret;
	}
	dev_set_drvdata(&mdev->dev, vd);
	dev_info(&vd->dev, "mdev %pUl created, VFIO group /dev/vfio/%d\n",
		 &mdev->uuid, vub_vfio_group_id(vd));
	return 0;
}

/* Waits for the consumer to close the device (REQ asks it to). */
static void vub_mdev_remove(struct mdev_device *mdev)
{
	struct vub_device *vd = dev_get_drvdata(&mdev->dev);

	vub_vfio_unregister(vd);
	dev_info(&vd->dev, "mdev %pUl removed\n", &mdev->uuid);
}

static ssize_t vub_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct vub_mdev_parent *mp = to_vub_mdev_parent(mtype);
	const struct vub_pci_ids *ids = &mp->ids;

	return sysfs_emit(buf,
			  "vfio-user server %s: PCI %04x:%04x subsystem %04x:%04x class %06x, %u regions, %u irq indexes\n",
			  mp->vd->socket_path, ids->vendor, ids->device,
			  ids->subsystem_vendor, ids->subsystem_device,
			  ids->class, mp->vd->info.num_regions,
			  mp->vd->info.num_irqs);
}

static struct mdev_driver vub_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = 1,
	.probe = vub_mdev_probe,
	.remove = vub_mdev_remove,
	.show_description = vub_mdev_show_description,
	.driver = {
		.name = "vfio_user_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
};

/* The bus driver's probe, device lock held. */
static int vub_mdev_attach(struct vub_device *vd)
{
	struct vub_mdev_parent *mp;
	int ret;

	if (!(vd->info.flags & VFIO_USER_DEVICE_FLAGS_PCI)) {
		dev_err(&vd->dev, "frontend=mdev: the server's device is not PCI (flags %#x); only vfio-pci mdevs are offered\n",
			vd->info.flags);
		return -EOPNOTSUPP;
	}
	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	if (!mp)
		return -ENOMEM;
	mp->vd = vd;
	ret = vub_read_pci_ids(vd, &mp->ids);
	if (ret) {
		dev_err(&vd->dev, "frontend=mdev: cannot read the PCI ids: %pe\n",
			ERR_PTR(ret));
		kfree(mp);
		return ret;
	}
	snprintf(mp->pretty_name, sizeof(mp->pretty_name),
		 "vfio-user PCI %04x:%04x", mp->ids.vendor, mp->ids.device);
	mp->type.sysfs_name = "pci";
	mp->type.pretty_name = mp->pretty_name;
	mp->types[0] = &mp->type;
	/* From here on the memory goes with the device. */
	vub_device_own(vd, &mp->owned);
	ret = mdev_register_parent(&mp->parent, &vd->dev, &vub_mdev_driver,
				   mp->types, ARRAY_SIZE(mp->types));
	if (ret) {
		dev_err(&vd->dev, "frontend=mdev: cannot register the mdev parent: %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	vd->frontend_priv = mp;
	return 0;
}

/* The bus driver's remove, device lock held. */
static void vub_mdev_detach(struct vub_device *vd)
{
	struct vub_mdev_parent *mp = vd->frontend_priv;

	/* Removes the mdev, waiting for its consumer to close it. */
	mdev_unregister_parent(&mp->parent);
	vd->frontend_priv = NULL;
}

static const struct vub_mdev_ops vub_mdev_ops = {
	.attach = vub_mdev_attach,
	.detach = vub_mdev_detach,
};

static int __init vub_mdev_init(void)
{
	int ret;

	ret = mdev_register_driver(&vub_mdev_driver);
	if (ret)
		return ret;
	ret = vub_mdev_register(&vub_mdev_ops);
	if (ret) {
		mdev_unregister_driver(&vub_mdev_driver);
		return ret;
	}
	return 0;
}

static void __exit vub_mdev_exit(void)
{
	vub_mdev_unregister(&vub_mdev_ops);
	mdev_unregister_driver(&vub_mdev_driver);
}

module_init(vub_mdev_init);
module_exit(vub_mdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-user client bridge: mdev front-end (mdevctl, libvirt)");
