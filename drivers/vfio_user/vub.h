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
#include <linux/bitmap.h>
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
struct vub_ioeventfd;
struct vub_vfio;

enum vub_state {
	VUB_STATE_BRINGUP,	/* connecting, negotiating, learning */
	VUB_STATE_READY,	/* requests flow */
	VUB_STATE_BROKEN,	/* server gone or misbehaved: all fail */
	VUB_STATE_CLOSING,	/* being removed */
	VUB_STATE_RECONNECTING,	/* server lost: requests wait for a new one */
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
	atomic64_t dma_faults;		/* server DMA answered with an error */
	/* Direct DMA (dma=mmap). */
	atomic64_t dma_pinned;		/* pages pinned now (not monotonic) */
	atomic64_t dma_mmap_faults;	/* server faults that pinned */
	atomic64_t dma_mmap_sigbus;	/* server accesses refused: SIGBUS */
	/* Region I/O fast paths (region-io.rst). */
	atomic64_t posted_writes;	/* REGION_WRITEs sent with NO_REPLY */
	atomic64_t posted_errors;	/* ... the server answered with an error */
	atomic64_t posted_batches;	/* sendmsg calls of queued posted writes */
	atomic64_t posted_queue_full;	/* writers that flushed a full queue */
	atomic64_t ioeventfd_writes;	/* writes turned into eventfd signals */
	atomic64_t reconnects;		/* successful reconnects */
	atomic64_t upgrades;		/* successful planned upgrades */
};

/* How DMA windows are offered to the server (module param / add key dma=). */
enum vub_dma_mode {
	VUB_DMA_DEFAULT,	/* the module parameter's */
	VUB_DMA_MESSAGE,	/* fd-less windows, DMA_READ/DMA_WRITE */
	VUB_DMA_MMAP,		/* the window file (dma_window.c) */
};

#define VUB_NAME_MAX		32	/* device name, excluding NUL */

/*
 * How a device is offered to VFIO consumers, chosen at add time: one
 * connection is never reachable through two VFIO devices (its DMA,
 * interrupts, reset and BAR mappings are per connection).
 */
enum vub_frontend {
	VUB_FRONTEND_BUS,	/* a vfio_device on the vfio-user device */
	VUB_FRONTEND_MDEV,	/* an mdev parent, vfio_user_mdev.ko */
};

#define VUB_MIN_TIMEOUT_MS	100
#define VUB_MAX_TIMEOUT_MS	3600000

/**
 * struct vub_pci_ids - a PCI device's identity, from its config space
 * @vendor: vendor id
 * @device: device id
 * @subsystem_vendor: subsystem vendor id
 * @subsystem_device: subsystem id
 * @class: class code (24 bits)
 */
struct vub_pci_ids {
	u16 vendor, device, subsystem_vendor, subsystem_device;
	u32 class;
};

/*
 * Lifetime: the embedded struct device's refcount owns the memory
 * (vub_device_release() in bus.c).  The receiver thread is stopped and
 * the socket shut down before device_unregister(); the socket itself
 * is released only in the release function, so a racing vub_request()
 * never touches a freed socket.
 */
struct vub_device {
	struct device dev;		/* on the vfio-user bus */
	/* The add's; a reconnect to a new path keeps the old one (owned). */
	const char *socket_path;
	char *first_socket_path;	/* freed with the device */
	dev_t sock_dev;			/* the socket's inode at add time, */
	unsigned long sock_ino;		/* 0 if it could not be looked up */
	struct vub_conn *conn;		/* transport, conn.c */
	int id;				/* ida id for generated names, or -1 */
	struct list_head node;		/* vub_devices, under vub_devices_lock */
	/*
	 * Under vub_devices_lock.  @published is set at the very end of a
	 * successful creation: only published devices are removed by
	 * "remove" or at module exit, so a device is never torn down
	 * while its creator still uses it.
	 */
	bool published;
	bool removing;

	/* Tunables (sysfs, READ_ONCE), milliseconds. */
	unsigned int timeout_ms;
	unsigned int reset_timeout_ms;
	/* Reconnect (reconnect.c): sysfs, READ_ONCE. */
	bool reconnect;
	unsigned int reconnect_timeout_ms;
	/* Serialises reconnect writers and teardown (conn.c). */
	struct mutex reconnect_lock;
	/* Breaks a RECONNECTING device at its deadline. */
	struct delayed_work reconnect_work;
	/* The uid the server must run as (add), or INVALID_UID. */
	kuid_t expected_uid;
	/* PCI ids of the first server, for the identity check. */
	struct vub_pci_ids pci_ids;
	bool pci_ids_valid;
	/* The first server's ioeventfds are not used after a reconnect. */
	bool ioeventfds_stale;
	/* An upgrade is under way: no new mapping (mmap.c); files_sem. */
	bool upgrading;
	/*
	 * The consumer is closing the VFIO device: its requests do not
	 * wait for a reconnect (the close of a killed consumer would wait
	 * out reconnect_timeout_ms otherwise).
	 */
	bool consumer_closing;
	/*
	 * Region files and their layout may be swapped by a reconnect,
	 * under this lock for writing; mmap reads them under it.
	 */
	struct rw_semaphore files_sem;
	/* Post writes to memory BARs (region.c); sysfs, READ_ONCE. */
	bool posted_writes;
	/* VUB_BAR_* per BAR index 0-5, learned at the first write. */
	u8 bar_kind[6];

	/* DMA: mode and IOVA bits from "add" (0: the module's), fixed. */
	enum vub_dma_mode dma_mode;
	unsigned int dma_bits;

	/* The server, from SO_PEERCRED at connect time. */
	struct pid *server_pid;
	kuid_t server_uid;

	struct vub_stats stats;
	struct dentry *debugfs;		/* test interface, debugfs.c */
	void *debugfs_priv;

	/* vub_vfio_broken() is called once, from this work. */
	struct work_struct broken_work;
	/* State change notification (sysfs poll, uevent), sysfs.c. */
	struct work_struct state_work;
	bool vfio_ready;		/* vub_vfio_register() succeeded */
	int probe_err;			/* its error, for the creator */
	unsigned long flags;		/* VUB_F_* */

	/* Learned at bring-up, constant afterwards. */
	struct vub_caps caps;		/* negotiated */
	u16 major, minor;		/* negotiated protocol version */
	struct vfio_user_device_info info;
	struct vub_region *regions;	/* info.num_regions entries */
	struct file **region_files;	/* server mmap fds, may be NULL */
	/* Region files mappable for writing (their writable count held). */
	DECLARE_BITMAP(region_writable, VUB_MAX_REGIONS);
	struct vfio_user_irq_info *irqs;	/* info.num_irqs entries */
	/* DMA windows the server accepted cover [0, dma_end) (dma.c). */
	u64 dma_end;
	/* The server's ioeventfds (ioeventfd.c), fixed after bring-up. */
	struct vub_ioeventfd *ioeventfds;
	unsigned int nr_ioeventfds;

	/* VFIO side, set by vub_vfio_register(). */
	struct vub_vfio *vfio;

	/* Front-end, frontend.c: fixed at add time. */
	enum vub_frontend frontend;
	bool frontend_attached;		/* mdev parent registered */
	void *frontend_priv;		/* vfio_user_mdev's, device lock */
	/* Front-end memory freed with the device (vub_device_own()). */
	struct list_head owned;
};

#define VUB_F_BROKEN_NOTIFIED	0

/* vub_device.bar_kind[] */
#define VUB_BAR_UNKNOWN		0
#define VUB_BAR_MEM		1	/* a memory BAR: writes may be posted */
#define VUB_BAR_OTHER		2	/* I/O BAR, or unknown for good */

static inline struct vub_device *to_vub_device(struct device *dev)
{
	return container_of(dev, struct vub_device, dev);
}

/* ---- DMA mode (dma.c) ------------------------------------------------ */

/**
 * vub_dma_parse_mode() - parse "mmap" or "message"
 * @s: the string
 * @mode: the mode, if valid
 *
 * Return: 0 or -EINVAL.
 */
int vub_dma_parse_mode(const char *s, enum vub_dma_mode *mode);

/**
 * vub_dma_check_mmap_bits() - whether @bits is a valid dma=mmap span
 * @key: the parameter or key, for the error message
 * @bits: IOVA bits
 *
 * Return: 0, or -EINVAL after logging the valid range.
 */
int vub_dma_check_mmap_bits(const char *key, unsigned int bits);

/**
 * vub_dma_mode_of() - the DMA mode a device asks for
 * @vd: the device, or NULL for the module parameter's
 *
 * Return: its add key's mode, else the module parameter's.
 */
enum vub_dma_mode vub_dma_mode_of(struct vub_device *vd);

/**
 * vub_dma_mode_name() - "mmap" or "message"
 * @mode: a mode other than %VUB_DMA_DEFAULT
 *
 * Return: the name.
 */
const char *vub_dma_mode_name(enum vub_dma_mode mode);

/* ---- connection side (conn.c) -------------------------------------- */

/**
 * vub_state() - the connection state of a device
 * @vd: the device
 *
 * Context: any; lockless snapshot.
 * Return: the state; %VUB_STATE_READY is the only one in which requests
 * are sent.
 */
enum vub_state vub_state(struct vub_device *vd);

/**
 * vub_request() - send a request and wait for its reply
 * @vd: the device
 * @cmd: the vfio-user command
 * @payload: request payload, @len bytes
 * @len: its length
 * @files: files to pass with SCM_RIGHTS, referenced by the caller
 *	(exactly these files reach the server, see fdpass.c)
 * @nr_files: their number, at most caps.max_msg_fds (the caller splits)
 * @reply: buffer for the reply payload
 * @reply_max: its size; a larger reply is a protocol violation
 * @reply_len: the reply payload's length, if not NULL
 *
 * Waits killably, with the device's timeout (the reset timeout for
 * DEVICE_RESET).  Any number of threads may have requests in flight.
 * The reply header is validated against the request.
 *
 * Context: process context, may sleep.
 * Return: 0; a clamped server errno as -errno for an error reply;
 * -EIO (device broken or gone), -ETIMEDOUT (the device is now broken),
 * -EINTR (fatal signal), -EPROTO (violation: the device is now broken).
 */
int vub_request(struct vub_device *vd, u16 cmd,
		const void *payload, size_t len,
		struct file *const *files, unsigned int nr_files,
		void *reply, size_t reply_max, size_t *reply_len);

/**
 * vub_request2() - vub_request() for data-carrying requests
 * @vd: the device
 * @cmd: the vfio-user command
 * @hdr: first part of the payload, @hdr_len bytes
 * @hdr_len: its length
 * @data: second part of the payload, @data_len bytes (no copy is made)
 * @data_len: its length
 * @reply: buffer for the reply payload
 * @reply_max: its size
 * @reply_len: the reply payload's length, if not NULL
 *
 * Context: process context, may sleep.
 * Return: as vub_request().
 */
int vub_request2(struct vub_device *vd, u16 cmd,
		 const void *hdr, size_t hdr_len,
		 const void *data, size_t data_len,
		 void *reply, size_t reply_max, size_t *reply_len);

/**
 * vub_post() - send a command with NO_REPLY (a posted write)
 * @vd: the device
 * @cmd: the vfio-user command (REGION_WRITE)
 * @hdr: first part of the payload, @hdr_len bytes
 * @hdr_len: its length
 * @data: second part of the payload, @data_len bytes
 * @data_len: its length
 *
 * Sends the queued posted writes (posted.c), then this message, and
 * returns once it is in the socket: the server processes it before
 * any later request (the stream is FIFO and the server handles
 * commands in order).  Posted messages carry msg_id %VUB_POSTED_MSG_ID,
 * which no request uses, so an error reply the server sends anyway is
 * recognised, counted in stats/posted_errors and traced; any other
 * reply to it is a protocol violation.
 *
 * Context: process context, may sleep (killably) while the socket is
 * full, at most the device's timeout.
 * Return: 0, or as vub_conn_send() (-EIO when the device is broken).
 */
int vub_post(struct vub_device *vd, u16 cmd, const void *hdr, size_t hdr_len,
	     const void *data, size_t data_len);

/* The msg_id of every posted message; requests use 0..0xfffe. */
#define VUB_POSTED_MSG_ID	0xffff

/**
 * vub_send_reply() - answer a server request (DMA_READ/DMA_WRITE)
 * @vd: the device
 * @req: the request's header
 * @error: 0, or a positive errno for an error reply without payload
 * @payload: reply payload, @len bytes
 * @len: its length
 * @data: appended to @payload, @data_len bytes
 * @data_len: its length
 *
 * Nothing is sent for a request with NO_REPLY.
 *
 * Context: the receiver thread.
 * Return: as vub_conn_send().
 */
int vub_send_reply(struct vub_device *vd, const struct vfio_user_header *req,
		   int error, const void *payload, size_t len,
		   const void *data, size_t data_len);

/**
 * vub_set_broken() - mark the device broken, for good
 * @vd: the device
 * @err: the cause, given to every pending request (-EIO, -ETIMEDOUT,
 *	-EPROTO)
 * @why: what happened, for the log (printed once)
 *
 * Idempotent; does nothing once the device is broken or closing.
 * Shuts the socket down and schedules the consumer's notification.
 *
 * Context: process context or the receiver thread; no locks held.
 */
void vub_set_broken(struct vub_device *vd, int err, const char *why);

/**
 * vub_conn_lost() - the connection to the server is gone
 * @vd: the device
 * @err: the cause (-EIO)
 * @why: what happened, for the log
 *
 * With reconnect on, a READY device becomes RECONNECTING (pending
 * requests fail with -EIO, new ones wait for the reconnect, for at most
 * reconnect_timeout_ms); otherwise as vub_set_broken().
 *
 * Context: process context or the receiver thread; no locks held.
 */
void vub_conn_lost(struct vub_device *vd, int err, const char *why);

/**
 * vub_conn_wait_ready() - wait while the device is RECONNECTING
 * @vd: the device
 *
 * Context: process context, sleeps killably, at most until the
 * reconnect deadline (plus a second).
 * Return: 0 when requests may be sent, -EIO (broken, closing, or the
 * reconnect did not happen in time), -EINTR (fatal signal).
 */
int vub_conn_wait_ready(struct vub_device *vd);

void vub_reconnect_expired(struct work_struct *work);

/**
 * vub_reconnect() - bring a RECONNECTING device back with a new server
 * @vd: the device
 * @path: the new server's socket path, or NULL for the same
 *
 * Connects, runs VERSION and discovery in the caller's context (as add
 * does), checks that the new server presents the same device, swaps
 * the connection, resets the device and replays the DMA windows and
 * interrupt eventfds, then signals the consumer's ERR eventfd.
 *
 * Context: the writer of the reconnect attribute (process context).
 * Return: 0, -EINVAL (not RECONNECTING), -ENODEV (another device: it
 * is now broken), or -errno (the device stays RECONNECTING until its
 * deadline, or broke).
 */
int vub_reconnect(struct vub_device *vd, const char *path);

/**
 * vub_reconnect_enable() - turn reconnect on or off for a device
 * @vd: the device
 * @on: the new setting
 *
 * Turning it on reads the PCI ids the next server must present.
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
int vub_reconnect_enable(struct vub_device *vd, bool on);

/**
 * vub_upgrade() - planned upgrade: carry the device to a new server
 * @vd: the device, READY, its server with migration (STOP_COPY)
 * @path: the new server's socket path (absolute)
 *
 * Connects and checks the new server as vub_reconnect() does, stops the
 * old server (STOP, STOP_COPY), streams its state into the new one
 * (RESUMING, MIG_DATA_WRITE), runs the new one, swaps the connection
 * and sends the DMA windows and interrupt eventfds again, then closes
 * the old connection.  Consumer requests wait meanwhile.  A failure
 * before the swap resumes the old server (RUNNING).
 *
 * Context: the writer of the upgrade attribute (process context).
 * Return: 0, -EINVAL (not READY, relative path), -EOPNOTSUPP (no
 * migration), -EBUSY (a region mapped, or the consumer migrating),
 * -ENODEV (another device), or the failing step's -errno.
 */
int vub_upgrade(struct vub_device *vd, const char *path);

extern bool vub_default_reconnect;
extern unsigned int vub_default_reconnect_timeout_ms;

/*
 * Lifecycle internals (bus.c, conn.c, bringup.c, sysfs.c, debugfs.c);
 * all process context.
 */

/**
 * vub_broken_reason() - why the device broke
 * @vd: the device
 * @buf: where to write "-ERRNO what happened\n"
 * @size: its size
 *
 * Context: any context that may take a spinlock.
 * Return: the length written, 0 if the device is not broken.
 */
int vub_broken_reason(struct vub_device *vd, char *buf, size_t size);

/**
 * vub_state_work() - tell userspace about a state change
 * @work: the device's state_work
 *
 * Wakes pollers of the ``state`` attribute and sends a KOBJ_CHANGE
 * uevent (VFIO_USER_STATE, VFIO_GROUP) for a published device.
 *
 * Context: a work item; the connection code schedules it on every
 * state change and flushes it when the device goes.
 */
void vub_state_work(struct work_struct *work);

/**
 * vub_conn_connect() - connect to the server's socket
 * @vd: the device, with its socket path
 *
 * Context: the creating process (the path is resolved against its root
 * with its credentials).
 * Return: 0 or -errno; on failure the caller tears the device down.
 */
int vub_conn_connect(struct vub_device *vd);

/**
 * vub_bringup() - negotiate and learn the device
 * @vd: a connected device
 *
 * VERSION, DEVICE_GET_INFO, every region and IRQ index; receives the
 * region files.
 *
 * Context: the creating process, which needs an mm (files arrive in its
 * file table and are taken out again at once).
 * Return: 0, -EPROTO (the server misbehaved; logged), -ETIMEDOUT,
 * -ECONNRESET, -EINTR or -ENOMEM.
 */
int vub_bringup(struct vub_device *vd);

/**
 * vub_conn_start() - start normal operation after bring-up
 * @vd: the device
 *
 * Moves the connection to READY and starts the receiver thread.
 *
 * Context: process context.
 * Return: 0 or -errno.
 */
int vub_conn_start(struct vub_device *vd);

/**
 * vub_conn_shutdown() - stop all traffic
 * @vd: the device
 *
 * The connection becomes CLOSING: pending and new requests fail with
 * -EIO, the socket is shut down, the receiver stopped, and the broken
 * notification cancelled (none can be scheduled afterwards).  The socket
 * stays allocated until the device is released.
 *
 * Context: process context, sleeps.
 */
void vub_conn_shutdown(struct vub_device *vd);

/**
 * vub_conn_free() - free the connection
 * @vd: the device
 *
 * Context: the device's release function, after vub_conn_shutdown().
 */
void vub_conn_free(struct vub_device *vd);

/**
 * vub_state_name() - a state's name, as shown in sysfs
 * @state: the state
 *
 * Return: a static string.
 */
const char *vub_state_name(enum vub_state state);

/**
 * vub_admin_strdup() - what an administrator wrote to a command attribute
 * @buf: the sysfs write
 * @count: its length
 *
 * For add, remove, reconnect and upgrade, which connect to or let go
 * of a server: the file mode is not the only gate (as nbd), the writer
 * needs CAP_SYS_ADMIN.
 *
 * Context: the writing process.
 * Return: a NUL-terminated copy of @buf (kfree() it), ERR_PTR(-EPERM)
 * or ERR_PTR(-ENOMEM).
 */
char *vub_admin_strdup(const char *buf, size_t count);

extern const struct attribute_group *vub_dev_groups[];
extern unsigned int vub_default_timeout_ms;
extern unsigned int vub_default_reset_timeout_ms;
extern int vub_default_server_uid;	/* -1: no check */
extern bool vub_default_posted_writes;	/* region.c */

int vub_bus_init(const char *sockets);
void vub_bus_exit(void);

int vub_fdpass_init(void);
void vub_fdpass_exit(void);

/**
 * vub_file_write_sealed() - is a file sealed against (new) writes?
 * @file: a region file of the server
 *
 * F_SEAL_WRITE or F_SEAL_FUTURE_WRITE on a memfd (shmem or hugetlbfs).
 *
 * Context: any.
 * Return: true if writable mappings of @file must not be made.
 */
bool vub_file_write_sealed(struct file *file);

void vub_debugfs_init(void);
void vub_debugfs_exit(void);
void vub_debugfs_add(struct vub_device *vd);
void vub_debugfs_remove(struct vub_device *vd);

/* ---- front-ends (frontend.c; the mdev one is vfio_user_mdev.ko) ----- */

int vub_bus_rescan(void);
int vub_bus_for_each(int (*fn)(struct device *dev, void *data));
extern int vub_default_frontend;

/**
 * struct vub_mdev_ops - what vfio_user_mdev.ko registers with the core
 * @attach: make @vd an mdev parent (the bus driver's probe, device
 *	lock held); 0 or -errno
 * @detach: undo @attach, removing the mdev (the bus driver's remove,
 *	device lock held; waits for a consumer to close it)
 */
struct vub_mdev_ops {
	int (*attach)(struct vub_device *vd);
	void (*detach)(struct vub_device *vd);
};

int vub_mdev_register(const struct vub_mdev_ops *ops);
void vub_mdev_unregister(const struct vub_mdev_ops *ops);
bool vub_mdev_available(void);
void vub_mdev_request_module(void);
int vub_frontend_probe(struct vub_device *vd);
void vub_frontend_remove(struct vub_device *vd);
const char *vub_frontend_name(enum vub_frontend fe);
int vub_frontend_parse(const char *s, enum vub_frontend *fe);

/**
 * struct vub_owned - header of memory freed with the device
 * @node: in vub_device.owned
 */
struct vub_owned {
	struct list_head node;
};

void vub_device_own(struct vub_device *vd, struct vub_owned *mem);
void vub_device_free_owned(struct vub_device *vd);

int vub_read_pci_ids(struct vub_device *vd, struct vub_pci_ids *ids);

/**
 * vub_pci_ids_decode() - the ids in the first 48 bytes of config space
 * @c: the bytes
 * @ids: the result
 */
void vub_pci_ids_decode(const u8 *c, struct vub_pci_ids *ids);
bool vub_device_ready(struct vub_device *vd);

/* ---- VFIO side (vfio.c, irq.c, dma.c) ------------------------------- */

/**
 * vub_vfio_register() - create and register the vfio_device
 * @vd: a device whose bring-up is complete
 *
 * Context: the bus driver's probe (process context).
 * Return: 0 or -errno.
 */
int vub_vfio_register(struct vub_device *vd);

/**
 * vub_vfio_register_on() - create and register the vfio_device
 * @vd: a device whose bring-up is complete, with no vfio_device yet
 * @parent: the vfio_device's parent: @vd's own device (bus front-end)
 *	or an mdev (vfio_user_mdev.ko), bound to a driver
 *
 * Context: the parent's probe (process context).
 * Return: 0 or -errno (-EBUSY if @vd has a vfio_device already).
 */
int vub_vfio_register_on(struct vub_device *vd, struct device *parent);

/**
 * vub_vfio_unregister() - unregister the vfio_device
 * @vd: the device
 *
 * Waits for the consumer to close the device; the VFIO core asks it to
 * with ops->request (the REQ interrupt).
 *
 * Context: the bus driver's remove (process context), sleeps.
 */
void vub_vfio_unregister(struct vub_device *vd);

/**
 * vub_vfio_group_id() - the device's VFIO group, /dev/vfio/N
 * @vd: the device
 *
 * Context: process context.
 * Return: N, or -1 if the VFIO device is not registered.
 */
int vub_vfio_group_id(struct vub_device *vd);

/**
 * vub_vfio_consumer() - who holds the VFIO device open
 * @vd: the device
 *
 * Context: process context.
 * Return: the pid (in the caller's pid namespace) of the process that
 * opened the device, 0 if it is not open.
 */
pid_t vub_vfio_consumer(struct vub_device *vd);

/**
 * vub_vfio_dma_mode() - the mode of the DMA windows the server holds
 * @vd: the device
 *
 * Context: process context.
 * Return: the windows' mode once offered (a type1 v1 consumer gets
 * message windows), else the mode asked for.
 */
enum vub_dma_mode vub_vfio_dma_mode(struct vub_device *vd);

/**
 * vub_vfio_migration() - the device's migration state, for sysfs
 * @vd: the device
 *
 * Context: process context.
 * Return: "none" (the server has no migration, or no VFIO device),
 * else the VFIO migration state: "running", "stop", "stop_copy",
 * "resuming" or "error".
 */
const char *vub_vfio_migration(struct vub_device *vd);

/**
 * vub_vfio_broken() - tell the consumer that the device broke
 * @vd: the device
 *
 * Signals the ERR and REQ interrupts and revokes interrupt relays.
 *
 * Context: the device's broken work, at most once per device.
 */
void vub_vfio_broken(struct vub_device *vd);

/**
 * vub_dma_handle() - serve a DMA_READ/DMA_WRITE request of the server
 * @vd: the device
 * @hdr: the validated header
 * @payload: the payload, accepted by vub_check_dma_request() with the
 *	max_data_xfer_size we proposed (%VUB_OUR_MAX_XFER_SIZE)
 * @len: its length
 *
 * Answers the request with vub_send_reply() (unless NO_REPLY is set on
 * a DMA_WRITE).
 *
 * Context: the receiver thread (vfio_dma_rw() needs a kthread).
 * Return: 0, or -errno if the connection must be considered broken.
 */
int vub_dma_handle(struct vub_device *vd, const struct vfio_user_header *hdr,
		   void *payload, size_t len);

#endif /* _VFIO_USER_VUB_H */
