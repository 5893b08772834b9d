// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_user: handing files to the server (SCM_RIGHTS).
 *
 * SCM_RIGHTS carries fd numbers, which the socket layer looks up in the
 * sender's file table, current->files.  The files the bridge sends are
 * references it holds and has checked: the consumer's eventfds, relay
 * files.  Installed in the caller's table for the send, they could be
 * closed or replaced (dup2()) by another thread of the caller between
 * the install and the lookup, and the server would get a file of that
 * thread's choosing instead.
 *
 * So the message is sent by a kernel worker: kernel threads share a
 * file table (init_files) that no process can reach.  The worker
 * installs the files at fresh numbers, sends without blocking and
 * closes the numbers again.  The caller waits for it, which is short
 * as the worker never blocks in the socket, and when the socket is full
 * it waits itself, killably, for room before handing it over again.
 */
#include <linux/file.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"

static struct workqueue_struct *vub_fdpass_wq;

struct vub_fdpass_job {
	struct work_struct work;
	struct completion done;
	struct socket *sock;
	struct kvec *vec;
	size_t nvec;
	size_t len;
	struct file *const *files;
	unsigned int nr_files;
	int ret;
};

static void vub_fdpass_work(struct work_struct *work)
{
	struct vub_fdpass_job *job = container_of(work, struct vub_fdpass_job,
						  work);
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * VUB_OUR_MAX_MSG_FDS)];
	} cm;
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
		.msg_control = &cm,
		.msg_controllen = CMSG_SPACE(sizeof(int) * job->nr_files),
	};
	int fds[VUB_OUR_MAX_MSG_FDS];
	unsigned int i, n = 0;
	int ret = 0;

	for (i = 0; i < job->nr_files; i++) {
		int fd = get_unused_fd_flags(O_CLOEXEC);

		if (fd < 0) {
			ret = fd;
			goto out;
		}
		fd_install(fd, get_file(job->files[i]));
		fds[n++] = fd;
	}

	memset(&cm, 0, sizeof(cm));
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(int) * n);
	/*
	 * Address the payload through buf, not CMSG_DATA(&cm.hdr):
	 * FORTIFY_SOURCE (6.12+) would see a write past the end of struct
	 * cmsghdr and WARN.
	 */
	memcpy(cm.buf + CMSG_ALIGN(sizeof(struct cmsghdr)), fds,
	       sizeof(int) * n);
	ret = kernel_sendmsg(job->sock, &msg, job->vec, job->nvec, job->len);
out:
	/* Nothing but this worker uses these numbers: they are ours. */
	for (i = 0; i < n; i++) {
		struct file *f = vub_file_close_fd(fds[i]);

		WARN_ON_ONCE(f != job->files[i]);
		if (f)
			fput(f);
	}
	job->ret = ret;
	complete(&job->done);
}

/* One non-blocking attempt by the worker; kernel_sendmsg()'s result. */
static int vub_fdpass_once(struct socket *sock, struct kvec *vec, size_t nvec,
			   size_t len, struct file *const *files,
			   unsigned int nr_files)
{
	struct vub_fdpass_job job = {
		.sock = sock,
		.vec = vec,
		.nvec = nvec,
		.len = len,
		.files = files,
		.nr_files = nr_files,
	};

	INIT_WORK_ONSTACK(&job.work, vub_fdpass_work);
	init_completion(&job.done);
	queue_work(vub_fdpass_wq, &job.work);
	/* Short: the worker never sleeps in the socket. */
	wait_for_completion(&job.done);
	destroy_work_on_stack(&job.work);
	return job.ret;
}

/* Room for one more small message, or nothing more to wait for. */
static bool vub_fdpass_room(struct sock *sk)
{
	return sk_wmem_alloc_get(sk) < READ_ONCE(sk->sk_sndbuf) ||
	       (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
	       READ_ONCE(sk->sk_err);
}

/**
 * vub_fdpass_send() - send a message with files attached
 * @sock: the connection's socket
 * @vec: the message, @nvec pieces, @len bytes in all
 * @nvec: number of entries of @vec
 * @len: message length, at most %VUB_FDPASS_MAX_MSG
 * @files: the files to attach, referenced by the caller
 * @nr_files: their number, 1 to %VUB_OUR_MAX_MSG_FDS
 * @timeo: how long to wait for room in the socket, in jiffies
 *
 * Context: process context, the connection's send lock held, every
 * signal but SIGKILL blocked (as for a plain send).
 * Return: what kernel_sendmsg() returns (the bytes sent, or -errno),
 * -EAGAIN if there was no room within @timeo, -EINTR on SIGKILL.
 */
int vub_fdpass_send(struct socket *sock, struct kvec *vec, size_t nvec,
		    size_t len, struct file *const *files,
		    unsigned int nr_files, long timeo)
{
	struct sock *sk = sock->sk;
	int ret;

	if (!nr_files || nr_files > VUB_OUR_MAX_MSG_FDS ||
	    len > VUB_FDPASS_MAX_MSG)
		return -EINVAL;
	for (;;) {
		ret = vub_fdpass_once(sock, vec, nvec, len, files, nr_files);
		if (ret != -EAGAIN)
			return ret;
		/*
		 * The socket's wake-ups are for interruptible sleepers;
		 * only SIGKILL is unblocked, so only it interrupts.
		 */
		timeo = wait_event_interruptible_timeout(*sk_sleep(sk),
							 vub_fdpass_room(sk),
							 timeo);
		if (timeo < 0)
			return -EINTR;
		if (!timeo)
			return -EAGAIN;
	}
}

int vub_fdpass_init(void)
{
	vub_fdpass_wq = alloc_workqueue("vfio_user_fdpass", WQ_UNBOUND, 0);
	return vub_fdpass_wq ? 0 : -ENOMEM;
}

void vub_fdpass_exit(void)
{
	destroy_workqueue(vub_fdpass_wq);
}
