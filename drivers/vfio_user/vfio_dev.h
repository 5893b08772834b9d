/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user bridge, VFIO side: the vfio_device registered for each
 * connected vfio-user device and the helpers shared by vfio.c (ops and
 * registration), region.c (info and I/O), mmap.c, irq.c and dma.c.
 */
#ifndef _VFIO_USER_VFIO_DEV_H
#define _VFIO_USER_VFIO_DEV_H

#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include "vub.h"

struct eventfd_ctx;
struct vub_mig;

/*
 * Device fd offsets, as vfio-pci: region index in bits 40..63, offset in
 * the region below.
 */
#define VUB_OFFSET_SHIFT	40
#define VUB_OFFSET_MASK		((1ULL << VUB_OFFSET_SHIFT) - 1)
#define VUB_INDEX_TO_OFFSET(i)	((u64)(i) << VUB_OFFSET_SHIFT)

struct vub_vfio {
	struct vfio_device vdev;	/* first: vfio_alloc_device() */
	struct vub_device *vd;

	/*
	 * Serialises SET_IRQS, RESET, open and close (irq bookkeeping).
	 * Never taken by vub_vfio_broken() or the DMA path.
	 */
	struct mutex irq_lock;
	/* Indexes the server holds eventfds (or an enable) for. */
	unsigned long irq_assigned;

	/* Relay files given to the server (irq_relay.c), own lock. */
	struct xarray relays;
	/*
	 * The consumer's trigger eventfd files per (index, vector), as the
	 * server holds them, for a reconnect to send again; own lock.
	 */
	struct xarray irq_files;

	/* The process that opened the device, under trig_lock. */
	struct pid *consumer;

	/* Bridge-owned ERR and REQ triggers, under trig_lock. */
	spinlock_t trig_lock;
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;

	/*
	 * DMA service gate: vub_dma_handle() holds dma_sem for reading
	 * while it serves a request, open/close flip dma_enabled under it
	 * for writing, which also drains requests in flight.
	 */
	struct rw_semaphore dma_sem;
	bool dma_enabled;
	/* Not RUNNING (migration.c): DMA refused; under dma_sem (and
	 * dmaw_lock once the window file exists: vub_dmaw_freeze()).
	 */
	bool dma_frozen;
	bool dma_windows;		/* DMA_MAP windows sent */
	bool dma_windows_mmap;		/* ... with the window file */
	u32 dma_nr_windows;		/* how many, of dma_wsize bytes */
	u64 dma_wsize;
	struct mutex dma_buf_lock;	/* one DMA_READ uses dma_buf */
	void *dma_buf;			/* DMA_READ bounce, dma_buf_size */
	size_t dma_buf_size;

	/* Direct DMA: the window file and its pins (dma_window.c). */
	struct inode *dmaw_inode;	/* NULL until dma=mmap is used */
	u64 dmaw_size;			/* the window's IOVA span */
	struct mutex dmaw_lock;		/* pins, pinners, tombstones */
	struct list_head dmaw_pinners;	/* pins in flight */
	wait_queue_head_t dmaw_wq;	/* ... a revocation waits for */
	struct xarray dmaw_pins;	/* IOVA pfn -> pinned pfn | flags */
	struct list_head dmaw_tombs;	/* recently revoked ranges */
	/* Migration state, NULL without migration (migration.c). */
	struct vub_mig *mig;
};

static inline struct vub_vfio *to_vub_vfio(struct vfio_device *vdev)
{
	return container_of(vdev, struct vub_vfio, vdev);
}

/*
 * Protects vd->vfio against vub_vfio_unregister() for the callers that
 * are not vfio_device ops (vub_vfio_broken(), vub_dma_handle()).
 */
extern struct mutex vub_vfio_ptr_lock;

/**
 * vub_vfio_get() - the device's vub_vfio, referenced, or NULL
 * @vd: the bridge device
 *
 * The reference (put_device() on &vv->vdev.device) keeps the vub_vfio
 * alive after vub_vfio_unregister().
 */
struct vub_vfio *vub_vfio_get(struct vub_device *vd);

/**
 * vub_xfer_max() - largest data chunk of one REGION_READ/WRITE
 * @vd: the device
 *
 * Return: the negotiated max_data_xfer_size, bounded again by ours.
 */
u32 vub_xfer_max(struct vub_device *vd);

/* ---- region.c ------------------------------------------------------- */

/**
 * vub_vfio_num_regions() - regions the consumer sees
 * @vd: the device
 *
 * Return: the server's regions, at least the 9 of vfio-pci for a PCI
 * device.
 */
u32 vub_vfio_num_regions(struct vub_device *vd);

/**
 * vub_vfio_num_irqs() - interrupt indexes the consumer sees
 * @vd: the device
 *
 * Return: the server's indexes, at least the 5 of vfio-pci for a PCI
 * device (ERR and REQ are the bridge's, irq.c).
 */
u32 vub_vfio_num_irqs(struct vub_device *vd);

/**
 * vub_vfio_region() - the server's description of a region
 * @vd: the device
 * @index: region index, from the consumer (clamped under speculation)
 *
 * Return: the region, or NULL if the server has no such region.
 */
const struct vub_region *vub_vfio_region(struct vub_device *vd, u32 index);

/**
 * vub_vfio_region_file() - the server's file behind a region's mmap
 * @vd: the device
 * @index: region index, from the consumer (clamped under speculation)
 *
 * Return: the file received at bring-up, or NULL.
 */
struct file *vub_vfio_region_file(struct vub_device *vd, u32 index);

/**
 * vub_ioctl_get_info() - VFIO_DEVICE_GET_INFO
 * @vv: the device
 * @arg: the consumer's struct vfio_device_info
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
long vub_ioctl_get_info(struct vub_vfio *vv, void __user *arg);

/**
 * vub_region_info_caps() - a region's info and capability chain
 * @vdev: the VFIO device
 * @info: in: the index; out: offset, size and flags
 * @caps: the chain (sparse mmap areas, region type)
 *
 * ops->get_region_info_caps where the VFIO core has it.
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
int vub_region_info_caps(struct vfio_device *vdev,
			 struct vfio_region_info *info,
			 struct vfio_info_cap *caps);

/**
 * vub_ioctl_get_region_info() - VFIO_DEVICE_GET_REGION_INFO
 * @vv: the device
 * @arg: the consumer's struct vfio_region_info
 *
 * For VFIO cores that leave this ioctl to the driver.
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
long vub_ioctl_get_region_info(struct vub_vfio *vv, void __user *arg);

/**
 * vub_vfio_read() - ops->read: REGION_READ requests
 * @vdev: the VFIO device
 * @buf: the consumer's buffer
 * @count: bytes to read, split by vub_xfer_max()
 * @ppos: region index << 40 | offset
 *
 * Context: process context, may sleep (killably).
 * Return: bytes read (short if the server returned fewer), or -errno.
 */
ssize_t vub_vfio_read(struct vfio_device *vdev, char __user *buf,
		      size_t count, loff_t *ppos);

/**
 * vub_vfio_write() - ops->write: REGION_WRITE requests
 * @vdev: the VFIO device
 * @buf: the consumer's data
 * @count: bytes to write, split by vub_xfer_max()
 * @ppos: region index << 40 | offset
 *
 * Context: process context, may sleep (killably).
 * Return: bytes written, or -errno.
 */
ssize_t vub_vfio_write(struct vfio_device *vdev, const char __user *buf,
		       size_t count, loff_t *ppos);

/**
 * vub_vfio_bad_reply() - report a malformed server reply
 * @vd: the device
 * @what: the reply, for the log
 * @err: what was wrong with it
 *
 * Logs the violation and marks the device broken.
 *
 * Context: process context.
 * Return: -EIO, for the caller to return.
 */
int vub_vfio_bad_reply(struct vub_device *vd, const char *what,
		       const struct vub_err *err);

/* ---- mmap.c --------------------------------------------------------- */

/**
 * vub_vfio_mmap() - ops->mmap: map a sparse-mmap area of a region
 * @vdev: the VFIO device
 * @vma: the consumer's mapping; switched to the server's region file
 *
 * Context: process context, mmap_lock held for writing.
 * Return: 0 or -errno (-EACCES for an access the region or its file does
 * not allow, -EPERM for a write-sealed file).
 */
int vub_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);

/* ---- irq.c ---------------------------------------------------------- */

/**
 * vub_ioctl_get_irq_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @vv: the device
 * @arg: the consumer's struct vfio_irq_info
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
long vub_ioctl_get_irq_info(struct vub_vfio *vv, void __user *arg);

/**
 * vub_ioctl_set_irqs() - VFIO_DEVICE_SET_IRQS, forwarded as SET_IRQS
 * @vv: the device
 * @arg: the consumer's struct vfio_irq_set and its data
 *
 * Context: process context; takes irq_lock killably.
 * Return: 0 or -errno (-EINTR on SIGKILL).
 */
long vub_ioctl_set_irqs(struct vub_vfio *vv, void __user *arg);

/**
 * vub_irq_disable_all() - disable every index the server holds fds for
 * @vv: the device
 * @bridge_owned: also ERR and REQ, and drop the bridge's own triggers
 *
 * Errors are ignored: a broken server has nothing left to disable.
 *
 * Context: process context, irq_lock held.
 */
void vub_irq_disable_all(struct vub_vfio *vv, bool bridge_owned);

/**
 * vub_irq_signal_err() - signal the consumer's ERR eventfd, if any
 * @vv: the device
 *
 * Context: any; takes a spinlock.
 */
void vub_irq_signal_err(struct vub_vfio *vv);

/**
 * vub_irq_signal_req() - signal the consumer's REQ eventfd, if any
 * @vv: the device
 *
 * Context: any; takes a spinlock.
 */
void vub_irq_signal_req(struct vub_vfio *vv);

/**
 * vub_irq_send_files() - SET_IRQS DATA_EVENTFD with files
 * @vv: the device
 * @flags: the SET_IRQS flags
 * @index: the interrupt index
 * @start: first vector
 * @count: number of vectors, and of @files (at most max_msg_fds)
 * @files: the files to hand over (eventfds or relay files)
 *
 * Context: process context, irq_lock held.
 * Return: as vub_request().
 */
int vub_irq_send_files(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		       u32 count, struct file *const *files);

/**
 * vub_irq_replay() - send the consumer's trigger eventfds again
 * @vv: the device
 *
 * After a reconnect: SET_IRQS DATA_EVENTFD|ACTION_TRIGGER, one vector a
 * message, for every vector the lost server held an eventfd for (a relay
 * file with irq_relay).
 *
 * Context: the reconnect writer, before the device is READY again.
 * Return: 0 or as vub_request().
 */
int vub_irq_replay(struct vub_vfio *vv);

/**
 * vub_irq_files_free() - drop the eventfd files kept for a reconnect
 * @vv: the device, from its release
 */
void vub_irq_files_free(struct vub_vfio *vv);

/* ---- irq_relay.c ---------------------------------------------------- */

extern bool vub_irq_relay;

int vub_relay_send(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		   u32 n, struct file *const *efiles);
int __vub_relay_send(struct vub_vfio *vv, u32 flags, u32 index, u32 start,
		     u32 n, struct file *const *efiles);

/**
 * vub_relay_revoke_range() - revoke the relays of some vectors
 * @vv: the device
 * @index: the interrupt index
 * @start: first vector
 * @count: number of vectors
 *
 * A revoked relay signals nothing any more, whatever the server does.
 *
 * Context: process context.
 */
void vub_relay_revoke_range(struct vub_vfio *vv, u32 index, u32 start,
			    u32 count);

/**
 * vub_relay_revoke_all() - revoke every relay of the device
 * @vv: the device
 *
 * Context: process context.
 */
void vub_relay_revoke_all(struct vub_vfio *vv);

/* ---- dma.c ---------------------------------------------------------- */
int vub_dma_start(struct vub_vfio *vv);
void vub_dma_stop(struct vub_vfio *vv);
void vub_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length);

/**
 * vub_dma_replay() - offer the DMA windows again, to a new server
 * @vv: the device
 *
 * The windows the lost server held, in their mode (a new window file
 * each with dma=mmap).
 *
 * Context: the reconnect writer, before the device is READY again.
 * Return: 0 or as vub_request().
 */
int vub_dma_replay(struct vub_vfio *vv);
int vub_dma_init(struct vub_vfio *vv);
void vub_dma_free(struct vub_vfio *vv);

/* ---- dma_window.c --------------------------------------------------- */

/**
 * vub_dmaw_init() - initialise the direct-DMA state of a device
 * @vv: the device
 */
void vub_dmaw_init(struct vub_vfio *vv);

/**
 * vub_dmaw_create() - create the device's window inode
 * @vv: the device
 * @size: the IOVA span its files map, [0, @size)
 *
 * Idempotent.
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
int vub_dmaw_create(struct vub_vfio *vv, u64 size);

/**
 * vub_dmaw_revoke() - ops->dma_unmap for the window file
 * @vv: the device
 * @iova: first IOVA
 * @length: bytes (may run to the end of the 64-bit space)
 *
 * Zaps the server's mappings of the range, then unpins it, before
 * returning; faults there wait a while rather than pin it again.
 *
 * Context: process context, may sleep.
 */
void vub_dmaw_revoke(struct vub_vfio *vv, u64 iova, u64 length);

/**
 * vub_dmaw_close() - close_device: zap and unpin everything
 * @vv: the device, with dma_enabled already false
 *
 * Context: process context, may sleep.
 */
void vub_dmaw_close(struct vub_vfio *vv);

/**
 * vub_dmaw_freeze() - stop or resume server DMA (migration)
 * @vv: the device
 * @frozen: true while the device is not RUNNING
 *
 * Sets dma_frozen, which message DMA and window faults check.  When
 * freezing, the server's window mappings are zapped (pins are kept,
 * type1 keeps reporting them dirty): its next access is SIGBUS until
 * the device runs again.
 *
 * Context: process context, dma_sem held for writing.
 */
void vub_dmaw_freeze(struct vub_vfio *vv, bool frozen);

/**
 * vub_dmaw_file() - a new window file to send with DMA_MAP
 * @vv: the device, after vub_dmaw_create()
 *
 * Context: process context.
 * Return: the file (the caller's reference), or an ERR_PTR.
 */
struct file *vub_dmaw_file(struct vub_vfio *vv);

/**
 * vub_dmaw_free() - ops->release: free the direct-DMA state
 * @vv: the device
 */
void vub_dmaw_free(struct vub_vfio *vv);
/* ---- migration.c ---------------------------------------------------- */

/**
 * vub_mig_init() - offer migration if the server has it
 * @vv: the device, before it is registered
 *
 * Asks the server for its migration flags (DEVICE_FEATURE GET
 * MIGRATION) and sets mig_ops and migration_flags (STOP_COPY) if it
 * supports STOP_COPY.  A server that refuses the feature has no
 * migration.
 *
 * Context: process context, the device READY.
 * Return: 0, or -errno if the device broke or memory ran out.
 */
int vub_mig_init(struct vub_vfio *vv);

/**
 * vub_mig_free() - free the migration state
 * @vv: the device, from its release function
 */
void vub_mig_free(struct vub_vfio *vv);

/**
 * vub_mig_open() - migration at open_device
 * @vv: the device
 *
 * Learns the server's state and returns it to RUNNING.
 *
 * Context: process context, before DMA windows are sent.
 */
void vub_mig_open(struct vub_vfio *vv);

/**
 * vub_mig_close() - migration at close_device
 * @vv: the device
 *
 * Disables the stream file and returns the server to RUNNING, before
 * the interrupts are torn down.
 *
 * Context: process context.
 */
void vub_mig_close(struct vub_vfio *vv);

/**
 * vub_mig_reset_prepare() - before DEVICE_RESET
 * @vv: the device
 *
 * Takes the state lock, disables the stream file and returns the
 * server to RUNNING.  vub_mig_reset_done() must follow.
 *
 * Context: process context.
 */
void vub_mig_reset_prepare(struct vub_vfio *vv);

/**
 * vub_mig_reset_done() - after DEVICE_RESET
 * @vv: the device
 * @ret: the reset's result
 *
 * Reads the state back from the server and drops the state lock.
 *
 * Context: process context.
 */
void vub_mig_reset_done(struct vub_vfio *vv, int ret);

/**
 * vub_mig_device_feature() - ops->device_feature
 * @vdev: the VFIO device
 * @flags: the feature and its operations
 * @arg: the feature's data
 * @argsz: its size
 *
 * MIG_DATA_SIZE on kernels whose core leaves it to the driver.
 *
 * Context: process context.
 * Return: 0, 1 is never returned, or -errno (-ENOTTY for other features).
 */
int vub_mig_device_feature(struct vfio_device *vdev, u32 flags,
			   void __user *arg, size_t argsz);

/**
 * vub_replay_to_new() - the DMA windows and interrupt eventfds, again
 * @vv: the device, its connection the new server's
 * @op: "reconnect" or "upgrade", for the log
 *
 * vub_dma_replay(), then vub_irq_replay(); a refusal is logged.
 *
 * Context: the reconnect or upgrade writer (reconnect.c).
 * Return: 0 or as vub_request().
 */
int vub_replay_to_new(struct vub_vfio *vv, const char *op);

/* ---- migration.c, for upgrade.c ------------------------------------ */

/**
 * vub_mig_server_arc() - one MIG_DEVICE_STATE SET on the server
 * @vd: the device
 * @state: the state
 *
 * Context: process context.
 * Return: 0, or as vub_request() (-EIO and a broken device for a bad
 * reply).
 */
int vub_mig_server_arc(struct vub_device *vd, u32 state);

/**
 * vub_mig_data_read() - one MIG_DATA_READ, its reply validated
 * @vd: the device
 * @rep: the reply buffer, room for @want data bytes
 * @want: bytes asked for, at most vub_xfer_max()
 * @got: bytes received; 0 is the end of the stream
 *
 * Context: process context.
 * Return: 0, or as vub_request() (-EIO and a broken device for a bad
 * reply).
 */
int vub_mig_data_read(struct vub_device *vd, struct vfio_user_mig_data *rep,
		      u32 want, u32 *got);

/**
 * vub_mig_set_frozen() - refuse or serve server DMA (not RUNNING)
 * @vv: the device
 * @frozen: refuse
 *
 * Context: process context; waits for a DMA request in progress.
 */
void vub_mig_set_frozen(struct vub_vfio *vv, bool frozen);

/**
 * vub_mig_upgrade_begin() - hold the consumer's migration back
 * @vv: the device
 *
 * Takes the migration state lock for an upgrade: the consumer's
 * migration ioctls wait until vub_mig_upgrade_end().
 *
 * Context: the upgrade writer, before the send gate.
 * Return: 0 (locked), -EOPNOTSUPP (no migration), -EBUSY (the
 * consumer's migration state is not RUNNING, or a stream file is
 * open), -EINTR.
 */
int vub_mig_upgrade_begin(struct vub_vfio *vv);
void vub_mig_upgrade_end(struct vub_vfio *vv);

#endif /* _VFIO_USER_VFIO_DEV_H */
