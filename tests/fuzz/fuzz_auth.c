/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: what gs-session and the primary do with bytes an
 * attacker controls before any session exists or on every packet
 * (shared/src/auth.c). The first input byte picks the part:
 *
 *   0  gs_token_open() of the rest under a fixed server key: a token that
 *      opens must re-seal to the very same bytes (the seal is deterministic
 *      for its nonce), and name the server it was opened for.
 *   1  gs_cookie_check() of the rest: a cookie that passes must be the one
 *      gs_cookie_make() gives for its time, address and nonce.
 *   2  the replay window fed with the rest as 32-bit sequence numbers,
 *      against a plain model (the numbers accepted within the window).
 *   3  gs_tag_verify() of the rest as a datagram: never true for the input
 *      as is under a key the input cannot know, true once signed, and the
 *      bytes are left as they were.
 */
#include <string.h>

#include "gs_auth.h"

#include "fuzz_common.h"

#define IP    0x020012c6u
#define PORT  0x611eu
#define PROTO 0x47534e4554ull

static uint8_t key[GS_KEY_LEN];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (gs_auth_init() < 0)
		abort();
	for (unsigned int i = 0; i < GS_KEY_LEN; i++)
		key[i] = (uint8_t)(0xa0 + i);
	return 0;
}

static void
fuzz_token(const uint8_t *d, size_t n)
{
	uint8_t again[GS_TOKEN_LEN];
	struct gs_token t;
	enum gs_token_err e = gs_token_open(key, d, n, 1800000000ull, PROTO, IP, PORT, &t);

	CHECK(e <= GS_TOKEN_SERVER);
	CHECK(gs_token_err_str(e)[0] != '?');
	if (e != GS_TOKEN_OK)
		return;
	CHECK(n == GS_TOKEN_LEN);
	CHECK(t.server_ip == IP && t.server_port == PORT && t.protocol_id == PROTO);
	gs_token_seal(key, &t, again);
	CHECK(memcmp(again, d, GS_TOKEN_LEN) == 0);
}

static void
fuzz_cookie(const uint8_t *d, size_t n)
{
	static const uint8_t ckey[GS_COOKIE_KEY_LEN] = { 7 }, nonce[GS_TOKEN_NONCE_LEN] = { 3 };
	uint8_t again[GS_COOKIE_LEN];
	uint64_t t = 0;

	if (gs_cookie_check(ckey, d, n, 5000000, 5000, IP, PORT, nonce) != GS_COOKIE_OK)
		return;
	CHECK(n == GS_COOKIE_LEN);
	for (int i = 0; i < 8; i++)
		t = (t << 8) | d[i];
	gs_cookie_make(ckey, t, IP, PORT, nonce, again);
	CHECK(memcmp(again, d, GS_COOKIE_LEN) == 0);
}

/* The model: numbers accepted, newest last; what the window must answer. */
static uint32_t seen[4096];
static size_t n_seen;

static enum gs_replay_res
model(uint32_t top, bool any, uint32_t seq)
{
	if (!any || (int32_t)(seq - top) > 0)
		return GS_REPLAY_NEW;
	if (top - seq >= GS_REPLAY_WINDOW)
		return GS_REPLAY_TOO_OLD;
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i] == seq)
			return GS_REPLAY_DUPLICATE;
	return GS_REPLAY_NEW;
}

static void
fuzz_replay(const uint8_t *d, size_t n)
{
	struct gs_replay r = { 0 };
	uint32_t top = 0;
	bool any = false;

	n_seen = 0;
	for (size_t i = 0; i + 4 <= n && n_seen < 4096; i += 4) {
		uint32_t seq;
		enum gs_replay_res got;

		memcpy(&seq, d + i, 4);
		got = gs_replay_check(&r, seq);
		CHECK(got == model(top, any, seq));
		if (got != GS_REPLAY_NEW)
			continue;
		gs_replay_accept(&r, seq);
		CHECK(gs_replay_check(&r, seq) == GS_REPLAY_DUPLICATE);
		seen[n_seen++] = seq;
		if (!any || (int32_t)(seq - top) > 0) {
			size_t k = 0;

			/* the window forgets what falls out of it (after a wrap, too) */
			top = seq;
			for (size_t j = 0; j < n_seen; j++)
				if (top - seen[j] < GS_REPLAY_WINDOW)
					seen[k++] = seen[j];
			n_seen = k;
		}
		any = true;
		CHECK(r.top == top);
	}
}

static void
fuzz_tag(const uint8_t *d, size_t n)
{
	static const uint8_t pkey[GS_PKT_KEY_LEN] = { 0x5a, 0x17 };
	uint8_t buf[24 + 1200 + 64], orig[sizeof(buf)];

	if (n > sizeof(buf))
		return;
	memcpy(buf, d, n);
	memcpy(orig, d, n);
	/* 2^-64: an input that carries the right tag by chance is not a bug worth a crash */
	(void)gs_tag_verify(pkey, buf, n);
	CHECK(memcmp(buf, orig, n) == 0);
	if (n < 24)
		return;
	gs_tag_sign(pkey, buf, n);
	CHECK(gs_tag_verify(pkey, buf, n));
	buf[n - 1] ^= 0x80;
	CHECK(!gs_tag_verify(pkey, buf, n));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_token(data + 1, size - 1);
		break;
	case 1:
		fuzz_cookie(data + 1, size - 1);
		break;
	case 2:
		fuzz_replay(data + 1, size - 1);
		break;
	default:
		fuzz_tag(data + 1, size - 1);
		break;
	}
	return 0;
}
