/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Passing fds over the UNIX socket (fdpass.c), for the server and its
 * test client alike.
 */
#ifndef VUS_FDPASS_H
#define VUS_FDPASS_H

#include <sys/socket.h>

/*
 * Attach @nfds fds to @mh as one SCM_RIGHTS message built in @cbuf,
 * which holds CMSG_SPACE(sizeof(int) * @nfds) bytes at least and is
 * aligned for a struct cmsghdr.
 */
void fdpass_attach(struct msghdr *mh, void *cbuf, const int *fds, int nfds);

/*
 * Take the fds of @mh's SCM_RIGHTS messages (received): into @fds while
 * *@nfds < @max, counting them in *@nfds; the ones beyond are closed.
 */
void fdpass_take(struct msghdr *mh, int *fds, int *nfds, int max);

#endif
