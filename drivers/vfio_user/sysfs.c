// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user per-device sysfs attributes (see
 * Documentation/ABI/testing/sysfs-bus-vfio-user).  Everything shown
 * except state, the timeouts and the counters is fixed once the device
 * is visible: sysfs appears only after bring-up.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>

#include "vub.h"

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
	return sysfs_emit(buf, "%d\n", pid_vnr(to_vub_device(dev)->server_pid));
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

static struct attribute *vub_dev_attrs[] = {
	&dev_attr_socket.attr,
	&dev_attr_state.attr,
	&dev_attr_protocol_version.attr,
	&dev_attr_server_pid.attr,
	&dev_attr_server_uid.attr,
	&dev_attr_timeout_ms.attr,
	&dev_attr_reset_timeout_ms.attr,
	NULL,
};

static const struct attribute_group vub_dev_group = {
	.attrs = vub_dev_attrs,
};

/* caps/: the negotiated VERSION capabilities. */
#define VUB_CAP_ATTR(_name, _fmt, _cast)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, _fmt "\n",				\
			  (_cast)to_vub_device(dev)->caps._name);	\
}									\
static DEVICE_ATTR_RO(_name)

VUB_CAP_ATTR(max_msg_fds, "%u", unsigned int);
VUB_CAP_ATTR(max_data_xfer_size, "%u", unsigned int);
VUB_CAP_ATTR(pgsizes, "0x%llx", unsigned long long);
VUB_CAP_ATTR(max_dma_maps, "%u", unsigned int);

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

/* stats/: counters. */
#define VUB_STAT_ATTR(_name)						\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
		(long long)atomic64_read(&to_vub_device(dev)->stats._name)); \
}									\
static DEVICE_ATTR_RO(_name)

VUB_STAT_ATTR(requests);
VUB_STAT_ATTR(replies);
VUB_STAT_ATTR(errors);
VUB_STAT_ATTR(timeouts);
VUB_STAT_ATTR(late_replies);
VUB_STAT_ATTR(server_requests);
VUB_STAT_ATTR(bytes_sent);
VUB_STAT_ATTR(bytes_received);
VUB_STAT_ATTR(unexpected_fds);

static struct attribute *vub_stats_attrs[] = {
	&dev_attr_requests.attr,
	&dev_attr_replies.attr,
	&dev_attr_errors.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_late_replies.attr,
	&dev_attr_server_requests.attr,
	&dev_attr_bytes_sent.attr,
	&dev_attr_bytes_received.attr,
	&dev_attr_unexpected_fds.attr,
	NULL,
};

static const struct attribute_group vub_stats_group = {
	.name = "stats",
	.attrs = vub_stats_attrs,
};

const struct attribute_group *vub_dev_groups[] = {
	&vub_dev_group,
	&vub_caps_group,
	&vub_stats_group,
	NULL,
};
