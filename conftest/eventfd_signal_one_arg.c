// SPDX-License-Identifier: GPL-2.0
#include <linux/eventfd.h>
void t(struct eventfd_ctx *c) { eventfd_signal(c); }
