// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO set-up shared by the consumer tests (vfio-open.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "vfio-open.h"

int vfio_open_group(struct vfio_open *v, const char *sysfs_dir,
		    const char *name)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *grp;
	ssize_t n;

	/* A name on the vfio-user bus, or a device's sysfs path (an mdev). */
	if (sysfs_dir)
		snprintf(path, sizeof(path), "%s/iommu_group", sysfs_dir);
	else
		snprintf(path, sizeof(path),
			 "/sys/bus/vfio-user/devices/%s/iommu_group", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	grp = strrchr(link, '/');
	if (snprintf(v->group_path, sizeof(v->group_path), "/dev/vfio/%s",
		     grp ? grp + 1 : link) >= (int)sizeof(v->group_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(v->group_path, O_RDWR);
}

int vfio_open(struct vfio_open *v, const char *sysfs_dir, const char *name,
	      unsigned long iommu_type, const char **why)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	v->group = -1;
	v->device = -1;
	*why = "/dev/vfio/vfio";
	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0)
		return -1;
	*why = "VFIO_GET_API_VERSION";
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -1;
	*why = "VFIO_CHECK_EXTENSION";
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, iommu_type) <= 0)
		return -1;
	*why = "group open";
	v->group = vfio_open_group(v, sysfs_dir, name);
	if (v->group < 0)
		return -1;
	*why = "group not viable";
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -1;
	*why = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return -1;
	*why = "VFIO_SET_IOMMU";
	if (ioctl(v->container, VFIO_SET_IOMMU, iommu_type))
		return -1;
	*why = "VFIO_GROUP_GET_DEVICE_FD";
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, name);
	return v->device < 0 ? -1 : 0;
}

void vfio_close(struct vfio_open *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = -1;
	v->group = -1;
	v->container = -1;
}
