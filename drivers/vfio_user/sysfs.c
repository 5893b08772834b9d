// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user per-device sysfs attributes (see
 * Documentation/ABI/testing/sysfs-bus-vfio-user).  Everything shown
 * except state, the timeouts and the counters is fixed once the device
 * is visible: sysfs appears only after bring-up.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>

#include "conn.h"
#include "ioeventfd.h"

static ssize_t socket_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", to_vub_device(dev)->socket_path);
}
static DEVICE_ATTR_RO(socket);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vub_state_name(vub_state(to_vub_device(dev))));
}
static DEVICE_ATTR_RO(state);

static ssize_t broken_reason_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return vub_broken_reason(to_vub_device(dev), buf, PAGE_SIZE);
}
static DEVICE_ATTR_RO(broken_reason);

static ssize_t dma_mode_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vub_dma_mode_name(vub_vfio_dma_mode(to_vub_device(dev))));
}
static DEVICE_ATTR_RO(dma_mode);

static ssize_t vfio_group_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", vub_vfio_group_id(to_vub_device(dev)));
}
static DEVICE_ATTR_RO(vfio_group);

static ssize_t frontend_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vub_frontend_name(to_vub_device(dev)->frontend));
}
static DEVICE_ATTR_RO(frontend);

static ssize_t consumer_pid_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", vub_vfio_consumer(to_vub_device(dev)));
}
static DEVICE_ATTR_RO(consumer_pid);

static ssize_t migration_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", vub_vfio_migration(to_vub_device(dev)));
}
static DEVICE_ATTR_RO(migration);

/* The IOVAs the server may reach by DMA: its accepted DMA_MAP windows. */
static ssize_t dma_range_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	u64 end = READ_ONCE(to_vub_device(dev)->dma_end);

	if (!end)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "0x0-%#llx\n", end - 1);
}
static DEVICE_ATTR_RO(dma_range);

static ssize_t protocol_version_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vub_device *vd = to_vub_device(dev);

	return sysfs_emit(buf, "%u.%u\n", vd->major, vd->minor);
}
static DEVICE_ATTR_RO(protocol_version);

static ssize_t server_pid_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vub_device *vd = to_vub_device(dev);
	struct pid *pid;
	pid_t nr;

	/* A reconnect replaces it under this lock. */
	xa_lock(&vd->conn->pending);
	pid = get_pid(vd->server_pid);
	xa_unlock(&vd->conn->pending);
	nr = pid_vnr(pid);
	put_pid(pid);
	return sysfs_emit(buf, "%d\n", nr);
}
static DEVICE_ATTR_RO(server_pid);

static ssize_t server_uid_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  from_kuid_munged(current_user_ns(),
					   to_vub_device(dev)->server_uid));
}
static DEVICE_ATTR_RO(server_uid);

char *vub_admin_strdup(const char *buf, size_t count)
{
	char *s;

	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	s = kstrndup(buf, count, GFP_KERNEL);
	return s ?: ERR_PTR(-ENOMEM);
}

static ssize_t vub_timeout_store(unsigned int *field, const char *buf,
				 size_t count)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(buf, 0, &v);
	if (ret)
		return ret;
	if (v < VUB_MIN_TIMEOUT_MS || v > VUB_MAX_TIMEOUT_MS)
		return -EINVAL;
	WRITE_ONCE(*field, v);
	return count;
}

static ssize_t timeout_ms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_vub_device(dev)->timeout_ms));
}

static ssize_t timeout_ms_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	return vub_timeout_store(&to_vub_device(dev)->timeout_ms, buf, count);
}
static DEVICE_ATTR_RW(timeout_ms);

static ssize_t reset_timeout_ms_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_vub_device(dev)->reset_timeout_ms));
}

static ssize_t reset_timeout_ms_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	return vub_timeout_store(&to_vub_device(dev)->reset_timeout_ms, buf,
				 count);
}
static DEVICE_ATTR_RW(reset_timeout_ms);

static ssize_t posted_writes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_vub_device(dev)->posted_writes));
}

static ssize_t posted_writes_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	bool v;
	int ret;

	ret = kstrtobool(buf, &v);
	if (ret)
		return ret;
	WRITE_ONCE(to_vub_device(dev)->posted_writes, v);
	return count;
}
static DEVICE_ATTR_RW(posted_writes);

static ssize_t reconnect_enabled_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_vub_device(dev)->reconnect));
}

static ssize_t reconnect_enabled_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	bool v;
	int ret;

	ret = kstrtobool(buf, &v);
	if (ret)
		return ret;
	ret = vub_reconnect_enable(to_vub_device(dev), v);
	return ret ?: count;
}
static DEVICE_ATTR_RW(reconnect_enabled);

static ssize_t reconnect_timeout_ms_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_vub_device(dev)->reconnect_timeout_ms));
}

static ssize_t reconnect_timeout_ms_store(struct device *dev,
					  struct device_attribute *attr,
					  const char *buf, size_t count)
{
	return vub_timeout_store(&to_vub_device(dev)->reconnect_timeout_ms,
				 buf, count);
}
static DEVICE_ATTR_RW(reconnect_timeout_ms);

/*
 * reconnect: "" or "\n" for the same socket path, else an absolute path;
 * upgrade: the new server's absolute path.
 */
static ssize_t vub_server_store(struct device *dev, const char *buf,
				size_t count, bool upgrade)
{
	struct vub_device *vd = to_vub_device(dev);
	char *s, *path;
	int ret;

	s = vub_admin_strdup(buf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	path = strim(s);
	if (upgrade)
		ret = vub_upgrade(vd, path);
	else
		ret = vub_reconnect(vd, *path ? path : NULL);
	kfree(s);
	return ret ?: count;
}

static ssize_t reconnect_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	return vub_server_store(dev, buf, count, false);
}
static DEVICE_ATTR_WO(reconnect);

static ssize_t upgrade_store(struct device *dev,
			     struct device_attribute *attr,
			     const char *buf, size_t count)
{
	return vub_server_store(dev, buf, count, true);
}
static DEVICE_ATTR_WO(upgrade);

static ssize_t ioeventfds_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vub_ioeventfd_count(to_vub_device(dev)));
}
static DEVICE_ATTR_RO(ioeventfds);

static struct attribute *vub_dev_attrs[] = {
	&dev_attr_socket.attr,
	&dev_attr_state.attr,
	&dev_attr_frontend.attr,
	&dev_attr_broken_reason.attr,
	&dev_attr_vfio_group.attr,
	&dev_attr_dma_mode.attr,
	&dev_attr_consumer_pid.attr,
	&dev_attr_migration.attr,
	&dev_attr_dma_range.attr,
	&dev_attr_protocol_version.attr,
	&dev_attr_server_pid.attr,
	&dev_attr_server_uid.attr,
	&dev_attr_timeout_ms.attr,
	&dev_attr_reset_timeout_ms.attr,
	&dev_attr_posted_writes.attr,
	&dev_attr_ioeventfds.attr,
	&dev_attr_reconnect_enabled.attr,
	&dev_attr_reconnect_timeout_ms.attr,
	&dev_attr_reconnect.attr,
	&dev_attr_upgrade.attr,
	NULL,
};

static const struct attribute_group vub_dev_group = {
	.attrs = vub_dev_attrs,
};

/* caps/: the negotiated VERSION capabilities. */
static ssize_t max_msg_fds_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_vub_device(dev)->caps.max_msg_fds);
}
static DEVICE_ATTR_RO(max_msg_fds);

static ssize_t max_data_xfer_size_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  to_vub_device(dev)->caps.max_data_xfer_size);
}
static DEVICE_ATTR_RO(max_data_xfer_size);

static ssize_t pgsizes_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "0x%llx\n",
			  (unsigned long long)to_vub_device(dev)->caps.pgsizes);
}
static DEVICE_ATTR_RO(pgsizes);

static ssize_t max_dma_maps_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_vub_device(dev)->caps.max_dma_maps);
}
static DEVICE_ATTR_RO(max_dma_maps);

static struct attribute *vub_caps_attrs[] = {
	&dev_attr_max_msg_fds.attr,
	&dev_attr_max_data_xfer_size.attr,
	&dev_attr_pgsizes.attr,
	&dev_attr_max_dma_maps.attr,
	NULL,
};

static const struct attribute_group vub_caps_group = {
	.name = "caps",
	.attrs = vub_caps_attrs,
};

/* stats/: counters; ->var is the counter's offset in struct vub_device. */
static ssize_t vub_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct dev_ext_attribute *ea = container_of(attr, struct dev_ext_attribute,
						    attr);
	atomic64_t *v = (void *)to_vub_device(dev) + (uintptr_t)ea->var;

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(v));
}

#define VUB_STAT_ATTR(_name)						\
	struct dev_ext_attribute vub_stat_##_name = {			\
		.attr = {						\
			.attr = { .name = __stringify(_name), .mode = 0444 }, \
			.show = vub_stat_show,				\
		},							\
		.var = (void *)offsetof(struct vub_device, stats._name),	\
	}

static VUB_STAT_ATTR(requests);
static VUB_STAT_ATTR(replies);
static VUB_STAT_ATTR(direct_replies);
static VUB_STAT_ATTR(errors);
static VUB_STAT_ATTR(timeouts);
static VUB_STAT_ATTR(late_replies);
static VUB_STAT_ATTR(server_requests);
static VUB_STAT_ATTR(bytes_sent);
static VUB_STAT_ATTR(bytes_received);
static VUB_STAT_ATTR(unexpected_fds);
static VUB_STAT_ATTR(dma_faults);
static VUB_STAT_ATTR(dma_pinned);
static VUB_STAT_ATTR(dma_mmap_faults);
static VUB_STAT_ATTR(dma_mmap_sigbus);
static VUB_STAT_ATTR(posted_writes);
static VUB_STAT_ATTR(posted_errors);
static VUB_STAT_ATTR(posted_batches);
static VUB_STAT_ATTR(posted_queue_full);
static VUB_STAT_ATTR(ioeventfd_writes);
static VUB_STAT_ATTR(reconnects);
static VUB_STAT_ATTR(upgrades);

static struct attribute *vub_stats_attrs[] = {
	&vub_stat_requests.attr.attr,
	&vub_stat_replies.attr.attr,
	&vub_stat_direct_replies.attr.attr,
	&vub_stat_errors.attr.attr,
	&vub_stat_timeouts.attr.attr,
	&vub_stat_late_replies.attr.attr,
	&vub_stat_server_requests.attr.attr,
	&vub_stat_bytes_sent.attr.attr,
	&vub_stat_bytes_received.attr.attr,
	&vub_stat_unexpected_fds.attr.attr,
	&vub_stat_dma_faults.attr.attr,
	&vub_stat_dma_pinned.attr.attr,
	&vub_stat_dma_mmap_faults.attr.attr,
	&vub_stat_dma_mmap_sigbus.attr.attr,
	&vub_stat_posted_writes.attr.attr,
	&vub_stat_posted_errors.attr.attr,
	&vub_stat_posted_batches.attr.attr,
	&vub_stat_posted_queue_full.attr.attr,
	&vub_stat_ioeventfd_writes.attr.attr,
	&vub_stat_reconnects.attr.attr,
	&vub_stat_upgrades.attr.attr,
	NULL,
};

static const struct attribute_group vub_stats_group = {
	.name = "stats",
	.attrs = vub_stats_attrs,
};

/*
 * State changes, for udev and for poll() on the state attribute: the
 * new state and the VFIO group.  Only for published devices: creation
 * queues the first one when it publishes the device, once the VFIO
 * group exists.
 */
static void vub_state_notify(struct vub_device *vd)
{
	char state[40], group[32];

	snprintf(state, sizeof(state), "VFIO_USER_STATE=%s",
		 vub_state_name(vub_state(vd)));
	snprintf(group, sizeof(group), "VFIO_GROUP=%d", vub_vfio_group_id(vd));
	sysfs_notify(&vd->dev.kobj, NULL, "state");
	kobject_uevent_env(&vd->dev.kobj, KOBJ_CHANGE,
			   (char *[]){ state, group, NULL });
}

void vub_state_work(struct work_struct *work)
{
	struct vub_device *vd = container_of(work, struct vub_device,
					     state_work);

	if (READ_ONCE(vd->published))
		vub_state_notify(vd);
}

const struct attribute_group *vub_dev_groups[] = {
	&vub_dev_group,
	&vub_caps_group,
	&vub_stats_group,
	NULL,
};
