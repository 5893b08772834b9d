// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user tracepoint definitions.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
