/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sample vfio-user server: shared declarations.
 *
 * Single-threaded, one client at a time.  The device model is the PCI
 * test device described in tools/include/vub_sample.h.
 */
#ifndef VUS_SERVER_H
#define VUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <linux/vfio_user.h>
#include "vub_sample.h"

#define VUS_HDR_SIZE		((uint32_t)sizeof(struct vfio_user_header))
/* Our own limits (libvfio-user: SERVER_MAX_DATA_XFER_SIZE = 1 MiB). */
#define VUS_DEF_MAX_XFER	(1U << 20)
#define VUS_DEF_MAX_FDS		8	/* what we advertise (libvfio-user) */
#define VUS_RECV_FDS_LIMIT	1024	/* cmsg buffer, never exceeded */
/* One recvmsg reads up to this much: a small message in one call. */
#define VUS_RBUF_SIZE		(4096 + 2 * VUS_HDR_SIZE)
#define VUS_MAX_DMA_REGIONS	16
#define VUS_MAX_DMA_SIZE	(8ULL << 40)	/* 8 TiB */
#define VUS_MAX_ARGSZ		(1U << 20)
#define VUS_CLIENT_FDS_LIMIT	1024	/* libvfio-user client limit */
#define VUS_DMA_REPLY_TIMEOUT_MS 10000
#define VUS_DEF_DELAY_MS	2000	/* delay-reply fault */
#define VUS_MIG_HELD_MAX	16	/* doorbells held while stopped */

extern int vus_verbose;
void vus_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vus_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern volatile int vus_stop;

struct vus_opts {
	const char *socket_path;
	const char *device_name;
	const char *pidfile;
	uint32_t max_fds;	/* advertised max_msg_fds */
	uint32_t max_xfer;	/* advertised max_data_xfer_size */
	uint32_t config_size;
	uint32_t delay_ms;	/* delay-reply fault */
	bool once;
	bool dma_messages;	/* never map DMA regions: messages only */
	const char *odirect_file;	/* for the GUP probe's O_DIRECT read */
	bool migration;		/* --migration */
	bool mig_pad_reads;	/* --mig-pad-reads */
};
extern struct vus_opts vus_opts;

/* A received message (command or reply). */
struct vus_msg {
	struct vfio_user_header hdr;
	uint8_t *data;		/* payload, hdr.msg_size - 16 bytes */
	uint32_t len;
	int nfds;
	int recv_err;		/* errno to reply with (e.g. EFAULT: MSG_CTRUNC) */
	bool fatal;		/* drop the client after replying */
	struct vus_msg *next;
	int fds[VUS_RECV_FDS_LIMIT];	/* last: not zeroed, nfds counts */
};

/* DMA region mapped by the client. */
struct vus_dma_region {
	bool used;
	uint64_t iova;
	uint64_t size;
	uint32_t flags;
	int fd;			/* -1: DMA_READ/DMA_WRITE messages */
	uint64_t offset;	/* file offset */
	void *map;		/* mmap of the fd (NULL for FILE_IO) */
	size_t map_len;
	size_t map_skew;	/* offset - page aligned offset */
};

struct vus_irq_index {
	uint32_t count;
	bool enabled;
	int efd[VUB_SAMPLE_NUM_MSIX];
	bool masked[VUB_SAMPLE_NUM_MSIX];
};

struct vus_dev {
	/* Config space. */
	uint8_t cfg[4096];
	uint8_t cfg_wmask[4096];
	uint32_t cfg_size;
	/* BAR0 registers. */
	uint32_t scratch;
	uint64_t scratch64;
	uint32_t irq_fired;
	uint32_t irq_dropped;
	uint64_t dma_addr;
	uint32_t dma_len;
	uint32_t dma_buf_off;
	uint32_t dma_dir;
	uint32_t dma_status;
	uint32_t dma_irq;
	uint32_t dma_mode;	/* VUB_SAMPLE_DMA_MODE_* */
	uint32_t dma_direct;	/* transfers done through a mapping */
	uint32_t hammer_threads;
	uint32_t dma_gup;	/* VUB_SAMPLE_GUP_* of the last probe */
	uint32_t reset_count;
	uint8_t msix_table[VUB_SAMPLE_NUM_MSIX * 16];
	/* Doorbells with ioeventfds (ioeventfd.c). */
	uint32_t notify_count;
	uint64_t notify_sum;
	uint32_t notify_irq;
	uint32_t notify_via_fd;
	uint32_t kick_count;
	int notify_efd;
	int kick_efd;
	/* BAR2. */
	int bar2_fd;
	uint8_t *bar2;
	/* Interrupts. */
	struct vus_irq_index irq[VFIO_USER_PCI_NUM_IRQS];
	/* DMA. */
	struct vus_dma_region dma[VUS_MAX_DMA_REGIONS];
	/* Migration (mig.c). */
	uint32_t mig_state;	/* VFIO_USER_DEVICE_STATE_* */
	uint8_t *mig_buf;	/* saved stream, or the one being received */
	size_t mig_len;
	size_t mig_pos;		/* read position in STOP_COPY */
	uint32_t held[VUS_MIG_HELD_MAX];	/* doorbells held while stopped */
	uint32_t nheld;
};

struct vus_conn {
	int fd;
	bool negotiated;
	bool dead;		/* peer gone or stream unusable */
	bool hung;		/* fault: ignore the client until it leaves */
	uint32_t client_max_fds;
	uint32_t client_max_xfer;
	bool write_multiple;
	uint16_t next_id;	/* for server -> client requests */
	struct vus_msg *queue;	/* commands received while waiting */
	struct vus_dev *dev;
	/* Receive buffer (proto.c rx_read()): rbuf[rhead..rtail). */
	uint8_t rbuf[VUS_RBUF_SIZE];
	uint32_t rhead, rtail;
	uint64_t rx_pos;	/* bytes received from the socket so far */
	/* fds received, each with the stream position it came at. */
	struct {
		int fd;
		uint64_t pos;
	} stash[VUS_RECV_FDS_LIMIT];
	int nstash;
	bool ctrunc;		/* fds were truncated at ctrunc_pos */
	uint64_t ctrunc_pos;
};

/* proto.c */
int vus_recv_msg(struct vus_conn *c, struct vus_msg **out, int timeout_ms);
void vus_free_msg(struct vus_msg *m);
void vus_conn_release(struct vus_conn *c);
int vus_send_raw(struct vus_conn *c, const void *buf, size_t len,
		 const int *fds, int nfds);
int vus_reply(struct vus_conn *c, const struct vus_msg *req,
	      const void *payload, uint32_t len, const int *fds, int nfds);
int vus_reply_err(struct vus_conn *c, const struct vus_msg *req, int err);
int vus_request(struct vus_conn *c, uint16_t cmd, const void *payload,
		uint32_t len, struct vus_msg **reply);
int vus_send_partial_request(struct vus_conn *c, uint16_t cmd,
			     const void *payload, uint32_t len, uint32_t extra);
void vus_handle_msg(struct vus_conn *c, struct vus_msg *m);
void vus_serve(struct vus_conn *c);
const char *vus_cmd_name(unsigned int cmd);
int vus_cmd_from_name(const char *name);

/* pci.c */
int vus_dev_init(struct vus_dev *d, uint32_t cfg_size);
void vus_dev_reset(struct vus_dev *d);
void vus_dev_disconnect(struct vus_dev *d);
uint64_t vus_region_size(const struct vus_dev *d, uint32_t index);
uint32_t vus_region_flags(const struct vus_dev *d, uint32_t index);
int vus_region_access(struct vus_conn *c, uint32_t index, uint64_t off,
		      void *buf, uint32_t count, bool write);

/* irq.c */
void vus_irq_init(struct vus_dev *d);
void vus_irq_release(struct vus_dev *d);
int vus_irq_set(struct vus_conn *c, struct vus_msg *m);
int vus_irq_get_info(uint32_t index, struct vfio_user_irq_info *info);
void vus_irq_doorbell(struct vus_dev *d, uint32_t val);
uint32_t vus_irq_nr_fds(const struct vus_dev *d);

/* ioeventfd.c */
int vus_ioeventfd_init(struct vus_dev *d);
void vus_notify(struct vus_dev *d, uint32_t val, uint32_t n);
void vus_ioeventfd_reset(struct vus_dev *d);
void vus_ioeventfd_connect(struct vus_dev *d);
void vus_dev_lock(void);
void vus_dev_unlock(void);

/* dma.c */
int vus_dma_map(struct vus_conn *c, struct vus_msg *m);
int vus_dma_unmap(struct vus_conn *c, struct vus_msg *m);
void vus_dma_release(struct vus_dev *d);
uint32_t vus_dma_nr_regions(const struct vus_dev *d);
void vus_dma_go(struct vus_conn *c);
void vus_dma_init(void);
uint32_t vus_dma_sigbus_count(void);
void vus_dma_hammer(struct vus_dev *d, uint32_t threads);
uint32_t vus_dma_hammer_loops(void);
uint32_t vus_dma_gup_probe(struct vus_dev *d);

/* mig.c */
bool vus_mig_stopped(const struct vus_dev *d);
void vus_mig_reset(struct vus_dev *d);
int vus_mig_feature(struct vus_conn *c, struct vus_msg *m);
int vus_mig_data_read(struct vus_conn *c, struct vus_msg *m);
int vus_mig_data_write(struct vus_conn *c, struct vus_msg *m);
bool vus_mig_cmd_allowed(const struct vus_dev *d, uint16_t cmd);
bool vus_mig_hold_irq(struct vus_dev *d, uint32_t val);

/* json.c: a tiny JSON DOM (enough for VERSION). */
enum vus_json_type {
	VUS_JSON_NULL, VUS_JSON_BOOL, VUS_JSON_NUMBER, VUS_JSON_STRING,
	VUS_JSON_ARRAY, VUS_JSON_OBJECT,
};

struct vus_json {
	enum vus_json_type type;
	bool b;
	bool is_int;		/* number without fraction/exponent */
	int64_t i;
	char *str;		/* STRING value */
	char *key;		/* member name inside an object */
	struct vus_json *child;	/* first member/element */
	struct vus_json *next;	/* next sibling */
};

#define VUS_JSON_MAX_DEPTH	16

struct vus_json *vus_json_parse(const char *text, size_t len, const char **err);
void vus_json_free(struct vus_json *j);
const struct vus_json *vus_json_get(const struct vus_json *obj, const char *key);

struct vus_jw {
	char *buf;
	size_t len, cap;
	bool need_comma;
	bool oom;
};

void vus_jw_init(struct vus_jw *w);
void vus_jw_free(struct vus_jw *w);
void vus_jw_obj_begin(struct vus_jw *w, const char *key);
void vus_jw_obj_end(struct vus_jw *w);
void vus_jw_arr_begin(struct vus_jw *w, const char *key);
void vus_jw_arr_end(struct vus_jw *w);
void vus_jw_uint(struct vus_jw *w, const char *key, uint64_t v);
void vus_jw_bool(struct vus_jw *w, const char *key, bool v);
void vus_jw_str(struct vus_jw *w, const char *key, const char *v);
void vus_jw_raw(struct vus_jw *w, const char *text);

/* fault.c */
enum vus_fault_id {
	VUS_F_HANG,
	VUS_F_CLOSE_MID_REPLY,
	VUS_F_TRUNCATED_REPLY,
	VUS_F_OVERSIZED_MSG_SIZE,
	VUS_F_WRONG_MSG_ID,
	VUS_F_WRONG_CMD,
	VUS_F_ERRNO_ODD,
	VUS_F_ERRNO_ZERO,
	VUS_F_ERRNO_HUGE,
	VUS_F_ERRNO_PAYLOAD,
	VUS_F_BAD_JSON,
	VUS_F_DEEP_JSON,
	VUS_F_HUGE_JSON,
	VUS_F_CAPS_OUT_OF_RANGE,
	VUS_F_CAPS_FDS_0,
	VUS_F_CAPS_FDS_1000,
	VUS_F_CAPS_XFER_1,
	VUS_F_CAPS_BAD_TYPE,
	VUS_F_BAD_CAP_OFFSET,
	VUS_F_CAP_LOOP,
	VUS_F_SPARSE_OUTSIDE,
	VUS_F_TOO_MANY_FDS,
	VUS_F_WRONG_FD_TYPE,
	VUS_F_COUNT_TOO_LARGE,
	VUS_F_NO_VERSION_REPLY,
	VUS_F_EXIT_AFTER,
	VUS_F_DELAY_REPLY,
	VUS_F_DMA_OVERSIZED,
	VUS_F_DMA_MALFORMED,
	VUS_F_DMA_TRUNCATED,
	VUS_F_DMA_BAD_ADDR,
	VUS_F_KEEP_IRQ_FDS,
	VUS_F_BAR2_SEALED,
	VUS_F_BAR2_FUTURE_SEALED,
	VUS_F_BAR2_RDONLY,
	VUS_F_BAR2_WRONLY,
	VUS_F_MIG_REFUSE,
	VUS_F_MIG_BAD_STATE,
	VUS_F_MIG_SHORT_DATA,
	VUS_F_MIG_OVERSIZED_DATA,
	VUS_F_MIG_DMA_STOPPED,
	VUS_F_MIG_WRITE_REFUSE,
	VUS_F_IO_FDS_OVERLAP,
	VUS_F_IO_FDS_OVERSIZED,
	VUS_F_IO_FDS_WRONG_FD_TYPE,
	VUS_F_IO_FDS_TOO_MANY,
	VUS_F_IO_FDS_ERROR,
	VUS_F_NOREPLY_ERRORS,
	VUS_F_NOREPLY_ACK,
	VUS_F_BAR0_IO,
	VUS_F_NR,
};

int vus_fault_add(const char *spec);
void vus_fault_usage(FILE *f);
/* Count a matching message for fault @id; true when it must act now. */
bool vus_fault_hit(enum vus_fault_id id, uint16_t cmd);
bool vus_fault_armed(enum vus_fault_id id);
/* Called once per fully handled client message (exit-after). */
void vus_fault_msg_done(uint16_t cmd);
/* Generic reply faults, applied in vus_reply(); returns 1 if it took over. */
int vus_fault_reply(struct vus_conn *c, const struct vus_msg *req,
		    struct vfio_user_header *hdr, const void *payload,
		    uint32_t len, const int *fds, int nfds);
void vus_cleanup_and_exit(int code);

#endif /* VUS_SERVER_H */
