// SPDX-License-Identifier: GPL-2.0
/*
 * Migration (--migration): the vfio-user migration state machine of
 * DEVICE_FEATURE MIGRATION / MIG_DEVICE_STATE with MIG_DATA_READ and
 * MIG_DATA_WRITE, STOP_COPY only (no P2P, no PRE_COPY), as libvfio-user
 * implements it:
 *
 *   STOP -> {RUNNING, STOP_COPY, RESUMING}, RUNNING -> STOP,
 *   STOP_COPY -> STOP, RESUMING -> STOP; a SET to a farther state walks
 *   these arcs (the bridge sends one arc at a time).
 *
 * While STOP or STOP_COPY only REGION_READ/WRITE, DEVICE_FEATURE and
 * MIG_DATA_READ are executed (libvfio-user's should_exec_command());
 * the others get EINVAL.  A stopped device neither starts DMA (GO sets
 * DMA_STATUS to ERR | EBUSY) nor fires interrupts: doorbells are held
 * and fired on the return to RUNNING.
 *
 * The device state saved on entering STOP_COPY and loaded on leaving
 * RESUMING is: the BAR0 registers (scratch, DMA engine including its
 * status, MSI-X table), the config space, the interrupt masks and the
 * whole of BAR2, followed by a checksum; a stream that does not check
 * out fails RESUMING -> STOP with EINVAL.  Interrupt eventfds and DMA
 * maps are the client's to set up again, as with libvfio-user.
 *
 * A refused stream leaves the device in ERROR, which only DEVICE_RESET
 * leaves (to RUNNING); otherwise a reset keeps the migration state, as
 * libvfio-user does since "do not reset migration state on device
 * reset".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define MIG_MAGIC	0x4d425556U	/* "VUBM" */
#define MIG_VERSION	1

struct mig_blob {
	uint32_t magic;
	uint32_t version;
	uint32_t cfg_size;
	uint32_t scratch;
	uint64_t scratch64;
	uint64_t dma_addr;
	uint32_t dma_len;
	uint32_t dma_buf_off;
	uint32_t dma_dir;
	uint32_t dma_status;
	uint32_t dma_irq;
	uint32_t nheld;
	uint32_t held[VUS_MIG_HELD_MAX];
	uint8_t masked[VFIO_USER_PCI_NUM_IRQS][VUB_SAMPLE_NUM_MSIX];
	uint8_t msix_table[VUB_SAMPLE_NUM_MSIX * 16];
	uint8_t cfg[4096];
} __attribute__((packed));

#define MIG_BLOB_SIZE	(sizeof(struct mig_blob) + VUB_SAMPLE_BAR2_SIZE + 8)

static const char *const state_names[] = {
	"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
	"PRE_COPY", "PRE_COPY_P2P",
};

static const char *sname(uint32_t s)
{
	return s < 8 ? state_names[s] : "?";
}

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

bool vus_mig_stopped(const struct vus_dev *d)
{
	return d->mig_state != VFIO_USER_DEVICE_STATE_RUNNING;
}

void vus_mig_reset(struct vus_dev *d)
{
	free(d->mig_buf);
	d->mig_buf = NULL;
	d->mig_len = 0;
	d->mig_pos = 0;
	d->nheld = 0;
	d->mig_state = VFIO_USER_DEVICE_STATE_RUNNING;
}

static int save(struct vus_dev *d)
{
	struct mig_blob *b;
	uint64_t sum;
	int i;

	free(d->mig_buf);
	d->mig_buf = calloc(1, MIG_BLOB_SIZE);
	if (!d->mig_buf)
		return -ENOMEM;
	b = (void *)d->mig_buf;
	b->magic = MIG_MAGIC;
	b->version = MIG_VERSION;
	b->cfg_size = d->cfg_size;
	b->scratch = d->scratch;
	b->scratch64 = d->scratch64;
	b->dma_addr = d->dma_addr;
	b->dma_len = d->dma_len;
	b->dma_buf_off = d->dma_buf_off;
	b->dma_dir = d->dma_dir;
	b->dma_status = d->dma_status;
	b->dma_irq = d->dma_irq;
	b->nheld = d->nheld;
	memcpy(b->held, d->held, sizeof(b->held));
	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
		memcpy(b->masked[i], d->irq[i].masked, sizeof(b->masked[i]));
	memcpy(b->msix_table, d->msix_table, sizeof(b->msix_table));
	memcpy(b->cfg, d->cfg, sizeof(b->cfg));
	memcpy(d->mig_buf + sizeof(*b), d->bar2, VUB_SAMPLE_BAR2_SIZE);
	sum = fnv1a(d->mig_buf, MIG_BLOB_SIZE - 8);
	memcpy(d->mig_buf + MIG_BLOB_SIZE - 8, &sum, 8);
	d->mig_len = MIG_BLOB_SIZE;
	d->mig_pos = 0;
	vus_log("migration: saved %zu bytes (scratch %#x)",
		(size_t)MIG_BLOB_SIZE, d->scratch);
	return 0;
}

static int load(struct vus_dev *d)
{
	struct mig_blob *b = (void *)d->mig_buf;
	uint64_t sum;
	int i;

	if (!b || d->mig_len != MIG_BLOB_SIZE) {
		vus_log("migration: stream of %zu bytes, expected %zu",
			d->mig_len, (size_t)MIG_BLOB_SIZE);
		return -EINVAL;
	}
	memcpy(&sum, d->mig_buf + MIG_BLOB_SIZE - 8, 8);
	if (b->magic != MIG_MAGIC || b->version != MIG_VERSION ||
	    b->cfg_size != d->cfg_size || b->nheld > VUS_MIG_HELD_MAX ||
	    sum != fnv1a(d->mig_buf, MIG_BLOB_SIZE - 8)) {
		vus_log("migration: stream refused (header or checksum)");
		return -EINVAL;
	}
	d->scratch = b->scratch;
	d->scratch64 = b->scratch64;
	d->dma_addr = b->dma_addr;
	d->dma_len = b->dma_len;
	d->dma_buf_off = b->dma_buf_off;
	d->dma_dir = b->dma_dir;
	d->dma_status = b->dma_status;
	d->dma_irq = b->dma_irq;
	d->nheld = b->nheld;
	memcpy(d->held, b->held, sizeof(d->held));
	for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
		memcpy(d->irq[i].masked, b->masked[i], sizeof(b->masked[i]));
	memcpy(d->msix_table, b->msix_table, sizeof(d->msix_table));
	memcpy(d->cfg, b->cfg, sizeof(d->cfg));
	memcpy(d->bar2, d->mig_buf + sizeof(*b), VUB_SAMPLE_BAR2_SIZE);
	vus_log("migration: loaded (scratch %#x)", d->scratch);
	return 0;
}

/* One arc of the STOP_COPY-only state machine. */
static bool arc_valid(uint32_t from, uint32_t to)
{
	switch (from) {
	case VFIO_USER_DEVICE_STATE_STOP:
		return to == VFIO_USER_DEVICE_STATE_RUNNING ||
		       to == VFIO_USER_DEVICE_STATE_STOP_COPY ||
		       to == VFIO_USER_DEVICE_STATE_RESUMING;
	case VFIO_USER_DEVICE_STATE_RUNNING:
	case VFIO_USER_DEVICE_STATE_STOP_COPY:
	case VFIO_USER_DEVICE_STATE_RESUMING:
		return to == VFIO_USER_DEVICE_STATE_STOP;
	}
	return false;
}

static int arc(struct vus_conn *c, uint32_t to)
{
	struct vus_dev *d = c->dev;
	uint32_t from = d->mig_state, i;
	int ret = 0;

	if (!arc_valid(from, to))
		return -EINVAL;
	if (to == VFIO_USER_DEVICE_STATE_STOP_COPY)
		ret = save(d);
	else if (to == VFIO_USER_DEVICE_STATE_RESUMING) {
		free(d->mig_buf);
		d->mig_buf = malloc(MIG_BLOB_SIZE);
		d->mig_len = 0;
		if (!d->mig_buf)
			ret = -ENOMEM;
	} else if (from == VFIO_USER_DEVICE_STATE_RESUMING) {
		ret = load(d);
		if (ret) {
			/* As a kernel driver would: only a reset leaves. */
			vus_log("migration: RESUMING -> ERROR");
			d->mig_state = VFIO_USER_DEVICE_STATE_ERROR;
		}
	}
	if (ret)
		return ret;
	if (to == VFIO_USER_DEVICE_STATE_STOP) {
		free(d->mig_buf);
		d->mig_buf = NULL;
		d->mig_len = 0;
		d->mig_pos = 0;
	}
	d->mig_state = to;
	vus_log("migration: %s -> %s", sname(from), sname(to));
	if (to == VFIO_USER_DEVICE_STATE_RUNNING && d->nheld) {
		uint32_t n = d->nheld;

		d->nheld = 0;
		vus_log("migration: firing %u held interrupt(s)", n);
		for (i = 0; i < n; i++)
			vus_irq_doorbell(d, d->held[i]);
	}
	return 0;
}

/* The next state on the way to @to (libvfio-user's shortest path). */
static uint32_t next_state(uint32_t from, uint32_t to)
{
	if (arc_valid(from, to))
		return to;
	if (from != VFIO_USER_DEVICE_STATE_STOP &&
	    arc_valid(from, VFIO_USER_DEVICE_STATE_STOP) &&
	    arc_valid(VFIO_USER_DEVICE_STATE_STOP, to))
		return VFIO_USER_DEVICE_STATE_STOP;
	return VFIO_USER_DEVICE_STATE_ERROR;
}

static int set_state(struct vus_conn *c, uint32_t to)
{
	struct vus_dev *d = c->dev;
	uint32_t next;
	int ret;

	if (vus_fault_hit(VUS_F_MIG_REFUSE, VFIO_USER_DEVICE_FEATURE)) {
		vus_log("fault mig-refuse: %s -> %s refused with EIO",
			sname(d->mig_state), sname(to));
		return -EIO;
	}
	while (d->mig_state != to) {
		next = next_state(d->mig_state, to);
		if (next == VFIO_USER_DEVICE_STATE_ERROR) {
			vus_log("migration: %s -> %s refused",
				sname(d->mig_state), sname(to));
			return -EINVAL;
		}
		ret = arc(c, next);
		if (ret)
			return ret;
	}
	return 0;
}

struct feature_reply {
	struct vfio_user_device_feature f;
	union {
		struct vfio_user_device_feature_migration mig;
		struct vfio_user_device_feature_mig_state st;
	};
} __attribute__((packed));

int vus_mig_feature(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_device_feature *f = (void *)m->data;
	uint32_t feature = f->flags & VFIO_USER_DEVICE_FEATURE_MASK;
	bool get = f->flags & VFIO_USER_DEVICE_FEATURE_GET;
	bool set = f->flags & VFIO_USER_DEVICE_FEATURE_SET;
	struct feature_reply r;
	uint32_t len = sizeof(r.f);
	int ret;

	if (!vus_opts.migration)
		return -ENOTSUP;
	memset(&r, 0, sizeof(r));
	r.f = *f;
	switch (feature) {
	case VFIO_USER_DEVICE_FEATURE_MIGRATION:
		if (set)
			return -EINVAL;
		if (get) {
			r.mig.flags = VFIO_USER_MIGRATION_STOP_COPY;
			len += sizeof(r.mig);
		}
		break;
	case VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE:
		if (get) {
			r.st.device_state = c->dev->mig_state;
			if (vus_fault_hit(VUS_F_MIG_BAD_STATE, m->hdr.cmd)) {
				vus_log("fault mig-bad-state");
				r.st.device_state = 0x42;
			}
			len += sizeof(r.st);
		} else if (set) {
			if (m->len < sizeof(*f) + sizeof(r.st))
				return -EINVAL;
			memcpy(&r.st, f->data, sizeof(r.st));
			ret = set_state(c, r.st.device_state);
			if (ret)
				return ret;
			if (vus_fault_hit(VUS_F_MIG_BAD_STATE, m->hdr.cmd)) {
				vus_log("fault mig-bad-state");
				r.st.device_state = 0x42;
			}
			len += sizeof(r.st);	/* echoed, as libvfio-user */
		}
		break;
	default:
		return -ENOTSUP;
	}
	r.f.argsz = len;
	vus_reply(c, m, &r, len, NULL, 0);
	return 1;
}

int vus_mig_data_read(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_mig_data *req = (void *)m->data, *out;
	struct vus_dev *d = c->dev;
	uint32_t n, carried, len;
	size_t left;

	if (!vus_opts.migration || m->len != sizeof(*req))
		return -EINVAL;
	if (d->mig_state != VFIO_USER_DEVICE_STATE_STOP_COPY) {
		vus_log("MIG_DATA_READ in %s", sname(d->mig_state));
		return -EINVAL;
	}
	if (req->size > c->client_max_xfer ||
	    req->argsz < sizeof(*req) + (uint64_t)req->size)
		return -EINVAL;
	left = d->mig_len - d->mig_pos;
	n = req->size < left ? req->size : left;
	carried = n;
	if (vus_fault_hit(VUS_F_MIG_OVERSIZED_DATA, m->hdr.cmd)) {
		vus_log("fault mig-oversized-data");
		n = carried = req->size + 16;
	}
	if (n && vus_fault_hit(VUS_F_MIG_SHORT_DATA, m->hdr.cmd)) {
		vus_log("fault mig-short-data");
		carried = n / 2;
	}
	len = sizeof(*out) + carried;
	/*
	 * libvfio-user sizes the reply by the request: a short read (the
	 * end of the stream) comes with zeros up to the requested size,
	 * argsz and size naming only the data.
	 */
	if (vus_opts.mig_pad_reads && carried < req->size)
		len = sizeof(*out) + req->size;
	out = calloc(1, len);
	if (!out)
		return -ENOMEM;
	out->argsz = sizeof(*out) + carried;
	out->size = n;
	memcpy(out->data, d->mig_buf + d->mig_pos,
	       carried < left ? carried : left);
	d->mig_pos += n < left ? n : left;
	vus_reply(c, m, out, len, NULL, 0);
	free(out);
	return 1;
}

int vus_mig_data_write(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_mig_data *req = (void *)m->data;
	struct vus_dev *d = c->dev;

	if (!vus_opts.migration || m->len < sizeof(*req))
		return -EINVAL;
	if (d->mig_state != VFIO_USER_DEVICE_STATE_RESUMING) {
		vus_log("MIG_DATA_WRITE in %s", sname(d->mig_state));
		return -EINVAL;
	}
	if (req->size > c->client_max_xfer || req->argsz != m->len ||
	    m->len - sizeof(*req) != req->size)
		return -EINVAL;
	if (vus_fault_hit(VUS_F_MIG_WRITE_REFUSE, m->hdr.cmd)) {
		vus_log("fault mig-write-refuse: %u bytes refused with EIO",
			req->size);
		return -EIO;
	}
	if (req->size > MIG_BLOB_SIZE - d->mig_len) {
		vus_log("MIG_DATA_WRITE: stream longer than %zu bytes",
			(size_t)MIG_BLOB_SIZE);
		return -EINVAL;
	}
	memcpy(d->mig_buf + d->mig_len, req->data, req->size);
	d->mig_len += req->size;
	return 0;
}

bool vus_mig_cmd_allowed(const struct vus_dev *d, uint16_t cmd)
{
	if (d->mig_state != VFIO_USER_DEVICE_STATE_STOP &&
	    d->mig_state != VFIO_USER_DEVICE_STATE_STOP_COPY)
		return true;
	return cmd == VFIO_USER_REGION_READ || cmd == VFIO_USER_REGION_WRITE ||
	       cmd == VFIO_USER_DEVICE_FEATURE ||
	       cmd == VFIO_USER_MIG_DATA_READ;
}

bool vus_mig_hold_irq(struct vus_dev *d, uint32_t val)
{
	if (!vus_mig_stopped(d))
		return false;
	if (d->nheld < VUS_MIG_HELD_MAX) {
		d->held[d->nheld++] = val;
		vus_dbg("doorbell %#x held (device stopped)", val);
	} else {
		d->irq_dropped++;
	}
	return true;
}
