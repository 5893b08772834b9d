// SPDX-License-Identifier: GPL-2.0
/*
 * Passing fds over the UNIX socket (fdpass.h).
 */
#include <string.h>
#include <unistd.h>

#include "fdpass.h"

void fdpass_attach(struct msghdr *mh, void *cbuf, const int *fds, int nfds)
{
	struct cmsghdr *cm;

	memset(cbuf, 0, CMSG_SPACE(sizeof(int) * nfds));
	mh->msg_control = cbuf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
}

void fdpass_take(struct msghdr *mh, int *fds, int *nfds, int max)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		int n, i, fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
}
