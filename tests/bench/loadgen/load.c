/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-loadgen's phases: CONNECT every session, the unmeasured warm-up, the
 * measured load (a TSC token bucket, requests round-robin over the sessions,
 * the type drawn by --mix) and the goodbye.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "loadgen.h"

#define CONNECT_RETRY_MS  200u
#define CONNECT_GIVEUP_MS 5000u
#define CONNECT_PPS	  200000u /* pace of CONNECT bursts */
#define WARMUP_WINDOW	  256u	  /* requests in flight during the warm-up */
#define WARMUP_MAX_MS	  3000u
#define WALK_STEP	  0.25f
#define WALK_PHASES	  12u	/* triangle wave: offsets -0.75 .. +0.75 */
#define FAR_APART	  20.0f /* attack targets at least this far away (skill 1: 5) */
#define SKILL		  1u

static inline uint64_t
next_rand(struct lg *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
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

unsigned int
load_connect_all(struct lg *g)
{
	uint64_t t0 = rte_rdtsc(), giveup = t0 + ms_tsc(g, CONNECT_GIVEUP_MS);
	uint64_t pass_start = t0, per_burst = g->hz * BURST / CONNECT_PPS, next_burst = t0;
	unsigned int cursor = 0, pending;
	bool pass_done = false;

	for (;;) {
		uint64_t now = rte_rdtsc();

		if (now >= giveup || *g->stop)
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
					if (net_build(g, m[n], s, GS_MSG_CONNECT, &c.base) == 0) {
						net_connect_nonce(g, cursor,
							rte_pktmbuf_mtod_offset(m[n], uint8_t *,
								HDRS_LEN + GS_WIRE_AUTH_OFF));
						s->state = SESS_CONNECTING;
						n++;
					}
				}
				if (n < BURST)
					rte_pktmbuf_free_bulk(m + n, BURST - n);
				g->c.connect_sent += net_send_all(g, m, n, 1000);
			}
			if (cursor >= g->o.sessions)
				pass_done = true;
			next_burst = now + per_burst;
		}
		pending =
			g->o.sessions - (unsigned int)(g->c.connect_accepted + g->c.connect_failed);
		if (pending == 0)
			break;
		if (net_rx_poll(g) == 0 && pass_done)
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

void
load_pick_targets(struct lg *g)
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
		ret = net_build(g, m, s, GS_MSG_HEARTBEAT, &hb.base);
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
		ret = net_build(g, m, s, GS_MSG_MOVE, &mv.base);
		break;
	}
	default: {
		Gs__Attack at = GS__ATTACK__INIT;

		at.attacker = s->entity_id;
		at.target = s->target;
		at.skill = SKILL;
		at.seq = ++s->attack_seq;
		at.client_time_ns = stamp(g);
		ret = net_build(g, m, s, GS_MSG_ATTACK, &at.base);
		break;
	}
	}
	if (ret < 0)
		return -1;
	*sp = s;
	return (int)kind;
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
	got = net_send_all(g, m, n, 4);
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

void
load_warm_up(struct lg *g, uint64_t count)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + ms_tsc(g, WARMUP_MAX_MS);

	g->run_tsc = t0;
	g->cursor = 0;
	while (!*g->stop && total_sent(g) < count && rte_rdtsc() < end) {
		uint64_t sent = total_sent(g), out = sent - g->c.answered;
		uint64_t want = out >= WARMUP_WINDOW ? 0 : WARMUP_WINDOW - out;

		unsigned int rx, tx;

		want = RTE_MIN(want, RTE_MIN((uint64_t)BURST, count - sent));
		tx = send_requests(g, (unsigned int)want);
		rx = net_rx_poll(g);
		if (rx == 0 && tx == 0)
			idle(g);
	}
	end = rte_rdtsc() + ms_tsc(g, DRAIN_MS);
	while (!*g->stop && total_sent(g) > g->c.answered && rte_rdtsc() < end)
		if (net_rx_poll(g) == 0)
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

void
load_offer(struct lg *g)
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
	while (!*g->stop && (now = rte_rdtsc()) < end) {
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
		if (net_rx_poll(g) == 0 && n == 0)
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

void
load_backlog(struct lg *g)
{
	uint64_t t0, end;

	fprintf(stderr, "gs-loadgen: backlog ready: %" PRIu64 " requests on SIGUSR1\n",
		g->o.backlog);
	while (!*g->stop && !*g->go)
		rte_delay_us_sleep(1000);
	t0 = rte_rdtsc();
	g->run_tsc = t0;
	g->rx_count_on = true;
	while (!*g->stop && total_sent(g) + g->c.tx_full < g->o.backlog) {
		uint64_t left = g->o.backlog - total_sent(g) - g->c.tx_full;

		if (send_requests(g, (unsigned int)RTE_MIN(left, (uint64_t)BURST)) == 0)
			break; /* no mbufs: what was sent is the backlog */
	}
	g->rx_count_on = false;
	g->tx_secs = tsc_ms(g, rte_rdtsc() - t0) / 1e3;
	end = rte_rdtsc() + ms_tsc(g, BACKLOG_WAIT_MS);
	while (!*g->stop && total_sent(g) > g->c.answered && rte_rdtsc() < end)
		if (net_rx_poll(g) == 0)
			rte_delay_us_sleep(1000);
	/* the DISCONNECTs would be work for the server's stages still being measured */
	fprintf(stderr, "gs-loadgen: backlog answered: goodbye on SIGUSR1\n");
	while (!*g->stop && *g->go < 2)
		rte_delay_us_sleep(1000);
}

void
load_say_goodbye(struct lg *g)
{
	unsigned int k = 0;

	while (k < g->n_live) {
		struct rte_mbuf *m[BURST];
		unsigned int n = 0;

		if (rte_pktmbuf_alloc_bulk(g->pool, m, BURST) != 0) {
			net_rx_poll(g);
			continue;
		}
		for (; k < g->n_live && n < BURST; k++) {
			struct sess *s = &g->s[g->live[k]];
			Gs__Disconnect d = GS__DISCONNECT__INIT;

			if (s->state != SESS_CONNECTED)
				continue;
			d.reason = GS__DISCONNECT__REASON__CLIENT_QUIT;
			if (net_build(g, m[n], s, GS_MSG_DISCONNECT, &d.base) == 0)
				n++;
		}
		if (n < BURST)
			rte_pktmbuf_free_bulk(m + n, BURST - n);
		g->c.bye_sent += net_send_all(g, m, n, 1000);
		net_rx_poll(g);
		rte_delay_us_block(BURST * 1000000u / CONNECT_PPS);
	}
}
