/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user: the server's ioeventfds (ioeventfd.c), shared by
 * bringup.c (collecting them), region.c (using them) and bus.c
 * (releasing them).
 */
#ifndef _VFIO_USER_IOEVENTFD_H
#define _VFIO_USER_IOEVENTFD_H

#include <linux/types.h>
#include "vub.h"

struct file;

/**
 * vub_ioeventfd_wanted() - ask the server for this region's io fds?
 * @vd: the device, during bring-up
 * @index: a region index the server described
 *
 * Context: bring-up.
 * Return: true for a writable BAR (any writable region of a non-PCI
 * device) while the ioeventfds module parameter is on.
 */
bool vub_ioeventfd_wanted(struct vub_device *vd, u32 index);

/**
 * vub_ioeventfd_add() - keep the ioeventfds of one validated reply
 * @vd: the device, during bring-up
 * @index: the region
 * @io: the entries, checked by vub_check_region_io_fds()
 * @count: their number, at most %VUB_MAX_IO_FDS
 * @files: the fds that came with the reply
 * @nr_files: their number, at most %VUB_MAX_IO_FDS
 *
 * If an fd an entry uses is not an eventfd, nothing of the region is
 * kept (logged).  ioregionfd and shadow entries are skipped; fds no
 * entry uses are counted in stats/unexpected_fds.  The caller keeps
 * its references to @files.
 *
 * Context: bring-up, process context.
 * Return: 0 (also when the reply was ignored) or -ENOMEM.
 */
int vub_ioeventfd_add(struct vub_device *vd, u32 index,
		      const struct vub_io_fd *io, u32 count,
		      struct file *const *files, u32 nr_files);

/**
 * vub_ioeventfd_free() - release every ioeventfd of the device
 * @vd: the device
 *
 * Context: bring-up failure or the device's release.
 */
void vub_ioeventfd_free(struct vub_device *vd);

/**
 * vub_ioeventfd_count() - how many ioeventfds the device uses
 * @vd: the device
 *
 * Return: the number (fixed after bring-up).
 */
unsigned int vub_ioeventfd_count(struct vub_device *vd);

/**
 * vub_ioeventfd_write() - a consumer write, through an ioeventfd?
 * @vd: the device
 * @index: the region
 * @off: offset in the region
 * @ubuf: the consumer's data
 * @count: its length
 *
 * Context: process context (the consumer's write).
 * Return: @count if an ioeventfd was signalled instead of a message, 0
 * if the write must go as a message, -EIO (device not ready) or
 * -EFAULT.
 */
ssize_t vub_ioeventfd_write(struct vub_device *vd, u32 index, u64 off,
			    const char __user *ubuf, size_t count);

#endif /* _VFIO_USER_IOEVENTFD_H */
