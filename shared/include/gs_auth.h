/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_AUTH_H
#define GS_AUTH_H

/*
 * Who may play, and proof of it on every packet (docs/PROTOCOL.md,
 * "Security"). DPDK-free, on libsodium: the primary, gs-session, gs-token,
 * the client library and the fuzzers compile it.
 *
 * - Connect tokens: a game's backend seals, with a 32-byte key it shares
 *   with the server only (XChaCha20-Poly1305), the player id, the server's
 *   address and two fresh per-session packet keys; the player gets the token
 *   and the packet keys, the server opens the token.
 * - Packet tags: the 8-byte auth_tag of the game header is SipHash-2-4 under
 *   the direction's packet key over the whole datagram (header with the tag
 *   zeroed, then the payload), so session id, type, sequence and payload are
 *   all authenticated.
 * - Replay window: the newest sequence number seen and a bitmap of the 256
 *   before it.
 * - Cookies: the stateless challenge of the connect handshake.
 * - GCRA: the token bucket of the rate limits, one 64-bit word each.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_KEY_LEN	       32u /* the server key, shared by backend and server */
#define GS_PKT_KEY_LEN	       16u /* a per-session, per-direction packet key */
#define GS_TOKEN_LEN	       120u
#define GS_TOKEN_NONCE_LEN     24u
#define GS_TOKEN_ID_LEN	       16u /* the first bytes of the nonce: the "used once" key */
#define GS_TOKEN_NONCE_OFF     32u /* the nonce in a sealed token (public, authenticated) */
#define GS_COOKIE_LEN	       24u
#define GS_COOKIE_KEY_LEN      16u
#define GS_REPLAY_WINDOW       256u
#define GS_TOKEN_MAGIC	       "GSTOKEN1"
/* A CONNECT's payload is at least this long with a token: no answer is longer. */
#define GS_CONNECT_MIN_PAYLOAD 200u

/* [auth] max_token_lifetime_s's default: the longest a token may live (expire_s - create_s) */
#define GS_TOKEN_MAX_LIFETIME_S 3600u
/* How far ahead of the server's clock a token may have been created (the backend's clock). */
#define GS_TOKEN_CLOCK_SKEW_S	60u

/** A connect token, opened. Addresses in network byte order. */
struct gs_token {
	uint64_t protocol_id; /* the game: a server only accepts its own */
	uint64_t create_s;    /* Unix seconds */
	uint64_t expire_s;    /* Unix seconds: refused after this */
	uint8_t nonce[GS_TOKEN_NONCE_LEN];
	/* sealed part */
	uint64_t player_id;
	uint32_t server_ip;		 /* network order */
	uint16_t server_port;		 /* network order */
	uint8_t c2s_key[GS_PKT_KEY_LEN]; /* client -> server packets */
	uint8_t s2c_key[GS_PKT_KEY_LEN]; /* server -> client packets */
};

/** Why a token was refused. */
enum gs_token_err {
	GS_TOKEN_OK = 0,
	GS_TOKEN_LENGTH,    /* not GS_TOKEN_LEN bytes */
	GS_TOKEN_MAGIC_BAD, /* not a gsnet token */
	GS_TOKEN_FORGED,    /* does not open under the server key (or was altered) */
	GS_TOKEN_EXPIRED,   /* expire_s is in the past */
	GS_TOKEN_PROTOCOL,  /* another game's token */
	GS_TOKEN_SERVER,    /* a token for another server address */
	GS_TOKEN_LIFETIME,  /* lives longer than the server allows, or created in its future */
};

/** Why a cookie was refused. */
enum gs_cookie_err {
	GS_COOKIE_OK = 0,
	GS_COOKIE_LENGTH,  /* not GS_COOKIE_LEN bytes */
	GS_COOKIE_FORGED,  /* not ours, or for another address or token */
	GS_COOKIE_EXPIRED, /* older than its time to live, or from the future */
};

/** Replay window of one direction of one session. Zero-initialised: empty. */
struct gs_replay {
	uint32_t top;			      /* newest sequence number accepted */
	uint32_t any;			      /* 1 once a sequence number was accepted */
	uint64_t bits[GS_REPLAY_WINDOW / 64]; /* bit i: top - i was accepted */
};

enum gs_replay_res {
	GS_REPLAY_NEW = 0,   /* not seen: may be accepted */
	GS_REPLAY_DUPLICATE, /* seen already */
	GS_REPLAY_TOO_OLD,   /* more than GS_REPLAY_WINDOW - 1 behind the newest */
};

/**
 * Initialise libsodium (idempotent, thread-safe).
 *
 * @return 0, or -EIO when libsodium cannot initialise.
 */
int gs_auth_init(void);

/**
 * Read a server key file: 64 hex digits (whitespace around them ignored).
 * A file with any group or other permission bit (anything but chmod 600 or
 * 400), or owned by another user than the effective uid or root, is refused.
 *
 * @return 0, -ENOENT / -EACCES (cannot open), -EPERM (group or other bits,
 *         or another owner), -EINVAL (not 64 hex digits); @p err says which,
 *         names the file and what to run.
 */
int gs_key_load(const char *path, uint8_t key[GS_KEY_LEN], char *err, size_t err_len);

/**
 * Write a fresh random server key to @p path (created, mode 0600; an
 * existing file is not overwritten).
 *
 * @return 0, or -errno of open/write (-EEXIST when the file exists).
 */
int gs_key_generate(const char *path);

/**
 * Fill @p t with a fresh token for @p player_id on server @p ip : @p port
 * (network order): random nonce and packet keys, valid from @p now_s for
 * @p lifetime_s seconds.
 */
void gs_token_new(struct gs_token *t, uint64_t protocol_id, uint64_t player_id, uint32_t ip,
	uint16_t port, uint64_t now_s, uint32_t lifetime_s);

/** Seal @p t under the server key into the GS_TOKEN_LEN bytes of @p out. */
void gs_token_seal(
	const uint8_t key[GS_KEY_LEN], const struct gs_token *t, uint8_t out[GS_TOKEN_LEN]);

/**
 * Open a token: checks length, magic, the seal, expiry against @p now_s, the
 * protocol id and the server address (@p ip, @p port in network order).
 * @p out is filled only for GS_TOKEN_OK, except the public fields (nonce,
 * times) which are set from GS_TOKEN_FORGED on.
 */
enum gs_token_err gs_token_open(const uint8_t key[GS_KEY_LEN], const uint8_t *buf, size_t len,
	uint64_t now_s, uint64_t protocol_id, uint32_t ip, uint16_t port, struct gs_token *out);

/**
 * Check the lifetime of a token gs_token_open() accepted: it may live at
 * most @p max_lifetime_s seconds (expire_s - create_s) and may not have been
 * created more than GS_TOKEN_CLOCK_SKEW_S ahead of @p now_s. A token that
 * passes expires by now_s + GS_TOKEN_CLOCK_SKEW_S + @p max_lifetime_s at the
 * latest: that bounds how long a used token must be remembered.
 *
 * @return GS_TOKEN_OK, or GS_TOKEN_LIFETIME.
 */
enum gs_token_err gs_token_check_lifetime(
	const struct gs_token *t, uint64_t now_s, uint32_t max_lifetime_s);

/** Label of a token error ("forged"). */
const char *gs_token_err_str(enum gs_token_err e);

/**
 * The auth tag of a whole datagram (game header + payload), computed as if
 * its auth_tag field (bytes 16..23) were zero. @p dgram is not modified:
 * callers that own the buffer should prefer gs_tag_sign / gs_tag_verify.
 */
void gs_tag_compute(
	const uint8_t key[GS_PKT_KEY_LEN], const uint8_t *dgram, size_t len, uint8_t tag[8]);

/** Write the auth tag into a datagram built with a zero tag (len >= 24). */
void gs_tag_sign(const uint8_t key[GS_PKT_KEY_LEN], uint8_t *dgram, size_t len);

/**
 * Check a datagram's auth tag in constant time. The tag bytes are zeroed
 * while the tag is computed and restored before returning.
 *
 * @return true when the tag is right.
 */
bool gs_tag_verify(const uint8_t key[GS_PKT_KEY_LEN], uint8_t *dgram, size_t len);

/**
 * Compare two auth tags in constant time (sodium_memcmp): a compare that
 * stops at the first differing byte would tell a forger, by its time, how
 * many leading bytes of a guessed tag were right.
 *
 * @return true when they are equal.
 */
bool gs_tag_equal(const uint8_t a[8], const uint8_t b[8]);

/** Where @p seq stands against the window (does not change it). */
enum gs_replay_res gs_replay_check(const struct gs_replay *r, uint32_t seq);

/** Record @p seq as accepted (after gs_replay_check() said NEW and the tag was right). */
void gs_replay_accept(struct gs_replay *r, uint32_t seq);

/**
 * The wall clock in ns (CLOCK_REALTIME): token times and cookie ages are on
 * it, as on the game backend's, and the server's clock in replies.
 */
uint64_t gs_wall_ns(void);

/**
 * Make the cookie of a challenge: @p now_ms, and a keyed hash of it, the
 * client's address (network order) and the token's nonce.
 */
void gs_cookie_make(const uint8_t key[GS_COOKIE_KEY_LEN], uint64_t now_ms, uint32_t ip,
	uint16_t port, const uint8_t nonce[GS_TOKEN_NONCE_LEN], uint8_t out[GS_COOKIE_LEN]);

/** Check a cookie returned by the client against the same inputs and its age. */
enum gs_cookie_err gs_cookie_check(const uint8_t key[GS_COOKIE_KEY_LEN], const uint8_t *cookie,
	size_t len, uint64_t now_ms, uint32_t ttl_ms, uint32_t ip, uint16_t port,
	const uint8_t nonce[GS_TOKEN_NONCE_LEN]);

/** A rate for GCRA in timer cycles; interval 0 means no limit. */
struct gs_rate {
	uint64_t interval;  /* time per event: 1 / rate */
	uint64_t tolerance; /* how far ahead of schedule a bucket may run: (burst - 1) * interval */
};

/** @p pps events a second in bursts of @p burst, timer at @p hz; 0 pps: no limit. */
static inline struct gs_rate
gs_rate_of(uint64_t hz, uint32_t pps, uint32_t burst)
{
	struct gs_rate r = { 0, 0 };

	if (pps > 0) {
		r.interval = hz / pps;
		if (r.interval == 0)
			r.interval = 1;
		r.tolerance = r.interval * (burst > 0 ? burst - 1 : 0);
	}
	return r;
}

/**
 * GCRA (the token bucket as one word, its theoretical arrival time @p tat):
 * may one more event pass at @p now? If so, *next is the bucket's new word.
 */
static inline bool
gs_gcra_next(uint64_t tat, uint64_t now, const struct gs_rate *r, uint64_t *next)
{
	uint64_t t = tat > now ? tat : now;

	if (t - now > r->tolerance)
		return false;
	*next = t + r->interval;
	return true;
}

/** gs_gcra_next() for a bucket with one writer: updates *tat when the event passes. */
static inline bool
gs_gcra_allow(uint64_t *tat, uint64_t now, const struct gs_rate *r)
{
	return gs_gcra_next(*tat, now, r, tat);
}

/** Hex-encode @p len bytes into @p out (2 * len + 1 bytes). */
void gs_hex(char *out, const uint8_t *in, size_t len);

/**
 * Decode exactly @p len bytes of hex from @p in (2 * len digits, nothing after them).
 *
 * @return 0, or -EINVAL.
 */
int gs_unhex(uint8_t *out, size_t len, const char *in);

#endif /* GS_AUTH_H */
