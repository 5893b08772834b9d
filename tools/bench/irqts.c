// SPDX-License-Identifier: GPL-2.0
/*
 * irqts.so: LD_PRELOAD shim for the sample server, used only by the
 * benchmark.  Every 8-byte write() to an eventfd (the server firing an
 * interrupt into the client's eventfd) first stores a CLOCK_MONOTONIC
 * timestamp and bumps a sequence number in the shared file named by
 * $VUB_BENCH_IRQTS, so the consumer can measure "server eventfd write ->
 * consumer wake-up" without changing the server.  The timestamp is
 * taken immediately before the real write(2).  While vub-bench sets
 * ->off (its fast-path rows, which time the consumer side only), writes
 * go straight through: the /proc lookup is not part of any path.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "bench.h"

static struct irqts *ts;
static ssize_t (*real_write)(int, const void *, size_t);

__attribute__((constructor)) static void irqts_init(void)
{
	const char *path = getenv("VUB_BENCH_IRQTS");
	int fd;

	real_write = (ssize_t (*)(int, const void *, size_t))
		dlsym(RTLD_NEXT, "write");
	if (!path)
		return;
	fd = open(path, O_RDWR);
	if (fd < 0)
		return;
	ts = mmap(NULL, sizeof(*ts), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ts == MAP_FAILED)
		ts = NULL;
	close(fd);
}

static int is_eventfd(int fd)
{
	char p[32], l[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, l, sizeof(l) - 1);
	if (n <= 0)
		return 0;
	l[n] = 0;
	return !strcmp(l, "anon_inode:[eventfd]");
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (ts && count == 8 && !__atomic_load_n(&ts->off, __ATOMIC_RELAXED) &&
	    is_eventfd(fd)) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ts->ns = (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
		__atomic_fetch_add(&ts->seq, 1, __ATOMIC_RELEASE);
	}
	return real_write(fd, buf, count);
}
