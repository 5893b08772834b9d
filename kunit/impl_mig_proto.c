// SPDX-License-Identifier: GPL-2.0
/* Build drivers/vfio_user/mig_proto.c unchanged inside the KUnit object. */
#include "mig_proto.c"
