/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/stddef.h> (fuzzers only). */
#ifndef _VUB_SHIM_LINUX_STDDEF_H
#define _VUB_SHIM_LINUX_STDDEF_H
#include <stddef.h>
#endif
