/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-client's players and the loop that drives them: one epoll loop over
 * every player's socket, and a min-heap of timers (gsc_timers, one per
 * player) for what each sends next: CONNECT (retransmitted every 250 ms until
 * accepted or the connect timeout), a HEARTBEAT every interval, with --move a
 * MOVE towards a waypoint (or the --fight partner) at --move-hz, with --fight
 * an ATTACK every --attack-ms, and after the duration DISCONNECT. With
 * --views each player's session applies the server's SNAPSHOTs to its own
 * gsc_repl and acks them; the views of all playing players are kept at the
 * run's first DISCONNECT (one moment, the world still live), for the
 * summary and --view-out.
 */
#include "sim.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gs_wire.h"

#include "report.h"

#define RETRANSMIT_NS (250 * NS_PER_MS)
#define LINGER_NS     (200 * NS_PER_MS)
#define RX_BUDGET     64 /* datagrams per socket per wakeup */
#define EPOLL_EVENTS  256

#define WAYPOINT_RADIUS 40.0	 /* --move: waypoints this close to the spawn */
#define FIGHT_NEAR	2.0	 /* --fight: close enough to the partner */
#define CHEAT_TELEPORT	1000.0f	 /* --cheat-every: a jump the speed check refuses */
#define CHEAT_OUT_X	20000.0f /* ... and an x beyond the default bounds */

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
	const struct player *q = fight_partner(c, p);

	return q != NULL && q->phase == PHASE_PLAYING ? q : NULL;
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
	p->hp_prev = p->hp;
	p->hp = d->hp;
	p->damaged_ns = now;
	p->killed = d->killed;
	if (!d->killed)
		return;
	c->cb.damaged_killed++;
	p->deaths++;
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

/* @p p's index in c->p: the id of its timer. */
static uint32_t
player_id(const struct client *c, const struct player *p)
{
	return (uint32_t)(p - c->p);
}

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
	/* --views, the session closed without our DISCONNECT: the last view it had */
	if (p->phase == PHASE_PLAYING)
		(void)report_take_view(c, p); /* -ENOMEM: --view-out says the line is lost */
	if (p->phase == PHASE_CONNECTING) {
		p->failed = true;
		c->failed++;
	}
	p->phase = PHASE_DONE;
	gsc_timers_cancel(&c->timers, player_id(c, p));
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
	uint64_t due = p->hb_due;

	if (p->move_due < due)
		due = p->move_due;
	if (p->attack_due < due)
		due = p->attack_due;
	gsc_timers_set(&c->timers, player_id(c, p), due);
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
	p->hp = p->hp_prev = -1;
	pick_waypoint(c, p);
	set_due(c, p);
}

static void
player_disconnect(struct client *c, struct player *p)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	/*
	 * --views: every playing player's view at one moment, the first
	 * DISCONNECT of the run, while the world they all see is live (a view
	 * taken after another player left would lack it)
	 */
	if (p->phase == PHASE_PLAYING)
		for (unsigned int i = 0; i < c->o.players; i++)
			if (c->p[i].phase == PHASE_PLAYING)
				(void)report_take_view(c, &c->p[i]); /* -ENOMEM: the line is lost */
	if (gsc_session_disconnect(&p->s, buf, sizeof(buf), &len) == 0)
		send_datagram(c, p, buf, len);
	finish(c, p);
}

/* Player @p p's timer fired at @p now (it is the first of the heap). */
static void
player_timer(struct client *c, struct player *p, uint64_t now)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	uint64_t due;
	size_t len;

	switch (p->phase) {
	case PHASE_CONNECTING:
		if (now >= c->connect_deadline) {
			finish(c, p);
			return;
		}
		if (gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		due = now + RETRANSMIT_NS;
		if (due > c->connect_deadline)
			due = c->connect_deadline;
		gsc_timers_set(&c->timers, player_id(c, p), due);
		return;
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
}

/* --views --fight: count the partner's deaths @p p's view shows */
static void
note_partner(const struct client *c, struct player *p)
{
	const struct player *q = partner(c, p);
	struct gsc_repl_ent e;

	if (q == NULL || gsc_repl_entity(p->repl, q->s.entity_id, &e) < 0)
		return; /* out of view: as it was */
	if (!e.alive && !p->partner_seen_dead)
		p->partner_deaths_seen++;
	p->partner_seen_dead = !e.alive;
}

/* --views: a SNAPSHOT applied or dropped (@p info); ack when libgsclient says to. */
static void
on_snapshot(struct client *c, struct player *p, const struct gsc_snapshot_info *info)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	if (info->applied) {
		report_note_view(p);
		note_partner(c, p);
	}
	/* -ENOTCONN once the session is closed: no ack then */
	if (info->ack && gsc_session_snapshot_ack(&p->s, buf, sizeof(buf), &len) == 0)
		send_datagram(c, p, buf, len);
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
	case GSC_EVENT_SNAPSHOT: /* only with --views: a gsc_repl is attached */
		on_snapshot(c, p, &ev->u.snapshot);
		break;
	case GSC_EVENT_NONE:
	case GSC_EVENT_RAW: /* never: gs-client does not ask for them */
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

void
sim_run(struct client *c)
{
	struct epoll_event evs[EPOLL_EVENTS];
	uint64_t now, wake, linger_end = 0, spread, due;
	unsigned int i;
	uint32_t id;
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
		gsc_timers_set(&c->timers, i, c->t0 + spread * i / c->o.players);
	}

	for (;;) {
		now = gsc_now_ns();
		if (now >= c->hard_deadline) {
			stop_all(c); /* only if timers ran badly late: no linger */
			break;
		}
		if (*c->stop && !stopping) {
			stopping = true;
			stop_all(c);
		}
		while (gsc_timers_first(&c->timers, &id, &due) && due <= now)
			player_timer(c, &c->p[id], now);
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
		if (gsc_timers_first(&c->timers, NULL, &due) && due < wake)
			wake = due;
		if (linger_end != 0 && linger_end < wake)
			wake = linger_end;
		if (!c->o.quiet && c->next_progress < wake)
			wake = c->next_progress;

		n = epoll_wait(c->ep, evs, EPOLL_EVENTS, wait_ms(now, wake));
		for (k = 0; k < n; k++)
			player_rx(c, &c->p[evs[k].data.u32]);
	}
}
