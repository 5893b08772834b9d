/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the <linux/kernel.h> bits used (fuzzers only). */
#ifndef _VUB_SHIM_LINUX_KERNEL_H
#define _VUB_SHIM_LINUX_KERNEL_H

#include <stdio.h>
#include <linux/types.h>

#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define S64_MAX		((s64)(U64_MAX >> 1))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define fallthrough	__attribute__((__fallthrough__))

#endif
