// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbells offered as ioeventfds (DEVICE_GET_REGION_IO_FDS): NOTIFY
 * (data match VUB_SAMPLE_NOTIFY_VALUE) and KICK (no data match) of
 * BAR0, see tools/include/vub_sample.h.  Each eventfd has a thread
 * blocked in read() on it, as a device's doorbell thread would be, so
 * a client write that signals one reaches the device model (under
 * vus_dev_lock(), like the messages) as if it had come as a
 * REGION_WRITE of that value, without a poll() in the message loop.
 * Like a KVM ioeventfd, a doorbell is not ordered with the messages
 * around it.  Faults for the reply: io-fds-*.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "cmd.h"

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vus_dev *io_dev;
static bool io_live;		/* a client is connected */

void vus_dev_lock(void)
{
	pthread_mutex_lock(&dev_lock);
}

void vus_dev_unlock(void)
{
	pthread_mutex_unlock(&dev_lock);
}

/* Under the lock: @n signals of the eventfd of doorbell @kick. */
static void io_fire(struct vus_dev *d, bool kick, uint64_t n)
{
	if (kick) {
		vus_dbg("KICK ioeventfd: %llu", (unsigned long long)n);
		d->kick_count += n;
		return;
	}
	n = n > UINT32_MAX ? UINT32_MAX : n;
	vus_dbg("NOTIFY ioeventfd: %llu", (unsigned long long)n);
	d->notify_via_fd += n;
	vus_notify(d, VUB_SAMPLE_NOTIFY_VALUE, n);
}

static void *io_thread(void *arg)
{
	bool kick = arg != NULL;
	int fd = kick ? io_dev->kick_efd : io_dev->notify_efd;
	uint64_t n;

	for (;;) {
		if (read(fd, &n, sizeof(n)) != sizeof(n)) {
			if (errno == EINTR)
				continue;
			vus_log("%s eventfd: %m", kick ? "KICK" : "NOTIFY");
			return NULL;
		}
		vus_dev_lock();
		if (io_live && n)
			io_fire(io_dev, kick, n);
		vus_dev_unlock();
	}
}

int vus_ioeventfd_init(struct vus_dev *d)
{
	pthread_t t;
	sigset_t all, old;
	int ret = 0;

	/* Blocking: the threads wait in read(). */
	d->notify_efd = eventfd(0, EFD_CLOEXEC);
	d->kick_efd = eventfd(0, EFD_CLOEXEC);
	if (d->notify_efd < 0 || d->kick_efd < 0)
		return -errno;
	io_dev = d;
	/* Signals (SIGTERM) are for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, io_thread, NULL) ||
	    pthread_create(&t, NULL, io_thread, (void *)1))
		ret = -EAGAIN;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* A client connected: its doorbells count. */
void vus_ioeventfd_connect(struct vus_dev *d)
{
	(void)d;
	vus_dev_lock();
	io_live = true;
	vus_dev_unlock();
}

/*
 * Client gone (under the lock): what it left in the eventfds is not
 * the next one's.  The threads consume it and drop it while no client
 * is connected.
 */
void vus_ioeventfd_reset(struct vus_dev *d)
{
	(void)d;
	io_live = false;
}

/* @n writes of @val to NOTIFY (one interrupt for the batch). */
void vus_notify(struct vus_dev *d, uint32_t val, uint32_t n)
{
	d->notify_count += n;
	d->notify_sum += (uint64_t)val * n;
	if (d->notify_irq)
		vus_irq_doorbell(d, (VUB_SAMPLE_IRQ_MSIX << 16) |
				 (d->notify_irq - 1));
}

static void sub(struct vfio_user_sub_region_ioeventfd *e, uint64_t off,
		uint32_t fd_index, bool match, uint64_t data)
{
	memset(e, 0, sizeof(*e));
	e->offset = off;
	e->size = 4;
	e->fd_index = fd_index;
	e->type = VFIO_USER_IO_FD_TYPE_IOEVENTFD;
	e->flags = match ? 1 : 0;	/* KVM_IOEVENTFD_FLAG_DATAMATCH */
	e->datamatch = data;
}

/* As libvfio-user: flags and count 0, argsz bounded, a present region. */
int vus_cmd_region_io_fds(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_region_io_fds_request *in = (void *)m->data;
	struct {
		struct vfio_user_region_io_fds_reply h;
		struct vfio_user_sub_region_ioeventfd e[3];
	} __attribute__((packed)) out;
	int fds[2], nfds = 0, pipefd[2] = { -1, -1 };
	uint32_t n = 0, len;

	if (m->len < sizeof(*in) || in->flags != 0 || in->count != 0 ||
	    in->argsz < sizeof(out.h) || in->argsz > VUS_MAX_ARGSZ)
		return -EINVAL;
	if (in->index >= VFIO_USER_PCI_NUM_REGIONS ||
	    !vus_region_flags(c->dev, in->index))
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	out.h.index = in->index;
	if (in->index == VFIO_USER_PCI_BAR0_REGION_INDEX) {
		if (vus_fault_hit(VUS_F_IO_FDS_ERROR, m->hdr.cmd)) {
			vus_log("fault io-fds-error");
			return -ENOTSUP;
		}
		sub(&out.e[n++], VUB_SAMPLE_REG_NOTIFY, 0, true,
		    VUB_SAMPLE_NOTIFY_VALUE);
		sub(&out.e[n++], VUB_SAMPLE_REG_KICK, 1, false, 0);
		fds[nfds++] = c->dev->notify_efd;
		fds[nfds++] = c->dev->kick_efd;
		if (vus_fault_hit(VUS_F_IO_FDS_OVERLAP, m->hdr.cmd)) {
			vus_log("fault io-fds-overlap");
			sub(&out.e[n++], VUB_SAMPLE_REG_NOTIFY + 2, 1, false, 0);
		}
		if (vus_fault_hit(VUS_F_IO_FDS_OVERSIZED, m->hdr.cmd)) {
			vus_log("fault io-fds-oversized");
			out.e[0].size = 16;
		}
		if (vus_fault_hit(VUS_F_IO_FDS_WRONG_FD_TYPE, m->hdr.cmd) &&
		    pipe(pipefd) == 0) {
			vus_log("fault io-fds-wrong-fd-type");
			fds[0] = pipefd[0];
		}
		if (vus_fault_hit(VUS_F_IO_FDS_TOO_MANY, m->hdr.cmd)) {
			/* What libvfio-user does when argsz is too small. */
			vus_log("fault io-fds-too-many");
			out.h.count = 17;
			out.h.argsz = sizeof(out.h) + 17 * sizeof(out.e[0]);
			vus_reply(c, m, &out, sizeof(out.h), NULL, 0);
			return 1;
		}
	}
	out.h.count = n;
	out.h.argsz = sizeof(out.h) + n * sizeof(out.e[0]);
	len = out.h.argsz;
	if (in->argsz < len) {		/* header only, as libvfio-user */
		len = sizeof(out.h);
		nfds = 0;
	}
	vus_reply(c, m, &out, len, fds, nfds);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	return 1;
}
