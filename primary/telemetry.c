/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's counters for DPDK telemetry (dpdk-telemetry.py, telegraf's
 * dpdk input): telemetry commands can only be registered in the primary.
 */
#include "telemetry.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "gs_log.h"
#include "gs_stats.h"

#include "counters.h"
#include "primary.h"
#include "tel_guard.h"

/* How long telemetry_unregister() waits for a command still reading. */
#define TEL_QUIESCE_MS 1000

/*
 * DPDK 22.11 telemetry writes a command's reply as JSON into 16 KB
 * (MAX_OUTPUT_LEN of its telemetry.c; /info shows it as max_output_len)
 * and leaves out, without a word, an entry that does not fit. TEL_SPARE
 * keeps room for the reply's head ({"/gsnet/handlers":) and closing braces
 * and for a count of what was left out (struct tel_reply).
 */
#define TEL_OUTPUT_LEN 16384
#define TEL_SPARE      128

/* the primary, for the callbacks; withdrawn before its shared memory goes */
static struct tel_guard tel;

/* The view of the primary's live shared memory that the outputs read (counters.h). */
static void
view_of(const struct primary *p, struct counters_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ctl = p->ctl;
	v->n_lcores = p->n_lcores;
	v->live = p->live;
	v->sessions_used = gs_session_count(&p->sessions);
	v->now_tsc = rte_get_timer_cycles();
	v->p2h = p->p2h;
	v->h2p = p->h2p;
}

/* A /gsnet/ command's dictionary, made from the primary's state while it stays in place. */
typedef int tel_body_fn(const struct counters_view *v, struct rte_tel_data *d);

static int
guarded(tel_body_fn *body, struct rte_tel_data *d)
{
	const struct primary *p = tel_enter(&tel);
	struct counters_view v;
	int ret;

	if (p == NULL)
		return -ENODEV;
	view_of(p, &v);
	ret = body(&v, d);
	tel_leave(&tel);
	return ret;
}

void
counters_sum(const struct counters_view *v, struct gs_lcore_stats *sum)
{
	struct gs_lcore_stats one;

	memset(sum, 0, sizeof(*sum));
	for (unsigned int l = 0; l < v->n_lcores; l++) {
		gs_stats_read(&v->ctl->lcores[l], &one, sizeof(one));
#define SUM(name, help) sum->name += one.name;
		GS_FOREACH_LCORE_COUNTER(SUM)
#undef SUM
		for (unsigned int d = 0; d < GS_DROP_MAX; d++)
			sum->drops[d] += one.drops[d];
		for (unsigned int c = 0; c < GS_MAX_CLASSES; c++) {
			sum->dispatched[c] += one.dispatched[c];
			sum->replies[c] += one.replies[c];
			for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
				sum->residence[c][b] += one.residence[c][b];
			sum->residence_ns[c] += one.residence_ns[c];
		}
	}
}

void
stats_sum(const struct primary *p, struct gs_lcore_stats *sum)
{
	struct counters_view v;

	view_of(p, &v);
	counters_sum(&v, sum);
}

/* Append to @p buf (@p *off used of @p len); false once it is full. */
static bool append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__rte_format_printf(4, 5);

static bool
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off) {
		*off = len;
		return false;
	}
	*off += (size_t)n;
	return true;
}

int
counters_exit_line(char *buf, size_t len, const struct gs_lcore_stats *sum,
	const struct gs_class_info *classes)
{
	size_t off = 0;
	bool ok;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	ok = append(buf, len, &off, "gs-primary stats:");
#define ADD_COUNTER(name, help) ok = ok && append(buf, len, &off, " " #name "=%" PRIu64, sum->name);
	GS_FOREACH_LCORE_COUNTER(ADD_COUNTER)
#undef ADD_COUNTER
	for (unsigned int d = 1; d < GS_DROP_MAX; d++)
		ok = ok &&
		     append(buf, len, &off, " drop_%s=%" PRIu64, gs_drop_name(d), sum->drops[d]);
	GS_FOREACH_CLASS_ID(c, classes)
	ok = ok && append(buf, len, &off, " dispatched_%s=%" PRIu64 " replies_%s=%" PRIu64,
			   classes[c].name, sum->dispatched[c], classes[c].name, sum->replies[c]);
	return ok ? (int)off : -ENOSPC;
}

int
counters_tel_summary(const struct counters_view *v, struct rte_tel_data *d)
{
	const struct gs_class_info *classes = v->ctl->classes;
	struct gs_lcore_stats sum;
	uint64_t drops = 0, up = 0;
	char key[64];

	counters_sum(v, &sum);
	for (unsigned int i = 1; i < GS_DROP_MAX; i++)
		drops += sum.drops[i];
	rte_tel_data_start_dict(d);
#define ADD(name, help) rte_tel_data_add_dict_u64(d, #name, sum.name);
	GS_FOREACH_LCORE_COUNTER(ADD)
#undef ADD
	rte_tel_data_add_dict_u64(d, "dropped", drops);
	GS_FOREACH_CLASS_ID(c, classes)
	{
		snprintf(key, sizeof(key), "dispatched_%s", gs_class_label(classes, c));
		rte_tel_data_add_dict_u64(d, key, sum.dispatched[c]);
		snprintf(key, sizeof(key), "replies_%s", gs_class_label(classes, c));
		rte_tel_data_add_dict_u64(d, key, sum.replies[c]);
		snprintf(key, sizeof(key), "residence_p50_ns_%s", gs_class_label(classes, c));
		rte_tel_data_add_dict_u64(
			d, key, (uint64_t)gs_residence_quantile(sum.residence[c], 0.5));
		snprintf(key, sizeof(key), "residence_p99_ns_%s", gs_class_label(classes, c));
		rte_tel_data_add_dict_u64(
			d, key, (uint64_t)gs_residence_quantile(sum.residence[c], 0.99));
		up += (uint64_t)__builtin_popcount(__atomic_load_n(&v->live[c], __ATOMIC_ACQUIRE));
	}
	rte_tel_data_add_dict_u64(d, "handlers_up", up);
	rte_tel_data_add_dict_u64(d, "session_slots_used", v->sessions_used);
	return 0;
}

int
counters_tel_drops(const struct counters_view *v, struct rte_tel_data *d)
{
	struct gs_lcore_stats sum;

	counters_sum(v, &sum);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 1; i < GS_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, gs_drop_name(i), sum.drops[i]);
	return 0;
}

/* Milliseconds from @p then to @p now without overflowing the multiplication. */
static uint64_t
tsc_age_ms(uint64_t now, uint64_t then, uint64_t hz)
{
	uint64_t age;

	if (hz == 0 || now <= then)
		return 0;
	age = now - then;
	return age / hz * 1000 + age % hz * 1000 / hz;
}

/*
 * Dict names in DPDK 22.11 telemetry may hold only alphanumerics, '_' and
 * '/' (a dict refuses others): a name a handler chose has its other
 * characters written as '_'.
 */
static void
tel_key(char *k, size_t len, const char *prefix, const char *name)
{
	snprintf(k, len, prefix[0] != '\0' ? "%s_%s" : "%s%s", prefix, name);
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '/')
			*k = '_';
}

/*
 * d["<prefix>_<name>"] = v (d["<name>"] for prefix ""). @return the bytes
 * the entry takes in the reply's JSON, its comma included.
 */
static size_t
put_u64(struct rte_tel_data *d, const char *prefix, const char *name, uint64_t v)
{
	char k[RTE_TEL_MAX_STRING_LEN];

	tel_key(k, sizeof(k), prefix, name);
	rte_tel_data_add_dict_u64(d, k, v);
	return strlen(k) + 4 + (size_t)snprintf(NULL, 0, "%" PRIu64, v);
}

/* As put_u64(), for a string @p v that needs no escaping. */
static size_t
put_str(struct rte_tel_data *d, const char *prefix, const char *name, const char *v)
{
	char k[RTE_TEL_MAX_STRING_LEN];

	tel_key(k, sizeof(k), prefix, name);
	rte_tel_data_add_dict_string(d, k, v);
	return strlen(k) + 6 + strlen(v);
}

/*
 * A reply made of a dict per instance or ring (a dict holds
 * RTE_TEL_MAX_DICT_ENTRIES, 256: one dict of all their figures would stop
 * short of the group's), kept within the TEL_OUTPUT_LEN telemetry writes it
 * into. Each of those dicts takes over 100 bytes, so the reply's bytes run
 * out long before its own 256 entries.
 */
struct tel_reply {
	struct rte_tel_data *d;
	size_t room;	    /* bytes left for entries */
	uint64_t not_shown; /* the dicts left out */
};

static void
reply_start(struct tel_reply *r, struct rte_tel_data *d)
{
	r->d = d;
	r->room = TEL_OUTPUT_LEN - TEL_SPARE;
	r->not_shown = 0;
	rte_tel_data_start_dict(d);
}

/* A new dict for the reply's next entry: NULL, and the entry counted as left out, when none. */
static struct rte_tel_data *
reply_dict(struct tel_reply *r)
{
	struct rte_tel_data *one = rte_tel_data_alloc();

	if (one == NULL) {
		r->not_shown++;
		return NULL;
	}
	rte_tel_data_start_dict(one);
	return one;
}

/*
 * r->d["<prefix>_<name>"] = @p one (a reply_dict() whose entries take
 * @p len bytes, put_u64()) if the reply has room for it; else @p one is
 * freed and counted as left out.
 */
static void
reply_add(struct tel_reply *r, const char *prefix, const char *name, struct rte_tel_data *one,
	size_t len)
{
	char k[RTE_TEL_MAX_STRING_LEN];

	tel_key(k, sizeof(k), prefix, name);
	len += strlen(k) + 6; /* "k":{...}, */
	if (len > r->room || rte_tel_data_add_dict_container(r->d, k, one, 0) < 0) {
		rte_tel_data_free(one);
		r->not_shown++;
		return;
	}
	r->room -= len;
}

/* d[@p name] = the count of dicts left out, a key present only when some were. */
static void
reply_end(struct tel_reply *r, const char *name)
{
	if (r->not_shown > 0)
		rte_tel_data_add_dict_u64(r->d, name, r->not_shown);
}

/*
 * The figures /gsnet/handlers and /gsnet/handler show of instance @p s
 * (generation @p gen), its counters read into @p copy. @return the bytes
 * they take in the reply's JSON (put_u64()).
 */
static size_t
put_slot(struct rte_tel_data *d, const struct counters_view *v, const struct gs_handler_slot *s,
	uint32_t gen, struct gs_handler_slot *copy)
{
	uint64_t rejected = 0;
	size_t len = 0;

	gs_handler_counters_read(s, copy);
	for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++)
		rejected += copy->rejected[r];
	len += put_str(
		d, "", "state", gs_slot_state_name(__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)));
	len += put_u64(d, "", "up", __atomic_load_n(&s->up, __ATOMIC_ACQUIRE));
	len += put_u64(d, "", "pid", __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE));
	len += put_u64(d, "", "generation", gen);
	len += put_u64(d, "", "restarts", __atomic_load_n(&s->restarts, __ATOMIC_ACQUIRE));
	len += put_u64(d, "", "downs", __atomic_load_n(&s->downs, __ATOMIC_ACQUIRE));
	len += put_u64(d, "", "heartbeat_age_ms",
		tsc_age_ms(v->now_tsc, __atomic_load_n(&s->heartbeat_tsc, __ATOMIC_ACQUIRE),
			v->ctl->tsc_hz));
#define PUT(name, help) len += put_u64(d, "", #name, copy->name);
	GS_FOREACH_HANDLER_COUNTER(PUT)
#undef PUT
	len += put_u64(d, "", "rejected", rejected);
	return len;
}

/*
 * One dict per instance ever claimed, "<class>_<instance>": its figures (a
 * dict of all the instances' figures would stop at the 23rd). An instance
 * the reply has no room for is counted in "instances_not_shown" (struct
 * tel_reply).
 */
int
counters_tel_handlers(const struct counters_view *v, struct rte_tel_data *d)
{
	const struct gs_control *ctl = v->ctl;
	struct tel_reply r;
	char inst[16];

	reply_start(&r, d);
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			const struct gs_handler_slot *s = &ctl->handlers[c][i];
			uint32_t gen = __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
			struct gs_handler_slot copy;
			struct rte_tel_data *one;

			if (gen == 0)
				continue; /* never used */
			one = reply_dict(&r);
			if (one == NULL)
				continue;
			snprintf(inst, sizeof(inst), "%u", i);
			reply_add(&r, gs_class_label(ctl->classes, c), inst, one,
				put_slot(one, v, s, gen, &copy));
		}
	reply_end(&r, "instances_not_shown");
	return 0;
}

/* "<class>,<instance>" of a class in @p classes: @return 0, or -EINVAL. */
static int
parse_instance(
	const char *params, const struct gs_class_info *classes, unsigned int *c, unsigned int *i)
{
	const char *comma = params != NULL ? strchr(params, ',') : NULL;
	size_t len = comma != NULL ? (size_t)(comma - params) : 0;
	unsigned long n;
	char *end;

	if (len == 0 || len >= GS_CLASS_NAME_LEN || !isdigit((unsigned char)comma[1]))
		return -EINVAL;
	n = strtoul(comma + 1, &end, 10);
	if (*end != '\0' || n >= GS_MAX_INSTANCES)
		return -EINVAL;
	for (unsigned int k = 1; k < GS_MAX_CLASSES; k++) {
		const char *name = gs_class_info_name(classes, k);

		if (name != NULL && strncmp(name, params, len) == 0 && name[len] == '\0') {
			*c = k;
			*i = (unsigned int)n;
			return 0;
		}
	}
	return -EINVAL;
}

int
counters_tel_handler(const struct counters_view *v, const char *params, struct rte_tel_data *d)
{
	const struct gs_handler_slot *s;
	struct gs_handler_slot copy;
	unsigned int c, i;
	uint32_t gen;
	char name[GS_HANDLER_EVENT_NAME + 1];

	if (parse_instance(params, v->ctl->classes, &c, &i) < 0)
		return -EINVAL;
	s = &v->ctl->handlers[c][i];
	gen = __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
	if (gen == 0)
		return -EINVAL; /* never used */
	rte_tel_data_start_dict(d);
	put_slot(d, v, s, gen, &copy);
	/* names a handler wrote: GS_HANDLER_EVENT_NAME characters at most, NUL or not */
	for (unsigned int r = 0; r < GS_HANDLER_REJECTS; r++) {
		const char *why =
			r < GS_REJECT_MAX ? gs_reject_name(r) : s->reject_names[r - GS_REJECT_MAX];

		snprintf(name, sizeof(name), "%.*s", GS_HANDLER_EVENT_NAME, why);
		if (name[0] != '\0')
			put_u64(d, "rejected", name, copy.rejected[r]);
	}
	for (unsigned int e = 0; e < GS_HANDLER_EVENTS; e++) {
		snprintf(name, sizeof(name), "%.*s", GS_HANDLER_EVENT_NAME, s->event_names[e]);
		if (name[0] != '\0')
			put_u64(d, "event", name, copy.events[e]);
	}
	/* its duration histogram: <name>_p50_us, <name>_p99_us, <name>_count */
	snprintf(name, sizeof(name), "%.*s", GS_HANDLER_EVENT_NAME, s->hist_name);
	if (name[0] != '\0') {
		put_u64(d, name, "p50_us",
			(uint64_t)(gs_handler_hist_quantile(copy.hist, 0.5) / 1e3));
		put_u64(d, name, "p99_us",
			(uint64_t)(gs_handler_hist_quantile(copy.hist, 0.99) / 1e3));
		put_u64(d, name, "count", gs_hist_count(copy.hist, GS_HANDLER_HIST_BUCKETS));
	}
	return 0;
}

/*
 * The figures /gsnet/rings shows of the ring pair of instance (@p c, @p i)
 * on an lcore (@p st its counters): @return the bytes they take (put_u64()).
 */
static size_t
put_rings(struct rte_tel_data *d, const struct rte_ring *to_h, const struct rte_ring *to_p,
	const struct gs_lcore_stats *st, unsigned int c, unsigned int i)
{
	size_t len = 0;

	len += put_u64(d, "", "to_handler_depth", rte_ring_count(to_h));
	len += put_u64(d, "", "to_handler_enqueued", st->ring_enq[c][i]);
	len += put_u64(d, "", "to_handler_full", st->ring_full[c][i]);
	len += put_u64(d, "", "to_primary_depth", rte_ring_count(to_p));
	len += put_u64(d, "", "capacity", rte_ring_get_capacity(to_h));
	return len;
}

/*
 * One dict per ring pair of an instance ever claimed,
 * "<lcore>_<class>_<instance>": its figures (a dict of all the pairs'
 * figures would stop at the 52nd). A pair the reply has no room for is
 * counted in "rings_not_shown" (struct tel_reply): the largest group,
 * GS_MAX_PRIMARY_LCORES lcores of 60 instances, has 480 pairs, of which
 * about 130 fit (93 with every figure at its widest).
 */
int
counters_tel_rings(const struct counters_view *v, struct rte_tel_data *d)
{
	const struct gs_control *ctl = v->ctl;
	struct gs_lcore_stats st;
	struct tel_reply r;
	char prefix[32], inst[16];

	reply_start(&r, d);
	for (unsigned int l = 0; l < v->n_lcores; l++) {
		gs_stats_read(&ctl->lcores[l], &st, sizeof(st));
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
			for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
				const struct rte_ring *to_h = v->p2h[l][c][i],
						      *to_p = v->h2p[l][c][i];
				struct rte_tel_data *one;

				if (__atomic_load_n(&ctl->handlers[c][i].generation,
					    __ATOMIC_ACQUIRE) == 0 ||
					to_h == NULL || to_p == NULL)
					continue; /* instance never used */
				one = reply_dict(&r);
				if (one == NULL)
					continue;
				snprintf(prefix, sizeof(prefix), "%u_%s", l,
					gs_class_label(ctl->classes, c));
				snprintf(inst, sizeof(inst), "%u", i);
				reply_add(&r, prefix, inst, one,
					put_rings(one, to_h, to_p, &st, c, i));
			}
	}
	reply_end(&r, "rings_not_shown");
	return 0;
}

static int
tel_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return guarded(counters_tel_summary, d);
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return guarded(counters_tel_drops, d);
}

static int
tel_handlers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return guarded(counters_tel_handlers, d);
}

static int
tel_handler(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct primary *p = tel_enter(&tel);
	struct counters_view v;
	int ret;

	(void)cmd;
	if (p == NULL)
		return -ENODEV;
	view_of(p, &v);
	ret = counters_tel_handler(&v, params, d);
	tel_leave(&tel);
	return ret;
}

static int
tel_rings(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return guarded(counters_tel_rings, d);
}

int
telemetry_register(struct primary *p)
{
	int ret;

	tel_publish(&tel, p);
	ret = rte_telemetry_register_cmd("/gsnet/summary", tel_summary,
		"gsnet packet, dispatch and handler counters. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/gsnet/drops", tel_drops,
			"gsnet frames dropped, by reason. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/gsnet/handlers", tel_handlers,
			"gsnet handler instances: <class>_<instance>: {<field>: ...}. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/gsnet/handler", tel_handler,
			"gsnet handler instance: its figures, rejected_<reason>, event_<name>. Parameters: <class>,<instance>");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/gsnet/rings", tel_rings,
			"gsnet rings: <lcore>_<class>_<instance>: {<field>: ...}. No parameters");
	return ret;
}

int
telemetry_unregister(void)
{
	return tel_quiesce(&tel, TEL_QUIESCE_MS);
}
