/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-chat: the chat class, a handler built out of tree against the installed
 * gsnet handler SDK and nothing else (examples/chat/README.md).
 *
 *   Say (64)   to every session whose entity is within `radius` of the
 *              sender's entity, or to every member of a channel the sender
 *              is in; the sender hears itself too
 *   Join (65)  enter a channel ("" leaves it): one channel per session
 *
 * Each session may say `say_pps` lines a second (bursts of `say_burst`),
 * each at most `max_text` bytes. Channel membership lives in a class zone:
 * every instance of the class reads it, and it outlives any of them, so a
 * restarted or second instance carries on with the same channels.
 *
 * It scans the session table for each line: fine for the few thousand
 * sessions of an example; a production chat keeps a spatial index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gs_sdk.h>

#include "chat.pb-c.h"

GS_LOG_TYPE(gs.chat);

enum chat_type {
	CHAT_SAY = 64,
	CHAT_JOIN = 65,
	CHAT_HEARD = 66,
	CHAT_REFUSED = 67,
	CHAT_JOINED = 68,
};

#define CHAN_LEN 16 /* a channel name and its NUL */

/* A session's channel, by its position in the session table (the class zone). */
struct member {
	uint32_t session_id; /* whose entry this is: 0 while written, or never */
	char chan[CHAN_LEN];
};

/* A session's rate bucket (GCRA), this instance's own. */
struct bucket {
	uint32_t session_id;
	uint64_t tat;
};

struct chat {
	struct gs_handler *h;
	struct gs_session_tbl tbl;
	struct gs_world *world;
	struct member *members; /* [tbl.max], shared by the class's instances */
	struct bucket *buckets; /* [tbl.max] */
	float radius;
	uint64_t say_interval; /* TSC cycles between lines at say_pps */
	uint64_t say_tolerance;
	unsigned int max_text;
	unsigned int rej_first; /* the first of this handler's own reject reasons */
	/* own counts (gsnet_handler_events_total) */
	uint64_t says;
	uint64_t channel_says;
	uint64_t heard_sent;
	uint64_t heard_dropped;
	uint64_t joins;
	struct gs_pb_arena arena;
	uint8_t arena_buf[4096];
};

/* Own reject reasons, in gs_handler_rejects_declare() order. */
enum {
	REJ_RATE,
	REJ_TOO_LONG,
	REJ_BAD_CHANNEL,
	REJ_NOT_IN_CHANNEL
};

static const char *const reject_names[] = { "rate", "too_long", "bad_channel", "not_in_channel" };

static const char *const params[] = { "radius", "say_pps", "say_burst", "max_text", NULL };

static int
init(void *arg, struct gs_handler *h, const struct gs_cfg *cfg)
{
	struct chat *c = arg;
	unsigned int cls = gs_cfg_class_find(cfg, h->class_name);
	uint64_t radius, pps, burst, max_text;
	char err[512];
	int ret;

	memset(c, 0, sizeof(*c));
	c->h = h;
	if (gs_cfg_class_param_u64(cfg, cls, "radius", 1, 100000, 50, &radius, err, sizeof(err)) <
			0 ||
		gs_cfg_class_param_u64(cfg, cls, "say_pps", 1, 1000, 5, &pps, err, sizeof(err)) <
			0 ||
		gs_cfg_class_param_u64(
			cfg, cls, "say_burst", 1, 1000, 10, &burst, err, sizeof(err)) < 0 ||
		gs_cfg_class_param_u64(
			cfg, cls, "max_text", 1, 1000, 200, &max_text, err, sizeof(err)) < 0) {
		GS_LOG(ERR, "%s", err);
		return -EINVAL;
	}
	c->radius = (float)radius;
	c->say_interval = h->tsc_hz / pps;
	c->say_tolerance = c->say_interval * (burst - 1);
	c->max_text = (unsigned int)max_text;
	gs_pb_arena_init(&c->arena, c->arena_buf, sizeof(c->arena_buf));
	c->rej_first = gs_handler_rejects_declare(h, reject_names, RTE_DIM(reject_names));

	ret = gs_world_attach_game("gs-chat", &c->tbl, &c->world);
	if (ret < 0)
		return ret;
	c->members = gs_handler_class_zone(h, "members", sizeof(*c->members) * c->tbl.max);
	c->buckets = calloc(c->tbl.max, sizeof(*c->buckets));
	if (c->members == NULL || c->buckets == NULL)
		return -ENOMEM;
	GS_LOG(NOTICE, "radius %.0f, %" PRIu64 " lines/s (bursts of %" PRIu64 "), %u bytes a line",
		(double)c->radius, pps, burst, c->max_text);
	return 0;
}

/* Whether session @p s may say a line now (and count it if so). */
static bool
rate_ok(struct chat *c, const struct gs_session *s, uint64_t now)
{
	struct bucket *b = &c->buckets[gs_session_slot(&c->tbl, s) - 1];

	if (b->session_id != s->session_id) { /* a new session at this position */
		b->session_id = s->session_id;
		b->tat = now;
	}
	if (now + c->say_tolerance < b->tat)
		return false;
	b->tat = (b->tat > now ? b->tat : now) + c->say_interval;
	return true;
}

/* The channel of session @p s into @p out ("" when none), read consistently. */
static void
channel_of(const struct chat *c, const struct gs_session *s, char out[CHAN_LEN])
{
	const struct member *m = &c->members[gs_session_slot(&c->tbl, s) - 1];
	uint32_t id = __atomic_load_n(&m->session_id, __ATOMIC_ACQUIRE);

	memcpy(out, m->chan, CHAN_LEN);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (id != s->session_id || __atomic_load_n(&m->session_id, __ATOMIC_RELAXED) != id)
		out[0] = '\0';
	out[CHAN_LEN - 1] = '\0';
}

static void
refuse(struct chat *c, unsigned int lcore, const struct gs_session *s, uint64_t msg_id,
	unsigned int why)
{
	Gschat__Refused r = GSCHAT__REFUSED__INIT;

	r.msg_id = msg_id;
	r.reason = (char *)reject_names[why];
	gs_handler_reject(c->h, c->rej_first + why);
	gs_handler_send_pb(c->h, lcore, &c->tbl, s, CHAT_REFUSED, &r.base);
}

static void
hear(struct chat *c, unsigned int lcore, const struct gs_session *to, Gschat__Heard *heard)
{
	if (gs_handler_send_pb(c->h, lcore, &c->tbl, to, CHAT_HEARD, &heard->base) == 0)
		c->heard_sent++;
	else
		c->heard_dropped++; /* reply ring full, or the session just closed */
}

static float
distance(const float a[3], const float b[3])
{
	float d2 = 0.0f;

	for (int i = 0; i < 3; i++)
		d2 += (a[i] - b[i]) * (a[i] - b[i]);
	return __builtin_sqrtf(d2);
}

/* Every open session within the radius of @p from's entity hears @p heard. */
static void
say_around(struct chat *c, unsigned int lcore, const struct gs_session *from, Gschat__Heard *heard,
	uint64_t now)
{
	float here[3], there[3];

	if (gs_world_position(c->world, from->entity_id, from->session_id, now, here) < 0)
		return;
	for (uint32_t pos = 0; pos < c->tbl.max; pos++) {
		const struct gs_session *t = &c->tbl.s[pos];

		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE ||
			gs_world_position(c->world, t->entity_id, t->session_id, now, there) < 0)
			continue;
		heard->distance = distance(here, there);
		if (heard->distance <= c->radius)
			hear(c, lcore, t, heard);
	}
}

/* Every open session in channel @p chan hears @p heard. */
static void
say_channel(struct chat *c, unsigned int lcore, const char *chan, Gschat__Heard *heard)
{
	char theirs[CHAN_LEN];

	for (uint32_t pos = 0; pos < c->tbl.max; pos++) {
		const struct gs_session *t = &c->tbl.s[pos];

		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE)
			continue;
		channel_of(c, t, theirs);
		if (strcmp(theirs, chan) == 0)
			hear(c, lcore, t, heard);
	}
}

static void
on_say(struct chat *c, unsigned int lcore, const struct gs_msg *m, const struct gs_session *s,
	uint64_t now)
{
	Gschat__Heard heard = GSCHAT__HEARD__INIT;
	char mine[CHAN_LEN];
	Gschat__Say *say;

	say = gschat__say__unpack(&c->arena.alloc, m->hdr.payload_len, m->payload);
	if (say == NULL) {
		gs_handler_reject(c->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	if (!rate_ok(c, s, now)) {
		refuse(c, lcore, s, say->msg_id, REJ_RATE);
		return;
	}
	if (strlen(say->text) > c->max_text) {
		refuse(c, lcore, s, say->msg_id, REJ_TOO_LONG);
		return;
	}
	heard.from_session = s->session_id;
	heard.from_entity = s->entity_id;
	heard.text = say->text;
	heard.channel = say->channel;
	heard.msg_id = say->msg_id;
	c->says++;
	if (say->channel[0] == '\0') {
		say_around(c, lcore, s, &heard, now);
		return;
	}
	channel_of(c, s, mine);
	if (strcmp(mine, say->channel) != 0) {
		refuse(c, lcore, s, say->msg_id, REJ_NOT_IN_CHANNEL);
		return;
	}
	c->channel_says++;
	say_channel(c, lcore, say->channel, &heard);
}

/* 1-15 characters of a-z, 0-9, '_' and '-'; "" leaves. */
static bool
channel_valid(const char *chan)
{
	size_t n = strlen(chan);

	return n < CHAN_LEN && strspn(chan, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static void
on_join(struct chat *c, unsigned int lcore, const struct gs_msg *m, const struct gs_session *s)
{
	Gschat__Joined joined = GSCHAT__JOINED__INIT;
	struct member *mb = &c->members[gs_session_slot(&c->tbl, s) - 1];
	Gschat__Join *join;

	join = gschat__join__unpack(&c->arena.alloc, m->hdr.payload_len, m->payload);
	if (join == NULL) {
		gs_handler_reject(c->h, GS_REJECT_BAD_PAYLOAD);
		return;
	}
	if (!channel_valid(join->channel)) {
		refuse(c, lcore, s, 0, REJ_BAD_CHANNEL);
		return;
	}
	/* readers on other instances see the old entry, nothing, or the new one */
	__atomic_store_n(&mb->session_id, 0, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memset(mb->chan, 0, sizeof(mb->chan));
	memcpy(mb->chan, join->channel, strlen(join->channel));
	__atomic_store_n(&mb->session_id, s->session_id, __ATOMIC_RELEASE);
	c->joins++;
	joined.channel = join->channel;
	gs_handler_send_pb(c->h, lcore, &c->tbl, s, CHAT_JOINED, &joined.base);
}

static void
burst(void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n)
{
	struct chat *c = arg;
	uint64_t now = rte_get_timer_cycles();

	for (unsigned int i = 0; i < n; i++) {
		const struct gs_msg *m = &msgs[i];
		const struct gs_session *s = gs_session_of_msg(&c->tbl, m);

		gs_handler_answering(c->h, m);
		gs_pb_arena_reset(&c->arena);
		if (s == NULL) {
			gs_handler_reject(c->h, GS_REJECT_NOT_CONNECTED);
			continue;
		}
		switch (m->hdr.type) {
		case CHAT_SAY:
			on_say(c, lcore, m, s, now);
			break;
		case CHAT_JOIN:
			on_join(c, lcore, m, s);
			break;
		default:
			gs_handler_reject(c->h, GS_REJECT_BAD_TYPE);
			break;
		}
	}
}

static void
report(void *arg, int why)
{
	const struct chat *c = arg;

	GS_LOG(NOTICE,
		"gs-chat exiting (%s): %" PRIu64 " lines (%" PRIu64 " to channels), %" PRIu64
		" heard sent, %" PRIu64 " not sent, %" PRIu64 " joins",
		why == 0 ? "stop requested" : strerror(-why), c->says, c->channel_says,
		c->heard_sent, c->heard_dropped, c->joins);
}

static const struct gs_handler_event events[] = {
	{ "says", offsetof(struct chat, says) },
	{ "channel_says", offsetof(struct chat, channel_says) },
	{ "heard_sent", offsetof(struct chat, heard_sent) },
	{ "heard_dropped", offsetof(struct chat, heard_dropped) },
	{ "joins", offsetof(struct chat, joins) },
};

int
main(int argc, char **argv)
{
	static const struct gs_handler_prog prog = {
		.name = "gs-chat",
		.class_name = "chat",
		.events = events,
		.n_events = RTE_DIM(events),
		.params = params,
		.init = init,
		.report = report,
		.ops = { .burst = burst },
	};
	static struct chat ctx;

	return gs_handler_main(argc, argv, &prog, &ctx);
}
