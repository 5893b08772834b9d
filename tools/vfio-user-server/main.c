// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-user-server: a sample vfio-user server emulating the PCI test
 * device of tools/include/vub_sample.h, with fault injection for the
 * vfio_user bridge's robustness tests.  See Documentation/sample-server.rst.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "server.h"

int vus_verbose;
volatile int vus_stop;
struct vus_opts vus_opts = {
	.device_name = "vub-sample",
	.max_fds = VUS_DEF_MAX_FDS,
	.max_xfer = VUS_DEF_MAX_XFER,
	.config_size = VUB_SAMPLE_CONFIG_SIZE,
	.delay_ms = VUS_DEF_DELAY_MS,
};

static struct vus_dev dev;
static int listen_fd = -1;

static void vlog(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "vfio-user-server[%d]: %s\n", getpid(), buf);
}

void vus_log(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	errno = saved;
}

void vus_dbg(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!vus_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	errno = saved;
}

void vus_cleanup_and_exit(int code)
{
	if (listen_fd >= 0)
		close(listen_fd);
	if (vus_opts.socket_path)
		unlink(vus_opts.socket_path);
	if (vus_opts.pidfile)
		unlink(vus_opts.pidfile);
	exit(code);
}

static void on_signal(int sig)
{
	(void)sig;
	vus_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-user-server --socket PATH [options]\n"
		"  --socket PATH        UNIX socket to listen on (removed on exit)\n"
		"  --device NAME        device model (only \"vub-sample\")\n"
		"  --fault NAME[:N][@CMD]  inject a fault (repeatable, see below)\n"
		"  --max-fds N          advertised max_msg_fds (0-253, default %u)\n"
		"  --max-xfer N         advertised max_data_xfer_size (4096-64M, default %u)\n"
		"  --config-size N      config space size, 256 or 4096\n"
		"  --delay-ms MS        delay of the delay-reply fault (0-600000, default %u)\n"
		"  --pidfile PATH       write our pid once listening\n"
		"  --once               exit after the first client leaves\n"
		"  --dma-messages       never map DMA regions that come with an fd:\n"
		"                       all DMA by DMA_READ/DMA_WRITE messages\n"
		"  --odirect-file PATH  a file (block device) the GUP probe reads\n"
		"                       with O_DIRECT\n"
		"  --migration          offer migration (STOP_COPY; see mig.c)\n"
		"  --mig-pad-reads      pad short MIG_DATA_READ replies to the\n"
		"                       requested length, as libvfio-user does\n"
		"  -v, --verbose        debug logging to stderr\n"
		"Prints \"ready\" on stdout once listening.\n",
		VUS_DEF_MAX_FDS, VUS_DEF_MAX_XFER, VUS_DEF_DELAY_MS);
	vus_fault_usage(f);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int open_listener(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		vus_log("socket path too long");
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);		/* stale socket */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		vus_log("bind/listen %s: %m", path);
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "fault", required_argument, NULL, 'f' },
		{ "max-fds", required_argument, NULL, 'F' },
		{ "max-xfer", required_argument, NULL, 'X' },
		{ "config-size", required_argument, NULL, 'C' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, 'o' },
		{ "dma-messages", no_argument, NULL, 'M' },
		{ "odirect-file", required_argument, NULL, 'O' },
		{ "migration", no_argument, NULL, 'G' },
		{ "mig-pad-reads", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			vus_opts.socket_path = optarg;
			break;
		case 'd':
			vus_opts.device_name = optarg;
			break;
		case 'f':
			if (vus_fault_add(optarg))
				return 2;
			break;
		case 'F':
			if (parse_u32(optarg, 0, VFIO_USER_MAX_MAX_MSG_FDS,
				      &vus_opts.max_fds))
				goto bad;
			break;
		case 'X':
			if (parse_u32(optarg, VFIO_USER_MIN_MAX_XFER_SIZE,
				      VFIO_USER_MAX_MAX_XFER_SIZE,
				      &vus_opts.max_xfer))
				goto bad;
			break;
		case 'C':
			if (parse_u32(optarg, 256, 4096, &vus_opts.config_size) ||
			    (vus_opts.config_size != 256 &&
			     vus_opts.config_size != 4096))
				goto bad;
			break;
		case 'D':
			if (parse_u32(optarg, 0, 600000, &vus_opts.delay_ms))
				goto bad;
			break;
		case 'p':
			vus_opts.pidfile = optarg;
			break;
		case 'G':
			vus_opts.migration = true;
			break;
		case 'P':
			vus_opts.mig_pad_reads = true;
			break;
		case 'o':
			vus_opts.once = true;
			break;
		case 'M':
			vus_opts.dma_messages = true;
			break;
		case 'O':
			vus_opts.odirect_file = optarg;
			break;
		case 'v':
			vus_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !vus_opts.socket_path)
		goto bad;
	if (strcmp(vus_opts.device_name, "vub-sample") &&
	    strcmp(vus_opts.device_name, "sample")) {
		fprintf(stderr, "unknown device '%s'\n", vus_opts.device_name);
		return 2;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vus_dma_init();

	ret = vus_dev_init(&dev, vus_opts.config_size);
	if (ret) {
		vus_log("device init: %s", strerror(-ret));
		return 1;
	}
	listen_fd = open_listener(vus_opts.socket_path);
	if (listen_fd < 0)
		return 1;
	if (vus_opts.pidfile) {
		FILE *f = fopen(vus_opts.pidfile, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			vus_log("pidfile %s: %m", vus_opts.pidfile);
			vus_cleanup_and_exit(1);
		}
	}
	vus_log("listening on %s (device %s, config %u)", vus_opts.socket_path,
		vus_opts.device_name, vus_opts.config_size);
	printf("ready\n");
	fflush(stdout);

	while (!vus_stop) {
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };
		struct vus_conn c;
		int fd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		vus_log("client connected");
		memset(&c, 0, sizeof(c));
		c.fd = fd;
		c.dev = &dev;
		c.client_max_fds = VFIO_USER_DEF_MAX_MSG_FDS;
		c.client_max_xfer = VFIO_USER_DEF_MAX_XFER_SIZE;
		c.next_id = 0x8000;
		vus_serve(&c);
		close(fd);
		vus_dev_lock();
		vus_dev_disconnect(&dev);
		vus_dev_unlock();
		vus_log("client disconnected, device reset");
		if (vus_opts.once)
			break;
	}
	vus_log("exiting");
	vus_cleanup_and_exit(0);
	return 0;
bad:
	usage(stderr);
	return 2;
}
