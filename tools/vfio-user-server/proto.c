// SPDX-License-Identifier: GPL-2.0
/*
 * Message layer: framing, fd passing, validation of headers, dispatch,
 * VERSION negotiation and server -> client requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "server.h"
#include "cmd.h"

static const char *const cmd_names[VFIO_USER_MAX_COMMAND] = {
	[VFIO_USER_VERSION] = "VERSION",
	[VFIO_USER_DMA_MAP] = "DMA_MAP",
	[VFIO_USER_DMA_UNMAP] = "DMA_UNMAP",
	[VFIO_USER_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
	[VFIO_USER_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
	[VFIO_USER_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
	[VFIO_USER_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
	[VFIO_USER_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
	[VFIO_USER_REGION_READ] = "REGION_READ",
	[VFIO_USER_REGION_WRITE] = "REGION_WRITE",
	[VFIO_USER_DMA_READ] = "DMA_READ",
	[VFIO_USER_DMA_WRITE] = "DMA_WRITE",
	[VFIO_USER_DEVICE_RESET] = "DEVICE_RESET",
	[VFIO_USER_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
	[VFIO_USER_DEVICE_FEATURE] = "DEVICE_FEATURE",
	[VFIO_USER_MIG_DATA_READ] = "MIG_DATA_READ",
	[VFIO_USER_MIG_DATA_WRITE] = "MIG_DATA_WRITE",
};

const char *vus_cmd_name(unsigned int cmd)
{
	if (cmd < VFIO_USER_MAX_COMMAND && cmd_names[cmd])
		return cmd_names[cmd];
	return "UNKNOWN";
}

int vus_cmd_from_name(const char *name)
{
	unsigned int i;

	if (!strncmp(name, "VFIO_USER_", 10))
		name += 10;
	for (i = 0; i < VFIO_USER_MAX_COMMAND; i++)
		if (cmd_names[i] && !strcasecmp(cmd_names[i], name))
			return i;
	return -1;
}

void vus_free_msg(struct vus_msg *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	free(m->data);
	free(m);
}

static uint32_t max_recv_size(const struct vus_conn *c)
{
	uint32_t x = vus_opts.max_xfer;

	if (c->client_max_xfer > x)
		x = c->client_max_xfer < VFIO_USER_MAX_MAX_XFER_SIZE ?
		    c->client_max_xfer : VFIO_USER_MAX_MAX_XFER_SIZE;
	return x + 2 * VUS_HDR_SIZE;
}

/*
 * Waits for input.  Returns 1 when readable, 0 on timeout, -1 when we
 * are asked to stop.  timeout_ms < 0 waits forever.
 */
static int wait_readable(int fd, int timeout_ms)
{
	int waited = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int slice = 200, r;

		if (vus_stop)
			return -1;
		if (timeout_ms >= 0 && timeout_ms - waited < slice)
			slice = timeout_ms - waited;
		r = poll(&p, 1, slice);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0) {
			waited += slice;
			if (timeout_ms >= 0 && waited >= timeout_ms)
				return 0;
		}
	}
}

/*
 * One recvmsg.  The fds it brings are stashed with the stream position
 * of the last byte it returned: the kernel stops a stream read right
 * after the data the fds came with, so they belong to the message that
 * byte is part of (take_fds()).
 */
static ssize_t rx_recv(struct vus_conn *c, void *buf, size_t len, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VUS_RECV_FDS_LIMIT)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	ssize_t r;

	r = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | flags);
	if (r <= 0)
		return r;
	c->rx_pos += r;
	if ((mh.msg_flags & MSG_CTRUNC) && !c->ctrunc) {
		c->ctrunc = true;
		c->ctrunc_pos = c->rx_pos - 1;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int n, i, *p;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = (int *)CMSG_DATA(cm);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, p + i, sizeof(fd));
			if (c->nstash < VUS_RECV_FDS_LIMIT) {
				c->stash[c->nstash].fd = fd;
				c->stash[c->nstash++].pos = c->rx_pos - 1;
			} else {
				close(fd);
			}
		}
	}
	return r;
}

/* The fds (and a truncation) that came with the bytes before @end. */
static void take_fds(struct vus_conn *c, struct vus_msg *m, uint64_t end)
{
	int i, k = 0;

	for (i = 0; i < c->nstash; i++) {
		if (c->stash[i].pos >= end) {
			c->stash[k++] = c->stash[i];
			continue;
		}
		if (m->nfds < VUS_RECV_FDS_LIMIT)
			m->fds[m->nfds++] = c->stash[i].fd;
		else
			close(c->stash[i].fd);
	}
	c->nstash = k;
	if (c->ctrunc && c->ctrunc_pos < end) {
		m->recv_err = EFAULT;	/* as libvfio-user */
		c->ctrunc = false;
	}
}

/* Connection over: fds nobody took. */
void vus_conn_release(struct vus_conn *c)
{
	while (c->nstash)
		close(c->stash[--c->nstash].fd);
}

/*
 * Reads exactly @len bytes of the stream: what is buffered first, then
 * from the socket.  Reads smaller than the buffer go through it, one
 * recvmsg taking as much as is queued, so a small message (and any
 * behind it) costs one call, not one for its header and one for its
 * payload; a larger rest goes straight to @buf.  @first: a new
 * message, waited for in poll() (the socket alone: the ioeventfds have
 * their threads); the rest of one is normally queued already: try
 * first, wait only if it is not.  Returns 0, or -1 when the peer went
 * away (c->dead set), on timeout or stop.
 */
static int rx_read(struct vus_conn *c, void *buf, size_t len, int timeout_ms,
		   bool first)
{
	bool wait = first;
	size_t got = 0;

	while (got < len) {
		size_t have = c->rtail - c->rhead, want = len - got;
		bool direct = want >= sizeof(c->rbuf);
		ssize_t r;
		int w;

		if (have) {
			if (have > want)
				have = want;
			memcpy((char *)buf + got, c->rbuf + c->rhead, have);
			c->rhead += have;
			got += have;
			continue;
		}
		c->rhead = c->rtail = 0;
		if (wait) {
			w = wait_readable(c->fd, timeout_ms);
			if (w <= 0) {
				if (w == 0)
					errno = ETIMEDOUT;
				return -1;
			}
		}
		r = rx_recv(c, direct ? (char *)buf + got : (void *)c->rbuf,
			    direct ? want : sizeof(c->rbuf), MSG_DONTWAIT);
		wait = first || (r < 0 && errno == EAGAIN);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			c->dead = true;
			return -1;
		}
		if (r == 0) {
			c->dead = true;
			errno = ECONNRESET;
			return -1;
		}
		if (direct)
			got += r;
		else
			c->rtail = r;
	}
	return 0;
}

/*
 * Receives one message.  Header problems that still leave the stream in
 * sync are reported through m->recv_err; a size we cannot skip marks
 * the connection dead after the caller replied.
 */
int vus_recv_msg(struct vus_conn *c, struct vus_msg **out, int timeout_ms)
{
	/* Everything but the 4 KiB of fds, which nfds counts. */
	struct vus_msg *m = malloc(sizeof(*m));
	uint64_t start = c->rx_pos - (c->rtail - c->rhead);
	uint32_t size;
	int e;

	*out = NULL;
	if (!m)
		return -1;
	memset(m, 0, offsetof(struct vus_msg, fds));
	if (rx_read(c, &m->hdr, VUS_HDR_SIZE, timeout_ms, true) < 0)
		goto fail;
	size = m->hdr.msg_size;
	if (size < VUS_HDR_SIZE) {
		vus_log("msg%#x: bad size %u in header", m->hdr.msg_id, size);
		m->recv_err = EINVAL;
		take_fds(c, m, start + VUS_HDR_SIZE);
		*out = m;
		return 0;
	}
	if (size > max_recv_size(c)) {
		vus_log("msg%#x: size %u is too large, dropping client",
			m->hdr.msg_id, size);
		m->recv_err = EINVAL;
		m->len = 0;
		m->fatal = true;	/* cannot resynchronise */
		take_fds(c, m, start + VUS_HDR_SIZE);
		*out = m;
		return 0;
	}
	m->len = size - VUS_HDR_SIZE;
	if (m->len) {
		/* +1: room for a terminating NUL when parsing JSON. */
		m->data = calloc(1, m->len + 1);
		if (!m->data)
			goto fail;
		if (rx_read(c, m->data, m->len, VUS_DMA_REPLY_TIMEOUT_MS, false))
			goto fail;
	}
	take_fds(c, m, start + size);
	*out = m;
	return 0;
fail:
	e = errno;
	take_fds(c, m, c->rx_pos);
	vus_free_msg(m);
	errno = e;
	return -1;
}

int vus_send_raw(struct vus_conn *c, const void *buf, size_t len,
		 const int *fds, int nfds)
{
	size_t sent = 0;

	if (c->dead)
		return -1;
	while (sent < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 16)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { (char *)buf + sent, len - sent };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t r;

		if (sent == 0 && nfds > 0) {
			struct cmsghdr *cm;

			if (nfds > 16)
				nfds = 16;
			memset(&cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		r = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR && !vus_stop)
				continue;
			vus_dbg("send: %m");
			c->dead = true;
			return -1;
		}
		sent += r;
	}
	return 0;
}

static int send_hdr_payload(struct vus_conn *c, const struct vfio_user_header *h,
			    const void *payload, uint32_t len,
			    const int *fds, int nfds)
{
	uint8_t *buf = malloc(VUS_HDR_SIZE + len);
	int ret;

	if (!buf)
		return -1;
	memcpy(buf, h, VUS_HDR_SIZE);
	if (len)
		memcpy(buf + VUS_HDR_SIZE, payload, len);
	ret = vus_send_raw(c, buf, VUS_HDR_SIZE + len, fds, nfds);
	free(buf);
	return ret;
}

int vus_reply(struct vus_conn *c, const struct vus_msg *req,
	      const void *payload, uint32_t len, const int *fds, int nfds)
{
	struct vfio_user_header h = {
		.msg_id = req->hdr.msg_id,
		.cmd = req->hdr.cmd,
		.msg_size = VUS_HDR_SIZE + len,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};

	if (c->hung)
		return 0;
	/* noreply-ack: a success reply nobody asked for (a violation). */
	if ((req->hdr.flags & VFIO_USER_F_NO_REPLY) &&
	    !vus_fault_hit(VUS_F_NOREPLY_ACK, req->hdr.cmd))
		return 0;
	if (vus_fault_reply(c, req, &h, payload, len, fds, nfds))
		return 0;
	vus_dbg("reply msg%#x %s size %u fds %d", h.msg_id,
		vus_cmd_name(h.cmd), h.msg_size, nfds);
	return send_hdr_payload(c, &h, payload, len, fds, nfds);
}

int vus_reply_err(struct vus_conn *c, const struct vus_msg *req, int err)
{
	struct vfio_user_header h = {
		.msg_id = req->hdr.msg_id,
		.cmd = req->hdr.cmd,
		.msg_size = VUS_HDR_SIZE,
		.flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
		.error_no = err,
	};

	vus_dbg("reply msg%#x %s error %d (%s)", h.msg_id, vus_cmd_name(h.cmd),
		err, strerror(err));
	if (c->hung)
		return 0;
	/*
	 * The spec sends nothing for a failed NO_REPLY command; with
	 * noreply-errors the client learns of it (the bridge counts it).
	 */
	if ((req->hdr.flags & VFIO_USER_F_NO_REPLY) &&
	    !vus_fault_hit(VUS_F_NOREPLY_ERRORS, req->hdr.cmd))
		return 0;
	if (vus_fault_reply(c, req, &h, NULL, 0, NULL, 0))
		return 0;
	return send_hdr_payload(c, &h, NULL, 0, NULL, 0);
}

/*
 * Sends a server -> client request and waits for its reply.  Client
 * commands arriving meanwhile are queued and handled afterwards, in
 * order.  Returns 0 with *reply set, or -errno.
 */
int vus_request(struct vus_conn *c, uint16_t cmd, const void *payload,
		uint32_t len, struct vus_msg **reply)
{
	struct vfio_user_header h = {
		.msg_id = c->next_id++,
		.cmd = cmd,
		.msg_size = VUS_HDR_SIZE + len,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vus_msg **tail;

	*reply = NULL;
	if (send_hdr_payload(c, &h, payload, len, NULL, 0))
		return -ECONNRESET;
	for (;;) {
		struct vus_msg *m;

		if (vus_recv_msg(c, &m, VUS_DMA_REPLY_TIMEOUT_MS)) {
			if (errno == ETIMEDOUT) {
				vus_log("%s: no reply from client",
					vus_cmd_name(cmd));
				return -ETIMEDOUT;
			}
			return -ECONNRESET;
		}
		if ((m->hdr.flags & VFIO_USER_F_TYPE_MASK) ==
		    VFIO_USER_F_TYPE_COMMAND) {
			/* Keep it for later, in arrival order. */
			vus_dbg("queueing msg%#x %s during %s",
				m->hdr.msg_id, vus_cmd_name(m->hdr.cmd),
				vus_cmd_name(cmd));
			for (tail = &c->queue; *tail; tail = &(*tail)->next)
				;
			*tail = m;
			if (c->dead)
				return -ECONNRESET;
			continue;
		}
		if (m->hdr.msg_id != h.msg_id || m->hdr.cmd != cmd ||
		    m->recv_err || m->nfds ||
		    (m->hdr.flags & VFIO_USER_F_TYPE_MASK) !=
		    VFIO_USER_F_TYPE_REPLY) {
			vus_log("bad reply to %s (id %#x cmd %u flags %#x fds %d)",
				vus_cmd_name(cmd), m->hdr.msg_id, m->hdr.cmd,
				m->hdr.flags, m->nfds);
			vus_free_msg(m);
			return -EINVAL;
		}
		*reply = m;
		return 0;
	}
}

/*
 * dma-truncated: a server -> client request whose header announces
 * @extra bytes more than are sent.  Returns 0 or -1 (send failed).
 */
int vus_send_partial_request(struct vus_conn *c, uint16_t cmd,
			     const void *payload, uint32_t len, uint32_t extra)
{
	struct vfio_user_header h = {
		.msg_id = c->next_id++,
		.cmd = cmd,
		.msg_size = VUS_HDR_SIZE + len + extra,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};

	return send_hdr_payload(c, &h, payload, len, NULL, 0);
}

/* Which commands may carry fds at all (the handlers check exact counts). */
static bool cmd_takes_fds(uint16_t cmd)
{
	return cmd == VFIO_USER_DMA_MAP || cmd == VFIO_USER_DEVICE_SET_IRQS;
}

static int handle_version(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_version *v = (void *)m->data;
	const struct vus_json *caps = NULL, *k;
	struct vus_json *root = NULL;
	const char *err = NULL;
	uint32_t jlen;
	int ret = -EINVAL;

	if (m->len < sizeof(*v)) {
		vus_log("VERSION: payload %u too short", m->len);
		return -EINVAL;
	}
	if (v->major != VFIO_USER_MAJOR) {
		vus_log("VERSION: unsupported major %u", v->major);
		return -EINVAL;
	}
	c->client_max_fds = VFIO_USER_DEF_MAX_MSG_FDS;
	c->client_max_xfer = VFIO_USER_DEF_MAX_XFER_SIZE;
	c->write_multiple = false;
	jlen = m->len - sizeof(*v);
	if (jlen) {
		if (v->data[jlen - 1] != 0 || strlen(v->data) != jlen - 1) {
			vus_log("VERSION: JSON not NUL-terminated");
			return -EINVAL;
		}
		root = vus_json_parse(v->data, jlen - 1, &err);
		if (!root) {
			vus_log("VERSION: bad JSON: %s", err);
			return -EINVAL;
		}
		if (root->type != VUS_JSON_OBJECT) {
			vus_log("VERSION: JSON is not an object");
			goto out;
		}
		caps = vus_json_get(root, VFIO_USER_CAP_CAPABILITIES);
		if (caps && caps->type != VUS_JSON_OBJECT) {
			vus_log("VERSION: capabilities is not an object");
			goto out;
		}
	}
	k = vus_json_get(caps, VFIO_USER_CAP_MAX_MSG_FDS);
	if (k) {
		if (k->type != VUS_JSON_NUMBER || !k->is_int || k->i < 0 ||
		    k->i > VUS_CLIENT_FDS_LIMIT) {
			vus_log("VERSION: bad max_msg_fds");
			goto out;
		}
		c->client_max_fds = k->i;
	}
	k = vus_json_get(caps, VFIO_USER_CAP_MAX_XFER_SIZE);
	if (k) {
		if (k->type != VUS_JSON_NUMBER || !k->is_int || k->i < 1 ||
		    k->i > UINT32_MAX) {
			vus_log("VERSION: bad max_data_xfer_size");
			goto out;
		}
		c->client_max_xfer = k->i;
	}
	k = vus_json_get(caps, VFIO_USER_CAP_PGSIZES);
	if (k && (k->type != VUS_JSON_NUMBER || !k->is_int || k->i < 0)) {
		vus_log("VERSION: bad pgsizes");
		goto out;
	}
	k = vus_json_get(caps, VFIO_USER_CAP_MAX_DMA_MAPS);
	if (k && (k->type != VUS_JSON_NUMBER || !k->is_int || k->i < 0)) {
		vus_log("VERSION: bad max_dma_maps");
		goto out;
	}
	k = vus_json_get(caps, VFIO_USER_CAP_WRITE_MULTIPLE);
	if (k) {
		if (k->type != VUS_JSON_BOOL) {
			vus_log("VERSION: bad write_multiple");
			goto out;
		}
		c->write_multiple = k->b;
	}
	k = vus_json_get(caps, VFIO_USER_CAP_TWIN_SOCKET);
	if (k) {
		const struct vus_json *s;

		if (k->type != VUS_JSON_OBJECT) {
			vus_log("VERSION: bad twin_socket");
			goto out;
		}
		s = vus_json_get(k, VFIO_USER_CAP_TWIN_SUPPORTED);
		if (s && s->type != VUS_JSON_BOOL) {
			vus_log("VERSION: bad twin_socket.supported");
			goto out;
		}
		/* Not offered: no twin_socket in our reply. */
	}
	k = vus_json_get(caps, VFIO_USER_CAP_MIGRATION);
	if (k) {
		const struct vus_json *s;

		if (k->type != VUS_JSON_OBJECT) {
			vus_log("VERSION: bad migration");
			goto out;
		}
		s = vus_json_get(k, VFIO_USER_CAP_MIG_PGSIZE);
		if (s && (s->type != VUS_JSON_NUMBER || !s->is_int || s->i <= 0)) {
			vus_log("VERSION: bad migration.pgsize");
			goto out;
		}
		/* No migration support: not echoed (libvfio-user). */
	}
	c->negotiated = true;
	vus_log("negotiated: client v%u.%u max_msg_fds %u max_xfer %u%s",
		v->major, v->minor, c->client_max_fds, c->client_max_xfer,
		c->write_multiple ? " write_multiple" : "");
	ret = vus_send_version_reply(c, m, v->minor < VFIO_USER_MINOR ?
				     v->minor : VFIO_USER_MINOR);
	if (ret == 0)
		ret = 1;	/* already replied */
out:
	vus_json_free(root);
	return ret;
}

/* Dispatches one client command.  Owns and frees @m. */
void vus_handle_msg(struct vus_conn *c, struct vus_msg *m)
{
	uint16_t cmd = m->hdr.cmd;
	int ret, i;

	vus_dbg("msg%#x %s size %u flags %#x fds %d", m->hdr.msg_id,
		vus_cmd_name(cmd), m->hdr.msg_size, m->hdr.flags, m->nfds);

	if (m->recv_err) {
		ret = -m->recv_err;
		goto reply;
	}
	if ((m->hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_COMMAND) {
		vus_log("msg%#x: not a command (flags %#x)", m->hdr.msg_id,
			m->hdr.flags);
		ret = -EINVAL;
		goto reply;
	}
	if (m->len == 0 && cmd != VFIO_USER_DEVICE_RESET) {
		vus_log("msg%#x: no payload for %s", m->hdr.msg_id,
			vus_cmd_name(cmd));
		ret = -EINVAL;
		goto reply;
	}
	if (m->nfds > (int)vus_opts.max_fds ||
	    (m->nfds && !cmd_takes_fds(cmd))) {
		vus_log("msg%#x: %d unexpected fds with %s", m->hdr.msg_id,
			m->nfds, vus_cmd_name(cmd));
		ret = -EINVAL;
		goto reply;
	}
	if (!c->negotiated && cmd != VFIO_USER_VERSION) {
		vus_log("msg%#x: %s before VERSION", m->hdr.msg_id,
			vus_cmd_name(cmd));
		ret = -EINVAL;
		m->fatal = true;
		goto reply;
	}
	if (vus_fault_hit(VUS_F_HANG, cmd)) {
		vus_log("fault hang: ignoring the client from now on");
		c->hung = true;
		goto out;
	}

	if (!vus_mig_cmd_allowed(c->dev, cmd)) {
		/* libvfio-user: "bad command %d while device in ... state" */
		vus_log("msg%#x: %s refused: device stopped", m->hdr.msg_id,
			vus_cmd_name(cmd));
		ret = -EINVAL;
		goto reply;
	}
	switch (cmd) {
	case VFIO_USER_VERSION:
		if (c->negotiated) {
			ret = -EINVAL;
			break;
		}
		if (vus_fault_hit(VUS_F_NO_VERSION_REPLY, cmd)) {
			vus_log("fault no-version-reply");
			c->hung = true;
			goto out;
		}
		ret = handle_version(c, m);
		if (ret < 0)
			m->fatal = true;	/* negotiation failed */
		break;
	case VFIO_USER_DMA_MAP:
		ret = vus_dma_map(c, m);
		break;
	case VFIO_USER_DMA_UNMAP:
		ret = vus_dma_unmap(c, m);
		break;
	case VFIO_USER_DEVICE_GET_INFO:
		ret = vus_cmd_get_info(c, m);
		break;
	case VFIO_USER_DEVICE_GET_REGION_INFO:
		ret = vus_cmd_region_info(c, m);
		break;
	case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
		ret = vus_cmd_region_io_fds(c, m);
		break;
	case VFIO_USER_DEVICE_GET_IRQ_INFO:
		ret = vus_cmd_irq_info(c, m);
		break;
	case VFIO_USER_DEVICE_SET_IRQS:
		ret = vus_irq_set(c, m);
		break;
	case VFIO_USER_REGION_READ:
	case VFIO_USER_REGION_WRITE:
		ret = vus_cmd_region_rw(c, m);
		break;
	case VFIO_USER_REGION_WRITE_MULTI:
		ret = vus_cmd_write_multi(c, m);
		break;
	case VFIO_USER_DEVICE_RESET:
		ret = vus_cmd_reset(c, m);
		break;
	case VFIO_USER_DEVICE_FEATURE:
		ret = vus_cmd_feature(c, m);
		break;
	case VFIO_USER_MIG_DATA_READ:
		ret = vus_mig_data_read(c, m);
		break;
	case VFIO_USER_MIG_DATA_WRITE:
		ret = vus_mig_data_write(c, m);
		break;
	default:
		/* DMA_READ/WRITE are server -> client; 14 is retired. */
		vus_log("msg%#x: bad command %u", m->hdr.msg_id, cmd);
		ret = -EINVAL;
		break;
	}
reply:
	if (ret < 0)
		vus_reply_err(c, m, -ret);
	else if (ret == 0)
		vus_reply(c, m, NULL, 0, NULL, 0);
	if (m->fatal)
		c->dead = true;
out:
	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			vus_dbg("closing unexpected fd %d", m->fds[i]);
	vus_free_msg(m);
	vus_fault_msg_done(cmd);
}

/* Handles @m with the device locked against the ioeventfd threads. */
static void handle_locked(struct vus_conn *c, struct vus_msg *m)
{
	vus_dev_lock();
	vus_handle_msg(c, m);
	vus_dev_unlock();
}

/* Serves one connected client until it leaves. */
void vus_serve(struct vus_conn *c)
{
	vus_ioeventfd_connect(c->dev);
	while (!c->dead && !vus_stop) {
		struct vus_msg *m;

		if (c->queue) {
			m = c->queue;
			c->queue = m->next;
			m->next = NULL;
			handle_locked(c, m);
			continue;
		}
		if (c->hung) {
			struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

			if (poll(&p, 1, 200) > 0 &&
			    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
				c->dead = true;
			continue;
		}
		if (vus_recv_msg(c, &m, -1))
			break;
		handle_locked(c, m);
	}
	while (c->queue) {
		struct vus_msg *m = c->queue;

		c->queue = m->next;
		vus_free_msg(m);
	}
	vus_conn_release(c);
}
