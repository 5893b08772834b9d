/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user transport internals shared by conn.c and bringup.c.
 *
 * Locking:
 *   - conn->pending's xa_lock protects the pending table, @state
 *     and @broken_err.  It is a spinlock: nothing sleeps under
 *     it, and complete() is the only call made on a waiter under it.
 *   - The posted-write queue's flush lock (posted.c) is taken before
 *     @send_lock, never under it; its spinlock is innermost.
 *   - @send_lock (mutex) serialises writes to the socket, so messages
 *     never interleave on the stream.  Taken killably.
 *   - Only one reader at a time.  During bring-up that is the creating
 *     process, before the receiver exists.  Then it is whoever holds
 *     @rx_lock (the reader token): the receiver thread, or a waiter
 *     reading its own reply (conn.c, "direct replies").  A waiter only
 *     ever trylocks it, and reads only complete replies already queued,
 *     without blocking in the socket; the receiver takes it with
 *     mutex_lock() and may block in the socket for the rest of a
 *     message.
 *
 * A pending request is "claimed" by whoever removes it from @pending
 * (receiver, waiter on timeout or signal, or the broken path).  Only
 * the claimer may complete it, so a waiter that fails to claim its own
 * request knows completion is imminent and waits for it
 * (uninterruptibly, but the claimer never blocks before completing).
 */
#ifndef _VFIO_USER_CONN_H
#define _VFIO_USER_CONN_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include "vub.h"

struct sock;
struct vub_postq;
struct task_struct;

struct vub_conn {
	/* Swapped by a reconnect under @rx_lock, @send_lock and xa_lock. */
	struct socket *sock;
	struct mutex send_lock;		/* serialises socket writes */
	struct xarray pending;		/* msg_id -> vub_req or tombstone */
	enum vub_state state;
	int broken_err;
	const char *broken_why;		/* a string literal, or NULL */
	struct task_struct *rx;		/* receiver kthread */
	struct mutex rx_lock;		/* the reader token, see above */
	wait_queue_head_t rx_wq;	/* the receiver thread sleeps here */
	wait_queue_head_t direct_wq;	/* ... and a waiter holding @rx_lock */
	bool rx_direct;			/* a waiter holds @rx_lock */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void *rx_buf;			/* payload of the message being read */
	size_t rx_size;
	/* Reconnect (reconnect.c); under the pending table's lock. */
	wait_queue_head_t state_wq;	/* woken on every state change */
	unsigned long reconnect_deadline;	/* jiffies */
	struct socket *new_sock;	/* being brought up, the writer's */
	/* The new socket is in place: only @replayer may send. */
	bool replaying;
	struct task_struct *replayer;
	struct vub_postq *postq;	/* queued posted writes (posted.c) */
};

/**
 * vub_conn_send() - write one message to the server
 * @vd: the device
 * @h: the header; its msg_size is filled in here
 * @p1: first part of the payload, @l1 bytes (may be NULL if @l1 is 0)
 * @l1: length of @p1
 * @p2: second part of the payload, @l2 bytes (may be NULL if @l2 is 0)
 * @l2: length of @p2
 * @files: files to pass with SCM_RIGHTS (fdpass.c), referenced by the
 *	caller; exactly these files reach the server
 * @nr_files: their number, at most %VUB_OUR_MAX_MSG_FDS; a message with
 *	files is at most %VUB_FDPASS_MAX_MSG bytes
 *
 * Messages never interleave on the stream.  Only SIGKILL interrupts a
 * send; the device's timeout bounds a server that stops reading.  A
 * message cut short, or a server that does not read within the
 * timeout, breaks the device.
 *
 * Context: process context; takes the send lock (killably).
 * Return: 0, -EIO (device broken or closing), -ETIMEDOUT, -EINTR
 * (SIGKILL), or an error of the socket layer that sent nothing.
 */
int vub_conn_send(struct vub_device *vd, struct vfio_user_header *h,
		  const void *p1, size_t l1, const void *p2, size_t l2,
		  struct file *const *files, unsigned int nr_files);

/**
 * vub_conn_send_batch() - write several complete messages at once
 * @vd: the device
 * @buf: the messages, back to back, each with its header's msg_size
 *	filled in (posted.c builds them)
 * @len: their total length
 *
 * One sendmsg for all of them, under the send lock, with the rules of
 * vub_conn_send() (no file descriptors).
 *
 * Context: process context; takes the send lock (killably).
 * Return: as vub_conn_send().
 */
int vub_conn_send_batch(struct vub_device *vd, const void *buf, size_t len);

/* The largest message that carries files: SET_IRQS, DMA_MAP headers. */
#define VUB_FDPASS_MAX_MSG	512

/**
 * vub_sock_send() - send one message on a socket that is not c->sock
 * @vd: the device (timeout, statistics)
 * @sock: the socket of a reconnect being brought up
 * @h: the header; its msg_size is filled in here
 * @p: the payload, @len bytes
 * @len: its length
 *
 * Context: the reconnect writer.
 * Return: 0, -ETIMEDOUT, -EINTR (SIGKILL) or -ECONNRESET.
 */
int vub_sock_send(struct vub_device *vd, struct socket *sock,
		  struct vfio_user_header *h, const void *p, size_t len);

/**
 * vub_sock_connect() - connect a new socket to a server
 * @vd: the device (its timeout)
 * @path: the socket's path
 * @sockp: the socket, also on failure (then the caller releases it)
 * @pid: the server's pid (a reference), on success
 * @uid: the server's euid, on success
 *
 * Context: the process that adds or reconnects the device (the path is
 * resolved with its root and credentials).
 * Return: 0 or -errno.
 */
int vub_sock_connect(struct vub_device *vd, const char *path,
		     struct socket **sockp, struct pid **pid, kuid_t *uid);

int vub_conn_set_new_sock(struct vub_device *vd, struct socket *sock);
void vub_conn_clear_new_sock(struct vub_device *vd);

/**
 * vub_conn_swap() - put a reconnect's socket in place of the lost one
 * @vd: the device, RECONNECTING
 * @sock: the new socket, brought up
 *
 * Stops the old receiver, swaps the sockets, starts a receiver on the
 * new one and lets only the caller send (the replay) until
 * vub_conn_reconnected().  The old socket is released.
 *
 * Context: the reconnect writer, the device's reconnect_lock held.
 * Return: 0 (@sock is the connection's now), -EIO (no longer
 * RECONNECTING), -EINTR or -ENOMEM (@sock is still the caller's).
 */
int vub_conn_swap(struct vub_device *vd, struct socket *sock);
int vub_conn_reconnected(struct vub_device *vd);
void vub_conn_replay_failed(struct vub_device *vd);
unsigned long vub_conn_reconnect_deadline(struct vub_device *vd);

/*
 * What a bring-up learns about the device; vub_bringup() keeps it in the
 * device, a reconnect compares it with the device's (reconnect.c).
 */
struct vub_desc {
	struct vub_caps caps;
	u16 minor;
	struct vfio_user_device_info info;
	struct vub_region *regions;	/* info.num_regions entries */
	struct file **region_files;
	DECLARE_BITMAP(region_writable, VUB_MAX_REGIONS);
	struct vfio_user_irq_info *irqs;	/* info.num_irqs entries */
};

/**
 * vub_bringup_sock() - VERSION and discovery on a reconnect's socket
 * @vd: the device (timeout, statistics, log)
 * @sock: the new connection
 * @d: what the server presents; free with vub_desc_free()
 *
 * As vub_bringup(), without the ioeventfds.
 *
 * Context: the reconnect writer, which needs an mm.
 * Return: as vub_bringup().
 */
int vub_bringup_sock(struct vub_device *vd, struct socket *sock,
		     struct vub_desc *d);
void vub_desc_free(struct vub_desc *d);

int vub_fdpass_send(struct socket *sock, struct kvec *vec, size_t nvec,
		    size_t len, struct file *const *files,
		    unsigned int nr_files, long timeo);

#endif /* _VFIO_USER_CONN_H */
