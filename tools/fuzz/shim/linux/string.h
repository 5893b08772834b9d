/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h> (fuzzers only). */
#ifndef _VUB_SHIM_LINUX_STRING_H
#define _VUB_SHIM_LINUX_STRING_H
#include <string.h>
#endif
