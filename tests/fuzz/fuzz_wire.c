/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the game header decoder gs_hdr_decode().
 *
 * The input is a UDP payload. A header the decoder accepts must re-encode to
 * the same 24 bytes; any header built from the input's bytes must decode
 * back to itself when it is valid, and be refused for the reason its first
 * invalid field gives when it is not.
 */
#include <string.h>

#include "gs_wire.h"

#include "fuzz_common.h"

static void
check_accepted(const uint8_t *data, size_t size, const struct gs_hdr *h)
{
	uint8_t enc[GS_WIRE_HDR_LEN];

	CHECK(h->magic == GS_WIRE_MAGIC);
	CHECK(h->version == GS_WIRE_VERSION);
	CHECK(h->flags == 0);
	CHECK(h->payload_len <= GS_WIRE_MAX_PAYLOAD);
	CHECK((size_t)h->payload_len + GS_WIRE_HDR_LEN == size);
	CHECK(gs_hdr_encode(h, enc, sizeof(enc)) == GS_WIRE_HDR_LEN);
	CHECK(memcmp(enc, data, GS_WIRE_HDR_LEN) == 0);
	CHECK(gs_hdr_encode(h, enc, sizeof(enc) - 1) == 0);
}

/* The error a header with these fields must get, in the decoder's order of checks. */
static enum gs_hdr_err
expected_err(const struct gs_hdr *h)
{
	if (h->magic != GS_WIRE_MAGIC)
		return GS_HDR_BAD_MAGIC;
	if (h->version != GS_WIRE_VERSION)
		return GS_HDR_BAD_VERSION;
	if (h->flags != 0)
		return GS_HDR_BAD_FLAGS;
	return GS_HDR_OK;
}

/* Encode a header made of the input's bytes, then decode it. */
static void
round_trip(const uint8_t *data, size_t size)
{
	struct gs_hdr h, back;
	uint8_t *buf;
	size_t len;

	if (size < sizeof(h))
		return;
	memcpy(&h, data, sizeof(h));
	if (h.payload_len > GS_WIRE_MAX_PAYLOAD) {
		uint8_t enc[GS_WIRE_HDR_LEN];

		CHECK(gs_hdr_encode(&h, enc, sizeof(enc)) == 0);
		h.payload_len %= GS_WIRE_MAX_PAYLOAD + 1;
	}
	len = GS_WIRE_HDR_LEN + h.payload_len;
	buf = malloc(len);
	CHECK(buf != NULL);
	memset(buf + GS_WIRE_HDR_LEN, 0xa5, h.payload_len);
	CHECK(gs_hdr_encode(&h, buf, len) == GS_WIRE_HDR_LEN);
	memset(&back, 0, sizeof(back));
	CHECK(gs_hdr_decode(buf, len, &back) == expected_err(&h));
	if (expected_err(&h) == GS_HDR_OK) {
		CHECK(memcmp(&back, &h, sizeof(h)) == 0);
		/* one byte more or less than payload_len says */
		CHECK(gs_hdr_decode(buf, len - 1, &back) ==
			(len - 1 < GS_WIRE_HDR_LEN ? GS_HDR_TRUNCATED : GS_HDR_BAD_LENGTH));
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_hdr h;
	enum gs_hdr_err err;

	memset(&h, 0, sizeof(h));
	err = gs_hdr_decode(data, size, &h);
	CHECK(gs_hdr_err_str(err) != NULL && strcmp(gs_hdr_err_str(err), "?") != 0);
	if (size < GS_WIRE_HDR_LEN)
		CHECK(err == GS_HDR_TRUNCATED);
	if (err == GS_HDR_OK) {
		check_accepted(data, size, &h);
		CHECK(gs_msg_type_str(h.type) != NULL);
	}
	round_trip(data, size);
	return 0;
}
