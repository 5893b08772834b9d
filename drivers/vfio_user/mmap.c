// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: mmap of a region's sparse-mmap areas.
 *
 * The mapping is handed to the server's region file (received at
 * bring-up) with the backing-file pattern: the vma is switched to that
 * file, with vm_pgoff translated to the region's offset in it, and the
 * file's own mmap sets it up.  The consumer then accesses the server's
 * memory directly; the mapping stays valid (and cannot be revoked)
 * until it is unmapped, like any other shared file mapping.  Trapped
 * parts of a region are only accessible with read/write.
 *
 * do_mmap() checked the VFIO device file, not the server's: the checks
 * it would make on that file are made here and at bring-up
 * (bringup.c): open for reading, not append-only, write access only for
 * a writable region whose fd is open for writing, write seals honoured
 * (the bridge holds the file's writable-mapping count, so F_SEAL_WRITE
 * cannot appear later, and F_SEAL_FUTURE_WRITE is checked here), no
 * PROT_EXEC from a noexec mount.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/shmem_fs.h>
#include "compat.h"
#include "vfio_dev.h"

/*
 * memfd_get_seals() is not exported: read the seals where memfd keeps
 * them, in the shmem or hugetlbfs inode (memfd_file_seals_ptr()).
 */
bool vub_file_write_sealed(struct file *file)
{
	struct inode *inode = file_inode(file);
	unsigned int seals = 0;

	if (IS_ENABLED(CONFIG_SHMEM) && inode->i_sb->s_magic == TMPFS_MAGIC)
		seals = READ_ONCE(SHMEM_I(inode)->seals);
#ifdef CONFIG_HUGETLBFS
	else if (inode->i_sb->s_magic == HUGETLBFS_MAGIC)
		seals = READ_ONCE(HUGETLBFS_I(inode)->seals);
#endif
	return seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE);
}

/* path_noexec(), which is not exported everywhere. */
static bool vub_path_noexec(const struct path *path)
{
	return (path->mnt->mnt_flags & MNT_NOEXEC) ||
	       (path->mnt->mnt_sb->s_iflags & SB_I_NOEXEC);
}

/* Is [off, off + len) inside one mmap area of @r (@r is mmappable)? */
static bool vub_mmap_allowed(const struct vub_region *r, u64 off, u64 len)
{
	u32 i, nr;

	if (!r->has_sparse)
		return true;		/* the whole region */
	nr = min_t(u32, r->nr_areas, VUB_MAX_SPARSE_AREAS);
	for (i = 0; i < nr; i++) {
		const struct vub_sparse_area *a = &r->areas[i];

		if (off >= a->offset && off - a->offset < a->size &&
		    len <= a->size - (off - a->offset))
			return true;
	}
	return false;
}

static int vub_vfio_mmap_locked(struct vub_device *vd,
				struct vm_area_struct *vma);

/*
 * A reconnect swaps the region files under files_sem, and refuses while
 * a file of the lost server is mapped: no mapping of it is made once
 * the connection is lost.  An upgrade (upgrade.c) refuses in the same
 * way, and no mapping is made while it runs (EBUSY).
 */
int vub_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct vub_device *vd = to_vub_vfio(vdev)->vd;
	int ret;

	down_read(&vd->files_sem);
	if (vd->upgrading)
		ret = -EBUSY;	/* the region files are about to change */
	else if (vub_state(vd) == VUB_STATE_READY)
		ret = vub_vfio_mmap_locked(vd, vma);
	else
		ret = -EIO;
	up_read(&vd->files_sem);
	return ret;
}

static int vub_vfio_mmap_locked(struct vub_device *vd,
				struct vm_area_struct *vma)
{
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 off = pos & VUB_OFFSET_MASK;
	u64 index = vma->vm_pgoff >> (VUB_OFFSET_SHIFT - PAGE_SHIFT);
	u64 len = vma->vm_end - vma->vm_start;
	const struct vub_region *r;
	struct file *file;
	bool can_write, sealed;
	u64 file_off;

	if (index >= VUB_MAX_REGIONS)
		return -EINVAL;
	r = vub_vfio_region(vd, index);
	if (!r || !(r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	file = vub_vfio_region_file(vd, index);
	if (!file)
		return -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off >= r->size || len > r->size - off)
		return -EINVAL;
	if (!vub_mmap_allowed(r, off, len))
		return -EINVAL;		/* trapped: use read/write */
	if (check_add_overflow(r->offset, off, &file_off) ||
	    !PAGE_ALIGNED(file_off) || file_off + len < file_off)
		return -EINVAL;

	if ((vma->vm_flags & VM_READ) &&
	    !(r->flags & VFIO_USER_REGION_INFO_FLAG_READ))
		return -EACCES;
	/*
	 * region_writable: a writable region, its fd open for writing and
	 * unsealed at bring-up.  As do_mmap(): -EPERM for a sealed file,
	 * -EACCES for one that cannot be written.
	 */
	sealed = vub_file_write_sealed(file);
	can_write = (r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE) &&
		    test_bit(index, vd->region_writable) && !sealed;
	if (vma->vm_flags & VM_WRITE) {
		if (!can_write)
			return sealed ? -EPERM : -EACCES;
	} else if (!can_write) {
		/* No later mprotect(PROT_WRITE) either. */
		vub_vm_flags_clear(vma, VM_MAYWRITE);
	}
	if (vub_path_noexec(&file->f_path)) {
		if (vma->vm_flags & VM_EXEC)
			return -EPERM;
		vub_vm_flags_clear(vma, VM_MAYEXEC);
	}

	vma->vm_pgoff = file_off >> PAGE_SHIFT;
	vma_set_file(vma, file);
	return vub_file_mmap(file, vma);
}
