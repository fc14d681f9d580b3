/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_CHALLENGE_H
#define GS_PRIMARY_CHALLENGE_H

/*
 * The first step of a connect, answered by the primary itself ([auth] mode =
 * token). A CONNECT without a cookie gets a CHALLENGE at once: its cookie is
 * a keyed hash of the time, the client's address and the token's nonce, so
 * nothing is kept, and a spoofed source never sees it (as SYN cookies do).
 * Only a CONNECT that returns a valid, fresh cookie goes on to spend the
 * connect bucket and gs-session's AEAD open of the token; junk CONNECTs from
 * random sources, however many, cost a decode and a SipHash each and crowd
 * out no one. The answer is never larger than the request (a CONNECT is at
 * least GS_CONNECT_MIN_PAYLOAD bytes).
 */
#include <stdint.h>

#include "gs_auth.h"
#include "gs_drop.h"
#include "gs_pb_arena.h"

/* A Challenge: its cookie, the echoed client time, protobuf framing. */
#define CHALLENGE_MAX_PAYLOAD 64u

enum connect_verdict {
	CONNECT_PASS,	   /* a valid, fresh cookie: on to the connect bucket and gs-session */
	CONNECT_CHALLENGE, /* no cookie: answer with the Challenge written to out */
	CONNECT_DROP,	   /* why says why */
};

struct challenge_ctx {
	const uint8_t *key; /* GS_COOKIE_KEY_LEN bytes: the group's cookie key (gs_control) */
	uint32_t ttl_ms;    /* [auth] challenge_ttl_ms */
	struct gs_pb_arena arena;
	uint8_t arena_buf[2048];
};

void challenge_init(struct challenge_ctx *c, const uint8_t *key, uint32_t ttl_ms);

/**
 * Judge the payload of a CONNECT (session id 0) from @p ip : @p port (network
 * order) at wall-clock time @p now_ms.
 *
 * @return CONNECT_PASS; CONNECT_CHALLENGE with the Challenge's protobuf in
 *         @p out (CHALLENGE_MAX_PAYLOAD bytes) and its length in @p out_len;
 *         or CONNECT_DROP with @p why: GS_DROP_CONNECT_PAYLOAD (not a
 *         gs.Connect), GS_DROP_CONNECT_SHORT (under GS_CONNECT_MIN_PAYLOAD
 *         bytes), GS_DROP_TOKEN_MISSING (no token of GS_TOKEN_LEN bytes),
 *         GS_DROP_COOKIE_BAD, GS_DROP_COOKIE_EXPIRED.
 */
enum connect_verdict connect_verdict(struct challenge_ctx *c, const uint8_t *payload, uint16_t len,
	uint32_t ip, uint16_t port, uint64_t now_ms, uint8_t *out, uint16_t *out_len,
	enum gs_drop *why);

#endif /* GS_PRIMARY_CHALLENGE_H */
