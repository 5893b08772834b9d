// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
void t(struct vm_fault *vmf) { release_fault_lock(vmf); }
