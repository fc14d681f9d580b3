/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the seeds of fuzz_snapshot (corpus/snapshot/): valid full and delta
 * snapshots made by the library's own encoder against the baseline the
 * harness builds (fuzz_snapshot.h), and streams of them for libgsclient's
 * views; given a second directory, fuzz_pb's seeds of SNAPSHOT and
 * SNAPSHOT_ACK too (make_corpus.py writes those of the other schemas). Not
 * part of any build; from the source tree, with a main build in build/:
 *
 *   cc -std=gnu11 -Ishared/include -Ibuild/schemas -Itests/fuzz \
 *      tests/fuzz/make_snapshot_corpus.c shared/src/repl.c shared/src/world.c \
 *      shared/src/pb_arena.c build/schemas/replicate.pb-c.c -lprotobuf-c -lm \
 *      -o /tmp/make_snapshot_corpus &&
 *   /tmp/make_snapshot_corpus tests/fuzz/corpus/snapshot tests/fuzz/corpus/pb
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_repl.h"

#include "fuzz_snapshot.h"

static struct gs_repl_enc *enc;
static const char *dir;

struct seed {
	uint8_t b[8192];
	size_t len;
};

static void
seed_start(struct seed *s, uint8_t flags, uint32_t tick)
{
	s->b[0] = flags;
	s->b[1] = (uint8_t)tick;
	s->b[2] = (uint8_t)(tick >> 8);
	s->b[3] = (uint8_t)(tick >> 16);
	s->b[4] = (uint8_t)(tick >> 24);
	s->len = FUZZ_SNAP_HDR;
}

static void
write_in(const char *where, const struct seed *s, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", where, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(s->b, 1, s->len, f) != s->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
seed_write(const struct seed *s, const char *name)
{
	write_in(dir, s, name);
}

/* A seed of fuzz_pb: the wire type, then the payload of snapshot seed @p from. */
static void
pb_write(const char *pb_dir, uint8_t type, const struct seed *from, size_t skip, const char *name)
{
	struct seed p;

	p.b[0] = type;
	memcpy(p.b + 1, from->b + skip, from->len - skip);
	p.len = 1 + from->len - skip;
	write_in(pb_dir, &p, name);
}

/* Encode candidates @p c against @p base into the seed; with @p framed, after its length. */
static void
put(struct seed *s, const struct gs_repl_view *base, const struct gs_repl_ent *c, uint32_t n,
	uint32_t tick, size_t budget, struct gs_repl_view *next, int framed)
{
	uint8_t *at = s->b + s->len + (framed ? 2 : 0);
	struct gs_repl_enc_res res;

	if (gs_repl_encode(enc, base, c, n, tick, budget, at, GS_REPL_BUDGET, next, &res) != 0) {
		fprintf(stderr, "gs_repl_encode failed\n");
		exit(1);
	}
	if (framed) {
		s->b[s->len] = (uint8_t)res.len;
		s->b[s->len + 1] = (uint8_t)(res.len >> 8);
		s->len += 2;
	}
	s->len += res.len;
}

/* The baseline of @p n entities at @p tick, changed: some move, some leave, some arrive. */
static uint32_t
changed(unsigned int n, struct gs_repl_ent *c)
{
	struct gs_repl_ent mem[64];
	struct gs_repl_view b = { .cap = 64, .e = mem };
	uint32_t k = 0;

	fuzz_snapshot_baseline(n, 1, &b);
	for (unsigned int i = 0; i < n; i++) {
		if (i % 7 == 3)
			continue; /* left */
		c[k] = b.e[i];
		if (i % 2 == 0)
			c[k].q[0] += 5; /* moved */
		if (i % 5 == 0)
			c[k].hp -= 10;
		if (i % 11 == 0)
			c[k].alive ^= 1;
		k++;
	}
	for (unsigned int i = 0; i < 3; i++) /* arrived: ids between the baseline's */
		c[k++] = (struct gs_repl_ent){ .id = 3u * i + 2u, .q = { -100, 200, 3 }, .hp = 50 };
	return k;
}

int
main(int argc, char **argv)
{
	static struct gs_repl_ent bmem[64], nmem[2][256], c[256];
	struct gs_repl_view base = { .cap = 64, .e = bmem };
	struct gs_repl_view next[2] = { { .cap = 256, .e = nmem[0] },
		{ .cap = 256, .e = nmem[1] } };
	struct seed s;
	uint32_t n;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s DIR [PB_DIR]\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	enc = gs_repl_enc_create(256);
	if (enc == NULL)
		return 1;

	/* a full snapshot of 12 entities; no baseline view */
	fuzz_snapshot_baseline(12, 1, &base);
	seed_start(&s, 0, 0);
	put(&s, NULL, base.e, 12, 10, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "full_12");
	if (argc == 3)
		pb_write(argv[2], 48, &s, FUZZ_SNAP_HDR, "snapshot_full");

	/* a full snapshot cut by the budget, into the small view too */
	for (uint32_t i = 0; i < 200; i++)
		c[i] = (struct gs_repl_ent){ .id = 1000u + i * 977u,
			.q = { (int32_t)i * 12345, -(int32_t)i * 54321, (int32_t)i },
			.v = { 7, -7, 0 },
			.hp = 100,
			.alive = 1 };
	seed_start(&s, 0, 0);
	put(&s, NULL, c, 200, 7, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "full_cut");
	seed_start(&s, FUZZ_SNAP_SMALL, 0);
	put(&s, NULL, c, 5, 7, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "full_small_view");

	/* deltas against the harness's baseline of 40 at tick 100 */
	fuzz_snapshot_baseline(40, 100, &base);
	n = changed(40, c);
	seed_start(&s, 40, 100);
	put(&s, &base, c, n, 101, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "delta_40");
	seed_start(&s, 40, 100);
	put(&s, &base, c, n, 101, 60, &next[0], 0);
	seed_write(&s, "delta_40_cut");
	if (argc == 3) {
		static const uint8_t ack[] = { 0x08, 0xe5, 0x00 }; /* tick 101, over-long */

		pb_write(argv[2], 48, &s, FUZZ_SNAP_HDR, "snapshot_delta");
		memcpy(s.b, ack, sizeof(ack));
		s.len = sizeof(ack);
		pb_write(argv[2], 49, &s, 0, "snapshot_ack_set");
	}
	seed_start(&s, 40, 100);
	put(&s, &base, base.e, 40, 105, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "delta_unchanged");
	seed_start(&s, 40, 100);
	put(&s, &base, base.e + 30, 4, 102, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "delta_removals");
	/* ticks that wrap */
	fuzz_snapshot_baseline(20, 0xfffffffeu, &base);
	n = changed(20, c);
	seed_start(&s, 20, 0xfffffffeu);
	put(&s, &base, c, n, 3, GS_REPL_BUDGET, &next[0], 0);
	seed_write(&s, "delta_wrap");

	/* a client's stream: full, two deltas, one again (old), one against a lost view */
	seed_start(&s, FUZZ_SNAP_CLIENT, 0);
	fuzz_snapshot_baseline(30, 1, &base);
	put(&s, NULL, base.e, 30, 1, GS_REPL_BUDGET, &next[0], 1);
	n = changed(30, c);
	put(&s, &next[0], c, n, 2, GS_REPL_BUDGET, &next[1], 1);
	{
		size_t again = s.len;
		uint8_t copy[2048];
		size_t copy_len;

		c[0].q[1] += 100;
		put(&s, &next[1], c, n, 3, 80, &next[0], 1);
		copy_len = s.len - again;
		memcpy(copy, s.b + again, copy_len);
		memcpy(s.b + s.len, copy, copy_len); /* the same again: old */
		s.len += copy_len;
	}
	next[1].tick = 9; /* a baseline the client never had */
	put(&s, &next[1], c, n, 11, GS_REPL_BUDGET, &next[0], 1);
	seed_write(&s, "client_stream");

	gs_repl_enc_free(enc);
	return 0;
}
