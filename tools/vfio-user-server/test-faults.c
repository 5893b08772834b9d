// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection seen from the client: one server per fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "server.h"	/* JSON reader */
#include "test.h"

static struct vfio_user_device_info di = { .argsz = 16 };

/* Starts a server with one --fault, connects (and negotiates). */
static int start(struct srv *s, const char *fault, bool negotiate)
{
	char arg[128];
	const char *args[] = { arg, NULL };

	snprintf(arg, sizeof(arg), "--fault=%s", fault);
	return t_start(s, args, negotiate);
}

static int send_get_info(int fd, uint16_t id)
{
	return t_send(fd, id, VFIO_USER_DEVICE_GET_INFO, 0, &di, sizeof(di),
		      NULL, 0);
}

static void fault_hang(void)
{
	const char *__t_name = "fault-hang";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "hang@DEVICE_GET_INFO", true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 1000);
	CHECK(ret == -ETIMEDOUT, "got %d", ret);
	/* The client gives up; the next one is served normally. */
	close(fd);
	fd = t_connect_negotiated(&s, NULL);
	CHECK(fd >= 0, "reconnect after hang");
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		     NULL);
	CHECK(!ret, "GET_INFO after reconnect: %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_close_mid(void)
{
	const char *__t_name = "fault-close-mid-reply";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "close-mid-reply@DEVICE_GET_INFO", true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 2000);
	/* 32-byte reply: the header arrives, the payload never does. */
	CHECK(ret == -ECONNRESET && r.hdr.msg_size == 32 && r.len == 0,
	      "got %d, size %u, %u payload bytes", ret, r.hdr.msg_size, r.len);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_truncated(void)
{
	const char *__t_name = "fault-truncated-reply";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "truncated-reply@DEVICE_GET_INFO", true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 1000);
	CHECK(ret == -ETIMEDOUT && r.hdr.msg_size == 32 + 64 && r.len == 16,
	      "got %d, size %u, %u bytes", ret, r.hdr.msg_size, r.len);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_oversized(void)
{
	const char *__t_name = "fault-oversized-msg-size";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "oversized-msg-size@DEVICE_GET_INFO", true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 1000);
	CHECK(ret == -EPROTO && r.hdr.msg_size == 0x7fffffff, "got %d size %#x",
	      ret, r.hdr.msg_size);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_wrong_id(void)
{
	const char *__t_name = "fault-wrong-msg-id";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "wrong-msg-id:2@REGION_READ", true), ret;
	uint32_t v;

	CHECK(fd >= 0, "start");
	/* The first REGION_READ is fine, the second is not. */
	CHECK(!t_rd32(fd, 0, 0, &v) && v == VUB_SAMPLE_ID_VALUE, "first read");
	ret = t_rd32(fd, 0, 0, &v);
	CHECK(ret == -EPROTO, "second read: %d", ret);
	/* And a raw look at it. */
	srv_stop(&s);
	close(fd);
	fd = start(&s, "wrong-msg-id@DEVICE_GET_INFO", true);
	CHECK(fd >= 0, "start");
	send_get_info(fd, 0x42);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 0x1042 &&
	      r.hdr.cmd == VFIO_USER_DEVICE_GET_INFO, "id %#x", r.hdr.msg_id);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_wrong_cmd(void)
{
	const char *__t_name = "fault-wrong-cmd";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "wrong-cmd@DEVICE_GET_INFO", true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 7);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 7 && r.hdr.cmd == VFIO_USER_REGION_READ,
	      "cmd %u", r.hdr.cmd);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

/* libvfio-user style: the error reply keeps the payload it had built. */
static void fault_err_payload(void)
{
	const char *__t_name = "fault-error-reply-with-payload";
	struct srv s;
	struct reply r = { };
	int fd = start(&s, "error-reply-with-payload@DEVICE_GET_INFO", true);
	int ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && (r.hdr.flags & VFIO_USER_F_ERROR) &&
	      r.hdr.error_no == EIO && r.hdr.msg_size > 16,
	      "flags %#x errno %u size %u", r.hdr.flags, r.hdr.error_no,
	      r.hdr.msg_size);
	t_reply_free(&r);
	send_get_info(fd, 2);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && !(r.hdr.flags & VFIO_USER_F_ERROR), "not back to normal");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_errno(const char *name, const char *fault, uint32_t e1,
			int64_t e2)
{
	const char *__t_name = name;
	struct srv s;
	struct reply r = { };
	int fd = start(&s, fault, true), ret;

	CHECK(fd >= 0, "start");
	send_get_info(fd, 1);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && (r.hdr.flags & VFIO_USER_F_ERROR) &&
	      r.hdr.error_no == e1 && r.hdr.msg_size == 16,
	      "flags %#x errno %u", r.hdr.flags, r.hdr.error_no);
	t_reply_free(&r);
	if (e2 >= 0) {
		send_get_info(fd, 2);
		ret = t_recv(fd, &r, 2000);
		CHECK(!ret && (r.hdr.flags & VFIO_USER_F_ERROR) &&
		      r.hdr.error_no == e2, "second: errno %u", r.hdr.error_no);
		t_reply_free(&r);
	}
	/* Then back to normal. */
	send_get_info(fd, 3);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && !(r.hdr.flags & VFIO_USER_F_ERROR), "not back to normal");
	t_pass(name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

/* VERSION reply JSON of a server started with @fault. */
static int version_json(struct srv *s, const char *fault, struct reply *r,
			int *fd)
{
	int ret;

	*fd = start(s, fault, false);
	if (*fd < 0)
		return -1;
	ret = t_negotiate(*fd, "{}", r);
	if (ret || r->len <= sizeof(struct vfio_user_version))
		return -1;
	return 0;
}

static const char *json_of(struct reply *r)
{
	return (const char *)r->data + sizeof(struct vfio_user_version);
}

static void fault_json(const char *name, const char *fault)
{
	const char *__t_name = name;
	struct reply r = { };
	struct srv s;
	struct vus_json *j = NULL;
	const char *err = NULL, *text;
	int fd = -1, depth = 0, max = 0;
	size_t i, len;

	CHECK(!version_json(&s, fault, &r, &fd), "no VERSION reply");
	text = json_of(&r);
	len = strlen(text);
	CHECK(r.data[r.len - 1] == 0, "not NUL-terminated");
	for (i = 0; i < len; i++) {
		if (text[i] == '{' || text[i] == '[')
			depth++;
		else if (text[i] == '}' || text[i] == ']')
			depth--;
		if (depth > max)
			max = depth;
	}
	j = vus_json_parse(text, len, &err);
	if (!strcmp(fault, "bad-json")) {
		CHECK(!j && depth > 0, "malformed JSON parsed");
	} else if (!strcmp(fault, "deep-json")) {
		CHECK(max == 100 && depth == 0, "depth %d", max);
		CHECK(!j, "depth limit not hit");
	} else {
		CHECK(len > 65536 && j, "length %zu, parse %s", len,
		      err ? err : "ok");
	}
	t_pass(name);
out:
	vus_json_free(j);
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_caps(const char *name, const char *fault, const char *key,
		       int64_t val)
{
	const char *__t_name = name;
	const struct vus_json *caps, *k;
	struct vus_json *j = NULL;
	struct reply r = { };
	struct srv s;
	int fd = -1;

	CHECK(!version_json(&s, fault, &r, &fd), "no VERSION reply");
	j = vus_json_parse(json_of(&r), strlen(json_of(&r)), NULL);
	caps = vus_json_get(j, "capabilities");
	k = vus_json_get(caps, key);
	CHECK(k, "no %s", key);
	if (val < 0)
		CHECK(k->type == VUS_JSON_STRING, "%s is not a string", key);
	else
		CHECK(k->is_int && k->i == val, "%s = %lld", key,
		      (long long)k->i);
	t_pass(name);
out:
	vus_json_free(j);
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_no_version_reply(void)
{
	const char *__t_name = "fault-no-version-reply";
	struct vfio_user_version v = { 0, 2 };
	struct reply r = { };
	struct srv s;
	int fd = start(&s, "no-version-reply", false), ret;

	CHECK(fd >= 0, "start");
	t_send(fd, 1, VFIO_USER_VERSION, 0, &v, sizeof(v), NULL, 0);
	ret = t_recv(fd, &r, 1000);
	CHECK(ret == -ETIMEDOUT, "got %d", ret);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

/* BAR2 region info with a large argsz under @fault. */
static void fault_region_info(const char *name, const char *fault)
{
	const char *__t_name = name;
	struct vfio_user_region_info ri = { .argsz = 256, .index = 2 }, *o;
	struct vfio_user_region_info_cap_sparse_mmap *sp;
	struct reply r = { };
	struct srv s;
	struct stat st;
	int fd = start(&s, fault, true), ret;

	CHECK(fd >= 0, "start");
	ret = t_call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri),
		     NULL, 0, &r);
	CHECK(!ret && r.len == 64, "reply %d len %u", ret, r.len);
	o = (void *)r.data;
	sp = (void *)(r.data + 32);
	if (!strcmp(fault, "bad-cap-offset")) {
		CHECK(o->cap_offset >= o->argsz, "cap_offset %u", o->cap_offset);
	} else if (!strcmp(fault, "cap-loop")) {
		CHECK(o->cap_offset == 32 && sp->header.next == o->cap_offset,
		      "next %u", sp->header.next);
	} else if (!strcmp(fault, "sparse-outside")) {
		CHECK(sp->areas[0].offset + sp->areas[0].size > o->size,
		      "area inside");
	} else if (!strcmp(fault, "too-many-fds")) {
		CHECK(r.nfds == 5, "%d fds", r.nfds);
	} else if (!strcmp(fault, "wrong-fd-type")) {
		CHECK(r.nfds == 1 && !fstat(r.fds[0], &st) &&
		      S_ISFIFO(st.st_mode), "fd is not a pipe");
	} else if (!strcmp(fault, "bar2-sealed") ||
		   !strcmp(fault, "bar2-future-sealed")) {
		int want = fault[5] == 's' ? F_SEAL_WRITE : F_SEAL_FUTURE_WRITE;

		CHECK(r.nfds == 1 && fcntl(r.fds[0], F_GET_SEALS) & want,
		      "fd not sealed with %#x", want);
		CHECK(!fstat(r.fds[0], &st) && st.st_size == 0x100000,
		      "size %lld", (long long)st.st_size);
	} else if (!strcmp(fault, "bar2-rdonly")) {
		CHECK(r.nfds == 1 &&
		      (fcntl(r.fds[0], F_GETFL) & O_ACCMODE) == O_RDONLY,
		      "fd not read-only");
	} else if (!strcmp(fault, "bar2-wronly")) {
		CHECK(r.nfds == 1 &&
		      (fcntl(r.fds[0], F_GETFL) & O_ACCMODE) == O_WRONLY,
		      "fd not write-only");
	}
	t_pass(name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_count_too_large(void)
{
	const char *__t_name = "fault-count-too-large";
	struct vfio_user_region_access ra = { .offset = 0, .region = 0,
					      .count = 4 }, *o;
	struct reply r = { };
	struct srv s;
	int fd = start(&s, "count-too-large", true), ret;

	CHECK(fd >= 0, "start");
	ret = t_call(fd, VFIO_USER_REGION_READ, &ra, sizeof(ra), NULL, 0, &r);
	o = (void *)r.data;
	CHECK(!ret && o->count == 8 && r.len == sizeof(ra) + 8,
	      "%d count %u len %u", ret, o->count, r.len);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_exit_after(void)
{
	const char *__t_name = "fault-exit-after";
	struct reply r = { };
	struct srv s;
	struct stat st;
	int fd = start(&s, "exit-after:3", true), ret;

	CHECK(fd >= 0, "start");
	/* VERSION was 1; two more. */
	CHECK(t_bar0(fd, 0) == VUB_SAMPLE_ID_VALUE, "message 2");
	send_get_info(fd, 9);
	ret = t_recv(fd, &r, 2000);
	CHECK(!ret && r.hdr.msg_id == 9, "message 3 reply: %d", ret);
	t_reply_free(&r);
	ret = t_recv(fd, &r, 2000);
	CHECK(ret == -ECONNRESET, "connection still open: %d", ret);
	CHECK(srv_exited(&s, 2000), "server still running");
	CHECK(WIFEXITED(s.status), "server crashed");
	CHECK(stat(s.sock, &st), "socket left behind");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

/*
 * Server with @fault (and @extra, may be NULL), a client that
 * negotiated max_data_xfer_size 4096 and mapped one fd-less DMA region
 * of 64 KiB at 1 MiB, served through t_dma.
 */
static uint8_t dma_mem[0x10000];
static struct dma_ctx dma_d;

static int dma_start(struct srv *s, const char *fault, const char *extra)
{
	char arg[128];
	const char *args[] = { arg, extra, NULL };
	int fd;

	snprintf(arg, sizeof(arg), "--fault=%s", fault);
	if (srv_start(s, args))
		return -1;
	fd = t_connect_negotiated(s, "{\"capabilities\":{\"max_msg_fds\":4,"
				  "\"max_data_xfer_size\":4096}}");
	if (fd < 0 || t_dma_map(fd, 3, 0x100000, sizeof(dma_mem), 0, -1)) {
		if (fd >= 0)
			close(fd);
		srv_stop(s);
		return -1;
	}
	memset(&dma_d, 0, sizeof(dma_d));
	dma_d.iova = 0x100000;
	dma_d.mem = dma_mem;
	dma_d.size = sizeof(dma_mem);
	dma_d.max_chunk = 4096;
	return fd;
}

/* Program the DMA engine; GO is sent but its reply not awaited. */
static int dma_program(int fd, uint32_t dir, uint32_t len)
{
	return t_wr64(fd, 0, VUB_SAMPLE_REG_DMA_ADDR, 0x100000) ||
	       t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_LEN, len) ||
	       t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_BUF_OFF, 0) ||
	       t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_DIR, dir);
}

/*
 * A dma-* fault that yields a bad request: the client (serve_dma)
 * refuses it with EINVAL, which the server reports in STATUS; the next
 * transfer is clean again.
 */
static void fault_dma(const char *name, const char *fault, uint32_t dir,
		      uint16_t cmd, uint32_t want_len, uint64_t want_addr,
		      uint64_t want_count)
{
	const char *__t_name = name;
	struct srv s;
	uint32_t st;
	int fd = dma_start(&s, fault, NULL);

	CHECK(fd >= 0, "start");
	CHECK(!dma_program(fd, dir, 100), "program");
	t_dma = &dma_d;
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_GO, 1), "GO");
	CHECK(dma_d.nreq == 1 && dma_d.last_cmd == cmd,
	      "%d requests, last cmd %u", dma_d.nreq, dma_d.last_cmd);
	CHECK(dma_d.last_len == want_len && dma_d.last_addr == want_addr &&
	      dma_d.last_count == want_count,
	      "request payload %u addr %#llx count %llu", dma_d.last_len,
	      (unsigned long long)dma_d.last_addr,
	      (unsigned long long)dma_d.last_count);
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == (VUB_SAMPLE_DMA_ERR | EINVAL), "STATUS %#x", st);
	/* The fault acted once: the same transfer now works. */
	dma_d.nreq = 0;
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_DMA_GO, 1), "GO again");
	st = t_bar0(fd, VUB_SAMPLE_REG_DMA_STATUS);
	CHECK(st == VUB_SAMPLE_DMA_OK && dma_d.last_len ==
	      16 + (cmd == VFIO_USER_DMA_WRITE ? 100 : 0),
	      "second transfer: STATUS %#x, payload %u", st, dma_d.last_len);
	t_pass(__t_name);
out:
	t_dma = NULL;
	t_end(&s, fd);
}

/* dma-truncated: the request announces 64 bytes more, then silence. */
static void fault_dma_truncated(void)
{
	const char *__t_name = "fault-dma-truncated";
	struct reply r = { };
	struct srv s;
	int fd = dma_start(&s, "dma-truncated@DMA_WRITE", NULL), ret;

	CHECK(fd >= 0, "start");
	CHECK(!dma_program(fd, VUB_SAMPLE_DMA_DIR_TO_HOST, 100), "program");
	t_send(fd, t_next_id(), VFIO_USER_REGION_WRITE, 0,
	       &(struct { struct vfio_user_region_access a; uint32_t v; }){
			{ .offset = VUB_SAMPLE_REG_DMA_GO, .region = 0,
			  .count = 4 }, 1 }, 20, NULL, 0);
	ret = t_recv(fd, &r, 1000);
	CHECK(ret == -ETIMEDOUT && r.hdr.cmd == VFIO_USER_DMA_WRITE &&
	      r.hdr.msg_size == T_HDR + 16 + 100 + 64 && r.len == 16 + 100,
	      "got %d, cmd %u, msg_size %u, %u bytes", ret, r.hdr.cmd,
	      r.hdr.msg_size, r.len);
	t_reply_free(&r);
	/* Stalled: neither the GO reply nor anything else comes. */
	ret = t_recv(fd, &r, 500);
	CHECK(ret == -ETIMEDOUT && r.len == 0, "got %d after the stall", ret);
	close(fd);
	fd = t_connect_negotiated(&s, NULL);
	CHECK(t_alive(fd), "next client not served");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* delay-reply: the N-th matching reply comes --delay-ms late, intact. */
static void fault_delay_reply(void)
{
	const char *__t_name = "fault-delay-reply";
	const char *args[] = { "--fault=delay-reply:2@DEVICE_GET_INFO",
			       "--delay-ms", "400", NULL };
	struct reply r = { };
	struct srv s;
	long t0, t1, t2;
	int fd = -1, ret;

	CHECK(!srv_start(&s, args), "start");
	fd = t_connect_negotiated(&s, NULL);
	CHECK(fd >= 0, "connect");
	t0 = ms_now();
	CHECK(!t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		      NULL), "first GET_INFO");
	t1 = ms_now();
	ret = t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		     &r);
	t2 = ms_now();
	CHECK(!ret && r.len == sizeof(di), "delayed GET_INFO: %d", ret);
	CHECK(t1 - t0 < 300 && t2 - t1 >= 400,
	      "first took %ld ms, second %ld ms", t1 - t0, t2 - t1);
	t_pass(__t_name);
out:
	t_reply_free(&r);
	if (fd >= 0)
		close(fd);
	srv_stop(&s);
}

/*
 * keep-irq-fds: a disable (count 0) and a de-assign (no fds) are
 * acknowledged but ignored, and the doorbell still fires the old fd.
 */
static void fault_keep_irq_fds(void)
{
	const char *__t_name = "fault-keep-irq-fds";
	uint32_t evfd = VFIO_USER_IRQ_SET_DATA_EVENTFD |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER;
	uint32_t none = VFIO_USER_IRQ_SET_DATA_NONE |
			VFIO_USER_IRQ_SET_ACTION_TRIGGER;
	uint32_t bell = VUB_SAMPLE_IRQ_MSIX << 16 | 1;
	struct srv s;
	int fd = start(&s, "keep-irq-fds", true), efd[2] = { -1, -1 };

	CHECK(fd >= 0, "start");
	efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(!t_set_irqs(fd, evfd, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 2, NULL,
			  0, efd, 2), "assign");
	CHECK(!t_set_irqs(fd, evfd, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 1, NULL,
			  0, NULL, 0), "de-assign acknowledged");
	CHECK(!t_set_irqs(fd, none, VFIO_USER_PCI_MSIX_IRQ_INDEX, 0, 0, NULL,
			  0, NULL, 0), "disable acknowledged");
	CHECK(t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS) == 2, "IRQ_FDS %u",
	      t_bar0(fd, VUB_SAMPLE_REG_IRQ_FDS));
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_DOORBELL, bell), "doorbell");
	CHECK(t_efd_read(efd[1]) == 1, "the kept fd did not fire");
	t_pass(__t_name);
out:
	if (efd[0] >= 0)
		close(efd[0]);
	if (efd[1] >= 0)
		close(efd[1]);
	t_end(&s, fd);
}

/* exit-after:N@CMD counts only CMD. */
static void fault_exit_after_cmd(void)
{
	const char *__t_name = "fault-exit-after-cmd";
	struct reply r = { };
	struct srv s;
	int fd = start(&s, "exit-after:2@REGION_READ", true), ret;

	CHECK(fd >= 0, "start");
	CHECK(t_bar0(fd, 0) == VUB_SAMPLE_ID_VALUE, "read 1");
	CHECK(!t_call(fd, VFIO_USER_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0,
		      NULL), "GET_INFO (not counted)");
	CHECK(!t_wr32(fd, 0, VUB_SAMPLE_REG_SCRATCH, 1), "write (not counted)");
	CHECK(t_bar0(fd, 0) == VUB_SAMPLE_ID_VALUE, "read 2 answered");
	ret = t_recv(fd, &r, 2000);
	CHECK(ret == -ECONNRESET, "connection still open: %d", ret);
	CHECK(srv_exited(&s, 2000), "server still running");
	t_pass(__t_name);
out:
	t_reply_free(&r);
	t_end(&s, fd);
}

static void fault_dma_bad_scope(void)
{
	const char *__t_name = "fault-dma-scope-rejected";
	const char *args[] = { "--fault=dma-oversized@REGION_READ", NULL };
	const char *args2[] = { "--delay-ms", "-1", NULL };
	struct srv s;

	CHECK(srv_start(&s, args), "dma fault accepted @REGION_READ");
	CHECK(srv_start(&s, args2), "--delay-ms -1 accepted");
	t_pass(__t_name);
out:
	;
}

static void fault_bad_spec(void)
{
	const char *__t_name = "fault-bad-spec-rejected";
	const char *args[] = { "--fault=no-such-fault", NULL };
	struct srv s;

	CHECK(srv_start(&s, args), "server started with a bad --fault");
	t_pass(__t_name);
out:
	;
}

void run_fault_tests(void)
{
	fault_hang();
	fault_close_mid();
	fault_truncated();
	fault_oversized();
	fault_wrong_id();
	fault_wrong_cmd();
	fault_errno("fault-error-reply-odd-errno",
		    "error-reply-odd-errno@DEVICE_GET_INFO", 0, 100000);
	fault_errno("fault-error-reply-errno-0",
		    "error-reply-errno-0@DEVICE_GET_INFO", 0, -1);
	fault_errno("fault-error-reply-errno-huge",
		    "error-reply-errno-huge@DEVICE_GET_INFO", 100000, -1);
	fault_err_payload();
	fault_json("fault-bad-json", "bad-json");
	fault_json("fault-deep-json", "deep-json");
	fault_json("fault-huge-json", "huge-json");
	fault_caps("fault-caps-out-of-range", "caps-out-of-range",
		   "max_msg_fds", 1000);
	fault_caps("fault-caps-out-of-range-xfer", "caps-out-of-range",
		   "max_data_xfer_size", 1);
	fault_caps("fault-caps-max-msg-fds-0", "caps-max-msg-fds-0",
		   "max_msg_fds", 0);
	fault_caps("fault-caps-max-msg-fds-1000", "caps-max-msg-fds-1000",
		   "max_msg_fds", 1000);
	fault_caps("fault-caps-max-xfer-1", "caps-max-xfer-1",
		   "max_data_xfer_size", 1);
	fault_caps("fault-caps-bad-type", "caps-bad-type", "max_msg_fds", -1);
	fault_no_version_reply();
	fault_region_info("fault-bad-cap-offset", "bad-cap-offset");
	fault_region_info("fault-cap-loop", "cap-loop");
	fault_region_info("fault-sparse-outside", "sparse-outside");
	fault_region_info("fault-too-many-fds", "too-many-fds");
	fault_region_info("fault-wrong-fd-type", "wrong-fd-type");
	fault_region_info("fault-bar2-sealed", "bar2-sealed");
	fault_region_info("fault-bar2-future-sealed", "bar2-future-sealed");
	fault_region_info("fault-bar2-rdonly", "bar2-rdonly");
	fault_region_info("fault-bar2-wronly", "bar2-wronly");
	fault_count_too_large();
	fault_exit_after();
	fault_exit_after_cmd();
	fault_delay_reply();
	fault_keep_irq_fds();
	fault_dma("fault-dma-oversized-read", "dma-oversized@DMA_READ",
		  VUB_SAMPLE_DMA_DIR_FROM_HOST, VFIO_USER_DMA_READ, 16,
		  0x100000, 4096 + 4096);
	fault_dma("fault-dma-oversized-write", "dma-oversized@DMA_WRITE",
		  VUB_SAMPLE_DMA_DIR_TO_HOST, VFIO_USER_DMA_WRITE,
		  16 + 8192, 0x100000, 8192);
	fault_dma("fault-dma-malformed-write", "dma-malformed",
		  VUB_SAMPLE_DMA_DIR_TO_HOST, VFIO_USER_DMA_WRITE, 16 + 50,
		  0x100000, 100);
	fault_dma("fault-dma-malformed-read", "dma-malformed@DMA_READ",
		  VUB_SAMPLE_DMA_DIR_FROM_HOST, VFIO_USER_DMA_READ, 16 + 8,
		  0x100000, 100);
	fault_dma("fault-dma-bad-addr", "dma-bad-addr",
		  VUB_SAMPLE_DMA_DIR_FROM_HOST, VFIO_USER_DMA_READ, 16,
		  1ULL << 62, 100);
	fault_dma_truncated();
	fault_dma_bad_scope();
	fault_bad_spec();
}
