// SPDX-License-Identifier: GPL-2.0
/*
 * vub-bench: numbers for the vfio_user bridge, each next to a comparison
 * measured in the same run, printed as one table.
 *
 *   bridge   an ordinary VFIO consumer of the bridged device (container,
 *            group, device fd: pread/pwrite, VFIO_IOMMU_MAP_DMA, eventfd
 *            interrupts, mmap of the sparse BAR2 area)
 *   client   a userspace vfio-user client written here (nothing from
 *            drivers/), talking to a second instance of the same sample
 *            server: REGION_READ/WRITE, fd-less DMA_MAP with DMA_READ/
 *            DMA_WRITE served by itself, SET_IRQS with its own eventfd,
 *            mmap of the fd the server hands out for BAR2
 *   raw      AF_UNIX ping-pong between two processes with the
 *            REGION_READ/WRITE message sizes, directly and with the reply
 *            passing through a relay process (the shape of the bridge's
 *            receiver kthread path); an eventfd between two processes
 *   relay    the bridge again with the direct_reply module parameter off,
 *            so every reply passes through its receiver kthread
 *   direct   (--ddev) a second bridged device with dma=mmap: the server
 *            copies to and from the consumer's memory through its mapping
 *            of the window file; compared with the same transfers on the
 *            same device copying within the server's own memory (DMA
 *            mode LOCAL, everything else equal) and with the same server
 *            copying through its mapping of a memfd the userspace client
 *            handed it; first touch (pin and map) against the same
 *            transfer once mapped
 *
 * The server runs with irqts.so preloaded, which timestamps its eventfd
 * writes, so interrupt latency is "server eventfd write -> consumer
 * wake-up" on both sides.
 *
 * usage: vub-bench --dev NAME --socket PATH [--irqts FILE] [--iters N]
 *                  [--ddev NAME2]
 *   NAME   the bridged device (/sys/bus/vfio-user/devices/NAME)
 *   NAME2  a bridged device added with dma=mmap
 *   PATH   socket of the second server, for the userspace client
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/vfio.h>
#include <linux/vfio_user.h>

#include "bench.h"
#include "vub_sample.h"

#define HDR		((uint32_t)sizeof(struct vfio_user_header))
#define ACC		((uint32_t)sizeof(struct vfio_user_region_access))
#define DMA_IOVA	0x10000000ull
#define DMA_SIZE	(2u << 20)
#define DMA_IOVA2	(DMA_IOVA + (16u << 20))	/* client's memfd region */

static int iters = 4000;		/* latency samples per measurement */
static int irq_iters = 1000;
static bool fast_only;			/* --fast: only the fast-path rows */
static bool direct_only;		/* --direct: only the direct DMA rows */
static double tput_secs = 1.0;		/* per threaded throughput point */
static struct irqts *irqts;

static uint32_t sysfs_u32(const char *dev, const char *attr, uint32_t def);

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "vub-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s%s\n", e ? ": " : "", e ? strerror(e) : "");
	exit(1);
}

/* ---------------------------------------------------------------- stats */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct lat {
	double p50, p99;	/* microseconds */
	int n;			/* samples; 0: not measured */
};

static struct lat lat_of(uint64_t *s, int n)
{
	struct lat l = { .n = n };

	if (!n)
		return l;
	qsort(s, n, sizeof(*s), cmp_u64);
	l.p50 = s[n / 2] / 1000.0;
	l.p99 = s[(int)((long)n * 99 / 100)] / 1000.0;
	return l;
}

/* ---------------------------------------------------------------- table */

struct row {
	char what[48];
	char unit[12];
	double ours, other;
	char vs[48];
};
static struct row rows[64];
static int nrows;

static void row(const char *what, const char *unit, double ours, double other,
		const char *vs)
{
	struct row *r = &rows[nrows++];

	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->ours = ours;
	r->other = other;
	snprintf(r->vs, sizeof(r->vs), "%s", vs);
}

static void lat_rows(const char *what, struct lat ours, struct lat other,
		     const char *vs)
{
	char w[64];

	snprintf(w, sizeof(w), "%s p50", what);
	row(w, "us", ours.p50, other.p50, vs);
	snprintf(w, sizeof(w), "%s p99", what);
	row(w, "us", ours.p99, other.p99, vs);
}

static void print_table(void)
{
	int i;

	printf("\n%-40s %-6s %12s %12s %7s  %s\n", "metric", "unit", "bridge",
	       "comparison", "ratio", "comparison is");
	for (i = 0; i < 100; i++)
		putchar('-');
	putchar('\n');
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];

		printf("%-40s %-6s %12.1f %12.1f %7.2f  %s\n", r->what, r->unit,
		       r->ours, r->other, r->other ? r->ours / r->other : 0,
		       r->vs);
	}
	printf("ratio = bridge / comparison: above 1 is slower for latency "
	       "(us), below 1 is slower for throughput (MB/s, kops/s)\n");
}

/* ------------------------------------------------------------ raw IPC */

static void xwrite(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= n;
	}
}

/*
 * Receive exactly @len bytes from a stream socket; @flags MSG_WAITALL
 * makes it one receive per message, like the bridge's receiver.
 */
static int recv_full(int fd, void *buf, size_t len, int flags)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, flags);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int xread(int fd, void *buf, size_t len)
{
	return recv_full(fd, buf, len, 0);
}

/* A peer process answering @req-byte messages with @rep bytes. */
struct rawpeer {
	int fd, fd2;		/* fd2: replies come back here (relay) */
	pid_t pid, pid2;
	size_t req, rep;
	char buf[64];
};

static void raw_start(struct rawpeer *r, size_t req, size_t rep)
{
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->req = req;
	r->rep = rep;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	r->pid = fork();
	if (r->pid < 0)
		die("fork");
	if (r->pid == 0) {
		close(sv[0]);
		while (!xread(sv[1], r->buf, req))
			xwrite(sv[1], r->buf, rep);
		_exit(0);
	}
	close(sv[1]);
	r->fd = sv[0];
}

/*
 * The same through a relay process (server -> relay -> requester), the
 * shape of the bridge: its replies reach the waiting consumer through
 * the receiver kthread.
 */
static void raw_start_relay(struct rawpeer *r, size_t req, size_t rep)
{
	int a[2], b[2], c[2];
	pid_t p2;

	memset(r, 0, sizeof(*r));
	r->req = req;
	r->rep = rep;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, b) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, c))
		die("socketpair");
	r->pid = fork();
	if (r->pid < 0)
		die("fork");
	if (r->pid == 0) {		/* "server" */
		close(a[0]);
		close(c[0]);
		close(c[1]);
		close(b[1]);
		while (!xread(a[1], r->buf, req))
			xwrite(b[0], r->buf, rep);
		_exit(0);
	}
	p2 = fork();
	if (p2 < 0)
		die("fork");
	if (p2 == 0) {			/* "receiver kthread" */
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(c[1]);
		while (!xread(b[1], r->buf, rep))
			xwrite(c[0], r->buf, rep);
		_exit(0);
	}
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(c[0]);
	r->fd = a[0];
	r->fd2 = c[1];
	r->pid2 = p2;
}

static void raw_rt(struct rawpeer *r)
{
	xwrite(r->fd, r->buf, r->req);
	if (xread(r->fd2 ? r->fd2 : r->fd, r->buf, r->rep))
		die("raw ping-pong");
}

static void raw_stop(struct rawpeer *r)
{
	close(r->fd);
	waitpid(r->pid, NULL, 0);
	if (r->fd2) {
		close(r->fd2);
		waitpid(r->pid2, NULL, 0);
	}
}

/* A peer process that writes an eventfd we are blocked reading. */
/*
 * A raw interrupt in the same shape as a doorbell: the requester wakes
 * a child process (the "server") and waits for its answer (@done, the
 * reply); the child timestamps and writes @efd (the interrupt), then
 * answers.  A waiter thread reads @efd as with the device.
 */
struct rawefd {
	int efd, go, done;
	pid_t pid;
	struct irqts *sh;
};

static void rawefd_start(struct rawefd *r)
{
	uint64_t v;

	r->sh = mmap(NULL, sizeof(*r->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r->efd = eventfd(0, 0);
	r->go = eventfd(0, 0);
	r->done = eventfd(0, 0);
	if (r->sh == MAP_FAILED || r->efd < 0 || r->go < 0 || r->done < 0)
		die("raw eventfd setup");
	r->pid = fork();
	if (r->pid < 0)
		die("fork");
	if (r->pid)
		return;
	for (;;) {
		if (read(r->go, &v, 8) != 8 || v > 1)
			_exit(0);
		r->sh->ns = now_ns();
		v = 1;
		if (write(r->efd, &v, 8) != 8 || write(r->done, &v, 8) != 8)
			_exit(1);
	}
}

static void rawefd_stop(struct rawefd *r)
{
	uint64_t v = 2;

	if (write(r->go, &v, 8) != 8)
		die("raw eventfd stop");
	waitpid(r->pid, NULL, 0);
	close(r->go);
	close(r->done);
}

/* --------------------------------------------------- the VFIO consumer */

struct vdev {
	int container, group, fd;
	uint64_t off[VFIO_PCI_NUM_REGIONS];
	uint8_t *dma;			/* VFIO_IOMMU_MAP_DMA'd at DMA_IOVA */
};

static void vopen(struct vdev *v, const char *name)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	unsigned int i;
	ssize_t n;

	snprintf(path, sizeof(path),
		 "/sys/bus/vfio-user/devices/%s/iommu_group", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("%s", path);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	v->container = open("/dev/vfio/vfio", O_RDWR);
	v->group = open(path, O_RDWR);
	if (v->container < 0 || v->group < 0)
		die("open %s", path);
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("group/container setup");
	v->fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (v->fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
			die("VFIO_DEVICE_GET_REGION_INFO");
		v->off[i] = ri.offset;
	}
	v->dma = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (v->dma == MAP_FAILED)
		die("mmap");
	map.vaddr = (uintptr_t)v->dma;
	map.iova = DMA_IOVA;
	map.size = DMA_SIZE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");
}

static void v_rd(struct vdev *v, int region, uint64_t off, void *buf,
		 size_t len)
{
	if (pread(v->fd, buf, len, v->off[region] + off) != (ssize_t)len)
		die("pread region %d 0x%llx", region, (unsigned long long)off);
}

static void v_wr(struct vdev *v, int region, uint64_t off, const void *buf,
		 size_t len)
{
	if (pwrite(v->fd, buf, len, v->off[region] + off) != (ssize_t)len)
		die("pwrite region %d 0x%llx", region, (unsigned long long)off);
}

/* ------------------------------------------ the userspace vfio-user client */

struct uc {
	int fd;
	uint16_t id;
	uint8_t *rx;			/* payload of the last message */
	uint32_t rxcap;
	struct vfio_user_header h;	/* header of the last message */
	int rxfd;			/* fd received with it, or -1 */
	uint8_t *dma;			/* DMA_MAP'd (fd-less) at DMA_IOVA */
	uint8_t *dma2;			/* memfd DMA_MAP'd with its fd at DMA_IOVA2 */
	uint64_t bar2_mmap_off;
	int bar2_fd;
};

static void uc_send(struct uc *c, uint16_t id, uint16_t cmd, uint32_t flags,
		    const void *a, uint32_t alen, const void *b, uint32_t blen,
		    int sfd)
{
	struct vfio_user_header h = {
		.msg_id = id, .cmd = cmd, .msg_size = HDR + alen + blen,
		.flags = flags,
	};
	struct iovec iov[3] = {
		{ &h, HDR }, { (void *)a, alen }, { (void *)b, blen },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
	size_t left = h.msg_size;
	ssize_t n;

	if (sfd >= 0) {
		struct cmsghdr *cm;

		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.buf;
		mh.msg_controllen = sizeof(cb.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sfd, sizeof(int));
	}
	for (;;) {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("sendmsg");
		left -= n;
		if (!left)
			return;
		/* partial: skip what was sent, no more fds */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (n && mh.msg_iovlen) {
			size_t k = (size_t)n < mh.msg_iov->iov_len ?
				   (size_t)n : mh.msg_iov->iov_len;

			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + k;
			mh.msg_iov->iov_len -= k;
			n -= k;
			if (!mh.msg_iov->iov_len) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
}


/* Receives one message (header in c->h, payload in c->rx). */
static void uc_recv(struct uc *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { &c->h, HDR };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.buf, .msg_controllen = sizeof(cb.buf),
	};
	struct cmsghdr *cm;
	uint32_t plen;
	ssize_t n;

	c->rxfd = -1;
	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		die("recvmsg");
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&c->rxfd, CMSG_DATA(cm), sizeof(int));
	if ((size_t)n < HDR && xread(c->fd, (char *)&c->h + n, HDR - n))
		die("short header");
	if (c->h.msg_size < HDR || c->h.msg_size - HDR > c->rxcap)
		die("bad message size %u", c->h.msg_size);
	plen = c->h.msg_size - HDR;
	if (plen && recv_full(c->fd, c->rx, plen, MSG_WAITALL))
		die("short message");
}

/* Serves a DMA_READ/DMA_WRITE the server sent while we wait. */
static void uc_serve_dma(struct uc *c)
{
	struct vfio_user_dma_region_access *a = (void *)c->rx;
	uint32_t plen = c->h.msg_size - HDR;
	uint64_t off = a->address - DMA_IOVA;

	if (plen < sizeof(*a) || a->address < DMA_IOVA || off > DMA_SIZE ||
	    a->count > DMA_SIZE - off)
		die("bad DMA request");
	if (c->h.cmd == VFIO_USER_DMA_WRITE) {
		memcpy(c->dma + off, a->data, a->count);
		uc_send(c, c->h.msg_id, c->h.cmd, VFIO_USER_F_TYPE_REPLY, a,
			sizeof(*a), NULL, 0, -1);
	} else if (c->h.cmd == VFIO_USER_DMA_READ) {
		uc_send(c, c->h.msg_id, c->h.cmd, VFIO_USER_F_TYPE_REPLY, a,
			sizeof(*a), c->dma + off, a->count, -1);
	} else {
		die("unexpected command %u from the server", c->h.cmd);
	}
}

/* Waits for the reply to @id, serving DMA; returns its error_no. */
static int uc_wait(struct uc *c, uint16_t id)
{
	for (;;) {
		uc_recv(c);
		if ((c->h.flags & VFIO_USER_F_TYPE_MASK) ==
		    VFIO_USER_F_TYPE_COMMAND) {
			uc_serve_dma(c);
			continue;
		}
		if (c->h.msg_id != id)
			die("reply %u, expected %u", c->h.msg_id, id);
		return c->h.flags & VFIO_USER_F_ERROR ? (int)c->h.error_no : 0;
	}
}

static int uc_call(struct uc *c, uint16_t cmd, const void *a, uint32_t alen,
		   const void *b, uint32_t blen, int sfd)
{
	uint16_t id = ++c->id;

	uc_send(c, id, cmd, 0, a, alen, b, blen, sfd);
	return uc_wait(c, id);
}

static void uc_rd(struct uc *c, uint32_t region, uint64_t off, void *buf,
		  uint32_t len)
{
	struct vfio_user_region_access a = {
		.offset = off, .region = region, .count = len,
	};

	if (uc_call(c, VFIO_USER_REGION_READ, &a, ACC, NULL, 0, -1) ||
	    c->h.msg_size != HDR + ACC + len)
		die("REGION_READ");
	memcpy(buf, c->rx + ACC, len);
}

static void uc_wr(struct uc *c, uint32_t region, uint64_t off,
		  const void *buf, uint32_t len)
{
	struct vfio_user_region_access a = {
		.offset = off, .region = region, .count = len,
	};

	if (uc_call(c, VFIO_USER_REGION_WRITE, &a, ACC, buf, len, -1))
		die("REGION_WRITE");
}

static void uc_open(struct uc *c, const char *sock, uint32_t max_xfer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char json[160];
	struct vfio_user_version v = { .major = VFIO_USER_MAJOR,
				       .minor = VFIO_USER_MINOR };
	struct vfio_user_region_info ri = { .argsz = 512, .index = 2 };
	int mfd;
	struct vfio_user_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_USER_F_DMA_REGION_READ |
			 VFIO_USER_F_DMA_REGION_WRITE,
		.address = DMA_IOVA, .size = DMA_SIZE,
	};

	c->rxcap = max_xfer + 4096;
	c->rx = malloc(c->rxcap);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect %s", sock);
	snprintf(json, sizeof(json),
		 "{\"capabilities\":{\"max_msg_fds\":8,"
		 "\"max_data_xfer_size\":%u}}", max_xfer);
	if (uc_call(c, VFIO_USER_VERSION, &v, sizeof(v), json,
		    strlen(json) + 1, -1))
		die("VERSION");
	if (uc_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		    NULL, 0, -1) || c->rxfd < 0)
		die("GET_REGION_INFO 2 (no fd)");
	c->bar2_fd = c->rxfd;
	c->bar2_mmap_off = ((struct vfio_user_region_info *)c->rx)->offset;
	c->dma = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->dma == MAP_FAILED)
		die("mmap");
	if (uc_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), NULL, 0, -1))
		die("DMA_MAP");
	/* A second region the server maps: a memfd of ours, with its fd. */
	mfd = memfd_create("vub-bench-dma", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, DMA_SIZE))
		die("memfd");
	c->dma2 = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, mfd, 0);
	if (c->dma2 == MAP_FAILED)
		die("mmap memfd");
	m.address = DMA_IOVA2;
	if (uc_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), NULL, 0, mfd))
		die("DMA_MAP with an fd");
	close(mfd);
}

/* ----------------------------------------------- the two sides, generic */

/*
 * The measurements are written once against this small interface so
 * the bridge and the client run exactly the same sequence.
 */
struct side {
	const char *name;
	struct vdev *v;
	struct uc *c;
	uint64_t dma_iova;	/* DMA target, if not DMA_IOVA ... */
	uint8_t *dma_mem;	/* ... and its memory */
};

static void s_rd(struct side *s, int region, uint64_t off, void *buf,
		 uint32_t len)
{
	if (s->v)
		v_rd(s->v, region, off, buf, len);
	else
		uc_rd(s->c, region, off, buf, len);
}

static void s_wr(struct side *s, int region, uint64_t off, const void *buf,
		 uint32_t len)
{
	if (s->v)
		v_wr(s->v, region, off, buf, len);
	else
		uc_wr(s->c, region, off, buf, len);
}

static void s_wr32(struct side *s, uint64_t off, uint32_t v)
{
	s_wr(s, 0, off, &v, 4);
}

static uint32_t s_rd32(struct side *s, uint64_t off)
{
	uint32_t v;

	s_rd(s, 0, off, &v, 4);
	return v;
}

#define BLK	100	/* latency samples per side before switching */

#define DIRECT_PARAM	"/sys/module/vfio_user/parameters/direct_reply"

/* Set the bridge's direct_reply parameter; false if it has none. */
static bool set_direct(bool on)
{
	int fd = open(DIRECT_PARAM, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, on ? "Y" : "N", 1) == 1;
	close(fd);
	return ok;
}

/*
 * Region latency, interleaved in blocks of BLK between the bridge, the
 * client, the raw ping-pongs and the bridge without direct replies, so
 * that host noise (TCG on a shared machine) hits all alike.  @wr: BAR0
 * SCRATCH write, else a config space dword read.  out[4] has n == 0
 * when the module has no direct_reply parameter.
 */
static void m_region(struct side *sb, struct side *sc, bool wr,
		     struct lat out[5])
{
	struct side *sides[2] = { sb, sc };
	uint64_t *t[5];
	struct rawpeer rp, rr;
	int blk, k, j, n = iters / BLK * BLK;
	int nk = set_direct(true) ? 5 : 4;
	uint32_t v = 0;

	raw_start(&rp, wr ? HDR + ACC + 4 : HDR + ACC,
		  wr ? HDR + ACC : HDR + ACC + 4);
	raw_start_relay(&rr, wr ? HDR + ACC + 4 : HDR + ACC,
			wr ? HDR + ACC : HDR + ACC + 4);
	for (k = 0; k < 5; k++)
		t[k] = calloc(n, sizeof(uint64_t));
	for (blk = -2; blk < n / BLK; blk++) {
		for (k = 0; k < nk; k++) {
			struct side *s = sides[k == 4 ? 0 : k];

			if (k == 4 && !set_direct(false))
				die("cannot clear " DIRECT_PARAM);
			for (j = 0; j < BLK; j++) {
				uint64_t t0 = now_ns();

				if (k == 3)
					raw_rt(&rr);
				else if (k == 2)
					raw_rt(&rp);
				else if (wr)
					s_wr32(s, VUB_SAMPLE_REG_SCRATCH,
					       (uint32_t)j);
				else
					s_rd(s, VFIO_PCI_CONFIG_REGION_INDEX,
					     0, &v, 4);
				if (blk >= 0)
					t[k][blk * BLK + j] = now_ns() - t0;
			}
			if (k == 4 && !set_direct(true))
				die("cannot set " DIRECT_PARAM);
		}
	}
	raw_stop(&rr);		/* first: its children hold rp's fd too */
	raw_stop(&rp);
	for (k = 0; k < 2; k++) {
		if (!wr) {
			s_rd(sides[k], VFIO_PCI_CONFIG_REGION_INDEX, 0, &v, 4);
			if (v != (VUB_SAMPLE_DEVICE_ID << 16 |
				  VUB_SAMPLE_VENDOR_ID))
				die("%s: config dword 0 is 0x%08x",
				    sides[k]->name, v);
		} else if (s_rd32(sides[k], VUB_SAMPLE_REG_SCRATCH) !=
			   BLK - 1) {
			die("%s: scratch readback", sides[k]->name);
		}
	}
	for (k = 0; k < 5; k++) {
		out[k] = lat_of(t[k], k < nk ? n : 0);
		free(t[k]);
	}
}

/* Interrupts: a waiter thread blocked in read(eventfd). */
struct waiter {
	int efd;
	volatile uint64_t wake_ns;
	volatile int seq;
	pthread_t th;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	uint64_t v;

	for (;;) {
		if (read(w->efd, &v, 8) != 8)
			return NULL;
		w->wake_ns = now_ns();
		__atomic_add_fetch(&w->seq, 1, __ATOMIC_RELEASE);
		if (v > 1000)	/* told to stop */
			return NULL;
	}
}

static void waiter_start(struct waiter *w)
{
	if (pthread_create(&w->th, NULL, waiter_fn, w))
		die("pthread_create");
}

/* MSI-X vector 0 of @s fires into a fresh eventfd read by @w. */
static void irq_setup(struct side *s, struct waiter *w)
{
	memset(w, 0, sizeof(*w));
	w->efd = eventfd(0, 0);
	if (w->efd < 0)
		die("eventfd");
	if (s->v) {
		char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
		struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

		set->argsz = sizeof(buf);
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER;
		set->index = VFIO_PCI_MSIX_IRQ_INDEX;
		set->start = 0;
		set->count = 1;
		memcpy(set->data, &w->efd, sizeof(int32_t));
		if (ioctl(s->v->fd, VFIO_DEVICE_SET_IRQS, set))
			die("VFIO_DEVICE_SET_IRQS");
	} else {
		struct vfio_user_irq_set set = {
			.argsz = sizeof(set),
			.flags = VFIO_USER_IRQ_SET_DATA_EVENTFD |
				 VFIO_USER_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_USER_PCI_MSIX_IRQ_INDEX,
			.start = 0, .count = 1,
		};

		if (uc_call(s->c, VFIO_USER_DEVICE_SET_IRQS, &set,
			    sizeof(set), NULL, 0, w->efd))
			die("SET_IRQS");
	}
	waiter_start(w);
}

static void irq_teardown(struct waiter *w)
{
	uint64_t v = 5000;

	if (write(w->efd, &v, 8) != 8)
		die("eventfd write");
	pthread_join(w->th, NULL);
	close(w->efd);
}

/*
 * One doorbell: @srv = server's eventfd write -> waiter wake-up (the
 * server-side timestamp from irqts.so), @bell = doorbell pwrite start
 * -> waiter wake-up.
 */
static void irq_one(struct side *s, struct waiter *w, uint64_t *srv,
		    uint64_t *bell)
{
	uint64_t seq0 = __atomic_load_n(&irqts->seq, __ATOMIC_ACQUIRE), t0;
	int want = w->seq + 1;

	usleep(50);		/* the waiter is blocked in read() again */
	t0 = now_ns();
	s_wr32(s, VUB_SAMPLE_REG_DOORBELL, VUB_SAMPLE_IRQ_MSIX << 16 | 0);
	while (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) < want ||
	       __atomic_load_n(&irqts->seq, __ATOMIC_ACQUIRE) == seq0)
		sched_yield();
	*srv = w->wake_ns - irqts->ns;
	*bell = w->wake_ns - t0;
}

/* The same for the raw eventfd (rawefd_start()): write -> wake-up. */
static uint64_t rawirq_one(struct rawefd *r, struct waiter *w)
{
	int want = w->seq + 1;
	uint64_t v = 1;

	usleep(50);
	if (write(r->go, &v, 8) != 8 || read(r->done, &v, 8) != 8)
		die("raw eventfd");
	while (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) < want)
		sched_yield();
	return w->wake_ns - r->sh->ns;
}

/* out: bridge srv, client srv, raw, bridge bell, client bell */
static void m_irq(struct side *sb, struct side *sc, struct lat out[5])
{
	const int IB = 20;
	int n = irq_iters / IB * IB, blk, j, k;
	struct waiter wb, wc, wr = {};
	struct rawefd re;
	uint64_t *t[5];

	for (k = 0; k < 5; k++)
		t[k] = calloc(n, sizeof(uint64_t));
	irq_setup(sb, &wb);
	irq_setup(sc, &wc);
	rawefd_start(&re);
	wr.efd = re.efd;
	waiter_start(&wr);
	for (blk = -1; blk < n / IB; blk++) {
		for (j = 0; j < IB; j++) {
			uint64_t a, b;
			int i = blk * IB + j;

			irq_one(sb, &wb, &a, &b);
			if (blk >= 0) {
				t[0][i] = a;
				t[3][i] = b;
			}
		}
		for (j = 0; j < IB; j++) {
			uint64_t a, b;
			int i = blk * IB + j;

			irq_one(sc, &wc, &a, &b);
			if (blk >= 0) {
				t[1][i] = a;
				t[4][i] = b;
			}
		}
		for (j = 0; j < IB; j++) {
			uint64_t a = rawirq_one(&re, &wr);

			if (blk >= 0)
				t[2][blk * IB + j] = a;
		}
	}
	rawefd_stop(&re);
	irq_teardown(&wr);
	irq_teardown(&wb);
	irq_teardown(&wc);
	for (k = 0; k < 5; k++) {
		out[k] = lat_of(t[k], n);
		free(t[k]);
	}
}


/* ------------------------------------------------------------ fast paths */

/*
 * Posted BAR0 writes, ioeventfd doorbells and region reads against
 * their comparisons, each sample after a 50 us pause, made robust
 * against a noisy host: the variants
 * run in interleaved blocks of FB samples; each block gives every
 * variant a median, each comparison a ratio of two block medians, and
 * a row shows the median of those per-block ratios with their spread
 * (10th..90th percentile).  Pooled p50/p99 are shown too.
 */
#define FB		40	/* samples per variant per block */

enum {
	F_POSTED,	/* bridge BAR0 write, posted_writes on */
	F_NONPOSTED,	/* bridge BAR0 write, posted_writes off */
	F_CLIENT,	/* userspace client BAR0 write (with reply) */
	F_CLIENT_POSTED,/* userspace client BAR0 write, NO_REPLY */
	F_IOEVENTFD,	/* bridge NOTIFY doorbell -> interrupt, ioeventfd */
	F_MESSAGE,	/* bridge doorbell as a REGION_WRITE -> interrupt */
	F_RAWEFD,	/* eventfd -> other process -> eventfd, raw */
	F_READ,		/* bridge config space read, 4 B */
	F_RAWPP,	/* raw AF_UNIX ping-pong 32/36 B */
	F_NR,
};

static int posted_fd = -1;

static bool set_posted(bool on)
{
	return posted_fd >= 0 && pwrite(posted_fd, on ? "1" : "0", 1, 0) == 1;
}

static double median_d(double *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)		/* n is small: insertion sort */
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return n ? v[n / 2] : 0;
}

struct fratio {
	double med, lo, hi;	/* median, 10th and 90th percentile */
};

static struct fratio ratios_of(double *r, int n)
{
	struct fratio f;

	median_d(r, n);
	f.med = r[n / 2];
	f.lo = r[n / 10];
	f.hi = r[n - 1 - n / 10];
	return f;
}

/* Per-block ratios @a[i] / @b[i] of @n blocks, summarised. */
static struct fratio block_ratio(const double *a, const double *b, int n)
{
	double r[n];
	int i;

	for (i = 0; i < n; i++)
		r[i] = b[i] ? a[i] / b[i] : 0;
	return ratios_of(r, n);
}

static uint64_t fast_doorbell(struct side *s, struct waiter *w, uint32_t val)
{
	int want = w->seq + 1;
	uint64_t t0;

	usleep(50);		/* the waiter is blocked in read() again */
	t0 = now_ns();
	s_wr32(s, VUB_SAMPLE_REG_NOTIFY, val);
	while (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) < want)
		sched_yield();
	return w->wake_ns - t0;
}

static uint64_t fast_rawefd(struct rawefd *r, struct waiter *w)
{
	int want = w->seq + 1;
	uint64_t v = 1, t0;

	usleep(50);
	t0 = now_ns();
	if (write(r->go, &v, 8) != 8)
		die("raw eventfd");
	while (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) < want)
		sched_yield();
	if (read(r->done, &v, 8) != 8)
		die("raw eventfd");
	return w->wake_ns - t0;
}

static void fast_row(const char *what, struct lat a, struct lat b,
		     struct fratio r, const char *vs, double goal)
{
	char g[16] = "";

	if (goal > 0)
		snprintf(g, sizeof(g), "<=%.2f %s", goal,
			 r.med <= goal ? "met" : "MISSED");
	printf("%-34s %7.1f %7.1f %7.1f %7.1f %6.2f %5.2f-%-5.2f %-11s %s\n",
	       what, a.p50, a.p99, b.p50, b.p99, r.med, r.lo, r.hi, g, vs);
}

static void m_fast(const char *dev, struct side *sb, struct side *sc)
{
	int nb = iters / (FB * 4), blk, j, k, i;
	struct waiter wb, wr = {};
	struct rawefd re;
	struct rawpeer rp;
	uint64_t *t[F_NR];
	double *bm[F_NR], tmp[FB];
	struct lat l[F_NR];
	char path[PATH_MAX];
	uint32_t v = 0;

	if (nb < 10)
		nb = 10;
	snprintf(path, sizeof(path), "/sys/bus/vfio-user/devices/%s/posted_writes",
		 dev);
	posted_fd = open(path, O_WRONLY);
	if (!set_posted(false)) {
		printf("fast paths: no posted_writes attribute, skipped\n");
		return;
	}
	if (sysfs_u32(dev, "ioeventfds", 0) < 1)
		printf("fast paths: the device has no ioeventfds: the ioeventfd row measures messages\n");
	for (k = 0; k < F_NR; k++) {
		t[k] = calloc(nb * FB, sizeof(uint64_t));
		bm[k] = calloc(nb, sizeof(double));
	}
	/* Consumer-side timing only: no irqts.so work in the server. */
	__atomic_store_n(&irqts->off, 1, __ATOMIC_RELAXED);
	irq_setup(sb, &wb);
	s_wr32(sb, VUB_SAMPLE_REG_NOTIFY_IRQ, 1);	/* MSI-X vector 0 */
	rawefd_start(&re);
	wr.efd = re.efd;
	waiter_start(&wr);
	raw_start(&rp, HDR + ACC, HDR + ACC + 4);

	for (blk = -1; blk < nb; blk++) {
		for (k = 0; k < F_NR; k++) {
			if (k == F_POSTED && !set_posted(true))
				die("posted_writes");
			for (j = 0; j < FB; j++) {
				uint64_t t0, d;

				/*
				 * A pause before every sample (the doorbell
				 * rows have theirs inside): a driver does not
				 * write a register back to back, and with one
				 * vCPU a burst of posted writes would make
				 * every sample pay for the server's work on
				 * the ones before it.
				 */
				if (k != F_IOEVENTFD && k != F_MESSAGE &&
				    k != F_RAWEFD)
					usleep(50);
				t0 = now_ns();
				switch (k) {
				case F_POSTED:
				case F_NONPOSTED:
				case F_CLIENT:
					s_wr32(k == F_CLIENT ? sc : sb,
					       VUB_SAMPLE_REG_SCRATCH, j);
					break;
				case F_CLIENT_POSTED: {
					struct vfio_user_region_access a = {
						.offset = VUB_SAMPLE_REG_SCRATCH,
						.count = 4,
					};
					uint32_t x = j;

					uc_send(sc->c, ++sc->c->id,
						VFIO_USER_REGION_WRITE,
						VFIO_USER_F_NO_REPLY, &a, ACC,
						&x, 4, -1);
					break;
				}
				case F_READ:
					s_rd(sb, VFIO_PCI_CONFIG_REGION_INDEX,
					     0, &v, 4);
					break;
				case F_RAWPP:
					raw_rt(&rp);
					break;
				}
				d = now_ns() - t0;
				if (k == F_IOEVENTFD)
					d = fast_doorbell(sb, &wb,
							  VUB_SAMPLE_NOTIFY_VALUE);
				else if (k == F_MESSAGE)
					d = fast_doorbell(sb, &wb, 2);
				else if (k == F_RAWEFD)
					d = fast_rawefd(&re, &wr);
				if (blk >= 0)
					t[k][blk * FB + j] = d;
			}
			/* Drain: the next variant starts on an idle server. */
			if (k == F_POSTED) {
				if (!set_posted(false))
					die("posted_writes");
				if (s_rd32(sb, VUB_SAMPLE_REG_SCRATCH) != FB - 1)
					die("posted writes: SCRATCH readback");
			}
			if (k == F_CLIENT_POSTED &&
			    s_rd32(sc, VUB_SAMPLE_REG_SCRATCH) != FB - 1)
				die("client posted writes: SCRATCH readback");
			if (blk < 0)
				continue;
			for (j = 0; j < FB; j++)
				tmp[j] = t[k][blk * FB + j];
			bm[k][blk] = median_d(tmp, FB);
		}
	}
	s_wr32(sb, VUB_SAMPLE_REG_NOTIFY_IRQ, 0);
	raw_stop(&rp);
	rawefd_stop(&re);
	irq_teardown(&wr);
	irq_teardown(&wb);
	__atomic_store_n(&irqts->off, 0, __ATOMIC_RELAXED);
	if (posted_fd >= 0)
		close(posted_fd);
	for (k = 0; k < F_NR; k++)
		l[k] = lat_of(t[k], nb * FB);

	printf("\nfast paths: %d interleaved blocks of %d samples per variant; "
	       "ratio = median of the per-block ratios of block medians, "
	       "spread = 10th-90th percentile of those ratios\n", nb, FB);
	printf("%-34s %7s %7s %7s %7s %6s %-11s %-11s %s\n", "metric (us)",
	       "p50", "p99", "cmp p50", "cmp p99", "ratio", "spread", "goal",
	       "comparison is");
	for (i = 0; i < 130; i++)
		putchar('-');
	putchar('\n');
#define R(a, b)	block_ratio(bm[a], bm[b], nb)
	fast_row("BAR0 write 4 B, posted", l[F_POSTED], l[F_NONPOSTED],
		 R(F_POSTED, F_NONPOSTED), "bridge, not posted", 0.6);
	fast_row("BAR0 write 4 B, posted", l[F_POSTED], l[F_CLIENT],
		 R(F_POSTED, F_CLIENT), "userspace client, with reply", 0);
	fast_row("BAR0 write 4 B, posted", l[F_POSTED], l[F_CLIENT_POSTED],
		 R(F_POSTED, F_CLIENT_POSTED), "userspace client, NO_REPLY", 0);
	fast_row("BAR0 write 4 B, not posted", l[F_NONPOSTED], l[F_CLIENT],
		 R(F_NONPOSTED, F_CLIENT), "userspace client, with reply", 0);
	fast_row("doorbell -> irq, ioeventfd", l[F_IOEVENTFD], l[F_RAWEFD],
		 R(F_IOEVENTFD, F_RAWEFD),
		 "raw: eventfd -> process -> eventfd", 1.2);
	fast_row("doorbell -> irq, ioeventfd", l[F_IOEVENTFD], l[F_MESSAGE],
		 R(F_IOEVENTFD, F_MESSAGE), "bridge, doorbell as a message", 0);
	fast_row("doorbell -> irq, message", l[F_MESSAGE], l[F_RAWEFD],
		 R(F_MESSAGE, F_RAWEFD), "raw: eventfd -> process -> eventfd",
		 0);
	fast_row("config read 4 B", l[F_READ], l[F_RAWPP], R(F_READ, F_RAWPP),
		 "raw AF_UNIX ping-pong 32/36 B", 1.15);
#undef R
	for (k = 0; k < F_NR; k++) {
		free(t[k]);
		free(bm[k]);
	}
}

/* DMA engine: programs @len-byte transfers in direction @dir. */
static void dma_setup(struct side *s, uint32_t dir, uint32_t len)
{
	uint8_t *mem = s->dma_mem ? s->dma_mem : s->v ? s->v->dma : s->c->dma;
	uint64_t addr = s->dma_iova ? s->dma_iova : DMA_IOVA;

	memset(mem, 0x5a, len);
	s_wr(s, 0, VUB_SAMPLE_REG_DMA_ADDR, &addr, 8);
	s_wr32(s, VUB_SAMPLE_REG_DMA_LEN, len);
	s_wr32(s, VUB_SAMPLE_REG_DMA_BUF_OFF, 0);
	s_wr32(s, VUB_SAMPLE_REG_DMA_DIR, dir);
	s_wr32(s, VUB_SAMPLE_REG_DMA_IRQ, 0);
}

/* One transfer: the GO write returns when the DMA is done (ns). */
static uint64_t dma_one(struct side *s)
{
	uint64_t t0 = now_ns(), dt;
	uint32_t st;

	s_wr32(s, VUB_SAMPLE_REG_DMA_GO, 1);
	dt = now_ns() - t0;
	st = s_rd32(s, VUB_SAMPLE_REG_DMA_STATUS);
	if (st != VUB_SAMPLE_DMA_OK)
		die("%s: DMA status 0x%x", s->name, st);
	return dt;
}

/*
 * Direct DMA after first touch, made robust against a noisy host as the
 * fast paths are: three variants in interleaved blocks of DB transfers
 * (their order rotating from block to block), a median per variant per
 * block, and per-block ratios of those.
 */
#define DB		5	/* transfers per variant per block */
#define DNB		12	/* blocks */

enum { D_DIRECT, D_LOCAL, D_MEMFD, D_NR };

struct dresult {
	double mbs[D_NR];		/* MB/s of the pooled median */
	struct fratio r[D_NR];		/* throughput ratio direct / other */
};

static struct dresult dres[2];		/* device->host, host->device */

static void m_direct(struct side *sd, struct side *sm, uint32_t dir,
		     uint32_t len, struct dresult *res)
{
	uint64_t t[D_NR][DNB * DB];
	double bm[D_NR][DNB], tmp[DB], r[DNB];
	int blk, i, j, k;

	dma_setup(sd, dir, len);
	dma_setup(sm, dir, len);
	for (blk = -1; blk < DNB; blk++) {
		for (i = 0; i < D_NR; i++) {
			struct side *s = sd;

			k = (i + (blk < 0 ? 0 : blk)) % D_NR;
			if (k == D_MEMFD)
				s = sm;
			else
				s_wr32(sd, VUB_SAMPLE_REG_DMA_MODE,
				       k == D_LOCAL ?
				       VUB_SAMPLE_DMA_MODE_LOCAL :
				       VUB_SAMPLE_DMA_MODE_AUTO);
			for (j = 0; j < DB; j++) {
				uint64_t d = dma_one(s);

				if (blk >= 0)
					t[k][blk * DB + j] = d;
			}
			if (blk < 0)
				continue;
			for (j = 0; j < DB; j++)
				tmp[j] = t[k][blk * DB + j];
			bm[k][blk] = median_d(tmp, DB);
		}
	}
	s_wr32(sd, VUB_SAMPLE_REG_DMA_MODE, VUB_SAMPLE_DMA_MODE_AUTO);
	for (k = 0; k < D_NR; k++) {
		res->mbs[k] = len / (lat_of(t[k], DNB * DB).p50 / 1e6) / 1e6;
		/* Throughput ratio = time of the other / time of direct. */
		for (blk = 0; blk < DNB; blk++)
			r[blk] = bm[D_DIRECT][blk] ?
				 bm[k][blk] / bm[D_DIRECT][blk] : 0;
		res->r[k] = ratios_of(r, DNB);
	}
}

static void print_direct(void)
{
	static const char *const vs[D_NR] = {
		[D_LOCAL] = "server copying its own memory",
		[D_MEMFD] = "client's memfd mapped by the server",
	};
	int d, k, i;

	if (!dres[0].mbs[D_DIRECT])
		return;
	printf("\ndirect DMA 1 MiB after first touch: %d interleaved blocks of %d transfers per variant; "
	       "ratio = median of the per-block throughput ratios (direct / comparison) of block medians, "
	       "spread = 10th-90th percentile of those ratios\n", DNB, DB);
	printf("%-34s %9s %9s %6s %-11s %-11s %s\n", "metric (MB/s)", "direct",
	       "cmp", "ratio", "spread", "goal", "comparison is");
	for (i = 0; i < 110; i++)
		putchar('-');
	putchar('\n');
	for (d = 0; d < 2; d++) {
		for (k = D_LOCAL; k < D_NR; k++) {
			struct fratio f = dres[d].r[k];
			char g[16] = "";

			if (k == D_LOCAL)
				snprintf(g, sizeof(g), ">=0.90 %s",
					 f.med >= 0.9 ? "met" : "MISSED");
			printf("%-34s %9.1f %9.1f %6.2f %5.2f-%-5.2f %-11s %s\n",
			       d ? "direct DMA host->device 1 MiB" :
				   "direct DMA device->host 1 MiB",
			       dres[d].mbs[D_DIRECT], dres[d].mbs[k], f.med,
			       f.lo, f.hi, g, vs[k]);
		}
	}
}

/* MB/s of the median transfer, bridge and client alternating. */
static void m_dma(struct side *sb, struct side *sc, uint32_t dir,
		  uint32_t len, int reps, double *rb, double *rc)
{
	uint64_t *tb = calloc(reps, 8), *tc = calloc(reps, 8);
	int i;

	dma_setup(sb, dir, len);
	dma_setup(sc, dir, len);
	for (i = -2; i < reps; i++) {
		uint64_t a = dma_one(sb), b = dma_one(sc);

		if (i >= 0) {
			tb[i] = a;
			tc[i] = b;
		}
	}
	*rb = len / (lat_of(tb, reps).p50 / 1e6) / 1e6;
	*rc = len / (lat_of(tc, reps).p50 / 1e6) / 1e6;
	free(tb);
	free(tc);
}

/* @parts @len-byte transfers, back to back from DMA_IOVA (ns). */
static uint64_t dma_parts(struct side *s, uint32_t len, int parts)
{
	uint64_t t = 0, addr;
	int i;

	for (i = 0; i < parts; i++) {
		addr = DMA_IOVA + (uint64_t)i * len;
		if (parts > 1)
			s_wr(s, 0, VUB_SAMPLE_REG_DMA_ADDR, &addr, 8);
		t += dma_one(s);
	}
	return t;
}

/*
 * Direct DMA first touch: the consumer's buffer unmapped and mapped
 * again (the bridge unpins and zaps it), then @parts @len-byte
 * transfers (the server faults, the bridge pins the 2 MiB chunk and
 * maps it) and the same transfers again (mapped).  Medians in ms.
 */
static void m_first_touch(struct vdev *v, struct side *s, uint32_t len,
			  int parts, int reps, double *cold, double *warm)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .vaddr = (uintptr_t)v->dma,
		.iova = DMA_IOVA, .size = DMA_SIZE,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = DMA_IOVA, .size = DMA_SIZE,
	};
	uint64_t *tc = calloc(reps, 8), *tw = calloc(reps, 8);
	int i;

	dma_setup(s, VUB_SAMPLE_DMA_DIR_FROM_HOST, len);
	for (i = 0; i < reps; i++) {
		if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ||
		    ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map))
			die("unmap/map");
		usleep(150000);	/* past the bridge's revocation tombstone */
		tc[i] = dma_parts(s, len, parts);
		tw[i] = dma_parts(s, len, parts);
	}
	*cold = lat_of(tc, reps).p50 / 1e3;	/* us -> ms */
	*warm = lat_of(tw, reps).p50 / 1e3;
	free(tc);
	free(tw);
}

/* memcpy bandwidth of two mappings of the sparse BAR2 area (MB/s). */
static void m_mmap(uint8_t *m1, uint8_t *m2, double bw[4])
{
	const size_t sz = VUB_SAMPLE_BAR2_MMAP_SIZE;
	const int reps = 60;
	uint8_t *buf = malloc(sz), *maps[2] = { m1, m2 };
	uint64_t *t[4];
	int i, k;

	for (k = 0; k < 4; k++)
		t[k] = calloc(reps, 8);
	memset(buf, 0xa5, sz);
	for (i = -2; i < reps; i++) {
		for (k = 0; k < 2; k++) {
			uint64_t t0 = now_ns(), t1;

			memcpy(buf, maps[k], sz);
			__asm__ volatile("" : : "r"(buf) : "memory");
			t1 = now_ns();
			memcpy(maps[k], buf, sz);
			__asm__ volatile("" : : "r"(maps[k]) : "memory");
			if (i >= 0) {
				t[k][i] = t1 - t0;
				t[2 + k][i] = now_ns() - t1;
			}
		}
	}
	for (k = 0; k < 4; k++) {
		bw[k] = sz / (lat_of(t[k], reps).p50 / 1e6) / 1e6;
		free(t[k]);
	}
	free(buf);
}

/* Region reads from @n threads on the device fd: kops/s. */
struct rthr {
	struct vdev *v;
	volatile int *stop;
	long ops;
};

static void *rthr_fn(void *arg)
{
	struct rthr *r = arg;
	uint32_t x;

	while (!*r->stop) {
		v_rd(r->v, 0, VUB_SAMPLE_REG_ID, &x, 4);
		r->ops++;
	}
	return NULL;
}

static double m_threads_bridge(struct vdev *v, int n)
{
	volatile int stop = 0;
	struct rthr r[8];
	pthread_t th[8];
	uint64_t t0 = now_ns();
	long ops = 0;
	int i;

	for (i = 0; i < n; i++) {
		r[i] = (struct rthr){ .v = v, .stop = &stop };
		if (pthread_create(&th[i], NULL, rthr_fn, &r[i]))
			die("pthread_create");
	}
	usleep((useconds_t)(tput_secs * 1e6));
	stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ops += r[i].ops;
	}
	return ops / ((now_ns() - t0) / 1e9) / 1e3;
}

/* The client keeps @depth REGION_READs in flight on its socket. */
static double m_pipeline_client(struct uc *c, int depth)
{
	struct vfio_user_region_access a = {
		.offset = VUB_SAMPLE_REG_ID, .region = 0, .count = 4,
	};
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(tput_secs * 1e9);
	long ops = 0, inflight = 0;

	while (inflight < depth) {
		uc_send(c, ++c->id, VFIO_USER_REGION_READ, 0, &a, ACC, NULL, 0,
			-1);
		inflight++;
	}
	while (inflight) {
		uc_recv(c);
		if (c->h.flags & VFIO_USER_F_ERROR)
			die("pipelined REGION_READ");
		inflight--;
		ops++;
		if (now_ns() < end) {
			uc_send(c, ++c->id, VFIO_USER_REGION_READ, 0, &a, ACC,
				NULL, 0, -1);
			inflight++;
		}
	}
	return ops / ((now_ns() - t0) / 1e9) / 1e3;
}

/* ---------------------------------------------------------------- main */

static uint32_t sysfs_u32(const char *dev, const char *attr, uint32_t def)
{
	char p[PATH_MAX];
	unsigned long v;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/bus/vfio-user/devices/%s/%s", dev, attr);
	f = fopen(p, "r");
	if (!f)
		return def;
	if (fscanf(f, "%lu", &v) != 1)
		v = def;
	fclose(f);
	return v;
}

static void progress(const char *what)
{
	fprintf(stderr, "vub-bench: %s\n", what);
}

/* The direct DMA rows: the dma=mmap device @ddev, the client's memfd. */
static void m_direct_rows(const char *ddev, struct uc *c)
{
	static struct vdev v2;
	struct side sd = { .name = "direct", .v = &v2 };
	struct side sm = { .name = "client-memfd", .c = c,
			   .dma_iova = DMA_IOVA2, .dma_mem = c->dma2 };
	char what[64];
	double r1, r2;
	int d;

	progress("direct DMA");
	vopen(&v2, ddev);
	for (d = 0; d < 2; d++) {
		uint32_t dir = d ? VUB_SAMPLE_DMA_DIR_FROM_HOST :
				   VUB_SAMPLE_DMA_DIR_TO_HOST;

		snprintf(what, sizeof(what), "direct DMA %s 1 MiB",
			 d ? "host->device" : "device->host");
		m_direct(&sd, &sm, dir, 1 << 20, &dres[d]);
		row(what, "MB/s", dres[d].mbs[D_DIRECT], dres[d].mbs[D_LOCAL],
		    "server copying its own memory");
		row(what, "MB/s", dres[d].mbs[D_DIRECT], dres[d].mbs[D_MEMFD],
		    "client's memfd mapped by the server");
	}
	m_first_touch(&v2, &sd, 4096, 1, 12, &r1, &r2);
	row("direct DMA first touch 4 KiB", "ms", r1, r2,
	    "same transfer, mapped (pins 2 MiB)");
	m_first_touch(&v2, &sd, 1 << 20, 1, 8, &r1, &r2);
	row("direct DMA first touch 1 MiB of 2 MiB", "ms", r1, r2,
	    "same transfer, mapped");
	/* The engine moves 1 MiB at most: two halves of one chunk. */
	m_first_touch(&v2, &sd, 1 << 20, 2, 8, &r1, &r2);
	row("direct DMA first touch 2 MiB", "ms", r1, r2,
	    "same transfers, mapped");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", 1, NULL, 'd' }, { "socket", 1, NULL, 's' },
		{ "irqts", 1, NULL, 'i' }, { "iters", 1, NULL, 'n' },
		{ "secs", 1, NULL, 't' }, { "ddev", 1, NULL, 'D' },
		{ "fast", 0, NULL, 'f' }, { "direct", 0, NULL, 'R' }, { }
	};
	const char *dev = NULL, *sock = NULL, *tsfile = NULL, *ddev = NULL;
	struct lat l[5];
	static const uint32_t sizes[] = { 4096, 65536, 1 << 20 };
	static const char *const szname[] = { "4 KiB", "64 KiB", "1 MiB" };
	static const int reps[] = { 200, 60, 12 };
	struct vdev v = { };
	struct uc c = { };
	struct side sb = { .name = "bridge", .v = &v };
	struct side sc = { .name = "client", .c = &c };
	uint32_t max_xfer;
	char what[64];
	uint8_t *map, *map2;
	double r1, r2, bw[4];
	int o, i, d, tsfd;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'd': dev = optarg; break;
		case 's': sock = optarg; break;
		case 'i': tsfile = optarg; break;
		case 'n': iters = atoi(optarg); irq_iters = iters / 4; break;
		case 't': tput_secs = atof(optarg); break;
		case 'D': ddev = optarg; break;
		case 'f': fast_only = true; break;
		case 'R': direct_only = true; break;
		default: return 2;
		}
	}
	if (!dev || !sock || !tsfile || iters < 100) {
		fprintf(stderr, "usage: vub-bench --dev NAME --socket PATH "
			"--irqts FILE [--iters N] [--secs S]\n");
		return 2;
	}
	tsfd = open(tsfile, O_RDWR);
	irqts = mmap(NULL, sizeof(*irqts), PROT_READ | PROT_WRITE, MAP_SHARED,
		     tsfd, 0);
	if (tsfd < 0 || irqts == MAP_FAILED)
		die("%s", tsfile);
	signal(SIGPIPE, SIG_IGN);

	max_xfer = sysfs_u32(dev, "max_data_xfer_size", 1 << 20);
	vopen(&v, dev);
	uc_open(&c, sock, max_xfer);
	printf("vub-bench: %d latency samples, %d interrupts, %.1f s per "
	       "throughput point; max_data_xfer_size %u\n", iters, irq_iters,
	       tput_secs, max_xfer);

	if (fast_only) {
		progress("fast paths");
		m_fast(dev, &sb, &sc);
		return 0;
	}
	if (direct_only) {
		if (!ddev)
			die("--direct needs --ddev");
		m_direct_rows(ddev, &c);
		print_table();
		print_direct();
		return 0;
	}
	progress("region latency");
	m_region(&sb, &sc, false, l);
	lat_rows("config read 4 B", l[0], l[1], "userspace vfio-user client");
	lat_rows("config read 4 B", l[0], l[2], "raw AF_UNIX ping-pong 32/36 B");
	lat_rows("config read 4 B", l[0], l[3], "raw, reply via a relay process");
	if (l[4].n)
		lat_rows("config read 4 B", l[0], l[4],
			 "bridge, replies via its kthread");
	m_region(&sb, &sc, true, l);
	lat_rows("BAR0 write 4 B", l[0], l[1], "userspace vfio-user client");
	lat_rows("BAR0 write 4 B", l[0], l[2], "raw AF_UNIX ping-pong 36/32 B");
	lat_rows("BAR0 write 4 B", l[0], l[3], "raw, reply via a relay process");
	if (l[4].n)
		lat_rows("BAR0 write 4 B", l[0], l[4],
			 "bridge, replies via its kthread");

	progress("interrupts");
	m_irq(&sb, &sc, l);
	lat_rows("irq: server eventfd write -> wake", l[0], l[2],
		 "raw eventfd between two processes");
	lat_rows("irq: server eventfd write -> wake", l[0], l[1],
		 "userspace vfio-user client");
	lat_rows("irq: doorbell pwrite -> wake", l[3], l[4],
		 "userspace vfio-user client");

	progress("DMA");
	for (d = 0; d < 2; d++) {
		for (i = 0; i < 3; i++) {
			snprintf(what, sizeof(what), "%s %s",
				 d ? "DMA_READ (host->device)" :
				     "DMA_WRITE (device->host)", szname[i]);
			m_dma(&sb, &sc, d ? VUB_SAMPLE_DMA_DIR_FROM_HOST :
					    VUB_SAMPLE_DMA_DIR_TO_HOST,
			      sizes[i], reps[i], &r1, &r2);
			row(what, "MB/s", r1, r2, "client serving DMA itself");
		}
	}

	if (ddev)
		m_direct_rows(ddev, &c);

	progress("BAR2 mmap");
	map = mmap(NULL, VUB_SAMPLE_BAR2_MMAP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, v.fd, v.off[2] + VUB_SAMPLE_BAR2_MMAP_OFFSET);
	if (map == MAP_FAILED)
		die("mmap BAR2 of the device fd");
	map2 = mmap(NULL, VUB_SAMPLE_BAR2_MMAP_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, c.bar2_fd,
		    c.bar2_mmap_off + VUB_SAMPLE_BAR2_MMAP_OFFSET);
	if (map2 == MAP_FAILED)
		die("mmap BAR2 fd from the server");
	m_mmap(map, map2, bw);
	munmap(map, VUB_SAMPLE_BAR2_MMAP_SIZE);
	munmap(map2, VUB_SAMPLE_BAR2_MMAP_SIZE);
	row("BAR2 mmap read 512 KiB", "MB/s", bw[0], bw[1],
	    "server's memfd mapped directly");
	row("BAR2 mmap write 512 KiB", "MB/s", bw[2], bw[3],
	    "server's memfd mapped directly");

	progress("threaded region reads");
	for (i = 1; i <= 4; i *= 2) {
		snprintf(what, sizeof(what), "region read 4 B, %d thread%s", i,
			 i > 1 ? "s" : "");
		/* two rounds, alternating; the better of each */
		r1 = m_threads_bridge(&v, i);
		r2 = m_pipeline_client(&c, i);
		bw[0] = m_threads_bridge(&v, i);
		bw[1] = m_pipeline_client(&c, i);
		row(what, "kops/s", r1 > bw[0] ? r1 : bw[0],
		    r2 > bw[1] ? r2 : bw[1], i > 1 ?
		    "client, as many requests in flight" :
		    "client, one request in flight");
	}
	print_table();
	print_direct();
	progress("fast paths");
	m_fast(dev, &sb, &sc);
	return 0;
}
