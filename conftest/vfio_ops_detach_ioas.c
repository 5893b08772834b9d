// SPDX-License-Identifier: GPL-2.0
#include <linux/vfio.h>
struct vfio_device_ops t = { .detach_ioas = NULL };
