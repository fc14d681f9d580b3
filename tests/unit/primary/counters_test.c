/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_telemetry.h>

#include <CUnit/CUnit.h>

#include "gs_stats.h"
#include "gs_test.h"

#include "counters.h"
#include "counters_fixture.h"

/*
 * Every counter of the primary's lists appears, with its value, in each of
 * the primary's outputs: the exit line and the /gsnet/ telemetry
 * dictionaries (counters.h). The group's counters come from
 * counters_fixture.c, made from the X-macro lists: a counter added to a list
 * is checked here without a change. No EAL: the telemetry library's
 * dictionaries work without one; its calls are wrapped (-Wl,--wrap) to see
 * what goes in, and the real library still says whether it took each entry
 * (a name it refuses, a dict past its 256 entries); the reply must fit the
 * 16 KB telemetry writes it into.
 *
 * Left out on purpose:
 * - exit line: the residence histograms, the ring counters and the handlers'
 *   counters. The line is the primary's own totals, which the integration
 *   tests parse (gs_stat in tests/integration/lib.sh): its format stays.
 *   Telemetry and gs-stats have those.
 * - /gsnet/summary: the residence buckets and their sum in ns, shown as p50
 *   and p99 (the quantiles are what telemetry readers graph; gs-stats
 *   exports the histogram).
 * - /gsnet/handlers: each reject reason, own count and duration histogram
 *   of an instance, only their total "rejected": with 39 reasons and 16
 *   counts per instance its reply would pass telemetry's 16 KB long before
 *   the group's 60 instances. /gsnet/handler,<class>,<i> has them (the
 *   histogram as its p50, p99 and count).
 * - /gsnet/rings: the rings of a group using all GS_MAX_PRIMARY_LCORES
 *   lcores and 60 instances (480 pairs) take about 60 KB: those past the
 *   16 KB reply are only counted, in rings_not_shown.
 */

/* --- the telemetry library's calls, seen ---------------------------------------------- */

enum tel_type {
	TEL_U64,
	TEL_STR,
	TEL_DICT
};

struct tel_entry {
	unsigned int dict; /* the dict it went in (tel_dict_id) */
	char key[RTE_TEL_MAX_STRING_LEN];
	enum tel_type type;
	uint64_t u;
	char s[RTE_TEL_MAX_STRING_LEN];
	unsigned int child; /* TEL_DICT: the dict it holds */
	int ret;	    /* the real library's answer */
};

static struct tel_entry tel[4096];
static unsigned int n_tel;
/* the dicts started since tel_reset(), by id - 1: id 1 is a command's reply */
static struct rte_tel_data *dicts[512];
static unsigned int n_dicts;
static unsigned int tel_in = 1; /* the dict tel_find() looks in */

int __real_rte_tel_data_start_dict(struct rte_tel_data *d);
int __real_rte_tel_data_add_dict_u64(struct rte_tel_data *d, const char *name, uint64_t val);
int __real_rte_tel_data_add_dict_string(struct rte_tel_data *d, const char *name, const char *val);
int __real_rte_tel_data_add_dict_container(
	struct rte_tel_data *d, const char *name, struct rte_tel_data *val, int keep);
int __wrap_rte_tel_data_start_dict(struct rte_tel_data *d);
int __wrap_rte_tel_data_add_dict_u64(struct rte_tel_data *d, const char *name, uint64_t val);
int __wrap_rte_tel_data_add_dict_string(struct rte_tel_data *d, const char *name, const char *val);
int __wrap_rte_tel_data_add_dict_container(
	struct rte_tel_data *d, const char *name, struct rte_tel_data *val, int keep);

/* Forget what was seen: the next dict started is id 1, where tel_find() looks. */
static void
tel_reset(void)
{
	n_tel = 0;
	n_dicts = 0;
	tel_in = 1;
}

/* The id of dict @p d, the last started at that address (0: none). */
static unsigned int
tel_dict_id(const struct rte_tel_data *d)
{
	for (unsigned int k = n_dicts; k > 0; k--)
		if (dicts[k - 1] == d)
			return k;
	return 0;
}

int
__wrap_rte_tel_data_start_dict(struct rte_tel_data *d)
{
	if (n_dicts < RTE_DIM(dicts))
		dicts[n_dicts++] = d;
	return __real_rte_tel_data_start_dict(d);
}

static struct tel_entry *
tel_add(const struct rte_tel_data *d, const char *name, enum tel_type type)
{
	struct tel_entry *e = &tel[n_tel < RTE_DIM(tel) ? n_tel++ : RTE_DIM(tel) - 1];

	memset(e, 0, sizeof(*e));
	e->dict = tel_dict_id(d);
	snprintf(e->key, sizeof(e->key), "%s", name);
	e->type = type;
	return e;
}

int
__wrap_rte_tel_data_add_dict_u64(struct rte_tel_data *d, const char *name, uint64_t val)
{
	struct tel_entry *e = tel_add(d, name, TEL_U64);

	e->u = val;
	e->ret = __real_rte_tel_data_add_dict_u64(d, name, val);
	return e->ret;
}

int
__wrap_rte_tel_data_add_dict_string(struct rte_tel_data *d, const char *name, const char *val)
{
	struct tel_entry *e = tel_add(d, name, TEL_STR);

	snprintf(e->s, sizeof(e->s), "%s", val);
	e->ret = __real_rte_tel_data_add_dict_string(d, name, val);
	return e->ret;
}

int
__wrap_rte_tel_data_add_dict_container(
	struct rte_tel_data *d, const char *name, struct rte_tel_data *val, int keep)
{
	struct tel_entry *e = tel_add(d, name, TEL_DICT);

	e->child = tel_dict_id(val);
	e->ret = __real_rte_tel_data_add_dict_container(d, name, val, keep);
	return e->ret;
}

/* The entry @p key of dict tel_in, or NULL; a key given twice fails. */
static const struct tel_entry *
tel_find(const char *cmd, const char *key)
{
	const struct tel_entry *found = NULL;

	for (unsigned int k = 0; k < n_tel; k++)
		if (tel[k].dict == tel_in && strcmp(tel[k].key, key) == 0) {
			FX_CHECK(found == NULL, "%s: key %s given twice", cmd, key);
			found = &tel[k];
		}
	return found;
}

/* The entries the library took in dict @p dict. */
static unsigned int
tel_count(unsigned int dict)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < n_tel; k++)
		n += tel[k].dict == dict && tel[k].ret == 0;
	return n;
}

/*
 * The length of dict @p dict as DPDK 22.11 telemetry writes it in its reply
 * (lib/telemetry/telemetry.c, output_json(): {"name":value,...}, no spaces).
 */
static size_t
tel_json_len(unsigned int dict)
{
	size_t len = 2, n = 0;

	for (unsigned int k = 0; k < n_tel; k++) {
		const struct tel_entry *e = &tel[k];

		if (e->dict != dict || e->ret != 0)
			continue;
		len += (n++ ? 1 : 0) + strlen(e->key) + 3;
		if (e->type == TEL_U64)
			len += (size_t)snprintf(NULL, 0, "%" PRIu64, e->u);
		else if (e->type == TEL_STR)
			len += strlen(e->s) + 2;
		else
			len += tel_json_len(e->child);
	}
	return len;
}

static void
check_u64(const char *cmd, const char *key, uint64_t want)
{
	const struct tel_entry *e = tel_find(cmd, key);

	FX_CHECK(e != NULL, "%s: no key %s", cmd, key);
	if (e != NULL)
		FX_CHECK(e->type == TEL_U64 && e->u == want, "%s: %s = %" PRIu64 ", want %" PRIu64,
			cmd, key, e->u, want);
}

static void
check_str(const char *cmd, const char *key, const char *want)
{
	const struct tel_entry *e = tel_find(cmd, key);

	FX_CHECK(e != NULL, "%s: no key %s", cmd, key);
	if (e != NULL)
		FX_CHECK(e->type == TEL_STR && strcmp(e->s, want) == 0,
			"%s: %s = \"%s\", want \"%s\"", cmd, key, e->s, want);
}

/* Look in the dict entry @p key of the reply holds: @return false when there is none. */
static bool
tel_enter(const char *cmd, const char *key)
{
	const struct tel_entry *e;

	tel_in = 1;
	e = tel_find(cmd, key);
	FX_CHECK(e != NULL && e->type == TEL_DICT && e->ret == 0 && e->child != 0, "%s: no dict %s",
		cmd, key);
	if (e == NULL || e->type != TEL_DICT || e->ret != 0 || e->child == 0)
		return false;
	tel_in = e->child;
	return true;
}

/*
 * Run one command into a new reply: the library took every entry, and the
 * reply fits the 16 KB DPDK 22.11 telemetry writes it into ({"<cmd>":
 * reply}). The entries stay for the checks.
 */
static int
render(const char *cmd, int (*fn)(const struct counters_view *, struct rte_tel_data *),
	const struct counters_view *v)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	tel_reset();
	ret = fn(v, d);
	for (unsigned int k = 0; k < n_tel; k++)
		FX_CHECK(tel[k].ret == 0, "%s: the library refused key %s: %s", cmd, tel[k].key,
			strerror(-tel[k].ret));
	FX_CHECK(n_tel < RTE_DIM(tel) && n_dicts < RTE_DIM(dicts),
		"%s: more entries than the test records", cmd);
	FX_CHECK(strlen(cmd) + 4 + tel_json_len(1) < 16 * 1024, "%s: a reply of %zu bytes", cmd,
		strlen(cmd) + 4 + tel_json_len(1));
	/* what the telemetry thread frees once it wrote the reply */
	for (unsigned int k = 0; k < n_tel; k++)
		if (tel[k].type == TEL_DICT && tel[k].ret == 0)
			rte_tel_data_free(dicts[tel[k].child - 1]);
	rte_tel_data_free(d);
	return ret;
}

/* --- the group ---------------------------------------------------------------------------- */

static struct gs_control ctl;
static uint32_t live[GS_MAX_CLASSES];
static struct rte_ring *p2h[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
static struct rte_ring *h2p[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
static struct counters_view view;
static struct gs_lcore_stats sum; /* the fixture's, summed by the test */

/*
 * full_group()'s rings, as the primary makes them (RING_F_EXACT_SZ): of
 * the default size, 1024, and of the largest, 65536, full. Each is
 * [widest][to_handler], shared by every lcore and instance.
 */
static struct rte_ring *full_rings[2][2];

/*
 * A ring of @p count slots (rte_ring_init(), @p flags besides SP/SC) in plain
 * memory (no EAL) holding @p depth pointers.
 */
static struct rte_ring *
ring_new(unsigned int count, unsigned int flags, unsigned int depth)
{
	ssize_t size = rte_ring_get_memsize(
		(flags & RING_F_EXACT_SZ) != 0 ? rte_align32pow2(count + 1) : count);
	static int dummy;
	struct rte_ring *r;

	if (size < 0)
		return NULL;
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, (size_t)size);
	if (r == NULL)
		return NULL;
	if (rte_ring_init(r, "fx", count, RING_F_SP_ENQ | RING_F_SC_DEQ | flags) < 0) {
		free(r);
		return NULL;
	}
	for (unsigned int k = 0; k < depth; k++)
		rte_ring_enqueue(r, &dummy);
	return r;
}

static int
suite_init(void)
{
	memset(&ctl, 0, sizeof(ctl));
	fx_classes(ctl.classes);
	ctl.tsc_hz = FX_TSC_HZ;
	for (unsigned int l = 0; l < FX_LCORES; l++)
		fx_lcore(&ctl.lcores[l], l);
	fx_sum(ctl.lcores, FX_LCORES, &sum);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			fx_slot(&ctl.handlers[c][i], c, i);
			if (!fx_slot_used(c, i))
				continue;
			if (ctl.handlers[c][i].up)
				live[c] |= 1u << i;
			for (unsigned int l = 0; l < FX_LCORES; l++) {
				p2h[l][c][i] =
					ring_new(FX_RING_SLOTS + 1, 0, fx_depth(l, c, i, true));
				h2p[l][c][i] =
					ring_new(FX_RING_SLOTS + 1, 0, fx_depth(l, c, i, false));
				if (p2h[l][c][i] == NULL || h2p[l][c][i] == NULL)
					return -1;
			}
		}
	view.ctl = &ctl;
	view.n_lcores = FX_LCORES;
	view.live = live;
	view.sessions_used = 4242;
	view.now_tsc = FX_NOW_TSC;
	view.p2h = (struct rte_ring *const(*)[GS_MAX_CLASSES][GS_MAX_INSTANCES])p2h;
	view.h2p = (struct rte_ring *const(*)[GS_MAX_CLASSES][GS_MAX_INSTANCES])h2p;
	full_rings[0][0] = ring_new(1024, RING_F_EXACT_SZ, 5);
	full_rings[0][1] = ring_new(1024, RING_F_EXACT_SZ, 17);
	full_rings[1][0] = ring_new(65536, RING_F_EXACT_SZ, 65535);
	full_rings[1][1] = ring_new(65536, RING_F_EXACT_SZ, 65536);
	for (unsigned int k = 0; k < 4; k++)
		if (full_rings[k / 2][k % 2] == NULL)
			return -1;
	return 0;
}

static int
suite_cleanup(void)
{
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++)
		for (unsigned int c = 0; c < GS_MAX_CLASSES; c++)
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				free(p2h[l][c][i]);
				free(h2p[l][c][i]);
				p2h[l][c][i] = h2p[l][c][i] = NULL;
			}
	for (unsigned int k = 0; k < 4; k++) {
		free(full_rings[k / 2][k % 2]);
		full_rings[k / 2][k % 2] = NULL;
	}
	return 0;
}

/* --- the exit line ------------------------------------------------------------------------ */

#define LINE_MAX_PAIRS 256

struct pair {
	char name[64];
	uint64_t v;
};

/* The NAME=VALUE pairs of an exit line; -1 when it is not one. */
static int
parse_line(const char *line, struct pair *pairs, unsigned int max)
{
	static const char head[] = "gs-primary stats:";
	const char *p = line + sizeof(head) - 1;
	unsigned int n = 0;

	if (strncmp(line, head, sizeof(head) - 1) != 0)
		return -1;
	while (*p == ' ' && n < max) {
		const char *eq = strchr(++p, '=');
		char *end;

		if (eq == NULL || (size_t)(eq - p) >= sizeof(pairs[n].name))
			return -1;
		memcpy(pairs[n].name, p, (size_t)(eq - p));
		pairs[n].name[eq - p] = '\0';
		pairs[n].v = strtoull(eq + 1, &end, 10);
		if (end == eq + 1 || (*end != ' ' && *end != '\0'))
			return -1;
		n++;
		p = end;
	}
	return *p == '\0' ? (int)n : -1;
}

static void
check_pair(const struct pair *pairs, int n, const char *name, uint64_t want)
{
	int found = 0;

	for (int k = 0; k < n; k++)
		if (strcmp(pairs[k].name, name) == 0) {
			found++;
			FX_CHECK(pairs[k].v == want, "exit line: %s=%" PRIu64 ", want %" PRIu64,
				name, pairs[k].v, want);
		}
	FX_CHECK(found == 1, "exit line: %s appears %d times", name, found);
}

static void
test_exit_line_names_every_counter_with_its_value(void)
{
	static struct pair pairs[LINE_MAX_PAIRS];
	struct gs_lcore_stats got;
	char line[4096], name[64];
	int n, len, want_pairs = 0;

	counters_sum(&view, &got);
	CU_ASSERT_EQUAL(memcmp(got.drops, sum.drops, sizeof(sum.drops)), 0);
	len = counters_exit_line(line, sizeof(line), &got, ctl.classes);
	CU_ASSERT_EQUAL_FATAL(len, (int)strlen(line));
	n = parse_line(line, pairs, LINE_MAX_PAIRS);
	FX_CHECK(n > 0, "not an exit line: %s", line);
#define CHECK(cname, help)                       \
	check_pair(pairs, n, #cname, sum.cname); \
	want_pairs++;
	GS_FOREACH_LCORE_COUNTER(CHECK)
#undef CHECK
	for (unsigned int d = 1; d < GS_DROP_MAX; d++, want_pairs++) {
		snprintf(name, sizeof(name), "drop_%s", gs_drop_name(d));
		check_pair(pairs, n, name, sum.drops[d]);
	}
	GS_FOREACH_CLASS_ID(c, ctl.classes)
	{
		snprintf(name, sizeof(name), "dispatched_%s", ctl.classes[c].name);
		check_pair(pairs, n, name, sum.dispatched[c]);
		snprintf(name, sizeof(name), "replies_%s", ctl.classes[c].name);
		check_pair(pairs, n, name, sum.replies[c]);
		want_pairs += 2;
	}
	CU_ASSERT_EQUAL(n, want_pairs); /* nothing else: the integration tests' format */
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " dispatched_chat="));
}

static void
test_exit_line_too_long_for_the_buffer_is_cut_and_says_so(void)
{
	char full[4096], cut[100];
	int len = counters_exit_line(full, sizeof(full), &sum, ctl.classes);

	CU_ASSERT_FATAL(len > (int)sizeof(cut));
	CU_ASSERT_EQUAL(counters_exit_line(cut, sizeof(cut), &sum, ctl.classes), -ENOSPC);
	CU_ASSERT_EQUAL(strlen(cut), sizeof(cut) - 1);
	CU_ASSERT_EQUAL(strncmp(cut, full, sizeof(cut) - 1), 0);
}

/* --- telemetry ---------------------------------------------------------------------------- */

static void
test_summary_names_every_counter_with_its_value(void)
{
	const char *cmd = "/gsnet/summary";
	uint64_t dropped = 0, up = 0;
	char key[64];

	CU_ASSERT_EQUAL(render(cmd, counters_tel_summary, &view), 0);
#define CHECK(name, help) check_u64(cmd, #name, sum.name);
	GS_FOREACH_LCORE_COUNTER(CHECK)
#undef CHECK
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		dropped += sum.drops[d];
	check_u64(cmd, "dropped", dropped);
	GS_FOREACH_CLASS_ID(c, ctl.classes)
	{
		const char *n = ctl.classes[c].name;

		snprintf(key, sizeof(key), "dispatched_%s", n);
		check_u64(cmd, key, sum.dispatched[c]);
		snprintf(key, sizeof(key), "replies_%s", n);
		check_u64(cmd, key, sum.replies[c]);
		snprintf(key, sizeof(key), "residence_p50_ns_%s", n);
		check_u64(cmd, key, (uint64_t)gs_residence_quantile(sum.residence[c], 0.5));
		snprintf(key, sizeof(key), "residence_p99_ns_%s", n);
		check_u64(cmd, key, (uint64_t)gs_residence_quantile(sum.residence[c], 0.99));
		up += (uint64_t)__builtin_popcount(live[c]);
	}
	CU_ASSERT_EQUAL(up, 4); /* instance 0 of each class (the 1s are dead) */
	check_u64(cmd, "handlers_up", up);
	check_u64(cmd, "session_slots_used", 4242);
}

static void
test_drops_names_every_reason_with_its_value(void)
{
	const char *cmd = "/gsnet/drops";

	CU_ASSERT_EQUAL(render(cmd, counters_tel_drops, &view), 0);
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		check_u64(cmd, gs_drop_name(d), sum.drops[d]);
	CU_ASSERT_EQUAL(n_tel, GS_DROP_MAX - 1);
}

/* The figures both /gsnet/handlers and /gsnet/handler show of instance (@p c, @p i) of @p g. */
static void
check_slot(const char *cmd, const struct gs_control *g, unsigned int c, unsigned int i)
{
	const struct gs_handler_slot *s = &g->handlers[c][i];
	uint64_t rejected = 0;

	for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
		rejected += s->rejected[r];
	check_str(cmd, "state", gs_slot_state_name(s->state));
	check_u64(cmd, "up", s->up);
	check_u64(cmd, "pid", (uint64_t)s->pid);
	check_u64(cmd, "generation", s->generation);
	check_u64(cmd, "restarts", s->restarts);
	check_u64(cmd, "downs", s->downs);
	check_u64(cmd, "heartbeat_age_ms", 10 * c + i + 1);
#define CHECK(name, help) check_u64(cmd, #name, s->name);
	GS_FOREACH_HANDLER_COUNTER(CHECK)
#undef CHECK
	/* every reason, those chat declared included */
	check_u64(cmd, "rejected", rejected);
}

/* Instance (@p c, @p i) of @p g is in /gsnet/handlers' reply, dict "<class>_<i>", whole. */
static void
check_handlers_slot(const char *cmd, const struct gs_control *g, unsigned int c, unsigned int i)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_%u", g->classes[c].name, i);
	if (!tel_enter(cmd, key))
		return;
	check_slot(cmd, g, c, i);
	FX_CHECK(tel_count(tel_in) == 11, "%s: %s has %u figures", cmd, key, tel_count(tel_in));
	tel_in = 1;
}

static void
test_handlers_show_every_instance_used(void)
{
	const char *cmd = "/gsnet/handlers";
	unsigned int used = 0;

	CU_ASSERT_EQUAL(render(cmd, counters_tel_handlers, &view), 0);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			if (!fx_slot_used(c, i))
				continue;
			used++;
			check_handlers_slot(cmd, &ctl, c, i);
		}
	CU_ASSERT_EQUAL(used, 6);
	CU_ASSERT_EQUAL(tel_count(1), used); /* no instance never claimed, none left out */
	CU_ASSERT_PTR_NULL(tel_find(cmd, "instances_not_shown"));
}

/*
 * A group that uses every handler instance there is: 15 classes of 4, each
 * with a ring pair on every primary lcore (GS_MAX_PRIMARY_LCORES). With
 * @p widest, every figure has as many digits as it can, and the class
 * names 15 characters: the most /gsnet/handlers and /gsnet/rings could have
 * to show.
 */
static struct gs_control full;
static struct rte_ring *full_p2h[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
static struct rte_ring *full_h2p[GS_MAX_PRIMARY_LCORES][GS_MAX_CLASSES][GS_MAX_INSTANCES];
static struct counters_view full_view;

static void
full_group(bool widest)
{
	memset(&full, 0, sizeof(full));
	full.tsc_hz = FX_TSC_HZ;
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		snprintf(full.classes[c].name, sizeof(full.classes[c].name),
			widest ? "class_%02u_abcdef" : "c%u", c);
		full.classes[c].state = GS_CLASS_ACTIVE;
		full.classes[c].instances = GS_MAX_INSTANCES;
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			struct gs_handler_slot *s = &full.handlers[c][i];
			uint64_t big = widest ? UINT64_MAX - 100 * c - i : 1000 * c + i;

			s->state = widest ? GS_SLOT_ATTACHING : GS_SLOT_RUNNING;
			s->pid = widest ? -1 : (int32_t)(5000 + 10 * c + i);
			s->generation = widest ? UINT32_MAX - c : 1 + i;
			s->restarts = widest ? UINT32_MAX - c : i;
			s->downs = widest ? UINT32_MAX - c : i;
			s->up = 1;
			s->heartbeat_tsc =
				FX_NOW_TSC - (uint64_t)(10 * c + i + 1) * FX_TSC_HZ / 1000;
			s->stats_seq = 2;
#define FILL(name, help) s->name = big;
			GS_FOREACH_HANDLER_COUNTER(FILL)
#undef FILL
			s->rejected[0] = big;
			for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++) {
				full.lcores[l].ring_enq[c][i] =
					widest ? UINT64_MAX - 1000 * l - 10 * c - i :
						 1000000ull * (l + 1) + 1000 * c + i;
				full.lcores[l].ring_full[c][i] =
					widest ? UINT64_MAX - 10000 - 1000 * l - 10 * c - i :
						 10 * c + i;
				full_p2h[l][c][i] = full_rings[widest][1];
				full_h2p[l][c][i] = full_rings[widest][0];
			}
		}
	}
	full_view = view;
	full_view.ctl = &full;
	full_view.n_lcores = GS_MAX_PRIMARY_LCORES;
	full_view.p2h = (struct rte_ring *const(*)[GS_MAX_CLASSES][GS_MAX_INSTANCES])full_p2h;
	full_view.h2p = (struct rte_ring *const(*)[GS_MAX_CLASSES][GS_MAX_INSTANCES])full_h2p;
}

static void
test_handlers_show_every_instance_of_a_full_group(void)
{
	const char *cmd = "/gsnet/handlers";

	full_group(false);
	CU_ASSERT_EQUAL(render(cmd, counters_tel_handlers, &full_view), 0);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++)
			check_handlers_slot(cmd, &full, c, i);
	CU_ASSERT_EQUAL(tel_count(1), (GS_MAX_CLASSES - 1) * GS_MAX_INSTANCES);
	CU_ASSERT_PTR_NULL(tel_find(cmd, "instances_not_shown"));
}

/*
 * The reply of DPDK 22.11 telemetry holds 16 KB: what does not fit is
 * counted, never left out without a word (render() checks the reply fits).
 */
static void
test_handlers_count_the_instances_the_reply_has_no_room_for(void)
{
	const char *cmd = "/gsnet/handlers";
	const unsigned int all = (GS_MAX_CLASSES - 1) * GS_MAX_INSTANCES;
	const struct tel_entry *e;
	unsigned int shown = 0;
	char key[64];

	full_group(true);
	CU_ASSERT_EQUAL(render(cmd, counters_tel_handlers, &full_view), 0);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			snprintf(key, sizeof(key), "%s_%u", full.classes[c].name, i);
			if (tel_find(cmd, key) == NULL)
				continue;
			shown++;
			check_handlers_slot(cmd, &full, c, i);
		}
	e = tel_find(cmd, "instances_not_shown");
	FX_CHECK(e != NULL && e->type == TEL_U64 && e->u == all - shown && shown < all,
		"%s: %u instances shown of %u, instances_not_shown %" PRIu64, cmd, shown, all,
		e != NULL ? e->u : 0);
	CU_ASSERT(shown > all / 2);
}

/* The duration histogram of @p s in the last dict: <name>_p50_us, _p99_us, _count. */
static void
check_duration(const char *cmd, const struct gs_handler_slot *s)
{
	char key[96];

	snprintf(key, sizeof(key), "%s_p50_us", s->hist_name);
	check_u64(cmd, key, (uint64_t)(gs_handler_hist_quantile(s->hist, 0.5) / 1e3));
	snprintf(key, sizeof(key), "%s_p99_us", s->hist_name);
	check_u64(cmd, key, (uint64_t)(gs_handler_hist_quantile(s->hist, 0.99) / 1e3));
	snprintf(key, sizeof(key), "%s_count", s->hist_name);
	check_u64(cmd, key, gs_hist_count(s->hist, GS_HANDLER_HIST_BUCKETS));
}

static void
test_handler_shows_every_reason_and_own_count(void)
{
	const char *cmd = "/gsnet/handler";
	struct rte_tel_data *d = rte_tel_data_alloc();
	char params[64], key[96];

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *s = &ctl.handlers[c][i];
			unsigned int want = 11;

			if (ctl.classes[c].name[0] == '\0')
				continue;
			snprintf(params, sizeof(params), "%s,%u", ctl.classes[c].name, i);
			if (!fx_slot_used(c, i)) {
				CU_ASSERT_EQUAL(counters_tel_handler(&view, params, d), -EINVAL);
				continue;
			}
			tel_reset();
			CU_ASSERT_EQUAL_FATAL(counters_tel_handler(&view, params, d), 0);
			for (unsigned int k = 0; k < n_tel; k++)
				FX_CHECK(tel[k].ret == 0, "%s,%s: the library refused key %s", cmd,
					params, tel[k].key);
			check_slot(cmd, &ctl, c, i);
			for (unsigned int r = 0; r < fx_slot_rejects(s); r++, want++) {
				snprintf(key, sizeof(key), "rejected_%s", fx_reject_name(s, r));
				check_u64(cmd, key, s->rejected[r]);
			}
			for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++)
				if (s->event_names[e][0] != '\0') {
					snprintf(key, sizeof(key), "event_%s", s->event_names[e]);
					check_u64(cmd, key, s->events[e]);
					want++;
				}
			if (s->hist_name[0] != '\0') {
				check_duration(cmd, s);
				want += 3;
			}
			CU_ASSERT_EQUAL(n_tel, want);
			rte_tel_data_free(d);
			d = rte_tel_data_alloc();
			CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		}
	/* chat's own: declared reasons, counts and duration histogram */
	tel_reset();
	CU_ASSERT_EQUAL(counters_tel_handler(&view, "chat,1", d), 0);
	CU_ASSERT_PTR_NOT_NULL(tel_find(cmd, "rejected_not_in_channel"));
	CU_ASSERT_PTR_NOT_NULL(tel_find(cmd, "event_heard_dropped"));
	CU_ASSERT_PTR_NOT_NULL(tel_find(cmd, FX_HIST_NAME "_p99_us"));
	rte_tel_data_free(d);
}

static void
test_handler_refuses_what_names_no_instance(void)
{
	static const char *const bad[] = { NULL, "", "chat", "chat,", ",0", "chat,x", "chat,0x",
		"chat,4", "chat,-1", "cha,0", "chatter,0", "nosuchclass,0",
		"averyveryverylongclassname,0" };
	struct rte_tel_data *d = rte_tel_data_alloc();

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (unsigned int k = 0; k < RTE_DIM(bad); k++)
		FX_CHECK(counters_tel_handler(&view, bad[k], d) == -EINVAL, "\"%s\" accepted",
			bad[k] != NULL ? bad[k] : "(null)");
	rte_tel_data_free(d);
}

/*
 * Ring pair (@p l, @p c, @p i) of @p g is in /gsnet/rings' reply, dict
 * "<lcore>_<class>_<i>", whole: the request ring holds @p to_h of
 * @p capacity, the reply ring @p to_p.
 */
static void
check_ring(const char *cmd, const struct gs_control *g, unsigned int l, unsigned int c,
	unsigned int i, uint64_t to_h, uint64_t to_p, uint64_t capacity)
{
	const struct gs_lcore_stats *st = &g->lcores[l];
	char key[64];

	snprintf(key, sizeof(key), "%u_%s_%u", l, g->classes[c].name, i);
	if (!tel_enter(cmd, key))
		return;
	check_u64(cmd, "to_handler_depth", to_h);
	check_u64(cmd, "to_handler_enqueued", st->ring_enq[c][i]);
	check_u64(cmd, "to_handler_full", st->ring_full[c][i]);
	check_u64(cmd, "to_primary_depth", to_p);
	check_u64(cmd, "capacity", capacity);
	FX_CHECK(tel_count(tel_in) == 5, "%s: %s has %u figures", cmd, key, tel_count(tel_in));
	tel_in = 1;
}

static void
test_rings_show_every_ring_counter(void)
{
	const char *cmd = "/gsnet/rings";
	unsigned int rings = 0;

	CU_ASSERT_EQUAL(render(cmd, counters_tel_rings, &view), 0);
	for (unsigned int l = 0; l < FX_LCORES; l++)
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				if (!fx_slot_used(c, i))
					continue;
				rings++;
				check_ring(cmd, &ctl, l, c, i, fx_depth(l, c, i, true),
					fx_depth(l, c, i, false), FX_RING_SLOTS);
			}
	CU_ASSERT_EQUAL(tel_count(1), rings); /* no instance never claimed, none left out */
	CU_ASSERT_PTR_NULL(tel_find(cmd, "rings_not_shown"));
}

/*
 * /gsnet/rings of full_group(@p widest) on its first @p n_lcores lcores:
 * each ring pair is shown whole or counted in rings_not_shown (a key
 * present only then), and one is left out only when the reply is nearly
 * full (render() checks it fits 16 KB). @return the pairs shown.
 */
static unsigned int
check_full_rings(bool widest, unsigned int n_lcores)
{
	const char *cmd = "/gsnet/rings";
	const unsigned int all = n_lcores * (GS_MAX_CLASSES - 1) * GS_MAX_INSTANCES;
	const struct rte_ring *to_h = full_rings[widest][1], *to_p = full_rings[widest][0];
	const struct tel_entry *e;
	unsigned int shown = 0;
	char key[64];

	full_group(widest);
	full_view.n_lcores = n_lcores;
	CU_ASSERT_EQUAL(render(cmd, counters_tel_rings, &full_view), 0);
	for (unsigned int l = 0; l < n_lcores; l++)
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				snprintf(key, sizeof(key), "%u_%s_%u", l, full.classes[c].name, i);
				if (tel_find(cmd, key) == NULL)
					continue;
				shown++;
				check_ring(cmd, &full, l, c, i, rte_ring_count(to_h),
					rte_ring_count(to_p), rte_ring_get_capacity(to_h));
			}
	e = tel_find(cmd, "rings_not_shown");
	if (shown == all) {
		CU_ASSERT_PTR_NULL(e);
	} else {
		FX_CHECK(e != NULL && e->type == TEL_U64 && e->u == all - shown,
			"%s: %u rings shown of %u, rings_not_shown %" PRIu64, cmd, shown, all,
			e != NULL ? e->u : 0);
	}
	/* nothing else; a ring left out had no room (one takes under 200 bytes) */
	CU_ASSERT_EQUAL(tel_count(1), shown + (shown < all));
	FX_CHECK(shown == all || tel_json_len(1) > 16 * 1024 - 400,
		"%s: rings left out of a reply of %zu bytes", cmd, tel_json_len(1));
	return shown;
}

/* Two lcores of a full group: 120 ring pairs (one dict of their figures held 51), all shown. */
static void
test_rings_show_every_ring_of_two_lcores_of_a_full_group(void)
{
	CU_ASSERT_EQUAL(check_full_rings(false, 2), 2 * (GS_MAX_CLASSES - 1) * GS_MAX_INSTANCES);
}

/* All GS_MAX_PRIMARY_LCORES lcores: 480 ring pairs, more than telemetry's 16 KB reply holds. */
static void
test_rings_of_a_full_group_are_shown_or_counted(void)
{
	CU_ASSERT(check_full_rings(false, GS_MAX_PRIMARY_LCORES) > 100);
}

/* Every figure at its widest: a pair takes about 175 bytes of the reply. */
static void
test_rings_count_those_the_reply_has_no_room_for(void)
{
	CU_ASSERT(check_full_rings(true, GS_MAX_PRIMARY_LCORES) > 80);
}

static CU_TestInfo counters_tests[] = {
	{ "exit line names every counter with its value",
		test_exit_line_names_every_counter_with_its_value },
	{ "exit line too long for the buffer is cut and says so",
		test_exit_line_too_long_for_the_buffer_is_cut_and_says_so },
	{ "summary names every counter with its value",
		test_summary_names_every_counter_with_its_value },
	{ "drops names every reason with its value", test_drops_names_every_reason_with_its_value },
	{ "handlers show every instance used", test_handlers_show_every_instance_used },
	{ "handlers show every instance of a full group",
		test_handlers_show_every_instance_of_a_full_group },
	{ "handlers count the instances the reply has no room for",
		test_handlers_count_the_instances_the_reply_has_no_room_for },
	{ "handler shows every reason and own count",
		test_handler_shows_every_reason_and_own_count },
	{ "handler refuses what names no instance", test_handler_refuses_what_names_no_instance },
	{ "rings show every ring counter", test_rings_show_every_ring_counter },
	{ "rings show every ring of two lcores of a full group",
		test_rings_show_every_ring_of_two_lcores_of_a_full_group },
	{ "rings of a full group are shown or counted",
		test_rings_of_a_full_group_are_shown_or_counted },
	{ "rings count those the reply has no room for",
		test_rings_count_those_the_reply_has_no_room_for },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "counters",
		.pInitFunc = suite_init,
		.pCleanupFunc = suite_cleanup,
		.pTests = counters_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
