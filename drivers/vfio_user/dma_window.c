// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: direct DMA, the window file (dma=mmap).
 *
 * The bridge hands the server one file per device with its DMA_MAP
 * windows.  File offset = IOVA.  The server mmap()s it (MAP_SHARED
 * only) and its loads and stores reach the consumer's memory with no
 * message and no copy:
 *
 * - The file lives on a private pseudo-filesystem inode, so revoking
 *   (unmap_mapping_range() on its mapping) only ever touches the
 *   server's mappings of this window.
 * - The VMA is VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
 *   VM_DONTCOPY: GUP refuses it, so O_DIRECT, process_vm_readv(),
 *   vmsplice() or the server's own VFIO cannot take (long-term)
 *   references to the consumer's pages, and the PTEs hold no page
 *   references: zapping them is all it takes to cut the server off.
 * - A fault pins the consumer's pages with vfio_pin_pages() (type1
 *   pins through the consumer's mm from any process), then maps their
 *   pfns.  Pinning takes the consumer's mmap_lock and type1's
 *   iommu->lock, so it never runs under the server's mmap_lock: the
 *   first try drops the fault lock, pins (a whole 2 MiB chunk at a
 *   time when it can) and returns VM_FAULT_RETRY; the retried fault
 *   maps what is pinned.  A pin that fails leaves an error mark that
 *   the retried fault turns into SIGBUS.
 * - Pages the consumer mapped read-only get read-only PTEs;
 *   ->pfn_mkwrite refuses to make them writable (SIGBUS).
 * - An IOVA the consumer has not mapped is SIGBUS for the server, as
 *   is any access while the device is closed.  A scratch page is not
 *   safe here: the bridge is never told when the consumer maps an IOVA
 *   (there is no map notification), so a scratch PTE could never be
 *   replaced and the server would go on seeing zeros, and losing its
 *   writes, after the consumer mapped real memory there.
 *
 * Revocation (ops->dma_unmap, close_device): tombstone the range (no
 * new pins), wait for the pins in flight over it, mark its pins as
 * revoking (faults no longer map them), zap the server's PTEs, then
 * unpin, synchronously.  See "Why type1 cannot BUG()" below.
 *
 * Pins are charged by type1 to the consumer's RLIMIT_MEMLOCK; beyond
 * it the pin fails and the server's access is SIGBUS, never a hang.
 *
 * Locking: vub_vfio.dma_sem (read) keeps the device open across a pin
 * (close_device takes it for writing); dmaw_lock protects the pin
 * table, the pinners in flight and the tombstones, and is the only lock
 * taken under the server's mmap_lock.  No lock is held across
 * vfio_pin_pages() or vfio_unpin_pages() that the fault path takes
 * under mmap_lock.
 *
 * Why type1 cannot BUG().  type1's vfio_dma_do_unmap() checks the
 * range's pins under its iommu->lock; while any remain it drops that
 * lock (holding its device_list_lock instead), calls every device's
 * ->dma_unmap, retakes iommu->lock and looks again, and BUG()s after
 * ten rounds on one range.  Every pin is created under iommu->lock
 * (inside vfio_pin_pages()), so what matters is which pins exist when
 * the callback returns and which can be created before type1 looks
 * again:
 *
 * 1. A pinner registers (range, in dmaw_pinners) under dmaw_lock only
 *    if no live tombstone overlaps its range; the revocation adds its
 *    tombstone under the same lock.  So each pinner either registered
 *    before the tombstone, and the revocation waits for it, or sees the
 *    tombstone and never calls vfio_pin_pages().
 * 2. A registered pinner, once vfio_pin_pages() returns, takes
 *    dmaw_lock: with no tombstone over its range it enters its pins in
 *    the table (where the revocation, which scans after its wait, finds
 *    and unpins them); with one it unpins them itself.  Only then does
 *    it unregister.
 * 3. The revocation waits for the pinners over its range with no
 *    deadline.  A pinner's critical section is vfio_pin_pages() or
 *    vfio_unpin_pages(): it needs type1's iommu->lock and the consumer's
 *    mmap_lock, which are exactly what the callback's own
 *    vfio_unpin_pages() needs (type1 accounts the unpin under the
 *    consumer's mmap_lock), and nothing else: it holds dma_sem for
 *    reading (taken before it registers) and never waits for a
 *    revocation, device_list_lock, or the server.  Waiting for it adds
 *    no lock dependency that type1's own protocol does not have.  (One
 *    assumption: faulting in the consumer's memory does not wait for
 *    the server, as it would if that memory were a FUSE file the server
 *    itself serves while touching the range being revoked.)
 *    Pinners over other ranges are not waited for, so a stream of
 *    faults elsewhere cannot starve the callback.
 * 4. So when the callback returns, none of our pins is left in the
 *    range, and no pinner can create one while the tombstone lives.
 *    The tombstone outlives the callback by VUB_DMAW_TOMB_MS, to cover
 *    type1 retaking iommu->lock and removing the range; type1 gives no
 *    event for that.  A fault that pins after the tombstone expired and
 *    before type1 looked again (its thread stalled for that long) costs
 *    one more round, which unpins it again; a BUG would take eleven such
 *    stalls in a row.
 *
 * close_device needs no tombstone: it takes dma_sem for writing first,
 * which waits for every pinner and keeps new ones out.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include "compat.h"
#include "trace.h"
#include "vfio_dev.h"

#define VUB_DMAW_MAGIC		0x76756477	/* "vudw" */
#define VUB_DMAW_CHUNK		512		/* pages pinned per fault */
#define VUB_DMAW_TOMB_MS	100		/* no pins after a revoke */
#define VUB_DMAW_WAIT_MS	10		/* a fault's nap in a tombstone */
#define VUB_DMAW_ERR_MS		1000		/* life of a pin error mark */

/*
 * Pin table entries (xarray values, index = IOVA >> PAGE_SHIFT):
 * pfn << 3 | flags, or for an error mark jiffies << 3 | ERR.
 */
#define VUB_PIN_W		1UL	/* pinned writable */
#define VUB_PIN_REVOKING	2UL	/* being unpinned: do not map */
#define VUB_PIN_ERR		4UL	/* the pin failed: SIGBUS once */
#define VUB_PIN_SHIFT		3

/*
 * A revoked range: no pins while @busy (the revocation runs) and until
 * @expires.  @pending counts the pinners over the range that registered
 * before it, which the revocation waits for.
 */
struct vub_dmaw_tomb {
	struct list_head node;
	unsigned long first, last;	/* IOVA page numbers */
	unsigned long expires;		/* jiffies, once !busy */
	unsigned int pending;		/* pinners to wait for */
	bool busy;
};

/* A pin in flight (on the pinner's stack), in vub_vfio.dmaw_pinners. */
struct vub_dmaw_pinner {
	struct list_head node;
	unsigned long first, last;	/* IOVA page numbers */
};

static struct vfsmount *vub_dmaw_mnt;
static int vub_dmaw_mnt_count;

static int vub_dmaw_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VUB_DMAW_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: a superblock holds its filesystem's module, and every
 * device with a window pins this one (its inode) until the device is
 * released, which for most only happens in rmmod.  The window files,
 * which the server holds, take the module reference instead (fops).
 */
static struct file_system_type vub_dmaw_fs_type = {
	.name		= "vfio_user_dma",
	.init_fs_context = vub_dmaw_init_fs_context,
	.kill_sb	= kill_anon_super,
};

static inline struct vub_stats *vub_dmaw_stats(struct vub_vfio *vv)
{
	return &vv->vd->stats;
}

static void vub_dmaw_tombs_prune(struct vub_vfio *vv)
{
	struct vub_dmaw_tomb *t, *n;

	lockdep_assert_held(&vv->dmaw_lock);
	list_for_each_entry_safe(t, n, &vv->dmaw_tombs, node) {
		if (!t->busy && time_after(jiffies, t->expires)) {
			list_del(&t->node);
			kfree(t);
		}
	}
}

/*
 * How long [first, last] stays tombstoned, in jiffies (at least 1), or
 * 0 if no live tombstone overlaps it.  A running revocation counts as
 * VUB_DMAW_WAIT_MS.
 */
static unsigned long vub_dmaw_tombed(struct vub_vfio *vv, unsigned long first,
				     unsigned long last)
{
	unsigned long left = 0, l;
	struct vub_dmaw_tomb *t;

	lockdep_assert_held(&vv->dmaw_lock);
	vub_dmaw_tombs_prune(vv);
	list_for_each_entry(t, &vv->dmaw_tombs, node) {
		if (t->last < first || last < t->first)
			continue;
		l = t->busy ? msecs_to_jiffies(VUB_DMAW_WAIT_MS) :
		    max_t(long, (long)(t->expires - jiffies), 1);
		left = max(left, l);
	}
	return left;
}

/*
 * Register a pinner over [first, last]; the caller has checked that no
 * live tombstone overlaps it (under the same hold of dmaw_lock).
 */
static void vub_dmaw_pinner_add(struct vub_vfio *vv, struct vub_dmaw_pinner *p,
				unsigned long first, unsigned long last)
{
	lockdep_assert_held(&vv->dmaw_lock);
	p->first = first;
	p->last = last;
	list_add(&p->node, &vv->dmaw_pinners);
}

/*
 * The pinner is done (its pins entered in the table or released): the
 * revocations that started meanwhile over its range have one less to
 * wait for.  Every busy tombstone over the range started after the
 * pinner registered, and counted it.
 */
static void vub_dmaw_pinner_del(struct vub_vfio *vv, struct vub_dmaw_pinner *p)
{
	struct vub_dmaw_tomb *t;
	bool wake = false;

	mutex_lock(&vv->dmaw_lock);
	list_del(&p->node);
	list_for_each_entry(t, &vv->dmaw_tombs, node)
		if (t->busy && t->first <= p->last && p->first <= t->last &&
		    !WARN_ON_ONCE(!t->pending) && !--t->pending)
			wake = true;
	mutex_unlock(&vv->dmaw_lock);
	if (wake)
		wake_up_all(&vv->dmaw_wq);
}

/* Unpin @n pages from @first (IOVA page numbers), in legal batches. */
static void vub_dmaw_unpin(struct vub_vfio *vv, unsigned long first,
			   unsigned long n)
{
	while (n) {
		int k = min_t(unsigned long, n, VUB_DMAW_CHUNK);

		vfio_unpin_pages(&vv->vdev, (dma_addr_t)first << PAGE_SHIFT, k);
		atomic64_sub(k, &vub_dmaw_stats(vv)->dma_pinned);
		first += k;
		n -= k;
	}
}

/*
 * Revoke [first, last]: no new pins there (until VUB_DMAW_TOMB_MS after
 * this returns), pins in flight over it finished, PTEs zapped, then
 * every pin released.  With @tomb false (close_device), pins are
 * already impossible: dma_sem was taken for writing with dma_enabled
 * false, which drained the pinners.
 */
static void vub_dmaw_revoke_pages(struct vub_vfio *vv, unsigned long first,
				  unsigned long last, bool tomb)
{
	unsigned long idx, run_first = 0, run_n = 0;
	struct vub_dmaw_tomb *t = NULL;
	struct vub_dmaw_pinner *p;
	void *e;

	/* Small, and without it type1 could BUG(): do not fail. */
	if (tomb) {
		t = kzalloc(sizeof(*t), GFP_KERNEL | __GFP_NOFAIL);
		t->first = first;
		t->last = last;
		t->busy = true;
		mutex_lock(&vv->dmaw_lock);
		vub_dmaw_tombs_prune(vv);
		list_for_each_entry(p, &vv->dmaw_pinners, node)
			if (p->first <= last && first <= p->last)
				t->pending++;
		list_add(&t->node, &vv->dmaw_tombs);
		mutex_unlock(&vv->dmaw_lock);

		/*
		 * No deadline (see "Why type1 cannot BUG()" at the top):
		 * each of them only needs the locks our own unpin below
		 * needs.  Uninterruptible: returning early would leave pins.
		 */
		wait_event(vv->dmaw_wq, !READ_ONCE(t->pending));
	}

	mutex_lock(&vv->dmaw_lock);
	xa_for_each_range(&vv->dmaw_pins, idx, e, first, last) {
		unsigned long v = xa_to_value(e);

		if (v & VUB_PIN_ERR)
			xa_erase(&vv->dmaw_pins, idx);
		else if (!(v & VUB_PIN_REVOKING))
			xa_store(&vv->dmaw_pins, idx,
				 xa_mk_value(v | VUB_PIN_REVOKING), GFP_KERNEL);
	}
	mutex_unlock(&vv->dmaw_lock);

	/* From here the server cannot reach the pages any more ... */
	unmap_mapping_range(vv->dmaw_inode->i_mapping, (loff_t)first << PAGE_SHIFT,
			    (loff_t)(last - first + 1) << PAGE_SHIFT, 1);

	/* ... so they can be released.  Contiguous runs in one call. */
	mutex_lock(&vv->dmaw_lock);
	xa_for_each_range(&vv->dmaw_pins, idx, e, first, last) {
		if (!(xa_to_value(e) & VUB_PIN_REVOKING))
			continue;
		xa_erase(&vv->dmaw_pins, idx);
		if (run_n && idx == run_first + run_n &&
		    run_n < VUB_DMAW_CHUNK) {
			run_n++;
			continue;
		}
		if (run_n) {
			mutex_unlock(&vv->dmaw_lock);
			vub_dmaw_unpin(vv, run_first, run_n);
			mutex_lock(&vv->dmaw_lock);
		}
		run_first = idx;
		run_n = 1;
	}
	mutex_unlock(&vv->dmaw_lock);
	if (run_n)
		vub_dmaw_unpin(vv, run_first, run_n);

	if (t) {
		/* type1 retakes its lock right after we return. */
		mutex_lock(&vv->dmaw_lock);
		t->expires = jiffies + msecs_to_jiffies(VUB_DMAW_TOMB_MS);
		t->busy = false;
		mutex_unlock(&vv->dmaw_lock);
	}
}

void vub_dmaw_revoke(struct vub_vfio *vv, u64 iova, u64 length)
{
	unsigned long first, last, max;
	u64 end;

	if (!vv->dmaw_inode || !length)
		return;
	max = (vv->dmaw_size >> PAGE_SHIFT) - 1;
	first = iova >> PAGE_SHIFT;
	if (first > max)
		return;
	/* iommufd sends (0, ULONG_MAX) on detach: no overflow. */
	if (check_add_overflow(iova, length - 1, &end))
		end = U64_MAX;
	last = min_t(u64, end >> PAGE_SHIFT, max);
	vub_dmaw_revoke_pages(vv, first, last, true);
}

void vub_dmaw_close(struct vub_vfio *vv)
{
	if (!vv->dmaw_inode)
		return;
	/*
	 * Every entry, error marks included, is gone when this returns,
	 * unpinned here or by a dma_unmap callback of another consumer
	 * thread still running (each entry is erased, and unpinned, by
	 * exactly one of them): no xa_destroy() behind that one's back.
	 */
	vub_dmaw_revoke_pages(vv, 0, (vv->dmaw_size >> PAGE_SHIFT) - 1, false);
}

void vub_dmaw_freeze(struct vub_vfio *vv, bool frozen)
{
	lockdep_assert_held_write(&vv->dma_sem);
	if (!vv->dmaw_inode) {
		vv->dma_frozen = frozen;
		return;
	}
	/* A fault maps under dmaw_lock: it sees the flag or is zapped. */
	mutex_lock(&vv->dmaw_lock);
	vv->dma_frozen = frozen;
	mutex_unlock(&vv->dmaw_lock);
	if (frozen)
		unmap_mapping_range(vv->dmaw_inode->i_mapping, 0, 0, 1);
}

/* Leave an error mark: the retried fault at @idx is SIGBUS. */
static void vub_dmaw_mark_error(struct vub_vfio *vv, unsigned long idx)
{
	unsigned long now = jiffies;
	unsigned long v = now << VUB_PIN_SHIFT | VUB_PIN_ERR;

	mutex_lock(&vv->dmaw_lock);
	if (!xa_load(&vv->dmaw_pins, idx))
		xa_store(&vv->dmaw_pins, idx, xa_mk_value(v), GFP_KERNEL);
	mutex_unlock(&vv->dmaw_lock);
}

/*
 * Pin [first, first + n) (n <= VUB_DMAW_CHUNK), writable if the
 * consumer mapped it so, and enter the pins in the table.  Pages
 * another fault entered meanwhile keep that pin, ours is dropped; so
 * are all of ours if a revocation started meanwhile (-EAGAIN).
 * Returns the number of pages entered, or -errno.
 */
static int vub_dmaw_pin_range(struct vub_vfio *vv, unsigned long first,
			      int n, struct page **pages)
{
	unsigned long wflag = VUB_PIN_W, i;
	int ret, entered = 0;

	ret = vfio_pin_pages(&vv->vdev, (dma_addr_t)first << PAGE_SHIFT, n,
			     IOMMU_READ | IOMMU_WRITE, pages);
	if (ret == -EPERM) {	/* the consumer mapped it read-only */
		wflag = 0;
		ret = vfio_pin_pages(&vv->vdev, (dma_addr_t)first << PAGE_SHIFT,
				     n, IOMMU_READ, pages);
	}
	if (ret < 0)
		return ret;
	if (WARN_ON_ONCE(ret != n)) {
		if (ret > 0)
			vfio_unpin_pages(&vv->vdev,
					 (dma_addr_t)first << PAGE_SHIFT, ret);
		return -EFAULT;
	}
	atomic64_add(n, &vub_dmaw_stats(vv)->dma_pinned);

	mutex_lock(&vv->dmaw_lock);
	if (vub_dmaw_tombed(vv, first, first + n - 1)) {
		mutex_unlock(&vv->dmaw_lock);
		vub_dmaw_unpin(vv, first, n);
		return -EAGAIN;
	}
	for (i = 0; i < n; i++) {
		unsigned long v = page_to_pfn(pages[i]) << VUB_PIN_SHIFT | wflag;
		void *old = xa_load(&vv->dmaw_pins, first + i);

		if (old && !(xa_to_value(old) & VUB_PIN_ERR)) {
			pages[i] = NULL;	/* pinned twice: drop ours */
			continue;
		}
		if (xa_err(xa_store(&vv->dmaw_pins, first + i, xa_mk_value(v),
				    GFP_KERNEL)))
			pages[i] = NULL;	/* no memory: not entered */
		else
			pages[i] = ERR_PTR(-EEXIST);	/* entered */
	}
	mutex_unlock(&vv->dmaw_lock);
	for (i = 0; i < n; i++) {
		if (!pages[i])
			vub_dmaw_unpin(vv, first + i, 1);
		else
			entered++;
	}
	return entered;
}

/*
 * The chunk to pin around @idx: its 2 MiB-aligned neighbourhood within
 * [lo, hi], shrunk to the pages not already in the table, or @idx
 * alone next to a tombstone.
 */
static void vub_dmaw_chunk(struct vub_vfio *vv, unsigned long idx,
			   unsigned long lo, unsigned long hi,
			   unsigned long *first, unsigned long *n)
{
	unsigned long f = max(ALIGN_DOWN(idx, VUB_DMAW_CHUNK), lo);
	unsigned long l = min(ALIGN_DOWN(idx, VUB_DMAW_CHUNK) +
			      VUB_DMAW_CHUNK - 1, hi);
	unsigned long a = idx, b = idx;

	lockdep_assert_held(&vv->dmaw_lock);
	while (a > f && !xa_load(&vv->dmaw_pins, a - 1))
		a--;
	while (b < l && !xa_load(&vv->dmaw_pins, b + 1))
		b++;
	if (vub_dmaw_tombed(vv, a, b)) {
		a = idx;
		b = idx;
	}
	*first = a;
	*n = b - a + 1;
}

/*
 * The slow half of a fault, with no mm lock held: pin the chunk around
 * @idx.  Returns the pages it pinned (0: someone else did), -EAGAIN
 * (being revoked: retry the fault as it is), or -errno (the fault is
 * SIGBUS).
 */
static int vub_dmaw_pin(struct vub_vfio *vv, unsigned long idx,
			unsigned long lo, unsigned long hi)
{
	struct vub_dmaw_pinner pinner;
	unsigned long first, n, left;
	struct page **pages;
	int ret;

	pages = kmalloc_array(VUB_DMAW_CHUNK, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	down_read(&vv->dma_sem);
	if (!vv->dma_enabled || vv->dma_frozen) {
		up_read(&vv->dma_sem);
		kfree(pages);
		return -ENODEV;
	}
	/*
	 * Check for tombstones and register in one hold of dmaw_lock: a
	 * revocation either waits for this pinner or is seen by it.
	 */
	mutex_lock(&vv->dmaw_lock);
	left = vub_dmaw_tombed(vv, idx, idx);
	if (!left) {
		vub_dmaw_chunk(vv, idx, lo, hi, &first, &n);
		vub_dmaw_pinner_add(vv, &pinner, first, first + n - 1);
	}
	mutex_unlock(&vv->dmaw_lock);
	if (left) {
		up_read(&vv->dma_sem);
		kfree(pages);
		/* Being unmapped: nap, then the retried fault looks again. */
		set_current_state(TASK_KILLABLE);
		schedule_timeout(min_t(unsigned long, left,
				       msecs_to_jiffies(VUB_DMAW_WAIT_MS)));
		return -EAGAIN;
	}

	atomic64_inc(&vub_dmaw_stats(vv)->dma_mmap_faults);
	ret = vub_dmaw_pin_range(vv, first, n, pages);
	if (ret < 0 && ret != -EAGAIN && n > 1)	/* a hole in the chunk */
		ret = vub_dmaw_pin_range(vv, idx, 1, pages);
	vub_dmaw_pinner_del(vv, &pinner);
	up_read(&vv->dma_sem);
	kfree(pages);
	return ret;
}

static pgprot_t vub_dmaw_prot(struct vm_area_struct *vma, bool writable)
{
	if (writable && (vma->vm_flags & VM_WRITE))
		return vm_get_page_prot(vma->vm_flags);
	return vm_get_page_prot(vma->vm_flags & ~VM_WRITE);
}

/*
 * The fast half, under the server's mmap_lock: map what is pinned in
 * the faulting page's 2 MiB chunk (*@nr pages).  Returns 0 if the page
 * is not pinned yet.
 */
static vm_fault_t vub_dmaw_map(struct vub_vfio *vv, struct vm_fault *vmf,
			       unsigned long *nr)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long idx = vmf->pgoff, v, lo, hi, i;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret;
	void *e;

	mutex_lock(&vv->dmaw_lock);
	/* Stopped for migration: no access may land after the last sync. */
	if (vv->dma_frozen) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	e = xa_load(&vv->dmaw_pins, idx);
	v = e ? xa_to_value(e) : 0;
	if (!e || (v & VUB_PIN_REVOKING)) {
		ret = 0;
		goto out;
	}
	if (v & VUB_PIN_ERR) {
		xa_erase(&vv->dmaw_pins, idx);
		/* A stale mark (its fault never came back): try again. */
		ret = time_after(jiffies, (v >> VUB_PIN_SHIFT) +
				 msecs_to_jiffies(VUB_DMAW_ERR_MS)) ?
		      0 : VM_FAULT_SIGBUS;
		goto out;
	}
	if (write && !(v & VUB_PIN_W)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	ret = vmf_insert_pfn_prot(vma, vmf->address, v >> VUB_PIN_SHIFT,
				  vub_dmaw_prot(vma, v & VUB_PIN_W));
	if (ret != VM_FAULT_NOPAGE)
		goto out;
	*nr = 1;

	/* Fault-around: the rest of the chunk that is pinned already. */
	lo = max(ALIGN_DOWN(idx, VUB_DMAW_CHUNK), vma->vm_pgoff);
	hi = min(ALIGN_DOWN(idx, VUB_DMAW_CHUNK) + VUB_DMAW_CHUNK,
		 vma->vm_pgoff + vma_pages(vma)) - 1;
	xa_for_each_range(&vv->dmaw_pins, i, e, lo, hi) {
		v = xa_to_value(e);
		if (i == idx || (v & (VUB_PIN_REVOKING | VUB_PIN_ERR)))
			continue;
		if (vmf_insert_pfn_prot(vma, vma->vm_start +
					((i - vma->vm_pgoff) << PAGE_SHIFT),
					v >> VUB_PIN_SHIFT,
					vub_dmaw_prot(vma, v & VUB_PIN_W)) ==
		    VM_FAULT_NOPAGE)
			(*nr)++;
	}
out:
	mutex_unlock(&vv->dmaw_lock);
	return ret;
}

static void vub_dmaw_trace(struct vub_vfio *vv, unsigned long idx,
			   unsigned long nr, int result, int err)
{
	trace_vub_dmaw_fault(vv->vd, (u64)idx << PAGE_SHIFT,
			     (u64)nr << PAGE_SHIFT, result, err,
			     atomic64_read(&vub_dmaw_stats(vv)->dma_pinned));
}

static void vub_dmaw_sigbus(struct vub_vfio *vv, unsigned long idx, int err)
{
	vub_dmaw_trace(vv, idx, 0, VUB_DMAW_FAULT_SIGBUS, err);
	atomic64_inc(&vub_dmaw_stats(vv)->dma_mmap_sigbus);
	dev_dbg_ratelimited(&vv->vd->dev,
			    "server access to IOVA %#llx refused (%d): SIGBUS\n",
			    (u64)idx << PAGE_SHIFT, err);
	if (err == -ENOMEM)
		dev_warn_ratelimited(&vv->vd->dev,
				     "cannot pin IOVA %#llx for the server: out of memory or the consumer's RLIMIT_MEMLOCK\n",
				     (u64)idx << PAGE_SHIFT);
}

static vm_fault_t vub_dmaw_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct file *file = vma->vm_file;
	struct vub_vfio *vv = file->private_data;
	unsigned long idx = vmf->pgoff, lo, hi, nr = 0;
	vm_fault_t ret;
	int err;

	ret = vub_dmaw_map(vv, vmf, &nr);
	if (ret) {
		if (ret & VM_FAULT_SIGBUS)
			vub_dmaw_sigbus(vv, idx, -EFAULT);
		else if (nr)
			vub_dmaw_trace(vv, idx, nr, VUB_DMAW_FAULT_INSERTED, 0);
		return ret;
	}

	/*
	 * Not pinned: pin with the fault lock dropped and retry.  Callers
	 * that cannot retry (none should reach a VM_PFNMAP | VM_IO
	 * mapping) get SIGBUS; RETRY_NOWAIT keeps its lock.
	 */
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY)) {
		vub_dmaw_sigbus(vv, idx, -EAGAIN);
		return VM_FAULT_SIGBUS;
	}
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;

	lo = vma->vm_pgoff;
	hi = vma->vm_pgoff + vma_pages(vma) - 1;
	get_file(file);
	vub_release_fault_lock(vmf);
	/* vma may be gone from here on. */
	err = vub_dmaw_pin(vv, idx, lo, hi);
	if (err == -EAGAIN)
		vub_dmaw_trace(vv, idx, 0, VUB_DMAW_FAULT_WAIT, 0);
	else if (err < 0)
		vub_dmaw_mark_error(vv, idx);
	else
		vub_dmaw_trace(vv, idx, err, VUB_DMAW_FAULT_PINNED, 0);
	fput(file);
	return VM_FAULT_RETRY;
}

/* A write to a read-only PTE: only pages pinned writable may become so. */
static vm_fault_t vub_dmaw_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vub_vfio *vv = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	void *e;

	mutex_lock(&vv->dmaw_lock);
	e = xa_load(&vv->dmaw_pins, vmf->pgoff);
	if (e && (xa_to_value(e) & (VUB_PIN_W | VUB_PIN_REVOKING |
				    VUB_PIN_ERR)) == VUB_PIN_W)
		ret = 0;
	mutex_unlock(&vv->dmaw_lock);
	if (ret)
		vub_dmaw_sigbus(vv, vmf->pgoff, -EACCES);
	return ret;
}

static const struct vm_operations_struct vub_dmaw_vm_ops = {
	.fault		= vub_dmaw_fault,
	.pfn_mkwrite	= vub_dmaw_pfn_mkwrite,
};

static int vub_dmaw_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vub_vfio *vv = file->private_data;
	u64 pages = vv->dmaw_size >> PAGE_SHIFT;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EINVAL;
	vub_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			 VM_DONTDUMP | VM_DONTCOPY);
	vma->vm_ops = &vub_dmaw_vm_ops;
	return 0;
}

static int vub_dmaw_release(struct inode *inode, struct file *file)
{
	struct vub_vfio *vv = file->private_data;

	vfio_put_device(&vv->vdev);
	return 0;
}

static const struct file_operations vub_dmaw_fops = {
	.owner		= THIS_MODULE,
	.mmap		= vub_dmaw_mmap,
	.release	= vub_dmaw_release,
#ifdef VUB_HAVE_THP_GET_UNMAPPED_AREA
	/* 2 MiB-aligned addresses for 2 MiB-aligned offsets (SPDK). */
	.get_unmapped_area = thp_get_unmapped_area,
#endif
	.llseek		= noop_llseek,
};

int vub_dmaw_create(struct vub_vfio *vv, u64 size)
{
	struct inode *inode;
	int ret;

	if (vv->dmaw_inode)
		return 0;
	ret = simple_pin_fs(&vub_dmaw_fs_type, &vub_dmaw_mnt,
			    &vub_dmaw_mnt_count);
	if (ret)
		return ret;
	inode = alloc_anon_inode(vub_dmaw_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&vub_dmaw_mnt, &vub_dmaw_mnt_count);
		return PTR_ERR(inode);
	}
	inode->i_size = size;
	vv->dmaw_size = size;
	vv->dmaw_inode = inode;
	return 0;
}

/*
 * A new file on the device's window inode, for one DMA_MAP: the files
 * share the inode's mapping, so revoking zaps all of them.  The device
 * keeps only the inode, so that a file (hence the module, through
 * fops) is held only by the server.
 */
struct file *vub_dmaw_file(struct vub_vfio *vv)
{
	struct file *file;

	/* __fput() drops it, as for anon_inode_getfile(). */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENOENT);
	ihold(vv->dmaw_inode);
	file = alloc_file_pseudo(vv->dmaw_inode, vub_dmaw_mnt,
				 "[vfio-user-dma]", O_RDWR, &vub_dmaw_fops);
	if (IS_ERR(file)) {
		iput(vv->dmaw_inode);
		module_put(THIS_MODULE);
		return file;
	}
	/* Each file keeps the device (and its pins' owner) alive. */
	get_device(&vv->vdev.device);
	file->private_data = vv;
	return file;
}

void vub_dmaw_init(struct vub_vfio *vv)
{
	mutex_init(&vv->dmaw_lock);
	INIT_LIST_HEAD(&vv->dmaw_pinners);
	init_waitqueue_head(&vv->dmaw_wq);
	xa_init(&vv->dmaw_pins);
	INIT_LIST_HEAD(&vv->dmaw_tombs);
}

/* ops->release: every window file is gone by now. */
void vub_dmaw_free(struct vub_vfio *vv)
{
	struct vub_dmaw_tomb *t, *n;

	list_for_each_entry_safe(t, n, &vv->dmaw_tombs, node)
		kfree(t);
	xa_destroy(&vv->dmaw_pins);
	mutex_destroy(&vv->dmaw_lock);
	if (vv->dmaw_inode) {
		iput(vv->dmaw_inode);
		simple_release_fs(&vub_dmaw_mnt, &vub_dmaw_mnt_count);
	}
}
