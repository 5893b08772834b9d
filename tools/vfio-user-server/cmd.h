/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sample vfio-user server: device command handlers (cmd.c).
 *
 * Handlers return a negative errno for an error reply, 0 for an empty
 * success reply, or 1 when they already sent their reply.
 */
#ifndef VUS_CMD_H
#define VUS_CMD_H

#include "server.h"

int vus_send_version_reply(struct vus_conn *c, struct vus_msg *m,
			   uint16_t minor);
int vus_cmd_get_info(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_region_info(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_region_io_fds(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_irq_info(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_region_rw(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_write_multi(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_reset(struct vus_conn *c, struct vus_msg *m);
int vus_cmd_feature(struct vus_conn *c, struct vus_msg *m);

#endif /* VUS_CMD_H */
