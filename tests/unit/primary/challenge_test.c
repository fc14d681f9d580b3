/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "challenge.h"
#include "session.pb-c.h"

#define NOW_MS	 1800000000000ull
#define TTL_MS	 5000u
#define IP	 0x0100a8c0u /* 192.168.0.1, network order */
#define PORT	 0x3930u     /* 12345, network order */
#define CLIENT_T 123456789ull

static const uint8_t key[GS_COOKIE_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static struct challenge_ctx ctx;

/* A Connect: @p token_len bytes of token, @p cookie (may be NULL), padded to @p pad. */
static size_t
connect_pb(uint8_t *buf, size_t token_len, const uint8_t *cookie, size_t cookie_len, size_t pad)
{
	static uint8_t token[GS_TOKEN_LEN + 8], zeros[400];
	Gs__Connect c = GS__CONNECT__INIT;

	for (size_t i = 0; i < sizeof(token); i++)
		token[i] = (uint8_t)(i * 7 + 3);
	c.client_time_ns = CLIENT_T;
	c.token.data = token;
	c.token.len = token_len;
	c.cookie.data = (uint8_t *)(uintptr_t)cookie;
	c.cookie.len = cookie != NULL ? cookie_len : 0;
	c.padding.data = zeros;
	c.padding.len = pad;
	return gs__connect__pack(&c, buf);
}

/* The first CONNECT: answered with a CHALLENGE, smaller than the request. */
static uint16_t
first_challenge(uint8_t *cookie_out)
{
	uint8_t req[600], out[CHALLENGE_MAX_PAYLOAD];
	size_t n = connect_pb(req, GS_TOKEN_LEN, NULL, 0, 100);
	uint16_t out_len = 0;
	enum gs_drop why = GS_DROP_NONE;
	Gs__Challenge *ch;

	CU_ASSERT_EQUAL_FATAL(
		connect_verdict(&ctx, req, (uint16_t)n, IP, PORT, NOW_MS, out, &out_len, &why),
		CONNECT_CHALLENGE);
	CU_ASSERT_TRUE(out_len > 0 && out_len < n); /* never larger than the request */
	ch = gs__challenge__unpack(NULL, out_len, out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(ch->cookie.len, GS_COOKIE_LEN);
	CU_ASSERT_EQUAL(ch->client_time_ns, CLIENT_T);
	memcpy(cookie_out, ch->cookie.data, GS_COOKIE_LEN);
	gs__challenge__free_unpacked(ch, NULL);
	return out_len;
}

static enum connect_verdict
second(const uint8_t *cookie, size_t cookie_len, uint32_t ip, uint16_t port, uint64_t now,
	enum gs_drop *why)
{
	uint8_t req[600], out[CHALLENGE_MAX_PAYLOAD];
	size_t n = connect_pb(req, GS_TOKEN_LEN, cookie, cookie_len, 60);
	uint16_t out_len = 0;

	*why = GS_DROP_NONE;
	return connect_verdict(&ctx, req, (uint16_t)n, ip, port, now, out, &out_len, why);
}

static void
test_a_first_connect_is_challenged_and_its_cookie_passes(void)
{
	uint8_t cookie[GS_COOKIE_LEN];
	enum gs_drop why;

	first_challenge(cookie);
	CU_ASSERT_EQUAL(second(cookie, sizeof(cookie), IP, PORT, NOW_MS + 10, &why), CONNECT_PASS);
	CU_ASSERT_EQUAL(
		second(cookie, sizeof(cookie), IP, PORT, NOW_MS + TTL_MS, &why), CONNECT_PASS);
}

/* A cookie is good only for its address, its token and its time. */
static void
test_a_cookie_from_elsewhere_or_too_late_is_dropped(void)
{
	uint8_t cookie[GS_COOKIE_LEN], forged[GS_COOKIE_LEN];
	enum gs_drop why;

	first_challenge(cookie);
	CU_ASSERT_EQUAL(second(cookie, sizeof(cookie), IP + 1, PORT, NOW_MS, &why), CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_COOKIE_BAD);
	CU_ASSERT_EQUAL(second(cookie, sizeof(cookie), IP, PORT + 1, NOW_MS, &why), CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_COOKIE_BAD);
	CU_ASSERT_EQUAL(
		second(cookie, sizeof(cookie), IP, PORT, NOW_MS + TTL_MS + 1, &why), CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_COOKIE_EXPIRED);
	memcpy(forged, cookie, sizeof(forged));
	forged[GS_COOKIE_LEN - 1] ^= 1;
	CU_ASSERT_EQUAL(second(forged, sizeof(forged), IP, PORT, NOW_MS, &why), CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_COOKIE_BAD);
	CU_ASSERT_EQUAL(second(cookie, sizeof(cookie) - 1, IP, PORT, NOW_MS, &why), CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_COOKIE_BAD);
}

/* What is no well-formed CONNECT is dropped by reason, never answered. */
static void
test_malformed_connects_are_dropped_by_reason(void)
{
	uint8_t req[600], out[CHALLENGE_MAX_PAYLOAD];
	uint16_t out_len = 0;
	enum gs_drop why = GS_DROP_NONE;
	size_t n;

	memset(req, 0xff, sizeof(req));
	CU_ASSERT_EQUAL(connect_verdict(&ctx, req, 300, IP, PORT, NOW_MS, out, &out_len, &why),
		CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_CONNECT_PAYLOAD);
	n = connect_pb(req, GS_TOKEN_LEN, NULL, 0, 0); /* a valid Connect, under 200 bytes */
	CU_ASSERT_TRUE(n < GS_CONNECT_MIN_PAYLOAD);
	CU_ASSERT_EQUAL(
		connect_verdict(&ctx, req, (uint16_t)n, IP, PORT, NOW_MS, out, &out_len, &why),
		CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_CONNECT_SHORT);
	n = connect_pb(req, 0, NULL, 0, 250);
	CU_ASSERT_EQUAL(
		connect_verdict(&ctx, req, (uint16_t)n, IP, PORT, NOW_MS, out, &out_len, &why),
		CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_TOKEN_MISSING);
	n = connect_pb(req, GS_TOKEN_LEN - 1, NULL, 0, 250);
	CU_ASSERT_EQUAL(
		connect_verdict(&ctx, req, (uint16_t)n, IP, PORT, NOW_MS, out, &out_len, &why),
		CONNECT_DROP);
	CU_ASSERT_EQUAL(why, GS_DROP_TOKEN_MISSING);
	CU_ASSERT_EQUAL(out_len, 0); /* nothing to send */
}

static int
suite_init(void)
{
	challenge_init(&ctx, key, TTL_MS);
	return 0;
}

static CU_TestInfo tests[] = {
	{ "a first CONNECT is challenged and its cookie passes",
		test_a_first_connect_is_challenged_and_its_cookie_passes },
	{ "a cookie from elsewhere or too late is dropped",
		test_a_cookie_from_elsewhere_or_too_late_is_dropped },
	{ "malformed CONNECTs are dropped by reason",
		test_malformed_connects_are_dropped_by_reason },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "stateless challenge", .pInitFunc = suite_init, .pTests = tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
