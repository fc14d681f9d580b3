/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "gs_stats.h"
#include "gs_test.h"

#include "counters_fixture.h"
#include "snapshot.h"

/*
 * Every counter of a snapshot appears, with its value, in each of gs-stats'
 * outputs (secondary/stats/export.c): the Prometheus text, the JSON and the
 * operator's table. The counters come from counters_fixture.c, made from
 * the X-macro lists: a counter added to a list is checked here without a
 * change. Class "chat" (id 4) stands for a class of the handler SDK: its
 * instances declare their own counts and reject reasons.
 *
 * Left out of the table on purpose (it fits a terminal; Prometheus and the
 * JSON have everything):
 * - per lcore, only rx and tx packets and the drop total: every lcore
 *   counter is in "lcore totals:", summed over the lcores;
 * - drops by reason summed over the lcores, and only the non-zero ones (the
 *   fixture's are all non-zero); the same for an instance's reject reasons;
 * - the residence buckets and their sum: per class its count, p50 and p99;
 *   the same for an instance's duration histogram;
 * - the per-lcore ring counters of an instance: their sums (depth, full,
 *   enqueued).
 */

static struct snapshot snap;
static struct gs_lcore_stats sum;
static char *prom, *json, *table;

static char *
render(void (*fn)(FILE *f, const struct snapshot *s), const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fn(f, s);
	fclose(f);
	return buf;
}

static void
prometheus_of(FILE *f, const struct snapshot *s)
{
	export_prometheus(f, s, 0.00125);
}

static void
table_of(FILE *f, const struct snapshot *s)
{
	export_table(f, s, NULL);
}

static int
suite_init(void)
{
	memset(&snap, 0, sizeof(snap));
	snprintf(snap.gsnet_version, sizeof(snap.gsnet_version), "0.1.0");
	snprintf(snap.dpdk_version, sizeof(snap.dpdk_version), "DPDK 22.11.11");
	snap.primary_pid = 4000;
	snap.ports_started = 1;
	snap.tsc_hz = FX_TSC_HZ;
	snap.n_lcores = FX_LCORES;
	fx_classes(snap.classes);
	for (unsigned int l = 0; l < FX_LCORES; l++)
		fx_lcore(&snap.lc[l], l);
	fx_sum(snap.lc, FX_LCORES, &sum);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			fx_slot(&snap.hs[c][i], c, i);
			if (!fx_slot_used(c, i))
				continue;
			snap.hb_age[c][i] = (double)(10 * c + i + 1) / 1e3;
			for (unsigned int l = 0; l < FX_LCORES; l++) {
				snap.depth_p2h[l][c][i] = fx_depth(l, c, i, true);
				snap.depth_h2p[l][c][i] = fx_depth(l, c, i, false);
			}
		}
	snap.ring_capacity = FX_RING_SLOTS;
	snap.pool_size = 8191;
	snap.pool_avail = 8000;
	snap.pool_in_use = 191;
	snap.sessions = 3;
	snap.sessions_max = 1024;
	prom = render(prometheus_of, &snap);
	json = render(export_json, &snap);
	table = render(table_of, &snap);
	return prom != NULL && json != NULL && table != NULL ? 0 : -1;
}

static int
suite_cleanup(void)
{
	free(prom);
	free(json);
	free(table);
	prom = json = table = NULL;
	return 0;
}

/* Class @p c's residence buckets summed over the lcores, into @p counts; @return their count. */
static uint64_t
residence_sum(unsigned int c, uint64_t counts[GS_RESIDENCE_BUCKETS])
{
	uint64_t n = 0;

	for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++) {
		counts[b] = sum.residence[c][b];
		n += counts[b];
	}
	return n;
}

/* --- Prometheus --------------------------------------------------------------------------- */

/* The line formatted from @p fmt is one of the text's lines (not the first: a comment). */
static bool has_line(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
has_line(const char *text, const char *fmt, ...)
{
	char line[512];
	size_t n;
	va_list ap;

	line[0] = '\n';
	va_start(ap, fmt);
	vsnprintf(line + 1, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n] = '\n';
	line[n + 1] = '\0';
	return strstr(text, line) != NULL;
}

#define PROM(...) FX_CHECK(has_line(prom, __VA_ARGS__), "prometheus: no line " __VA_ARGS__)

static void
family(const char *name, const char *type)
{
	FX_CHECK(
		has_line(prom, "# TYPE gsnet_%s %s", name, type), "prometheus: no family %s", name);
}

/* The samples of Prometheus histogram gsnet_<name>{labels}: cumulative buckets, sum, count. */
static void
prom_histogram(const char *name, const char *labels, const uint64_t *bounds, const uint64_t *counts,
	unsigned int n, uint64_t sum_ns)
{
	uint64_t cum = 0;

	for (unsigned int b = 0; b < n; b++) {
		cum += counts[b];
		if (bounds[b] == UINT64_MAX)
			PROM("gsnet_%s_bucket{%s,le=\"+Inf\"} %" PRIu64, name, labels, cum);
		else
			PROM("gsnet_%s_bucket{%s,le=\"%g\"} %" PRIu64, name, labels,
				(double)bounds[b] / 1e9, cum);
	}
	PROM("gsnet_%s_sum{%s} %.9f", name, labels, (double)sum_ns / 1e9);
	PROM("gsnet_%s_count{%s} %" PRIu64, name, labels, cum);
}

#define LABELS "class=\"%s\",instance=\"%u\""

static void
test_prometheus_has_every_lcore_counter_drop_and_class_figure(void)
{
	const struct gs_class_info *cl = snap.classes;

#define CHECK(name, help)                            \
	family(#name "_total", "counter");           \
	for (unsigned int l = 0; l < FX_LCORES; l++) \
		PROM("gsnet_" #name "_total{lcore=\"%u\"} %" PRIu64, l, snap.lc[l].name);
	GS_FOREACH_LCORE_COUNTER(CHECK)
#undef CHECK
	family("drops_total", "counter");
	family("dispatched_total", "counter");
	family("replies_total", "counter");
	for (unsigned int l = 0; l < FX_LCORES; l++) {
		const struct gs_lcore_stats *st = &snap.lc[l];

		for (unsigned int d = 1; d < GS_DROP_MAX; d++)
			PROM("gsnet_drops_total{lcore=\"%u\",reason=\"%s\"} %" PRIu64, l,
				gs_drop_name(d), st->drops[d]);
		GS_FOREACH_CLASS_ID(c, cl)
		{
			PROM("gsnet_dispatched_total{lcore=\"%u\",class=\"%s\"} %" PRIu64, l,
				cl[c].name, st->dispatched[c]);
			PROM("gsnet_replies_total{lcore=\"%u\",class=\"%s\"} %" PRIu64, l,
				cl[c].name, st->replies[c]);
		}
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(prom, "gsnet_dispatched_total{lcore=\"1\",class=\"chat\"}"));
}

static void
test_prometheus_has_every_residence_bucket(void)
{
	static const uint64_t bounds[GS_RESIDENCE_BUCKETS] = GS_RESIDENCE_BOUNDS_NS;

	family("residence_seconds", "histogram");
	GS_FOREACH_CLASS_ID(c, snap.classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS];
		char labels[64];

		residence_sum(c, counts);
		snprintf(labels, sizeof(labels), "class=\"%s\"", snap.classes[c].name);
		prom_histogram("residence_seconds", labels, bounds, counts, GS_RESIDENCE_BUCKETS,
			sum.residence_ns[c]);
	}
}

static void
test_prometheus_has_every_handler_duration_bucket(void)
{
	static const uint64_t bounds[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;
	unsigned int shown = 0;
	char labels[128];

	family("handler_duration_seconds", "histogram");
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *h = &snap.hs[c][i];

			snprintf(labels, sizeof(labels), LABELS ",name=\"%s\"",
				snap.classes[c].name, i, h->hist_name);
			if (!fx_slot_used(c, i) || h->hist_name[0] == '\0') {
				snprintf(labels, sizeof(labels), "_count{" LABELS ",",
					snap.classes[c].name, i);
				FX_CHECK(snap.classes[c].name[0] == '\0' ||
						 strstr(prom, labels) == NULL,
					"prometheus: %s has no duration histogram, one is shown",
					labels);
				continue;
			}
			shown++;
			prom_histogram("handler_duration_seconds", labels, bounds, h->hist,
				GS_HANDLER_HIST_BUCKETS, h->hist_ns);
		}
	CU_ASSERT_EQUAL(shown, 2); /* chat's two instances */
	PROM("gsnet_handler_duration_seconds_bucket{class=\"chat\",instance=\"1\",name=\"" FX_HIST_NAME
	     "\",le=\"1\"} %" PRIu64,
		gs_hist_count(snap.hs[FX_CHAT][1].hist, GS_HANDLER_HIST_BUCKETS - 1));
}

static void
test_prometheus_has_every_handler_and_ring_counter(void)
{
	static const char *const families[][2] = {
		{ "ring_enqueued_total", "counter" },
		{ "ring_full_total", "counter" },
		{ "ring_depth", "gauge" },
		{ "handler_up", "gauge" },
		{ "handler_generation", "gauge" },
		{ "handler_restarts_total", "counter" },
		{ "handler_downs_total", "counter" },
		{ "handler_rejected_total", "counter" },
		{ "handler_events_total", "counter" },
	};

	for (unsigned int k = 0; k < RTE_DIM(families); k++)
		family(families[k][0], families[k][1]);
#define CHECK(name, help) family("handler_" #name "_total", "counter");
	GS_FOREACH_HANDLER_COUNTER(CHECK)
#undef CHECK
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *h = &snap.hs[c][i];
			const char *n = snap.classes[c].name;
			char labels[64];

			if (!fx_slot_used(c, i)) {
				snprintf(labels, sizeof(labels), LABELS, n, i);
				FX_CHECK(n[0] == '\0' || strstr(prom, labels) == NULL,
					"prometheus: %s, never claimed, is shown", labels);
				continue;
			}
			for (unsigned int l = 0; l < FX_LCORES; l++) {
				PROM("gsnet_ring_enqueued_total{lcore=\"%u\"," LABELS "} %" PRIu64,
					l, n, i, snap.lc[l].ring_enq[c][i]);
				PROM("gsnet_ring_full_total{lcore=\"%u\"," LABELS "} %" PRIu64, l,
					n, i, snap.lc[l].ring_full[c][i]);
				PROM("gsnet_ring_depth{lcore=\"%u\"," LABELS
				     ",direction=\"to_handler\"} %u",
					l, n, i, snap.depth_p2h[l][c][i]);
				PROM("gsnet_ring_depth{lcore=\"%u\"," LABELS
				     ",direction=\"to_primary\"} %u",
					l, n, i, snap.depth_h2p[l][c][i]);
			}
			PROM("gsnet_handler_up{" LABELS "} %u", n, i, h->up);
			PROM("gsnet_handler_generation{" LABELS "} %u", n, i, h->generation);
			PROM("gsnet_handler_restarts_total{" LABELS "} %u", n, i, h->restarts);
			PROM("gsnet_handler_downs_total{" LABELS "} %u", n, i, h->downs);
#define CHECK(name, help) PROM("gsnet_handler_" #name "_total{" LABELS "} %" PRIu64, n, i, h->name);
			GS_FOREACH_HANDLER_COUNTER(CHECK)
#undef CHECK
			for (unsigned int r = 0; r < fx_slot_rejects(h); r++)
				PROM("gsnet_handler_rejected_total{" LABELS
				     ",reason=\"%s\"} %" PRIu64,
					n, i, fx_reject_name(h, r), h->rejected[r]);
			for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
				if (h->event_names[e][0] != '\0')
					PROM("gsnet_handler_events_total{" LABELS
					     ",event=\"%s\"} %" PRIu64,
						n, i, h->event_names[e], h->events[e]);
		}
	CU_ASSERT_PTR_NOT_NULL(strstr(prom, "instance=\"1\",reason=\"not_in_channel\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(prom, "instance=\"1\",event=\"heard_dropped\"}"));
}

/* --- JSON --------------------------------------------------------------------------------- */

/* "key":value in @p text (value not followed by more of a number). */
static bool
json_has(const char *text, const char *key, uint64_t v)
{
	char want[128];
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "\"%s\":%" PRIu64, key, v);
	for (const char *p = strstr(text, want); p != NULL; p = strstr(p + 1, want))
		if (strchr("0123456789.eE", p[n]) == NULL || p[n] == '\0')
			return true;
	return false;
}

#define JSON(text, key, v)                                                           \
	FX_CHECK(json_has(text, key, v), "json: no \"%s\":%" PRIu64 " (%s:%u)", key, \
		(uint64_t)(v), __func__, __LINE__)

/* The object that starts with @p head in @p text, up to its closing brace (malloc'd), or NULL. */
static char *
json_object(const char *text, const char *head)
{
	const char *p = strstr(text, head), *q;
	int depth = 0;

	if (p == NULL)
		return NULL;
	for (q = p; *q != '\0'; q++) {
		if (*q == '{' || *q == '[')
			depth++;
		else if ((*q == '}' || *q == ']') && --depth == 0)
			return strndup(p, (size_t)(q - p + 1));
	}
	return NULL;
}

static void
test_json_has_every_lcore_counter_drop_and_class_figure(void)
{
	char head[64];

	for (unsigned int l = 0; l < FX_LCORES; l++) {
		const struct gs_lcore_stats *st = &snap.lc[l];
		char *o, *part;

		snprintf(head, sizeof(head), "{\"lcore\":%u,\"", l);
		o = json_object(json, head);
		FX_CHECK(o != NULL, "json: no lcore %u", l);
		if (o == NULL)
			continue;
#define CHECK(name, help) JSON(o, #name, st->name);
		GS_FOREACH_LCORE_COUNTER(CHECK)
#undef CHECK
		part = json_object(o, "\"drops\":{");
		FX_CHECK(part != NULL, "json: lcore %u has no drops", l);
		for (unsigned int d = 1; part != NULL && d < GS_DROP_MAX; d++)
			JSON(part, gs_drop_name(d), st->drops[d]);
		free(part);
		part = json_object(o, "\"dispatched\":{");
		FX_CHECK(part != NULL, "json: lcore %u has no dispatched", l);
		GS_FOREACH_CLASS_ID(c, snap.classes)
		if (part != NULL)
			JSON(part, snap.classes[c].name, st->dispatched[c]);
		free(part);
		part = json_object(o, "\"replies\":{");
		FX_CHECK(part != NULL, "json: lcore %u has no replies", l);
		GS_FOREACH_CLASS_ID(c, snap.classes)
		if (part != NULL)
			JSON(part, snap.classes[c].name, st->replies[c]);
		free(part);
		free(o);
	}
}

static void
test_json_has_every_residence_bucket(void)
{
	char head[64], want[1024];

	GS_FOREACH_CLASS_ID(c, snap.classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS], n = residence_sum(c, counts);
		size_t off;
		char *o;

		snprintf(head, sizeof(head), "\"%s\":{\"count\":", snap.classes[c].name);
		o = json_object(json, head);
		FX_CHECK(o != NULL, "json: no residence of %s", snap.classes[c].name);
		if (o == NULL)
			continue;
		JSON(o, "count", n);
		snprintf(want, sizeof(want), "\"sum_s\":%.9f,", (double)sum.residence_ns[c] / 1e9);
		FX_CHECK(strstr(o, want) != NULL, "json: %s has no %s", snap.classes[c].name, want);
		off = (size_t)snprintf(want, sizeof(want), "\"buckets\":[");
		for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
			off += (size_t)snprintf(want + off, sizeof(want) - off, "%s%" PRIu64,
				b ? "," : "", counts[b]);
		FX_CHECK(
			strstr(o, want) != NULL, "json: %s has no %s]", snap.classes[c].name, want);
		free(o);
	}
}

/* The durations object @p part of instance @p head: its histogram, or nothing. */
static void
check_json_duration(const char *head, const struct gs_handler_slot *h, const char *part)
{
	char key[64], want[1024];
	size_t off;
	char *o;

	if (h->hist_name[0] == '\0') {
		FX_CHECK(strcmp(part, "\"durations\":{}") == 0, "json: %s has durations %s", head,
			part);
		return;
	}
	snprintf(key, sizeof(key), "\"%s\":{\"count\":", h->hist_name);
	o = json_object(part, key);
	FX_CHECK(o != NULL, "json: %s has no duration %s", head, h->hist_name);
	if (o == NULL)
		return;
	JSON(o, "count", gs_hist_count(h->hist, GS_HANDLER_HIST_BUCKETS));
	snprintf(want, sizeof(want), "\"sum_s\":%.9f,\"p50_us\":%.1f,\"p99_us\":%.1f,",
		(double)h->hist_ns / 1e9, gs_handler_hist_quantile(h->hist, 0.5) / 1e3,
		gs_handler_hist_quantile(h->hist, 0.99) / 1e3);
	FX_CHECK(strstr(o, want) != NULL, "json: %s has no %s in %s", head, want, o);
	off = (size_t)snprintf(want, sizeof(want), "\"buckets\":[");
	for (unsigned int b = 0; b < GS_HANDLER_HIST_BUCKETS; b++)
		off += (size_t)snprintf(
			want + off, sizeof(want) - off, "%s%" PRIu64, b ? "," : "", h->hist[b]);
	FX_CHECK(strstr(o, want) != NULL, "json: %s has no %s]", head, want);
	free(o);
}

static void
test_json_has_the_duration_bounds(void)
{
	FX_CHECK(strstr(json, "\"handler_duration_bounds_us\":[10,20,50,100,200,500,1000,2000,"
			      "5000,10000,20000,50000,100000,200000,500000,1000000,"
			      "null]") != NULL,
		"json: no handler_duration_bounds_us");
	FX_CHECK(strstr(json, "\"residence_bounds_us\":[1,2,5,10,20,50,100,200,500,1000,2000,"
			      "5000,10000,null]") != NULL,
		"json: no residence_bounds_us");
}

static void
test_json_has_every_handler_and_ring_counter(void)
{
	char head[64], want[256];

	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *h = &snap.hs[c][i];
			char *o, *part;

			if (snap.classes[c].name[0] == '\0')
				continue;
			snprintf(head, sizeof(head), "{\"class\":\"%s\",\"instance\":%u,",
				snap.classes[c].name, i);
			o = json_object(json, head);
			if (!fx_slot_used(c, i)) {
				FX_CHECK(o == NULL, "json: %s, never claimed, is shown", head);
				free(o);
				continue;
			}
			FX_CHECK(o != NULL, "json: no %s", head);
			if (o == NULL)
				continue;
			JSON(o, "up", h->up);
			JSON(o, "generation", h->generation);
			JSON(o, "restarts", h->restarts);
			JSON(o, "downs", h->downs);
#define CHECK(name, help) JSON(o, #name, h->name);
			GS_FOREACH_HANDLER_COUNTER(CHECK)
#undef CHECK
			part = json_object(o, "\"rejected\":{");
			FX_CHECK(part != NULL, "json: %s has no rejected", head);
			for (unsigned int r = 0; part != NULL && r < fx_slot_rejects(h); r++)
				JSON(part, fx_reject_name(h, r), h->rejected[r]);
			free(part);
			part = json_object(o, "\"events\":{");
			FX_CHECK(part != NULL, "json: %s has no events", head);
			for (unsigned int e = 0; part != NULL && e < GS_HANDLER_EVENTS; e++)
				if (h->event_names[e][0] != '\0')
					JSON(part, h->event_names[e], h->events[e]);
			free(part);
			part = json_object(o, "\"durations\":{");
			FX_CHECK(part != NULL, "json: %s has no durations", head);
			if (part != NULL)
				check_json_duration(head, h, part);
			free(part);
			for (unsigned int l = 0; l < FX_LCORES; l++) {
				snprintf(want, sizeof(want),
					"{\"lcore\":%u,\"enqueued\":%" PRIu64 ",\"full\":%" PRIu64
					",\"depth_to_handler\":%u,\"depth_to_primary\":%u}",
					l, snap.lc[l].ring_enq[c][i], snap.lc[l].ring_full[c][i],
					snap.depth_p2h[l][c][i], snap.depth_h2p[l][c][i]);
				FX_CHECK(strstr(o, want) != NULL, "json: %s has no ring %s", head,
					want);
			}
			free(o);
		}
}

/* --- the table ---------------------------------------------------------------------------- */

#define MAX_TOKENS 64

struct row {
	char buf[1024];
	char *tok[MAX_TOKENS];
	unsigned int n;
};

/* Split line @p line (up to its newline) into @p r's whitespace-separated tokens. */
static void
split(const char *line, struct row *r)
{
	size_t len = strcspn(line, "\n");
	char *save = NULL;

	if (len >= sizeof(r->buf))
		len = sizeof(r->buf) - 1;
	memcpy(r->buf, line, len);
	r->buf[len] = '\0';
	r->n = 0;
	for (char *t = strtok_r(r->buf, " \t", &save); t != NULL && r->n < MAX_TOKENS;
		t = strtok_r(NULL, " \t", &save))
		r->tok[r->n++] = t;
}

/* The line after the one at @p p. */
static const char *
next_line(const char *p)
{
	p += strcspn(p, "\n");
	return *p == '\n' ? p + 1 : p;
}

/*
 * The row of the table section whose header starts with @p h0 @p h1 and
 * whose first tokens are @p t0 (and @p t1, unless NULL); false when none.
 * @p next (may be NULL) gets the line after it. A section ends at a blank line.
 */
static bool
table_row(const char *h0, const char *h1, const char *t0, const char *t1, struct row *r,
	const char **next)
{
	bool in = false;

	for (const char *line = table; *line != '\0'; line = next_line(line)) {
		split(line, r);
		if (r->n == 0) {
			in = false;
		} else if (!in) {
			in = r->n >= 2 && strcmp(r->tok[0], h0) == 0 && strcmp(r->tok[1], h1) == 0;
		} else if (strcmp(r->tok[0], t0) == 0 &&
			   (t1 == NULL || (r->n > 1 && strcmp(r->tok[1], t1) == 0))) {
			if (next != NULL)
				*next = next_line(line);
			return true;
		}
	}
	return false;
}

static bool
token_is(const struct row *r, unsigned int k, uint64_t v)
{
	char want[32];

	snprintf(want, sizeof(want), "%" PRIu64, v);
	return k < r->n && strcmp(r->tok[k], want) == 0;
}

/* "NAME=VALUE" is a token of the line where @p head is first found in @p text (NULL: its first line). */
static bool
kv_in(const char *text, const char *head, const char *name, uint64_t v)
{
	const char *line = head != NULL ? strstr(text, head) : text;
	char want[128];
	struct row r;

	if (line == NULL)
		return false;
	if (*line == '\n')
		line++; /* a head that says "at a line's start" */
	split(line, &r);
	snprintf(want, sizeof(want), "%s=%" PRIu64, name, v);
	for (unsigned int k = 0; k < r.n; k++)
		if (strcmp(r.tok[k], want) == 0)
			return true;
	return false;
}

static void
test_table_has_every_lcore_counter_drop_and_class_figure(void)
{
	char lc[16];
	struct row r;

	for (unsigned int l = 0; l < FX_LCORES; l++) {
		const struct gs_lcore_stats *st = &snap.lc[l];
		uint64_t dropped = 0;

		for (unsigned int d = 1; d < GS_DROP_MAX; d++)
			dropped += st->drops[d];
		snprintf(lc, sizeof(lc), "%u", l);
		FX_CHECK(table_row("lcore", "rx", lc, NULL, &r, NULL), "table: no lcore %u", l);
		/* lcore rx rx/s tx tx/s dropped drop/s */
		FX_CHECK(token_is(&r, 1, st->rx_packets) && token_is(&r, 3, st->tx_packets) &&
				 token_is(&r, 5, dropped),
			"table: lcore %u shows %s %s %s", l, r.tok[1], r.tok[3], r.tok[5]);
	}
#define CHECK(name, help)                                          \
	FX_CHECK(kv_in(table, "\nlcore totals:", #name, sum.name), \
		"table: no " #name "=%" PRIu64 " in lcore totals", sum.name);
	GS_FOREACH_LCORE_COUNTER(CHECK)
#undef CHECK
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		FX_CHECK(kv_in(table, "\ndrops by reason", gs_drop_name(d), sum.drops[d]),
			"table: no %s=%" PRIu64 " in drops by reason", gs_drop_name(d),
			sum.drops[d]);
	GS_FOREACH_CLASS_ID(c, snap.classes)
	{
		uint64_t counts[GS_RESIDENCE_BUCKETS], n = residence_sum(c, counts);

		FX_CHECK(table_row("class", "dispatched", snap.classes[c].name, NULL, &r, NULL),
			"table: no class %s", snap.classes[c].name);
		/* class dispatched disp/s replies reply/s residence p50 p99 */
		FX_CHECK(token_is(&r, 1, sum.dispatched[c]) && token_is(&r, 3, sum.replies[c]) &&
				 token_is(&r, 5, n),
			"table: class %s shows %s %s %s", snap.classes[c].name, r.tok[1], r.tok[3],
			r.tok[5]);
	}
}

/*
 * Among the lines under an instance's row (from @p details, indented), its
 * duration histogram's: its count, p50 and p99; none without a histogram.
 */
static void
check_table_duration(
	const char *n, unsigned int i, const struct gs_handler_slot *h, const char *details)
{
	char want[256];
	bool found = false;

	if (h->hist_name[0] != '\0')
		snprintf(want, sizeof(want), "         %s: count=%" PRIu64 " p50=%.1f p99=%.1f us",
			h->hist_name, gs_hist_count(h->hist, GS_HANDLER_HIST_BUCKETS),
			gs_handler_hist_quantile(h->hist, 0.5) / 1e3,
			gs_handler_hist_quantile(h->hist, 0.99) / 1e3);
	for (const char *line = details; *line == ' '; line = next_line(line)) {
		size_t len = strcspn(line, "\n");

		if (h->hist_name[0] != '\0' && len == strlen(want) && strncmp(line, want, len) == 0)
			found = true;
		FX_CHECK(h->hist_name[0] != '\0' || strstr(line, " p99=") == NULL ||
				 strstr(line, " p99=") > line + len,
			"table: %s %u has no duration histogram, one is shown", n, i);
	}
	FX_CHECK(h->hist_name[0] == '\0' || found, "table: %s %u: no line \"%s\"", n, i, want);
}

static void
test_table_has_every_handler_figure(void)
{
	char inst[16];
	struct row r;

	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *h = &snap.hs[c][i];
			const char *n = snap.classes[c].name, *details = NULL;
			uint64_t rejected = 0, full = 0, enq = 0, depth = 0;
			bool found;

			if (n[0] == '\0')
				continue;
			snprintf(inst, sizeof(inst), "%u", i);
			found = table_row("class", "inst", n, inst, &r, &details);
			if (!fx_slot_used(c, i)) {
				FX_CHECK(!found, "table: %s %u, never claimed, is shown", n, i);
				continue;
			}
			FX_CHECK(found, "table: no %s %u", n, i);
			if (!found)
				continue;
			for (unsigned int k = 0; k < fx_slot_rejects(h); k++)
				rejected += h->rejected[k];
			for (unsigned int l = 0; l < FX_LCORES; l++) {
				full += snap.lc[l].ring_full[c][i];
				enq += snap.lc[l].ring_enq[c][i];
				depth += snap.depth_p2h[l][c][i];
			}
			/* class inst state up pid gen rst hb_age processed proc/s rejected ring full */
			FX_CHECK(r.n == 13 && strcmp(r.tok[2], gs_slot_state_name(h->state)) == 0 &&
					 strcmp(r.tok[3], h->up ? "yes" : "no") == 0 &&
					 token_is(&r, 4, (uint64_t)h->pid) &&
					 token_is(&r, 5, h->generation) &&
					 token_is(&r, 6, h->restarts),
				"table: %s %u: state, up, pid, gen or restarts wrong", n, i);
			FX_CHECK(token_is(&r, 8, h->processed), "table: %s %u: processed %s", n, i,
				r.tok[8]);
			/* the reasons the handler declared count too */
			FX_CHECK(token_is(&r, 10, rejected),
				"table: %s %u: rejected %s, want %" PRIu64, n, i, r.tok[10],
				rejected);
			FX_CHECK(strtoull(r.tok[11], NULL, 10) == depth,
				"table: %s %u: ring depth %s", n, i, r.tok[11]);
			FX_CHECK(token_is(&r, 12, full), "table: %s %u: full %s", n, i, r.tok[12]);
			/* under the row: its counters, its own counts, its reasons */
#define CHECK(name, help)                                                                        \
	FX_CHECK(kv_in(details, NULL, #name, h->name), "table: %s %u: no " #name "=%" PRIu64, n, \
		i, h->name);
			GS_FOREACH_HANDLER_COUNTER(CHECK)
#undef CHECK
			FX_CHECK(kv_in(details, NULL, "downs", h->downs) &&
					 kv_in(details, NULL, "enqueued", enq),
				"table: %s %u: no downs or enqueued", n, i);
			for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
				if (h->event_names[e][0] != '\0')
					FX_CHECK(kv_in(details, "events:", h->event_names[e],
							 h->events[e]),
						"table: %s %u: no event %s", n, i,
						h->event_names[e]);
			for (unsigned int k = 0; k < fx_slot_rejects(h); k++)
				FX_CHECK(kv_in(details, "rejected:", fx_reject_name(h, k),
						 h->rejected[k]),
					"table: %s %u: no rejected %s", n, i, fx_reject_name(h, k));
			check_table_duration(n, i, h, details);
		}
}

/* --- names a handler chose ---------------------------------------------------------------- */

/* Whether @p p starts a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]* without ':' when @p label); @return its end. */
static const char *
prom_ident(const char *p, bool label)
{
	const char *q = p;

	while (isalpha((unsigned char)*q) || *q == '_' || (!label && *q == ':') ||
		(q > p && isdigit((unsigned char)*q)))
		q++;
	return q > p ? q : NULL;
}

/*
 * Line @p line (up to its newline) is a comment, or a sample of the text
 * format 0.0.4: name{label="value",...} number, a value's only escapes
 * being \\, \" and \n.
 */
static bool
prom_line_ok(const char *line)
{
	const char *p = line;
	char *end;

	if (*p == '#' || *p == '\n')
		return true;
	p = prom_ident(p, false);
	if (p != NULL && *p == '{') {
		do {
			p = prom_ident(p + 1, true);
			if (p == NULL || p[0] != '=' || p[1] != '"')
				return false;
			for (p += 2; *p != '"'; p++)
				if (*p == '\n' || *p == '\0' ||
					(*p == '\\' &&
						(*++p == '\0' || strchr("\\\"n", *p) == NULL)))
					return false;
			p++;
		} while (*p == ',');
		if (*p++ != '}')
			return false;
	}
	if (p == NULL || *p++ != ' ')
		return false;
	strtod(p, &end);
	return end > p && *end == '\n';
}

static const char *json_value(const char *p);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* A JSON string at @p p (RFC 8259: no raw control character, known escapes); @return its end. */
static const char *
json_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL; /* the NUL too */
		if (*p != '\\')
			continue;
		if (*++p == 'u') {
			for (unsigned int k = 1; k <= 4; k++)
				if (!isxdigit((unsigned char)p[k]))
					return NULL;
			p += 4;
		} else if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
			return NULL;
		}
	}
	return p + 1;
}

/* A JSON value at @p p (after white space); @return its end, or NULL. */
static const char *
json_value(const char *p)
{
	char *end;

	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_string(json_ws(p));
				if (p == NULL || *(p = json_ws(p)) != ':')
					return NULL;
				p++;
			}
			p = json_value(p);
			if (p == NULL)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	strtod(p, &end);
	return end > p ? end : NULL;
}

/*
 * Names another process wrote in a slot (a handler's own counts, reject
 * reasons and histogram) may hold anything: a quote, a backslash, a
 * newline, a control character, a byte outside ASCII, no NUL in their
 * GS_HANDLER_EVENT_NAME bytes. Prometheus' text and the JSON stay well
 * formed and show each name escaped, cut at GS_HANDLER_EVENT_NAME bytes.
 */
static void
test_names_a_handler_wrote_are_escaped(void)
{
	static struct snapshot hostile;
	struct gs_handler_slot *h = &hostile.hs[FX_CHAT][1];
	static const char *const names[] = { "say\"s", "back\\slash", "new\nline", "tab\tbell\a",
		"caf\xc3\xa9" };
	char *p, *j;

	hostile = snap;
	memset(h->event_names, 0, sizeof(h->event_names));
	for (unsigned int e = 0; e < RTE_DIM(names); e++)
		snprintf(h->event_names[e], sizeof(h->event_names[e]), "%s", names[e]);
	memset(h->event_names[5], 'x', GS_HANDLER_EVENT_NAME); /* no NUL */
	snprintf(h->event_names[6], sizeof(h->event_names[6]), "next");
	snprintf(h->reject_names[0], sizeof(h->reject_names[0]), "r\"}");
	memset(h->reject_names[1], 'y', GS_HANDLER_EVENT_NAME); /* no NUL */
	snprintf(h->reject_names[2], sizeof(h->reject_names[2]), "zz");
	snprintf(h->hist_name, sizeof(h->hist_name), "h\\\"\n");
	p = render(prometheus_of, &hostile);
	j = render(export_json, &hostile);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);

	for (const char *line = p; *line != '\0'; line = next_line(line))
		FX_CHECK(prom_line_ok(line), "prometheus: not a sample: %.*s",
			(int)strcspn(line, "\n"), line);
#define EVENT "gsnet_handler_events_total{class=\"chat\",instance=\"1\",event=\""
	FX_CHECK(has_line(p, EVENT "say\\\"s\"} %" PRIu64, h->events[0]), "prometheus: quote");
	FX_CHECK(has_line(p, EVENT "back\\\\slash\"} %" PRIu64, h->events[1]),
		"prometheus: backslash");
	FX_CHECK(has_line(p, EVENT "new\\nline\"} %" PRIu64, h->events[2]), "prometheus: newline");
	FX_CHECK(has_line(p, EVENT "tab\tbell\a\"} %" PRIu64, h->events[3]),
		"prometheus: control characters");
	FX_CHECK(has_line(p, EVENT "caf??\"} %" PRIu64, h->events[4]), "prometheus: not ASCII");
	FX_CHECK(has_line(p, EVENT "%.*s\"} %" PRIu64, GS_HANDLER_EVENT_NAME, h->event_names[5],
			 h->events[5]),
		"prometheus: a name without its NUL");
#undef EVENT
	FX_CHECK(strstr(p, "instance=\"1\",reason=\"r\\\"}\"}") != NULL, "prometheus: reason");
	FX_CHECK(strstr(p, "instance=\"1\",reason=\"yyyyyyyyyyyyyyyyyyyyyyyy\"}") != NULL,
		"prometheus: a reason without its NUL");
	FX_CHECK(strstr(p, "instance=\"1\",name=\"h\\\\\\\"\\n\",le=\"+Inf\"}") != NULL,
		"prometheus: histogram name");

	FX_CHECK(json_value(j) != NULL && *json_ws(json_value(j)) == '\0', "json: not JSON");
	FX_CHECK(strstr(j, ",\"events\":{\"say\\\"s\":") != NULL, "json: quote");
	FX_CHECK(strstr(j, ",\"back\\\\slash\":") != NULL, "json: backslash");
	FX_CHECK(strstr(j, ",\"new\\u000aline\":") != NULL, "json: newline");
	FX_CHECK(strstr(j, ",\"tab\\u0009bell\\u0007\":") != NULL, "json: control characters");
	FX_CHECK(strstr(j, ",\"caf??\":") != NULL, "json: not ASCII");
	FX_CHECK(strstr(j, ",\"xxxxxxxxxxxxxxxxxxxxxxxx\":") != NULL,
		"json: a name without its NUL");
	FX_CHECK(strstr(j, ",\"r\\\"}\":") != NULL, "json: reason");
	FX_CHECK(strstr(j, ",\"yyyyyyyyyyyyyyyyyyyyyyyy\":") != NULL,
		"json: a reason without its NUL");
	FX_CHECK(
		strstr(j, "\"durations\":{\"h\\\\\\\"\\u000a\":{") != NULL, "json: histogram name");
	free(p);
	free(j);
}

/* What the fixture's names make is well formed too. */
static void
test_outputs_are_well_formed(void)
{
	for (const char *line = prom; *line != '\0'; line = next_line(line))
		FX_CHECK(prom_line_ok(line), "prometheus: not a sample: %.*s",
			(int)strcspn(line, "\n"), line);
	FX_CHECK(json_value(json) != NULL && *json_ws(json_value(json)) == '\0', "json: not JSON");
}

static CU_TestInfo export_tests[] = {
	{ "prometheus has every lcore counter, drop and class figure",
		test_prometheus_has_every_lcore_counter_drop_and_class_figure },
	{ "prometheus has every residence bucket", test_prometheus_has_every_residence_bucket },
	{ "prometheus has every handler duration bucket",
		test_prometheus_has_every_handler_duration_bucket },
	{ "prometheus has every handler and ring counter",
		test_prometheus_has_every_handler_and_ring_counter },
	{ "json has every lcore counter, drop and class figure",
		test_json_has_every_lcore_counter_drop_and_class_figure },
	{ "json has every residence bucket", test_json_has_every_residence_bucket },
	{ "json has the duration bounds", test_json_has_the_duration_bounds },
	{ "json has every handler and ring counter", test_json_has_every_handler_and_ring_counter },
	{ "table has every lcore counter, drop and class figure",
		test_table_has_every_lcore_counter_drop_and_class_figure },
	{ "table has every handler figure", test_table_has_every_handler_figure },
	{ "outputs are well formed", test_outputs_are_well_formed },
	{ "names a handler wrote are escaped", test_names_a_handler_wrote_are_escaped },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "export",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_cleanup,
		.pTests = export_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
