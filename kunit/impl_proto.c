// SPDX-License-Identifier: GPL-2.0
/* Build drivers/vfio_user/proto.c unchanged inside the KUnit object. */
#include "proto.c"
