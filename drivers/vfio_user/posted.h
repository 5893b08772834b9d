/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user: the per-device queue of posted writes (posted.c), used by
 * region.c (queueing), conn.c (flushing before every request, setup
 * and teardown) and ioeventfd.c (flushing before a doorbell).
 */
#ifndef _VFIO_USER_POSTED_H
#define _VFIO_USER_POSTED_H

#include <linux/types.h>
#include "vub.h"

/* Queued writes per device; more wait for the queue to drain. */
#define VUB_POSTQ_DEPTH		64
/* The largest write that is queued (registers); larger go at once. */
#define VUB_POSTQ_MAX_DATA	8

/**
 * vub_postq_start() - set up the device's posted-write queue
 * @vd: the device, its connection about to become ready
 *
 * Allocates the queue and starts its flusher thread.
 *
 * Context: process context (bring-up).
 * Return: 0 or -errno.
 */
int vub_postq_start(struct vub_device *vd);

/**
 * vub_postq_stop() - stop the flusher thread
 * @vd: the device, its connection already closing
 *
 * Writes still queued are dropped, as everything else in flight when
 * a device is removed.
 *
 * Context: process context; waits for the thread.
 */
void vub_postq_stop(struct vub_device *vd);

/**
 * vub_postq_drop() - forget the queued posted writes
 * @vd: the device, RECONNECTING
 *
 * A reconnect drops what the lost server did not get: the new server
 * is reset, the writes would land on a device that no longer expects
 * them.  Logged with their number.
 *
 * Context: the reconnect writer, process context.
 */
void vub_postq_drop(struct vub_device *vd);

/**
 * vub_postq_free() - free the queue
 * @vd: the device, at its release
 */
void vub_postq_free(struct vub_device *vd);

/**
 * vub_postq_write() - queue one posted REGION_WRITE
 * @vd: the device
 * @index: the region
 * @off: offset in the region
 * @data: the bytes to write (kernel memory)
 * @n: their number, 1 to %VUB_POSTQ_MAX_DATA
 *
 * Copies the write into the queue and returns; the flusher thread, or
 * whoever sends the device's next message, sends it (in order, before
 * that message).  When the queue is full the caller sends the queue
 * itself first (back-pressure).
 *
 * Context: process context (the consumer's write).
 * Return: 0; -EIO when the device is not ready (broken: every later
 * call fails too); -EINTR on a fatal signal, -ETIMEDOUT, or another
 * error of vub_conn_send_batch() while flushing a full queue.
 */
int vub_postq_write(struct vub_device *vd, u32 index, u64 off,
		    const void *data, u32 n);

/**
 * vub_postq_flush() - send every posted write queued so far
 * @vd: the device
 *
 * Returns once every write queued before the call is in the socket,
 * so that a message sent after it is handled after them.  Cheap when
 * the queue is empty (one load).
 *
 * Context: process context; may wait (killably) for another flusher,
 * which waits at most the device's timeout for the socket.
 * Return: 0, -EINTR, or as vub_conn_send_batch() (the device is broken
 * for anything else than a clean error).
 */
int vub_postq_flush(struct vub_device *vd);

/**
 * __vub_postq_flush() - vub_postq_flush() inside the send gate
 * @vd: the device
 *
 * Context: a sender in the send gate (vub_conn_gate_enter()).
 * Return: as vub_postq_flush().
 */
int __vub_postq_flush(struct vub_device *vd);

#endif /* _VFIO_USER_POSTED_H */
