// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS (validated like libvfio-user's
 * lib/irq.c, plus vfio-pci's one-of-INTx/MSI/MSI-X rule) and the
 * doorbell register that fires them through the client's eventfds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "server.h"

static const uint32_t irq_counts[VFIO_USER_PCI_NUM_IRQS] = {
	[VFIO_USER_PCI_INTX_IRQ_INDEX] = VUB_SAMPLE_NUM_INTX,
	[VFIO_USER_PCI_MSI_IRQ_INDEX] = VUB_SAMPLE_NUM_MSI,
	[VFIO_USER_PCI_MSIX_IRQ_INDEX] = VUB_SAMPLE_NUM_MSIX,
	[VFIO_USER_PCI_ERR_IRQ_INDEX] = VUB_SAMPLE_NUM_ERR,
	[VFIO_USER_PCI_REQ_IRQ_INDEX] = VUB_SAMPLE_NUM_REQ,
};

void vus_irq_init(struct vus_dev *d)
{
	int i, j;

	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++) {
		d->irq[i].count = irq_counts[i];
		d->irq[i].enabled = false;
		for (j = 0; j < VUB_SAMPLE_NUM_MSIX; j++) {
			d->irq[i].efd[j] = -1;
			d->irq[i].masked[j] = false;
		}
	}
}

static void irq_disable(struct vus_irq_index *x)
{
	uint32_t j;

	for (j = 0; j < x->count; j++) {
		if (x->efd[j] >= 0)
			close(x->efd[j]);
		x->efd[j] = -1;
		x->masked[j] = false;
	}
	x->enabled = false;
}

void vus_irq_release(struct vus_dev *d)
{
	int i;

	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
		irq_disable(&d->irq[i]);
}

uint32_t vus_irq_nr_fds(const struct vus_dev *d)
{
	uint32_t n = 0, j;
	int i;

	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
		for (j = 0; j < d->irq[i].count; j++)
			n += d->irq[i].efd[j] >= 0;
	return n;
}

int vus_irq_get_info(uint32_t index, struct vfio_user_irq_info *info)
{
	if (index >= VFIO_USER_PCI_NUM_IRQS)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	info->count = irq_counts[index];
	info->flags = VFIO_USER_IRQ_INFO_EVENTFD;
	switch (index) {
	case VFIO_USER_PCI_INTX_IRQ_INDEX:
		info->flags |= VFIO_USER_IRQ_INFO_MASKABLE |
			       VFIO_USER_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_USER_PCI_MSI_IRQ_INDEX:
	case VFIO_USER_PCI_MSIX_IRQ_INDEX:
		info->flags |= VFIO_USER_IRQ_INFO_MASKABLE |
			       VFIO_USER_IRQ_INFO_NORESIZE;
		break;
	}
	return 0;
}

static void signal_efd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one))
		vus_log("eventfd write: %m");
}

enum efd_kind { EFD_BAD, EFD_EVENTFD, EFD_RELAY };

/*
 * Stricter than libvfio-user: an interrupt fd must be an eventfd, or
 * the vfio_user bridge's write-only relay file (its irq_relay mode).
 */
static enum efd_kind efd_kind(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return EFD_EVENTFD;	/* no /proc: cannot tell */
	link[n] = 0;
	if (!strcmp(link, "anon_inode:[eventfd]"))
		return EFD_EVENTFD;
	if (!strcmp(link, "anon_inode:[vfio-user-irq]"))
		return EFD_RELAY;
	return EFD_BAD;
}

static bool is_intx_msi_msix(uint32_t index)
{
	return index <= VFIO_USER_PCI_MSIX_IRQ_INDEX;
}

int vus_irq_set(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_irq_set *s = (void *)m->data;
	struct vus_dev *d = c->dev;
	struct vus_irq_index *x;
	uint32_t action, data, i, j;

	/* libvfio-user: argsz >= the struct, not necessarily the payload. */
	if (m->len < sizeof(*s) || s->argsz < sizeof(*s)) {
		vus_log("SET_IRQS: bad size %u (argsz %u)", m->len,
			m->len >= sizeof(*s) ? s->argsz : 0);
		return -EINVAL;
	}
	action = s->flags & VFIO_USER_IRQ_SET_ACTION_TYPE_MASK;
	data = s->flags & VFIO_USER_IRQ_SET_DATA_TYPE_MASK;
	if (s->flags & ~(VFIO_USER_IRQ_SET_ACTION_TYPE_MASK |
			 VFIO_USER_IRQ_SET_DATA_TYPE_MASK))
		return -EINVAL;
	if (s->index >= VFIO_USER_PCI_NUM_IRQS) {
		vus_log("SET_IRQS: bad index %u", s->index);
		return -EINVAL;
	}
	if (action != VFIO_USER_IRQ_SET_ACTION_MASK &&
	    action != VFIO_USER_IRQ_SET_ACTION_UNMASK &&
	    action != VFIO_USER_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (data != VFIO_USER_IRQ_SET_DATA_NONE &&
	    data != VFIO_USER_IRQ_SET_DATA_BOOL &&
	    data != VFIO_USER_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;
	x = &d->irq[s->index];
	if (s->start >= x->count || s->count > x->count - s->start) {
		vus_log("SET_IRQS: bad start/count %u/%u", s->start, s->count);
		return -EINVAL;
	}
	if ((s->index == VFIO_USER_PCI_ERR_IRQ_INDEX ||
	     s->index == VFIO_USER_PCI_REQ_IRQ_INDEX) &&
	    action != VFIO_USER_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (s->count == 0 && (s->start != 0 ||
			      action != VFIO_USER_IRQ_SET_ACTION_TRIGGER ||
			      data != VFIO_USER_IRQ_SET_DATA_NONE))
		return -EINVAL;
	if (data == VFIO_USER_IRQ_SET_DATA_BOOL ?
	    m->len != sizeof(*s) + s->count : m->len != sizeof(*s)) {
		vus_log("SET_IRQS: payload %u does not match flags", m->len);
		return -EINVAL;
	}
	if (m->nfds && (data != VFIO_USER_IRQ_SET_DATA_EVENTFD ||
			(uint32_t)m->nfds != s->count)) {
		vus_log("SET_IRQS: %d fds for count %u", m->nfds, s->count);
		return -EINVAL;
	}

	if (action != VFIO_USER_IRQ_SET_ACTION_TRIGGER) {
		bool mask = action == VFIO_USER_IRQ_SET_ACTION_MASK;

		/* DATA_EVENTFD (mask/unmask notify) is accepted as a no-op. */
		if (data == VFIO_USER_IRQ_SET_DATA_EVENTFD)
			return 0;
		for (i = s->start, j = 0; j < s->count; i++, j++)
			if (data == VFIO_USER_IRQ_SET_DATA_NONE || s->data[j])
				x->masked[i] = mask;
		return 0;
	}
	if (s->count == 0) {
		if (vus_fault_armed(VUS_F_KEEP_IRQ_FDS)) {
			vus_log("fault keep-irq-fds: index %u not disabled",
				s->index);
			return 0;
		}
		vus_dbg("SET_IRQS: disabling index %u", s->index);
		irq_disable(x);
		return 0;
	}
	switch (data) {
	case VFIO_USER_IRQ_SET_DATA_NONE:
	case VFIO_USER_IRQ_SET_DATA_BOOL:
		for (i = s->start, j = 0; j < s->count; i++, j++)
			if (data == VFIO_USER_IRQ_SET_DATA_NONE || s->data[j])
				signal_efd(x->efd[i]);
		return 0;
	}
	/* DATA_EVENTFD: assign (count fds) or de-assign (no fds). */
	for (j = 0, i = 0; j < (uint32_t)m->nfds; j++) {
		enum efd_kind k = efd_kind(m->fds[j]);

		if (k == EFD_BAD) {
			vus_log("SET_IRQS: fd %u is not an eventfd", j);
			return -EINVAL;
		}
		i += k == EFD_RELAY;
	}
	if (i)
		vus_log("SET_IRQS: index %u: %u relay files", s->index, i);
	if (m->nfds && is_intx_msi_msix(s->index)) {
		for (i = 0; i <= VFIO_USER_PCI_MSIX_IRQ_INDEX; i++) {
			if (i != s->index && d->irq[i].enabled) {
				vus_log("SET_IRQS: index %u enabled, %u refused",
					i, s->index);
				return -EINVAL;
			}
		}
	}
	if (!m->nfds && vus_fault_armed(VUS_F_KEEP_IRQ_FDS)) {
		vus_log("fault keep-irq-fds: index %u [%u, %u) not de-assigned",
			s->index, s->start, s->start + s->count);
		return 0;
	}
	for (i = s->start, j = 0; j < s->count; i++, j++) {
		if (x->efd[i] >= 0)
			close(x->efd[i]);
		x->efd[i] = -1;
		if (m->nfds) {
			x->efd[i] = m->fds[j];
			m->fds[j] = -1;		/* consumed */
		}
	}
	if (m->nfds)
		x->enabled = true;
	vus_dbg("SET_IRQS: index %u [%u, %u) %s", s->index, s->start,
		s->start + s->count, m->nfds ? "assigned" : "de-assigned");
	return 0;
}

/* Doorbell register: (type << 16) | vector. */
void vus_irq_doorbell(struct vus_dev *d, uint32_t val)
{
	uint32_t type = val >> 16, vec = val & 0xffff;
	struct vus_irq_index *x;

	if (vus_mig_hold_irq(d, val))
		return;
	if (type >= VFIO_USER_PCI_NUM_IRQS)
		goto drop;
	x = &d->irq[type];
	if (vec >= x->count || !x->enabled || x->efd[vec] < 0 ||
	    x->masked[vec])
		goto drop;
	signal_efd(x->efd[vec]);
	d->irq_fired++;
	if (type == VFIO_USER_PCI_INTX_IRQ_INDEX)
		x->masked[vec] = true;		/* automasked */
	vus_dbg("doorbell %#x fired", val);
	return;
drop:
	d->irq_dropped++;
	vus_dbg("doorbell %#x dropped", val);
}
