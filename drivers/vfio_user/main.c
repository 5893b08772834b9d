// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: expose vfio-user servers as VFIO devices.
 *
 * Module parameters:
 *   socket=PATH[,PATH...]  create one device per server socket at load
 *                          time; loading fails if any of them fails
 *   timeout_ms=N           default request timeout of new devices
 *   reset_timeout_ms=N     default DEVICE_RESET timeout of new devices
 *   reconnect=Y/N          new devices wait for a reconnect (reconnect.c)
 *   reconnect_timeout_ms=N ... for at most this long
 *   server_uid=N           refuse servers not running as uid N (for
 *                          socket= devices and as add's default);
 *                          -1 (the default) checks nothing
 */
/* One prefix with the dev_*() lines ("vfio-user NAME:"): one grep. */
#define pr_fmt(fmt) "vfio-user: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "vub.h"

/* Kbuild passes it, from debian/changelog (or the DKMS dkms.conf). */
#ifndef VFIO_USER_DRV_VERSION
#error "VFIO_USER_DRV_VERSION must come from Kbuild"
#endif

static char *vub_param_socket;
module_param_named(socket, vub_param_socket, charp, 0444);
MODULE_PARM_DESC(socket, "Comma-separated absolute server socket paths, one device each (vfio-user0, ...), created at load time; all or nothing: if one fails, the load fails and no device is left");

unsigned int vub_default_timeout_ms = 30000;
unsigned int vub_default_reset_timeout_ms = 120000;
int vub_default_server_uid = -1;

static int vub_param_set_timeout(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret || v < VUB_MIN_TIMEOUT_MS || v > VUB_MAX_TIMEOUT_MS) {
		pr_err("%s=%.*s refused: a timeout in ms, %u-%u\n",
		       kp->name, (int)strcspn(val, "\n"), val,
		       VUB_MIN_TIMEOUT_MS, VUB_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops vub_timeout_ops = {
	.set = vub_param_set_timeout,
	.get = param_get_uint,
};

module_param_cb(timeout_ms, &vub_timeout_ops, &vub_default_timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms, "Default request timeout of new devices in ms, 100-3600000 (default 30000); a timeout breaks the device");
module_param_cb(reset_timeout_ms, &vub_timeout_ops,
		&vub_default_reset_timeout_ms, 0644);
MODULE_PARM_DESC(reset_timeout_ms, "Default DEVICE_RESET timeout of new devices in ms, 100-3600000 (default 120000)");

bool vub_default_reconnect;
module_param_named(reconnect, vub_default_reconnect, bool, 0644);
MODULE_PARM_DESC(reconnect, "New devices wait for a reconnect when their server is lost, instead of breaking (default N)");
unsigned int vub_default_reconnect_timeout_ms = 30000;
module_param_cb(reconnect_timeout_ms, &vub_timeout_ops,
		&vub_default_reconnect_timeout_ms, 0644);
MODULE_PARM_DESC(reconnect_timeout_ms, "Default time new devices wait for a reconnect in ms, 100-3600000 (default 30000); then they break");

static int vub_param_set_uid(const char *val, const struct kernel_param *kp)
{
	int v;
	int ret;

	ret = kstrtoint(val, 10, &v);	/* uids are decimal */
	if (ret || v < -1) {
		pr_err("%s=%.*s refused: a decimal uid, or -1 for no check\n",
		       kp->name, (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(*(int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops vub_uid_ops = {
	.set = vub_param_set_uid,
	.get = param_get_int,
};

module_param_cb(server_uid, &vub_uid_ops, &vub_default_server_uid, 0644);
MODULE_PARM_DESC(server_uid, "Refuse servers whose listener does not run as this decimal uid (socket= devices, and the default of add); -1 = no check (default)");

static int __init vfio_user_init(void)
{
	int ret;

	ret = vub_fdpass_init();
	if (ret)
		return ret;
	vub_debugfs_init();
	ret = vub_bus_init(vub_param_socket);
	if (ret) {
		vub_debugfs_exit();
		vub_fdpass_exit();
		return ret;
	}
	pr_info("bridge version " VFIO_USER_DRV_VERSION " loaded\n");
	return 0;
}

static void __exit vfio_user_exit(void)
{
	vub_bus_exit();
	vub_debugfs_exit();
	vub_fdpass_exit();
	pr_info("bridge unloaded\n");
}

module_init(vfio_user_init);
module_exit(vfio_user_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-user client bridge: vfio-user servers as VFIO devices");
MODULE_VERSION(VFIO_USER_DRV_VERSION);
MODULE_SOFTDEP("pre: vfio vfio_iommu_type1");
