// SPDX-License-Identifier: GPL-2.0
/*
 * Test client helpers: server processes, message I/O with fd passing,
 * serving the server's DMA requests, protocol shortcuts, results.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "fdpass.h"
#include "test.h"

const char *t_server_path = "./vfio-user-server";
const char *t_tmpdir;
int t_verbose;
struct dma_ctx *t_dma;

static int n_total, n_failed, n_servers;
static uint16_t msg_id = 1;

void t_pass(const char *name)
{
	n_total++;
	printf("PASS: %s\n", name);
	fflush(stdout);
}

void t_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	n_total++;
	n_failed++;
	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int t_failures(void)
{
	return n_failed;
}

int t_total(void)
{
	return n_total;
}

uint16_t t_next_id(void)
{
	return msg_id++;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int srv_start(struct srv *s, const char *const *args)
{
	const char *argv[40];
	char logpath[256], buf[64];
	int p[2], n = 0, i, got = 0;
	long deadline;

	memset(s, 0, sizeof(*s));
	snprintf(s->sock, sizeof(s->sock), "%s/s%d.sock", t_tmpdir, n_servers);
	snprintf(logpath, sizeof(logpath), "%s/s%d.log", t_tmpdir, n_servers);
	n_servers++;
	argv[n++] = t_server_path;
	argv[n++] = "--socket";
	argv[n++] = s->sock;
	if (t_verbose)
		argv[n++] = "-v";
	for (i = 0; args && args[i] && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(p))
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		int lfd = t_verbose ? 2 :
			  open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(p[1], 1);
		if (lfd >= 0 && lfd != 2)
			dup2(lfd, 2);
		close(p[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	deadline = now_ms() + 5000;
	while (now_ms() < deadline && got < (int)sizeof(buf) - 1) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += r;
		buf[got] = 0;
		if (strstr(buf, "ready\n")) {
			close(p[0]);
			return 0;
		}
	}
	close(p[0]);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->reaped = true;
	return -1;
}

bool srv_exited(struct srv *s, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	if (s->reaped)
		return true;
	do {
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
			s->reaped = true;
			return true;
		}
		usleep(10000);
	} while (now_ms() < deadline);
	return false;
}

int srv_stop(struct srv *s)
{
	if (!s->pid)
		return -1;
	if (!s->reaped) {
		kill(s->pid, SIGTERM);
		if (!srv_exited(s, 3000)) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &s->status, 0);
			s->reaped = true;
			return -1;
		}
	}
	return WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1;
}

int cli_connect(struct srv *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

int t_start(struct srv *s, const char *const *args, bool negotiate)
{
	int fd;

	if (srv_start(s, args))
		return -1;
	fd = negotiate ? t_connect_negotiated(s, NULL) : cli_connect(s);
	if (fd < 0)
		srv_stop(s);
	return fd;
}

void t_end(struct srv *s, int fd)
{
	if (fd >= 0) {
		close(fd);
		srv_stop(s);
	}
}

int t_send_raw(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (nfds > 32)
		return -EINVAL;
	if (nfds > 0)
		fdpass_attach(&mh, cbuf.buf, fds, nfds);
	r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (r < 0)
		return -errno;
	if ((size_t)r != len)
		return t_send_raw(fd, (const char *)buf + r, len - r, NULL, 0);
	return 0;
}

int t_send(int fd, uint16_t id, uint16_t cmd, uint32_t flags,
	   const void *payload, uint32_t len, const int *fds, int nfds)
{
	uint8_t *buf = malloc(T_HDR + len);
	struct vfio_user_header h = {
		.msg_id = id, .cmd = cmd, .msg_size = T_HDR + len,
		.flags = flags,
	};
	int ret;

	memcpy(buf, &h, T_HDR);
	if (len)
		memcpy(buf + T_HDR, payload, len);
	ret = t_send_raw(fd, buf, T_HDR + len, fds, nfds);
	free(buf);
	return ret;
}

void t_reply_free(struct reply *r)
{
	int i;

	for (i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	free(r->data);
	memset(r, 0, sizeof(*r));
}

/* Reads up to @len bytes into @buf; returns bytes read or -errno. */
static int recv_some(int fd, struct reply *r, void *buf, size_t len,
		     long deadline)
{
	size_t got = 0;

	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 64)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return got ? (int)got : -ETIMEDOUT;
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? (int)got : -ECONNRESET;
		fdpass_take(&mh, r->fds, &r->nfds, 16);
		got += n;
	}
	return got;
}

int t_recv(int fd, struct reply *r, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	uint32_t want;
	int n;

	memset(r, 0, sizeof(*r));
	n = recv_some(fd, r, &r->hdr, T_HDR, deadline);
	if (n < 0)
		return n;
	if (n < (int)T_HDR)
		return -ECONNRESET;
	if (r->hdr.msg_size < T_HDR || r->hdr.msg_size > (4U << 20))
		return -EPROTO;
	want = r->hdr.msg_size - T_HDR;
	r->data = calloc(1, want + 1);
	if (!want)
		return 0;
	n = recv_some(fd, r, r->data, want, deadline);
	if (n < 0)
		return n;
	r->len = n;
	if ((uint32_t)n < want) {
		/* Short: EOF or timeout; tell which. */
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&pf, 1, 0) > 0 && recv(fd, &c, 1, MSG_PEEK) == 0)
			return -ECONNRESET;
		return -ETIMEDOUT;
	}
	return 0;
}

static bool dma_range_ok(struct dma_ctx *d, uint64_t addr, uint64_t count)
{
	return addr >= d->iova && addr - d->iova <= d->size &&
	       count <= d->size - (addr - d->iova) &&
	       (!d->max_chunk || count <= d->max_chunk) && count > 0;
}

static void serve_dma(int fd, struct reply *q)
{
	struct dma_ctx *d = t_dma;
	struct vfio_user_dma_region_access *a = (void *)q->data;
	uint32_t rflags = VFIO_USER_F_TYPE_REPLY;
	uint8_t *out = NULL;
	uint32_t olen = 0;
	int err = 0;

	if (d->interleave && d->nreq == 0) {
		struct vfio_user_region_access ra = {
			.offset = VUB_SAMPLE_REG_SCRATCH, .region = 0,
			.count = 4,
		};

		d->interleave_id = t_next_id();
		t_send(fd, d->interleave_id, VFIO_USER_REGION_READ, 0, &ra,
		       sizeof(ra), NULL, 0);
	}
	d->nreq++;
	d->last_cmd = q->hdr.cmd;
	d->last_len = q->len;
	d->last_addr = q->len >= sizeof(*a) ? a->address : 0;
	d->last_count = q->len >= sizeof(*a) ? a->count : 0;
	if (q->len < sizeof(*a)) {
		err = EINVAL;
	} else if (q->hdr.cmd == VFIO_USER_DMA_WRITE) {
		if (q->len != sizeof(*a) + a->count ||
		    !dma_range_ok(d, a->address, a->count))
			err = EINVAL;
		else
			memcpy(d->mem + (a->address - d->iova), a->data,
			       a->count);
		olen = sizeof(*a);
		out = calloc(1, olen);
		memcpy(out, a, sizeof(*a));
	} else if (q->hdr.cmd == VFIO_USER_DMA_READ) {
		if (q->len != sizeof(*a) || !dma_range_ok(d, a->address, a->count)) {
			err = EINVAL;
		} else {
			olen = sizeof(*a) + a->count;
			out = calloc(1, olen);
			memcpy(out, a, sizeof(*a));
			memcpy(out + sizeof(*a), d->mem + (a->address - d->iova),
			       a->count);
		}
	} else {
		err = ENOSYS;
	}
	if (err)
		d->bad++;
	if (!err && d->fail_errno)
		err = d->fail_errno;
	if (err) {
		struct vfio_user_header h = {
			.msg_id = q->hdr.msg_id, .cmd = q->hdr.cmd,
			.msg_size = T_HDR,
			.flags = rflags | VFIO_USER_F_ERROR, .error_no = err,
		};

		t_send_raw(fd, &h, sizeof(h), NULL, 0);
	} else {
		t_send(fd, q->hdr.msg_id, q->hdr.cmd, rflags, out, olen,
		       NULL, 0);
	}
	free(out);
}

int t_call(int fd, uint16_t cmd, const void *req, uint32_t len,
	   const int *fds, int nfds, struct reply *r)
{
	uint16_t id = t_next_id();
	struct reply tmp;
	int ret;

	if (!r)
		r = &tmp;
	ret = t_send(fd, id, cmd, 0, req, len, fds, nfds);
	if (ret)
		return ret;
	for (;;) {
		ret = t_recv(fd, r, 5000);
		if (ret)
			return ret;
		if ((r->hdr.flags & VFIO_USER_F_TYPE_MASK) ==
		    VFIO_USER_F_TYPE_COMMAND) {
			if (t_dma)
				serve_dma(fd, r);
			t_reply_free(r);
			continue;
		}
		if (r->hdr.msg_id != id || r->hdr.cmd != cmd) {
			if (t_dma && t_dma->interleave &&
			    r->hdr.msg_id == t_dma->interleave_id) {
				/* Must not come before the GO reply. */
				t_dma->bad += 100;
				t_reply_free(r);
				continue;
			}
			ret = -EPROTO;
			break;
		}
		if (r->hdr.flags & VFIO_USER_F_ERROR)
			ret = r->hdr.error_no ? -(int)r->hdr.error_no : -EPROTO;
		break;
	}
	if (r == &tmp)
		t_reply_free(r);
	return ret;
}

int t_negotiate(int fd, const char *json, struct reply *r)
{
	size_t jl = json ? strlen(json) + 1 : 0;
	struct vfio_user_version *v = calloc(1, sizeof(*v) + jl);
	int ret;

	v->major = 0;
	v->minor = 2;
	if (json)
		memcpy(v->data, json, jl);
	ret = t_call(fd, VFIO_USER_VERSION, v, sizeof(*v) + jl, NULL, 0, r);
	free(v);
	return ret;
}

int t_connect_negotiated(struct srv *s, const char *json)
{
	int fd = cli_connect(s);

	if (fd < 0)
		return -1;
	if (!json)
		json = "{\"capabilities\":{\"max_msg_fds\":8,"
		       "\"max_data_xfer_size\":1048576}}";
	if (t_negotiate(fd, json, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

int t_region_read(int fd, uint32_t region, uint64_t off, void *buf,
		  uint32_t count)
{
	struct vfio_user_region_access ra = {
		.offset = off, .region = region, .count = count,
	};
	struct reply r;
	int ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, &r);

	if (!ret) {
		struct vfio_user_region_access *o = (void *)r.data;

		if (r.len != sizeof(ra) + count || o->count != count ||
		    o->offset != off || o->region != region)
			ret = -EPROTO;
		else
			memcpy(buf, o->data, count);
	}
	t_reply_free(&r);
	return ret;
}

int t_region_write(int fd, uint32_t region, uint64_t off, const void *buf,
		   uint32_t count)
{
	struct vfio_user_region_access *ra = calloc(1, sizeof(*ra) + count);
	struct reply r;
	int ret;

	ra->offset = off;
	ra->region = region;
	ra->count = count;
	memcpy(ra->data, buf, count);
	ret = t_call(fd, VFIO_USER_REGION_WRITE, ra, sizeof(*ra) + count,
		     NULL, 0, &r);
	if (!ret && (r.len != sizeof(*ra) ||
		     ((struct vfio_user_region_access *)r.data)->count != count))
		ret = -EPROTO;
	t_reply_free(&r);
	free(ra);
	return ret;
}

int t_rd32(int fd, uint32_t region, uint64_t off, uint32_t *v)
{
	return t_region_read(fd, region, off, v, 4);
}

int t_wr32(int fd, uint32_t region, uint64_t off, uint32_t v)
{
	return t_region_write(fd, region, off, &v, 4);
}

int t_rd64(int fd, uint32_t region, uint64_t off, uint64_t *v)
{
	return t_region_read(fd, region, off, v, 8);
}

int t_wr64(int fd, uint32_t region, uint64_t off, uint64_t v)
{
	return t_region_write(fd, region, off, &v, 8);
}

uint32_t t_bar0(int fd, uint64_t off)
{
	uint32_t v;

	if (t_rd32(fd, 0, off, &v))
		return 0xdeadbeef;
	return v;
}

bool t_alive(int fd)
{
	return fd >= 0 && t_bar0(fd, VUB_SAMPLE_REG_ID) == VUB_SAMPLE_ID_VALUE;
}

int t_set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start,
	       uint32_t count, const void *data, uint32_t dlen,
	       const int *fds, int nfds)
{
	struct vfio_user_irq_set *s = calloc(1, sizeof(*s) + dlen);
	int ret;

	s->argsz = sizeof(*s) + dlen;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (dlen)
		memcpy(s->data, data, dlen);
	ret = t_call(fd, VFIO_USER_DEVICE_SET_IRQS, s, sizeof(*s) + dlen,
		     fds, nfds, NULL);
	free(s);
	return ret;
}

int t_dma_map(int fd, uint32_t flags, uint64_t iova, uint64_t size,
	      uint64_t offset, int mfd)
{
	struct vfio_user_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .offset = offset,
		.address = iova, .size = size,
	};

	return t_call(fd, VFIO_USER_DMA_MAP, &m, sizeof(m), &mfd,
		      mfd >= 0 ? 1 : 0, NULL);
}

int t_dma_unmap(int fd, uint32_t flags, uint64_t iova, uint64_t size)
{
	struct vfio_user_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .address = iova,
		.size = size,
	};
	struct reply r;
	int ret = t_call(fd, VFIO_USER_DMA_UNMAP, &u, sizeof(u), NULL, 0, &r);

	if (!ret && (r.len != sizeof(u) ||
		     memcmp(r.data + 8, (uint8_t *)&u + 8, 16)))
		ret = -EPROTO;
	t_reply_free(&r);
	return ret;
}

uint64_t t_efd_read(int efd)
{
	struct pollfd pf = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&pf, 1, 0) <= 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

int t_feature(int fd, uint32_t flags, uint32_t argsz, const void *data,
	      uint32_t dlen, struct reply *r)
{
	struct {
		struct vfio_user_device_feature f;
		uint8_t data[64];
	} __attribute__((packed)) req = { .f.flags = flags };

	if (dlen > sizeof(req.data))
		return -E2BIG;
	req.f.argsz = argsz ? argsz : sizeof(req.f) + dlen;
	if (dlen)
		memcpy(req.data, data, dlen);
	return t_call(fd, VFIO_USER_DEVICE_FEATURE, &req, sizeof(req.f) + dlen,
		      NULL, 0, r);
}

int t_mig_set(int fd, uint32_t state)
{
	struct vfio_user_device_feature_mig_state st = {
		.device_state = state,
	};

	return t_feature(fd, VFIO_USER_DEVICE_FEATURE_SET |
			 VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, 0, &st,
			 sizeof(st), NULL);
}

int t_mig_get(int fd, uint32_t *state)
{
	struct vfio_user_device_feature_mig_state st;
	struct reply r = { };
	int ret;

	ret = t_feature(fd, VFIO_USER_DEVICE_FEATURE_GET |
			VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
			sizeof(struct vfio_user_device_feature) + sizeof(st),
			NULL, 0, &r);
	if (!ret && r.len != sizeof(struct vfio_user_device_feature) +
			     sizeof(st))
		ret = -EPROTO;
	if (!ret) {
		memcpy(&st, r.data + sizeof(struct vfio_user_device_feature),
		       sizeof(st));
		*state = st.device_state;
	}
	t_reply_free(&r);
	return ret;
}
