/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "gs_auth.h"
#include "gs_test.h"

#define IP    0x020012c6u /* 198.18.0.2 in network order on little-endian */
#define PORT  0x611eu	  /* 7777 in network order */
#define NOW   1800000000ull
#define PROTO 0x47534e4554ull

static uint8_t key[GS_KEY_LEN];

static int
suite_init(void)
{
	if (gs_auth_init() < 0)
		return -1;
	for (unsigned int i = 0; i < GS_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

static void
mint(struct gs_token *t, uint8_t sealed[GS_TOKEN_LEN])
{
	gs_token_new(t, PROTO, 42, IP, PORT, NOW, 30);
	gs_token_seal(key, t, sealed);
}

/* --- tokens ------------------------------------------------------------------------------ */

static void
test_token_round_trip_gives_player_address_and_keys(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN];

	mint(&t, sealed);
	CU_ASSERT_EQUAL_FATAL(
		gs_token_open(key, sealed, sizeof(sealed), NOW + 5, PROTO, IP, PORT, &o),
		GS_TOKEN_OK);
	CU_ASSERT_EQUAL(o.player_id, 42);
	CU_ASSERT_EQUAL(o.server_ip, IP);
	CU_ASSERT_EQUAL(o.server_port, PORT);
	CU_ASSERT_EQUAL(o.expire_s, NOW + 30);
	CU_ASSERT_EQUAL(memcmp(o.nonce, t.nonce, GS_TOKEN_NONCE_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(o.c2s_key, t.c2s_key, GS_PKT_KEY_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(o.s2c_key, t.s2c_key, GS_PKT_KEY_LEN), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(o.c2s_key, o.s2c_key, GS_PKT_KEY_LEN), 0);
}

static void
test_token_with_any_byte_changed_is_forged_or_refused(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN], bad[GS_TOKEN_LEN];

	mint(&t, sealed);
	for (unsigned int i = 0; i < GS_TOKEN_LEN; i++) {
		enum gs_token_err e;

		memcpy(bad, sealed, sizeof(bad));
		bad[i] ^= 0x01;
		e = gs_token_open(key, bad, sizeof(bad), NOW, PROTO, IP, PORT, &o);
		/* the magic is checked first; every other byte is sealed or authenticated */
		CU_ASSERT_EQUAL(e, i < 8 ? GS_TOKEN_MAGIC_BAD : GS_TOKEN_FORGED);
	}
}

static void
test_token_under_another_key_is_forged(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN], other[GS_KEY_LEN];

	memcpy(other, key, sizeof(other));
	other[31] ^= 0x80;
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW, 30);
	gs_token_seal(other, &t, sealed);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW, PROTO, IP, PORT, &o),
		GS_TOKEN_FORGED);
}

static void
test_token_expires_after_its_lifetime(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN];

	mint(&t, sealed);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW + 30, PROTO, IP, PORT, &o),
		GS_TOKEN_OK);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW + 31, PROTO, IP, PORT, &o),
		GS_TOKEN_EXPIRED);
}

static void
test_token_living_longer_than_the_server_allows_or_created_ahead_of_it_is_refused(void)
{
	struct gs_token t;

	gs_token_new(&t, PROTO, 1, IP, PORT, NOW, 3600);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3600), GS_TOKEN_OK);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW + 3600, 3600), GS_TOKEN_OK);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3599), GS_TOKEN_LIFETIME);
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW, 7 * 86400); /* a week: refused all week long */
	CU_ASSERT_EQUAL(
		gs_token_check_lifetime(&t, NOW, GS_TOKEN_MAX_LIFETIME_S), GS_TOKEN_LIFETIME);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW + 7 * 86400 - 60, GS_TOKEN_MAX_LIFETIME_S),
		GS_TOKEN_LIFETIME);
	/* created ahead of the server's clock: by the allowed skew, not more */
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW + GS_TOKEN_CLOCK_SKEW_S, 60);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3600), GS_TOKEN_OK);
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW + GS_TOKEN_CLOCK_SKEW_S + 1, 60);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3600), GS_TOKEN_LIFETIME);
	/* milliseconds for seconds (a backend bug): a far future, refused */
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW * 1000, 60);
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3600), GS_TOKEN_LIFETIME);
	/* expiring before it was created */
	gs_token_new(&t, PROTO, 1, IP, PORT, NOW, 60);
	t.expire_s = t.create_s - 1;
	CU_ASSERT_EQUAL(gs_token_check_lifetime(&t, NOW, 3600), GS_TOKEN_LIFETIME);
	CU_ASSERT_STRING_EQUAL(gs_token_err_str(GS_TOKEN_LIFETIME), "lifetime");
}

static void
test_token_for_another_server_or_game_is_refused(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN];

	mint(&t, sealed);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW, PROTO, IP + 1, PORT, &o),
		GS_TOKEN_SERVER);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW, PROTO, IP, PORT + 1, &o),
		GS_TOKEN_SERVER);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, sizeof(sealed), NOW, PROTO + 1, IP, PORT, &o),
		GS_TOKEN_PROTOCOL);
}

static void
test_token_of_wrong_length_is_refused(void)
{
	struct gs_token t, o;
	uint8_t sealed[GS_TOKEN_LEN + 1];

	mint(&t, sealed);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, GS_TOKEN_LEN - 1, NOW, PROTO, IP, PORT, &o),
		GS_TOKEN_LENGTH);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, GS_TOKEN_LEN + 1, NOW, PROTO, IP, PORT, &o),
		GS_TOKEN_LENGTH);
	CU_ASSERT_EQUAL(gs_token_open(key, sealed, 0, NOW, PROTO, IP, PORT, &o), GS_TOKEN_LENGTH);
}

static void
test_two_tokens_differ_in_nonce_and_keys(void)
{
	struct gs_token a, b;
	uint8_t sa[GS_TOKEN_LEN], sb[GS_TOKEN_LEN];

	mint(&a, sa);
	mint(&b, sb);
	CU_ASSERT_NOT_EQUAL(memcmp(a.nonce, b.nonce, GS_TOKEN_NONCE_LEN), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a.c2s_key, b.c2s_key, GS_PKT_KEY_LEN), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(sa, sb, GS_TOKEN_LEN), 0);
}

/* --- key files --------------------------------------------------------------------------- */

static void
test_key_file_generated_then_loaded_and_permissions_checked(void)
{
	char path[] = "/tmp/gs_auth_test_XXXXXX", file[64], err[256];
	uint8_t k[GS_KEY_LEN], k2[GS_KEY_LEN];
	struct stat st;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/server.key", path);
	CU_ASSERT_EQUAL_FATAL(gs_key_generate(file), 0);
	CU_ASSERT_EQUAL(stat(file, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(gs_key_generate(file), -EEXIST); /* never overwrites */
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(gs_key_load(file, k2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(k, k2, sizeof(k)), 0);

	chmod(file, 0644);
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
	chmod(file, 0600);

	f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("  0011223344556677\n", f); /* too short */
	fclose(f);
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, file));
	f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -EINVAL);
	unlink(file);
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -ENOENT);
	rmdir(path);
}

static void
test_key_file_with_group_or_other_bits_or_another_owner_is_refused(void)
{
	static const mode_t refused[] = { 0640, 0660, 0440, 0620, 0610, 0604, 0602, 0601, 0644 };
	char path[] = "/tmp/gs_auth_test_XXXXXX", file[64], err[256], want[128];
	uint8_t k[GS_KEY_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/server.key", path);
	CU_ASSERT_EQUAL_FATAL(gs_key_generate(file), 0);
	for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(chmod(file, refused[i]), 0);
		err[0] = '\0';
		CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -EPERM);
		/* names the file, its mode and the command that fixes it */
		CU_ASSERT_PTR_NOT_NULL(strstr(err, file));
		snprintf(want, sizeof(want), "mode %04o", (unsigned int)refused[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		snprintf(want, sizeof(want), "chmod 600 %s", file);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	}
	CU_ASSERT_EQUAL(chmod(file, 0400), 0); /* read-only for its owner is fine */
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chmod(file, 0600), 0);
	CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), 0);

	/* another user's file: only root can make one here */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL_FATAL(chown(file, 65534, 65534), 0);
		err[0] = '\0';
		CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), -EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, file));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "uid 65534"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "chown 0 "));
		CU_ASSERT_EQUAL(chown(file, 0, 0), 0);
		CU_ASSERT_EQUAL(gs_key_load(file, k, err, sizeof(err)), 0);
	} else {
		fprintf(stderr, "\n    not root: the other-owner case is not tested\n");
	}
	unlink(file);
	rmdir(path);
}

/* --- packet tags ------------------------------------------------------------------------- */

static void
test_tag_equal_is_true_only_for_the_same_8_bytes(void)
{
	uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8];

	memcpy(b, a, sizeof(b));
	CU_ASSERT_TRUE(gs_tag_equal(a, b));
	for (unsigned int i = 0; i < sizeof(b); i++) {
		b[i] ^= 0x80;
		CU_ASSERT_FALSE(gs_tag_equal(a, b));
		b[i] ^= 0x80;
	}
	CU_ASSERT_TRUE(gs_tag_equal(a, b));
}

static void
test_tag_verifies_and_any_changed_bit_fails(void)
{
	uint8_t k[GS_PKT_KEY_LEN] = { 1, 2, 3 }, d[60], tag[8];

	for (unsigned int i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13);
	gs_tag_sign(k, d, sizeof(d));
	gs_tag_compute(k, d, sizeof(d), tag);
	CU_ASSERT_EQUAL(memcmp(tag, d + 16, 8), 0);
	CU_ASSERT_TRUE(gs_tag_verify(k, d, sizeof(d)));
	for (unsigned int bit = 0; bit < sizeof(d) * 8; bit++) {
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CU_ASSERT_FALSE(gs_tag_verify(k, d, sizeof(d)));
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CU_ASSERT_TRUE(gs_tag_verify(k, d, sizeof(d))); /* verify restored the tag bytes */
	CU_ASSERT_FALSE(gs_tag_verify(k, d, sizeof(d) - 1));
	k[0] ^= 1;
	CU_ASSERT_FALSE(gs_tag_verify(k, d, sizeof(d)));
	CU_ASSERT_FALSE(gs_tag_verify(k, d, 10));
}

/* --- replay window ----------------------------------------------------------------------- */

static void
test_replay_window_accepts_each_number_once(void)
{
	struct gs_replay r = { 0 };

	CU_ASSERT_EQUAL(gs_replay_check(&r, 0), GS_REPLAY_NEW);
	gs_replay_accept(&r, 0);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 0), GS_REPLAY_DUPLICATE);
	for (uint32_t s = 1; s < 1000; s++) {
		CU_ASSERT_EQUAL(gs_replay_check(&r, s), GS_REPLAY_NEW);
		gs_replay_accept(&r, s);
		CU_ASSERT_EQUAL(gs_replay_check(&r, s), GS_REPLAY_DUPLICATE);
	}
	CU_ASSERT_EQUAL(gs_replay_check(&r, 999 - 255), GS_REPLAY_DUPLICATE);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 999 - 256), GS_REPLAY_TOO_OLD);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 1000), GS_REPLAY_NEW);
}

static void
test_replay_window_takes_late_packets_inside_it(void)
{
	struct gs_replay r = { 0 };

	gs_replay_accept(&r, 100);
	gs_replay_accept(&r, 300); /* a gap: 101..299 late but inside (300 - 255 = 45) */
	CU_ASSERT_EQUAL(gs_replay_check(&r, 100), GS_REPLAY_DUPLICATE);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 200), GS_REPLAY_NEW);
	gs_replay_accept(&r, 200);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 200), GS_REPLAY_DUPLICATE);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 199), GS_REPLAY_NEW);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 44), GS_REPLAY_TOO_OLD);
	/* shifts by every amount keep the right bits */
	for (uint32_t step = 1; step < 300; step += 7) {
		struct gs_replay w = { 0 };

		gs_replay_accept(&w, 1000);
		gs_replay_accept(&w, 1000 + step);
		CU_ASSERT_EQUAL(gs_replay_check(&w, 1000 + step), GS_REPLAY_DUPLICATE);
		CU_ASSERT_EQUAL(gs_replay_check(&w, 1000),
			step < GS_REPLAY_WINDOW ? GS_REPLAY_DUPLICATE : GS_REPLAY_TOO_OLD);
		CU_ASSERT_EQUAL(gs_replay_check(&w, 1001), step == 1 ? GS_REPLAY_DUPLICATE :
							   step - 1 < GS_REPLAY_WINDOW ?
								       GS_REPLAY_NEW :
								       GS_REPLAY_TOO_OLD);
	}
}

static void
test_replay_window_across_the_32_bit_wrap(void)
{
	struct gs_replay r = { 0 };

	gs_replay_accept(&r, 0xfffffffeu);
	gs_replay_accept(&r, 0xffffffffu);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 0), GS_REPLAY_NEW);
	gs_replay_accept(&r, 1);
	CU_ASSERT_EQUAL(r.top, 1u);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 0xffffffffu), GS_REPLAY_DUPLICATE);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 0), GS_REPLAY_NEW);
	CU_ASSERT_EQUAL(gs_replay_check(&r, 0xffffff00u), GS_REPLAY_TOO_OLD);
}

/* --- cookies ----------------------------------------------------------------------------- */

static void
test_cookie_binds_address_token_and_time(void)
{
	uint8_t ck[GS_COOKIE_KEY_LEN] = { 9 }, nonce[GS_TOKEN_NONCE_LEN] = { 1 }, c[GS_COOKIE_LEN];
	const uint64_t t = 5000000;

	gs_cookie_make(ck, t, IP, PORT, nonce, c);
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t + 100, 5000, IP, PORT, nonce), GS_COOKIE_OK);
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t + 5000, 5000, IP, PORT, nonce), GS_COOKIE_OK);
	CU_ASSERT_EQUAL(gs_cookie_check(ck, c, sizeof(c), t + 5001, 5000, IP, PORT, nonce),
		GS_COOKIE_EXPIRED);
	CU_ASSERT_EQUAL(gs_cookie_check(ck, c, sizeof(c), t - 2000, 5000, IP, PORT, nonce),
		GS_COOKIE_EXPIRED);
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t, 5000, IP + 1, PORT, nonce), GS_COOKIE_FORGED);
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t, 5000, IP, PORT + 1, nonce), GS_COOKIE_FORGED);
	nonce[5] ^= 1;
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t, 5000, IP, PORT, nonce), GS_COOKIE_FORGED);
	nonce[5] ^= 1;
	c[3] ^= 1; /* the time is authenticated too */
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c), t, 5000, IP, PORT, nonce), GS_COOKIE_FORGED);
	CU_ASSERT_EQUAL(
		gs_cookie_check(ck, c, sizeof(c) - 1, t, 5000, IP, PORT, nonce), GS_COOKIE_LENGTH);
}

/* --- GCRA -------------------------------------------------------------------------------- */

static void
test_gcra_allows_burst_then_rate(void)
{
	uint64_t tat = 0, now = 1000000, passed = 0;
	const struct gs_rate r =
		gs_rate_of(10000, 100, 10); /* timer 10 kHz: 100 a second, burst 10 */

	CU_ASSERT_EQUAL(r.interval, 100);
	CU_ASSERT_EQUAL(r.tolerance, 9 * 100);
	CU_ASSERT_EQUAL(gs_rate_of(10000, 0, 10).interval, 0); /* 0 a second: no limit */

	for (int i = 0; i < 50; i++)
		passed += gs_gcra_allow(&tat, now, &r);
	CU_ASSERT_EQUAL(passed, 10);
	/* then one per interval, however hard it is pushed */
	passed = 0;
	for (uint64_t t = now + 1; t <= now + 100000; t += 10)
		passed += gs_gcra_allow(&tat, t, &r);
	CU_ASSERT(passed >= 999 && passed <= 1001);
	/* idle refills the burst, no more */
	now += 10000000;
	passed = 0;
	for (int i = 0; i < 50; i++)
		passed += gs_gcra_allow(&tat, now, &r);
	CU_ASSERT_EQUAL(passed, 10);
}

static void
test_hex_round_trip_and_refusals(void)
{
	uint8_t in[4] = { 0x00, 0xab, 0x12, 0xff }, out[4];
	char hex[9];

	gs_hex(hex, in, sizeof(in));
	CU_ASSERT_STRING_EQUAL(hex, "00ab12ff");
	CU_ASSERT_EQUAL(gs_unhex(out, sizeof(out), hex), 0);
	CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
	CU_ASSERT_EQUAL(gs_unhex(out, sizeof(out), "00ab12f"), -EINVAL);
	CU_ASSERT_EQUAL(gs_unhex(out, sizeof(out), "00ab12ff0"), -EINVAL);
	CU_ASSERT_EQUAL(gs_unhex(out, sizeof(out), "00ab12fg"), -EINVAL);
}

static CU_TestInfo token_tests[] = {
	{ "round trip gives player, address and keys",
		test_token_round_trip_gives_player_address_and_keys },
	{ "any changed byte is forged or refused",
		test_token_with_any_byte_changed_is_forged_or_refused },
	{ "another key is forged", test_token_under_another_key_is_forged },
	{ "expires after its lifetime", test_token_expires_after_its_lifetime },
	{ "living longer than the server allows, or created ahead of it, is refused",
		test_token_living_longer_than_the_server_allows_or_created_ahead_of_it_is_refused },
	{ "another server or game is refused", test_token_for_another_server_or_game_is_refused },
	{ "wrong length is refused", test_token_of_wrong_length_is_refused },
	{ "two tokens differ", test_two_tokens_differ_in_nonce_and_keys },
	{ "key file generate, load, permissions",
		test_key_file_generated_then_loaded_and_permissions_checked },
	{ "key file with group or other bits, or another owner, is refused",
		test_key_file_with_group_or_other_bits_or_another_owner_is_refused },
	{ "hex", test_hex_round_trip_and_refusals },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo packet_tests[] = {
	{ "tag verifies, any changed bit fails", test_tag_verifies_and_any_changed_bit_fails },
	{ "tag_equal only for the same 8 bytes", test_tag_equal_is_true_only_for_the_same_8_bytes },
	{ "replay: each number once", test_replay_window_accepts_each_number_once },
	{ "replay: late packets inside the window",
		test_replay_window_takes_late_packets_inside_it },
	{ "replay: across the 32-bit wrap", test_replay_window_across_the_32_bit_wrap },
	{ "cookie binds address, token and time", test_cookie_binds_address_token_and_time },
	{ "gcra: burst then rate", test_gcra_allows_burst_then_rate },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "tokens", .pInitFunc = suite_init, .pTests = token_tests },
	{ .pName = "packets", .pInitFunc = suite_init, .pTests = packet_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
