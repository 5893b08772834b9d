// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs-wait FILE WANT TIMEOUT_MS: wait with poll() until the sysfs
 * attribute FILE reads WANT (its first line).  sysfs wakes pollers
 * with POLLPRI|POLLERR when the kernel calls sysfs_notify(); the file
 * is re-read after each wake-up.  Prints "READY" once blocked in the
 * first poll() (the caller may then cause the change), then "WOKEN N:
 * <content>" per wake-up; exits 0 when WANT was read after a wake-up,
 * 1 on timeout (no wake-up brought WANT), 2 on usage or I/O errors.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static int read_attr(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	char buf[256];
	long end;
	int fd, wakes = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: sysfs-wait FILE WANT TIMEOUT_MS\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	/* Arm: poll() waits for the next notification after a read. */
	if (fd < 0 || read_attr(fd, buf, sizeof(buf))) {
		perror(argv[1]);
		return 2;
	}
	printf("READY %s\n", buf);
	fflush(stdout);
	end = now_ms() + atol(argv[3]);
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLPRI | POLLERR };
		int r = poll(&p, 1, end - now_ms());

		if (r <= 0)
			break;
		wakes++;
		if (read_attr(fd, buf, sizeof(buf))) {
			/* The device went away: its attribute with it. */
			printf("WOKEN %d: (gone)\n", wakes);
			return strcmp(argv[2], "(gone)") ? 1 : 0;
		}
		printf("WOKEN %d: %s\n", wakes, buf);
		fflush(stdout);
		if (!strcmp(buf, argv[2]))
			return 0;
	}
	printf("TIMEOUT after %d wake-ups: %s\n", wakes, buf);
	return 1;
}
