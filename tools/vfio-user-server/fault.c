// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: --fault=NAME[:N][@CMD].  Each fault acts on the Nth
 * message it matches (default 1), counted over the server's lifetime
 * (across reconnects).  @CMD narrows the match to one command (name as
 * in the protocol, e.g. REGION_READ); faults tied to one reply (VERSION,
 * region info, region read) have that command as their fixed scope.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "server.h"

/* Scope of the faults acting on the server's own DMA requests. */
#define SCOPE_DMA	-3

struct fault_def {
	const char *name;
	int cmd;		/* fixed scope, -1: any command, SCOPE_DMA */
	const char *help;
};

static const struct fault_def defs[VUS_F_NR] = {
	[VUS_F_HANG] = { "hang", -1,
		"stop reading and replying, keep the socket open" },
	[VUS_F_CLOSE_MID_REPLY] = { "close-mid-reply", -1,
		"send half of the reply, then close the connection" },
	[VUS_F_TRUNCATED_REPLY] = { "truncated-reply", -1,
		"reply msg_size 64 bytes larger than sent, then stall" },
	[VUS_F_OVERSIZED_MSG_SIZE] = { "oversized-msg-size", -1,
		"reply with msg_size 0x7fffffff, then stall" },
	[VUS_F_WRONG_MSG_ID] = { "wrong-msg-id", -1,
		"reply carries msg_id + 0x1000" },
	[VUS_F_WRONG_CMD] = { "wrong-cmd", -1,
		"reply carries another command (DEVICE_GET_INFO or REGION_READ)" },
	[VUS_F_ERRNO_ODD] = { "error-reply-odd-errno", -1,
		"Nth reply: error with errno 0, (N+1)th: errno 100000" },
	[VUS_F_ERRNO_ZERO] = { "error-reply-errno-0", -1,
		"error reply with the error bit and errno 0" },
	[VUS_F_ERRNO_HUGE] = { "error-reply-errno-huge", -1,
		"error reply with errno 100000" },
	[VUS_F_ERRNO_PAYLOAD] = { "error-reply-with-payload", -1,
		"error reply (EIO) that keeps the reply's payload, as libvfio-user sends" },
	[VUS_F_BAD_JSON] = { "bad-json", VFIO_USER_VERSION,
		"VERSION reply JSON is malformed (unterminated object)" },
	[VUS_F_DEEP_JSON] = { "deep-json", VFIO_USER_VERSION,
		"VERSION reply JSON nests 100 levels deep (valid JSON)" },
	[VUS_F_HUGE_JSON] = { "huge-json", VFIO_USER_VERSION,
		"VERSION reply JSON larger than 64 KiB (valid JSON)" },
	[VUS_F_CAPS_OUT_OF_RANGE] = { "caps-out-of-range", VFIO_USER_VERSION,
		"max_msg_fds 1000, max_data_xfer_size 1, pgsizes 1, max_dma_maps 100000" },
	[VUS_F_CAPS_FDS_0] = { "caps-max-msg-fds-0", VFIO_USER_VERSION,
		"max_msg_fds 0" },
	[VUS_F_CAPS_FDS_1000] = { "caps-max-msg-fds-1000", VFIO_USER_VERSION,
		"max_msg_fds 1000" },
	[VUS_F_CAPS_XFER_1] = { "caps-max-xfer-1", VFIO_USER_VERSION,
		"max_data_xfer_size 1" },
	[VUS_F_CAPS_BAD_TYPE] = { "caps-bad-type", VFIO_USER_VERSION,
		"max_msg_fds is a string (\"8\")" },
	[VUS_F_BAD_CAP_OFFSET] = { "bad-cap-offset",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: cap_offset points past the reply" },
	[VUS_F_CAP_LOOP] = { "cap-loop", VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: the sparse cap's next points back to itself" },
	[VUS_F_SPARSE_OUTSIDE] = { "sparse-outside",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: sparse area [512K, 1.5M) beyond the 1 MiB region" },
	[VUS_F_TOO_MANY_FDS] = { "too-many-fds",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: 5 fds attached instead of 1" },
	[VUS_F_WRONG_FD_TYPE] = { "wrong-fd-type",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: a pipe instead of the memfd" },
	[VUS_F_COUNT_TOO_LARGE] = { "count-too-large", VFIO_USER_REGION_READ,
		"read reply count = requested + 4 (with 4 extra data bytes)" },
	[VUS_F_NO_VERSION_REPLY] = { "no-version-reply", VFIO_USER_VERSION,
		"never answer VERSION (stall)" },
	[VUS_F_EXIT_AFTER] = { "exit-after", -1,
		"exit(0) after handling N messages (server died)" },
	[VUS_F_DELAY_REPLY] = { "delay-reply", -1,
		"send the reply --delay-ms later (default 2000 ms)" },
	[VUS_F_DMA_OVERSIZED] = { "dma-oversized", SCOPE_DMA,
		"DMA request count = client's max_data_xfer_size + 4096" },
	[VUS_F_DMA_MALFORMED] = { "dma-malformed", SCOPE_DMA,
		"DMA_WRITE carries count/2 data bytes, DMA_READ 8 bytes of data" },
	[VUS_F_DMA_TRUNCATED] = { "dma-truncated", SCOPE_DMA,
		"DMA request msg_size 64 bytes larger than sent, then stall" },
	[VUS_F_DMA_BAD_ADDR] = { "dma-bad-addr", SCOPE_DMA,
		"DMA request address 2^62, outside every DMA_MAP window" },
	[VUS_F_KEEP_IRQ_FDS] = { "keep-irq-fds", VFIO_USER_DEVICE_SET_IRQS,
		"ignore de-assign and disable: keep firing the old fds" },
	[VUS_F_BAR2_SEALED] = { "bar2-sealed",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: a memfd sealed with F_SEAL_WRITE instead of BAR2's" },
	[VUS_F_BAR2_FUTURE_SEALED] = { "bar2-future-sealed",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: a memfd sealed with F_SEAL_FUTURE_WRITE instead of BAR2's" },
	[VUS_F_BAR2_RDONLY] = { "bar2-rdonly",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: BAR2's memfd reopened read-only" },
	[VUS_F_BAR2_WRONLY] = { "bar2-wronly",
		VFIO_USER_DEVICE_GET_REGION_INFO,
		"BAR2 info: BAR2's memfd reopened write-only" },
	[VUS_F_MIG_REFUSE] = { "mig-refuse", VFIO_USER_DEVICE_FEATURE,
		"MIG_DEVICE_STATE SET answered with EIO, state unchanged" },
	[VUS_F_MIG_BAD_STATE] = { "mig-bad-state", VFIO_USER_DEVICE_FEATURE,
		"MIG_DEVICE_STATE reply carries device_state 0x42" },
	[VUS_F_MIG_SHORT_DATA] = { "mig-short-data", VFIO_USER_MIG_DATA_READ,
		"MIG_DATA_READ reply carries half the bytes its size says" },
	[VUS_F_MIG_OVERSIZED_DATA] = { "mig-oversized-data",
		VFIO_USER_MIG_DATA_READ,
		"MIG_DATA_READ reply carries 16 bytes more than requested" },
	[VUS_F_MIG_DMA_STOPPED] = { "mig-dma-stopped", VFIO_USER_REGION_WRITE,
		"DMA GO runs the transfer even while the device is stopped" },
	[VUS_F_MIG_WRITE_REFUSE] = { "mig-write-refuse",
		VFIO_USER_MIG_DATA_WRITE,
		"MIG_DATA_WRITE answered with EIO, the data dropped" },
	[VUS_F_IO_FDS_OVERLAP] = { "io-fds-overlap",
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		"BAR0 io fds: a third ioeventfd overlapping NOTIFY" },
	[VUS_F_IO_FDS_OVERSIZED] = { "io-fds-oversized",
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		"BAR0 io fds: NOTIFY's ioeventfd is 16 bytes wide" },
	[VUS_F_IO_FDS_WRONG_FD_TYPE] = { "io-fds-wrong-fd-type",
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		"BAR0 io fds: a pipe instead of NOTIFY's eventfd" },
	[VUS_F_IO_FDS_TOO_MANY] = { "io-fds-too-many",
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		"BAR0 io fds: 17 announced (argsz too small: header only, as libvfio-user)" },
	[VUS_F_IO_FDS_ERROR] = { "io-fds-error",
		VFIO_USER_DEVICE_GET_REGION_IO_FDS,
		"BAR0 io fds: error reply ENOTSUP (a server without them)" },
	[VUS_F_NOREPLY_ERRORS] = { "noreply-errors", -1,
		"from the Nth on, answer failed NO_REPLY commands with an error reply" },
	[VUS_F_NOREPLY_ACK] = { "noreply-ack", -1,
		"answer the Nth successful NO_REPLY command (a protocol violation)" },
	[VUS_F_BAR0_IO] = { "bar0-io", VFIO_USER_REGION_READ,
		"config space: BAR0 is an I/O BAR (bit 0 set; it still works)" },
};

struct fault_state {
	bool armed;
	uint32_t n;
	uint32_t seen;
	int cmd;
};

static struct fault_state faults[VUS_F_NR];

void vus_fault_usage(FILE *f)
{
	int i;

	fprintf(f, "Faults (--fault=NAME[:N][@CMD], N-th match, default 1):\n");
	for (i = 0; i < VUS_F_NR; i++)
		fprintf(f, "  %-24s %-24s %s\n", defs[i].name,
			defs[i].cmd == SCOPE_DMA ? "DMA_READ/DMA_WRITE" :
			defs[i].cmd < 0 ? "any command" :
			vus_cmd_name(defs[i].cmd), defs[i].help);
	fprintf(f, "Scope \"any command\": replies to client commands (hang: "
		"commands received,\nexit-after: commands handled); "
		"DMA_READ/DMA_WRITE: the server's own DMA requests.\n");
}

int vus_fault_add(const char *spec)
{
	char name[64], *p, *at;
	unsigned long n = 1;
	int i, cmd = -2;

	snprintf(name, sizeof(name), "%s", spec);
	at = strchr(name, '@');
	if (at) {
		*at++ = 0;
		cmd = vus_cmd_from_name(at);
		if (cmd < 0) {
			fprintf(stderr, "unknown command '%s' in --fault\n", at);
			return -1;
		}
	}
	p = strchr(name, ':');
	if (p) {
		char *end;

		*p++ = 0;
		n = strtoul(p, &end, 0);
		if (*end || n == 0 || n > UINT32_MAX) {
			fprintf(stderr, "bad count in --fault=%s\n", spec);
			return -1;
		}
	}
	for (i = 0; i < VUS_F_NR; i++) {
		if (strcmp(defs[i].name, name))
			continue;
		if (cmd >= 0 && defs[i].cmd == SCOPE_DMA &&
		    cmd != VFIO_USER_DMA_READ && cmd != VFIO_USER_DMA_WRITE) {
			fprintf(stderr, "fault %s only applies to DMA_READ/DMA_WRITE\n",
				name);
			return -1;
		}
		if (cmd >= 0 && defs[i].cmd >= 0 && cmd != defs[i].cmd) {
			fprintf(stderr, "fault %s only applies to %s\n", name,
				vus_cmd_name(defs[i].cmd));
			return -1;
		}
		faults[i].armed = true;
		faults[i].n = n;
		faults[i].seen = 0;
		faults[i].cmd = cmd >= 0 ? cmd : defs[i].cmd >= 0 ?
				defs[i].cmd : -1;
		return 0;
	}
	fprintf(stderr, "unknown fault '%s' (see --help)\n", name);
	return -1;
}

bool vus_fault_armed(enum vus_fault_id id)
{
	return faults[id].armed;
}

bool vus_fault_hit(enum vus_fault_id id, uint16_t cmd)
{
	struct fault_state *f = &faults[id];

	if (!f->armed || (f->cmd >= 0 && f->cmd != cmd))
		return false;
	f->seen++;
	if (id == VUS_F_ERRNO_ODD)
		return f->seen == f->n || f->seen == f->n + 1;
	if (id == VUS_F_NOREPLY_ERRORS)
		return f->seen >= f->n;
	return f->seen == f->n;
}

void vus_fault_msg_done(uint16_t cmd)
{
	struct fault_state *f = &faults[VUS_F_EXIT_AFTER];

	if (f->armed && (f->cmd < 0 || f->cmd == cmd) && ++f->seen == f->n) {
		vus_log("fault exit-after:%u: exiting", f->n);
		vus_cleanup_and_exit(0);
	}
}

static int send_error(struct vus_conn *c, struct vfio_user_header *h,
		      uint32_t err)
{
	h->flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR;
	h->error_no = err;
	h->msg_size = VUS_HDR_SIZE;
	vus_send_raw(c, h, VUS_HDR_SIZE, NULL, 0);
	return 1;
}

int vus_fault_reply(struct vus_conn *c, const struct vus_msg *req,
		    struct vfio_user_header *h, const void *payload,
		    uint32_t len, const int *fds, int nfds)
{
	uint16_t cmd = req->hdr.cmd;
	uint8_t *buf;
	size_t total = VUS_HDR_SIZE + len;

	if (vus_fault_hit(VUS_F_DELAY_REPLY, cmd)) {
		struct timespec ts = {
			.tv_sec = vus_opts.delay_ms / 1000,
			.tv_nsec = (vus_opts.delay_ms % 1000) * 1000000L,
		};

		vus_log("fault delay-reply: %u ms", vus_opts.delay_ms);
		/* SIGTERM interrupts the sleep (and stops the server). */
		nanosleep(&ts, NULL);
		if (vus_stop)
			return 1;
	}
	if (vus_fault_hit(VUS_F_WRONG_MSG_ID, cmd)) {
		vus_log("fault wrong-msg-id");
		h->msg_id += 0x1000;
	}
	if (vus_fault_hit(VUS_F_WRONG_CMD, cmd)) {
		vus_log("fault wrong-cmd");
		h->cmd = cmd == VFIO_USER_DEVICE_GET_INFO ?
			 VFIO_USER_REGION_READ : VFIO_USER_DEVICE_GET_INFO;
	}
	if (vus_fault_hit(VUS_F_ERRNO_ODD, cmd)) {
		uint32_t e = faults[VUS_F_ERRNO_ODD].seen ==
			     faults[VUS_F_ERRNO_ODD].n ? 0 : 100000;

		vus_log("fault error-reply-odd-errno (%u)", e);
		return send_error(c, h, e);
	}
	if (vus_fault_hit(VUS_F_ERRNO_ZERO, cmd)) {
		vus_log("fault error-reply-errno-0");
		return send_error(c, h, 0);
	}
	if (vus_fault_hit(VUS_F_ERRNO_HUGE, cmd)) {
		vus_log("fault error-reply-errno-huge");
		return send_error(c, h, 100000);
	}
	if (vus_fault_hit(VUS_F_ERRNO_PAYLOAD, cmd)) {
		vus_log("fault error-reply-with-payload (%u bytes)", len);
		h->flags = VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR;
		h->error_no = EIO;
		buf = malloc(total);
		if (buf) {
			memcpy(buf, h, VUS_HDR_SIZE);
			if (len)
				memcpy(buf + VUS_HDR_SIZE, payload, len);
			vus_send_raw(c, buf, total, NULL, 0);
			free(buf);
		}
		return 1;
	}
	if (vus_fault_hit(VUS_F_OVERSIZED_MSG_SIZE, cmd)) {
		vus_log("fault oversized-msg-size");
		h->msg_size = 0x7fffffff;
		goto send_and_stall;
	}
	if (vus_fault_hit(VUS_F_TRUNCATED_REPLY, cmd)) {
		vus_log("fault truncated-reply");
		h->msg_size += 64;
		goto send_and_stall;
	}
	if (vus_fault_hit(VUS_F_CLOSE_MID_REPLY, cmd)) {
		vus_log("fault close-mid-reply");
		buf = malloc(total);
		if (buf) {
			memcpy(buf, h, VUS_HDR_SIZE);
			if (len)
				memcpy(buf + VUS_HDR_SIZE, payload, len);
			vus_send_raw(c, buf, total / 2, NULL, 0);
			free(buf);
		}
		shutdown(c->fd, SHUT_RDWR);
		c->dead = true;
		return 1;
	}
	return 0;

send_and_stall:
	buf = malloc(total);
	if (buf) {
		memcpy(buf, h, VUS_HDR_SIZE);
		if (len)
			memcpy(buf + VUS_HDR_SIZE, payload, len);
		vus_send_raw(c, buf, total, fds, nfds);
		free(buf);
	}
	c->hung = true;
	return 1;
}
