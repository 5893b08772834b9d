// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: the per-device queue of posted writes.
 *
 * A posted register write (region.c decides which writes are posted)
 * is copied into a bounded ring and the consumer's write returns: it
 * does not wait for the socket, nor for the server, which on a busy or
 * single CPU would otherwise run, woken by the message, before the
 * writer's pwrite returned.  The queue is sent, in order and as one
 * sendmsg of back-to-back REGION_WRITE messages (NO_REPLY, msg_id
 * %VUB_POSTED_MSG_ID), by:
 *   - the device's flusher thread, woken when the queue stops being
 *     empty.  It runs at a low priority (the posted_flush_nice module
 *     parameter, default 19): it does not preempt the writer, it sends
 *     when the writer sleeps or on another CPU;
 *   - anyone about to send another message to the server (every
 *     request, a large posted write, a doorbell through an ioeventfd):
 *     vub_postq_flush() first, so the stream stays in program order and
 *     a read returns what earlier posted writes wrote;
 *   - a writer that finds the queue full (back-pressure: it pays for
 *     the send, counted in stats/posted_queue_full).
 *
 * A write leaves the ring only once it is in the socket: the flusher
 * copies entries [head, tail) into its batch buffer, sends the batch,
 * then advances head (release).  So "the queue is empty" (head ==
 * tail) means "everything queued is in the socket", which is what a
 * later message needs, and it is one load.  A send that fails breaks
 * the device as every other send does (vub_conn_send()); the writes
 * still queued are lost with it and every later call fails with EIO.
 *
 * Locking: @flush_lock (mutex, one flusher at a time, owns @batch and
 * advances @head) is taken before the connection's send lock; @lock
 * (spinlock, innermost) protects @tail and the fullness check.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "conn.h"
#include "posted.h"
#include "trace.h"

static int vub_posted_flush_nice = MAX_NICE;
module_param_named(posted_flush_nice, vub_posted_flush_nice, int, 0644);
MODULE_PARM_DESC(posted_flush_nice,
		 "Nice level of new devices' posted-write flusher threads (default 19: they do not preempt the writer)");

struct vub_postq_ent {
	struct vfio_user_region_access acc;
	u8 data[VUB_POSTQ_MAX_DATA];
};

/* One queued write on the wire. */
#define VUB_POSTQ_MSG_MAX	(sizeof(struct vfio_user_header) + \
				 sizeof(struct vfio_user_region_access) + \
				 VUB_POSTQ_MAX_DATA)

struct vub_postq {
	spinlock_t lock;		/* @tail, fullness */
	u32 tail;			/* next free entry (free-running) */
	u32 head;			/* next entry to send (free-running) */
	struct mutex flush_lock;	/* one flusher; @batch, @head */
	wait_queue_head_t wq;		/* the flusher thread sleeps here */
	struct task_struct *thread;
	u8 *batch;			/* VUB_POSTQ_DEPTH messages */
	struct vub_postq_ent ent[VUB_POSTQ_DEPTH];
};

static_assert((VUB_POSTQ_DEPTH & (VUB_POSTQ_DEPTH - 1)) == 0);

static struct vub_postq *vub_postq(struct vub_device *vd)
{
	return vd->conn ? vd->conn->postq : NULL;
}

/* Something queued that is not in the socket yet? */
static bool vub_postq_pending(struct vub_postq *q)
{
	/* Pairs with the release in vub_postq_flush(). */
	return READ_ONCE(q->tail) != smp_load_acquire(&q->head);
}

int __vub_postq_flush(struct vub_device *vd)
{
	struct vub_postq *q = vub_postq(vd);
	u32 head, end, nr;
	u8 *p;
	int ret;

	if (!q || !vub_postq_pending(q))
		return 0;
	/* Broken or closing: what is queued is lost (see above). */
	if (vub_state(vd) != VUB_STATE_READY)
		return -EIO;
	if (mutex_lock_killable(&q->flush_lock))
		return -EINTR;
	spin_lock(&q->lock);
	end = q->tail;
	spin_unlock(&q->lock);
	head = q->head;
	/* At most VUB_POSTQ_DEPTH entries: one batch, one send. */
	p = q->batch;
	for (nr = 0; head + nr != end; nr++) {
		const struct vub_postq_ent *e =
			&q->ent[(head + nr) & (VUB_POSTQ_DEPTH - 1)];
		struct vfio_user_header h = {
			.msg_id = VUB_POSTED_MSG_ID,
			.cmd = VFIO_USER_REGION_WRITE,
			.flags = VFIO_USER_F_TYPE_COMMAND |
				 VFIO_USER_F_NO_REPLY,
			.msg_size = sizeof(h) + sizeof(e->acc) + e->acc.count,
		};

		trace_vub_msg_send(vd, &h, 0);
		memcpy(p, &h, sizeof(h));
		memcpy(p + sizeof(h), &e->acc, sizeof(e->acc));
		memcpy(p + sizeof(h) + sizeof(e->acc), e->data, e->acc.count);
		p += h.msg_size;
	}
	ret = nr ? vub_conn_send_batch(vd, q->batch, p - q->batch) : 0;
	if (!ret && nr) {
		spin_lock(&q->lock);
		/* In the socket: the entries may be reused. */
		smp_store_release(&q->head, head + nr);
		spin_unlock(&q->lock);
		atomic64_add(nr, &vd->stats.requests);
		atomic64_add(nr, &vd->stats.posted_writes);
		atomic64_inc(&vd->stats.posted_batches);
	}
	mutex_unlock(&q->flush_lock);
	return ret;
}

int vub_postq_flush(struct vub_device *vd)
{
	struct vub_postq *q = vub_postq(vd);
	int ret;

	if (!q || !vub_postq_pending(q))
		return 0;
	/* An upgrade sends what is queued meanwhile to the new server. */
	ret = vub_conn_gate_enter(vd);
	if (ret)
		return ret;
	ret = __vub_postq_flush(vd);
	vub_conn_gate_exit(vd);
	return ret;
}

int vub_postq_write(struct vub_device *vd, u32 index, u64 off,
		    const void *data, u32 n)
{
	struct vub_postq *q = vub_postq(vd);
	struct vub_postq_ent *e;
	bool wake;
	int ret;

	if (!q || WARN_ON_ONCE(!n || n > VUB_POSTQ_MAX_DATA))
		return -EIO;
	for (;;) {
		/* Waits while the device is reconnecting (reconnect.c). */
		ret = vub_conn_wait_ready(vd);
		if (ret)
			return ret;
		spin_lock(&q->lock);
		if (q->tail - q->head < VUB_POSTQ_DEPTH)
			break;
		spin_unlock(&q->lock);
		/* Full: send it ourselves, then queue. */
		atomic64_inc(&vd->stats.posted_queue_full);
		ret = vub_postq_flush(vd);
		if (ret)
			return ret;
	}
	e = &q->ent[q->tail & (VUB_POSTQ_DEPTH - 1)];
	vub_build_region_access(&e->acc, index, off, n);
	memcpy(e->data, data, n);
	wake = q->tail == q->head;
	WRITE_ONCE(q->tail, q->tail + 1);
	spin_unlock(&q->lock);
	if (wake)
		wake_up(&q->wq);
	return 0;
}

static int vub_postq_thread(void *arg)
{
	struct vub_device *vd = arg;
	struct vub_postq *q = vub_postq(vd);
	int ret = 0;

	while (!kthread_should_stop()) {
		wait_event_interruptible(q->wq, kthread_should_stop() ||
					 (!ret && vub_postq_pending(q)));
		if (ret || kthread_should_stop())
			continue;
		ret = vub_postq_flush(vd);
		if (ret == -EIO &&
		    vub_state(vd) == VUB_STATE_RECONNECTING) {
			/* A reconnect drops the queue: look again later. */
			schedule_timeout_interruptible(HZ / 10);
			ret = 0;
			continue;
		}
		if (ret && vub_state(vd) == VUB_STATE_READY)
			/* A clean error (no memory): the writes are lost. */
			vub_set_broken(vd, ret, "cannot send queued posted writes");
	}
	return 0;
}

int vub_postq_start(struct vub_device *vd)
{
	struct vub_postq *q;
	struct task_struct *t;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->batch = kmalloc_array(VUB_POSTQ_DEPTH, VUB_POSTQ_MSG_MAX,
				 GFP_KERNEL);
	if (!q->batch) {
		kfree(q);
		return -ENOMEM;
	}
	spin_lock_init(&q->lock);
	mutex_init(&q->flush_lock);
	init_waitqueue_head(&q->wq);
	vd->conn->postq = q;

	t = kthread_create(vub_postq_thread, vd, "vub-post/%s",
			   dev_name(&vd->dev));
	if (IS_ERR(t))
		return PTR_ERR(t);
	set_user_nice(t, clamp_t(int, READ_ONCE(vub_posted_flush_nice),
				 MIN_NICE, MAX_NICE));
	q->thread = t;
	wake_up_process(t);
	return 0;
}

void vub_postq_drop(struct vub_device *vd)
{
	struct vub_postq *q = vub_postq(vd);
	u32 n;

	if (!q)
		return;
	mutex_lock(&q->flush_lock);
	spin_lock(&q->lock);
	n = q->tail - q->head;
	/* Pairs with the acquire in vub_postq_pending(). */
	smp_store_release(&q->head, q->tail);
	spin_unlock(&q->lock);
	mutex_unlock(&q->flush_lock);
	if (n)
		dev_warn(&vd->dev, "%u posted writes the lost server did not get are dropped\n",
			 n);
}

void vub_postq_stop(struct vub_device *vd)
{
	struct vub_postq *q = vub_postq(vd);

	if (q && q->thread) {
		kthread_stop(q->thread);
		q->thread = NULL;
	}
}

void vub_postq_free(struct vub_device *vd)
{
	struct vub_postq *q = vub_postq(vd);

	if (!q)
		return;
	WARN_ON(q->thread);
	mutex_destroy(&q->flush_lock);
	kfree(q->batch);
	kfree(q);
	vd->conn->postq = NULL;
}
