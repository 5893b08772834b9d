// SPDX-License-Identifier: GPL-2.0
/* Build drivers/vfio_user/json.c unchanged inside the KUnit object. */
#include "json.c"
