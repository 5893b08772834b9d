/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels we build for (Debian 6.1,
 * 6.12, 7.x), decided by compile probes (scripts/conftest.sh writes
 * vub_conftest.h), never by version numbers: distributions backport.
 */
#ifndef _VFIO_USER_COMPAT_H
#define _VFIO_USER_COMPAT_H

#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include "vub_conftest.h"

#ifndef VUB_HAVE_ITER_DEST
#define ITER_DEST	READ
#define ITER_SOURCE	WRITE
#endif

static inline void vub_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VUB_HAVE_EVENTFD_SIGNAL_ONE_ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Take an fd out of current->files and return its reference, or NULL. */
static inline struct file *vub_file_close_fd(unsigned int fd)
{
#if defined(VUB_HAVE_FILE_CLOSE_FD)
	return file_close_fd(fd);
#elif defined(VUB_HAVE_CLOSE_FD_GET_FILE)
	return close_fd_get_file(fd);
#else
#error "neither file_close_fd() nor close_fd_get_file() is available"
#endif
}

static inline void vub_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
#ifdef VUB_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* vm_flags_clear() arrived together with vm_flags_set(). */
static inline void vub_vm_flags_clear(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
#ifdef VUB_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* Drop the lock a ->fault handler was called with (before VM_FAULT_RETRY). */
static inline void vub_release_fault_lock(struct vm_fault *vmf)
{
#ifdef VUB_HAVE_RELEASE_FAULT_LOCK
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
}

#ifndef VUB_HAVE_VMF_INSERT_PFN_PROT
#error "vmf_insert_pfn_prot() is not available"
#endif

/*
 * Whether @file can be mmap()ed: since 6.17 a file may implement
 * f_op->mmap_prepare instead of f_op->mmap (shmem and memfd do), and
 * can_mmap_file() knows both.
 */
static inline bool vub_file_can_mmap(struct file *file)
{
#ifdef VUB_HAVE_CAN_MMAP_FILE
	return can_mmap_file(file);
#else
	return file->f_op->mmap;
#endif
}

/* Call @file's own mmap for @vma (backing-file pattern). */
static inline int vub_file_mmap(struct file *file, struct vm_area_struct *vma)
{
#if defined(VUB_HAVE_VFS_MMAP)
	return vfs_mmap(file, vma);
#elif defined(VUB_HAVE_CALL_MMAP)
	return call_mmap(file, vma);
#else
#error "neither vfs_mmap() nor call_mmap() is available"
#endif
}

/* struct bus_type callbacks changed constness in 6.3 / 6.11. */
#ifdef VUB_HAVE_BUS_MATCH_CONST_DRV
#define vub_bus_match_drv_t	const struct device_driver
#else
#define vub_bus_match_drv_t	struct device_driver
#endif
#ifdef VUB_HAVE_BUS_UEVENT_CONST_DEV
#define vub_bus_uevent_dev_t	const struct device
#else
#define vub_bus_uevent_dev_t	struct device
#endif

#endif /* _VFIO_USER_COMPAT_H */
