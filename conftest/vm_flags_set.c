// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
void t(struct vm_area_struct *v) { vm_flags_set(v, VM_DONTEXPAND); }
