// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user transport: the kernel socket to the server, request/reply
 * matching, the receiver thread and the "broken" state.
 *
 * See conn.h for the locking rules.  Message IDs are the lowest free
 * index of the pending table (0..65534), so an ID is never reused while
 * a request with that ID, or a tombstone for an abandoned one, is still
 * in the table.  Not cyclic: with one request in flight its ID is 0,
 * which the xarray keeps in its head, so a request allocates and frees
 * (through RCU) no xarray node; cyclic IDs cost up to three of each per
 * request, measurably (Documentation/qemu-and-bench.rst).  A server
 * that answers a request twice is still caught: the second reply finds
 * no request, or the next request with that ID, whose own reply then
 * finds none; either way the device breaks (-EPROTO).
 *
 * Posted messages (vub_post(), REGION_WRITE with NO_REPLY) all carry
 * msg_id VUB_POSTED_MSG_ID, outside the range requests are allocated
 * from, and are never in the pending table.
 *
 * Broken-state rules: end of file, a protocol violation, a timed-out
 * request, a short write or a failed DMA service make the device
 * broken, for good (vfio-user state cannot be resynchronised): every
 * pending request fails with the cause (-EIO for EOF, -ETIMEDOUT,
 * -EPROTO), new requests fail at once with -EIO, the socket is shut
 * down and vub_vfio_broken() is called once from a work item.  A
 * request whose waiter got a fatal signal is not a failure of the
 * server: its ID stays reserved by a tombstone until the late reply
 * arrives, which is then dropped and counted.
 *
 * Direct replies: a reply normally costs two wake-ups, the receiver
 * thread's and then the waiter's.  When nobody else is receiving, the
 * waiter takes the reader token itself and sleeps on the socket, so
 * the server's write wakes it directly; it reads (in one call) only
 * replies that are already complete in the socket, dispatches replies
 * for other waiters as the receiver would, and leaves everything else
 * (server commands, which need the receiver's context for DMA, parts
 * of messages, invalid headers, the end of the stream) to the receiver
 * thread.  The receiver is woken by the socket's data_ready and
 * state_change callbacks only while no waiter holds the token, and by
 * the waiter when it gives the token back with data still queued.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/un.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "posted.h"
#include "trace.h"

#define HDR_SIZE	sizeof(struct vfio_user_header)
/*
 * The largest message we accept.  Replies are bounded by what we asked
 * for (the negotiated max_data_xfer_size), but the server's DMA_WRITE
 * and DMA_READ may be as large as the max_data_xfer_size we advertised,
 * whatever the server advertised for itself (the spec bounds
 * server-to-client transfers by the client's value).
 */
#define RX_MAX_MSG	VUB_MAX_MSG_SIZE(VUB_OUR_MAX_XFER_SIZE)

static bool vub_direct_reply = true;
module_param_named(direct_reply, vub_direct_reply, bool, 0644);
MODULE_PARM_DESC(direct_reply,
		 "Let a waiting caller read its own reply instead of waking the receiver thread (default Y)");

/* A request waiting for its reply; lives on the waiter's stack. */
struct vub_req {
	struct vfio_user_header hdr;	/* as sent */
	struct completion done;
	void *reply;
	size_t reply_max;
	size_t reply_len;
	int err;			/* set by the claimer */
};

const char *vub_state_name(enum vub_state state)
{
	switch (state) {
	case VUB_STATE_BRINGUP:
		return "bringup";
	case VUB_STATE_READY:
		return "ready";
	case VUB_STATE_BROKEN:
		return "broken";
	case VUB_STATE_CLOSING:
		return "closing";
	case VUB_STATE_RECONNECTING:
		return "reconnecting";
	}
	return "unknown";
}

enum vub_state vub_state(struct vub_device *vd)
{
	return vd->conn ? READ_ONCE(vd->conn->state) : VUB_STATE_BRINGUP;
}

/*
 * Every change of the connection state goes through here, under the
 * pending table's lock.  Legal: BRINGUP -> READY (the receiver
 * starts), READY -> RECONNECTING (connection lost, reconnect on),
 * RECONNECTING -> READY (reconnect.c), BRINGUP/READY/RECONNECTING ->
 * BROKEN, and anything -> CLOSING.  Returns false, and changes nothing,
 * for a transition that is not allowed (BROKEN or CLOSING are final);
 * callers that race with others (breaking, closing) rely on that, so
 * only a transition nobody could have raced with warns.  Every change
 * wakes the requests waiting for a reconnect.
 */
static bool vub_conn_set_state(struct vub_device *vd, enum vub_state to)
{
	struct vub_conn *c = vd->conn;
	enum vub_state from = c->state;
	bool ok;

	lockdep_assert_held(&c->pending.xa_lock);
	switch (to) {
	case VUB_STATE_READY:
		ok = from == VUB_STATE_BRINGUP ||
		     from == VUB_STATE_RECONNECTING;
		break;
	case VUB_STATE_RECONNECTING:
		ok = from == VUB_STATE_READY;
		break;
	case VUB_STATE_BROKEN:
		ok = from == VUB_STATE_BRINGUP || from == VUB_STATE_READY ||
		     from == VUB_STATE_RECONNECTING;
		break;
	case VUB_STATE_CLOSING:
		ok = true;
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		/* Only BROKEN/CLOSING -> BROKEN is a benign race. */
		WARN_ONCE(to != VUB_STATE_BROKEN,
			  "vfio-user: illegal state change %s -> %s\n",
			  vub_state_name(from), vub_state_name(to));
		return false;
	}
	if (from != to) {
		dev_dbg(&vd->dev, "state %s -> %s\n", vub_state_name(from),
			vub_state_name(to));
		/* sysfs_notify() and the uevent sleep: from a work. */
		schedule_work(&vd->state_work);
	}
	WRITE_ONCE(c->state, to);
	c->replaying = false;
	wake_up_all(&c->state_wq);
	return true;
}

/* Fail every pending request with @err; xa_lock held. */
static void vub_fail_pending_locked(struct vub_conn *c, int err)
{
	unsigned long idx;
	void *entry;

	lockdep_assert_held(&c->pending.xa_lock);
	xa_for_each(&c->pending, idx, entry) {
		__xa_erase(&c->pending, idx);
		if (!xa_is_value(entry)) {
			struct vub_req *req = entry;

			req->err = err;
			complete(&req->done);
		}
	}
}

/* Shut the sockets down (the new one of a reconnect too); xa_lock held. */
static void vub_conn_shut_locked(struct vub_conn *c)
{
	lockdep_assert_held(&c->pending.xa_lock);
	if (c->sock)
		kernel_sock_shutdown(c->sock, SHUT_RDWR);
	if (c->new_sock)
		kernel_sock_shutdown(c->new_sock, SHUT_RDWR);
}

static void __vub_set_broken(struct vub_device *vd, int err, const char *why,
			     bool only_reconnecting)
{
	struct vub_conn *c = vd->conn;

	xa_lock(&c->pending);
	if ((only_reconnecting && c->state != VUB_STATE_RECONNECTING) ||
	    !vub_conn_set_state(vd, VUB_STATE_BROKEN)) {
		xa_unlock(&c->pending);
		return;
	}
	c->broken_err = err;
	c->broken_why = why;
	vub_fail_pending_locked(c, err);
	/*
	 * Scheduled under the lock: once vub_conn_shutdown() has moved to
	 * CLOSING, nothing schedules the work any more, so its
	 * cancel_work_sync() leaves none behind for the release.  The
	 * barrier pairs with the one in the bus probe (vfio_ready).
	 */
	smp_mb();
	schedule_work(&vd->broken_work);
	/*
	 * Under the lock: a reconnect swaps c->sock and releases the old
	 * one under it (vub_conn_swap()).
	 */
	vub_conn_shut_locked(c);
	xa_unlock(&c->pending);

	dev_err(&vd->dev, "connection to %s broken (%pe): %s; requests fail with EIO until the device is removed and added again\n",
		vd->socket_path, ERR_PTR(err), why);
}

void vub_set_broken(struct vub_device *vd, int err, const char *why)
{
	__vub_set_broken(vd, err, why, false);
}

/*
 * The connection is gone (end of file, reset, a failed send).  With
 * reconnect on, a READY device waits for a new server instead of
 * breaking: pending requests fail with -EIO (what the old server did
 * with them is unknown), new ones wait (vub_conn_wait_ready()), and the
 * reconnect timeout breaks the device if nobody reconnects it.  A new
 * server lost during a reconnect fails that reconnect's requests.
 */
void vub_conn_lost(struct vub_device *vd, int err, const char *why)
{
	struct vub_conn *c = vd->conn;
	unsigned int ms = READ_ONCE(vd->reconnect_timeout_ms);

	xa_lock(&c->pending);
	if (c->state == VUB_STATE_RECONNECTING) {
		vub_fail_pending_locked(c, -EIO);
		vub_conn_shut_locked(c);
		xa_unlock(&c->pending);
		return;
	}
	if (c->state != VUB_STATE_READY || !READ_ONCE(vd->reconnect) ||
	    !vub_conn_set_state(vd, VUB_STATE_RECONNECTING)) {
		xa_unlock(&c->pending);
		vub_set_broken(vd, err, why);
		return;
	}
	c->reconnect_deadline = jiffies + msecs_to_jiffies(ms);
	vub_fail_pending_locked(c, -EIO);
	/*
	 * Under the lock: vub_conn_shutdown() cancels it after CLOSING.
	 * "mod": the work of an earlier loss may still be pending (it
	 * finds the device READY and does nothing).
	 */
	mod_delayed_work(system_wq, &vd->reconnect_work, msecs_to_jiffies(ms));
	vub_conn_shut_locked(c);
	xa_unlock(&c->pending);

	dev_warn(&vd->dev, "connection to %s lost (%pe): %s; reconnecting: requests wait up to %u ms for a write to reconnect\n",
		 vd->socket_path, ERR_PTR(err), why, ms);
}

void vub_reconnect_expired(struct work_struct *work)
{
	struct vub_device *vd = container_of(to_delayed_work(work),
					     struct vub_device,
					     reconnect_work);

	__vub_set_broken(vd, -ETIMEDOUT, "no reconnect within reconnect_timeout_ms",
			 true);
}

/* Does current hold the send gate for an upgrade (upgrade.c)? */
static bool vub_conn_is_upgrader(struct vub_conn *c)
{
	return READ_ONCE(c->upgrader) == current;
}

/* The upgrader rolling back: its waits are not cut short by SIGKILL. */
static bool vub_conn_nokill(struct vub_conn *c)
{
	return vub_conn_is_upgrader(c) && READ_ONCE(c->upgrade_nokill);
}

/* May current send a request now?  xa_lock held. */
static bool vub_conn_may_send_locked(struct vub_conn *c)
{
	return c->state == VUB_STATE_READY ||
	       (c->state == VUB_STATE_RECONNECTING && c->replaying &&
		c->replayer == current);
}

int vub_conn_wait_ready(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	unsigned long deadline;
	long left;

	for (;;) {
		xa_lock(&c->pending);
		if (vub_conn_may_send_locked(c)) {
			xa_unlock(&c->pending);
			return 0;
		}
		/* The upgrader does not wait: it holds reconnect_lock. */
		if (c->state != VUB_STATE_RECONNECTING ||
		    READ_ONCE(vd->consumer_closing) ||
		    vub_conn_is_upgrader(c)) {
			xa_unlock(&c->pending);
			return -EIO;
		}
		/* The reconnect work breaks the device at the deadline. */
		deadline = c->reconnect_deadline + HZ;
		xa_unlock(&c->pending);
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -EIO;
		left = wait_event_killable_timeout(c->state_wq,
						   READ_ONCE(c->state) !=
						   VUB_STATE_RECONNECTING,
						   min_t(long, left, 10 * HZ));
		if (left < 0)
			return -EINTR;
	}
}

/* ---- the send gate of a planned upgrade (upgrade.c) ------------------ */

int vub_conn_gate_enter(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	if (vub_conn_is_upgrader(c))
		return 0;
	return down_read_killable(&c->gate) ? -EINTR : 0;
}

void vub_conn_gate_exit(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	if (!vub_conn_is_upgrader(c))
		up_read(&c->gate);
}

int vub_conn_gate_lock(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	lockdep_assert_held(&vd->reconnect_lock);
	if (down_write_killable(&c->gate))
		return -EINTR;
	WRITE_ONCE(c->upgrader, current);
	return 0;
}

void vub_conn_gate_unlock(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	WRITE_ONCE(c->upgrade_nokill, false);
	WRITE_ONCE(c->upgrader, NULL);
	up_write(&c->gate);
}

void vub_conn_gate_nokill(struct vub_device *vd, bool nokill)
{
	struct vub_conn *c = vd->conn;

	if (!WARN_ON_ONCE(!vub_conn_is_upgrader(c)))
		WRITE_ONCE(c->upgrade_nokill, nokill);
}

int vub_broken_reason(struct vub_device *vd, char *buf, size_t size)
{
	struct vub_conn *c = vd->conn;
	const char *why = NULL;
	int err = 0;

	if (!c)
		return 0;
	xa_lock(&c->pending);
	if (c->state == VUB_STATE_BROKEN) {
		err = c->broken_err;
		why = c->broken_why;
	}
	xa_unlock(&c->pending);
	if (!why)
		return 0;
	return scnprintf(buf, size, "%pe %s\n", ERR_PTR(err), why);
}

/* Unix socket errors that happen before any byte is queued. */
static bool vub_send_err_is_clean(int err)
{
	switch (err) {
	case -EBADF:
	case -EINVAL:
	case -ETOOMANYREFS:
	case -EPERM:
	case -ENOMEM:
	case -ENOBUFS:
	case -EINTR:
	case -ERESTARTSYS:
		return true;
	}
	return false;
}

/*
 * Send @total bytes from @vec (@n entries, at most 3) in one call while
 * holding the send lock, so that the message(s) never interleave with
 * another sender's.  A message that fits in the socket goes with one
 * non-blocking sendmsg; only when the socket is full are signals other
 * than SIGKILL blocked and the rest sent with the device's timeout.
 */
static int vub_conn_sendv(struct vub_device *vd, struct kvec *vec, int n,
			  size_t total, const struct vfio_user_header *h,
			  struct file *const *files, unsigned int nr_files)
{
	struct vub_conn *c = vd->conn;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT };
	sigset_t blocked, old;
	long timeo;
	int ret;

	if (vub_conn_nokill(c))
		mutex_lock(&c->send_lock);
	else if (mutex_lock_killable(&c->send_lock))
		return -EINTR;
	if (READ_ONCE(c->state) == VUB_STATE_BROKEN ||
	    READ_ONCE(c->state) == VUB_STATE_CLOSING ||
	    (READ_ONCE(c->state) == VUB_STATE_RECONNECTING &&
	     (!READ_ONCE(c->replaying) || READ_ONCE(c->replayer) != current))) {
		mutex_unlock(&c->send_lock);
		return -EIO;
	}
	if (h)
		trace_vub_msg_send(vd, h, nr_files);
	timeo = msecs_to_jiffies(READ_ONCE(vd->timeout_ms));
	if (nr_files) {
		ret = -EAGAIN;
	} else {
		/* The usual case: room in the socket, no signal games. */
		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, n, total);
		ret = sock_sendmsg(c->sock, &msg);
		if (ret == total || (ret < 0 && ret != -EAGAIN)) {
			mutex_unlock(&c->send_lock);
			goto done;
		}
		ret = max(ret, 0);
	}
	/*
	 * Only SIGKILL may interrupt a send: a consumer such as QEMU gets
	 * signals all the time and a message cut short would desynchronise
	 * the stream.  The send timeout bounds a server that stops reading.
	 */
	siginitsetinv(&blocked, sigmask(SIGKILL));
	sigprocmask(SIG_SETMASK, &blocked, &old);
	c->sock->sk->sk_sndtimeo = timeo;
	if (nr_files) {
		ret = vub_fdpass_send(c->sock, vec, n, total, files, nr_files,
				      timeo);
	} else {
		/* msg_iter has advanced past what was sent already. */
		size_t sent = ret;

		msg.msg_flags = MSG_NOSIGNAL;
		ret = sock_sendmsg(c->sock, &msg);
		if (ret >= 0 || sent)
			ret = max(ret, 0) + sent;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	mutex_unlock(&c->send_lock);

done:
	if (ret == total) {
		atomic64_add(total, &vd->stats.bytes_sent);
		return 0;
	}
	if (ret > 0) {
		atomic64_add(ret, &vd->stats.bytes_sent);
		if (fatal_signal_pending(current)) {
			vub_set_broken(vd, -EIO, "message cut short while sending");
			return -EINTR;
		}
		vub_conn_lost(vd, -EIO, "message cut short while sending");
		return -EIO;
	}
	if (ret == -EAGAIN) {
		vub_set_broken(vd, -ETIMEDOUT, "server does not read its socket");
		return -ETIMEDOUT;
	}
	if (vub_send_err_is_clean(ret))
		return ret == -ERESTARTSYS ? -EINTR : ret;
	vub_conn_lost(vd, -EIO, "cannot send to the server");
	return -EIO;
}

int vub_conn_send(struct vub_device *vd, struct vfio_user_header *h,
		  const void *p1, size_t l1, const void *p2, size_t l2,
		  struct file *const *files, unsigned int nr_files)
{
	size_t total = HDR_SIZE + l1 + l2;
	struct kvec vec[3];
	int n = 0;

	if (nr_files > VUB_OUR_MAX_MSG_FDS || total > U32_MAX ||
	    (nr_files && total > VUB_FDPASS_MAX_MSG))
		return -EINVAL;
	h->msg_size = total;
	vec[n++] = (struct kvec){ .iov_base = h, .iov_len = HDR_SIZE };
	if (l1)
		vec[n++] = (struct kvec){ .iov_base = (void *)p1, .iov_len = l1 };
	if (l2)
		vec[n++] = (struct kvec){ .iov_base = (void *)p2, .iov_len = l2 };
	return vub_conn_sendv(vd, vec, n, total, h, files, nr_files);
}

int vub_conn_send_batch(struct vub_device *vd, const void *buf, size_t len)
{
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };

	if (!len || len > U32_MAX)
		return -EINVAL;
	return vub_conn_sendv(vd, &vec, 1, len, NULL, NULL, 0);
}

/* Remove @req from the table if it is still there (see conn.h). */
static bool vub_claim(struct vub_conn *c, struct vub_req *req, void *repl)
{
	return xa_cmpxchg(&c->pending, req->hdr.msg_id, req, repl,
			  GFP_KERNEL) == req;
}

/*
 * Killable wait until jiffies @end, in slices so that a long (reset)
 * timeout does not look like a hung task.  Returns > 0 when done, 0 on
 * timeout, -ERESTARTSYS on a fatal signal.
 */
static long vub_wait(struct completion *done, unsigned long end,
		     bool killable)
{
	long left;

	for (;;) {
		long slice = min_t(long, (long)(end - jiffies), 10 * HZ);

		if (slice <= 0)
			return try_wait_for_completion(done) ? 1 : 0;
		if (killable)
			left = wait_for_completion_killable_timeout(done, slice);
		else
			left = wait_for_completion_timeout(done, slice);
		if (left)
			return left;
	}
}

static long vub_rx_direct(struct vub_device *vd, struct vub_req *req,
			  unsigned long end);

static int vub_xfer(struct vub_device *vd, u16 cmd,
		    const void *p1, size_t l1, const void *p2, size_t l2,
		    struct file *const *files, unsigned int nr_files,
		    void *reply, size_t reply_max, size_t *reply_len)
{
	struct vub_conn *c = vd->conn;
	struct vub_req req = {
		.hdr.cmd = cmd,
		.hdr.flags = VFIO_USER_F_TYPE_COMMAND,
		.reply = reply,
		.reply_max = reply_max,
	};
	unsigned long end;
	unsigned int ms;
	u32 id;
	long left;
	int ret;

	if (nr_files > vd->caps.max_msg_fds ||
	    l1 + l2 > VUB_MAX_MSG_SIZE(vd->caps.max_data_xfer_size) - HDR_SIZE)
		return -EINVAL;
again:
	/* A reconnect drops the queue (vub_postq_drop()): wait first. */
	ret = vub_conn_wait_ready(vd);
	if (ret)
		return ret;
	/* Sent before an upgrade stops the server, or after it. */
	ret = vub_conn_gate_enter(vd);
	if (ret)
		return ret;
	/*
	 * Queued posted writes go first: the server sees program order.
	 * Not by the upgrader: what is queued after its first request
	 * goes to the server that comes next (upgrade.c).
	 */
	if (!vub_conn_is_upgrader(c)) {
		ret = __vub_postq_flush(vd);
		if (ret) {
			vub_conn_gate_exit(vd);
			return ret;
		}
	}
	init_completion(&req.done);

	xa_lock(&c->pending);
	if (!vub_conn_may_send_locked(c)) {
		/* Lost while an upgrade held us back: wait for a reconnect. */
		bool wait = c->state == VUB_STATE_RECONNECTING &&
			    !vub_conn_is_upgrader(c);

		xa_unlock(&c->pending);
		vub_conn_gate_exit(vd);
		if (wait)
			goto again;
		return -EIO;
	}
	/* May drop and retake the lock to allocate. */
	ret = __xa_alloc(&c->pending, &id, &req, XA_LIMIT(0, VUB_POSTED_MSG_ID - 1),
			 GFP_KERNEL);
	if (ret < 0) {
		xa_unlock(&c->pending);
		vub_conn_gate_exit(vd);
		return ret == -EBUSY ? -EAGAIN : ret;
	}
	if (!vub_conn_may_send_locked(c)) {
		__xa_erase(&c->pending, id);
		xa_unlock(&c->pending);
		vub_conn_gate_exit(vd);
		return -EIO;
	}
	xa_unlock(&c->pending);
	req.hdr.msg_id = id;
	atomic64_inc(&vd->stats.requests);

	ret = vub_conn_send(vd, &req.hdr, p1, l1, p2, l2, files, nr_files);
	/* In the socket: the server answers it before an upgrade's STOP. */
	vub_conn_gate_exit(vd);
	if (ret) {
		if (!vub_claim(c, &req, NULL))
			wait_for_completion(&req.done);
		goto out;
	}

	ms = cmd == VFIO_USER_DEVICE_RESET ? READ_ONCE(vd->reset_timeout_ms) :
					     READ_ONCE(vd->timeout_ms);
	end = jiffies + msecs_to_jiffies(ms);
	left = vub_conn_nokill(c) ? -EAGAIN : vub_rx_direct(vd, &req, end);
	if (left == -EAGAIN)
		left = vub_wait(&req.done, end, !vub_conn_nokill(c));
	if (left == 0 && vub_claim(c, &req, NULL)) {
		/* A hung server: fatal, see the comment at the top. */
		atomic64_inc(&vd->stats.timeouts);
		dev_err(&vd->dev, "%s (msg_id %u) timed out after %u ms\n",
			vub_cmd_name(cmd), id, ms);
		vub_set_broken(vd, -ETIMEDOUT, "request timed out");
		ret = -ETIMEDOUT;
		goto out;
	}
	if (left < 0 && vub_claim(c, &req, xa_mk_value(cmd))) {
		dev_dbg(&vd->dev, "%s (msg_id %u) abandoned\n",
			vub_cmd_name(cmd), id);
		ret = -EINTR;
		goto out;
	}
	if (left <= 0)	/* claimed meanwhile: completion is imminent */
		wait_for_completion(&req.done);
	if (!req.err && reply_len)
		*reply_len = req.reply_len;
	ret = req.err;
out:
	trace_vub_req_done(vd, cmd, id, ret);
	return ret;
}

int vub_request(struct vub_device *vd, u16 cmd,
		const void *payload, size_t len,
		struct file *const *files, unsigned int nr_files,
		void *reply, size_t reply_max, size_t *reply_len)
{
	return vub_xfer(vd, cmd, payload, len, NULL, 0, files, nr_files,
			reply, reply_max, reply_len);
}

int vub_request2(struct vub_device *vd, u16 cmd,
		 const void *hdr, size_t hdr_len,
		 const void *data, size_t data_len,
		 void *reply, size_t reply_max, size_t *reply_len)
{
	return vub_xfer(vd, cmd, hdr, hdr_len, data, data_len, NULL, 0,
			reply, reply_max, reply_len);
}

int vub_post(struct vub_device *vd, u16 cmd, const void *hdr, size_t hdr_len,
	     const void *data, size_t data_len)
{
	struct vfio_user_header h = {
		.msg_id = VUB_POSTED_MSG_ID,
		.cmd = cmd,
		.flags = VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY,
	};
	int ret;

	if (hdr_len + data_len >
	    VUB_MAX_MSG_SIZE(vd->caps.max_data_xfer_size) - HDR_SIZE)
		return -EINVAL;
	ret = vub_conn_wait_ready(vd);
	if (ret)
		return ret;
	ret = vub_conn_gate_enter(vd);
	if (ret)
		return ret;
	ret = __vub_postq_flush(vd);
	if (!ret)
		ret = vub_conn_send(vd, &h, hdr, hdr_len, data, data_len,
				    NULL, 0);
	vub_conn_gate_exit(vd);
	if (!ret) {
		atomic64_inc(&vd->stats.requests);
		atomic64_inc(&vd->stats.posted_writes);
	}
	trace_vub_req_done(vd, cmd, h.msg_id, ret);
	return ret;
}

int vub_send_reply(struct vub_device *vd, const struct vfio_user_header *req,
		   int error, const void *payload, size_t len,
		   const void *data, size_t data_len)
{
	struct vfio_user_header h = {
		.msg_id = req->msg_id,
		.cmd = req->cmd,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};

	if (req->flags & VFIO_USER_F_NO_REPLY)
		return 0;
	if (error) {
		h.flags |= VFIO_USER_F_ERROR;
		h.error_no = clamp(error, 1, VFIO_USER_MAX_ERRNO);
		len = 0;
		data_len = 0;
	}
	return vub_conn_send(vd, &h, payload, len, data, data_len, NULL, 0);
}

/* ---- receiver --------------------------------------------------------- */

/*
 * Read exactly @len bytes.  No control buffer: fds from the server
 * are dropped by the kernel and reported with MSG_CTRUNC, a protocol
 * violation (fds only come with bring-up replies).
 */
/*
 * One receive of up to @len bytes (MSG_WAITALL) without a control
 * buffer: the bytes, -errno, or -EPROTO for fds (closed, counted).
 */
static int vub_recv_some(struct vub_device *vd, struct socket *sock,
			 void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};
	int ret;

	ret = kernel_recvmsg(sock, &msg, &vec, 1, len, MSG_WAITALL);
	if (ret > 0)
		atomic64_add(ret, &vd->stats.bytes_received);
	if (msg.msg_flags & MSG_CTRUNC) {
		atomic64_inc(&vd->stats.unexpected_fds);
		return -EPROTO;
	}
	return ret;
}

int vub_sock_recv_errno(int ret)
{
	switch (ret) {
	case 0:
	case -ECONNRESET:
		return -ECONNRESET;
	case -EAGAIN:
		return -ETIMEDOUT;
	case -ERESTARTSYS:
	case -EINTR:
		return -EINTR;
	}
	return ret;
}

static int vub_recv_all(struct vub_device *vd, void *buf, size_t len,
			const char **why)
{
	struct socket *sock = vd->conn->sock;

	while (len) {
		int ret;

		ret = vub_recv_some(vd, sock, buf, len);
		if (ret == -EPROTO) {
			*why = "server sent file descriptors outside bring-up";
			return -EPROTO;
		}
		/* A peer that dies with unread data gives ECONNRESET. */
		if (ret == 0 || ret == -ECONNRESET) {
			*why = "server closed the connection";
			return -EIO;
		}
		if (ret < 0) {
			*why = "receive error";
			return ret;
		}
		buf += ret;
		len -= ret;
	}
	return 0;
}

/*
 * A reply with the posted msg_id.  The spec has no reply to a NO_REPLY
 * command; a server that sends an error reply anyway tells us that a
 * posted write failed, which nobody can be told otherwise: count it,
 * trace it, keep going.  Anything else is a violation.
 */
static int vub_rx_posted_reply(struct vub_device *vd,
			       const struct vfio_user_header *h)
{
	struct vfio_user_header req = {
		.msg_id = VUB_POSTED_MSG_ID,
		.cmd = VFIO_USER_REGION_WRITE,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vub_err err = {};
	int srv_errno = 0, ret;

	ret = vub_check_reply_header(&req, h, &srv_errno, &err);
	if (ret == 1 && atomic64_read(&vd->stats.posted_writes)) {
		atomic64_inc(&vd->stats.posted_errors);
		trace_vub_posted_error(vd, h->cmd, srv_errno);
		dev_warn_ratelimited(&vd->dev, "a posted REGION_WRITE failed on the server (%pe)\n",
				     ERR_PTR(-srv_errno));
		return 0;
	}
	dev_err(&vd->dev, "bad reply to a posted write: %s\n",
		ret < 0 ? err.msg : ret == 1 ? "no posted write was sent" :
		"success reply to a no-reply command");
	vub_set_broken(vd, -EPROTO, "reply to a posted write");
	return -EPROTO;
}

static int vub_rx_reply(struct vub_device *vd,
			const struct vfio_user_header *h,
			void *p, size_t len)
{
	struct vub_conn *c = vd->conn;
	struct vub_req *req;
	struct vub_err err = {};
	int srv_errno = 0, ret;
	void *entry;

	if (h->msg_id == VUB_POSTED_MSG_ID)
		return vub_rx_posted_reply(vd, h);
	xa_lock(&c->pending);
	entry = xa_load(&c->pending, h->msg_id);
	if (entry)
		__xa_erase(&c->pending, h->msg_id);
	xa_unlock(&c->pending);

	if (!entry) {
		dev_err(&vd->dev, "reply %s with unknown msg_id %u\n",
			vub_cmd_name(h->cmd), h->msg_id);
		vub_set_broken(vd, -EPROTO, "reply to no request");
		return -EPROTO;
	}
	if (xa_is_value(entry)) {
		if (xa_to_value(entry) != h->cmd) {
			vub_set_broken(vd, -EPROTO, "reply command mismatch");
			return -EPROTO;
		}
		atomic64_inc(&vd->stats.late_replies);
		dev_dbg(&vd->dev, "late reply msg_id %u dropped\n", h->msg_id);
		return 0;
	}

	/*
	 * Claimed: we must complete it, and not block before that.  @req
	 * lives on the waiter's stack: not a byte of it may be touched
	 * after complete().
	 */
	req = entry;
	ret = vub_check_reply_header(&req->hdr, h, &srv_errno, &err);
	if (ret < 0 || (ret == 0 && len > req->reply_max)) {
		u16 cmd = req->hdr.cmd;

		req->err = -EPROTO;
		complete(&req->done);
		dev_err(&vd->dev, "bad reply to %s (msg_id %u): %s\n",
			vub_cmd_name(cmd), h->msg_id,
			ret < 0 ? err.msg : "payload larger than expected");
		vub_set_broken(vd, -EPROTO, "invalid reply");
		return -EPROTO;
	}
	atomic64_inc(&vd->stats.replies);
	if (ret == 1) {
		atomic64_inc(&vd->stats.errors);
		req->err = -srv_errno;
	} else {
		if (len)
			memcpy(req->reply, p, len);
		req->reply_len = len;
		req->err = 0;
	}
	complete(&req->done);
	return 0;
}

static int vub_rx_command(struct vub_device *vd,
			  const struct vfio_user_header *h,
			  void *p, size_t len)
{
	struct vub_err err = {};
	int ret;

	atomic64_inc(&vd->stats.server_requests);
	if (h->cmd != VFIO_USER_DMA_READ && h->cmd != VFIO_USER_DMA_WRITE) {
		/* The spec defines no other server-to-client commands. */
		dev_warn_ratelimited(&vd->dev,
				     "unsupported command %u from the server\n",
				     h->cmd);
		ret = vub_send_reply(vd, h, EOPNOTSUPP, NULL, 0, NULL, 0);
		return ret == -EINTR ? 0 : ret;
	}
	ret = vub_check_dma_request(h->cmd, p, len, VUB_OUR_MAX_XFER_SIZE,
				    &err);
	if (ret == -E2BIG)
		return vub_send_reply(vd, h, E2BIG, NULL, 0, NULL, 0);
	if (ret) {
		dev_err(&vd->dev, "bad %s request: %s (offset %zu)\n",
			vub_cmd_name(h->cmd), err.msg, err.offset);
		vub_set_broken(vd, -EPROTO, "invalid DMA request");
		return -EPROTO;
	}
	ret = vub_dma_handle(vd, h, p, len);
	/*
	 * A reply that could not be sent has already lost the connection
	 * (reconnect) or broken the device: vub_conn_send().
	 */
	if (ret < 0 && ret != -EIO && ret != -ETIMEDOUT)
		vub_set_broken(vd, ret, "DMA request handling failed");
	return ret;
}

/* Read and dispatch one message; non-zero stops the receiver. */
static int vub_rx_one(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	struct vfio_user_header h;
	struct vub_err err = {};
	const char *why = NULL;
	size_t len;
	int ret, type;

	ret = vub_recv_all(vd, &h, sizeof(h), &why);
	if (ret)
		goto broken;
	type = vub_check_header(&h, RX_MAX_MSG, &err);
	if (type < 0) {
		trace_vub_msg_recv(vd, &h, 0);
		dev_err(&vd->dev, "bad message header: %s (offset %zu)\n",
			err.msg, err.offset);
		why = "invalid message header";
		ret = -EPROTO;
		goto broken;
	}
	len = h.msg_size - sizeof(h);
	if (WARN_ON_ONCE(len > c->rx_size)) {
		why = "message too large";
		ret = -EPROTO;
		goto broken;
	}
	ret = vub_recv_all(vd, c->rx_buf, len, &why);
	if (ret)
		goto broken;
	trace_vub_msg_recv(vd, &h, 0);
	if (type == VFIO_USER_F_TYPE_REPLY)
		return vub_rx_reply(vd, &h, c->rx_buf, len);
	return vub_rx_command(vd, &h, c->rx_buf, len);

broken:
	/* An upgrade shut the old server's socket down: not a loss. */
	if (ret == -EIO && READ_ONCE(c->rx_detach))
		return ret;
	if (ret == -EIO)
		vub_conn_lost(vd, ret, why);
	else
		vub_set_broken(vd, ret, why);
	return ret;
}

/*
 * Something for a reader: data queued (maybe only part of a message),
 * or the end of the stream.
 */
static bool vub_sk_rx_ready(struct sock *sk)
{
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(sk->sk_err);
}

static bool vub_rx_ready(struct vub_conn *c)
{
	return vub_sk_rx_ready(c->sock->sk);
}

/*
 * Largest reply payload a waiter reads itself: enough for config space
 * and register accesses.  Larger replies are throughput-bound and go
 * through the receiver thread.
 */
#define DIRECT_MAX	4096

/*
 * Read one complete reply that is already queued, without blocking:
 * peek up to DIRECT_MAX payload bytes, and if they hold a whole reply,
 * consume exactly that reply with one more call.  Returns 1 when a
 * reply was read and dispatched, 0 when the next thing on the stream is
 * anything else (nothing, part of a message, a large or invalid
 * message, a server command, the end of the stream: the receiver
 * thread's business), or a negative error when the device broke.
 */
static int vub_rx_direct_one(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	struct vfio_user_header h;
	struct vub_err err = {};
	struct msghdr msg = {};
	struct kvec vec[2];
	size_t len;
	int ret;

	vec[0] = (struct kvec){ .iov_base = &h, .iov_len = HDR_SIZE };
	vec[1] = (struct kvec){ .iov_base = c->rx_buf, .iov_len = DIRECT_MAX };
	ret = kernel_recvmsg(c->sock, &msg, vec, 2, HDR_SIZE + DIRECT_MAX,
			     MSG_PEEK | MSG_DONTWAIT);
	if (ret < (int)HDR_SIZE || (msg.msg_flags & MSG_CTRUNC))
		return 0;
	if (vub_check_header(&h, RX_MAX_MSG, &err) != VFIO_USER_F_TYPE_REPLY ||
	    h.msg_size > ret)
		return 0;

	len = h.msg_size - HDR_SIZE;
	vec[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	ret = kernel_recvmsg(c->sock, &msg, vec, 2, h.msg_size, MSG_DONTWAIT);
	if (ret > 0)
		atomic64_add(ret, &vd->stats.bytes_received);
	if (ret != h.msg_size || (msg.msg_flags & MSG_CTRUNC)) {
		/* We are the only reader and it was all queued. */
		vub_set_broken(vd, -EIO, "short read of a queued reply");
		return -EIO;
	}
	trace_vub_msg_recv(vd, &h, 0);
	atomic64_inc(&vd->stats.direct_replies);
	ret = vub_rx_reply(vd, &h, c->rx_buf, len);
	return ret ?: 1;
}

/*
 * Direct replies (see the top of this file): wait for @req's reply on
 * the socket and read it ourselves, if nobody else is receiving.
 * Returns > 0 when @req is done, 0 on timeout, -ERESTARTSYS on a fatal
 * signal, -EAGAIN when the receiver thread has to finish the job.
 */
static long vub_rx_direct(struct vub_device *vd, struct vub_req *req,
			  unsigned long end)
{
	struct vub_conn *c = vd->conn;
	long ret = -EAGAIN;
	struct sock *sk;

	if (!READ_ONCE(vub_direct_reply) || !mutex_trylock(&c->rx_lock))
		return -EAGAIN;
	WRITE_ONCE(c->rx_direct, true);
	/* Pairs with smp_mb() in vub_sk_wake(). */
	smp_mb();
	/*
	 * If our send woke a server that is to run on this CPU, let it run
	 * now: its reply is then queued when we look, and we neither sleep
	 * nor need a wake-up.  Nothing happens when it runs elsewhere.
	 */
	cond_resched();
	for (;;) {
		long slice;
		int n;

		if (completion_done(&req->done)) {
			ret = 1;
			break;
		}
		/* Peek only when something is queued: a recvmsg less. */
		if (vub_rx_ready(c)) {
			n = vub_rx_direct_one(vd);
			if (n > 0)
				continue;
			break;		/* an error, or the receiver's business */
		}
		slice = min_t(long, (long)(end - jiffies), 10 * HZ);
		if (slice <= 0) {
			ret = 0;
			break;
		}
		/*
		 * vub_sk_wake() wakes us for data, the end of the stream and
		 * a shutdown (which follows failing every pending request).
		 * The socket's own wait queue would not do: it only wakes
		 * interruptible sleepers.
		 */
		slice = wait_event_killable_timeout(c->direct_wq,
						    vub_rx_ready(c) ||
						    completion_done(&req->done),
						    slice);
		if (slice < 0) {
			ret = slice;
			break;
		}
	}
	WRITE_ONCE(c->rx_direct, false);
	/* A reconnect may release the socket once the token is back. */
	sk = c->sock->sk;
	sock_hold(sk);
	mutex_unlock(&c->rx_lock);
	/* Pairs with smp_mb() in vub_sk_wake(). */
	smp_mb();
	if (vub_sk_rx_ready(sk))
		wake_up(&c->rx_wq);
	sock_put(sk);
	if (ret == -EAGAIN && completion_done(&req->done))
		ret = 1;
	return ret;
}

/* The socket's data_ready and state_change callbacks. */
static void vub_sk_wake(struct sock *sk, bool data)
{
	struct vub_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c) {
		if (data)
			c->saved_data_ready(sk);
		else
			c->saved_state_change(sk);
		/*
		 * The data or state change happened before we look at
		 * rx_direct; pairs with smp_mb() in vub_rx_direct().
		 */
		smp_mb();
		if (READ_ONCE(c->rx_direct))
			wake_up(&c->direct_wq);
		else
			wake_up(&c->rx_wq);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void vub_sk_data_ready(struct sock *sk)
{
	vub_sk_wake(sk, true);
}

static void vub_sk_state_change(struct sock *sk)
{
	vub_sk_wake(sk, false);
}

/*
 * Something to read and the reader token taken.  A waiter holding the
 * token wakes rx_wq when it gives the token back with data queued, so
 * the receiver sleeps (interruptibly, not in mutex_lock()) instead of
 * blocking behind a waiter that may wait as long as its timeout.
 */
static bool vub_rx_take_token(struct vub_conn *c)
{
	return vub_rx_ready(c) && mutex_trylock(&c->rx_lock);
}

static int vub_rx_thread(void *arg)
{
	struct vub_device *vd = arg;
	struct vub_conn *c = vd->conn;
	int ret = 0;

	while (!ret) {
		bool token = false;

		wait_event_interruptible(c->rx_wq, kthread_should_stop() ||
					 (token = vub_rx_take_token(c)));
		if (!token) {
			if (kthread_should_stop())
				break;
			continue;
		}
		while (!ret && vub_rx_ready(c))
			ret = vub_rx_one(vd);
		mutex_unlock(&c->rx_lock);
	}
	/* Wait for vub_conn_shutdown() to stop us. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* ---- setup and teardown ---------------------------------------------- */

int vub_sock_connect(struct vub_device *vd, const char *path,
		     struct socket **sockp, struct pid **pid, kuid_t *uid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	struct sock *sk;
	int ret;

	*sockp = NULL;
	if (plen >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, plen);
	/*
	 * Kernel sockets do not pin their netns, so use init_net; a
	 * pathname socket is found through the file system anyway.  The
	 * path is resolved against the calling process's root and checked
	 * with its credentials (unix_find_bsd()): this runs in the
	 * process that asked for the device.
	 */
	ret = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, sockp);
	if (ret)
		return ret;
	sk = (*sockp)->sk;
	sk->sk_sndtimeo = msecs_to_jiffies(READ_ONCE(vd->timeout_ms));
	ret = kernel_connect(*sockp, (void *)&sun,
			     offsetof(struct sockaddr_un, sun_path) + plen + 1, 0);
	if (ret)
		return ret == -ERESTARTSYS ? -EINTR : ret;

	spin_lock(&sk->sk_peer_lock);
	*pid = get_pid(sk->sk_peer_pid);
	*uid = sk->sk_peer_cred ? sk->sk_peer_cred->euid : INVALID_UID;
	spin_unlock(&sk->sk_peer_lock);
	return 0;
}

int vub_conn_connect(struct vub_device *vd)
{
	struct vub_conn *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	mutex_init(&c->send_lock);
	mutex_init(&c->rx_lock);
	init_waitqueue_head(&c->rx_wq);
	init_waitqueue_head(&c->direct_wq);
	init_waitqueue_head(&c->state_wq);
	xa_init_flags(&c->pending, XA_FLAGS_ALLOC);
	init_rwsem(&c->gate);
	c->state = VUB_STATE_BRINGUP;
	vd->conn = c;

	return vub_sock_connect(vd, vd->socket_path, &c->sock,
				&vd->server_pid, &vd->server_uid);
}

/* Our callbacks on @sock, for the receiver and direct replies. */
static void vub_sock_hook(struct vub_conn *c, struct socket *sock)
{
	struct sock *sk = sock->sk;

	sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	write_lock_bh(&sk->sk_callback_lock);
	c->saved_data_ready = sk->sk_data_ready;
	c->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = c;
	sk->sk_data_ready = vub_sk_data_ready;
	sk->sk_state_change = vub_sk_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void vub_sock_unhook(struct vub_conn *c, struct socket *sock)
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == c) {
		sk->sk_data_ready = c->saved_data_ready;
		sk->sk_state_change = c->saved_state_change;
		sk->sk_user_data = NULL;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

int vub_conn_start(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	struct task_struct *t;
	int ret;

	c->rx_size = RX_MAX_MSG - HDR_SIZE;
	c->rx_buf = kvmalloc(c->rx_size, GFP_KERNEL);
	if (!c->rx_buf)
		return -ENOMEM;
	ret = vub_postq_start(vd);
	if (ret)
		return ret;
	vub_sock_hook(c, c->sock);

	xa_lock(&c->pending);
	if (c->state != VUB_STATE_BRINGUP) {
		xa_unlock(&c->pending);
		return c->broken_err ?: -EIO;
	}
	vub_conn_set_state(vd, VUB_STATE_READY);
	xa_unlock(&c->pending);

	t = kthread_run(vub_rx_thread, vd, "vub-rx/%s", dev_name(&vd->dev));
	if (IS_ERR(t))
		return PTR_ERR(t);
	c->rx = t;
	return 0;
}

/*
 * Stop all traffic: pending and new requests fail with -EIO, the
 * socket is shut down, the receiver stopped.  The socket stays
 * allocated until the device is released.  Sleeps.
 */
void vub_conn_shutdown(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	if (!c)
		return;
	xa_lock(&c->pending);
	vub_conn_set_state(vd, VUB_STATE_CLOSING);
	vub_fail_pending_locked(c, -EIO);
	/* Also makes a reconnect in progress give up at once. */
	vub_conn_shut_locked(c);
	xa_unlock(&c->pending);
	/* A reconnect writer owns c->sock and c->rx until it is done. */
	mutex_lock(&vd->reconnect_lock);
	if (c->sock)
		vub_sock_unhook(c, c->sock);
	vub_postq_stop(vd);
	if (c->rx) {
		kthread_stop(c->rx);
		c->rx = NULL;
	}
	mutex_unlock(&vd->reconnect_lock);
	cancel_delayed_work_sync(&vd->reconnect_work);
	cancel_work_sync(&vd->broken_work);
	/* Deliver "closing"; CLOSING is final, nothing schedules it again. */
	flush_work(&vd->state_work);
}

/* From the device release function: nothing can use @vd any more. */
void vub_conn_free(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	if (!c)
		return;
	WARN_ON(c->rx);
	vub_postq_free(vd);
	xa_destroy(&c->pending);
	if (c->sock)
		sock_release(c->sock);
	kvfree(c->rx_buf);
	mutex_destroy(&c->rx_lock);
	mutex_destroy(&c->send_lock);
	kfree(c);
	vd->conn = NULL;
}

/* ---- reconnect (reconnect.c) ----------------------------------------- */

int vub_sock_send(struct vub_device *vd, struct socket *sock,
		  struct vfio_user_header *h, const void *p, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec vec[2];
	size_t total = HDR_SIZE + len;
	sigset_t blocked, old;
	int n = 0, ret;

	if (total > U32_MAX)
		return -EINVAL;
	h->msg_size = total;
	vec[n++] = (struct kvec){ .iov_base = h, .iov_len = HDR_SIZE };
	if (len)
		vec[n++] = (struct kvec){ .iov_base = (void *)p, .iov_len = len };
	trace_vub_msg_send(vd, h, 0);
	/* As vub_conn_send(): only SIGKILL interrupts, the timeout bounds. */
	siginitsetinv(&blocked, sigmask(SIGKILL));
	sigprocmask(SIG_SETMASK, &blocked, &old);
	sock->sk->sk_sndtimeo = msecs_to_jiffies(READ_ONCE(vd->timeout_ms));
	ret = kernel_sendmsg(sock, &msg, vec, n, total);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret > 0)
		atomic64_add(ret, &vd->stats.bytes_sent);
	if (ret == total)
		return 0;
	if (ret == -EAGAIN)
		return -ETIMEDOUT;
	if (ret == -ERESTARTSYS || fatal_signal_pending(current))
		return -EINTR;
	return -ECONNRESET;
}

/* Read exactly @len bytes of @sock by jiffies @end; no fds. */
static int vub_sock_recv(struct vub_device *vd, struct socket *sock,
			 void *buf, size_t len, unsigned long end)
{
	while (len) {
		long tmo = (long)(end - jiffies);
		int ret;

		if (tmo <= 0)
			return -ETIMEDOUT;
		sock->sk->sk_rcvtimeo = tmo;
		ret = vub_recv_some(vd, sock, buf, len);
		if (ret <= 0)
			return vub_sock_recv_errno(ret);
		buf += ret;
		len -= ret;
	}
	return 0;
}

int vub_sock_request(struct vub_device *vd, struct socket *sock, u16 *msg_id,
		     u16 cmd, const void *req, size_t len,
		     void *reply, size_t reply_max, size_t *reply_len)
{
	struct vfio_user_header h = {
		.msg_id = (*msg_id)++,
		.cmd = cmd,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	unsigned int ms = READ_ONCE(vd->timeout_ms);
	struct vfio_user_header rh;
	struct vub_err err = {};
	int ret, srv_errno = 0;
	unsigned long end;
	u8 scratch[64];
	size_t plen;

	atomic64_inc(&vd->stats.requests);
	ret = vub_sock_send(vd, sock, &h, req, len);
	if (ret)
		return ret;
	end = jiffies + msecs_to_jiffies(ms);
	ret = vub_sock_recv(vd, sock, &rh, sizeof(rh), end);
	if (ret == -ETIMEDOUT) {
		atomic64_inc(&vd->stats.timeouts);
		dev_err(&vd->dev, "%s to the new server timed out after %u ms\n",
			vub_cmd_name(cmd), ms);
	}
	if (ret)
		return ret;
	trace_vub_msg_recv(vd, &rh, 0);
	ret = vub_check_header(&rh, RX_MAX_MSG, &err);
	if (ret >= 0 && ret != VFIO_USER_F_TYPE_REPLY) {
		err.msg = "a command from the new server";
		ret = -EPROTO;
	}
	if (ret >= 0 && vub_check_reply_header(&h, &rh, &srv_errno, &err) < 0)
		ret = -EPROTO;
	plen = rh.msg_size - HDR_SIZE;
	if (ret >= 0 && !srv_errno && plen > reply_max) {
		err.msg = "reply larger than expected";
		ret = -EPROTO;
	}
	if (ret < 0) {
		dev_err(&vd->dev, "bad reply of the new server to %s: %s\n",
			vub_cmd_name(cmd), err.msg ?: "?");
		return -EPROTO;
	}
	ret = 0;
	if (srv_errno) {
		/* An error reply's payload is dropped. */
		while (plen && !ret) {
			size_t n = min(plen, sizeof(scratch));

			ret = vub_sock_recv(vd, sock, scratch, n, end);
			plen -= n;
		}
		if (ret)
			return ret;
		atomic64_inc(&vd->stats.replies);
		atomic64_inc(&vd->stats.errors);
		return -srv_errno;
	}
	ret = vub_sock_recv(vd, sock, reply, plen, end);
	if (ret)
		return ret;
	atomic64_inc(&vd->stats.replies);
	*reply_len = plen;
	return 0;
}

int vub_conn_set_new_sock(struct vub_device *vd, struct socket *sock,
			  enum vub_state state)
{
	struct vub_conn *c = vd->conn;
	int ret = 0;

	xa_lock(&c->pending);
	if (c->state != state)
		ret = -EIO;
	else
		c->new_sock = sock;
	xa_unlock(&c->pending);
	return ret;
}

void vub_conn_clear_new_sock(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	xa_lock(&c->pending);
	c->new_sock = NULL;
	xa_unlock(&c->pending);
}

/*
 * Stop the receiver of the old socket, put @sock in its place with a
 * new receiver.  @upgrade: READY (the gate held), else RECONNECTING
 * (the caller becomes the replayer).  The old socket goes to @old.
 */
static int __vub_conn_swap(struct vub_device *vd, struct socket *sock,
			   bool upgrade, struct socket **old)
{
	struct vub_conn *c = vd->conn;
	struct task_struct *t;
	int ret = 0;

	lockdep_assert_held(&vd->reconnect_lock);
	*old = NULL;
	t = kthread_create(vub_rx_thread, vd, "vub-rx/%s", dev_name(&vd->dev));
	if (IS_ERR(t))
		return PTR_ERR(t);
	/*
	 * The old receiver stopped at the end of its stream; the old
	 * server of an upgrade is alive (and stopped): its socket is shut
	 * for reading, which the receiver does not take for a loss, so
	 * that it stops even in the middle of a message.
	 */
	if (upgrade && c->rx) {
		WRITE_ONCE(c->rx_detach, true);
		kernel_sock_shutdown(c->sock, SHUT_RD);
	}
	if (c->rx) {
		kthread_stop(c->rx);
		c->rx = NULL;
	}

	/* No reader, no writer of the old socket from here on. */
	mutex_lock(&c->rx_lock);
	/* An upgrade holds the gate: only the stopped receiver sent. */
	if (upgrade) {
		mutex_lock(&c->send_lock);
	} else if (mutex_lock_killable(&c->send_lock)) {
		mutex_unlock(&c->rx_lock);
		kthread_stop(t);
		return -EINTR;
	}
	xa_lock(&c->pending);
	if (c->state != (upgrade ? VUB_STATE_READY : VUB_STATE_RECONNECTING)) {
		ret = -EIO;
	} else {
		*old = c->sock;
		c->sock = sock;
		c->new_sock = NULL;
		c->rx = t;
		WRITE_ONCE(c->rx_detach, false);
		if (!upgrade) {
			c->replayer = current;
			c->replaying = true;
		}
	}
	xa_unlock(&c->pending);
	if (!ret) {
		vub_sock_unhook(c, *old);
		vub_sock_hook(c, sock);
	}
	mutex_unlock(&c->send_lock);
	mutex_unlock(&c->rx_lock);
	if (ret) {
		kthread_stop(t);
		return ret;
	}
	wake_up_process(t);
	return 0;
}

int vub_conn_swap(struct vub_device *vd, struct socket *sock)
{
	struct socket *old;
	int ret;

	/* Before send_lock: a flusher holds its lock while it sends. */
	vub_postq_drop(vd);
	ret = __vub_conn_swap(vd, sock, false, &old);
	if (!ret)
		sock_release(old);
	return ret;
}

int vub_conn_swap_upgrade(struct vub_device *vd, struct socket *sock,
			  struct socket **old)
{
	return __vub_conn_swap(vd, sock, true, old);
}

int vub_conn_reconnected(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	int ret = -EIO;

	xa_lock(&c->pending);
	if (c->state == VUB_STATE_RECONNECTING && c->replaying &&
	    vub_conn_set_state(vd, VUB_STATE_READY))
		ret = 0;
	xa_unlock(&c->pending);
	return ret;
}

void vub_conn_replay_failed(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;

	xa_lock(&c->pending);
	c->replaying = false;
	vub_fail_pending_locked(c, -EIO);
	vub_conn_shut_locked(c);
	xa_unlock(&c->pending);
}

unsigned long vub_conn_reconnect_deadline(struct vub_device *vd)
{
	struct vub_conn *c = vd->conn;
	unsigned long d;

	xa_lock(&c->pending);
	d = c->reconnect_deadline;
	xa_unlock(&c->pending);
	return d;
}
