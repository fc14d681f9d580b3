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
 */
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "gs_parse.h"
#include "gs_wire.h"

#include "gsclient.h"

#define EXIT_LOSS  1
#define EXIT_USAGE 2

#define BURST		  32u
#define NB_MBUFS	  8191u
#define MBUF_CACHE	  256u
#define NB_DESC		  1024u
#define MAX_SESSIONS	  64000u
#define SRC_PORT_BASE	  1024u
#define SRC_IP_BASE	  RTE_IPV4(198, 19, 0, 16) /* session i: this + i */
#define ARP_SRC_IP	  RTE_IPV4(198, 19, 0, 1)
#define LINK_TIMEOUT_MS	  5000u
#define ARP_TIMEOUT_MS	  2000u
#define ARP_RETRY_MS	  200u
#define CONNECT_RETRY_MS  200u
#define CONNECT_GIVEUP_MS 5000u
#define CONNECT_PPS	  200000u /* pace of CONNECT bursts */
#define DRAIN_MS	  300u
#define WARMUP_WINDOW	  256u /* requests in flight during the warm-up */
#define WARMUP_MAX_MS	  3000u
#define BYE_WAIT_MS	  100u
#define WALK_STEP	  0.25f
#define WALK_PHASES	  12u	/* triangle wave: offsets -0.75 .. +0.75 */
#define FAR_APART	  20.0f /* attack targets at least this far away (skill 1: 5) */
#define SKILL		  1u
#define HDRS_LEN \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
#define RESULTS (GS__ATTACK_RESULT__RESULT__BUSY + 1)
#define REASONS (GS__MOVE_REJECT__REASON__BUSY + 1)

enum req_kind {
	REQ_HEARTBEAT,
	REQ_MOVE,
	REQ_ATTACK,
	REQ_KINDS,
};

enum sess_state {
	SESS_NEW = 0,
	SESS_CONNECTING,
	SESS_CONNECTED,
	SESS_FAILED, /* SESSION_ERROR */
	SESS_CLOSED, /* the server sent DISCONNECT */
};

#define MAX_CPU_OF 16

struct opts {
	const char *vdev;
	const char *file_prefix;
	unsigned int lcore_cpu;
	unsigned int mem_mb;
	uint32_t server_ip; /* host order */
	uint16_t server_port;
	unsigned int sessions;
	uint64_t rate; /* requests/s, 0 = flat out */
	double duration;
	unsigned int mix[REQ_KINDS];
	bool json;
	bool quiet;
	bool poll;		      /* never yield the CPU when idle */
	unsigned int memif_rsize;     /* log2 memif ring slots, 0 = the driver's default */
	int64_t warmup;		      /* requests before the measurement; -1 = auto */
	clockid_t cpu_of[MAX_CPU_OF]; /* CPU clocks of the server's processes */
	unsigned int n_cpu_of;
	int eal_argc;
	char **eal_argv; /* after "--": replaces the EAL arguments built from options */
};

struct sess {
	uint32_t ip;   /* network order */
	uint16_t port; /* network order */
	uint8_t state;
	uint8_t walk;
	uint32_t session_id;
	uint32_t entity_id;
	uint32_t target; /* entity to attack */
	uint32_t tx_seq; /* header sequence */
	uint32_t move_seq;
	uint32_t attack_seq;
	uint32_t outstanding; /* requests sent and not answered yet */
	float base[3];	      /* the walk's centre: spawn, or where the server snapped us */
	float spawn[3];
};

struct counters {
	uint64_t sent[REQ_KINDS];
	uint64_t answered;
	uint64_t unmatched; /* an answer when the session had none outstanding */
	uint64_t bad_echo;  /* an echoed client time or connect nonce that is not one of ours */
	uint64_t tx_full;   /* frames the port did not take */
	uint64_t alloc_fail;
	uint64_t rx_frames;
	uint64_t rx_replies; /* gsnet datagrams from the server */
	uint64_t rx_bad;     /* gsnet datagrams that do not parse */
	uint64_t rx_other;   /* frames that are not gsnet replies to a session of ours */
	uint64_t by_type[GSC_MSG_TYPES];
	uint64_t attack_result[RESULTS + 1];
	uint64_t move_reject[REASONS + 1];
	uint64_t connect_sent;
	uint64_t connect_accepted;
	uint64_t session_errors;
	uint64_t connect_failed; /* SESSION_ERROR while connecting */
	uint64_t disconnects;	 /* from the server */
	uint64_t bye_sent;	 /* our DISCONNECTs at the end */
};

struct lg {
	struct opts o;
	uint16_t port_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	struct rte_ether_addr server_mac;
	uint64_t hz;
	double ns_per_tsc;
	struct sess *s;
	uint32_t *live; /* indexes of connected sessions */
	unsigned int n_live;
	unsigned int cursor;
	uint64_t last_tsc; /* client_time_ns values are strictly increasing */
	uint64_t run_tsc;  /* first request's time: older echoes are not ours */
	uint64_t rng;
	uint8_t nonce_key[crypto_shorthash_KEYBYTES]; /* random per run: connect nonces */
	bool rx_count_on;   /* count replies into rx_window (the TX phase) */
	uint64_t rx_window; /* replies received during the TX phase */
	bool arp_ok;
	unsigned int arp_tries;
	double arp_ms;
	double connect_ms;
	double tx_secs;
	double window_cpu_s; /* --cpu-of processes' CPU during the TX phase; -1: not asked */
	uint64_t warm_sent;
	uint64_t warm_answered;
	double warm_ms;
	/* progress: the last report's figures, and the highest latency since */
	uint64_t tick_sent;
	uint64_t tick_answered;
	uint64_t tick_tsc;
	uint64_t tick_max;
	struct counters c;
	struct gsc_msg msg;
	struct gsc_hist lat;
	struct gsc_hist connect_lat;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
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

/* The --cpu-of processes' CPU time so far, seconds; -1 when one has gone. */
static double
cpu_of_now(const struct opts *o)
{
	double total = 0;

	for (unsigned int i = 0; i < o->n_cpu_of; i++) {
		struct timespec ts;

		if (clock_gettime(o->cpu_of[i], &ts) != 0)
			return -1;
		total += (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	return total;
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

static inline uint64_t
ms_tsc(const struct lg *g, uint64_t ms)
{
	return g->hz * ms / 1000u;
}

static inline double
tsc_ms(const struct lg *g, uint64_t cycles)
{
	return (double)cycles * g->ns_per_tsc / 1e6;
}

static inline uint64_t
next_rand(struct lg *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
}

/*
 * The connect nonce of session @p idx (the auth_tag field of its CONNECTs,
 * echoed by the server's answers of session 0): a keyed hash of the index
 * under a key drawn per run, so every session's one attempt has its own,
 * with no room taken in struct sess.
 */
static void
connect_nonce(const struct lg *g, uint32_t idx, uint8_t nonce[GS_WIRE_AUTH_LEN])
{
	uint8_t in[4] = { (uint8_t)(idx >> 24), (uint8_t)(idx >> 16), (uint8_t)(idx >> 8),
		(uint8_t)idx };

	crypto_shorthash(nonce, in, sizeof(in), g->nonce_key);
}

/* Does @p m, of session 0, echo the connect nonce of session @p s? */
static bool
echoes_nonce(const struct lg *g, const struct sess *s, const struct gsc_msg *m)
{
	uint8_t nonce[GS_WIRE_AUTH_LEN];

	connect_nonce(g, (uint32_t)(s - g->s), nonce);
	return sodium_memcmp(m->hdr.auth_tag, nonce, sizeof(nonce)) == 0;
}

/* A client time that identifies one request: TSC, strictly increasing. */
static inline uint64_t
stamp(struct lg *g)
{
	uint64_t t = rte_rdtsc();

	if (t <= g->last_tsc)
		t = g->last_tsc + 1;
	g->last_tsc = t;
	return t;
}

static int
port_init(struct lg *g)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int sock = (int)rte_socket_id();
	int ret;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "gs-loadgen: need exactly one port, found %u (--vdev)\n",
			rte_eth_dev_count_avail());
		return -1;
	}
	g->port_id = 0;
	RTE_ETH_FOREACH_DEV(g->port_id)
		break;

	g->pool = rte_pktmbuf_pool_create(
		"lg_pool", NB_MBUFS, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	if (g->pool == NULL) {
		fprintf(stderr, "gs-loadgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	memset(&info, 0, sizeof(info));
	ret = rte_eth_dev_info_get(g->port_id, &info);
	if (ret == 0)
		ret = rte_eth_dev_configure(g->port_id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(g->port_id, 0, NB_DESC, sock, NULL, g->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(g->port_id, 0, NB_DESC, sock, NULL);
	if (ret == 0)
		ret = rte_eth_macaddr_get(g->port_id, &g->mac);
	if (ret == 0)
		ret = rte_eth_dev_start(g->port_id);
	if (ret != 0) {
		fprintf(stderr,
			"gs-loadgen: port %u (%s) does not start: %s (for memif: is the server end, "
			"gs-primary with role=server, listening on the socket?)\n",
			g->port_id, info.driver_name != NULL ? info.driver_name : "?",
			rte_strerror(-ret));
		return -1;
	}
	return 0;
}

/* Fill Ethernet, IPv4 and UDP headers for a datagram of @p dlen bytes from session @p s. */
static void
put_headers(const struct lg *g, uint8_t *p, const struct sess *s, uint16_t dlen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t udp_len = (uint16_t)(sizeof(*udp) + dlen);

	rte_ether_addr_copy(&g->server_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + udp_len));
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = s->ip;
	ip->dst_addr = rte_cpu_to_be_32(g->o.server_ip);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = s->port;
	udp->dst_port = rte_cpu_to_be_16(g->o.server_port);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0; /* none */
}

/* Frame one gsnet message of @p type from session @p s into @p m. */
static int
build(struct lg *g, struct rte_mbuf *m, struct sess *s, uint8_t type, const ProtobufCMessage *pb)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	size_t cap = rte_pktmbuf_tailroom(m), dlen;
	int ret;

	if (cap < HDRS_LEN + GS_WIRE_HDR_LEN)
		return -ENOSPC;
	ret = gsc_frame_build(
		p + HDRS_LEN, cap - HDRS_LEN, type, s->session_id, s->tx_seq, pb, &dlen);
	if (ret < 0)
		return ret;
	put_headers(g, p, s, (uint16_t)dlen);
	m->data_len = (uint16_t)(HDRS_LEN + dlen);
	m->pkt_len = m->data_len;
	s->tx_seq++;
	return 0;
}

/* Send @p n frames; what the port does not take within a few tries is freed and counted. */
static unsigned int
send_all(struct lg *g, struct rte_mbuf **m, unsigned int n, unsigned int tries)
{
	unsigned int sent = 0;

	while (sent < n && tries-- > 0)
		sent += rte_eth_tx_burst(g->port_id, 0, m + sent, (uint16_t)(n - sent));
	if (sent < n) {
		g->c.tx_full += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
	return sent;
}

static void
print_mac(char *buf, size_t cap, const struct rte_ether_addr *a)
{
	rte_ether_format_addr(buf, (uint16_t)cap, a);
}

/* ---- receive ---------------------------------------------------------------------------- */

static void
on_answer(struct lg *g, struct sess *s, uint64_t echo, uint64_t now)
{
	uint64_t lat;

	if (echo < g->run_tsc || echo > now) {
		g->c.bad_echo++;
		return;
	}
	if (s->outstanding == 0) {
		g->c.unmatched++;
		return;
	}
	s->outstanding--;
	g->c.answered++;
	lat = (uint64_t)((double)(now - echo) * g->ns_per_tsc);
	gsc_hist_add(&g->lat, lat);
	if (lat > g->tick_max)
		g->tick_max = lat;
}

static void
on_accept(struct lg *g, struct sess *s, const struct gsc_msg *m, uint64_t now)
{
	const Gs__ConnectAccept *a = m->u.accept;

	if (s->state != SESS_CONNECTING || a->session_id == 0 || a->session_id != m->hdr.session_id)
		return; /* a duplicate (CONNECT retransmits) or nonsense */
	s->state = SESS_CONNECTED;
	s->session_id = a->session_id;
	s->entity_id = a->entity_id;
	s->spawn[0] = s->base[0] = a->spawn_x;
	s->spawn[1] = s->base[1] = a->spawn_y;
	s->spawn[2] = s->base[2] = a->spawn_z;
	g->c.connect_accepted++;
	if (a->client_time_ns <= now)
		gsc_hist_add(&g->connect_lat,
			(uint64_t)((double)(now - a->client_time_ns) * g->ns_per_tsc));
}

static void
on_datagram(struct lg *g, struct sess *s, const uint8_t *p, size_t len, uint64_t now)
{
	struct gsc_msg *m = &g->msg;
	uint8_t type;

	if (gsc_frame_parse(p, len, m) != 0) {
		g->c.rx_bad++;
		return;
	}
	type = m->hdr.type;
	g->c.rx_replies++;
	g->c.by_type[type]++;
	if (g->rx_count_on)
		g->rx_window++;
	switch (type) {
	case GS_MSG_CONNECT_ACCEPT:
		on_accept(g, s, m, now);
		break;
	case GS_MSG_SESSION_ERROR:
		if (m->hdr.session_id == 0 && !echoes_nonce(g, s, m)) {
			g->c.bad_echo++; /* no answer to our CONNECT: forged */
			break;
		}
		g->c.session_errors++;
		if (s->state == SESS_CONNECTING) {
			s->state = SESS_FAILED;
			g->c.connect_failed++;
		}
		break;
	case GS_MSG_DISCONNECT:
		g->c.disconnects++;
		s->state = SESS_CLOSED;
		break;
	case GS_MSG_HEARTBEAT_ACK:
		on_answer(g, s, m->u.heartbeat_ack->client_time_ns, now);
		break;
	case GS_MSG_MOVE_ACK:
		on_answer(g, s, m->u.move_ack->client_time_ns, now);
		break;
	case GS_MSG_MOVE_REJECT: {
		const Gs__MoveReject *r = m->u.move_reject;

		g->c.move_reject[(unsigned int)r->reason < REASONS ? (unsigned int)r->reason :
								     REASONS]++;
		if (r->reason == GS__MOVE_REJECT__REASON__TOO_FAST ||
			r->reason == GS__MOVE_REJECT__REASON__DEAD ||
			r->reason == GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS) {
			/* snap to the authoritative position */
			s->base[0] = r->x;
			s->base[1] = r->y;
			s->base[2] = r->z;
			s->walk = 0;
		}
		on_answer(g, s, r->client_time_ns, now);
		break;
	}
	case GS_MSG_ATTACK_RESULT: {
		const Gs__AttackResult *r = m->u.attack_result;

		g->c.attack_result[(unsigned int)r->result < RESULTS ? (unsigned int)r->result :
								       RESULTS]++;
		on_answer(g, s, r->client_time_ns, now);
		break;
	}
	default: /* DAMAGED and anything else: not an answer */
		break;
	}
}

static void
on_arp(struct lg *g, const uint8_t *p, uint32_t len)
{
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)p;

	if (len < sizeof(*arp) || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY) ||
		arp->arp_data.arp_sip != rte_cpu_to_be_32(g->o.server_ip))
		return;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &g->server_mac);
	g->arp_ok = true;
}

static void
on_frame(struct lg *g, struct rte_mbuf *mb, uint64_t now)
{
	const uint8_t *p = rte_pktmbuf_mtod(mb, const uint8_t *);
	uint32_t len = mb->data_len;
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t ihl, total, idx;
	struct sess *s;

	g->c.rx_frames++;
	if (mb->nb_segs != 1 || len < sizeof(*eth))
		goto other;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		on_arp(g, p + sizeof(*eth), len - (uint32_t)sizeof(*eth));
		return;
	}
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp))
		goto other;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (ip->version_ihl & 0xfu) * 4u;
	total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || total < ihl + sizeof(*udp) ||
		sizeof(*eth) + total > len || ip->next_proto_id != IPPROTO_UDP ||
		ip->src_addr != rte_cpu_to_be_32(g->o.server_ip))
		goto other;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (udp->src_port != rte_cpu_to_be_16(g->o.server_port) ||
		rte_be_to_cpu_16(udp->dgram_len) != total - ihl)
		goto other;
	idx = (uint32_t)rte_be_to_cpu_16(udp->dst_port) - SRC_PORT_BASE;
	if (idx >= g->o.sessions)
		goto other;
	s = &g->s[idx];
	if (ip->dst_addr != s->ip)
		goto other;
	on_datagram(g, s, (const uint8_t *)(udp + 1), total - ihl - sizeof(*udp), now);
	return;
other:
	g->c.rx_other++;
}

/* Receive and handle one burst. @return frames received. */
static unsigned int
rx_poll(struct lg *g)
{
	struct rte_mbuf *mb[BURST];
	uint16_t n = rte_eth_rx_burst(g->port_id, 0, mb, BURST);
	uint64_t now;

	if (n == 0)
		return 0;
	now = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++)
		on_frame(g, mb[i], now);
	rte_pktmbuf_free_bulk(mb, n);
	return n;
}

static void
idle(const struct lg *g)
{
	if (g->o.poll)
		rte_pause();
	else
		sched_yield(); /* the handlers may share this CPU */
}

/* Receive for @p ms milliseconds. */
static void
rx_for(struct lg *g, uint64_t ms)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, ms);

	while (rte_rdtsc() < end)
		if (rx_poll(g) == 0)
			idle(g);
}

/* ---- phases ----------------------------------------------------------------------------- */

static int
wait_link(struct lg *g)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, LINK_TIMEOUT_MS);
	struct rte_eth_link link;

	do {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(g->port_id, &link) == 0 &&
			link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_us_sleep(10000);
	} while (rte_rdtsc() < end && !stop_flag);
	fprintf(stderr,
		"gs-loadgen: port link still down after %u ms: is the server end up (gs-primary with "
		"net_memif role=server on the same socket)?\n",
		LINK_TIMEOUT_MS);
	return -1;
}

static int
resolve_server(struct lg *g)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + ms_tsc(g, ARP_TIMEOUT_MS), next = t0;
	char ipbuf[INET_ADDRSTRLEN];
	struct in_addr ia = { .s_addr = rte_cpu_to_be_32(g->o.server_ip) };

	inet_ntop(AF_INET, &ia, ipbuf, sizeof(ipbuf));
	while (!g->arp_ok && !stop_flag) {
		uint64_t now = rte_rdtsc();

		if (now >= end)
			break;
		if (now >= next) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
			struct rte_ether_hdr *eth;
			struct rte_arp_hdr *arp;

			if (m == NULL)
				return -1;
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			arp = (struct rte_arp_hdr *)(eth + 1);
			memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
			rte_ether_addr_copy(&g->mac, &eth->src_addr);
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
			arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
			arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			arp->arp_hlen = RTE_ETHER_ADDR_LEN;
			arp->arp_plen = 4;
			arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
			rte_ether_addr_copy(&g->mac, &arp->arp_data.arp_sha);
			arp->arp_data.arp_sip = RTE_BE32(ARP_SRC_IP);
			memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
			arp->arp_data.arp_tip = rte_cpu_to_be_32(g->o.server_ip);
			m->data_len = m->pkt_len = (uint32_t)(sizeof(*eth) + sizeof(*arp));
			g->arp_tries++;
			send_all(g, &m, 1, 100);
			next = now + ms_tsc(g, ARP_RETRY_MS);
		}
		if (rx_poll(g) == 0)
			rte_delay_us_sleep(100);
	}
	g->arp_ms = tsc_ms(g, rte_rdtsc() - t0);
	if (!g->arp_ok) {
		fprintf(stderr,
			"gs-loadgen: no ARP reply for %s after %u ms (%u requests): is the server's "
			"[net] ip %s?\n",
			ipbuf, ARP_TIMEOUT_MS, g->arp_tries, ipbuf);
		return -1;
	}
	if (!g->o.quiet) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		print_mac(mac, sizeof(mac), &g->server_mac);
		fprintf(stderr, "gs-loadgen: %s is at %s (ARP, %.1f ms, %u request(s))\n", ipbuf,
			mac, g->arp_ms, g->arp_tries);
	}
	return 0;
}

/* CONNECT every session; retransmit to the unanswered ones. @return sessions connected. */
static unsigned int
connect_all(struct lg *g)
{
	uint64_t t0 = rte_rdtsc(), giveup = t0 + ms_tsc(g, CONNECT_GIVEUP_MS);
	uint64_t pass_start = t0, per_burst = g->hz * BURST / CONNECT_PPS, next_burst = t0;
	unsigned int cursor = 0, pending;
	bool pass_done = false;

	for (;;) {
		uint64_t now = rte_rdtsc();

		if (now >= giveup || stop_flag)
			break;
		if (pass_done && now - pass_start >= ms_tsc(g, CONNECT_RETRY_MS)) {
			pass_done = false; /* retransmit to the sessions still waiting */
			cursor = 0;
			pass_start = now;
		}
		if (!pass_done && now >= next_burst) {
			struct rte_mbuf *m[BURST];
			unsigned int n = 0;

			if (rte_pktmbuf_alloc_bulk(g->pool, m, BURST) != 0) {
				g->c.alloc_fail++;
			} else {
				for (; cursor < g->o.sessions && n < BURST; cursor++) {
					struct sess *s = &g->s[cursor];
					Gs__Connect c = GS__CONNECT__INIT;

					if (s->state != SESS_NEW && s->state != SESS_CONNECTING)
						continue;
					c.client_version = 1;
					c.player_id = cursor + 1u;
					c.client_time_ns = stamp(g);
					if (build(g, m[n], s, GS_MSG_CONNECT, &c.base) == 0) {
						connect_nonce(g, cursor,
							rte_pktmbuf_mtod_offset(m[n], uint8_t *,
								HDRS_LEN + GS_WIRE_AUTH_OFF));
						s->state = SESS_CONNECTING;
						n++;
					}
				}
				if (n < BURST)
					rte_pktmbuf_free_bulk(m + n, BURST - n);
				g->c.connect_sent += send_all(g, m, n, 1000);
			}
			if (cursor >= g->o.sessions)
				pass_done = true;
			next_burst = now + per_burst;
		}
		pending =
			g->o.sessions - (unsigned int)(g->c.connect_accepted + g->c.connect_failed);
		if (pending == 0)
			break;
		if (rx_poll(g) == 0 && pass_done)
			idle(g);
	}
	g->connect_ms = tsc_ms(g, rte_rdtsc() - t0);

	g->n_live = 0;
	for (unsigned int i = 0; i < g->o.sessions; i++)
		if (g->s[i].state == SESS_CONNECTED)
			g->live[g->n_live++] = i;
	if (!g->o.quiet || g->n_live < g->o.sessions)
		fprintf(stderr,
			"gs-loadgen: %u/%u sessions connected in %.1f ms (%" PRIu64
			" CONNECTs sent, %" PRIu64 " session errors)%s\n",
			g->n_live, g->o.sessions, g->connect_ms, g->c.connect_sent,
			g->c.session_errors,
			g->n_live < g->o.sessions ? ": gave up on the rest" : "");
	return g->n_live;
}

static float
dist2(const float a[3], const float b[3])
{
	float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];

	return dx * dx + dy * dy + dz * dz;
}

/* Every connected session attacks the entity of a session spawned far from it. */
static void
pick_targets(struct lg *g)
{
	for (unsigned int k = 0; k < g->n_live; k++) {
		struct sess *s = &g->s[g->live[k]];
		unsigned int tries = g->n_live < 64 ? g->n_live : 64;

		s->target = g->n_live > 1 ? g->s[g->live[(k + 1) % g->n_live]].entity_id : 0;
		for (unsigned int j = 1; j < tries; j++) {
			const struct sess *t = &g->s[g->live[(k + j) % g->n_live]];

			if (dist2(s->spawn, t->spawn) > FAR_APART * FAR_APART) {
				s->target = t->entity_id;
				break;
			}
		}
	}
}

static inline float
walk_offset(uint8_t phase)
{
	/* 0, .25, .5, .75, .5, .25, 0, -.25, -.5, -.75, -.5, -.25 */
	static const int8_t tri[WALK_PHASES] = { 0, 1, 2, 3, 2, 1, 0, -1, -2, -3, -2, -1 };

	return WALK_STEP * (float)tri[phase % WALK_PHASES];
}

static inline enum req_kind
pick_kind(struct lg *g)
{
	unsigned int sum = g->o.mix[0] + g->o.mix[1] + g->o.mix[2];
	unsigned int r = (unsigned int)((next_rand(g) >> 33) % sum);

	if (r < g->o.mix[REQ_HEARTBEAT])
		return REQ_HEARTBEAT;
	if (r < g->o.mix[REQ_HEARTBEAT] + g->o.mix[REQ_MOVE])
		return REQ_MOVE;
	return REQ_ATTACK;
}

/* Build the next request of the round-robin into @p m. @return its kind, or -1. */
static int
next_request(struct lg *g, struct rte_mbuf *m, struct sess **sp)
{
	struct sess *s;
	enum req_kind kind;
	int ret;

	for (unsigned int tries = 0;; tries++) {
		if (tries >= g->n_live)
			return -1;
		s = &g->s[g->live[g->cursor]];
		if (++g->cursor >= g->n_live)
			g->cursor = 0;
		if (s->state == SESS_CONNECTED)
			break;
	}
	kind = pick_kind(g);
	switch (kind) {
	case REQ_HEARTBEAT: {
		Gs__Heartbeat hb = GS__HEARTBEAT__INIT;

		hb.client_time_ns = stamp(g);
		ret = build(g, m, s, GS_MSG_HEARTBEAT, &hb.base);
		break;
	}
	case REQ_MOVE: {
		Gs__Move mv = GS__MOVE__INIT;

		s->walk = (uint8_t)((s->walk + 1) % WALK_PHASES);
		mv.entity_id = s->entity_id;
		mv.x = s->base[0] + walk_offset(s->walk);
		mv.y = s->base[1];
		mv.z = s->base[2];
		mv.seq = ++s->move_seq;
		mv.client_time_ns = stamp(g);
		ret = build(g, m, s, GS_MSG_MOVE, &mv.base);
		break;
	}
	default: {
		Gs__Attack at = GS__ATTACK__INIT;

		at.attacker = s->entity_id;
		at.target = s->target;
		at.skill = SKILL;
		at.seq = ++s->attack_seq;
		at.client_time_ns = stamp(g);
		ret = build(g, m, s, GS_MSG_ATTACK, &at.base);
		break;
	}
	}
	if (ret < 0)
		return -1;
	*sp = s;
	return (int)kind;
}

static uint64_t
total_sent(const struct lg *g)
{
	return g->c.sent[REQ_HEARTBEAT] + g->c.sent[REQ_MOVE] + g->c.sent[REQ_ATTACK];
}

/* One line a second on stderr: rates and the worst latency since the last line. */
static void
progress(struct lg *g, uint64_t now, uint64_t t0)
{
	double dt = tsc_ms(g, now - g->tick_tsc) / 1e3;
	uint64_t sent = total_sent(g);

	if (dt <= 0)
		return;
	fprintf(stderr,
		"gs-loadgen: t=%.0fs tx %.0f pps, answers %.0f pps, outstanding %" PRIu64
		", max latency %.0f us\n",
		tsc_ms(g, now - t0) / 1e3, (double)(sent - g->tick_sent) / dt,
		(double)(g->c.answered - g->tick_answered) / dt, sent - g->c.answered,
		(double)g->tick_max / 1e3);
	g->tick_sent = sent;
	g->tick_answered = g->c.answered;
	g->tick_tsc = now;
	g->tick_max = 0;
}

/* Build and send up to @p want requests. @return how many were built (sent or dropped). */
static unsigned int
send_requests(struct lg *g, unsigned int want)
{
	struct rte_mbuf *m[BURST];
	struct sess *who[BURST];
	uint8_t kind[BURST];
	unsigned int n = 0, got;

	if (want == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(g->pool, m, want) != 0) {
		g->c.alloc_fail++;
		return 0;
	}
	for (; n < want; n++) {
		int k = next_request(g, m[n], &who[n]);

		if (k < 0)
			break;
		kind[n] = (uint8_t)k;
	}
	if (n < want)
		rte_pktmbuf_free_bulk(m + n, want - n);
	got = send_all(g, m, n, 4);
	for (unsigned int i = 0; i < got; i++) {
		who[i]->outstanding++;
		g->c.sent[kind[i]]++;
	}
	return n;
}

/* Forget the requests of the warm-up; the connect figures stay. */
static void
reset_counters(struct lg *g)
{
	struct counters keep = g->c;

	memset(&g->c, 0, sizeof(g->c));
	g->c.connect_sent = keep.connect_sent;
	g->c.connect_accepted = keep.connect_accepted;
	g->c.connect_failed = keep.connect_failed;
	g->c.session_errors = keep.session_errors;
	g->c.by_type[GS_MSG_CONNECT_ACCEPT] = keep.by_type[GS_MSG_CONNECT_ACCEPT];
	g->c.by_type[GS_MSG_SESSION_ERROR] = keep.by_type[GS_MSG_SESSION_ERROR];
	for (unsigned int i = 0; i < g->o.sessions; i++)
		g->s[i].outstanding = 0;
	gsc_hist_reset(&g->lat);
}

/*
 * Warm-up, not measured: @p count requests of the mix, at most WARMUP_WINDOW
 * unanswered at a time, then their answers. Both ends page-fault every memif
 * buffer the first time they use it (16384 slots a direction with rsize 14:
 * ~0.3 s of stalls at 100 kpps otherwise), and the handlers touch each
 * session's and entity's state for the first time.
 */
static void
warm_up(struct lg *g, uint64_t count)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + ms_tsc(g, WARMUP_MAX_MS);

	g->run_tsc = t0;
	g->cursor = 0;
	while (!stop_flag && total_sent(g) < count && rte_rdtsc() < end) {
		uint64_t sent = total_sent(g), out = sent - g->c.answered;
		uint64_t want = out >= WARMUP_WINDOW ? 0 : WARMUP_WINDOW - out;

		unsigned int rx, tx;

		want = RTE_MIN(want, RTE_MIN((uint64_t)BURST, count - sent));
		tx = send_requests(g, (unsigned int)want);
		rx = rx_poll(g);
		if (rx == 0 && tx == 0)
			idle(g);
	}
	end = rte_rdtsc() + ms_tsc(g, DRAIN_MS);
	while (!stop_flag && total_sent(g) > g->c.answered && rte_rdtsc() < end)
		if (rx_poll(g) == 0)
			idle(g);
	g->warm_sent = total_sent(g);
	g->warm_answered = g->c.answered;
	g->warm_ms = tsc_ms(g, rte_rdtsc() - t0);
	if (!g->o.quiet)
		fprintf(stderr,
			"gs-loadgen: warm-up: %" PRIu64 " requests, %" PRIu64
			" answered in %.1f ms (not measured)\n",
			g->warm_sent, g->warm_answered, g->warm_ms);
	reset_counters(g);
}

static void
offer_load(struct lg *g)
{
	const uint64_t rate = g->o.rate;
	/* token bucket in units of 1/hz requests: one request costs hz */
	const uint64_t depth = (rate / 1000 > BURST ? rate / 1000 : BURST) * g->hz;
	uint64_t t0 = rte_rdtsc(), end = t0 + (uint64_t)(g->o.duration * (double)g->hz);
	uint64_t last = t0, tokens = BURST * g->hz, next_report = t0 + g->hz;
	uint64_t now = t0;
	double cpu0 = g->o.n_cpu_of > 0 ? cpu_of_now(&g->o) : -1;

	g->run_tsc = t0;
	g->tick_tsc = t0;
	g->rx_count_on = true;
	while (!stop_flag && (now = rte_rdtsc()) < end) {
		unsigned int want = BURST, n;

		if (rate != 0) {
			tokens += (now - last) * rate;
			if (tokens > depth)
				tokens = depth;
			last = now;
			want = (unsigned int)RTE_MIN((uint64_t)BURST, tokens / g->hz);
		}
		n = send_requests(g, want);
		if (rate != 0)
			tokens -= (uint64_t)n * g->hz;
		if (rx_poll(g) == 0 && n == 0)
			idle(g);
		if (!g->o.quiet && now >= next_report) {
			progress(g, now, t0);
			next_report += g->hz;
		}
	}
	g->rx_count_on = false;
	g->tx_secs = tsc_ms(g, rte_rdtsc() - t0) / 1e3;
	g->window_cpu_s = -1;
	if (cpu0 >= 0) {
		double cpu1 = cpu_of_now(&g->o);

		if (cpu1 >= cpu0)
			g->window_cpu_s = cpu1 - cpu0;
	}
}

/* DISCONNECT every connected session: no answer is expected. */
static void
say_goodbye(struct lg *g)
{
	unsigned int k = 0;

	while (k < g->n_live) {
		struct rte_mbuf *m[BURST];
		unsigned int n = 0;

		if (rte_pktmbuf_alloc_bulk(g->pool, m, BURST) != 0) {
			rx_poll(g);
			continue;
		}
		for (; k < g->n_live && n < BURST; k++) {
			struct sess *s = &g->s[g->live[k]];
			Gs__Disconnect d = GS__DISCONNECT__INIT;

			if (s->state != SESS_CONNECTED)
				continue;
			d.reason = GS__DISCONNECT__REASON__CLIENT_QUIT;
			if (build(g, m[n], s, GS_MSG_DISCONNECT, &d.base) == 0)
				n++;
		}
		if (n < BURST)
			rte_pktmbuf_free_bulk(m + n, BURST - n);
		g->c.bye_sent += send_all(g, m, n, 1000);
		rx_poll(g);
		rte_delay_us_block(BURST * 1000000u / CONNECT_PPS);
	}
}

/* ---- report ----------------------------------------------------------------------------- */

static double
pct_us(const struct gsc_hist *h, double p)
{
	return (double)gsc_hist_percentile(h, p) / 1e3;
}

static void
report(const struct lg *g, int status)
{
	const struct counters *c = &g->c;
	uint64_t sent = total_sent(g);
	uint64_t lost = sent > c->answered ? sent - c->answered : 0;
	double tx_pps = g->tx_secs > 0 ? (double)sent / g->tx_secs : 0;
	double rx_pps = g->tx_secs > 0 ? (double)g->rx_window / g->tx_secs : 0;
	const struct gsc_hist *h = &g->lat;
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

	if (g->arp_ok)
		print_mac(mac, sizeof(mac), &g->server_mac);
	if (!g->o.json) {
		if (!g->o.quiet)
			fprintf(stderr,
				"gs-loadgen: offered %" PRIu64 " pps for %.2f s over %u sessions "
				"(mix %u:%u:%u); sent hb=%" PRIu64 " move=%" PRIu64
				" attack=%" PRIu64 "; answers hb_ack=%" PRIu64 " move_ack=%" PRIu64
				" move_reject=%" PRIu64 " attack_result=%" PRIu64
				" (out_of_range=%" PRIu64 "); damaged=%" PRIu64
				" unmatched=%" PRIu64 " tx_full=%" PRIu64 " rx_other=%" PRIu64 "\n",
				g->o.rate, g->tx_secs, g->n_live, g->o.mix[0], g->o.mix[1],
				g->o.mix[2], c->sent[REQ_HEARTBEAT], c->sent[REQ_MOVE],
				c->sent[REQ_ATTACK], c->by_type[GS_MSG_HEARTBEAT_ACK],
				c->by_type[GS_MSG_MOVE_ACK], c->by_type[GS_MSG_MOVE_REJECT],
				c->by_type[GS_MSG_ATTACK_RESULT],
				c->attack_result[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE],
				c->by_type[GS_MSG_DAMAGED], c->unmatched, c->tx_full, c->rx_other);
		printf("gs-loadgen: sent=%" PRIu64 " answered=%" PRIu64 " lost=%" PRIu64
		       " tx_pps=%.0f rx_pps=%.0f lat_us p50=%.1f p90=%.1f p99=%.1f p999=%.1f "
		       "max=%.1f offered_pps=%" PRIu64 " connects=%u/%u arp=%s\n",
			sent, c->answered, lost, tx_pps, rx_pps, pct_us(h, 50), pct_us(h, 90),
			pct_us(h, 99), pct_us(h, 99.9), (double)h->max / 1e3, g->o.rate, g->n_live,
			g->o.sessions, g->arp_ok ? mac : "failed");
		fflush(stdout);
		return;
	}
	printf("{\"status\":%d,\"offered_pps\":%" PRIu64 ",\"duration_s\":%.3f,\"sessions\":%u,"
	       "\"mix\":{\"heartbeat\":%u,\"move\":%u,\"attack\":%u},\"window_cpu_s\":%.6f,",
		status, g->o.rate, g->tx_secs, g->o.sessions, g->o.mix[0], g->o.mix[1], g->o.mix[2],
		g->window_cpu_s);
	printf("\"arp\":{\"ok\":%s,\"mac\":\"%s\",\"requests\":%u,\"ms\":%.3f},",
		g->arp_ok ? "true" : "false", mac, g->arp_tries, g->arp_ms);
	printf("\"warmup\":{\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"ms\":%.3f},",
		g->warm_sent, g->warm_answered, g->warm_ms);
	printf("\"connect\":{\"connected\":%u,\"failed\":%u,\"sent\":%" PRIu64
	       ",\"session_errors\":%" PRIu64 ",\"ms\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"max_us\":%.1f},",
		g->n_live, g->o.sessions - g->n_live, c->connect_sent, c->session_errors,
		g->connect_ms, pct_us(&g->connect_lat, 50), pct_us(&g->connect_lat, 99),
		(double)g->connect_lat.max / 1e3);
	printf("\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"unmatched\":%" PRIu64 ",\"bad_echo\":%" PRIu64 ",\"tx_full\":%" PRIu64
	       ",\"alloc_fail\":%" PRIu64 ",\"tx_pps\":%.1f,\"rx_pps\":%.1f,",
		sent, c->answered, lost, c->unmatched, c->bad_echo, c->tx_full, c->alloc_fail,
		tx_pps, rx_pps);
	printf("\"sent_by_type\":{\"heartbeat\":%" PRIu64 ",\"move\":%" PRIu64
	       ",\"attack\":%" PRIu64 "},",
		c->sent[REQ_HEARTBEAT], c->sent[REQ_MOVE], c->sent[REQ_ATTACK]);
	printf("\"replies\":{\"connect_accept\":%" PRIu64 ",\"heartbeat_ack\":%" PRIu64
	       ",\"move_ack\":%" PRIu64 ",\"move_reject\":%" PRIu64 ",\"attack_result\":%" PRIu64
	       ",\"damaged\":%" PRIu64 ",\"disconnect\":%" PRIu64 ",\"session_error\":%" PRIu64
	       ",\"bad\":%" PRIu64 ",\"other_frames\":%" PRIu64 "},",
		c->by_type[GS_MSG_CONNECT_ACCEPT], c->by_type[GS_MSG_HEARTBEAT_ACK],
		c->by_type[GS_MSG_MOVE_ACK], c->by_type[GS_MSG_MOVE_REJECT],
		c->by_type[GS_MSG_ATTACK_RESULT], c->by_type[GS_MSG_DAMAGED],
		c->by_type[GS_MSG_DISCONNECT], c->by_type[GS_MSG_SESSION_ERROR], c->rx_bad,
		c->rx_other);
	printf("\"move_reject\":{\"too_fast\":%" PRIu64 ",\"out_of_bounds\":%" PRIu64
	       ",\"dead\":%" PRIu64 ",\"other\":%" PRIu64 "},",
		c->move_reject[GS__MOVE_REJECT__REASON__TOO_FAST],
		c->move_reject[GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS],
		c->move_reject[GS__MOVE_REJECT__REASON__DEAD],
		c->move_reject[GS__MOVE_REJECT__REASON__UNKNOWN] +
			c->move_reject[GS__MOVE_REJECT__REASON__NOT_OWNER] +
			c->move_reject[GS__MOVE_REJECT__REASON__BUSY] + c->move_reject[REASONS]);
	printf("\"attack_result\":{\"hit\":%" PRIu64 ",\"killed\":%" PRIu64
	       ",\"out_of_range\":%" PRIu64 ",\"cooldown\":%" PRIu64 ",\"other\":%" PRIu64 "},",
		c->attack_result[GS__ATTACK_RESULT__RESULT__HIT],
		c->attack_result[GS__ATTACK_RESULT__RESULT__KILLED],
		c->attack_result[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE],
		c->attack_result[GS__ATTACK_RESULT__RESULT__COOLDOWN],
		c->attack_result[GS__ATTACK_RESULT__RESULT__ATTACKER_DEAD] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__TARGET_DEAD] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__NO_TARGET] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__BAD_SKILL] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__NOT_OWNER] +
			c->attack_result[GS__ATTACK_RESULT__RESULT__BUSY] +
			c->attack_result[RESULTS]);
	printf("\"latency_us\":{\"count\":%" PRIu64 ",\"min\":%.1f,\"mean\":%.1f,\"p50\":%.1f,"
	       "\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}}\n",
		h->count, h->count ? (double)h->min / 1e3 : 0.0,
		h->count ? (double)h->sum / (double)h->count / 1e3 : 0.0, pct_us(h, 50),
		pct_us(h, 90), pct_us(h, 99), pct_us(h, 99.9), (double)h->max / 1e3);
	fflush(stdout);
}

static void
port_close(struct lg *g)
{
	int ret = rte_eth_dev_stop(g->port_id);

	if (ret != 0)
		fprintf(stderr, "gs-loadgen: port stop: %s\n", rte_strerror(-ret));
	rte_eth_dev_close(g->port_id);
}

int
main(int argc, char **argv)
{
	static struct lg g;
	int status = EXIT_LOSS, ret;

	ret = parse_opts(argc, argv, &g.o);
	if (ret != 0)
		return ret < 0 ? 0 : ret;
	if (eal_init(&g.o, argv[0]) < 0) {
		fprintf(stderr, "gs-loadgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_LOSS;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
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
	if (port_init(&g) != 0)
		goto out_report;
	if (wait_link(&g) != 0 || resolve_server(&g) != 0)
		goto out_port;
	if (connect_all(&g) == 0) {
		fprintf(stderr,
			"gs-loadgen: no session connected: are gs-session and the primary's "
			"[net] udp_port right?\n");
		goto out_bye;
	}
	pick_targets(&g);
	if (g.o.warmup != 0)
		warm_up(&g,
			g.o.warmup > 0 ?
				(uint64_t)g.o.warmup :
				RTE_MAX(UINT64_C(2048),
					UINT64_C(2) << (g.o.memif_rsize ? g.o.memif_rsize : 10)));
	offer_load(&g);
	/* Stop TX, then collect the answers still in flight. */
	rx_for(&g, DRAIN_MS);
	status = total_sent(&g) == g.c.answered ? 0 : EXIT_LOSS;
out_bye:
	say_goodbye(&g);
	rx_for(&g, BYE_WAIT_MS);
	if (!g.o.quiet && !g.o.json)
		fprintf(stderr, "gs-loadgen: %" PRIu64 " DISCONNECTs sent, stopping the port\n",
			g.c.bye_sent);
out_port:
	port_close(&g);
out_report:
	report(&g, status);
out_eal:
	free(g.s);
	free(g.live);
	rte_eal_cleanup();
	return status;
}
