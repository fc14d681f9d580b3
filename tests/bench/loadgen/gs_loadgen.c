/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-loadgen: a DPDK load generator for gsnet benchmarks.
 *
 * Its own DPDK primary (own file prefix) with one port, by default the client
 * end of a net_memif link whose server end is gs-primary's port. One lcore
 * does everything, in one loop:
 *
 *   1. link up, then ARP for the server's MAC (from 198.19.0.1);
 *   2. CONNECT every session (source 198.19.x.y, its own source port, its
 *      connect nonce in the tag field: a SESSION_ERROR of session 0 that does
 *      not echo it is not believed), retransmitting to the unanswered ones
 *      every 200 ms for up to 5 s;
 *   3. warm up (not measured): twice the memif ring slots of requests, at most
 *      256 in flight, so that the first use of every memif buffer (a page
 *      fault at both ends) does not land in the measurement;
 *   4. for --duration seconds, offer HEARTBEAT / MOVE / ATTACK requests at
 *      --rate (TSC token bucket, bursts of up to 32 frames), round-robin over
 *      the connected sessions, the type drawn by --mix; every request carries
 *      rte_rdtsc() in client_time_ns and the echo gives its round trip;
 *   5. stop TX, receive for 300 ms more, DISCONNECT every session (so the
 *      server neither times them out later nor reuses them), wait, and stop
 *      the port cleanly (memif in DPDK 22.11 can crash the server when its
 *      client leaves while the server is transmitting).
 *
 * Moves keep each entity within 0.75 units of its spawn point (steps of
 * 0.25), so any move is within the server's speed slack even when some are
 * lost. Attacks use skill 1 on the entity of a session spawned elsewhere:
 * OUT_OF_RANGE, still a full round trip through gs-combat.
 *
 * With --cpu-of PID,..., the CPU time those processes (the server's) used
 * during step 4 exactly is read from their CPU clocks (clock_getcpuclockid)
 * and reported as window_cpu_s: CPU per request without the seconds of
 * start-up and wind-down a polling server spends around the load.
 *
 * Result: one line on stdout (or one JSON object with --json):
 *   gs-loadgen: sent= answered= lost= tx_pps= rx_pps= lat_us p50= p90= p99= p999= max=
 *               offered_pps= connects=N/M arp=MAC|failed
 * lost = requests sent without an answer (the server's per-session answers are
 * matched to the session's requests; DAMAGED is counted, never as an answer).
 * Exit status: 0 when every request sent got its answer, 1 otherwise (or on
 * failure), 2 on a usage error.
 *
 * This file: options, EAL and main(); the port is net.c, the phases load.c,
 * the result report.c, their shared state loadgen.h.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "gs_parse.h"

#include "loadgen.h"

#define EXIT_LOSS    1
#define EXIT_USAGE   2
#define MAX_SESSIONS 64000u
#define BYE_WAIT_MS  100u

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t go_flag;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		go_flag++; /* --backlog: 1 sends, 2 says goodbye */
	else
		stop_flag = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gs-loadgen [options] [-- EAL arguments]\n"
		"  --vdev SPEC         port (default net_memif0,role=client,socket=/run/gsnet-bench.sock,id=0)\n"
		"  --file-prefix P     DPDK file prefix (default gsloadgen)\n"
		"  --lcore-cpu N       CPU of the one lcore (default 1: --lcores=0@N)\n"
		"  -m MB               hugepage memory (default 256)\n"
		"  --server-ip A       gsnet server address (default 198.18.0.2)\n"
		"  --server-port P     its game port (default 7777)\n"
		"  --sessions N        sessions, 1..%u (default 1000)\n"
		"  --rate PPS          requests per second offered, 0 = flat out (default 100000)\n"
		"  --duration S        seconds of load (default 10)\n"
		"  --mix H:M:A         percent of heartbeats, moves, attacks (default 20:70:10)\n"
		"  --json              the result as one JSON object\n"
		"  --quiet             no progress on stderr\n"
		"  --poll              busy-poll: never yield the CPU when idle\n"
		"  --warmup N          unmeasured requests first (default: twice the memif ring\n"
		"                      slots, at least 2048; 0 = none)\n"
		"  --cpu-of PID,...    report the CPU time these processes use during the\n"
		"                      measured load (window_cpu_s), at most %u\n"
		"  --memif-rsize N     log2 of the memif ring slots, added to a net_memif --vdev\n"
		"                      without rsize= (default 14: 16384 slots; 0 = driver default 1024)\n"
		"  --backlog N         instead of --rate and --duration: after the warm-up say\n"
		"                      \"backlog ready\" on stderr, wait for SIGUSR1, send N requests\n"
		"                      at once, then collect the answers (up to 60 s) polling once\n"
		"                      a millisecond; say \"backlog answered\" and wait for a\n"
		"                      second SIGUSR1 before the DISCONNECTs; N at most the\n"
		"                      memif ring slots\n"
		"EAL arguments after -- replace the ones built from --vdev, --file-prefix,\n"
		"--lcore-cpu and -m. Exit: 0 no request lost, 1 loss or failure, 2 usage.\n",
		MAX_SESSIONS, MAX_CPU_OF);
}

/* --cpu-of PID,PID,...: the CPU clock of each process. */
static int
parse_cpu_of(struct opts *o, const char *list)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	o->n_cpu_of = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long pid;

		errno = 0;
		pid = strtol(tok, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || o->n_cpu_of == MAX_CPU_OF ||
			clock_getcpuclockid((pid_t)pid, &o->cpu_of[o->n_cpu_of]) != 0)
			return -1;
		o->n_cpu_of++;
	}
	return o->n_cpu_of > 0 ? 0 : -1;
}

static bool
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return gs_parse_u64(s, 10, min, max, out) == 0;
}

static bool
parse_mix(const char *s, unsigned int mix[REQ_KINDS])
{
	unsigned int h, m, a;
	int n = 0;

	if (sscanf(s, "%u:%u:%u%n", &h, &m, &a, &n) != 3 || s[n] != '\0')
		return false;
	if (h > 100 || m > 100 || a > 100 || h + m + a == 0)
		return false;
	mix[REQ_HEARTBEAT] = h;
	mix[REQ_MOVE] = m;
	mix[REQ_ATTACK] = a;
	return true;
}

/* The slots of a memif ring: --memif-rsize, or the driver's 1024. */
static unsigned int
memif_slots(const struct opts *o)
{
	return 1u << (o->memif_rsize ? o->memif_rsize : 10);
}

/* @return 0, or EXIT_USAGE after saying what is wrong; -1 for --help. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		OPT_VDEV = 256,
		OPT_PREFIX,
		OPT_CPU,
		OPT_IP,
		OPT_PORT,
		OPT_SESSIONS,
		OPT_RATE,
		OPT_DURATION,
		OPT_MIX,
		OPT_JSON,
		OPT_QUIET,
		OPT_POLL,
		OPT_RSIZE,
		OPT_WARMUP,
		OPT_CPU_OF,
		OPT_BACKLOG,
	};
	static const struct option longopts[] = {
		{ "vdev", required_argument, NULL, OPT_VDEV },
		{ "file-prefix", required_argument, NULL, OPT_PREFIX },
		{ "lcore-cpu", required_argument, NULL, OPT_CPU },
		{ "server-ip", required_argument, NULL, OPT_IP },
		{ "server-port", required_argument, NULL, OPT_PORT },
		{ "sessions", required_argument, NULL, OPT_SESSIONS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "mix", required_argument, NULL, OPT_MIX },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "poll", no_argument, NULL, OPT_POLL },
		{ "memif-rsize", required_argument, NULL, OPT_RSIZE },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "cpu-of", required_argument, NULL, OPT_CPU_OF },
		{ "backlog", required_argument, NULL, OPT_BACKLOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bad = NULL;
	struct in_addr ia;
	uint64_t v;
	char *end;
	int opt;

	*o = (struct opts){
		.vdev = "net_memif0,role=client,socket=/run/gsnet-bench.sock,id=0",
		.file_prefix = "gsloadgen",
		.lcore_cpu = 1,
		.mem_mb = 256,
		.server_ip = RTE_IPV4(198, 18, 0, 2),
		.server_port = 7777,
		.sessions = 1000,
		.rate = 100000,
		.duration = 10.0,
		.mix = { 20, 70, 10 },
		.memif_rsize = 14,
		.warmup = -1,
	};
	while (bad == NULL && (opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_VDEV:
			o->vdev = optarg;
			break;
		case OPT_PREFIX:
			o->file_prefix = optarg;
			if (*optarg == '\0' || strchr(optarg, '/') != NULL)
				bad = "--file-prefix";
			break;
		case OPT_CPU:
			if (parse_uint(optarg, 0, RTE_MAX_LCORE - 1, &v))
				o->lcore_cpu = (unsigned int)v;
			else
				bad = "--lcore-cpu";
			break;
		case 'm':
			if (parse_uint(optarg, 16, 1u << 20, &v))
				o->mem_mb = (unsigned int)v;
			else
				bad = "-m";
			break;
		case OPT_IP:
			if (inet_pton(AF_INET, optarg, &ia) == 1)
				o->server_ip = ntohl(ia.s_addr);
			else
				bad = "--server-ip";
			break;
		case OPT_PORT:
			if (parse_uint(optarg, 1, 65535, &v))
				o->server_port = (uint16_t)v;
			else
				bad = "--server-port";
			break;
		case OPT_SESSIONS:
			if (parse_uint(optarg, 1, MAX_SESSIONS, &v))
				o->sessions = (unsigned int)v;
			else
				bad = "--sessions";
			break;
		case OPT_RATE:
			if (parse_uint(optarg, 0, UINT64_C(1000000000), &v))
				o->rate = v;
			else
				bad = "--rate";
			break;
		case OPT_DURATION:
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(o->duration > 0) || o->duration > 86400)
				bad = "--duration";
			break;
		case OPT_MIX:
			if (!parse_mix(optarg, o->mix))
				bad = "--mix";
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_POLL:
			o->poll = true;
			break;
		case OPT_WARMUP:
			if (parse_uint(optarg, 0, UINT64_C(1) << 40, &v))
				o->warmup = (int64_t)v;
			else
				bad = "--warmup";
			break;
		case OPT_CPU_OF:
			if (parse_cpu_of(o, optarg) < 0)
				bad = "--cpu-of";
			break;
		case OPT_BACKLOG:
			if (parse_uint(optarg, 1, UINT64_C(1) << 20, &v))
				o->backlog = v;
			else
				bad = "--backlog";
			break;
		case OPT_RSIZE:
			if (parse_uint(optarg, 0, 14, &v))
				o->memif_rsize = (unsigned int)v;
			else
				bad = "--memif-rsize";
			break;
		case 'h':
			usage(stdout);
			return -1;
		default: /* getopt_long() has said what is wrong */
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (bad != NULL) {
		fprintf(stderr, "gs-loadgen: bad value for %s: '%s'\n", bad, optarg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->backlog > memif_slots(o) && strncmp(o->vdev, "net_memif", 9) == 0) {
		fprintf(stderr,
			"gs-loadgen: --backlog %" PRIu64
			" is more than the memif ring's %u slots (--memif-rsize)\n",
			o->backlog, memif_slots(o));
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "gs-loadgen: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	o->eal_argc = argc - optind;
	o->eal_argv = argv + optind;
	return 0;
}

static int
eal_init(const struct opts *o, const char *prog)
{
	char lcores[32], prefix[160], mem[16], vdev[512];
	char *args[64];
	int n = 0;

	args[n++] = (char *)(uintptr_t)prog;
	if (o->eal_argc > 0) {
		for (int i = 0; i < o->eal_argc && n < (int)RTE_DIM(args) - 1; i++)
			args[n++] = o->eal_argv[i];
	} else {
		snprintf(lcores, sizeof(lcores), "--lcores=0@%u", o->lcore_cpu);
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s", o->file_prefix);
		snprintf(mem, sizeof(mem), "%u", o->mem_mb);
		/*
		 * The memif client creates the rings of both directions. Deep rings
		 * keep a loadgen that shares its CPU from dropping replies while it
		 * is descheduled (the driver's 1024 slots last 10 ms at 100 kpps).
		 */
		if (o->memif_rsize != 0 && strncmp(o->vdev, "net_memif", 9) == 0 &&
			strstr(o->vdev, "rsize=") == NULL)
			snprintf(vdev, sizeof(vdev), "--vdev=%s,rsize=%u", o->vdev, o->memif_rsize);
		else
			snprintf(vdev, sizeof(vdev), "--vdev=%s", o->vdev);
		args[n++] = lcores;
		args[n++] = (char *)(uintptr_t) "--no-pci";
		args[n++] = (char *)(uintptr_t) "--proc-type=primary";
		args[n++] = prefix;
		args[n++] = (char *)(uintptr_t) "-m";
		args[n++] = mem;
		args[n++] = (char *)(uintptr_t) "--huge-unlink";
		args[n++] = (char *)(uintptr_t) "--no-telemetry";
		args[n++] = vdev;
		if (o->quiet || o->json)
			args[n++] = (char *)(uintptr_t) "--log-level=*:warning";
	}
	args[n] = NULL;
	return rte_eal_init(n, args);
}

int
main(int argc, char **argv)
{
	static struct lg g;
	int status = EXIT_LOSS, ret;

	g.stop = &stop_flag;
	g.go = &go_flag;

	ret = parse_opts(argc, argv, &g.o);
	if (ret != 0)
		return ret < 0 ? 0 : ret;
	if (eal_init(&g.o, argv[0]) < 0) {
		fprintf(stderr, "gs-loadgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_LOSS;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	g.hz = rte_get_tsc_hz();
	g.ns_per_tsc = 1e9 / (double)g.hz;
	g.rng = rte_rdtsc() | 1u;
	if (gs_auth_init() < 0) {
		fprintf(stderr, "gs-loadgen: libsodium cannot initialise\n");
		goto out_eal;
	}
	randombytes_buf(g.nonce_key, sizeof(g.nonce_key));
	gsc_hist_reset(&g.lat);
	gsc_hist_reset(&g.connect_lat);
	g.window_cpu_s = -1;
	g.s = calloc(g.o.sessions, sizeof(*g.s));
	g.live = calloc(g.o.sessions, sizeof(*g.live));
	if (g.s == NULL || g.live == NULL) {
		fprintf(stderr, "gs-loadgen: out of memory\n");
		goto out_eal;
	}
	for (unsigned int i = 0; i < g.o.sessions; i++) {
		g.s[i].ip = rte_cpu_to_be_32(SRC_IP_BASE + i);
		g.s[i].port = rte_cpu_to_be_16((uint16_t)(SRC_PORT_BASE + i));
	}
	if (net_port_init(&g) != 0)
		goto out_report;
	if (net_wait_link(&g) != 0 || net_resolve_server(&g) != 0)
		goto out_port;
	if (load_connect_all(&g) == 0) {
		fprintf(stderr,
			"gs-loadgen: no session connected: are gs-session and the primary's "
			"[net] udp_port right?\n");
		goto out_bye;
	}
	load_pick_targets(&g);
	if (g.o.warmup != 0)
		load_warm_up(&g, g.o.warmup > 0 ? (uint64_t)g.o.warmup :
						  RTE_MAX(UINT64_C(2048), 2 * memif_slots(&g.o)));
	if (g.o.backlog != 0)
		load_backlog(&g);
	else
		load_offer(&g);
	/* Stop TX, then collect the answers still in flight. */
	net_rx_for(&g, DRAIN_MS);
	status = total_sent(&g) == g.c.answered ? 0 : EXIT_LOSS;
out_bye:
	load_say_goodbye(&g);
	net_rx_for(&g, BYE_WAIT_MS);
	if (!g.o.quiet && !g.o.json)
		fprintf(stderr, "gs-loadgen: %" PRIu64 " DISCONNECTs sent, stopping the port\n",
			g.c.bye_sent);
out_port:
	net_port_close(&g);
out_report:
	report_print(&g, status);
out_eal:
	free(g.s);
	free(g.live);
	rte_eal_cleanup();
	return status;
}
