/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * chat-client: simulated players for the chat handler class
 * (examples/chat/chat.proto), over kernel UDP through libgsclient.
 *
 * Every player has its own connected UDP socket and struct gsc_session, with
 * a connect token minted from the server key (--key-file), as the game's
 * backend would. The run goes through four phases, the same for everyone:
 *   connect  CONNECT, resent every 250 ms, until all are accepted or
 *            --connect-timeout-ms passes;
 *   join     with --channel, every --channel-every'th player sends Join and
 *            waits for Joined (resent every 500 ms, 2 s at most), so that
 *            nobody speaks on the channel before its members are in;
 *   play     for --duration-s every player sends a Say every --say-every-ms,
 *            by turns to its surroundings (channel "") and, if it joined, to
 *            its channel; msg_id = player index << 32 | a counter from 1;
 *   drain    1 s more for Heards in flight, then DISCONNECT.
 * Heartbeats keep every session alive throughout. The chat messages travel
 * as raw payloads (gsc_session_raw(), GSC_EVENT_RAW) that this file packs
 * and unpacks with the protobuf-c code generated from chat.proto.
 *
 * What each player said and heard goes to --out as JSON lines; stdout gets
 * a one-line summary. A sender hears its own Say ("echoed"): a Say that never
 * echoed is lost, one neither echoed nor refused is unanswered.
 */
#include "chat_client.h"

volatile sig_atomic_t chat_stop;

static void
on_signal(int sig)
{
	(void)sig;
	chat_stop = 1;
}

/* --- options ------------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: chat-client --server IP:PORT --key-file FILE --players N [options]\n"
		"Simulated players for the chat handler class: connect N players, let some join a\n"
		"channel, have each Say something every few ms, record what everyone heard.\n"
		"  --server IP:PORT         the gsnet group's address\n"
		"  --key-file FILE          the server key ([auth] key_file): tokens are minted here\n"
		"  --protocol-id N          the game's [auth] protocol_id (default 0x47534e4554)\n"
		"  --players N              players, one UDP socket and session each (1..%u)\n"
		"  --duration-s S           seconds of Says (default 5), then a 1 s drain\n"
		"  --say-every-ms M         each player's Say interval (default 200)\n"
		"  --channel NAME           players with index %% K == 0 join channel NAME and\n"
		"  --channel-every K        say every other Say there (K default 1: everyone)\n"
		"  --connect-timeout-ms T   give up on players not accepted by then (default 3000)\n"
		"  --out FILE               one JSON line per player: what it said and heard\n"
		"  -h, --help               this text\n"
		"Exit status: 0 every player connected (and joined), every Say echoed or refused;\n"
		"1 otherwise, or a runtime error, or interrupted; 2 bad options.\n",
		MAX_PLAYERS);
}

static int
uint_in(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (gs_parse_u64(s, 10, min, max, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
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
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 || uint_in(colon + 1, 1, 65535, &port))
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/*
 * Printable ASCII, 1..CHANNEL_MAX bytes. The class itself allows less
 * (1-15 of a-z, 0-9, '_', '-'); a name it refuses is a test of bad_channel.
 */
static bool
is_channel_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CHANNEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

enum {
	OPT_SERVER = 256,
	OPT_KEY_FILE,
	OPT_PROTOCOL_ID,
	OPT_PLAYERS,
	OPT_DURATION,
	OPT_SAY_EVERY,
	OPT_CHANNEL,
	OPT_CHANNEL_EVERY,
	OPT_CONNECT_TIMEOUT,
	OPT_OUT,
};

/* @return 0, 1 (help printed: exit 0) or -EINVAL (message printed). */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "protocol-id", required_argument, NULL, OPT_PROTOCOL_ID },
		{ "players", required_argument, NULL, OPT_PLAYERS },
		{ "duration-s", required_argument, NULL, OPT_DURATION },
		{ "say-every-ms", required_argument, NULL, OPT_SAY_EVERY },
		{ "channel", required_argument, NULL, OPT_CHANNEL },
		{ "channel-every", required_argument, NULL, OPT_CHANNEL_EVERY },
		{ "connect-timeout-ms", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool has_server = false;
	const char *bad = NULL;
	int opt;

	memset(o, 0, sizeof(*o));
	o->protocol_id = DEFAULT_PROTOCOL_ID;
	o->duration_s = 5;
	o->say_every_ms = 200;
	o->connect_timeout_ms = 3000;

	while (bad == NULL && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			has_server = true;
			if (parse_server(optarg, &o->server) < 0)
				bad = "--server wants IPV4:PORT";
			break;
		case OPT_KEY_FILE:
			o->key_file = optarg;
			break;
		case OPT_PROTOCOL_ID:
			if (gs_parse_u64(optarg, 0, 0, UINT64_MAX, &o->protocol_id) < 0)
				bad = "--protocol-id wants an unsigned integer (0x... for hex)";
			break;
		case OPT_PLAYERS:
			if (uint_in(optarg, 1, MAX_PLAYERS, &o->players) < 0)
				bad = "--players wants 1..1000";
			break;
		case OPT_DURATION:
			if (uint_in(optarg, 1, 3600, &o->duration_s) < 0)
				bad = "--duration-s wants 1..3600";
			break;
		case OPT_SAY_EVERY:
			if (uint_in(optarg, 1, 60000, &o->say_every_ms) < 0)
				bad = "--say-every-ms wants 1..60000";
			break;
		case OPT_CHANNEL:
			o->channel = optarg;
			if (!is_channel_name(optarg))
				bad = "--channel wants 1..32 printable characters, no spaces";
			break;
		case OPT_CHANNEL_EVERY:
			if (uint_in(optarg, 1, MAX_PLAYERS, &o->channel_every) < 0)
				bad = "--channel-every wants 1..1000";
			break;
		case OPT_CONNECT_TIMEOUT:
			if (uint_in(optarg, 1, 600000, &o->connect_timeout_ms) < 0)
				bad = "--connect-timeout-ms wants 1..600000";
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default: /* getopt_long() has said what is wrong */
			bad = "bad option";
			break;
		}
	}
	if (bad == NULL && optind < argc)
		bad = "unexpected argument";
	if (bad == NULL && !has_server)
		bad = "--server is required";
	if (bad == NULL && o->key_file == NULL)
		bad = "--key-file is required";
	if (bad == NULL && o->players == 0)
		bad = "--players is required";
	if (bad == NULL && o->channel_every > 0 && o->channel == NULL)
		bad = "--channel-every needs --channel";
	if (bad == NULL &&
		(uint64_t)o->players * (o->duration_s * 1000ull / o->say_every_ms + 1) > SAY_BUDGET)
		bad = "--players x --duration-s / --say-every-ms is above 4000000 Says";
	if (bad != NULL) {
		fprintf(stderr, "chat-client: %s (try --help)\n", bad);
		return -EINVAL;
	}
	if (o->channel != NULL && o->channel_every == 0)
		o->channel_every = 1;
	return 0;
}

/* --- setup ---------------------------------------------------------------------------------- */

static int
open_socket(const struct sockaddr_in *server)
{
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: a source port of its own, and nobody else's datagrams */
	if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Players, their sockets and tokens. @return 0 or -errno, with a message printed. */
static int
chat_init(struct chat *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const struct opts *o = &c->o;
	uint8_t key[GS_KEY_LEN], token[GS_TOKEN_LEN];
	struct gs_token t;
	char err[512];
	unsigned int i;
	int ret;

	gs_pb_arena_init(&c->arena, c->arena_mem, sizeof(c->arena_mem));
	c->says_max = o->duration_s * 1000u / o->say_every_ms + 1;
	if (gs_auth_init() < 0) {
		fprintf(stderr, "chat-client: libsodium cannot initialise\n");
		return -EIO;
	}
	ret = gs_key_load(o->key_file, key, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "chat-client: %s\n", err);
		return ret;
	}
	c->p = calloc(o->players, sizeof(*c->p));
	if (c->p == NULL || gsc_timers_init(&c->timers, o->players) < 0)
		goto out_nomem;
	for (i = 0; i < o->players; i++)
		c->p[i].fd = -1;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		ret = -errno;
		fprintf(stderr, "chat-client: epoll_create1: %s\n", strerror(-ret));
		return ret;
	}
	for (i = 0; i < o->players; i++) {
		struct player *p = &c->p[i];

		p->said = calloc(c->says_max, sizeof(*p->said));
		if (p->said == NULL)
			goto out_nomem;
		p->connect_due = p->join_due = p->say_due = p->hb_due = UINT64_MAX;
		p->wants_join = o->channel != NULL && i % o->channel_every == 0;
		gsc_session_init(&p->s, (uint64_t)i + 1);
		gsc_session_set_raw_rx(&p->s, true);
		gs_token_new(&t, o->protocol_id, (uint64_t)i + 1, o->server.sin_addr.s_addr,
			o->server.sin_port, (uint64_t)time(NULL), TOKEN_LIFETIME_S);
		gs_token_seal(key, &t, token);
		gsc_session_set_token(&p->s, token, t.c2s_key, t.s2c_key);

		p->fd = open_socket(&o->server);
		if (p->fd < 0) {
			fprintf(stderr, "chat-client: socket for player %u: %s%s\n", i,
				strerror(-p->fd), p->fd == -EMFILE ? " (ulimit -n)" : "");
			return p->fd;
		}
		ev.data.u32 = i;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
			ret = -errno;
			fprintf(stderr, "chat-client: epoll_ctl: %s\n", strerror(-ret));
			return ret;
		}
	}
	return 0;

out_nomem:
	fprintf(stderr, "chat-client: out of memory for %u players\n", o->players);
	return -ENOMEM;
}

static void
chat_free(struct chat *c)
{
	unsigned int i;

	for (i = 0; c->p != NULL && i < c->o.players; i++) {
		if (c->p[i].fd >= 0)
			close(c->p[i].fd);
		free(c->p[i].said);
		free(c->p[i].heard);
	}
	free(c->p);
	c->p = NULL;
	gsc_timers_free(&c->timers);
	if (c->ep >= 0)
		close(c->ep);
	c->ep = -1;
}

/* --- output --------------------------------------------------------------------------------- */

/* A JSON string. Bytes outside printable ASCII become \u00XX: valid JSON, if not UTF-8. */
static void
json_str(FILE *f, const char *s)
{
	unsigned char ch;

	fputc('"', f);
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
write_player(struct chat *c, const struct player *p, FILE *f)
{
	const char *channel = c->o.channel != NULL ? c->o.channel : "";
	uint32_t i;

	fprintf(f,
		"{\"player\":%u,\"connected\":%s,\"session\":%" PRIu32 ",\"entity\":%" PRIu32
		",\"channel\":",
		index_of(c, p), p->connected ? "true" : "false", p->s.session_id, p->s.entity_id);
	json_str(f, p->joined ? channel : "");
	fputs(",\"said\":[", f);
	for (i = 0; i < p->n_said; i++) {
		fprintf(f, "%s{\"id\":%" PRIu64 ",\"channel\":", i > 0 ? "," : "", p->said[i].id);
		json_str(f, p->said[i].to_channel ? channel : "");
		fprintf(f, ",\"echoed\":%s}", p->said[i].echoes > 0 ? "true" : "false");
	}
	fputs("],\"heard\":[", f);
	for (i = 0; i < p->n_heard; i++) {
		const struct heard *h = &p->heard[i];

		fprintf(f,
			"%s{\"from\":%" PRIu32 ",\"entity\":%" PRIu32 ",\"id\":%" PRIu64
			",\"channel\":",
			i > 0 ? "," : "", h->from_session, h->from_entity, h->msg_id);
		json_str(f, h->channel);
		if (isfinite(h->distance))
			fprintf(f, ",\"distance\":%.9g}", (double)h->distance);
		else
			fputs(",\"distance\":null}", f);
	}
	fprintf(f, "],\"heard_unrecorded\":%" PRIu64 ",\"refused\":{", p->heard_total - p->n_heard);
	for (i = 0; i < REFUSAL_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i > 0 ? "," : "", refusal_names[i], p->refused[i]);
	fputs("}}\n", f);
}

static int
write_out(struct chat *c)
{
	unsigned int i;

	bool failed;

	for (i = 0; i < c->o.players; i++)
		write_player(c, &c->p[i], c->out);
	failed = ferror(c->out) != 0;
	failed |= fclose(c->out) != 0;
	c->out = NULL;
	if (failed) {
		fprintf(stderr, "chat-client: --out %s: write failed\n", c->o.out);
		return -EIO;
	}
	return 0;
}

/* The summary line. @return true when the run succeeded (see usage()). */
static bool
summary(const struct chat *c)
{
	uint64_t said = 0, heard = 0, echoed = 0, refused = 0, unanswered = 0;
	const struct player *p;
	unsigned int i, r;
	uint32_t k;

	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		heard += p->heard_total;
		for (r = 0; r < REFUSAL_MAX; r++)
			refused += p->refused[r];
		for (k = 0; k < p->n_said; k++) {
			said++;
			echoed += p->said[k].echoes > 0;
			unanswered += p->said[k].echoes == 0 && !p->said[k].refused;
		}
	}
	printf("chat-client: connected=%u/%u joined=%u/%u said=%" PRIu64 " heard=%" PRIu64
	       " echoed=%" PRIu64 " lost=%" PRIu64 " refused=%" PRIu64 " unanswered=%" PRIu64
	       " server_closed=%u send_fail=%" PRIu64 " rx_refused=%" PRIu64 " bad_payload=%" PRIu64
	       "%s\n",
		c->connected, c->o.players, c->joined, c->joiners, said, heard, echoed,
		said - echoed, refused, unanswered, c->server_closed, c->send_fail, c->rx_refused,
		c->bad_payload, c->interrupted ? " interrupted" : "");
	if (c->connected < c->o.players)
		fprintf(stderr, "chat-client: %u of %u players not connected\n",
			c->o.players - c->connected, c->o.players);
	if (c->joined < c->joiners)
		fprintf(stderr, "chat-client: %u of %u players never got Joined{%s}\n",
			c->joiners - c->joined, c->joiners, c->o.channel);
	if (unanswered > 0)
		fprintf(stderr, "chat-client: %" PRIu64 " Says neither echoed nor refused\n",
			unanswered);
	return c->connected == c->o.players && c->joined == c->joiners && unanswered == 0 &&
	       c->server_closed == 0 && !c->interrupted;
}

int
main(int argc, char **argv)
{
	static struct chat c; /* the sessions are calloc'd, but the arena is 3 KB */
	struct sigaction sa = { .sa_handler = on_signal };
	bool ok;
	int ret;

	c.ep = -1;
	ret = parse_args(argc, argv, &c.o);
	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (c.o.out != NULL) { /* now, not after the run: a bad path fails fast */
		c.out = fopen(c.o.out, "w");
		if (c.out == NULL) {
			fprintf(stderr, "chat-client: --out %s: %s\n", c.o.out, strerror(errno));
			return EXIT_FAIL;
		}
	}
	if (chat_init(&c) < 0) {
		if (c.out != NULL)
			fclose(c.out);
		chat_free(&c);
		return EXIT_FAIL;
	}
	chat_run(&c);
	ok = summary(&c);
	fflush(stdout);
	if (c.out != NULL && write_out(&c) < 0)
		ok = false;
	chat_free(&c);
	return ok ? EXIT_SUCCESS : EXIT_FAIL;
}
