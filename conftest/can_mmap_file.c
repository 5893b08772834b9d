// SPDX-License-Identifier: GPL-2.0
#include <linux/fs.h>
bool t(struct file *f) { return can_mmap_file(f); }
