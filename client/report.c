/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-client's summary: the players' figures summed up, printed as text or
 * JSON, --world-out and --view-out. Every line format here is read by tests/
 * and deploy/ scripts: change none without them.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_wire.h"

/*
 * --views: the counters of the players' views as their play ended, summed
 * into @p t; the others they saw, of those with a view (a snapshot applied).
 */
static void
sum_views(const struct client *c, struct totals *t)
{
	const struct view_end *e;
	unsigned int i;

	for (i = 0; i < c->o.players; i++) {
		e = &c->p[i].end;
		if (!e->taken)
			continue;
		if (e->tick != 0) { /* a view: its saw counts */
			if (t->view_players == 0 || e->saw < t->saw_min)
				t->saw_min = e->saw;
			if (e->saw > t->saw_max)
				t->saw_max = e->saw;
			t->saw_sum += e->saw;
			t->view_players++;
		}
		t->view.applied += e->st.applied;
		t->view.full += e->st.full;
		t->view.delta += e->st.delta;
		t->view.dropped_old += e->st.dropped_old;
		t->view.dropped_no_baseline += e->st.dropped_no_baseline;
		t->view.dropped_bad += e->st.dropped_bad;
		t->view.acks_sent += e->st.acks_sent;
		t->view.cut += e->st.cut;
	}
	t->view_dropped = t->view.dropped_old + t->view.dropped_no_baseline + t->view.dropped_bad;
}

void
report_sum_up(const struct client *c, struct totals *t)
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
	if (c->o.views)
		sum_views(c, t);
}

static double
pct_us(const struct gsc_hist *h, double p)
{
	return (double)gsc_hist_percentile(h, p) / 1e3;
}

/* --views: the mean of the players' saw, 0 without players with a view. */
static double
saw_mean(const struct totals *t)
{
	return t->view_players > 0 ? (double)t->saw_sum / t->view_players : 0.0;
}

void
report_print_text(const struct client *c, const struct totals *t)
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
	if (c->o.views)
		printf("  views:     players=%u snapshots=%" PRIu64 " full=%" PRIu64
		       " delta=%" PRIu64 " dropped=%" PRIu64 " acks=%" PRIu64 " cut=%" PRIu64
		       " others_seen min=%" PRIu32 " mean=%.1f max=%" PRIu32 "\n",
			t->view_players, t->view.applied, t->view.full, t->view.delta,
			t->view_dropped, t->view.acks_sent, t->view.cut, t->saw_min, saw_mean(t),
			t->saw_max);
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
print_views_json(const struct totals *t)
{
	printf(",\"views\":{\"players\":%u,\"snapshots\":%" PRIu64 ",\"full\":%" PRIu64
	       ",\"delta\":%" PRIu64 ",\"dropped\":%" PRIu64
	       ",\"dropped_by_reason\":{\"old\":%" PRIu64 ",\"no_baseline\":%" PRIu64
	       ",\"bad\":%" PRIu64 "},\"acks\":%" PRIu64 ",\"cut\":%" PRIu64
	       ",\"others_seen\":{\"min\":%" PRIu32 ",\"mean\":%.1f,\"max\":%" PRIu32 "}}",
		t->view_players, t->view.applied, t->view.full, t->view.delta, t->view_dropped,
		t->view.dropped_old, t->view.dropped_no_baseline, t->view.dropped_bad,
		t->view.acks_sent, t->view.cut, t->saw_min, saw_mean(t), t->saw_max);
}

void
report_print_json(const struct client *c, const struct totals *t)
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
	if (c->o.views)
		print_views_json(t);
	puts("}");
}

int
report_write_world(const struct client *c, uint64_t now)
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

void
report_note_view(struct player *p)
{
	struct gsc_repl_ent self;
	uint32_t others = gsc_repl_count(p->repl);

	if (others > 0 && gsc_repl_entity(p->repl, p->s.entity_id, &self) == 0)
		others--;
	if (others > p->saw)
		p->saw = others;
}

/* ms since player @p p's combat state last changed at @p now (a DAMAGED, a respawn), -1: never */
static int64_t
state_age_ms(const struct player *p, uint64_t now)
{
	uint64_t t = p->damaged_ns;

	if (p->dead && p->respawn_ns <= now && p->respawn_ns > t)
		t = p->respawn_ns;
	return t == 0 || t > now ? -1 : (int64_t)((now - t) / 1000000u);
}

int
report_view_line(
	FILE *f, unsigned int i, const struct player *p, const struct player *partner, uint64_t now)
{
	const struct gsc_repl_stats *st = &p->repl->stats;
	struct gsc_repl_ent e;
	uint32_t k, n = gsc_repl_count(p->repl);

	fprintf(f,
		"{\"player\":%u,\"session\":%" PRIu32 ",\"entity\":%" PRIu32 ",\"tick\":%" PRIu32
		",\"views_applied\":%" PRIu64 ",\"full\":%" PRIu64 ",\"delta\":%" PRIu64
		",\"dropped\":%" PRIu64 ",\"acks\":%" PRIu64 ",\"cut\":%" PRIu64 ",\"saw\":%" PRIu32
		",",
		i, p->s.session_id, p->s.entity_id, p->repl->newest, st->applied, st->full,
		st->delta, st->dropped_old + st->dropped_no_baseline + st->dropped_bad,
		st->acks_sent, st->cut, p->saw);
	/* its own state as the server last told it: to hold the others' views against */
	fprintf(f,
		"\"auth\":[%.9g,%.9g,%.9g],\"hp\":%" PRId32 ",\"hp_prev\":%" PRId32
		",\"dead\":%s,\"deaths\":%" PRIu32 ",\"state_ms\":%" PRId64 ",\"partner\":%" PRIu32
		",\"partner_deaths_seen\":%" PRIu32 ",",
		(double)p->auth[0], (double)p->auth[1], (double)p->auth[2], p->hp, p->hp_prev,
		p->dead && now < p->respawn_ns ? "true" : "false", p->deaths, state_age_ms(p, now),
		partner != NULL ? partner->s.entity_id : 0, p->partner_deaths_seen);
	fputs("\"view\":[", f);
	for (k = 0; k < n && gsc_repl_entity_at(p->repl, k, &e) == 0; k++)
		fprintf(f,
			"%s{\"id\":%" PRIu32 ",\"x\":%.9g,\"y\":%.9g,\"z\":%.9g,\"hp\":%" PRId32
			",\"alive\":%s}",
			k > 0 ? "," : "", e.id, (double)e.pos[0], (double)e.pos[1],
			(double)e.pos[2], e.hp, e.alive ? "true" : "false");
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}

int
report_take_view(const struct client *c, struct player *p)
{
	size_t size;
	FILE *f;
	int ret;

	if (p->repl == NULL || p->end.taken)
		return 0;
	p->end.taken = true;
	p->end.tick = p->repl->newest;
	p->end.saw = p->saw;
	p->end.st = p->repl->stats;
	if (c->o.view_out == NULL)
		return 0;

	f = open_memstream(&p->end.line, &size);
	if (f == NULL)
		return -ENOMEM;
	ret = report_view_line(f, (unsigned int)(p - c->p), p, fight_partner(c, p), gsc_now_ns());
	if (fclose(f) != 0 || ret < 0) {
		free(p->end.line);
		p->end.line = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
report_write_views(const struct client *c)
{
	const struct player *p;
	unsigned int i, lost = 0;
	FILE *f;

	f = fopen(c->o.view_out, "w");
	if (f == NULL)
		goto fail;
	for (i = 0; i < c->o.players; i++) {
		p = &c->p[i];
		if (p->end.taken && p->end.line == NULL)
			lost++;
		else if (p->end.taken)
			fputs(p->end.line, f);
	}
	if (fclose(f) != 0)
		goto fail;
	if (lost == 0)
		return 0;
	fprintf(stderr, "gs-client: --view-out %s: %u players' views lost: %s\n", c->o.view_out,
		lost, strerror(ENOMEM));
	return -EIO;
fail:
	fprintf(stderr, "gs-client: --view-out %s: %s\n", c->o.view_out, strerror(errno));
	return -EIO;
}
