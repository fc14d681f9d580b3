/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_parse.h"
#include "gs_test.h"
#include "gs_wire.h"

/*
 * A valid header with every field distinct, followed by payload_len = 0x0102
 * (258) payload bytes: a decoder that swaps bytes or fields gets them wrong.
 */
#define PAYLOAD_LEN 0x0102
static uint8_t msg[GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD + 1];

static const uint8_t valid_hdr[GS_WIRE_HDR_LEN] = {
	0x47, 0x53,					/* magic "GS" */
	0x01,						/* version */
	0x11,						/* type 17: MOVE */
	0xa1, 0xb2, 0xc3, 0xd4,				/* session id */
	0x01, 0x02, 0x03, 0x04,				/* sequence */
	0x01, 0x02,					/* payload_len 258 */
	0x00, 0x00,					/* flags */
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, /* auth tag */
};

/* The valid header with payload_len @p plen, followed by @p plen bytes; returns the length. */
static size_t
msg_with_payload_len(uint16_t plen)
{
	memcpy(msg, valid_hdr, sizeof(valid_hdr));
	msg[12] = (uint8_t)(plen >> 8);
	msg[13] = (uint8_t)plen;
	memset(msg + GS_WIRE_HDR_LEN, 0x5a, sizeof(msg) - GS_WIRE_HDR_LEN);
	return GS_WIRE_HDR_LEN + plen;
}

/* --- decode ------------------------------------------------------------------------------ */

static void
test_decode_valid_header_fills_every_field_in_host_order(void)
{
	static const uint8_t tag[GS_WIRE_AUTH_LEN] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6,
		0xf7 };
	size_t len = msg_with_payload_len(PAYLOAD_LEN);
	struct gs_hdr h;

	CU_ASSERT_EQUAL_FATAL(gs_hdr_decode(msg, len, &h), GS_HDR_OK);
	CU_ASSERT_EQUAL(h.magic, 0x4753);
	CU_ASSERT_EQUAL(h.version, 1);
	CU_ASSERT_EQUAL(h.type, 0x11);
	CU_ASSERT_EQUAL(h.session_id, 0xa1b2c3d4u);
	CU_ASSERT_EQUAL(h.sequence, 0x01020304u);
	CU_ASSERT_EQUAL(h.payload_len, PAYLOAD_LEN);
	CU_ASSERT_EQUAL(h.flags, 0);
	CU_ASSERT_EQUAL(memcmp(h.auth_tag, tag, sizeof(tag)), 0);
}

static void
test_decode_header_with_empty_payload_is_accepted(void)
{
	size_t len = msg_with_payload_len(0);
	struct gs_hdr h;

	CU_ASSERT_EQUAL(len, GS_WIRE_HDR_LEN);
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_OK);
	CU_ASSERT_EQUAL(h.payload_len, 0);
}

static void
test_decode_truncated_header_is_refused_at_every_length(void)
{
	struct gs_hdr h;

	msg_with_payload_len(0);
	for (size_t len = 0; len < GS_WIRE_HDR_LEN; len++)
		CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_TRUNCATED);
}

static void
test_decode_bad_magic_is_refused(void)
{
	size_t len = msg_with_payload_len(0);
	struct gs_hdr h;

	msg[0] = 0x53; /* "SG": the magic byte-swapped */
	msg[1] = 0x47;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_MAGIC);
	msg[0] = 0x47;
	msg[1] = 0x54;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_MAGIC);
}

static void
test_decode_bad_version_is_refused(void)
{
	size_t len = msg_with_payload_len(0);
	struct gs_hdr h;

	msg[2] = 0;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_VERSION);
	msg[2] = 2;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_VERSION);
}

static void
test_decode_payload_len_of_max_is_accepted(void)
{
	size_t len = msg_with_payload_len(GS_WIRE_MAX_PAYLOAD);
	struct gs_hdr h;

	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_OK);
	CU_ASSERT_EQUAL(h.payload_len, 1200);
}

static void
test_decode_payload_len_over_max_is_refused(void)
{
	size_t len = msg_with_payload_len(GS_WIRE_MAX_PAYLOAD + 1); /* and that many bytes follow */
	struct gs_hdr h;

	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_LENGTH);
	msg[12] = 0xff;
	msg[13] = 0xff;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_LENGTH);
}

static void
test_decode_payload_len_above_bytes_after_header_is_refused(void)
{
	size_t len = msg_with_payload_len(10);
	struct gs_hdr h;

	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len - 1, &h), GS_HDR_BAD_LENGTH);
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, GS_WIRE_HDR_LEN, &h), GS_HDR_BAD_LENGTH);
}

static void
test_decode_payload_len_below_bytes_after_header_is_refused(void)
{
	size_t len = msg_with_payload_len(10);
	struct gs_hdr h;

	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len + 1, &h), GS_HDR_BAD_LENGTH);
	msg_with_payload_len(0);
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, GS_WIRE_HDR_LEN + 1, &h), GS_HDR_BAD_LENGTH);
}

static void
test_decode_nonzero_flags_are_refused(void)
{
	size_t len = msg_with_payload_len(0);
	struct gs_hdr h;

	msg[15] = 0x01;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_FLAGS);
	msg[15] = 0x00;
	msg[14] = 0x80;
	CU_ASSERT_EQUAL(gs_hdr_decode(msg, len, &h), GS_HDR_BAD_FLAGS);
}

/* --- encode ------------------------------------------------------------------------------ */

static void
test_encode_writes_network_byte_order(void)
{
	const struct gs_hdr h = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = 0x11,
		.session_id = 0xa1b2c3d4u,
		.sequence = 0x01020304u,
		.payload_len = PAYLOAD_LEN,
		.flags = 0,
		.auth_tag = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7 },
	};
	uint8_t out[GS_WIRE_HDR_LEN];

	CU_ASSERT_EQUAL_FATAL(gs_hdr_encode(&h, out, sizeof(out)), GS_WIRE_HDR_LEN);
	CU_ASSERT_EQUAL(memcmp(out, valid_hdr, sizeof(valid_hdr)), 0);
}

static void
test_encode_then_decode_gives_the_same_header(void)
{
	const struct gs_hdr in = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = GS_MSG_COMBAT_LAST,
		.session_id = 0xfffffffeu,
		.sequence = 0x80000001u,
		.payload_len = 3,
		.flags = 0,
		.auth_tag = { 1, 2, 3, 4, 5, 6, 7, 8 },
	};
	uint8_t buf[GS_WIRE_HDR_LEN + 3] = { 0 };
	struct gs_hdr out;

	CU_ASSERT_EQUAL_FATAL(gs_hdr_encode(&in, buf, sizeof(buf)), GS_WIRE_HDR_LEN);
	memset(&out, 0xee, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(gs_hdr_decode(buf, sizeof(buf), &out), GS_HDR_OK);
	CU_ASSERT_EQUAL(memcmp(&in, &out, sizeof(in)), 0);
}

static void
test_encode_refuses_payload_len_over_max(void)
{
	struct gs_hdr h = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = GS_MSG_MOVE_FIRST,
		.payload_len = GS_WIRE_MAX_PAYLOAD + 1,
	};
	uint8_t out[64];

	CU_ASSERT_EQUAL(gs_hdr_encode(&h, out, sizeof(out)), 0);
	h.payload_len = 0xffff;
	CU_ASSERT_EQUAL(gs_hdr_encode(&h, out, sizeof(out)), 0);
	h.payload_len = GS_WIRE_MAX_PAYLOAD;
	CU_ASSERT_EQUAL(gs_hdr_encode(&h, out, sizeof(out)), GS_WIRE_HDR_LEN);
}

static void
test_encode_refuses_buffers_smaller_than_the_header(void)
{
	const struct gs_hdr h = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = GS_MSG_HEARTBEAT,
	};
	uint8_t out[GS_WIRE_HDR_LEN];

	for (size_t cap = 0; cap < GS_WIRE_HDR_LEN; cap++)
		CU_ASSERT_EQUAL(gs_hdr_encode(&h, out, cap), 0);
	CU_ASSERT_EQUAL(gs_hdr_encode(&h, out, GS_WIRE_HDR_LEN), GS_WIRE_HDR_LEN);
}

/* --- names ------------------------------------------------------------------------------- */

static void
test_msg_type_str_names_session_types_and_ranges(void)
{
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(1), "CONNECT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(2), "CONNECT_ACCEPT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(3), "HEARTBEAT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(4), "HEARTBEAT_ACK");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(5), "DISCONNECT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(6), "SESSION_ERROR");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(7), "CHALLENGE");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(16), "MOVE");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(17), "MOVE_ACK");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(18), "MOVE_REJECT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(32), "ATTACK");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(33), "ATTACK_RESULT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(34), "DAMAGED");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(48), "SNAPSHOT");
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(49), "SNAPSHOT_ACK");
	/* the rest of each class's range: named by the range */
	for (unsigned int ty = 19; ty <= 31; ty++)
		CU_ASSERT_STRING_EQUAL(gs_msg_type_str((uint8_t)ty), "MOVE_RANGE");
	for (unsigned int ty = 35; ty <= 47; ty++)
		CU_ASSERT_STRING_EQUAL(gs_msg_type_str((uint8_t)ty), "COMBAT_RANGE");
	for (unsigned int ty = 50; ty <= 63; ty++)
		CU_ASSERT_STRING_EQUAL(gs_msg_type_str((uint8_t)ty), "REPL_RANGE");
}

static void
test_msg_type_str_of_unassigned_types_is_question_mark(void)
{
	CU_ASSERT_STRING_EQUAL(gs_msg_type_str(0), "?");
	for (unsigned int ty = 8; ty <= 15; ty++)
		CU_ASSERT_STRING_EQUAL(gs_msg_type_str((uint8_t)ty), "?");
	for (unsigned int ty = 64; ty <= 255; ty++)
		CU_ASSERT_STRING_EQUAL(gs_msg_type_str((uint8_t)ty), "?");
}

static void
test_hdr_err_str_names_every_error_distinctly(void)
{
	for (int a = GS_HDR_OK; a <= GS_HDR_BAD_FLAGS; a++) {
		CU_ASSERT_STRING_NOT_EQUAL(gs_hdr_err_str((enum gs_hdr_err)a), "?");
		for (int b = GS_HDR_OK; b < a; b++)
			CU_ASSERT_STRING_NOT_EQUAL(gs_hdr_err_str((enum gs_hdr_err)a),
				gs_hdr_err_str((enum gs_hdr_err)b));
	}
}

/* Numbers from text: one rule for config values and command lines (gs_parse_u64). */
static void
test_parse_u64_takes_numbers_only_within_range(void)
{
	uint64_t v = 7;

	CU_ASSERT_EQUAL(gs_parse_u64("12", 10, 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 12);
	CU_ASSERT_EQUAL(gs_parse_u64("0x10", 0, 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 16);
	CU_ASSERT_EQUAL(gs_parse_u64("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	v = 7;
	CU_ASSERT_EQUAL(gs_parse_u64("0x10", 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64("-1", 10, 0, UINT64_MAX, &v), -EINVAL); /* not 2^64 - 1 */
	CU_ASSERT_EQUAL(gs_parse_u64("+1", 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64(" 1", 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64("1 ", 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64("", 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64(NULL, 10, 0, 100, &v), -EINVAL);
	CU_ASSERT_EQUAL(gs_parse_u64("18446744073709551616", 10, 0, UINT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(gs_parse_u64("101", 10, 0, 100, &v), -ERANGE);
	CU_ASSERT_EQUAL(gs_parse_u64("0", 10, 1, 100, &v), -ERANGE);
	CU_ASSERT_EQUAL(v, 7); /* untouched by every refusal */
}

static CU_TestInfo decode_tests[] = {
	{ "valid header fills every field in host order",
		test_decode_valid_header_fills_every_field_in_host_order },
	{ "header with empty payload is accepted",
		test_decode_header_with_empty_payload_is_accepted },
	{ "truncated header is refused at every length",
		test_decode_truncated_header_is_refused_at_every_length },
	{ "bad magic is refused", test_decode_bad_magic_is_refused },
	{ "bad version is refused", test_decode_bad_version_is_refused },
	{ "payload_len of max is accepted", test_decode_payload_len_of_max_is_accepted },
	{ "payload_len over max is refused", test_decode_payload_len_over_max_is_refused },
	{ "payload_len above bytes after header is refused",
		test_decode_payload_len_above_bytes_after_header_is_refused },
	{ "payload_len below bytes after header is refused",
		test_decode_payload_len_below_bytes_after_header_is_refused },
	{ "nonzero flags are refused", test_decode_nonzero_flags_are_refused },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo encode_tests[] = {
	{ "writes network byte order", test_encode_writes_network_byte_order },
	{ "encode then decode gives the same header",
		test_encode_then_decode_gives_the_same_header },
	{ "refuses payload_len over max", test_encode_refuses_payload_len_over_max },
	{ "refuses buffers smaller than the header",
		test_encode_refuses_buffers_smaller_than_the_header },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo name_tests[] = {
	{ "msg type str names session types and ranges",
		test_msg_type_str_names_session_types_and_ranges },
	{ "msg type str of unassigned types is ?",
		test_msg_type_str_of_unassigned_types_is_question_mark },
	{ "hdr err str names every error distinctly",
		test_hdr_err_str_names_every_error_distinctly },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo parse_tests[] = {
	{ "parse_u64 takes numbers only, within range",
		test_parse_u64_takes_numbers_only_within_range },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "wire decode", .pTests = decode_tests },
	{ .pName = "wire encode", .pTests = encode_tests },
	{ .pName = "wire names", .pTests = name_tests },
	{ .pName = "numbers from text", .pTests = parse_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
