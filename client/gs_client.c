/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-client: simulate N players against a gsnet server over kernel UDP.
 *
 * Every player has its own connected UDP socket (so its own source port) and
 * a struct gsc_session. One epoll loop drives them all with a min-heap of
 * per-player timers: CONNECT (retransmitted every 250 ms until accepted or
 * the connect timeout), then a HEARTBEAT every interval for the duration, then
 * DISCONNECT. With --move a player also sends MOVEs on its own grid, walking to
 * random waypoints around its spawn (--cheat-every: some of them invalid on
 * purpose); --fight pairs players up to walk to and ATTACK each other. After
 * the last DISCONNECT the loop lingers up to 200 ms for answers (HEARTBEAT_ACK,
 * MOVE_ACK/REJECT, ATTACK_RESULT) still in flight. A hard deadline of
 * connect-timeout + duration + 1.5 s bounds the whole run. With --views (or
 * --view-out) every player applies the server's SNAPSHOTs to a view of its
 * own and acks them.
 *
 * This file: options, setup and main(). The players and their loop are in
 * sim.c, the summary in report.c, their shared state in client.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gs_parse.h"
#include "gs_wire.h"

#include "client.h"
#include "report.h"
#include "sim.h"

#define MAX_PLAYERS	    10000u
#define HARD_SLACK_NS	    (1500 * NS_PER_MS) /* beyond connect-timeout + duration */
#define DEFAULT_SERVER	    "198.18.0.2:7777"
#define DEFAULT_PROTOCOL_ID 0x47534e4554ull /* [auth] protocol_id's default */
#define EXIT_LOSS	    1
#define EXIT_USAGE	    2

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --- options --------------------------------------------------------------------------- */

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [options]\n"
		"Simulate players against a gsnet server: CONNECT, HEARTBEAT every interval for\n"
		"the duration (and MOVE, ATTACK with --move, --fight), DISCONNECT; then print a\n"
		"summary.\n"
		"  --server IP:PORT       server address (default " DEFAULT_SERVER ")\n"
		"  --players N            players, one UDP socket each (default 10, max %u)\n"
		"  --duration SEC         playing time after connect (default 20)\n"
		"  --interval MS          heartbeat interval (default 100)\n"
		"  --connect-timeout MS   give up connecting after this; CONNECT is resent\n"
		"                         every 250 ms until then (default 2000)\n"
		"  --bind IP              source address\n"
		"  --move                 players also walk: MOVE at --move-hz towards random\n"
		"                         waypoints within 40 units of their spawn\n"
		"  --move-hz N            moves per second (default 20)\n"
		"  --speed U              walking speed in units/s (default 10)\n"
		"  --cheat-every N        with --move: every Nth move is invalid, by turns a\n"
		"                         1000-unit teleport (TOO_FAST) and x=20000 (OUT_OF_BOUNDS)\n"
		"  --fight                implies --move: players 0+1, 2+3, ... walk to within 2\n"
		"                         units of each other and attack their partner\n"
		"  --attack-ms N          attack interval (default 600)\n"
		"  --skill K              skill to attack with (default 1)\n"
		"  --world-out FILE       at the end write one JSON line per connected player:\n"
		"                         the last position and seq the server answered, hp,\n"
		"                         killed, respawned\n"
		"  --views                each player applies the server's SNAPSHOTs (world\n"
		"                         replication) to a view of its own and acks them; the\n"
		"                         summary adds a views line (about 370 KiB per player)\n"
		"  --view-out FILE        implies --views: at the end write one JSON line per\n"
		"                         connected player: its view when the first player's\n"
		"                         play ended, before any DISCONNECT (entities by id,\n"
		"                         in world units; every player at that one moment), its\n"
		"                         snapshot counters and the most others it saw at once\n"
		"  --key-file FILE        the server key ([auth] key_file): mint each player's\n"
		"                         connect token here, as the game's backend would\n"
		"  --tokens FILE          connect tokens from `gs-token mint`, one line per player\n"
		"                         (player N uses line N); without either option players\n"
		"                         connect without a token ([auth] mode = open servers)\n"
		"  --protocol-id N        with --key-file: the game's [auth] protocol_id\n"
		"                         (default 0x47534e4554)\n"
		"  --token-lifetime SEC   with --key-file: token lifetime (default 60)\n"
		"  --quiet                no progress lines\n"
		"  --json                 print the summary as one JSON object\n"
		"  -h, --help             this text\n"
		"Exit status: 0 all players connected and no loss, 1 loss (heartbeats, moves or\n"
		"attacks left unanswered), failed connects or a runtime error, 2 bad usage.\n",
		prog, MAX_PLAYERS);
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	uint64_t v;

	if (gs_parse_u64(s, 10, min, max, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_double(const char *s, double min, double max, double *out)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_ipv4(const char *s, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static int
parse_server(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	unsigned int port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (parse_ipv4(host, sa) < 0 || parse_uint(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

enum {
	OPT_SERVER = 256,
	OPT_PLAYERS,
	OPT_DURATION,
	OPT_INTERVAL,
	OPT_CONNECT_TIMEOUT,
	OPT_BIND,
	OPT_QUIET,
	OPT_JSON,
	OPT_MOVE,
	OPT_MOVE_HZ,
	OPT_SPEED,
	OPT_CHEAT_EVERY,
	OPT_FIGHT,
	OPT_ATTACK_MS,
	OPT_SKILL,
	OPT_WORLD_OUT,
	OPT_VIEWS,
	OPT_VIEW_OUT,
	OPT_KEY_FILE,
	OPT_TOKENS,
	OPT_PROTOCOL_ID,
	OPT_TOKEN_LIFETIME,
};

/* @return 0, 1 (help printed: exit 0) or -EINVAL (message printed). */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "players", required_argument, NULL, OPT_PLAYERS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "move", no_argument, NULL, OPT_MOVE },
		{ "move-hz", required_argument, NULL, OPT_MOVE_HZ },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "cheat-every", required_argument, NULL, OPT_CHEAT_EVERY },
		{ "fight", no_argument, NULL, OPT_FIGHT },
		{ "attack-ms", required_argument, NULL, OPT_ATTACK_MS },
		{ "skill", required_argument, NULL, OPT_SKILL },
		{ "world-out", required_argument, NULL, OPT_WORLD_OUT },
		{ "views", no_argument, NULL, OPT_VIEWS },
		{ "view-out", required_argument, NULL, OPT_VIEW_OUT },
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "tokens", required_argument, NULL, OPT_TOKENS },
		{ "protocol-id", required_argument, NULL, OPT_PROTOCOL_ID },
		{ "token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bad = NULL;
	int opt;

	memset(o, 0, sizeof(*o));
	o->players = 10;
	o->duration_s = 20;
	o->interval_ms = 100;
	o->connect_timeout_ms = 2000;
	o->move_hz = 20;
	o->speed = 10.0;
	o->attack_ms = 600;
	o->skill = 1;
	o->protocol_id = DEFAULT_PROTOCOL_ID;
	o->token_lifetime_s = 60;
	parse_server(DEFAULT_SERVER, &o->server);

	while (bad == NULL && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			if (parse_server(optarg, &o->server) < 0)
				bad = "--server wants IPV4:PORT";
			break;
		case OPT_PLAYERS:
			if (parse_uint(optarg, 1, MAX_PLAYERS, &o->players) < 0)
				bad = "--players wants 1..10000";
			break;
		case OPT_DURATION:
			if (parse_uint(optarg, 0, 86400, &o->duration_s) < 0)
				bad = "--duration wants 0..86400 seconds";
			break;
		case OPT_INTERVAL:
			if (parse_uint(optarg, 1, 60000, &o->interval_ms) < 0)
				bad = "--interval wants 1..60000 ms";
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_uint(optarg, 1, 600000, &o->connect_timeout_ms) < 0)
				bad = "--connect-timeout wants 1..600000 ms";
			break;
		case OPT_BIND:
			o->has_bind = true;
			if (parse_ipv4(optarg, &o->bind) < 0)
				bad = "--bind wants an IPv4 address";
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_MOVE:
			o->move = true;
			break;
		case OPT_MOVE_HZ:
			if (parse_uint(optarg, 1, 1000, &o->move_hz) < 0)
				bad = "--move-hz wants 1..1000";
			break;
		case OPT_SPEED:
			if (parse_double(optarg, 0.0, 1000.0, &o->speed) < 0)
				bad = "--speed wants 0..1000 units/s";
			break;
		case OPT_CHEAT_EVERY:
			if (parse_uint(optarg, 1, 1000000, &o->cheat_every) < 0)
				bad = "--cheat-every wants 1..1000000";
			break;
		case OPT_FIGHT:
			o->fight = true;
			o->move = true;
			break;
		case OPT_ATTACK_MS:
			if (parse_uint(optarg, 1, 60000, &o->attack_ms) < 0)
				bad = "--attack-ms wants 1..60000";
			break;
		case OPT_SKILL:
			if (parse_uint(optarg, 0, 255, &o->skill) < 0)
				bad = "--skill wants 0..255";
			break;
		case OPT_WORLD_OUT:
			o->world_out = optarg;
			break;
		case OPT_VIEWS:
			o->views = true;
			break;
		case OPT_VIEW_OUT:
			o->view_out = optarg;
			o->views = true;
			break;
		case OPT_KEY_FILE:
			o->key_file = optarg;
			break;
		case OPT_TOKENS:
			o->tokens = optarg;
			break;
		case OPT_PROTOCOL_ID: {
			char *end;

			errno = 0;
			o->protocol_id = strtoull(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || *optarg == '-')
				bad = "--protocol-id wants an unsigned integer";
			break;
		}
		case OPT_TOKEN_LIFETIME:
			if (parse_uint(optarg, 1, 86400, &o->token_lifetime_s) < 0)
				bad = "--token-lifetime wants 1..86400 seconds";
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		default: /* getopt_long() has said what is wrong */
			fprintf(stderr, "gs-client: try --help\n");
			return -EINVAL;
		}
	}
	if (bad == NULL && optind < argc)
		bad = "unexpected argument";
	if (bad == NULL && o->cheat_every > 0 && !o->move)
		bad = "--cheat-every needs --move or --fight";
	if (bad != NULL) {
		fprintf(stderr, "gs-client: %s (try --help)\n", bad);
		return -EINVAL;
	}
	if (o->key_file != NULL && o->token_lifetime_s > GS_TOKEN_MAX_LIFETIME_S)
		fprintf(stderr,
			"gs-client: warning: --token-lifetime %u is above the servers' default [auth] max_token_lifetime_s (%u): they refuse these tokens (token_lifetime) unless configured for them\n",
			o->token_lifetime_s, GS_TOKEN_MAX_LIFETIME_S);
	return 0;
}

/* --- setup ----------------------------------------------------------------------------- */

static int
raise_nofile(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		return -EMFILE;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return 0;
}

static int
open_socket(const struct opts *o)
{
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (o->has_bind && bind(fd, (const struct sockaddr *)&o->bind, sizeof(o->bind)) < 0)
		goto out_close;
	/* Connected: the kernel picks a distinct source port and filters other senders. */
	if (connect(fd, (const struct sockaddr *)&o->server, sizeof(o->server)) < 0)
		goto out_close;
	return fd;

out_close:
	ret = -errno;
	close(fd);
	return ret;
}

static void
client_free(struct client *c)
{
	unsigned int i;

	if (c->p != NULL) {
		for (i = 0; i < c->o.players; i++) {
			if (c->p[i].fd >= 0)
				close(c->p[i].fd);
			free(c->p[i].repl);
			free(c->p[i].end.line);
		}
	}
	free(c->p);
	c->p = NULL;
	gsc_timers_free(&c->timers);
	if (c->ep >= 0)
		close(c->ep);
	c->ep = -1;
}

/* Give every player its connect token: minted with --key-file, or read from --tokens. */
static int
load_tokens(struct client *c)
{
	uint8_t token[GS_TOKEN_LEN], c2s[GS_PKT_KEY_LEN], s2c[GS_PKT_KEY_LEN];
	char err[512], line[1024];
	unsigned int n = 0;
	FILE *f;

	if (c->o.key_file == NULL && c->o.tokens == NULL)
		return 0;
	if (gs_auth_init() < 0) {
		fprintf(stderr, "gs-client: libsodium cannot initialise\n");
		return -EIO;
	}
	if (c->o.key_file != NULL) {
		uint8_t key[GS_KEY_LEN];
		struct gs_token t;
		int ret = gs_key_load(c->o.key_file, key, err, sizeof(err));

		if (ret < 0) {
			fprintf(stderr, "gs-client: %s\n", err);
			return ret;
		}
		for (unsigned int i = 0; i < c->o.players; i++) {
			gs_token_new(&t, c->o.protocol_id, (uint64_t)i + 1,
				c->o.server.sin_addr.s_addr, c->o.server.sin_port,
				(uint64_t)time(NULL), c->o.token_lifetime_s);
			gs_token_seal(key, &t, token);
			gsc_session_set_token(&c->p[i].s, token, t.c2s_key, t.s2c_key);
		}
		return 0;
	}
	f = fopen(c->o.tokens, "r");
	if (f == NULL) {
		fprintf(stderr, "gs-client: --tokens %s: %s\n", c->o.tokens, strerror(errno));
		return -errno;
	}
	while (n < c->o.players && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (gsc_token_line_parse(line, token, c2s, s2c) < 0) {
			fprintf(stderr,
				"gs-client: --tokens %s: line for player %u has no token=, c2s= and s2c=\n",
				c->o.tokens, n + 1);
			fclose(f);
			return -EINVAL;
		}
		gsc_session_set_token(&c->p[n++].s, token, c2s, s2c);
	}
	fclose(f);
	if (n < c->o.players) {
		fprintf(stderr, "gs-client: --tokens %s: %u tokens for %u players\n", c->o.tokens,
			n, c->o.players);
		return -EINVAL;
	}
	return 0;
}

static int
client_init(struct client *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;
	int ret;

	c->ep = -1;
	ret = raise_nofile(c->o.players + 16);
	if (ret < 0) {
		fprintf(stderr, "gs-client: RLIMIT_NOFILE too low for %u players: %s\n",
			c->o.players, strerror(-ret));
		return ret;
	}
	c->p = calloc(c->o.players, sizeof(*c->p));
	if (c->p == NULL || gsc_timers_init(&c->timers, c->o.players) < 0) {
		fprintf(stderr, "gs-client: calloc: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < c->o.players; i++)
		c->p[i].fd = -1;

	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		ret = -errno;
		fprintf(stderr, "gs-client: epoll_create1: %s\n", strerror(-ret));
		return ret;
	}
	for (i = 0; i < c->o.players; i++) {
		gsc_session_init(&c->p[i].s, (uint64_t)i + 1);
		if (c->o.views) {
			/* 370 KiB each: gsc_repl_init() sets what is read */
			c->p[i].repl = malloc(sizeof(*c->p[i].repl));
			if (c->p[i].repl == NULL) {
				fprintf(stderr, "gs-client: malloc: view of player %u: %s\n", i,
					strerror(ENOMEM));
				return -ENOMEM;
			}
			gsc_repl_init(c->p[i].repl);
			gsc_session_set_repl(&c->p[i].s, c->p[i].repl);
		}
		c->p[i].fd = open_socket(&c->o);
		if (c->p[i].fd < 0) {
			ret = c->p[i].fd;
			fprintf(stderr, "gs-client: socket for player %u: %s\n", i, strerror(-ret));
			return ret;
		}
		ev.data.u32 = i;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->p[i].fd, &ev) < 0) {
			ret = -errno;
			fprintf(stderr, "gs-client: epoll_ctl: %s\n", strerror(-ret));
			return ret;
		}
	}
	ret = load_tokens(c);
	if (ret < 0)
		return ret;
	gsc_hist_reset(&c->rtt);
	gsc_hist_reset(&c->connect);
	gsc_hist_reset(&c->move_rtt);
	c->hb_per_player = (uint64_t)c->o.duration_s * 1000 / c->o.interval_ms;
	c->move_period_ns = NS_PER_S / c->o.move_hz;
	c->rng = UINT64_C(0x9e3779b97f4a7c15); /* fixed: runs are repeatable */
	return 0;
}

int
main(int argc, char **argv)
{
	static struct client c; /* 59 KB histograms: not on the stack */
	struct sigaction sa = { .sa_handler = on_signal };
	struct totals t;
	int ret;

	c.start_ns = gsc_now_ns();
	c.ep = -1;
	c.stop = &stop_requested;
	ret = parse_args(argc, argv, &c.o);
	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	c.hard_deadline = c.start_ns + c.o.connect_timeout_ms * NS_PER_MS +
			  c.o.duration_s * NS_PER_S + HARD_SLACK_NS;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (client_init(&c) < 0) {
		client_free(&c);
		return EXIT_LOSS;
	}
	sim_run(&c);
	if (c.o.world_out != NULL && report_write_world(&c, gsc_now_ns()) < 0)
		ret = -EIO;
	if (c.o.view_out != NULL && report_write_views(&c) < 0)
		ret = -EIO;

	report_sum_up(&c, &t);
	if (c.o.json)
		report_print_json(&c, &t);
	else
		report_print_text(&c, &t);
	fflush(stdout);
	client_free(&c);
	return c.connected == c.o.players && t.lost == 0 && ret == 0 ? EXIT_SUCCESS : EXIT_LOSS;
}
