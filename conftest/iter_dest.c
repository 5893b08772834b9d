// SPDX-License-Identifier: GPL-2.0
#include <linux/uio.h>
int t = ITER_DEST;
