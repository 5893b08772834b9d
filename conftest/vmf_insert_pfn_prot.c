// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
vm_fault_t t(struct vm_area_struct *v, unsigned long a, unsigned long p,
	     pgprot_t prot) { return vmf_insert_pfn_prot(v, a, p, prot); }
