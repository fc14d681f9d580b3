/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-client: simulate N players against a gsnet server over kernel UDP.
 *
 * Every player has its own connected UDP socket (so its own source port) and
 * a struct gsc_session. One epoll loop drives them all with a min-heap of
 * per-player timers: CONNECT (retransmitted every 250 ms until accepted or
 * the connect timeout), then a HEARTBEAT every interval for the duration, then
 * DISCONNECT. After the last DISCONNECT the loop lingers up to 200 ms for
 * HEARTBEAT_ACKs still in flight. A hard deadline of connect-timeout +
 * duration + 1.5 s bounds the whole run.
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
#include <unistd.h>

#include "gs_wire.h"

#include "gsclient.h"

#define NS_PER_MS      UINT64_C(1000000)
#define NS_PER_S       UINT64_C(1000000000)
#define MAX_PLAYERS    10000u
#define RETRANSMIT_NS  (250 * NS_PER_MS)
#define LINGER_NS      (200 * NS_PER_MS)
#define HARD_SLACK_NS  (1500 * NS_PER_MS) /* beyond connect-timeout + duration */
#define RX_BUDGET      64		  /* datagrams per socket per wakeup */
#define EPOLL_EVENTS   256
#define DEFAULT_SERVER "198.18.0.2:7777"
#define EXIT_LOSS      1
#define EXIT_USAGE     2

enum phase {
	PHASE_CONNECTING, /* timer: next CONNECT (re)transmission */
	PHASE_PLAYING,	  /* timer: next HEARTBEAT, then DISCONNECT */
	PHASE_DONE,	  /* no timer */
};

struct player {
	struct gsc_session s;
	int fd;
	enum phase phase;
	bool failed;	     /* never connected */
	uint32_t heap_pos;   /* index in client.heap while it has a timer */
	uint32_t hb_done;    /* heartbeats attempted */
	uint64_t due_ns;     /* when the timer fires */
	uint64_t play_start; /* when CONNECT_ACCEPT arrived */
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
	struct gsc_hist rtt;
	struct gsc_hist connect;
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
		"the duration, DISCONNECT; then print a summary.\n"
		"  --server IP:PORT       server address (default " DEFAULT_SERVER ")\n"
		"  --players N            players, one UDP socket each (default 10, max %u)\n"
		"  --duration SEC         heartbeating time after connect (default 20)\n"
		"  --interval MS          heartbeat interval (default 100)\n"
		"  --connect-timeout MS   give up connecting after this; CONNECT is resent\n"
		"                         every 250 ms until then (default 2000)\n"
		"  --bind IP              source address\n"
		"  --quiet                no progress lines\n"
		"  --json                 print the summary as one JSON object\n"
		"  -h, --help             this text\n"
		"Exit status: 0 all players connected and no loss, 1 loss, failed connects or a\n"
		"runtime error, 2 bad usage.\n",
		prog, MAX_PLAYERS);
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
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
	if (bad != NULL) {
		fprintf(stderr, "gs-client: %s (try --help)\n", bad);
		return -EINVAL;
	}
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
	gsc_hist_reset(&c->rtt);
	gsc_hist_reset(&c->connect);
	c->hb_per_player = (uint64_t)c->o.duration_s * 1000 / c->o.interval_ms;
	return 0;
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
start_playing(struct client *c, struct player *p, uint64_t now)
{
	p->phase = PHASE_PLAYING;
	p->play_start = now;
	p->hb_done = 0;
	p->due_ns = now + (c->hb_per_player > 0 ? c->o.interval_ms * NS_PER_MS :
						  c->o.duration_s * NS_PER_S);
	heap_fix(c, (uint32_t)(p - c->p));
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
		if (p->hb_done >= c->hb_per_player) {
			player_disconnect(c, p);
			return;
		}
		if (gsc_session_heartbeat(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->hb_done++;
		/* On the original grid: a late loop catches up instead of drifting. */
		if (p->hb_done < c->hb_per_player)
			p->due_ns = p->play_start +
				    ((uint64_t)p->hb_done + 1) * c->o.interval_ms * NS_PER_MS;
		else
			p->due_ns = p->play_start + c->o.duration_s * NS_PER_S;
		break;
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

static uint64_t
outstanding(const struct client *c)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < c->o.players; i++)
		n += c->p[i].s.hb_outstanding;
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
	uint64_t lost;
};

static void
sum_up(const struct client *c, struct totals *t)
{
	const struct gsc_stats *s;
	unsigned int i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < c->o.players; i++) {
		s = &c->p[i].s.stats;
		t->hb_sent += c->p[i].s.hb_sent;
		if (s->tx_by_type[GS_MSG_CONNECT] > 0)
			t->connect_retx += s->tx_by_type[GS_MSG_CONNECT] - 1;
		t->hb_lost += c->p[i].s.hb_sent - s->hb_acked - s->hb_late;
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
	}
	t->lost = t->hb_lost + c->failed;
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
	printf("  sessions:  closed_by_server=%" PRIu64 " session_errors=%" PRIu64 "\n",
		k->server_closed, t->s.session_errors);
	printf("  connect_us p50=%.1f p90=%.1f p99=%.1f max=%.1f (first CONNECT to accept)\n",
		pct_us(&c->connect, 50), pct_us(&c->connect, 90), pct_us(&c->connect, 99),
		pct_us(&c->connect, 100));
	printf("  rtt_us     min=%.1f avg=%.1f samples=%" PRIu64 "\n", (double)c->rtt.min / 1e3,
		c->rtt.count ? (double)c->rtt.sum / (double)c->rtt.count / 1e3 : 0.0, c->rtt.count);
}

static void
print_hist_json(const char *name, const struct gsc_hist *h)
{
	printf("\"%s\":{\"samples\":%" PRIu64 ",\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
	       "\"p99\":%.1f,\"max\":%.1f}",
		name, h->count, (double)h->min / 1e3, pct_us(h, 50), pct_us(h, 90), pct_us(h, 99),
		pct_us(h, 100));
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
	       "},\"duplicate_accepts\":%" PRIu64 ",\"session_errors\":%" PRIu64
	       ",\"closed_by_server\":%" PRIu64,
		t->s.rx_bad, t->s.rx_not_session, t->s.rx_wrong_session, t->s.rx_unexpected,
		k->oversize, t->s.rx_dup_accept, t->s.session_errors, k->server_closed);
	printf(",\"server_seq\":{\"gaps\":%" PRIu64 ",\"reordered\":%" PRIu64
	       "},\"send_fail\":%" PRIu64 ",\"icmp_refused\":%" PRIu64 ",\"recv_fail\":%" PRIu64
	       ",\"duration_s\":%u,\"interval_ms\":%u}\n",
		t->s.seq_gaps, t->s.seq_reordered, k->send_fail, k->icmp_refused, k->recv_fail,
		c->o.duration_s, c->o.interval_ms);
}

int
main(int argc, char **argv)
{
	static struct client c; /* two 59 KB histograms: not on the stack */
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

	sum_up(&c, &t);
	if (c.o.json)
		print_json(&c, &t);
	else
		print_text(&c, &t);
	fflush(stdout);
	client_free(&c);
	return c.connected == c.o.players && t.lost == 0 ? EXIT_SUCCESS : EXIT_LOSS;
}
