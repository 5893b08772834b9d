/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test client for the sample vfio-user server: helpers (test-lib.c).
 */
#ifndef VUS_TEST_H
#define VUS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio_user.h>
#include "vub_sample.h"

#define T_HDR	((uint32_t)sizeof(struct vfio_user_header))

struct srv {
	pid_t pid;
	char sock[108];
	int status;		/* wait status once reaped */
	bool reaped;
};

struct reply {
	struct vfio_user_header hdr;
	uint8_t *data;
	uint32_t len;		/* payload bytes received */
	int fds[16];
	int nfds;
};

/* Client-side memory the server reaches with DMA_READ/DMA_WRITE. */
struct dma_ctx {
	uint64_t iova;
	uint8_t *mem;
	uint64_t size;
	uint32_t max_chunk;	/* largest count allowed (our max xfer) */
	int nreq;		/* requests served */
	int bad;		/* malformed requests seen */
	int fail_errno;		/* reply with this error instead */
	/* The last request as received (fault tests). */
	uint16_t last_cmd;
	uint32_t last_len;	/* payload bytes */
	uint64_t last_addr;
	uint64_t last_count;
	/* Send this command (REGION_READ of SCRATCH) before the first reply. */
	bool interleave;
	uint16_t interleave_id;
};

extern const char *t_server_path;
extern const char *t_tmpdir;
extern int t_verbose;
extern struct dma_ctx *t_dma;	/* served by t_call while waiting */

/* Results. */
void t_pass(const char *name);
void t_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int t_failures(void);
int t_total(void);

/* Names the test for CHECK() and t_pass(__t_name): first in a function. */
#define TEST(n) static const char *__t_name = n

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		t_fail(__t_name, __VA_ARGS__);				\
		goto out;						\
	}								\
} while (0)

/* Server processes. */
int srv_start(struct srv *s, const char *const *args);
int srv_stop(struct srv *s);		/* SIGTERM; returns exit status */
bool srv_exited(struct srv *s, int timeout_ms);
int cli_connect(struct srv *s);
/*
 * Start a server with @args (NULL-terminated, may be NULL) and connect,
 * negotiating VERSION if @negotiate; the connected fd, or -1 with the
 * server stopped again.  t_end() closes the fd and stops the server
 * (nothing if @fd < 0: t_start() failed and cleaned up).
 */
int t_start(struct srv *s, const char *const *args, bool negotiate);
void t_end(struct srv *s, int fd);

/* Messages. */
int t_send(int fd, uint16_t id, uint16_t cmd, uint32_t flags,
	   const void *payload, uint32_t len, const int *fds, int nfds);
int t_send_raw(int fd, const void *buf, size_t len, const int *fds, int nfds);
/* 0, -ETIMEDOUT (nothing / partial within timeout), -ECONNRESET (EOF). */
int t_recv(int fd, struct reply *r, int timeout_ms);
void t_reply_free(struct reply *r);
/* Sends a command, waits for its reply; returns 0 or -error_no. */
int t_call(int fd, uint16_t cmd, const void *req, uint32_t len,
	   const int *fds, int nfds, struct reply *r);
uint16_t t_next_id(void);

/* Protocol helpers. */
int t_negotiate(int fd, const char *json, struct reply *r);
int t_connect_negotiated(struct srv *s, const char *json);
int t_region_read(int fd, uint32_t region, uint64_t off, void *buf,
		  uint32_t count);
int t_region_write(int fd, uint32_t region, uint64_t off, const void *buf,
		   uint32_t count);
int t_rd32(int fd, uint32_t region, uint64_t off, uint32_t *v);
int t_wr32(int fd, uint32_t region, uint64_t off, uint32_t v);
int t_rd64(int fd, uint32_t region, uint64_t off, uint64_t *v);
int t_wr64(int fd, uint32_t region, uint64_t off, uint64_t v);
uint32_t t_bar0(int fd, uint64_t off);	/* 0xdeadbeef on error */
/* @fd is connected to a server that answers: the ID register reads right. */
bool t_alive(int fd);
int t_set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start,
	       uint32_t count, const void *data, uint32_t dlen,
	       const int *fds, int nfds);
int t_dma_map(int fd, uint32_t flags, uint64_t iova, uint64_t size,
	      uint64_t offset, int mfd);
int t_dma_unmap(int fd, uint32_t flags, uint64_t iova, uint64_t size);
uint64_t t_efd_read(int efd);		/* non-blocking: 0 if not signalled */
/*
 * DEVICE_FEATURE with @flags and @dlen bytes of @data after the header
 * (argsz: header + @dlen, or @argsz if not 0); as t_call().
 */
int t_feature(int fd, uint32_t flags, uint32_t argsz, const void *data,
	      uint32_t dlen, struct reply *r);
/* MIG_DEVICE_STATE SET / GET (GET checks the reply's length). */
int t_mig_set(int fd, uint32_t state);
int t_mig_get(int fd, uint32_t *state);

/* test-faults.c */
void run_fault_tests(void);
/* test-mig.c */
void run_mig_tests(void);

#endif /* VUS_TEST_H */
