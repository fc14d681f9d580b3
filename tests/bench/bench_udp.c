/* SPDX-License-Identifier: BSD-3-Clause */
#include "bench_udp.h"

#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

static void
set_buf(int fd, int opt_force, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, opt_force, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

int
bench_udp_open(const struct sockaddr_in *addr, int rcvbuf, int sndbuf)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
	if (sndbuf > 0)
		set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf);
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}
