/* SPDX-License-Identifier: BSD-3-Clause */
#include "challenge.h"

#include "session.pb-c.h"

void
challenge_init(struct challenge_ctx *c, const uint8_t *key, uint32_t ttl_ms)
{
	c->key = key;
	c->ttl_ms = ttl_ms;
	gs_pb_arena_init(&c->arena, c->arena_buf, sizeof(c->arena_buf));
}

enum connect_verdict
connect_verdict(struct challenge_ctx *c, const uint8_t *payload, uint16_t len, uint32_t ip,
	uint16_t port, uint64_t now_ms, uint8_t *out, uint16_t *out_len, enum gs_drop *why)
{
	enum connect_verdict v = CONNECT_DROP;
	Gs__Challenge ch = GS__CHALLENGE__INIT;
	uint8_t cookie[GS_COOKIE_LEN];
	enum gs_cookie_err ce;
	Gs__Connect *m;

	gs_pb_arena_reset(&c->arena);
	m = gs__connect__unpack(&c->arena.alloc, len, payload);
	if (m == NULL) {
		*why = GS_DROP_CONNECT_PAYLOAD;
		return v;
	}
	if (len < GS_CONNECT_MIN_PAYLOAD) {
		*why = GS_DROP_CONNECT_SHORT;
		return v;
	}
	if (m->token.len != GS_TOKEN_LEN) {
		*why = GS_DROP_TOKEN_MISSING;
		return v;
	}
	if (m->cookie.len != 0) {
		ce = gs_cookie_check(c->key, m->cookie.data, m->cookie.len, now_ms, c->ttl_ms, ip,
			port, m->token.data + GS_TOKEN_NONCE_OFF);
		if (ce == GS_COOKIE_OK)
			return CONNECT_PASS;
		*why = ce == GS_COOKIE_EXPIRED ? GS_DROP_COOKIE_EXPIRED : GS_DROP_COOKIE_BAD;
		return v;
	}
	gs_cookie_make(c->key, now_ms, ip, port, m->token.data + GS_TOKEN_NONCE_OFF, cookie);
	ch.cookie.data = cookie;
	ch.cookie.len = sizeof(cookie);
	ch.client_time_ns = m->client_time_ns;
	if (gs__challenge__get_packed_size(&ch) > CHALLENGE_MAX_PAYLOAD) {
		*why = GS_DROP_CONNECT_PAYLOAD; /* cannot happen: fixed sizes */
		return v;
	}
	*out_len = (uint16_t)gs__challenge__pack(&ch, out);
	return CONNECT_CHALLENGE;
}
