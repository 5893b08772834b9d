// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user debugfs test interface, NOT an ABI:
 *
 *   /sys/kernel/debug/vfio_user/<device>/region_read
 *
 * Writing "INDEX OFFSET COUNT" sends a REGION_READ request through the
 * normal request path (vub_request()) and returns its error to the
 * writer; reading the file afterwards shows the data of the last
 * successful read as hex bytes.  It lets tests exercise requests,
 * timeouts and server failures without a VFIO consumer.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vub.h"

#define VUB_DBG_MAX_READ	4096

struct vub_dbg {
	struct vub_device *vd;
	struct mutex lock;	/* protects data/len */
	u8 data[VUB_DBG_MAX_READ];
	size_t len;
};

static struct dentry *vub_debugfs_root;

static ssize_t region_read_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct vub_dbg *dbg = file->private_data;
	struct vfio_user_region_access req, *rep;
	size_t rlen = 0, replen;
	u32 index, cnt, got;
	struct vub_err err;
	char kbuf[64];
	u64 offset;
	int ret;

	if (count >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, count))
		return -EFAULT;
	kbuf[count] = '\0';
	if (sscanf(kbuf, "%u %llu %u", &index, &offset, &cnt) != 3 ||
	    !cnt || cnt > VUB_DBG_MAX_READ ||
	    cnt > dbg->vd->caps.max_data_xfer_size)
		return -EINVAL;

	replen = sizeof(*rep) + cnt;
	rep = kzalloc(replen, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	ret = vub_request(dbg->vd, VFIO_USER_REGION_READ, &req,
			  vub_build_region_access(&req, index, offset, cnt),
			  NULL, 0, rep, replen, &rlen);
	if (!ret)
		ret = vub_check_region_read_reply(&req, rep, rlen, &got, &err);
	if (!ret) {
		mutex_lock(&dbg->lock);
		memcpy(dbg->data, rep->data, got);
		dbg->len = got;
		mutex_unlock(&dbg->lock);
	}
	kfree(rep);
	return ret ?: count;
}

static ssize_t region_read_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct vub_dbg *dbg = file->private_data;
	size_t i, n = 0, size = VUB_DBG_MAX_READ * 3 + 2;
	char *out;
	ssize_t ret;

	out = kvmalloc(size, GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	mutex_lock(&dbg->lock);
	for (i = 0; i < dbg->len; i++)
		n += scnprintf(out + n, size - n, "%s%02x", i ? " " : "",
			       dbg->data[i]);
	mutex_unlock(&dbg->lock);
	n += scnprintf(out + n, size - n, "\n");
	ret = simple_read_from_buffer(ubuf, count, ppos, out, n);
	kvfree(out);
	return ret;
}

static const struct file_operations vub_region_read_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = region_read_read,
	.write = region_read_write,
	.llseek = default_llseek,
};

void vub_debugfs_add(struct vub_device *vd)
{
	struct vub_dbg *dbg;

	if (IS_ERR_OR_NULL(vub_debugfs_root))
		return;
	dbg = kzalloc(sizeof(*dbg), GFP_KERNEL);
	if (!dbg)
		return;
	dbg->vd = vd;
	mutex_init(&dbg->lock);
	vd->debugfs = debugfs_create_dir(dev_name(&vd->dev), vub_debugfs_root);
	vd->debugfs_priv = dbg;
	debugfs_create_file("region_read", 0600, vd->debugfs, dbg,
			    &vub_region_read_fops);
}

/* Waits for file operations in progress. */
void vub_debugfs_remove(struct vub_device *vd)
{
	struct vub_dbg *dbg = vd->debugfs_priv;

	debugfs_remove(vd->debugfs);
	vd->debugfs = NULL;
	if (dbg) {
		mutex_destroy(&dbg->lock);
		kfree(dbg);
		vd->debugfs_priv = NULL;
	}
}

void vub_debugfs_init(void)
{
	vub_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void vub_debugfs_exit(void)
{
	debugfs_remove(vub_debugfs_root);
	vub_debugfs_root = NULL;
}
