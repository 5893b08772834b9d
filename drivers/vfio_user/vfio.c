// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: the VFIO device exposed for each connected vfio-user server.
 */
#include "vub.h"

int vub_vfio_register(struct vub_device *vd)
{
	return 0;
}

void vub_vfio_unregister(struct vub_device *vd)
{
}

void vub_vfio_broken(struct vub_device *vd)
{
}

int vub_dma_handle(struct vub_device *vd, const struct vfio_user_header *hdr,
		   void *payload, size_t len)
{
	return vub_send_reply(vd, hdr, EFAULT, NULL, 0, NULL, 0);
}
