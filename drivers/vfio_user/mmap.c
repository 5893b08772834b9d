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
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include "compat.h"
#include "vfio_dev.h"

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

int vub_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct vub_device *vd = to_vub_vfio(vdev)->vd;
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 off = pos & VUB_OFFSET_MASK;
	u64 index = vma->vm_pgoff >> (VUB_OFFSET_SHIFT - PAGE_SHIFT);
	u64 len = vma->vm_end - vma->vm_start;
	const struct vub_region *r;
	struct file *file;
	u64 file_off;

	if (index >= VUB_MAX_REGIONS)
		return -EINVAL;
	r = vub_vfio_region(vd, index);
	if (!r || !(r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) ||
	    !vd->region_files || !vd->region_files[index])
		return -EINVAL;
	file = vd->region_files[index];

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
	if (vma->vm_flags & VM_WRITE) {
		if (!(r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE) ||
		    !(file->f_mode & FMODE_WRITE))
			return -EACCES;
	} else if (!(r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE) ||
		   !(file->f_mode & FMODE_WRITE)) {
		/* No later mprotect(PROT_WRITE) either. */
		vub_vm_flags_clear(vma, VM_MAYWRITE);
	}

	vma->vm_pgoff = file_off >> PAGE_SHIFT;
	vma_set_file(vma, file);
	return vub_file_mmap(file, vma);
}
