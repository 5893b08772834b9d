// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user bring-up: VERSION, DEVICE_GET_INFO, every region and IRQ
 * index, synchronously in the process that creates the device (module
 * init or the writer of /sys/bus/vfio-user/add).
 *
 * Server file descriptors only arrive with these replies (region mmap
 * fds).  A kernel socket cannot receive fds into a kernel control
 * buffer (scm_detach_fds() insists on a user one), so the replies are
 * read with sock_recvmsg() into a scratch page of user memory mapped
 * in the current process; the kernel installs the fds in its file
 * table and we take them out again at once with vub_file_close_fd().
 * The fds are briefly visible to other threads of that process, and
 * count against its RLIMIT_NOFILE.
 *
 * Region fd policy: a region with the MMAP flag must come with exactly
 * one fd, a regular file (memfd, shmem, tmpfs or other file) with an
 * mmap method, open for reading and not append-only; anything else
 * fails the bring-up with -EPROTO.  Mappings of it are writable only if
 * the region is, the fd is open for writing and the file is not sealed
 * against writes; the bridge then holds the file's writable-mapping
 * count for the life of the device, so F_SEAL_WRITE cannot be added
 * behind its back (mmap.c).  A region with the MMAP flag and no fd is
 * kept, without the MMAP flag.  fds on any other reply are closed and
 * counted (stats/unexpected_fds).
 *
 * Every failure caused by the server returns -EPROTO (or -ETIMEDOUT,
 * -ECONNRESET) with a log line saying what was wrong.
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "ioeventfd.h"
#include "trace.h"

#define HDR_SIZE	sizeof(struct vfio_user_header)
#define BU_MAX_FDS	VUB_MAX_IO_FDS	/* kept per reply; more are closed */
#define BU_BUF_SIZE	VUB_REGION_INFO_MAX_ARGSZ

struct vub_bu {
	struct vub_device *vd;
	struct socket *sock;		/* the connection being brought up */
	struct vub_desc *d;		/* what we learn */
	bool reconnect;			/* no ioeventfds, nothing kept in vd */
	unsigned long cbuf;		/* user scratch page for cmsgs */
	void *kcbuf;			/* kernel copy of it */
	void *buf;			/* reply payload */
	struct file *files[BU_MAX_FDS];	/* fds of the last reply */
	unsigned int nr_files;
	unsigned int extra_fds;		/* beyond BU_MAX_FDS, closed */
	unsigned long deadline;
	u16 msg_id;
};

static void bu_drop_files(struct vub_bu *bu, bool count)
{
	unsigned int i;

	for (i = 0; i < bu->nr_files; i++) {
		fput(bu->files[i]);
		if (count)
			atomic64_inc(&bu->vd->stats.unexpected_fds);
	}
	bu->nr_files = 0;
	bu->extra_fds = 0;
}

/* Take the fds the kernel just installed for us out of current->files. */
static void bu_harvest(struct vub_bu *bu, size_t used)
{
	size_t off = 0;

	if (used > PAGE_SIZE || copy_from_user(bu->kcbuf, (void __user *)bu->cbuf,
					       used))
		return;
	while (off + sizeof(struct cmsghdr) <= used) {
		struct cmsghdr *cm = bu->kcbuf + off;
		size_t n, i;

		if (cm->cmsg_len < sizeof(*cm) || cm->cmsg_len > used - off)
			break;
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int *fds = CMSG_DATA(cm);

			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < n; i++) {
				struct file *f = vub_file_close_fd(fds[i]);

				if (!f)
					continue;
				if (bu->nr_files < BU_MAX_FDS) {
					bu->files[bu->nr_files++] = f;
				} else {
					fput(f);
					bu->extra_fds++;
					atomic64_inc(&bu->vd->stats.unexpected_fds);
				}
			}
		}
		off += CMSG_ALIGN(cm->cmsg_len);
	}
}

static int bu_recv(struct vub_bu *bu, void *buf, size_t len)
{
	struct vub_device *vd = bu->vd;
	struct socket *sock = bu->sock;

	while (len) {
		struct kvec vec = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {};
		long tmo = (long)(bu->deadline - jiffies);
		size_t used;
		int ret;

		if (tmo <= 0)
			return -ETIMEDOUT;
		sock->sk->sk_rcvtimeo = tmo;
		iov_iter_kvec(&msg.msg_iter, ITER_DEST, &vec, 1, len);
		msg.msg_control_user = (void __user *)bu->cbuf;
		msg.msg_control_is_user = true;
		msg.msg_controllen = PAGE_SIZE;
		msg.msg_flags = MSG_CMSG_CLOEXEC;
		ret = sock_recvmsg(sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
		used = PAGE_SIZE - msg.msg_controllen;
		if (used)
			bu_harvest(bu, used);
		if (ret > 0)
			atomic64_add(ret, &vd->stats.bytes_received);
		if (msg.msg_flags & MSG_CTRUNC) {
			dev_err(&vd->dev, "the server's fds could not all be received: the writer of add is at its RLIMIT_NOFILE (raise it), or the server sent over %lu\n",
				(PAGE_SIZE - sizeof(struct cmsghdr)) / sizeof(int));
			return -EPROTO;
		}
		if (ret <= 0) {
			ret = vub_sock_recv_errno(ret);
			if (ret == -ECONNRESET)
				dev_err(&vd->dev, "server closed the connection during bring-up\n");
			return ret;
		}
		buf += ret;
		len -= ret;
	}
	return 0;
}

/*
 * One bring-up transaction.  Returns the reply payload length, or
 * -errno; the reply's fds are in bu->files.
 */
static int bu_xfer_opt(struct vub_bu *bu, u16 cmd, const void *req,
		       size_t len, size_t reply_max, int *srv_err)
{
	struct vub_device *vd = bu->vd;
	struct vfio_user_header h = {
		.msg_id = bu->msg_id++,
		.cmd = cmd,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vfio_user_header rh;
	struct vub_err err = {};
	int ret, type, srv_errno = 0;
	size_t plen;

	bu_drop_files(bu, false);
	bu->deadline = jiffies + msecs_to_jiffies(vd->timeout_ms);
	atomic64_inc(&vd->stats.requests);
	ret = vub_sock_send(vd, bu->sock, &h, req, len);
	if (ret == -ECONNRESET)
		dev_err(&vd->dev, "server closed the connection during bring-up\n");
	if (ret)
		return ret;
	ret = bu_recv(bu, &rh, sizeof(rh));
	if (ret == -ETIMEDOUT) {
		atomic64_inc(&vd->stats.timeouts);
		if (cmd == VFIO_USER_VERSION)
			dev_err(&vd->dev, "no reply to VERSION within %u ms: is %s a vfio-user server, and is it free? (most serve one client at a time; see the devices using it)\n",
				vd->timeout_ms, vd->socket_path);
		else
			dev_err(&vd->dev, "no reply to %s within %u ms\n",
				vub_cmd_name(cmd), vd->timeout_ms);
	}
	if (ret)
		return ret;
	trace_vub_msg_recv(vd, &rh, bu->nr_files);
	type = vub_check_header(&rh, VUB_MAX_MSG_SIZE(VUB_OUR_MAX_XFER_SIZE), &err);
	if (type >= 0 && type != VFIO_USER_F_TYPE_REPLY) {
		err.msg = "command from the server during bring-up";
		err.offset = 0;
		type = -EPROTO;
	}
	if (type < 0 ||
	    vub_check_reply_header(&h, &rh, &srv_errno, &err) < 0) {
		dev_err(&vd->dev, "bad reply header to %s: %s (offset %zu)\n",
			vub_cmd_name(cmd), err.msg, err.offset);
		return -EPROTO;
	}
	plen = rh.msg_size - HDR_SIZE;
	/* An error reply's payload is dropped: it only has to fit. */
	if (plen > (srv_errno ? BU_BUF_SIZE : reply_max)) {
		dev_err(&vd->dev, "reply to %s too large: %zu bytes, at most %zu\n",
			vub_cmd_name(cmd), plen, reply_max);
		return -EPROTO;
	}
	ret = bu_recv(bu, bu->buf, plen);
	if (ret == -ETIMEDOUT)
		dev_err(&vd->dev, "reply to %s cut short: %zu payload bytes announced, not all received within %u ms\n",
			vub_cmd_name(cmd), plen, vd->timeout_ms);
	if (ret)
		return ret;
	dev_dbg(&vd->dev, "bring-up: %s reply, %zu bytes, %u fds\n",
		vub_cmd_name(cmd), plen, bu->nr_files + bu->extra_fds);
	atomic64_inc(&vd->stats.replies);
	if (srv_errno && srv_err) {
		atomic64_inc(&vd->stats.errors);
		*srv_err = srv_errno;
		return 0;
	}
	if (srv_errno) {
		atomic64_inc(&vd->stats.errors);
		dev_err(&vd->dev, "server failed %s with error %d (%pe)\n",
			vub_cmd_name(cmd), srv_errno, ERR_PTR(-srv_errno));
		return -EPROTO;
	}
	return plen;
}

static int bu_xfer(struct vub_bu *bu, u16 cmd, const void *req, size_t len,
		   size_t reply_max)
{
	return bu_xfer_opt(bu, cmd, req, len, reply_max, NULL);
}

/* @index: region or irq index, or -1. */
static int bu_bad(struct vub_bu *bu, const char *what, int index,
		  const struct vub_err *err)
{
	if (index >= 0)
		dev_err(&bu->vd->dev, "invalid %s reply for index %d: %s (offset %zu)\n",
			what, index, err->msg ?: "?", err->offset);
	else
		dev_err(&bu->vd->dev, "invalid %s reply: %s (offset %zu)\n",
			what, err->msg ?: "?", err->offset);
	return -EPROTO;
}

static int bu_version(struct vub_bu *bu)
{
	struct vub_device *vd = bu->vd;
	size_t size = sizeof(struct vfio_user_version) + VUB_MAX_JSON_LEN;
	struct vub_caps ours;
	struct vub_err err = {};
	char *req;
	int len, ret;
	u16 minor;

	vub_caps_ours(&ours);
	req = kzalloc(size, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	len = vub_version_build(req, size, &ours);
	if (len < 0) {
		kfree(req);
		return len;
	}
	ret = bu_xfer(bu, VFIO_USER_VERSION, req, len, size);
	kfree(req);
	if (ret < 0)
		return ret;
	bu_drop_files(bu, true);	/* no twin socket: we did not ask */
	if (vub_version_check_reply(bu->buf, ret, &ours, &bu->d->caps, &minor,
				    &err)) {
		const struct vfio_user_version *v = bu->buf;

		if (ret >= sizeof(*v))
			dev_err(&vd->dev, "server answered version %u.%u, we proposed %u.%u\n",
				v->major, v->minor, VFIO_USER_MAJOR,
				VFIO_USER_MINOR);
		return bu_bad(bu, "VERSION", -1, &err);
	}
	bu->d->minor = minor;
	return 0;
}

static int bu_device_info(struct vub_bu *bu)
{
	struct vfio_user_device_info req;
	struct vub_err err = {};
	int ret;

	ret = bu_xfer(bu, VFIO_USER_DEVICE_GET_INFO, &req,
		      vub_build_device_info(&req), sizeof(req));
	if (ret < 0)
		return ret;
	bu_drop_files(bu, true);
	if (vub_check_device_info(bu->buf, ret, &bu->d->info, &err))
		return bu_bad(bu, "DEVICE_GET_INFO", -1, &err);
	return 0;
}

/*
 * The consumer maps a region file with the file's own mmap (mmap.c),
 * after the VFIO core checked the VFIO device file, not this one: the
 * checks do_mmap() makes on a file are made here, and at mmap time.
 */
static int bu_region_file(struct vub_bu *bu, u32 index, struct file *f)
{
	struct vub_device *vd = bu->vd;
	struct inode *inode = file_inode(f);

	if (!S_ISREG(inode->i_mode) || !f->f_op || !vub_file_can_mmap(f)) {
		dev_err(&vd->dev, "region %u: the fd is not a mappable regular file\n",
			index);
		return -EPROTO;
	}
	if (!(f->f_mode & FMODE_READ)) {
		dev_err(&vd->dev, "region %u: the fd is not open for reading\n",
			index);
		return -EPROTO;
	}
	if (IS_APPEND(inode)) {
		dev_err(&vd->dev, "region %u: the file is append-only\n",
			index);
		return -EPROTO;
	}
	if (!(bu->d->regions[index].flags & VFIO_USER_REGION_INFO_FLAG_WRITE))
		return 0;
	if (!(f->f_mode & FMODE_WRITE)) {
		dev_warn(&vd->dev, "region %u: the fd is open read-only, mappings will be read-only\n",
			 index);
		return 0;
	}
	if (vub_file_write_sealed(f) || mapping_map_writable(f->f_mapping)) {
		dev_warn(&vd->dev, "region %u: the server's file is sealed against writes, mappings will be read-only\n",
			 index);
		return 0;
	}
	set_bit(index, bu->d->region_writable);
	return 0;
}

static int bu_region(struct vub_bu *bu, u32 index)
{
	struct vub_device *vd = bu->vd;
	struct vub_region *r = &bu->d->regions[index];
	struct vfio_user_region_info req;
	struct vub_err err = {};
	u32 argsz = VUB_REGION_INFO_ARGSZ, needed = 0;
	int ret, try;

	for (try = 0; try < 2; try++) {
		ret = bu_xfer(bu, VFIO_USER_DEVICE_GET_REGION_INFO, &req,
			      vub_build_region_info(&req, index, argsz), argsz);
		if (ret < 0)
			return ret;
		ret = vub_check_region_info(index, argsz, bu->buf, ret, r,
					    &needed, &err);
		if (ret != -EMSGSIZE)
			break;
		if (try || needed <= argsz || needed > VUB_REGION_INFO_MAX_ARGSZ) {
			dev_err(&vd->dev, "region %u: server asks for an argsz of %u\n",
				index, needed);
			return -EPROTO;
		}
		argsz = needed;
	}
	if (ret)
		return bu_bad(bu, "DEVICE_GET_REGION_INFO", index, &err);

	if (!(r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP)) {
		bu_drop_files(bu, true);
		return 0;
	}
	if (bu->nr_files + bu->extra_fds > 1) {
		dev_err(&vd->dev, "region %u: %u fds, expected one\n", index,
			bu->nr_files + bu->extra_fds);
		return -EPROTO;
	}
	if (!bu->nr_files) {
		dev_warn(&vd->dev, "region %u: mmap flag without an fd, not mappable\n",
			 index);
		r->flags &= ~VFIO_USER_REGION_INFO_FLAG_MMAP;
		r->nr_areas = 0;
		return 0;
	}
	ret = bu_region_file(bu, index, bu->files[0]);
	if (ret)
		return ret;
	bu->d->region_files[index] = bu->files[0];
	bu->nr_files = 0;
	return 0;
}

/*
 * The region's io fds (ioeventfd.c).  Optional: an error reply, or a
 * reply that is wrong in any way, leaves the region without them (with
 * a log line for the latter); only a broken connection fails bring-up.
 */
static int bu_io_fds(struct vub_bu *bu, u32 index)
{
	struct vub_device *vd = bu->vd;
	struct vfio_user_region_io_fds_request req;
	struct vub_io_fd io[VUB_MAX_IO_FDS];
	struct vub_err err = {};
	int ret, srv_err = 0;
	u32 count = 0;

	if (!vub_ioeventfd_wanted(vd, index))
		return 0;
	ret = bu_xfer_opt(bu, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &req,
			  vub_build_region_io_fds(&req, index, VUB_IO_FDS_ARGSZ),
			  VUB_IO_FDS_ARGSZ, &srv_err);
	if (ret < 0)
		return ret;
	if (srv_err) {
		dev_dbg(&vd->dev, "region %u: no io fds (server error %d)\n",
			index, srv_err);
		bu_drop_files(bu, true);
		return 0;
	}
	if (bu->extra_fds) {
		dev_warn(&vd->dev, "region %u: io fds rejected: %u fds, at most %u; writes go as messages\n",
			 index, bu->nr_files + bu->extra_fds, BU_MAX_FDS);
		bu_drop_files(bu, true);
		return 0;
	}
	if (vub_check_region_io_fds(index, VUB_IO_FDS_ARGSZ, bu->buf, ret,
				    vd->regions[index].size, bu->nr_files, io,
				    &count, &err)) {
		dev_warn(&vd->dev, "region %u: io fds rejected: %s (offset %zu); writes go as messages\n",
			 index, err.msg ?: "?", err.offset);
		bu_drop_files(bu, true);
		return 0;
	}
	ret = vub_ioeventfd_add(vd, index, io, count, bu->files, bu->nr_files);
	bu_drop_files(bu, false);
	return ret;
}

static int bu_irq(struct vub_bu *bu, u32 index)
{
	struct vfio_user_irq_info req;
	struct vub_err err = {};
	int ret;

	ret = bu_xfer(bu, VFIO_USER_DEVICE_GET_IRQ_INFO, &req,
		      vub_build_irq_info(&req, index), sizeof(req));
	if (ret < 0)
		return ret;
	bu_drop_files(bu, true);
	if (vub_check_irq_info(index, bu->buf, ret, &bu->d->irqs[index], &err))
		return bu_bad(bu, "DEVICE_GET_IRQ_INFO", index, &err);
	return 0;
}

static int bu_run(struct vub_bu *bu)
{
	struct vub_device *vd = bu->vd;
	struct vub_desc *d = bu->d;
	u32 i;
	int ret;

	ret = bu_version(bu);
	if (ret)
		return ret;
	ret = bu_device_info(bu);
	if (ret)
		return ret;
	d->regions = kcalloc(d->info.num_regions, sizeof(*d->regions),
			     GFP_KERNEL);
	d->region_files = kcalloc(d->info.num_regions,
				  sizeof(*d->region_files), GFP_KERNEL);
	d->irqs = kcalloc(d->info.num_irqs, sizeof(*d->irqs), GFP_KERNEL);
	if (!bu->reconnect) {
		/* The device owns them from here on, also on failure. */
		vd->caps = d->caps;
		vd->major = VFIO_USER_MAJOR;
		vd->minor = d->minor;
		vd->info = d->info;
		vd->regions = d->regions;
		vd->region_files = d->region_files;
		vd->irqs = d->irqs;
	}
	if ((d->info.num_regions && (!d->regions || !d->region_files)) ||
	    (d->info.num_irqs && !d->irqs))
		return -ENOMEM;
	for (i = 0; i < d->info.num_regions; i++) {
		ret = bu_region(bu, i);
		if (ret)
			return ret;
	}
	for (i = 0; !bu->reconnect && i < d->info.num_regions; i++) {
		ret = bu_io_fds(bu, i);
		if (ret)
			return ret;
	}
	for (i = 0; i < d->info.num_irqs; i++) {
		ret = bu_irq(bu, i);
		if (ret)
			return ret;
	}
	if (bu->reconnect)
		return 0;
	/*
	 * Posting is safe by default only without mappable regions (as
	 * QEMU): a read through a mapping is not ordered after a posted
	 * write.  The admin may turn it on anyway (sysfs posted_writes).
	 */
	vd->posted_writes = vub_default_posted_writes;
	for (i = 0; i < vd->info.num_regions; i++)
		if (vd->region_files[i])
			vd->posted_writes = false;
	dev_dbg(&vd->dev, "bring-up done: max_msg_fds %u, max_data_xfer_size %u, pgsizes %#llx, %u ioeventfds, posted writes %s\n",
		vd->caps.max_msg_fds, vd->caps.max_data_xfer_size,
		(unsigned long long)vd->caps.pgsizes,
		vub_ioeventfd_count(vd), vd->posted_writes ? "on" : "off");
	return 0;
}

/*
 * Runs in the creating process.  On failure the caller tears the
 * device down; region files already taken are released with it.
 */
static int vub_bringup_run(struct vub_device *vd, struct socket *sock,
			   struct vub_desc *d, bool reconnect)
{
	struct vub_bu *bu;
	int ret;

	if (!current->mm) {
		dev_err(&vd->dev, "bring-up needs a process context\n");
		return -EINVAL;
	}
	bu = kzalloc(sizeof(*bu), GFP_KERNEL);
	if (!bu)
		return -ENOMEM;
	bu->vd = vd;
	bu->sock = sock;
	bu->d = d;
	bu->reconnect = reconnect;
	bu->kcbuf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	bu->buf = kvmalloc(BU_BUF_SIZE, GFP_KERNEL);
	if (!bu->kcbuf || !bu->buf) {
		ret = -ENOMEM;
		goto out;
	}
	bu->cbuf = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(bu->cbuf)) {
		ret = (int)bu->cbuf;
		goto out;
	}
	ret = bu_run(bu);
	bu_drop_files(bu, false);
	vm_munmap(bu->cbuf, PAGE_SIZE);
	if (ret == -ETIMEDOUT && !atomic64_read(&vd->stats.timeouts))
		atomic64_inc(&vd->stats.timeouts);
out:
	kvfree(bu->buf);
	kfree(bu->kcbuf);
	kfree(bu);
	return ret;
}

int vub_bringup(struct vub_device *vd)
{
	struct vub_desc *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	ret = vub_bringup_run(vd, vd->conn->sock, d, false);
	/* Also on failure: the release drops the writable counts taken. */
	bitmap_copy(vd->region_writable, d->region_writable, VUB_MAX_REGIONS);
	kfree(d);
	return ret;
}

int vub_bringup_sock(struct vub_device *vd, struct socket *sock,
		     struct vub_desc *d)
{
	return vub_bringup_run(vd, sock, d, true);
}

void vub_desc_free(struct vub_desc *d)
{
	u32 i;

	if (d->region_files) {
		for (i = 0; i < d->info.num_regions; i++) {
			if (!d->region_files[i])
				continue;
			if (test_bit(i, d->region_writable))
				mapping_unmap_writable(d->region_files[i]->f_mapping);
			fput(d->region_files[i]);
		}
	}
	kfree(d->region_files);
	kfree(d->regions);
	kfree(d->irqs);
	memset(d, 0, sizeof(*d));
}
