// SPDX-License-Identifier: GPL-2.0
#include <linux/fs.h>
int t(struct file *f, struct vm_area_struct *v) { return call_mmap(f, v); }
