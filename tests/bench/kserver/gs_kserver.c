/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-kserver: the kernel-socket baseline for gsnet's benchmarks. One thread,
 * one UDP socket: recvmmsg up to 64 datagrams (blocking, 100 ms timeout so
 * signals and the idle sweep get their turn), handle them with gsnet's
 * protocol and rules (kserver.c), sendmmsg the replies in a batch. No DPDK.
 * SIGINT/SIGTERM: print one summary line and exit 0.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, sched_setaffinity */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gs_parse.h"

#include "bench_udp.h"
#include "kserver.h"

#define RX_BATCH      64
#define RX_BUF	      2048 /* > KS_DATAGRAM_MAX: longer datagrams are seen as such */
#define RX_TIMEOUT_MS 100
#define SOCK_BUF      (8 << 20)
#define DEFAULT_BIND  "127.0.0.1:7777"
#define EXIT_USAGE    2

struct opts {
	struct sockaddr_in bind;
	uint32_t max_sessions;
	int cpu; /* -1: not pinned */
	bool quiet;
	struct gs_world_rules rules;
	unsigned int n_spawns; /* --spawn given so far */
};

struct io {
	int fd;
	struct mmsghdr msgs[KS_TX_MAX];
	struct iovec iov[KS_TX_MAX];
	struct sockaddr_in to[KS_TX_MAX];
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [options]\n"
		"gsnet's protocol and game rules on one kernel UDP socket, one thread (the\n"
		"baseline for gsnet's benchmarks). SIGINT/SIGTERM: print a summary line, exit 0.\n"
		"  --bind IP:PORT         address to serve (default " DEFAULT_BIND ")\n"
		"  --max-sessions N       session table and world size (default %u)\n"
		"  --cpu N                pin the thread to CPU N\n"
		"  --spawn X,Y,Z          a spawn point (repeatable, up to %d; replaces the\n"
		"                         default four), like [world] spawnN\n"
		"  --respawn-ms N         [world] respawn_ms (default 3000)\n"
		"  --max-hp N             [world] max_hp (default 100)\n"
		"  --quiet                no start line, no game counters at exit\n"
		"  -h, --help             this text\n"
		"Summary (stdout): gs-kserver: rx=N tx=N drops=N (reason=N ...) sessions=N\n"
		"cpu_user_s=X cpu_sys_s=Y; sessions = sessions opened over the run.\n",
		prog, KS_DEFAULT_MAX, GS_MAX_SPAWNS);
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (gs_parse_u64(s, 10, min, max, &v) < 0)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

static int
parse_addr(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (parse_uint(colon + 1, 1, 65535, &port) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

static int
parse_point(const char *s, float out[3])
{
	char *end;

	for (int i = 0; i < 3; i++) {
		double v;

		errno = 0;
		v = strtod(s, &end);
		if (errno != 0 || end == s || !isfinite(v) || *end != (i < 2 ? ',' : '\0'))
			return -1;
		out[i] = (float)v;
		s = end + 1;
	}
	return 0;
}

enum {
	OPT_BIND = 256,
	OPT_MAX_SESSIONS,
	OPT_CPU,
	OPT_SPAWN,
	OPT_RESPAWN_MS,
	OPT_MAX_HP,
	OPT_QUIET,
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "spawn", required_argument, NULL, OPT_SPAWN },
		{ "respawn-ms", required_argument, NULL, OPT_RESPAWN_MS },
		{ "max-hp", required_argument, NULL, OPT_MAX_HP },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bad = NULL;
	unsigned long v;
	int opt;

	memset(o, 0, sizeof(*o));
	parse_addr(DEFAULT_BIND, &o->bind);
	o->max_sessions = KS_DEFAULT_MAX;
	o->cpu = -1;
	gs_world_rules_default(&o->rules);
	while (bad == NULL && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_BIND:
			if (parse_addr(optarg, &o->bind) < 0)
				bad = "--bind needs IPv4:PORT";
			break;
		case OPT_MAX_SESSIONS:
			if (parse_uint(optarg, 1, 1u << 24, &v) < 0)
				bad = "--max-sessions needs 1..16777216";
			o->max_sessions = (uint32_t)v;
			break;
		case OPT_CPU:
			if (parse_uint(optarg, 0, CPU_SETSIZE - 1, &v) < 0)
				bad = "--cpu needs a CPU number";
			o->cpu = (int)v;
			break;
		case OPT_SPAWN:
			if (o->n_spawns == GS_MAX_SPAWNS ||
				parse_point(optarg, o->rules.spawns[o->n_spawns]) < 0)
				bad = "--spawn needs X,Y,Z (at most 8 of them)";
			o->rules.n_spawns = ++o->n_spawns;
			break;
		case OPT_RESPAWN_MS:
			if (parse_uint(optarg, 0, 3600000, &v) < 0)
				bad = "--respawn-ms needs 0..3600000";
			o->rules.respawn_ms = (uint32_t)v;
			break;
		case OPT_MAX_HP:
			if (parse_uint(optarg, 1, INT32_MAX, &v) < 0)
				bad = "--max-hp needs a positive number";
			o->rules.max_hp = (int32_t)v;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (bad == NULL && optind < argc)
		bad = "unexpected arguments";
	if (bad != NULL) {
		fprintf(stderr, "gs-kserver: %s\n", bad);
		return -1;
	}
	return 0;
}

/* ks_flush_fn: sendmmsg the replies; a datagram the socket refuses is skipped. */
static unsigned int
io_flush(void *arg, struct ks_out *out, unsigned int n)
{
	struct io *io = arg;
	unsigned int done = 0, sent = 0;

	for (unsigned int i = 0; i < n; i++) {
		io->to[i].sin_family = AF_INET;
		io->to[i].sin_addr.s_addr = out[i].peer.ip;
		io->to[i].sin_port = out[i].peer.port;
		io->iov[i].iov_base = out[i].buf;
		io->iov[i].iov_len = out[i].len;
		memset(&io->msgs[i].msg_hdr, 0, sizeof(io->msgs[i].msg_hdr));
		io->msgs[i].msg_hdr.msg_name = &io->to[i];
		io->msgs[i].msg_hdr.msg_namelen = sizeof(io->to[i]);
		io->msgs[i].msg_hdr.msg_iov = &io->iov[i];
		io->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int r = sendmmsg(io->fd, io->msgs + done, n - done, 0);

		if (r > 0) {
			done += (unsigned int)r;
			sent += (unsigned int)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			done++; /* the first one failed: skip it */
		}
	}
	return sent;
}

static int
open_socket(const struct opts *o)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = RX_TIMEOUT_MS * 1000 };
	int fd = bench_udp_open(&o->bind, SOCK_BUF, SOCK_BUF);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("gs-kserver: bind");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
print_summary(const struct ks_server *ks)
{
	const struct ks_stats *st = &ks->st;
	struct rusage ru;
	uint64_t drops = 0;
	char reasons[512];
	size_t off = 0;

	for (unsigned int d = 0; d < KS_DROP_MAX; d++) {
		drops += st->drops[d];
		off += (size_t)snprintf(reasons + off, sizeof(reasons) - off, "%s%s=%" PRIu64,
			d == 0 ? "" : " ", ks_drop_name((enum ks_drop)d), st->drops[d]);
		if (off >= sizeof(reasons))
			off = sizeof(reasons) - 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("gs-kserver: rx=%" PRIu64 " tx=%" PRIu64 " drops=%" PRIu64 " (%s) sessions=%" PRIu64
	       " cpu_user_s=%.3f cpu_sys_s=%.3f\n",
		st->rx, st->tx, drops, reasons, st->connects,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
}

static void
print_game(const struct ks_server *ks)
{
	const struct ks_stats *st = &ks->st;

	fprintf(stderr,
		"gs-kserver: open=%u connects=%" PRIu64 " reconnects=%" PRIu64
		" disconnects=%" PRIu64 " expired=%" PRIu64 " heartbeats=%" PRIu64 "\n",
		ks->count, st->connects, st->reconnects, st->disconnects, st->expired,
		st->heartbeats);
	fprintf(stderr, "gs-kserver: moves not_owner=%" PRIu64, st->move_not_owner);
	for (unsigned int r = 0; r < GS_MOVE_RESULT_MAX; r++)
		fprintf(stderr, " %s=%" PRIu64, gs_move_result_str((enum gs_move_result)r),
			st->move_results[r]);
	fprintf(stderr, "\ngs-kserver: attacks");
	for (unsigned int r = 0; r < GS_ATTACK_RESULT_MAX; r++)
		fprintf(stderr, " %s=%" PRIu64, gs_attack_result_str((enum gs_attack_result)r),
			st->attack_results[r]);
	fprintf(stderr, " damaged_sent=%" PRIu64 "\n", st->damaged);
}

int
main(int argc, char **argv)
{
	static struct mmsghdr msgs[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	static struct sockaddr_in from[RX_BATCH];
	static uint8_t bufs[RX_BATCH][RX_BUF];
	static struct io io;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct ks_server *ks;
	struct opts o;
	char addr[INET_ADDRSTRLEN];
	int rc = 0;

	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "gs-kserver: cannot pin to CPU %d: %s\n", o.cpu,
				strerror(errno));
			return 1;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	io.fd = open_socket(&o);
	if (io.fd < 0)
		return 1;
	ks = ks_create(o.max_sessions, &o.rules, mono_ns(), io_flush, &io);
	if (ks == NULL) {
		fprintf(stderr, "gs-kserver: %u sessions: %s\n", o.max_sessions, strerror(errno));
		close(io.fd);
		return 1;
	}
	if (!o.quiet)
		fprintf(stderr,
			"gs-kserver: serving %s:%u, %u sessions, world of %zu KiB, CPU %s%d\n",
			inet_ntop(AF_INET, &o.bind.sin_addr, addr, sizeof(addr)),
			ntohs(o.bind.sin_port), o.max_sessions, gs_world_size(o.max_sessions) >> 10,
			o.cpu >= 0 ? "" : "unpinned ", o.cpu >= 0 ? o.cpu : 0);

	for (unsigned int i = 0; i < RX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = RX_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
	}
	while (!stop_requested) {
		int n;
		uint64_t now;

		for (unsigned int i = 0; i < RX_BATCH; i++) {
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_flags = 0;
		}
		/* blocks for the first datagram (SO_RCVTIMEO), takes what else is queued */
		n = recvmmsg(io.fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);
		now = mono_ns();
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			errno != ECONNREFUSED) {
			perror("gs-kserver: recvmmsg");
			rc = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ks_peer peer = {
				.ip = from[i].sin_addr.s_addr,
				.port = from[i].sin_port,
			};

			if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
				msgs[i].msg_len > KS_DATAGRAM_MAX) {
				ks->st.rx++;
				ks_drop(ks, KS_DROP_GS_LENGTH);
				continue;
			}
			ks_input(ks, bufs[i], msgs[i].msg_len, &peer, now);
		}
		ks_tick(ks, now);
		ks_flush(ks);
	}
	ks_flush(ks);
	print_summary(ks);
	if (!o.quiet)
		print_game(ks);
	ks_destroy(ks);
	close(io.fd);
	return rc;
}
