/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_BENCH_UDP_H
#define GS_BENCH_UDP_H

/*
 * The kernel UDP sockets of the benchmarks' kernel baselines (gs-kserver,
 * gs-bench-repl --kernel), opened in one place: both are compared with
 * gsnet, so they must not drift apart in how their sockets are set up.
 */
#include <netinet/in.h>

/**
 * Open a UDP socket (close-on-exec) bound to @p addr. A buffer size of 0
 * leaves that buffer at the kernel's default; otherwise it is set with the
 * *BUFFORCE option, which may pass net.core.{r,w}mem_max when the process
 * may (CAP_NET_ADMIN), and else with the plain one, capped at that limit.
 *
 * @return the socket, or -1 (errno set; nothing left open).
 */
int bench_udp_open(const struct sockaddr_in *addr, int rcvbuf, int sndbuf);

#endif /* GS_BENCH_UDP_H */
