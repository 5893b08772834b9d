// SPDX-License-Identifier: GPL-2.0
#include <linux/fs.h>
#include <linux/mm.h>
static const struct file_operations f = {
	.get_unmapped_area = thp_get_unmapped_area,
};
const void *t(void) { return f.get_unmapped_area; }
