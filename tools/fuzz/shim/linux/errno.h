/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/errno.h> (fuzzers only). */
#ifndef _VUB_SHIM_LINUX_ERRNO_H
#define _VUB_SHIM_LINUX_ERRNO_H
#include <asm-generic/errno.h>	/* the numeric values only */
#endif
