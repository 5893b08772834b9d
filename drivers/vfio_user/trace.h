/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_user tracepoints: one event per message sent to or received
 * from a server, request completions, posted-write errors, ioeventfd
 * signals and server faults on the direct-DMA window.  Enable with
 *   echo 1 > /sys/kernel/tracing/events/vfio_user/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfio_user

#if !defined(_VFIO_USER_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VFIO_USER_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include "vub.h"

DECLARE_EVENT_CLASS(vub_msg,
	TP_PROTO(struct vub_device *vd, const struct vfio_user_header *h,
		 unsigned int nr_fds),
	TP_ARGS(vd, h, nr_fds),
	TP_STRUCT__entry(
		__array(char, dev, VUB_NAME_MAX + 1)
		__field(u16, cmd)
		__field(u16, msg_id)
		__field(u32, size)
		__field(u32, flags)
		__field(u32, error)
		__field(unsigned int, nr_fds)
	),
	TP_fast_assign(
		strscpy(__entry->dev, dev_name(&vd->dev), sizeof(__entry->dev));
		__entry->cmd = h->cmd;
		__entry->msg_id = h->msg_id;
		__entry->size = h->msg_size;
		__entry->flags = h->flags;
		__entry->error = h->error_no;
		__entry->nr_fds = nr_fds;
	),
	TP_printk("%s cmd=%u msg_id=%u size=%u flags=%#x error=%u fds=%u",
		  __entry->dev, __entry->cmd, __entry->msg_id, __entry->size,
		  __entry->flags, __entry->error, __entry->nr_fds)
);

DEFINE_EVENT(vub_msg, vub_msg_send,
	TP_PROTO(struct vub_device *vd, const struct vfio_user_header *h,
		 unsigned int nr_fds),
	TP_ARGS(vd, h, nr_fds));

DEFINE_EVENT(vub_msg, vub_msg_recv,
	TP_PROTO(struct vub_device *vd, const struct vfio_user_header *h,
		 unsigned int nr_fds),
	TP_ARGS(vd, h, nr_fds));

/* A request completed (reply, error reply, timeout, signal, broken). */
TRACE_EVENT(vub_req_done,
	TP_PROTO(struct vub_device *vd, u16 cmd, u16 msg_id, int ret),
	TP_ARGS(vd, cmd, msg_id, ret),
	TP_STRUCT__entry(
		__array(char, dev, VUB_NAME_MAX + 1)
		__field(u16, cmd)
		__field(u16, msg_id)
		__field(int, ret)
	),
	TP_fast_assign(
		strscpy(__entry->dev, dev_name(&vd->dev), sizeof(__entry->dev));
		__entry->cmd = cmd;
		__entry->msg_id = msg_id;
		__entry->ret = ret;
	),
	TP_printk("%s cmd=%u msg_id=%u ret=%d", __entry->dev, __entry->cmd,
		  __entry->msg_id, __entry->ret)
);

/* The server answered a posted (NO_REPLY) write with an error. */
TRACE_EVENT(vub_posted_error,
	TP_PROTO(struct vub_device *vd, u16 cmd, int err),
	TP_ARGS(vd, cmd, err),
	TP_STRUCT__entry(
		__array(char, dev, VUB_NAME_MAX + 1)
		__field(u16, cmd)
		__field(int, err)
	),
	TP_fast_assign(
		strscpy(__entry->dev, dev_name(&vd->dev), sizeof(__entry->dev));
		__entry->cmd = cmd;
		__entry->err = err;
	),
	TP_printk("%s cmd=%u errno=%d", __entry->dev, __entry->cmd,
		  __entry->err)
);

/* A consumer write signalled one of the server's ioeventfds. */
TRACE_EVENT(vub_ioeventfd,
	TP_PROTO(struct vub_device *vd, u32 region, u64 offset, u64 data),
	TP_ARGS(vd, region, offset, data),
	TP_STRUCT__entry(
		__array(char, dev, VUB_NAME_MAX + 1)
		__field(u32, region)
		__field(u64, offset)
		__field(u64, data)
	),
	TP_fast_assign(
		strscpy(__entry->dev, dev_name(&vd->dev), sizeof(__entry->dev));
		__entry->region = region;
		__entry->offset = offset;
		__entry->data = data;
	),
	TP_printk("%s region=%u offset=%#llx data=%#llx", __entry->dev,
		  __entry->region, (unsigned long long)__entry->offset,
		  (unsigned long long)__entry->data)
);

/* What a server fault on the direct-DMA window (dma_window.c) did. */
#define VUB_DMAW_FAULT_INSERTED	0	/* PTEs inserted: @len bytes */
#define VUB_DMAW_FAULT_PINNED	1	/* pinned @len bytes, retry */
#define VUB_DMAW_FAULT_WAIT	2	/* range being revoked, retry */
#define VUB_DMAW_FAULT_SIGBUS	3	/* refused, @err says why */

/*
 * A server fault on the window at @iova: @len bytes inserted or
 * pinned, @err the reason of a SIGBUS, @pinned the device's pinned
 * pages afterwards (stats/dma_pinned).
 */
TRACE_EVENT(vub_dmaw_fault,
	TP_PROTO(struct vub_device *vd, u64 iova, u64 len, int result,
		 int err, s64 pinned),
	TP_ARGS(vd, iova, len, result, err, pinned),
	TP_STRUCT__entry(
		__array(char, dev, VUB_NAME_MAX + 1)
		__field(u64, iova)
		__field(u64, len)
		__field(int, result)
		__field(int, err)
		__field(s64, pinned)
	),
	TP_fast_assign(
		strscpy(__entry->dev, dev_name(&vd->dev), sizeof(__entry->dev));
		__entry->iova = iova;
		__entry->len = len;
		__entry->result = result;
		__entry->err = err;
		__entry->pinned = pinned;
	),
	TP_printk("%s iova=%#llx len=%#llx %s err=%d pinned=%lld",
		  __entry->dev, (unsigned long long)__entry->iova,
		  (unsigned long long)__entry->len,
		  __print_symbolic(__entry->result,
				   { VUB_DMAW_FAULT_INSERTED, "inserted" },
				   { VUB_DMAW_FAULT_PINNED, "pinned-retry" },
				   { VUB_DMAW_FAULT_WAIT, "revoking-retry" },
				   { VUB_DMAW_FAULT_SIGBUS, "sigbus" }),
		  __entry->err, (long long)__entry->pinned)
);

#endif /* _VFIO_USER_TRACE_H */

/* Out-of-tree: Kbuild puts drivers/vfio_user on the include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
