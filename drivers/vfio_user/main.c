// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: expose vfio-user servers as VFIO devices.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#define VFIO_USER_DRV_VERSION	"0.1.0"

static int __init vfio_user_init(void)
{
	pr_info("vfio-user bridge version " VFIO_USER_DRV_VERSION " loaded\n");
	return 0;
}

static void __exit vfio_user_exit(void)
{
	pr_info("vfio-user bridge unloaded\n");
}

module_init(vfio_user_init);
module_exit(vfio_user_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-user client bridge: vfio-user servers as VFIO devices");
MODULE_VERSION(VFIO_USER_DRV_VERSION);
MODULE_SOFTDEP("pre: vfio vfio_iommu_type1");
