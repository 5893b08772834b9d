// SPDX-License-Identifier: GPL-2.0
/*
 * Device command handlers: VERSION reply, DEVICE_GET_INFO,
 * GET_REGION_INFO, GET_REGION_IO_FDS, GET_IRQ_INFO, REGION_READ/WRITE,
 * REGION_WRITE_MULTI, DEVICE_RESET and DEVICE_FEATURE.  Validation
 * follows libvfio-user (and is stricter where noted in the docs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cmd.h"

static void version_caps(struct vus_conn *c, struct vus_jw *w)
{
	uint32_t fds = vus_opts.max_fds, xfer = vus_opts.max_xfer;
	bool bad_type = false;

	if (vus_fault_hit(VUS_F_CAPS_OUT_OF_RANGE, VFIO_USER_VERSION)) {
		vus_log("fault caps-out-of-range");
		vus_jw_uint(w, VFIO_USER_CAP_MAX_MSG_FDS, 1000);
		vus_jw_uint(w, VFIO_USER_CAP_MAX_XFER_SIZE, 1);
		vus_jw_uint(w, VFIO_USER_CAP_PGSIZES, 1);
		vus_jw_uint(w, VFIO_USER_CAP_MAX_DMA_MAPS, 100000);
		return;
	}
	if (vus_fault_hit(VUS_F_CAPS_FDS_0, VFIO_USER_VERSION))
		fds = 0;
	if (vus_fault_hit(VUS_F_CAPS_FDS_1000, VFIO_USER_VERSION))
		fds = 1000;
	if (vus_fault_hit(VUS_F_CAPS_XFER_1, VFIO_USER_VERSION))
		xfer = 1;
	if (vus_fault_hit(VUS_F_CAPS_BAD_TYPE, VFIO_USER_VERSION))
		bad_type = true;
	if (bad_type)
		vus_jw_str(w, VFIO_USER_CAP_MAX_MSG_FDS, "8");
	else
		vus_jw_uint(w, VFIO_USER_CAP_MAX_MSG_FDS, fds);
	vus_jw_uint(w, VFIO_USER_CAP_MAX_XFER_SIZE, xfer);
	vus_jw_uint(w, VFIO_USER_CAP_PGSIZES, VFIO_USER_DEF_PGSIZES);
	vus_jw_uint(w, VFIO_USER_CAP_MAX_DMA_MAPS, VUS_MAX_DMA_REGIONS);
	if (c->write_multiple)
		vus_jw_bool(w, VFIO_USER_CAP_WRITE_MULTIPLE, true);
}

int vus_send_version_reply(struct vus_conn *c, struct vus_msg *m,
			   uint16_t minor)
{
	struct vfio_user_version *v;
	struct vus_jw w;
	size_t len;
	int ret, i;

	vus_jw_init(&w);
	if (vus_fault_hit(VUS_F_BAD_JSON, VFIO_USER_VERSION)) {
		vus_log("fault bad-json");
		vus_jw_raw(&w, "{\"capabilities\":{\"max_msg_fds\":8,"
			   "\"max_data_xfer_size\":1048576,");
	} else {
		bool deep = vus_fault_hit(VUS_F_DEEP_JSON, VFIO_USER_VERSION);
		bool huge = vus_fault_hit(VUS_F_HUGE_JSON, VFIO_USER_VERSION);

		vus_jw_obj_begin(&w, NULL);
		vus_jw_obj_begin(&w, VFIO_USER_CAP_CAPABILITIES);
		version_caps(c, &w);
		if (deep) {
			/* Two objects + 98 arrays: nesting depth 100. */
			vus_log("fault deep-json");
			vus_jw_arr_begin(&w, "deep");
			for (i = 1; i < 98; i++)
				vus_jw_arr_begin(&w, NULL);
			for (i = 0; i < 98; i++)
				vus_jw_arr_end(&w);
		}
		if (huge) {
			char *pad = malloc(70001);

			vus_log("fault huge-json");
			if (pad) {
				memset(pad, 'x', 70000);
				pad[70000] = 0;
				vus_jw_str(&w, "padding", pad);
				free(pad);
			}
		}
		vus_jw_obj_end(&w);
		vus_jw_obj_end(&w);
	}
	if (w.oom) {
		vus_jw_free(&w);
		return -ENOMEM;
	}
	len = sizeof(*v) + w.len + 1;
	v = calloc(1, len);
	if (!v) {
		vus_jw_free(&w);
		return -ENOMEM;
	}
	v->major = VFIO_USER_MAJOR;
	v->minor = minor;
	memcpy(v->data, w.buf, w.len + 1);
	vus_dbg("VERSION reply: %.200s", w.buf);
	ret = vus_reply(c, m, v, len, NULL, 0);
	free(v);
	vus_jw_free(&w);
	return ret < 0 ? -EIO : 0;
}

int vus_cmd_get_info(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_device_info *in = (void *)m->data, out;

	if (m->len < sizeof(*in) || in->argsz < sizeof(out))
		return -EINVAL;
	out.argsz = sizeof(out);
	out.flags = VFIO_USER_DEVICE_FLAGS_PCI | VFIO_USER_DEVICE_FLAGS_RESET;
	out.num_regions = VFIO_USER_PCI_NUM_REGIONS;
	out.num_irqs = VFIO_USER_PCI_NUM_IRQS;
	vus_reply(c, m, &out, sizeof(out), NULL, 0);
	return 1;
}

struct region_info_reply {
	struct vfio_user_region_info info;
	struct vfio_user_region_info_cap_sparse_mmap sparse;
	struct vfio_user_sparse_mmap_area area;
} __attribute__((packed));

static bool region_has_fd(const struct vus_conn *c, uint32_t index)
{
	return index == 2 && c->client_max_fds > 0;
}

/* BAR2's own memfd reopened with @flags (O_RDONLY, O_WRONLY), or -1. */
static int bar2_reopen(const struct vus_dev *d, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", d->bar2_fd);
	return open(path, flags | O_CLOEXEC);
}

/* A BAR2-sized memfd with the write seal @seal, or -1. */
static int bar2_sealed(int seal)
{
	int fd = memfd_create("vub-sample-bar2-sealed",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, VUB_SAMPLE_BAR2_SIZE) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | seal)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The BAR2 fd faults: another file in place of BAR2's memfd, returned
 * to be closed after the reply, or -1.
 */
static int bar2_fd_fault(struct vus_conn *c, uint16_t cmd)
{
	static const struct {
		enum vus_fault_id id;
		const char *name;
	} f[] = {
		{ VUS_F_BAR2_SEALED, "bar2-sealed" },
		{ VUS_F_BAR2_FUTURE_SEALED, "bar2-future-sealed" },
		{ VUS_F_BAR2_RDONLY, "bar2-rdonly" },
		{ VUS_F_BAR2_WRONLY, "bar2-wronly" },
	};
	unsigned int i;
	int fd = -1;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!vus_fault_hit(f[i].id, cmd))
			continue;
		switch (f[i].id) {
		case VUS_F_BAR2_SEALED:
			fd = bar2_sealed(F_SEAL_WRITE);
			break;
		case VUS_F_BAR2_FUTURE_SEALED:
			fd = bar2_sealed(F_SEAL_FUTURE_WRITE);
			break;
		case VUS_F_BAR2_RDONLY:
			fd = bar2_reopen(c->dev, O_RDONLY);
			break;
		default:
			fd = bar2_reopen(c->dev, O_WRONLY);
			break;
		}
		if (fd < 0)
			vus_log("fault %s: cannot make the file: %s",
				f[i].name, strerror(errno));
		else
			vus_log("fault %s", f[i].name);
		break;
	}
	return fd;
}

int vus_cmd_region_info(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_region_info *in = (void *)m->data;
	struct region_info_reply r;
	uint32_t len = sizeof(r.info);
	int fds[5], nfds = 0, pipefd[2] = { -1, -1 }, i, other = -1;

	if (m->len < sizeof(*in) || in->argsz < sizeof(*in))
		return -EINVAL;
	if (in->index >= VFIO_USER_PCI_NUM_REGIONS) {
		vus_log("bad region index %u in get region info", in->index);
		return -EINVAL;
	}
	memset(&r, 0, sizeof(r));
	r.info.argsz = sizeof(r.info);
	r.info.index = in->index;
	r.info.size = vus_region_size(c->dev, in->index);
	r.info.flags = vus_region_flags(c->dev, in->index);
	if (region_has_fd(c, in->index)) {
		/* libvfio-user: fd and caps only when the caps fit. */
		r.info.flags |= VFIO_USER_REGION_INFO_FLAG_MMAP |
				VFIO_USER_REGION_INFO_FLAG_CAPS;
		r.info.argsz = sizeof(r);
		len = in->argsz < sizeof(r) ? in->argsz : sizeof(r);
		if (in->argsz >= sizeof(r)) {
			r.info.cap_offset = sizeof(r.info);
			r.sparse.header.id =
				VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP;
			r.sparse.header.version = 1;
			r.sparse.nr_areas = 1;
			r.area.offset = VUB_SAMPLE_BAR2_MMAP_OFFSET;
			r.area.size = VUB_SAMPLE_BAR2_MMAP_SIZE;
			fds[nfds++] = c->dev->bar2_fd;
			if (vus_fault_hit(VUS_F_BAD_CAP_OFFSET, m->hdr.cmd)) {
				vus_log("fault bad-cap-offset");
				r.info.cap_offset = sizeof(r);
			}
			if (vus_fault_hit(VUS_F_CAP_LOOP, m->hdr.cmd)) {
				vus_log("fault cap-loop");
				r.sparse.header.next = sizeof(r.info);
			}
			if (vus_fault_hit(VUS_F_SPARSE_OUTSIDE, m->hdr.cmd)) {
				vus_log("fault sparse-outside");
				r.area.offset = VUB_SAMPLE_BAR2_SIZE / 2;
				r.area.size = VUB_SAMPLE_BAR2_SIZE;
			}
			if (vus_fault_hit(VUS_F_TOO_MANY_FDS, m->hdr.cmd)) {
				vus_log("fault too-many-fds");
				for (i = 1; i < 5; i++)
					fds[nfds++] = c->dev->bar2_fd;
			}
			if (vus_fault_hit(VUS_F_WRONG_FD_TYPE, m->hdr.cmd) &&
			    pipe(pipefd) == 0) {
				vus_log("fault wrong-fd-type");
				fds[0] = pipefd[0];
			}
			other = bar2_fd_fault(c, m->hdr.cmd);
			if (other >= 0)
				fds[0] = other;
		}
	}
	vus_reply(c, m, &r, len, fds, nfds);
	if (other >= 0)
		close(other);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	return 1;
}

int vus_cmd_irq_info(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_irq_info *in = (void *)m->data, out;
	int ret;

	if (m->len < sizeof(*in) || in->argsz < sizeof(out))
		return -EINVAL;
	ret = vus_irq_get_info(in->index, &out);
	if (ret)
		return ret;
	vus_reply(c, m, &out, sizeof(out), NULL, 0);
	return 1;
}

static int check_access(struct vus_conn *c, uint32_t region, uint64_t off,
			uint32_t count)
{
	uint64_t size;

	if (count > vus_opts.max_xfer) {
		vus_log("region access count %u > max_data_xfer_size", count);
		return -EINVAL;
	}
	if (region >= VFIO_USER_PCI_NUM_REGIONS) {
		vus_log("bad region %u", region);
		return -EINVAL;
	}
	size = vus_region_size(c->dev, region);
	if (off > size || count > size - off) {
		vus_log("region %u access %#llx+%u out of bounds (size %#llx)",
			region, (unsigned long long)off, count,
			(unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

int vus_cmd_region_rw(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_region_access *ra = (void *)m->data, *out;
	bool write = m->hdr.cmd == VFIO_USER_REGION_WRITE;
	uint32_t extra = 0, len;
	int ret;

	if (m->len < sizeof(*ra))
		return -EINVAL;
	if (write ? m->len - sizeof(*ra) != ra->count : m->len != sizeof(*ra)) {
		vus_log("region access: payload %u does not match count %u",
			m->len, ra->count);
		return -EINVAL;
	}
	ret = check_access(c, ra->region, ra->offset, ra->count);
	if (ret)
		return ret;
	if (write) {
		if (ra->count) {
			ret = vus_region_access(c, ra->region, ra->offset,
						ra->data, ra->count, true);
			if (ret)
				return ret;
		}
		vus_reply(c, m, ra, sizeof(*ra), NULL, 0);
		return 1;
	}
	if (ra->count && vus_fault_hit(VUS_F_COUNT_TOO_LARGE, m->hdr.cmd)) {
		vus_log("fault count-too-large");
		extra = 4;
	}
	len = sizeof(*out) + ra->count + extra;
	out = calloc(1, len);
	if (!out)
		return -ENOMEM;
	*out = *ra;
	if (ra->count) {
		ret = vus_region_access(c, ra->region, ra->offset, out->data,
					ra->count, false);
		if (ret) {
			free(out);
			return ret;
		}
	}
	out->count += extra;
	vus_reply(c, m, out, len, NULL, 0);
	free(out);
	return 1;
}

int vus_cmd_write_multi(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_wr_multi *wm = (void *)m->data;
	uint64_t i;
	int ret;

	if (!c->write_multiple) {
		vus_log("REGION_WRITE_MULTI without write_multiple");
		return -EINVAL;
	}
	if (m->len < sizeof(*wm) || wm->wr_cnt == 0 ||
	    wm->wr_cnt > VFIO_USER_MULTI_MAX ||
	    m->len != sizeof(*wm) + wm->wr_cnt * sizeof(wm->wrs[0]))
		return -EINVAL;
	for (i = 0; i < wm->wr_cnt; i++) {
		struct vfio_user_wr_multi_entry *e = &wm->wrs[i];

		if (e->count == 0 || e->count > VFIO_USER_MULTI_DATA)
			return -EINVAL;
	}
	for (i = 0; i < wm->wr_cnt; i++) {
		struct vfio_user_wr_multi_entry *e = &wm->wrs[i];

		ret = check_access(c, e->region, e->offset, e->count);
		if (!ret)
			ret = vus_region_access(c, e->region, e->offset,
						e->data, e->count, true);
		if (ret)
			return ret;
	}
	vus_reply(c, m, wm, sizeof(*wm), NULL, 0);
	return 1;
}

int vus_cmd_reset(struct vus_conn *c, struct vus_msg *m)
{
	if (m->len != 0)
		return -EINVAL;
	vus_dev_reset(c->dev);
	if (c->dev->mig_state == VFIO_USER_DEVICE_STATE_ERROR)
		vus_mig_reset(c->dev);
	c->dev->reset_count++;
	vus_log("device reset (%u)", c->dev->reset_count);
	return 0;
}

int vus_cmd_feature(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_device_feature *f = (void *)m->data;
	uint32_t ops;

	if (m->len < sizeof(*f) || f->argsz < sizeof(*f) ||
	    f->argsz > VUS_MAX_ARGSZ)
		return -EINVAL;
	if (f->flags & ~(VFIO_USER_DEVICE_FEATURE_MASK |
			 VFIO_USER_DEVICE_FEATURE_GET |
			 VFIO_USER_DEVICE_FEATURE_SET |
			 VFIO_USER_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	ops = f->flags & (VFIO_USER_DEVICE_FEATURE_GET |
			  VFIO_USER_DEVICE_FEATURE_SET);
	if (ops == (VFIO_USER_DEVICE_FEATURE_GET | VFIO_USER_DEVICE_FEATURE_SET))
		return -EINVAL;
	if (!ops && !(f->flags & VFIO_USER_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (vus_opts.migration)
		return vus_mig_feature(c, m);
	/* No migration, no DMA logging. */
	vus_dbg("DEVICE_FEATURE %u not supported",
		f->flags & VFIO_USER_DEVICE_FEATURE_MASK);
	return -ENOTSUP;
}
