/* SPDX-License-Identifier: BSD-3-Clause */
/* chat-client's players: sending, their timers, what they receive, and the run. */
#include "chat_client.h"

/* --- sending -------------------------------------------------------------------------------- */

static int
send_datagram(struct chat *c, struct player *p, const uint8_t *buf, size_t len)
{
	if (send(p->fd, buf, len, 0) != (ssize_t)len) {
		c->send_fail++;
		return -EIO;
	}
	return 0;
}

/* Pack @p m as a chat message of @p type and send it in @p p's session. */
static int
send_chat(struct chat *c, struct player *p, uint8_t type, const ProtobufCMessage *m)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t plen = protobuf_c_message_get_packed_size(m), len;
	int ret;

	if (plen > GS_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	protobuf_c_message_pack(m, buf + GS_WIRE_HDR_LEN); /* in place: raw() leaves it there */
	ret = gsc_session_raw(&p->s, type, buf + GS_WIRE_HDR_LEN, plen, buf, sizeof(buf), &len);
	if (ret < 0)
		return ret;
	return send_datagram(c, p, buf, len);
}

static void
send_join(struct chat *c, struct player *p)
{
	Gschat__Join j = GSCHAT__JOIN__INIT;

	j.channel = (char *)c->o.channel;
	send_chat(c, p, CHAT_JOIN, &j.base);
}

/* The next Say: odd counters to the surroundings, even ones to the channel if joined. */
static void
send_say(struct chat *c, struct player *p)
{
	Gschat__Say say = GSCHAT__SAY__INIT;
	uint32_t counter = p->n_said + 1;
	bool to_channel = p->joined && counter % 2 == 0;
	char text[64];

	if (p->n_said >= c->says_max)
		return;
	snprintf(text, sizeof(text), "player %u says #%u", index_of(c, p), counter);
	say.text = text;
	say.channel = to_channel ? (char *)c->o.channel : "";
	say.msg_id = (uint64_t)index_of(c, p) << 32 | counter;
	if (send_chat(c, p, CHAT_SAY, &say.base) < 0)
		return;
	p->said[p->n_said++] = (struct said){ .id = say.msg_id, .to_channel = to_channel };
}

/* --- timers --------------------------------------------------------------------------------- */

static void
rearm(struct chat *c, struct player *p)
{
	uint64_t due = p->connect_due;

	if (p->join_due < due)
		due = p->join_due;
	if (p->say_due < due)
		due = p->say_due;
	if (p->hb_due < due)
		due = p->hb_due;
	if (due == UINT64_MAX)
		gsc_timers_cancel(&c->timers, index_of(c, p));
	else
		gsc_timers_set(&c->timers, index_of(c, p), due);
}

static void
stop_player(struct chat *c, struct player *p)
{
	p->connect_due = p->join_due = p->say_due = p->hb_due = UINT64_MAX;
	rearm(c, p);
}

/* The heartbeat interval CONNECT_ACCEPT gave, 1 s if it gave none. */
static uint64_t
hb_period(const struct player *p)
{
	return (p->s.heartbeat_interval_ms > 0 ? p->s.heartbeat_interval_ms : 1000) * NS_PER_MS;
}

static void
player_timer(struct chat *c, struct player *p, uint64_t now)
{
	uint64_t period = c->o.say_every_ms * NS_PER_MS;
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	if (p->connect_due <= now) {
		if (gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->connect_due = now + CONNECT_RETRY_NS;
	}
	if (p->join_due <= now) {
		send_join(c, p);
		p->join_due = now + JOIN_RETRY_NS;
	}
	if (p->say_due <= now) {
		send_say(c, p);
		do /* on the grid: a late loop skips Says rather than bunching them */
			p->say_due += period;
		while (p->say_due <= now);
	}
	if (p->hb_due <= now) {
		if (gsc_session_heartbeat(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		p->hb_due = now + hb_period(p);
	}
	rearm(c, p);
}

/* --- receiving ------------------------------------------------------------------------------ */

static void
on_heard(struct chat *c, struct player *p, const Gschat__Heard *h)
{
	uint32_t me = index_of(c, p), counter = (uint32_t)h->msg_id;
	struct heard *e;

	p->heard_total++;
	if (h->from_session == p->s.session_id && h->msg_id >> 32 == me && counter >= 1 &&
		counter <= p->n_said)
		p->said[counter - 1].echoes++;

	if (p->n_heard == p->heard_cap) {
		uint32_t cap = p->heard_cap > 0 ? 2 * p->heard_cap : 64;

		if (c->heard_recorded + (cap - p->heard_cap) > HEARD_BUDGET)
			return;
		e = realloc(p->heard, cap * sizeof(*e));
		if (e == NULL)
			return;
		c->heard_recorded += cap - p->heard_cap;
		p->heard = e;
		p->heard_cap = cap;
	}
	e = &p->heard[p->n_heard++];
	e->msg_id = h->msg_id;
	e->from_session = h->from_session;
	e->from_entity = h->from_entity;
	e->distance = h->distance;
	snprintf(e->channel, sizeof(e->channel), "%s", h->channel);
}

static enum refusal
refusal_of(const char *reason)
{
	unsigned int r;

	for (r = 0; r < REFUSAL_OTHER; r++)
		if (strcmp(reason, refusal_names[r]) == 0)
			return r;
	return REFUSAL_OTHER;
}

static void
on_refused(struct chat *c, struct player *p, const Gschat__Refused *r)
{
	enum refusal why = refusal_of(r->reason);
	uint32_t counter = (uint32_t)r->msg_id;

	p->refused[why]++;
	if (r->msg_id == 0) { /* our Join: retried unless it can never succeed */
		if (why != REFUSAL_RATE && p->join_due != UINT64_MAX) {
			p->join_due = UINT64_MAX;
			c->join_pending--;
			rearm(c, p);
		}
		return;
	}
	if (r->msg_id >> 32 == index_of(c, p) && counter >= 1 && counter <= p->n_said)
		p->said[counter - 1].refused = true;
}

static void
on_joined(struct chat *c, struct player *p, const Gschat__Joined *j)
{
	if (p->join_due == UINT64_MAX || strcmp(j->channel, c->o.channel) != 0)
		return; /* not waiting, or not the channel we asked for */
	p->joined = true;
	p->join_due = UINT64_MAX;
	c->joined++;
	c->join_pending--;
	rearm(c, p);
}

static void
on_raw(struct chat *c, struct player *p, uint8_t type, const uint8_t *payload, uint16_t len)
{
	ProtobufCAllocator *a = &c->arena.alloc;
	void *m = NULL;

	gs_pb_arena_reset(&c->arena);
	if (type == CHAT_HEARD && (m = gschat__heard__unpack(a, len, payload)) != NULL)
		on_heard(c, p, m);
	else if (type == CHAT_REFUSED && (m = gschat__refused__unpack(a, len, payload)) != NULL)
		on_refused(c, p, m);
	else if (type == CHAT_JOINED && (m = gschat__joined__unpack(a, len, payload)) != NULL)
		on_joined(c, p, m);
	if (m == NULL) /* a payload that does not unpack, or a type the class does not send */
		c->bad_payload++;
}

static void
on_event(struct chat *c, struct player *p, const struct gsc_event *ev, uint64_t now)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	size_t len;

	switch (ev->type) {
	case GSC_EVENT_CONNECTED:
		if (c->phase != PHASE_CONNECT) { /* too late: release the server's session */
			if (gsc_session_disconnect(&p->s, buf, sizeof(buf), &len) == 0)
				send_datagram(c, p, buf, len);
			return;
		}
		p->connected = true;
		c->connected++;
		p->connect_due = UINT64_MAX;
		p->hb_due = now + hb_period(p);
		rearm(c, p);
		return;
	case GSC_EVENT_CHALLENGE: /* answer at once: the cookie lives [auth] challenge_ttl_ms */
		if (p->connect_due != UINT64_MAX &&
			gsc_session_connect(&p->s, now, buf, sizeof(buf), &len) == 0)
			send_datagram(c, p, buf, len);
		return;
	case GSC_EVENT_DISCONNECTED:
	case GSC_EVENT_ERROR:
		fprintf(stderr, "chat-client: player %u: the server %s (%s %d)\n", index_of(c, p),
			p->connected ? "closed the session" : "refused to connect",
			ev->type == GSC_EVENT_ERROR ? "SESSION_ERROR code" : "DISCONNECT reason",
			ev->code);
		if (p->connected && !p->closed_by_server) {
			p->closed_by_server = true;
			c->server_closed++;
		}
		if (p->join_due != UINT64_MAX)
			c->join_pending--;
		stop_player(c, p);
		return;
	case GSC_EVENT_RAW:
		on_raw(c, p, ev->u.raw.type, ev->u.raw.payload, ev->u.raw.len);
		return;
	default: /* heartbeat acks; movement and combat answers we never ask for */
		return;
	}
}

static void
player_rx(struct chat *c, struct player *p)
{
	uint8_t buf[GSC_DATAGRAM_MAX];
	struct gsc_event ev;
	unsigned int n;
	ssize_t len;

	for (n = 0; n < RX_BUDGET; n++) {
		len = recv(p->fd, buf, sizeof(buf), MSG_TRUNC);
		if (len < 0) {
			if (errno == EINTR || errno == ECONNREFUSED) /* ICMP: nobody there yet */
				continue;
			return; /* EAGAIN, or an error the next wakeup sees again */
		}
		if ((size_t)len > sizeof(buf) ||
			gsc_session_input(&p->s, buf, (size_t)len, gsc_now_ns(), &ev) < 0) {
			c->rx_refused++;
			continue;
		}
		on_event(c, p, &ev, gsc_now_ns());
	}
}

/* --- the run -------------------------------------------------------------------------------- */

/* Move to the next phase(s) whose start condition holds at @p now. */
static void
advance(struct chat *c, uint64_t now)
{
	uint64_t period = c->o.say_every_ms * NS_PER_MS;
	struct player *p;
	unsigned int i, n = c->o.players;

	if (c->phase == PHASE_CONNECT && (c->connected == n || now >= c->phase_end)) {
		for (i = 0; i < n; i++) {
			p = &c->p[i];
			p->connect_due = UINT64_MAX;
			if (p->connected && !p->closed_by_server && p->wants_join) {
				p->join_due = now;
				c->joiners++;
				c->join_pending++;
			}
			rearm(c, p);
		}
		c->phase = c->connected > 0 ? PHASE_JOIN : PHASE_DONE; /* nobody to talk to */
		c->phase_end = now + JOIN_TIMEOUT_NS;
	}
	if (c->phase == PHASE_JOIN && (c->join_pending == 0 || now >= c->phase_end)) {
		for (i = 0; i < n; i++) {
			p = &c->p[i];
			p->join_due = UINT64_MAX;
			if (p->connected && !p->closed_by_server) /* spread over one period */
				p->say_due = now + period * i / n;
			rearm(c, p);
		}
		c->join_pending = 0;
		c->phase = PHASE_PLAY;
		c->phase_end = now + c->o.duration_s * NS_PER_S;
	}
	if (c->phase == PHASE_PLAY && now >= c->phase_end) {
		for (i = 0; i < n; i++) {
			c->p[i].say_due = UINT64_MAX;
			rearm(c, &c->p[i]);
		}
		c->phase = PHASE_DRAIN;
		c->phase_end = now + DRAIN_NS;
	}
	if (c->phase == PHASE_DRAIN && now >= c->phase_end)
		c->phase = PHASE_DONE;
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
chat_run(struct chat *c)
{
	struct epoll_event evs[EPOLL_EVENTS];
	uint64_t now = gsc_now_ns(), due, wake, spread;
	uint8_t buf[GSC_DATAGRAM_MAX];
	unsigned int i;
	uint32_t id;
	size_t len;
	int n, k;

	c->phase = PHASE_CONNECT;
	c->phase_end = now + c->o.connect_timeout_ms * NS_PER_MS;
	c->hard_deadline =
		c->phase_end + JOIN_TIMEOUT_NS + c->o.duration_s * NS_PER_S + DRAIN_NS + SLACK_NS;
	/* the first CONNECTs, and so their retransmits, spread over a quarter of a second */
	spread = c->o.connect_timeout_ms * NS_PER_MS / 4;
	if (spread > CONNECT_RETRY_NS)
		spread = CONNECT_RETRY_NS;
	for (i = 0; i < c->o.players; i++) {
		c->p[i].connect_due = now + spread * i / c->o.players;
		rearm(c, &c->p[i]);
	}

	while (!chat_stop && now < c->hard_deadline) {
		advance(c, now);
		if (c->phase == PHASE_DONE)
			break;
		while (gsc_timers_first(&c->timers, &id, &due) && due <= now)
			player_timer(c, &c->p[id], now);

		wake = c->phase_end;
		if (gsc_timers_first(&c->timers, NULL, &due) && due < wake)
			wake = due;
		n = epoll_wait(c->ep, evs, EPOLL_EVENTS, wait_ms(now, wake));
		for (k = 0; k < n; k++)
			player_rx(c, &c->p[evs[k].data.u32]);
		now = gsc_now_ns();
	}
	c->interrupted = c->phase != PHASE_DONE;
	if (c->interrupted)
		fprintf(stderr, "chat-client: %s: disconnecting\n",
			chat_stop ? "interrupted" : "hard deadline passed");

	for (i = 0; i < c->o.players; i++) {
		stop_player(c, &c->p[i]);
		if (gsc_session_disconnect(&c->p[i].s, buf, sizeof(buf), &len) == 0)
			send_datagram(c, &c->p[i], buf, len);
	}
}
