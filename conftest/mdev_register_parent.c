// SPDX-License-Identifier: GPL-2.0
#include <linux/mdev.h>
static struct mdev_driver d = { .max_instances = 1 };
int t(struct mdev_parent *p, struct device *dev, struct mdev_type **types)
{
	return mdev_register_parent(p, dev, &d, types, 1);
}
