// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbells offered as ioeventfds (DEVICE_GET_REGION_IO_FDS): NOTIFY
 * (data match VUB_SAMPLE_NOTIFY_VALUE) and KICK (no data match) of
 * BAR0, see tools/include/vub_sample.h.  The server polls their
 * eventfds next to the socket (proto.c wait_readable()), so a client
 * write that signals one reaches the device model as if it had come as
 * a REGION_WRITE of that value.  Faults for the reply: io-fds-*.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "cmd.h"

struct vus_dev *vus_io_dev;

int vus_ioeventfd_init(struct vus_dev *d)
{
	d->notify_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->notify_efd < 0 || d->kick_efd < 0)
		return -errno;
	vus_io_dev = d;
	return 0;
}

/* Client gone: counts it left in the eventfds are not the next one's. */
void vus_ioeventfd_reset(struct vus_dev *d)
{
	uint64_t n;

	if (read(d->notify_efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vus_dbg("NOTIFY eventfd: %m");
	if (read(d->kick_efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vus_dbg("KICK eventfd: %m");
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

int vus_ioeventfd_pollfds(struct pollfd *p, int max)
{
	if (!vus_io_dev || max < 2)
		return 0;
	p[0] = (struct pollfd){ .fd = vus_io_dev->notify_efd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = vus_io_dev->kick_efd, .events = POLLIN };
	return 2;
}

void vus_ioeventfd_poll(const struct pollfd *p)
{
	struct vus_dev *d = vus_io_dev;
	uint64_t n;

	if (!d)
		return;
	if (p[0].revents && read(d->notify_efd, &n, sizeof(n)) == sizeof(n) &&
	    n) {
		n = n > UINT32_MAX ? UINT32_MAX : n;
		vus_dbg("NOTIFY ioeventfd: %llu", (unsigned long long)n);
		d->notify_via_fd += n;
		vus_notify(d, VUB_SAMPLE_NOTIFY_VALUE, n);
	}
	if (p[1].revents && read(d->kick_efd, &n, sizeof(n)) == sizeof(n) &&
	    n) {
		vus_dbg("KICK ioeventfd: %llu", (unsigned long long)n);
		d->kick_count += n;
	}
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
