/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VFIO set-up every consumer test does: container, group, IOMMU
 * type, device fd, through the public uAPI only (vfio-open.c).
 */
#ifndef VFIO_OPEN_H
#define VFIO_OPEN_H

#include <limits.h>
#include <stddef.h>

struct vfio_open {
	int container;
	int group;
	int device;
	char group_path[PATH_MAX];	/* /dev/vfio/N */
};

/*
 * Open the device @name whose sysfs directory is @sysfs_dir (NULL: on
 * the vfio-user bus, /sys/bus/vfio-user/devices/@name): a container
 * that knows @iommu_type, the device's group (viable), the group set
 * to the container, the IOMMU type set and the device fd.  Returns 0,
 * or -1 with errno and *@why naming the step that failed; the fds
 * opened so far are left in @v for vfio_close() either way.
 */
int vfio_open(struct vfio_open *v, const char *sysfs_dir, const char *name,
	      unsigned long iommu_type, const char **why);

/* Open /dev/vfio/N of the device's group into @v->group_path; an fd. */
int vfio_open_group(struct vfio_open *v, const char *sysfs_dir,
		    const char *name);

/* Close what vfio_open() opened (device, group, container); -1 them. */
void vfio_close(struct vfio_open *v);

#endif
