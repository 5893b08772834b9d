/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user bridge: the per-device object shared by the connection and
 * lifecycle code (bus.c, conn.c, sysfs.c) and the VFIO device code
 * (vfio.c, irq.c, dma.c).
 *
 * Ownership: the connection side owns everything above the "VFIO side"
 * marker; the VFIO side owns struct vub_vfio and the hooks it exports.
 */
#ifndef _VFIO_USER_VUB_H
#define _VFIO_USER_VUB_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include "proto.h"

struct dentry;
struct file;
struct pid;
struct vub_conn;
struct vub_vfio;

enum vub_state {
	VUB_STATE_BRINGUP,	/* connecting, negotiating, learning */
	VUB_STATE_READY,	/* requests flow */
	VUB_STATE_BROKEN,	/* server gone or misbehaved: all fail */
	VUB_STATE_CLOSING,	/* being removed */
};

/* Per-device counters, shown in sysfs stats/ (monotonic, lockless). */
struct vub_stats {
	atomic64_t requests;		/* requests sent */
	atomic64_t replies;		/* replies matched to a waiter */
	atomic64_t direct_replies;	/* ... read by the waiter itself */
	atomic64_t errors;		/* error replies from the server */
	atomic64_t timeouts;		/* requests that timed out */
	atomic64_t late_replies;	/* replies for abandoned requests */
	atomic64_t server_requests;	/* commands sent by the server */
	atomic64_t bytes_sent;
	atomic64_t bytes_received;
	atomic64_t unexpected_fds;	/* server fds closed unused */
};

#define VUB_NAME_MAX		32	/* device name, excluding NUL */
#define VUB_MIN_TIMEOUT_MS	100
#define VUB_MAX_TIMEOUT_MS	3600000

/*
 * Lifetime: the embedded struct device's refcount owns the memory
 * (vub_device_release() in bus.c).  The receiver thread is stopped and
 * the socket shut down before device_unregister(); the socket itself
 * is released only in the release function, so a racing vub_request()
 * never touches a freed socket.
 */
struct vub_device {
	struct device dev;		/* on the vfio-user bus */
	char *socket_path;
	struct vub_conn *conn;		/* transport, conn.c */
	int id;				/* ida id for generated names, or -1 */
	struct list_head node;		/* vub_devices, under vub_devices_lock */
	bool removing;			/* under vub_devices_lock */

	/* Tunables (sysfs, READ_ONCE), milliseconds. */
	unsigned int timeout_ms;
	unsigned int reset_timeout_ms;

	/* The server, from SO_PEERCRED at connect time. */
	struct pid *server_pid;
	kuid_t server_uid;

	struct vub_stats stats;
	struct dentry *debugfs;		/* test interface, debugfs.c */
	void *debugfs_priv;

	/* vub_vfio_broken() is called once, from this work. */
	struct work_struct broken_work;
	bool vfio_ready;		/* vub_vfio_register() succeeded */
	int probe_err;			/* its error, for the creator */
	unsigned long flags;		/* VUB_F_* */

	/* Learned at bring-up, constant afterwards. */
	struct vub_caps caps;		/* negotiated */
	u16 major, minor;		/* negotiated protocol version */
	struct vfio_user_device_info info;
	struct vub_region *regions;	/* info.num_regions entries */
	struct file **region_files;	/* server mmap fds, may be NULL */
	struct vfio_user_irq_info *irqs;	/* info.num_irqs entries */

	/* VFIO side, set by vub_vfio_register(). */
	struct vub_vfio *vfio;
};

#define VUB_F_BROKEN_NOTIFIED	0

static inline struct vub_device *to_vub_device(struct device *dev)
{
	return container_of(dev, struct vub_device, dev);
}

/* ---- connection side (conn.c) -------------------------------------- */

/* Current state; READY is the only state in which requests are sent. */
enum vub_state vub_state(struct vub_device *vd);

/*
 * Send a request and wait for its reply (killable, with the device's
 * timeout, or the longer reset timeout for DEVICE_RESET).  Any number
 * of threads may have requests in flight.
 *
 * @fds/@nr_fds are fd numbers in current->files, sent with SCM_RIGHTS
 * (at most caps.max_msg_fds; the caller splits).  The reply header is
 * validated against the request; its payload (at most @reply_max
 * bytes, else -EPROTO) is copied to @reply and its length stored in
 * *@reply_len.
 *
 * Returns 0, a clamped server errno as -errno for an error reply, or
 * -EIO (device broken / server gone), -ETIMEDOUT, -EINTR (fatal
 * signal), -EPROTO (violation: device now broken).
 */
int vub_request(struct vub_device *vd, u16 cmd,
		const void *payload, size_t len,
		const int *fds, unsigned int nr_fds,
		void *reply, size_t reply_max, size_t *reply_len);

/*
 * Like vub_request() for data-carrying requests: the payload is @hdr
 * (@hdr_len bytes) followed by @data (@data_len bytes), avoiding a copy
 * for REGION_WRITE.
 */
int vub_request2(struct vub_device *vd, u16 cmd,
		 const void *hdr, size_t hdr_len,
		 const void *data, size_t data_len,
		 void *reply, size_t reply_max, size_t *reply_len);

/*
 * Reply to a server request (DMA_READ/DMA_WRITE) received by the
 * receiver thread.  @error 0 sends @payload/@len (and @data/@data_len
 * appended), a positive errno sends an error reply without payload.
 */
int vub_send_reply(struct vub_device *vd, const struct vfio_user_header *req,
		   int error, const void *payload, size_t len,
		   const void *data, size_t data_len);

/* Mark the device broken (idempotent); @why goes to dev_err once. */
void vub_set_broken(struct vub_device *vd, int err, const char *why);

/*
 * Lifecycle internals (bus.c, conn.c, bringup.c, sysfs.c, debugfs.c).
 */
int vub_conn_connect(struct vub_device *vd);	/* process context */
int vub_bringup(struct vub_device *vd);		/* process context */
int vub_conn_start(struct vub_device *vd);
void vub_conn_shutdown(struct vub_device *vd);
void vub_conn_free(struct vub_device *vd);
const char *vub_state_name(enum vub_state state);

extern const struct attribute_group *vub_dev_groups[];
extern unsigned int vub_default_timeout_ms;
extern unsigned int vub_default_reset_timeout_ms;
extern int vub_default_server_uid;	/* -1: no check */

int vub_bus_init(const char *sockets);
void vub_bus_exit(void);

void vub_debugfs_init(void);
void vub_debugfs_exit(void);
void vub_debugfs_add(struct vub_device *vd);
void vub_debugfs_remove(struct vub_device *vd);

/* ---- VFIO side (vfio.c, irq.c, dma.c) ------------------------------- */

/*
 * Called by the bus driver's probe once bring-up is complete; creates
 * and registers the vfio_device (and DMA windows).  Returns -errno.
 */
int vub_vfio_register(struct vub_device *vd);

/*
 * Called by the bus driver's remove.  Unregisters the vfio_device; this
 * waits for consumers to close it (vfio core calls ops->request).
 */
void vub_vfio_unregister(struct vub_device *vd);

/*
 * The device just became broken (server died, timed out, violated the
 * protocol).  Signal the consumer: ERR irq eventfd and REQ.  Called
 * from any context that may sleep, at most once per device.
 */
void vub_vfio_broken(struct vub_device *vd);

/*
 * A DMA_READ/DMA_WRITE request from the server, called in the receiver
 * kthread with the validated header and payload (@len bytes; already
 * accepted by vub_check_dma_request() with the max_data_xfer_size we
 * proposed, VUB_OUR_MAX_XFER_SIZE).  Answers it with vub_send_reply()
 * (unless NO_REPLY is set on a DMA_WRITE).  Returns 0, or -errno if the
 * connection must be considered broken.
 */
int vub_dma_handle(struct vub_device *vd, const struct vfio_user_header *hdr,
		   void *payload, size_t len);

#endif /* _VFIO_USER_VUB_H */
