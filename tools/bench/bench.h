/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vub-bench: shared definitions (see run.sh for the whole picture).
 */
#ifndef VUB_BENCH_H
#define VUB_BENCH_H

#include <stdint.h>
#include <time.h>

/* Shared with irqts.so: when the server last wrote an eventfd. */
struct irqts {
	uint64_t seq;
	uint64_t ns;
	uint32_t off;	/* set by vub-bench: no timestamps, no overhead */
};

static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

#endif /* VUB_BENCH_H */
