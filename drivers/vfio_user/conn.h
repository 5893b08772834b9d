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
#include <linux/rwsem.h>
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
	/*
	 * Planned upgrade (upgrade.c): every sender but the receiver's
	 * replies holds @gate for reading while it sends
	 * (vub_conn_gate_enter()); the upgrader holds it for writing and
	 * is then the only sender.  @upgrader and @upgrade_nokill are
	 * written by the upgrader under @gate.
	 */
	struct rw_semaphore gate;
	struct task_struct *upgrader;
	/* The upgrader's requests wait uninterruptibly (its rollback). */
	bool upgrade_nokill;
	/* The receiver's socket was shut by an upgrade's switch. */
	bool rx_detach;
};

/**
 * vub_conn_gate_enter() - enter the send gate (see struct vub_conn)
 * @vd: the device
 *
 * Waits, killably, while an upgrade holds the gate; the upgrader itself
 * passes.  Pair with vub_conn_gate_exit().
 *
 * Context: process context.
 * Return: 0, or -EINTR (fatal signal).
 */
int vub_conn_gate_enter(struct vub_device *vd);
void vub_conn_gate_exit(struct vub_device *vd);

/**
 * vub_conn_gate_lock() - hold every other sender back (an upgrade)
 * @vd: the device
 *
 * Waits killably for the senders in the gate (each bounded by the
 * device's timeout); the caller then is the only one that sends.
 *
 * Context: the upgrade writer, its reconnect_lock held.
 * Return: 0 or -EINTR.
 */
int vub_conn_gate_lock(struct vub_device *vd);
void vub_conn_gate_unlock(struct vub_device *vd);
void vub_conn_gate_nokill(struct vub_device *vd, bool nokill);

/**
 * vub_sock_request() - one request on a socket that is not c->sock
 * @vd: the device (timeout, statistics, log)
 * @sock: the socket of an upgrade's new server, brought up
 * @msg_id: the msg_id to use, advanced
 * @cmd: the command
 * @req: the payload, @len bytes
 * @len: its length
 * @reply: buffer for the reply payload, @reply_max bytes
 * @reply_max: its size; a larger reply is a violation
 * @reply_len: the reply payload's length
 *
 * Waits for the reply with the device's timeout; the reply header is
 * validated against the request; a server command, an fd or a
 * malformed reply is -EPROTO (logged).
 *
 * Context: the upgrade writer.
 * Return: 0, a clamped server errno as -errno, -EPROTO, -ETIMEDOUT,
 * -ECONNRESET, -EINTR.
 */
int vub_sock_request(struct vub_device *vd, struct socket *sock, u16 *msg_id,
		     u16 cmd, const void *req, size_t len,
		     void *reply, size_t reply_max, size_t *reply_len);

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
 * vub_sock_recv_errno() - what a failed receive on a new socket means
 * @ret: sock_recvmsg()'s result, 0 (end of file) or -errno
 *
 * Return: -ECONNRESET (the server closed it), -ETIMEDOUT (the receive
 * timeout), -EINTR (a signal), or @ret.
 */
int vub_sock_recv_errno(int ret);

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

int vub_conn_set_new_sock(struct vub_device *vd, struct socket *sock,
			  enum vub_state state);
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

/**
 * vub_conn_swap_upgrade() - put an upgrade's socket in place of the old
 * @vd: the device, READY, the send gate held by the caller
 * @sock: the new socket
 * @old: the old socket, for the caller to release
 *
 * As vub_conn_swap(), in READY, without dropping the posted writes
 * still queued: they go to the new server.
 *
 * Context: the upgrade writer, reconnect_lock and the gate held.
 * Return: 0 (@sock is the connection's now), -EIO (no longer READY)
 * or -ENOMEM (@sock is still the caller's).
 */
int vub_conn_swap_upgrade(struct vub_device *vd, struct socket *sock,
			  struct socket **old);
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

/**
 * struct vub_probe - a new server, connected and brought up
 * @sock: its socket, until the connection takes it
 * @pid: its pid (a reference), until the device takes it
 * @uid: its euid
 * @d: what it presents
 * @registered: @sock is the connection's new_sock (shut down by a
 *	teardown)
 */
struct vub_probe {
	struct socket *sock;
	struct pid *pid;
	kuid_t uid;
	struct vub_desc d;
	bool registered;
};

/**
 * vub_server_probe() - connect to a new server for the device
 * @vd: the device
 * @op: "reconnect" or "upgrade", for the log
 * @path: the socket's path
 * @state: the state the device must be in
 * @pr: the new server; release with vub_server_probe_done()
 *
 * Connects, checks the server's uid, runs VERSION and discovery
 * (vub_bringup_sock()) and checks that the server presents the same
 * device as the current one (reconnect.c).  Every refusal is logged.
 *
 * Context: the writer of reconnect or upgrade, reconnect_lock held.
 * Return: 0, -ENODEV (another device), or -errno.
 */
int vub_server_probe(struct vub_device *vd, const char *op, const char *path,
		     enum vub_state state, struct vub_probe *pr);
void vub_server_probe_done(struct vub_device *vd, struct vub_probe *pr);
void vub_server_set_peer(struct vub_device *vd, struct vub_probe *pr);

/* reconnect.c, shared with upgrade.c; see there. */
void vub_reconnect_swap_files(struct vub_device *vd, struct vub_desc *d);
int vub_reconnect_set_path(struct vub_device *vd, const char *path);

/**
 * vub_pci_ids_differ() - does a new server present other PCI ids?
 * @vd: the device (log)
 * @op: "reconnect" or "upgrade", for the log
 * @ids: the new server's ids
 * @was: the device's
 *
 * Return: true (logged: the writer refuses the server), or false.
 */
bool vub_pci_ids_differ(struct vub_device *vd, const char *op,
			const struct vub_pci_ids *ids,
			const struct vub_pci_ids *was);

int vub_fdpass_send(struct socket *sock, struct kvec *vec, size_t nvec,
		    size_t len, struct file *const *files,
		    unsigned int nr_files, long timeo);

#endif /* _VFIO_USER_CONN_H */
