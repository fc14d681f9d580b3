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
 * connect-timeout + duration + 1.5 s bounds the whole run.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gs_parse.h"
#include "gs_wire.h"

#include "gsclient.h"

#define NS_PER_MS	    UINT64_C(1000000)
#define NS_PER_S	    UINT64_C(1000000000)
#define MAX_PLAYERS	    10000u
#define RETRANSMIT_NS	    (250 * NS_PER_MS)
#define LINGER_NS	    (200 * NS_PER_MS)
#define HARD_SLACK_NS	    (1500 * NS_PER_MS) /* beyond connect-timeout + duration */
#define RX_BUDGET	    64		       /* datagrams per socket per wakeup */
#define EPOLL_EVENTS	    256
#define DEFAULT_SERVER	    "198.18.0.2:7777"
#define DEFAULT_PROTOCOL_ID 0x47534e4554ull /* [auth] protocol_id's default */
#define EXIT_LOSS	    1
#define EXIT_USAGE	    2

#define WAYPOINT_RADIUS 40.0	 /* --move: waypoints this close to the spawn */
#define FIGHT_NEAR	2.0	 /* --fight: close enough to the partner */
#define CHEAT_TELEPORT	1000.0f	 /* --cheat-every: a jump the speed check refuses */
#define CHEAT_OUT_X	20000.0f /* ... and an x beyond the default bounds */
#define REASONS		(GS__MOVE_REJECT__REASON__BUSY + 1)
#define RESULTS		(GS__ATTACK_RESULT__RESULT__BUSY + 1)

enum phase {
	PHASE_CONNECTING, /* timer: next CONNECT (re)transmission */
	PHASE_PLAYING,	  /* timer: next HEARTBEAT, MOVE or ATTACK, then DISCONNECT */
	PHASE_DONE,	  /* no timer */
};

struct player {
	struct gsc_session s;
	int fd;
	enum phase phase;
	bool failed;	     /* never connected */
	uint32_t heap_pos;   /* index in client.heap while it has a timer */
	uint32_t hb_done;    /* heartbeats attempted */
	uint64_t due_ns;     /* when the timer fires: the earliest of the three below */
	uint64_t hb_due;     /* next HEARTBEAT, after the last one the end of play */
	uint64_t move_due;   /* next MOVE (UINT64_MAX without --move) */
	uint64_t attack_due; /* next ATTACK (UINT64_MAX without --fight) */
	uint64_t play_start; /* when CONNECT_ACCEPT arrived */
	uint64_t drain_end;  /* end of play: wait for answers until then, then DISCONNECT */
	/* --move, --fight */
	float pos[3];		 /* where the player is: the next MOVE's position */
	float goal[3];		 /* the waypoint it walks to */
	float auth[3];		 /* the last position the server told us (the spawn at first) */
	uint32_t auth_seq;	 /* the MOVE seq of that answer, 0 for the spawn */
	uint32_t move_seq;	 /* MOVEs sent, numbered 1, 2, ... */
	uint32_t move_answers;	 /* MOVE_ACKs and MOVE_REJECTs */
	uint32_t attack_seq;	 /* ATTACKs sent, numbered 1, 2, ... */
	uint32_t attack_answers; /* ATTACK_RESULTs */
	int32_t hp;		 /* from the last DAMAGED, -1 before any */
	bool killed;		 /* the last DAMAGED killed the player ... */
	bool dead;		 /* ... and it has not resumed since */
	uint64_t respawn_ns;	 /* killed: when the entity respawns ... */
	float respawn[3];	 /* ... and where */
};

struct opts {
	struct sockaddr_in server;
	struct sockaddr_in bind;
	bool has_bind;
	unsigned int players;
	unsigned int duration_s;
	unsigned int interval_ms;
	unsigned int connect_timeout_ms;
	bool quiet;
	bool json;
	bool move;  /* --move, or implied by --fight */
	bool fight; /* --fight */
	unsigned int move_hz;
	double speed;		  /* units per second */
	unsigned int cheat_every; /* 0: no cheats */
	unsigned int attack_ms;
	unsigned int skill;
	const char *world_out; /* NULL: no --world-out */
	const char *key_file;  /* --key-file: mint each player's token (as the backend) */
	const char *tokens;    /* --tokens: tokens from gs-token mint, one line per player */
	uint64_t protocol_id;
	unsigned int token_lifetime_s;
};

struct counters {
	uint64_t sent;
	uint64_t sent_by_type[GSC_MSG_TYPES];
	uint64_t send_fail;	/* send() refused: ENOBUFS, EAGAIN, ICMP errors */
	uint64_t received;	/* datagrams gsc_session_input() accepted */
	uint64_t errors;	/* refused datagrams + SESSION_ERRORs */
	uint64_t oversize;	/* datagrams longer than GSC_DATAGRAM_MAX */
	uint64_t icmp_refused;	/* ECONNREFUSED from recv(): nobody at the server port */
	uint64_t recv_fail;	/* other recv() errors */
	uint64_t server_closed; /* DISCONNECTs from the server */
};

struct move_counters {
	uint64_t acked;
	uint64_t rejected;
	uint64_t by_reason[REASONS]; /* reasons this client does not know count as UNKNOWN */
	uint64_t cheats;	     /* invalid on purpose */
	uint64_t cheats_rejected;    /* ... and rejected for the expected reason */
};

struct combat_counters {
	uint64_t results[RESULTS + 1]; /* the last: results this client does not know */
	uint64_t damaged;	       /* DAMAGED received */
	uint64_t damaged_killed;       /* ... with killed set */
};

/* Everything the run needs: one instance, in main(). */
struct client {
	struct opts o;
	struct player *p;
	uint32_t *heap; /* player indexes, min-heap on p[].due_ns */
	uint32_t heap_n;
	int ep;
	uint64_t hb_per_player;
	uint64_t start_ns;
	uint64_t t0;
	uint64_t connect_deadline;
	uint64_t hard_deadline;
	unsigned int connected;
	unsigned int failed;
	unsigned int done;
	struct counters c;
	struct move_counters mv;
	struct combat_counters cb;
	struct gsc_hist rtt;
	struct gsc_hist connect;
	struct gsc_hist move_rtt;
	uint64_t move_period_ns;
	uint64_t rng; /* xorshift64* state: waypoints */
	/* progress lines */
	uint64_t next_progress;
	uint64_t sec_rtt_sum;
	uint64_t sec_rtt_n;
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --- timer heap ------------------------------------------------------------------------ */

static bool
heap_less(const struct client *c, uint32_t a, uint32_t b)
{
	return c->p[c->heap[a]].due_ns < c->p[c->heap[b]].due_ns;
}

static void
heap_swap(struct client *c, uint32_t a, uint32_t b)
{
	uint32_t t = c->heap[a];

	c->heap[a] = c->heap[b];
	c->heap[b] = t;
	c->p[c->heap[a]].heap_pos = a;
	c->p[c->heap[b]].heap_pos = b;
}

static void
heap_up(struct client *c, uint32_t i)
{
	while (i > 0 && heap_less(c, i, (i - 1) / 2)) {
		heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct client *c, uint32_t i)
{
	uint32_t l, m;

	for (;;) {
		l = 2 * i + 1;
		if (l >= c->heap_n)
			return;
		m = l + 1 < c->heap_n && heap_less(c, l + 1, l) ? l + 1 : l;
		if (!heap_less(c, m, i))
			return;
		heap_swap(c, i, m);
		i = m;
	}
}

static void
heap_push(struct client *c, uint32_t idx)
{
	c->heap[c->heap_n] = idx;
	c->p[idx].heap_pos = c->heap_n;
	c->heap_n++;
	heap_up(c, c->heap_n - 1);
}

/* Remove player @p idx's timer. */
static void
heap_remove(struct client *c, uint32_t idx)
{
	uint32_t i = c->p[idx].heap_pos;

	c->heap_n--;
	if (i == c->heap_n)
		return;
	heap_swap(c, i, c->heap_n);
	heap_up(c, i);
	heap_down(c, i);
}

/* Player @p idx's due time changed. */
static void
heap_fix(struct client *c, uint32_t idx)
{
	heap_up(c, c->p[idx].heap_pos);
	heap_down(c, c->p[idx].heap_pos);
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
		for (i = 0; i < c->o.players; i++)
			if (c->p[i].fd >= 0)
				close(c->p[i].fd);
	}
	free(c->p);
	c->p = NULL;
	free(c->heap);
	c->heap = NULL;
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
	c->heap = calloc(c->o.players, sizeof(*c->heap));
	if (c->p == NULL || c->heap == NULL) {
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

/* --- movement and combat -------------------------------------------------------------- */

/* xorshift64*, uniform in [0, 1). */
static double
rnd(struct client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

/* sqrt() without libm, which the client does not link: Newton's method from above. */
static double
root(double v)
{
	double r = v > 1.0 ? v : 1.0, next;

	if (v <= 0.0)
		return 0.0;
	for (;;) {
		next = 0.5 * (r + v / r);
		if (next >= r)
			return r;
		r = next;
	}
}

static double
distance(const float a[3], const float b[3])
{
	double d2 = 0.0, d;
	int i;

	for (i = 0; i < 3; i++) {
		d = (double)b[i] - (double)a[i];
		d2 += d * d;
	}
	return root(d2);
}

/*
 * Step player @p p at most @p step units towards @p goal, stopping @p near
 * short of it. @return true when it is (now) within @p near of @p goal.
 */
static bool
walk(struct player *p, const float goal[3], double step, double near)
{
	double d = distance(p->pos, goal), f;
	int i;

	if (d <= near)
		return true;
	f = d - near > step ? step / d : (d - near) / d;
	for (i = 0; i < 3; i++)
		p->pos[i] = (float)(p->pos[i] + ((double)goal[i] - p->pos[i]) * f);
	return d - near <= step;
}

/* A new waypoint for @p p, uniform in the disc of WAYPOINT_RADIUS around its spawn. */
static void
pick_waypoint(struct client *c, struct player *p)
{
	double dx, dy;

	do {
		dx = (2.0 * rnd(c) - 1.0) * WAYPOINT_RADIUS;
		dy = (2.0 * rnd(c) - 1.0) * WAYPOINT_RADIUS;
	} while (dx * dx + dy * dy > WAYPOINT_RADIUS * WAYPOINT_RADIUS);
	p->goal[0] = (float)(p->s.spawn[0] + dx);
	p->goal[1] = (float)(p->s.spawn[1] + dy);
	p->goal[2] = p->s.spawn[2];
}

/*
 * --cheat-every: the reason MOVE @p seq is expected to be rejected for. Every
 * Nth move cheats, by turns a teleport (TOO_FAST) and a leap out of the world
 * (OUT_OF_BOUNDS); UNKNOWN for an honest move.
 */
static Gs__MoveReject__Reason
cheat_of(const struct client *c, uint32_t seq)
{
	if (c->o.cheat_every == 0 || seq % c->o.cheat_every != 0)
		return GS__MOVE_REJECT__REASON__UNKNOWN;
	return (seq / c->o.cheat_every) % 2 == 1 ? GS__MOVE_REJECT__REASON__TOO_FAST :
						   GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS;
}

/* --fight: player @p p's partner (0 with 1, 2 with 3, ...) while that one plays, else NULL. */
static const struct player *
partner(const struct client *c, const struct player *p)
{
	uint32_t i = (uint32_t)(p - c->p) ^ 1u;

	if (!c->o.fight || i >= c->o.players || c->p[i].phase != PHASE_PLAYING)
		return NULL;
	return &c->p[i];
}

/* Not killed, or its respawn time has come. */
static bool
alive(const struct player *p, uint64_t now)
{
	return !p->dead || now >= p->respawn_ns;
}

/* The server answered MOVE @p seq: the entity is at @p x, @p y, @p z. */
static void
move_answered(struct client *c, struct player *p, uint64_t rtt_ns, uint32_t seq, float x, float y,
	float z, bool snap)
{
	p->move_answers++;
	gsc_hist_add(&c->move_rtt, rtt_ns);
	if (seq <= p->auth_seq)
		return; /* overtaken by the answer to a later move */
	p->auth_seq = seq;
	p->auth[0] = x;
	p->auth[1] = y;
	p->auth[2] = z;
	if (snap)
		memcpy(p->pos, p->auth, sizeof(p->pos));
}

static void
on_move_reject(struct client *c, struct player *p, const struct gsc_event *ev)
{
	const Gs__MoveReject *r = ev->u.move_reject;
	Gs__MoveReject__Reason cheat = cheat_of(c, r->seq);
	unsigned int why = (unsigned int)r->reason;

	c->mv.rejected++;
	c->mv.by_reason[why < REASONS ? why : GS__MOVE_REJECT__REASON__UNKNOWN]++;
	if (cheat != GS__MOVE_REJECT__REASON__UNKNOWN && r->reason == cheat)
		c->mv.cheats_rejected++;
	move_answered(c, p, ev->rtt_ns, r->seq, r->x, r->y, r->z, true);
}

static void
on_attack_result(struct client *c, struct player *p, const Gs__AttackResult *r)
{
	unsigned int res = (unsigned int)r->result;

	c->cb.results[res < RESULTS ? res : RESULTS]++;
	p->attack_answers++;
}

static void
on_damaged(struct client *c, struct player *p, const Gs__Damaged *d, uint64_t now)
{
	c->cb.damaged++;
	p->hp = d->hp;
	p->killed = d->killed;
	if (!d->killed)
		return;
	c->cb.damaged_killed++;
	p->dead = true;
	p->respawn_ns = now + d->respawn_in_ms * NS_PER_MS;
	p->respawn[0] = d->respawn_x;
	p->respawn[1] = d->respawn_y;
	p->respawn[2] = d->respawn_z;
	/* the server's word on the position is now the respawn point: answers to
	 * moves sent before the death no longer say where the entity is */
	memcpy(p->auth, p->respawn, sizeof(p->auth));
	p->auth_seq = p->move_seq;
}

/* --- the run --------------------------------------------------------------------------- */

static void
send_datagram(struct client *c, struct player *p, const uint8_t *buf, size_t len)
{
	if (send(p->fd, buf, len, 0) != (ssize_t)len) {
		c->c.send_fail++;
		return;
	}
	c->c.sent++;
	c->c.sent_by_type[buf[3]]++; /* the header's type byte */
}

static void
finish(struct client *c, struct player *p)
{
	if (p->phase == PHASE_DONE)
		return;
	if (p->phase == PHASE_CONNECTING) {
		p->failed = true;
		c->failed++;
	}
	p->phase = PHASE_DONE;
	heap_remove(c, (uint32_t)(p - c->p));
	c->done++;
}

static void
player_move(struct client *c, struct player *p, uint64_t now)
{
	const struct player *q = partner(c, p);
	uint8_t buf[GSC_DATAGRAM_MAX];
	Gs__MoveReject__Reason cheat;
	uint32_t seq = p->move_seq + 1;
	double step = c->o.speed / c->o.move_hz;
	float at[3];
	size_t len;

	if (!alive(p, now))
		return;
	if (p->dead) { /* respawned */
		p->dead = false;
		memcpy(p->pos, p->respawn, sizeof(p->pos));
	}
	cheat = cheat_of(c, seq);
	if (cheat == GS__MOVE_REJECT__REASON__UNKNOWN) {
		if (q != NULL)
			walk(p, q->auth, step, FIGHT_NEAR);
		else if (walk(p, p->goal, step, 0.0))
			pick_waypoint(c, p);
	}
	memcpy(at, p->pos, sizeof(at));
	if (cheat == GS__MOVE_REJECT__REASON__TOO_FAST) /* towards the centre: stays in bounds */
		at[0] += at[0] > 0.0f ? -CHEAT_TELEPORT : CHEAT_TELEPORT;
	else if (cheat == GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS)
		at[0] = CHEAT_OUT_X;

	if (gsc_session_move(&p->s, now, p->s.entity_id, at[0], at[1], at[2], seq, buf, sizeof(buf),
		    &len) != 0)
		return;
	p->move_seq = seq;
	if (cheat != GS__MOVE_REJECT__REASON__UNKNOWN)
		c->mv.cheats++;
	send_datagram(c, p, buf, len);
}

static void
player_attack(struct client *c, struct player *p, uint64_t now)
{
	const struct player *q = partner(c, p);
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	if (q == NULL || !alive(p, now) || !alive(q, now))
		return;
	if (gsc_session_attack(&p->s, now, q->s.entity_id, c->o.skill, p->attack_seq + 1, buf,
		    sizeof(buf), &len) != 0)
		return;
	p->attack_seq++;
	send_datagram(c, p, buf, len);
}

/* Player @p p's timer: the earliest of its heartbeat, move and attack times. */
static void
set_due(struct client *c, struct player *p)
{
	p->due_ns = p->hb_due;
	if (p->move_due < p->due_ns)
		p->due_ns = p->move_due;
	if (p->attack_due < p->due_ns)
		p->due_ns = p->attack_due;
	heap_fix(c, (uint32_t)(p - c->p));
}

/* The tick after @p due on its grid of @p period, skipping those a late loop missed. */
static uint64_t
next_tick(uint64_t due, uint64_t period, uint64_t now)
{
	do
		due += period;
	while (due <= now);
	return due;
}

static void
start_playing(struct client *c, struct player *p, uint64_t now)
{
	p->phase = PHASE_PLAYING;
	p->play_start = now;
	p->hb_done = 0;
	p->hb_due = now + (c->hb_per_player > 0 ? c->o.interval_ms * NS_PER_MS :
						  c->o.duration_s * NS_PER_S);
	p->move_due = c->o.move ? now + c->move_period_ns : UINT64_MAX;
	p->attack_due = c->o.fight ? now + c->o.attack_ms * NS_PER_MS : UINT64_MAX;
	memcpy(p->pos, p->s.spawn, sizeof(p->pos));
	memcpy(p->auth, p->s.spawn, sizeof(p->auth));
	p->hp = -1;
	pick_waypoint(c, p);
	set_due(c, p);
}

/* Requests sent and not answered (yet): @p sent - @p answered, never negative. */
static uint64_t
unanswered(uint32_t sent, uint32_t answered)
{
	return sent > answered ? sent - answered : 0;
}

static void
player_disconnect(struct client *c, struct player *p)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	if (gsc_session_disconnect(&p->s, buf, sizeof(buf), &len) == 0)
		send_datagram(c, p, buf, len);
	finish(c, p);
}

/* Player @p p's timer fired at @p now (it is at the top of the heap). */
static void
player_timer(struct client *c, struct player *p, uint64_t now)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	switch (p->phase) {
	case PHASE_CONNECTING:
		if (now >= c->connect_deadline) {
			finish(c, p);
			return;
		}
		if (gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->due_ns = now + RETRANSMIT_NS;
		if (p->due_ns > c->connect_deadline)
			p->due_ns = c->connect_deadline;
		break;
	case PHASE_PLAYING:
		if (p->s.state != GSC_STATE_CONNECTED) {
			finish(c, p);
			return;
		}
		if (now >= p->hb_due) {
			if (p->hb_done >= c->hb_per_player) {
				/* the last moves' and attacks' answers come before DISCONNECT
				 * closes the session (the server drops requests of closed ones) */
				if (p->drain_end == 0) {
					p->drain_end = now + LINGER_NS;
					p->move_due = p->attack_due = UINT64_MAX;
				}
				if (now < p->drain_end &&
					unanswered(p->move_seq, p->move_answers) +
							unanswered(
								p->attack_seq, p->attack_answers) >
						0) {
					p->hb_due = now + NS_PER_MS;
					set_due(c, p);
					return;
				}
				player_disconnect(c, p);
				return;
			}
			if (gsc_session_heartbeat(&p->s, now, buf, sizeof(buf), &len) == 0)
				send_datagram(c, p, buf, len);
			p->hb_done++;
			/* On the original grid: a late loop catches up instead of drifting. */
			if (p->hb_done < c->hb_per_player)
				p->hb_due = p->play_start + ((uint64_t)p->hb_done + 1) *
								    c->o.interval_ms * NS_PER_MS;
			else
				p->hb_due = p->play_start + c->o.duration_s * NS_PER_S;
		}
		if (now >= p->move_due) {
			player_move(c, p, now);
			p->move_due = next_tick(p->move_due, c->move_period_ns, now);
		}
		if (now >= p->attack_due) {
			player_attack(c, p, now);
			p->attack_due = next_tick(p->attack_due, c->o.attack_ms * NS_PER_MS, now);
		}
		set_due(c, p);
		return;
	case PHASE_DONE:
		return;
	}
	heap_fix(c, (uint32_t)(p - c->p));
}

static void
on_event(struct client *c, struct player *p, const struct gsc_event *ev, uint64_t now)
{
	switch (ev->type) {
	case GSC_EVENT_CONNECTED:
		if (p->phase != PHASE_CONNECTING) {
			/* Accepted after we gave up: release the server's session at once. */
			player_disconnect(c, p);
			break;
		}
		c->connected++;
		gsc_hist_add(&c->connect, ev->elapsed_ns);
		start_playing(c, p, now);
		break;
	case GSC_EVENT_HEARTBEAT_ACK:
		gsc_hist_add(&c->rtt, ev->rtt_ns);
		c->sec_rtt_sum += ev->rtt_ns;
		c->sec_rtt_n++;
		break;
	case GSC_EVENT_DISCONNECTED:
		c->c.server_closed++;
		finish(c, p);
		break;
	case GSC_EVENT_ERROR:
		c->c.errors++;
		finish(c, p);
		break;
	case GSC_EVENT_MOVE_ACK:
		c->mv.acked++;
		move_answered(c, p, ev->rtt_ns, ev->u.move_ack->seq, ev->u.move_ack->x,
			ev->u.move_ack->y, ev->u.move_ack->z, false);
		break;
	case GSC_EVENT_MOVE_REJECT:
		on_move_reject(c, p, ev);
		break;
	case GSC_EVENT_ATTACK_RESULT:
		on_attack_result(c, p, ev->u.attack_result);
		break;
	case GSC_EVENT_DAMAGED:
		on_damaged(c, p, ev->u.damaged, now);
		break;
	case GSC_EVENT_CHALLENGE: {
		uint8_t buf[GSC_DATAGRAM_MAX];
		size_t len;

		/* answer at once: the cookie is good for [auth] challenge_ttl_ms */
		if (p->phase == PHASE_CONNECTING &&
			gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		break;
	}
	case GSC_EVENT_NONE:
		break;
	}
}

static void
player_rx(struct client *c, struct player *p)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	struct gsc_event ev;
	unsigned int n;
	ssize_t len;

	for (n = 0; n < RX_BUDGET; n++) {
		len = recv(p->fd, buf, sizeof(buf), MSG_TRUNC);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ECONNREFUSED) {
				c->c.icmp_refused++;
				continue;
			}
			c->c.recv_fail++;
			return;
		}
		if ((size_t)len > sizeof(buf)) {
			c->c.oversize++;
			c->c.errors++;
			continue;
		}
		if (gsc_session_input(&p->s, buf, (size_t)len, gsc_now_ns(), &ev) < 0) {
			c->c.errors++;
			continue;
		}
		c->c.received++;
		on_event(c, p, &ev, gsc_now_ns());
	}
}

/* Ctrl-C: say goodbye to everyone still connected, give up the rest. */
static void
stop_all(struct client *c)
{
	unsigned int i;

	for (i = 0; i < c->o.players; i++) {
		if (c->p[i].phase == PHASE_PLAYING)
			player_disconnect(c, &c->p[i]);
		else
			finish(c, &c->p[i]);
	}
}

/* Heartbeats, moves and attacks still waiting for their answer. */
static uint64_t
outstanding(const struct client *c)
{
	const struct player *p;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		n += p->s.hb_outstanding + unanswered(p->move_seq, p->move_answers) +
		     unanswered(p->attack_seq, p->attack_answers);
	}
	return n;
}

static void
progress(struct client *c, uint64_t now)
{
	double avg = c->sec_rtt_n ? (double)c->sec_rtt_sum / (double)c->sec_rtt_n / 1e3 : 0.0;

	fprintf(stderr,
		"gs-client: t=%" PRIu64 "s connected=%u/%u done=%u sent=%" PRIu64
		" received=%" PRIu64 " rtt_avg_us=%.1f errors=%" PRIu64 "\n",
		(now - c->t0) / NS_PER_S, c->connected, c->o.players, c->done, c->c.sent,
		c->c.received, avg, c->c.errors);
	c->sec_rtt_sum = 0;
	c->sec_rtt_n = 0;
}

static int
wait_ms(uint64_t now, uint64_t until)
{
	uint64_t ms;

	if (until <= now)
		return 0;
	ms = (until - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > 1000 ? 1000 : (int)ms;
}

static void
run(struct client *c)
{
	struct epoll_event evs[EPOLL_EVENTS];
	uint64_t now, wake, linger_end = 0, spread;
	unsigned int i;
	bool stopping = false;
	int n, k;

	c->t0 = gsc_now_ns();
	c->connect_deadline = c->t0 + c->o.connect_timeout_ms * NS_PER_MS;
	c->next_progress = c->t0 + NS_PER_S;

	/* Spread the first CONNECTs (and so their retransmits) over a quarter of a second. */
	spread = c->o.connect_timeout_ms * NS_PER_MS / 4;
	if (spread > RETRANSMIT_NS)
		spread = RETRANSMIT_NS;
	for (i = 0; i < c->o.players; i++) {
		c->p[i].phase = PHASE_CONNECTING;
		c->p[i].due_ns = c->t0 + spread * i / c->o.players;
		heap_push(c, i);
	}

	for (;;) {
		now = gsc_now_ns();
		if (now >= c->hard_deadline) {
			stop_all(c); /* only if timers ran badly late: no linger */
			break;
		}
		if (stop_requested && !stopping) {
			stopping = true;
			stop_all(c);
		}
		while (c->heap_n > 0 && c->p[c->heap[0]].due_ns <= now)
			player_timer(c, &c->p[c->heap[0]], now);
		if (c->done == c->o.players) {
			if (linger_end == 0)
				linger_end = now + LINGER_NS;
			if (now >= linger_end || outstanding(c) == 0)
				break;
		}
		if (!c->o.quiet && now >= c->next_progress) {
			progress(c, now);
			c->next_progress += NS_PER_S;
		}

		wake = c->hard_deadline;
		if (c->heap_n > 0 && c->p[c->heap[0]].due_ns < wake)
			wake = c->p[c->heap[0]].due_ns;
		if (linger_end != 0 && linger_end < wake)
			wake = linger_end;
		if (!c->o.quiet && c->next_progress < wake)
			wake = c->next_progress;

		n = epoll_wait(c->ep, evs, EPOLL_EVENTS, wait_ms(now, wake));
		for (k = 0; k < n; k++)
			player_rx(c, &c->p[evs[k].data.u32]);
	}
}

/* --- summary --------------------------------------------------------------------------- */

struct totals {
	struct gsc_stats s; /* summed over players */
	uint64_t hb_sent;
	uint64_t hb_lost;
	uint64_t connect_retx;
	uint64_t moves;
	uint64_t moves_lost;
	uint64_t attacks;
	uint64_t attacks_lost;
	uint64_t lost;
};

static void
sum_up(const struct client *c, struct totals *t)
{
	const struct player *p;
	const struct gsc_stats *s;
	unsigned int i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		s = &p->s.stats;
		t->moves += p->move_seq;
		t->moves_lost += unanswered(p->move_seq, p->move_answers);
		t->attacks += p->attack_seq;
		t->attacks_lost += unanswered(p->attack_seq, p->attack_answers);
		t->hb_sent += p->s.hb_sent;
		if (s->tx_by_type[GS_MSG_CONNECT] > 0)
			t->connect_retx += s->tx_by_type[GS_MSG_CONNECT] - 1;
		t->hb_lost += p->s.hb_sent - s->hb_acked - s->hb_late;
		for (k = 0; k < GSC_MSG_TYPES; k++)
			t->s.rx_by_type[k] += s->rx_by_type[k];
		t->s.rx_bad += s->rx_bad;
		t->s.rx_not_session += s->rx_not_session;
		t->s.rx_wrong_session += s->rx_wrong_session;
		t->s.rx_unexpected += s->rx_unexpected;
		t->s.rx_dup_accept += s->rx_dup_accept;
		t->s.seq_gaps += s->seq_gaps;
		t->s.seq_reordered += s->seq_reordered;
		t->s.hb_acked += s->hb_acked;
		t->s.hb_late += s->hb_late;
		t->s.session_errors += s->session_errors;
		t->s.challenges += s->challenges;
		t->s.rx_bad_tag += s->rx_bad_tag;
		t->s.rx_replayed += s->rx_replayed;
	}
	t->lost = t->hb_lost + c->failed + t->moves_lost + t->attacks_lost;
}

static double
pct_us(const struct gsc_hist *h, double p)
{
	return (double)gsc_hist_percentile(h, p) / 1e3;
}

static void
print_text(const struct client *c, const struct totals *t)
{
	const struct counters *k = &c->c;
	const uint64_t *r = c->cb.results;

	printf("gs-client: players=%u connected=%u sent=%" PRIu64 " received=%" PRIu64
	       " lost=%" PRIu64 " rtt_us p50=%.1f p90=%.1f p99=%.1f max=%.1f errors=%" PRIu64 "\n",
		c->o.players, c->connected, k->sent, k->received, t->lost, pct_us(&c->rtt, 50),
		pct_us(&c->rtt, 90), pct_us(&c->rtt, 99), pct_us(&c->rtt, 100), k->errors);
	printf("  sent:      CONNECT=%" PRIu64 " (retransmits %" PRIu64 ") HEARTBEAT=%" PRIu64
	       " DISCONNECT=%" PRIu64 " send_fail=%" PRIu64 "\n",
		k->sent_by_type[GS_MSG_CONNECT], t->connect_retx, k->sent_by_type[GS_MSG_HEARTBEAT],
		k->sent_by_type[GS_MSG_DISCONNECT], k->send_fail);
	printf("  received:  CONNECT_ACCEPT=%" PRIu64 " (duplicates %" PRIu64
	       ") HEARTBEAT_ACK=%" PRIu64 " (late %" PRIu64 ") DISCONNECT=%" PRIu64
	       " SESSION_ERROR=%" PRIu64 "\n",
		t->s.rx_by_type[GS_MSG_CONNECT_ACCEPT], t->s.rx_dup_accept,
		t->s.rx_by_type[GS_MSG_HEARTBEAT_ACK], t->s.hb_late,
		t->s.rx_by_type[GS_MSG_DISCONNECT], t->s.rx_by_type[GS_MSG_SESSION_ERROR]);
	printf("  refused:   malformed=%" PRIu64 " not_session=%" PRIu64 " wrong_session=%" PRIu64
	       " unexpected=%" PRIu64 " oversize=%" PRIu64 " icmp_refused=%" PRIu64
	       " recv_fail=%" PRIu64 "\n",
		t->s.rx_bad, t->s.rx_not_session, t->s.rx_wrong_session, t->s.rx_unexpected,
		k->oversize, k->icmp_refused, k->recv_fail);
	printf("  loss:      failed_connects=%u heartbeats_lost=%" PRIu64 "/%" PRIu64
	       " server_seq_gaps=%" PRIu64 " server_seq_reordered=%" PRIu64 "\n",
		c->failed, t->hb_lost, t->hb_sent, t->s.seq_gaps, t->s.seq_reordered);
	printf("  sessions:  closed_by_server=%" PRIu64 " session_errors=%" PRIu64
	       " challenges=%" PRIu64 " bad_tag=%" PRIu64 " replayed=%" PRIu64 "\n",
		k->server_closed, t->s.session_errors, t->s.challenges, t->s.rx_bad_tag,
		t->s.rx_replayed);
	printf("  connect_us p50=%.1f p90=%.1f p99=%.1f max=%.1f (first CONNECT to accept)\n",
		pct_us(&c->connect, 50), pct_us(&c->connect, 90), pct_us(&c->connect, 99),
		pct_us(&c->connect, 100));
	printf("  rtt_us     min=%.1f avg=%.1f samples=%" PRIu64 "\n", (double)c->rtt.min / 1e3,
		c->rtt.count ? (double)c->rtt.sum / (double)c->rtt.count / 1e3 : 0.0, c->rtt.count);
	if (c->o.move)
		printf("  moves:     sent=%" PRIu64 " acked=%" PRIu64 " rejected=%" PRIu64
		       " lost=%" PRIu64 " rtt_us p50=%.1f p99=%.1f reject too_fast=%" PRIu64
		       " out_of_bounds=%" PRIu64 " dead=%" PRIu64 " not_owner=%" PRIu64
		       " busy=%" PRIu64 " cheats=%" PRIu64 " cheats_rejected=%" PRIu64 "\n",
			t->moves, c->mv.acked, c->mv.rejected, t->moves_lost,
			pct_us(&c->move_rtt, 50), pct_us(&c->move_rtt, 99),
			c->mv.by_reason[GS__MOVE_REJECT__REASON__TOO_FAST],
			c->mv.by_reason[GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS],
			c->mv.by_reason[GS__MOVE_REJECT__REASON__DEAD],
			c->mv.by_reason[GS__MOVE_REJECT__REASON__NOT_OWNER],
			c->mv.by_reason[GS__MOVE_REJECT__REASON__BUSY], c->mv.cheats,
			c->mv.cheats_rejected);
	if (c->o.fight)
		printf("  combat:    attacks=%" PRIu64 " hit=%" PRIu64 " killed=%" PRIu64
		       " out_of_range=%" PRIu64 " cooldown=%" PRIu64 " target_dead=%" PRIu64
		       " other=%" PRIu64 " lost=%" PRIu64 " damaged_received=%" PRIu64
		       " damaged_killed=%" PRIu64 "\n",
			t->attacks, r[GS__ATTACK_RESULT__RESULT__HIT],
			r[GS__ATTACK_RESULT__RESULT__KILLED],
			r[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE],
			r[GS__ATTACK_RESULT__RESULT__COOLDOWN],
			r[GS__ATTACK_RESULT__RESULT__TARGET_DEAD],
			r[GS__ATTACK_RESULT__RESULT__ATTACKER_DEAD] +
				r[GS__ATTACK_RESULT__RESULT__NO_TARGET] +
				r[GS__ATTACK_RESULT__RESULT__BAD_SKILL] +
				r[GS__ATTACK_RESULT__RESULT__NOT_OWNER] +
				r[GS__ATTACK_RESULT__RESULT__BUSY] + r[RESULTS],
			t->attacks_lost, c->cb.damaged, c->cb.damaged_killed);
}

static void
print_hist_json(const char *name, const struct gsc_hist *h)
{
	printf("\"%s\":{\"samples\":%" PRIu64 ",\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
	       "\"p99\":%.1f,\"max\":%.1f}",
		name, h->count, (double)h->min / 1e3, pct_us(h, 50), pct_us(h, 90), pct_us(h, 99),
		pct_us(h, 100));
}

/* Print "name":count for each of @p n counters, comma-separated. */
static void
print_counts_json(const char *const *names, const uint64_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		printf("%s\"%s\":%" PRIu64, i > 0 ? "," : "", names[i], v[i]);
}

static void
print_moves_json(const struct client *c, const struct totals *t)
{
	static const char *const reasons[REASONS] = {
		[GS__MOVE_REJECT__REASON__UNKNOWN] = "unknown",
		[GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS] = "out_of_bounds",
		[GS__MOVE_REJECT__REASON__TOO_FAST] = "too_fast",
		[GS__MOVE_REJECT__REASON__DEAD] = "dead",
		[GS__MOVE_REJECT__REASON__NOT_OWNER] = "not_owner",
		[GS__MOVE_REJECT__REASON__BUSY] = "busy",
	};

	printf(",\"moves\":{\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"rejected\":%" PRIu64
	       ",\"lost\":%" PRIu64 ",\"rejected_by_reason\":{",
		t->moves, c->mv.acked, c->mv.rejected, t->moves_lost);
	print_counts_json(reasons, c->mv.by_reason, REASONS);
	printf("},\"cheats\":%" PRIu64 ",\"cheats_rejected\":%" PRIu64 ",", c->mv.cheats,
		c->mv.cheats_rejected);
	print_hist_json("rtt_us", &c->move_rtt);
	putchar('}');
}

static void
print_combat_json(const struct client *c, const struct totals *t)
{
	static const char *const results[RESULTS + 1] = {
		[GS__ATTACK_RESULT__RESULT__HIT] = "hit",
		[GS__ATTACK_RESULT__RESULT__KILLED] = "killed",
		[GS__ATTACK_RESULT__RESULT__OUT_OF_RANGE] = "out_of_range",
		[GS__ATTACK_RESULT__RESULT__COOLDOWN] = "cooldown",
		[GS__ATTACK_RESULT__RESULT__ATTACKER_DEAD] = "attacker_dead",
		[GS__ATTACK_RESULT__RESULT__TARGET_DEAD] = "target_dead",
		[GS__ATTACK_RESULT__RESULT__NO_TARGET] = "no_target",
		[GS__ATTACK_RESULT__RESULT__BAD_SKILL] = "bad_skill",
		[GS__ATTACK_RESULT__RESULT__NOT_OWNER] = "not_owner",
		[GS__ATTACK_RESULT__RESULT__BUSY] = "busy",
		[RESULTS] = "unknown",
	};

	printf(",\"combat\":{\"attacks\":%" PRIu64 ",\"results\":{", t->attacks);
	print_counts_json(results, c->cb.results, RESULTS + 1);
	printf("},\"lost\":%" PRIu64 ",\"damaged_received\":%" PRIu64 ",\"damaged_killed\":%" PRIu64
	       "}",
		t->attacks_lost, c->cb.damaged, c->cb.damaged_killed);
}

static void
print_json(const struct client *c, const struct totals *t)
{
	const struct counters *k = &c->c;

	printf("{\"players\":%u,\"connected\":%u,\"failed_connects\":%u,\"sent\":%" PRIu64
	       ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"errors\":%" PRIu64 ",",
		c->o.players, c->connected, c->failed, k->sent, k->received, t->lost, k->errors);
	print_hist_json("rtt_us", &c->rtt);
	putchar(',');
	print_hist_json("connect_us", &c->connect);
	printf(",\"sent_by_type\":{\"CONNECT\":%" PRIu64 ",\"HEARTBEAT\":%" PRIu64
	       ",\"DISCONNECT\":%" PRIu64 "}",
		k->sent_by_type[GS_MSG_CONNECT], k->sent_by_type[GS_MSG_HEARTBEAT],
		k->sent_by_type[GS_MSG_DISCONNECT]);
	printf(",\"received_by_type\":{\"CONNECT_ACCEPT\":%" PRIu64 ",\"HEARTBEAT_ACK\":%" PRIu64
	       ",\"DISCONNECT\":%" PRIu64 ",\"SESSION_ERROR\":%" PRIu64 "}",
		t->s.rx_by_type[GS_MSG_CONNECT_ACCEPT], t->s.rx_by_type[GS_MSG_HEARTBEAT_ACK],
		t->s.rx_by_type[GS_MSG_DISCONNECT], t->s.rx_by_type[GS_MSG_SESSION_ERROR]);
	printf(",\"heartbeats\":{\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"late\":%" PRIu64
	       ",\"lost\":%" PRIu64 "}",
		t->hb_sent, t->s.hb_acked, t->s.hb_late, t->hb_lost);
	printf(",\"refused\":{\"malformed\":%" PRIu64 ",\"not_session\":%" PRIu64
	       ",\"wrong_session\":%" PRIu64 ",\"unexpected\":%" PRIu64 ",\"oversize\":%" PRIu64
	       ",\"bad_tag\":%" PRIu64 ",\"replayed\":%" PRIu64 "},\"duplicate_accepts\":%" PRIu64
	       ",\"session_errors\":%" PRIu64 ",\"challenges\":%" PRIu64
	       ",\"closed_by_server\":%" PRIu64,
		t->s.rx_bad, t->s.rx_not_session, t->s.rx_wrong_session, t->s.rx_unexpected,
		k->oversize, t->s.rx_bad_tag, t->s.rx_replayed, t->s.rx_dup_accept,
		t->s.session_errors, t->s.challenges, k->server_closed);
	printf(",\"server_seq\":{\"gaps\":%" PRIu64 ",\"reordered\":%" PRIu64
	       "},\"send_fail\":%" PRIu64 ",\"icmp_refused\":%" PRIu64 ",\"recv_fail\":%" PRIu64
	       ",\"duration_s\":%u,\"interval_ms\":%u",
		t->s.seq_gaps, t->s.seq_reordered, k->send_fail, k->icmp_refused, k->recv_fail,
		c->o.duration_s, c->o.interval_ms);
	if (c->o.move)
		print_moves_json(c, t);
	if (c->o.fight)
		print_combat_json(c, t);
	puts("}");
}

/*
 * --world-out: one JSON line per connected player with the last position the
 * server answered (and that answer's MOVE seq), its hp from the last DAMAGED
 * (-1: never hit), whether that killed it and whether it has respawned by @p now.
 */
static int
write_world(const struct client *c, uint64_t now)
{
	const struct player *p;
	unsigned int i;
	FILE *f;

	f = fopen(c->o.world_out, "w");
	if (f == NULL)
		goto fail;
	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		if (p->failed)
			continue;
		fprintf(f,
			"{\"player\":%u,\"session\":%" PRIu32 ",\"entity\":%" PRIu32
			",\"x\":%.9g,\"y\":%.9g,\"z\":%.9g,\"seq\":%" PRIu32 ",\"hp\":%" PRId32
			",\"killed\":%s,\"respawned\":%s}\n",
			i, p->s.session_id, p->s.entity_id, (double)p->auth[0], (double)p->auth[1],
			(double)p->auth[2], p->auth_seq, p->hp, p->killed ? "true" : "false",
			p->killed && now >= p->respawn_ns ? "true" : "false");
	}
	if (fclose(f) == 0)
		return 0;
fail:
	fprintf(stderr, "gs-client: --world-out %s: %s\n", c->o.world_out, strerror(errno));
	return -EIO;
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
	run(&c);
	if (c.o.world_out != NULL && write_world(&c, gsc_now_ns()) < 0)
		ret = -EIO;

	sum_up(&c, &t);
	if (c.o.json)
		print_json(&c, &t);
	else
		print_text(&c, &t);
	fflush(stdout);
	client_free(&c);
	return c.connected == c.o.players && t.lost == 0 && ret == 0 ? EXIT_SUCCESS : EXIT_LOSS;
}
