// SPDX-License-Identifier: GPL-2.0
#include <linux/vfio.h>
void t(struct vfio_device *d) { vfio_free_device(d); }
