/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "gs_log.h"

#include "primary.h"
#include "shm.h"

GS_LOG_TYPE(gs.primary.reload);

/* What a reload says: built up as it goes, then logged and published. */
struct say {
	char *buf;
	size_t len;
	size_t off;
	unsigned int items; /* changes said so far: "; " between them */
};

/* One change of a reload, after the others. */
#define say_item(s, fmt, ...) say(s, "%s" fmt, (s)->items++ ? "; " : "", ##__VA_ARGS__)

static void __rte_format_printf(2, 3) say(struct say *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->off >= s->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->off, s->len - s->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->off += (size_t)n;
}

int
reload_init(struct primary *p)
{
	struct reload *r = &p->reload;
	size_t sz = rte_rcu_qsbr_get_memsize(p->n_lcores);

	memset(r, 0, sizeof(*r));
	r->qs = rte_zmalloc("gs_reload_qs", sz, RTE_CACHE_LINE_SIZE);
	if (r->qs == NULL || rte_rcu_qsbr_init(r->qs, p->n_lcores) < 0) {
		GS_LOG(ERR, "rte_rcu_qsbr for %u lcores: %s", p->n_lcores, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned int l = 0; l < p->n_lcores; l++)
		rte_rcu_qsbr_thread_register(r->qs, l);
	r->req_seen = __atomic_load_n(&p->ctl->reload_req, __ATOMIC_ACQUIRE);
	return 0;
}

void
reload_fini(struct primary *p)
{
	rte_free(p->reload.qs);
	p->reload.qs = NULL;
}

/* Instances of class @p c a process still holds (attaching, running or leaving). */
static unsigned int
attached(const struct primary *p, unsigned int c)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
		const struct gs_handler_slot *s = &p->ctl->handlers[c][i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st != GS_SLOT_FREE && st != GS_SLOT_DEAD && gs_pid_running(s->pid))
			n++;
	}
	return n;
}

/* Every instance of class @p c has left and been retired: nothing reads its rings. */
static bool
gone(const struct primary *p, unsigned int c)
{
	for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
		const struct gs_handler_slot *s = &p->ctl->handlers[c][i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if ((st != GS_SLOT_FREE && st != GS_SLOT_DEAD) ||
			__atomic_load_n(&s->retired_req, __ATOMIC_ACQUIRE) !=
				__atomic_load_n(&s->retire_req, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

static void
classes_begin(struct gs_control *ctl)
{
	__atomic_fetch_add(&ctl->classes_seq, 1, __ATOMIC_ACQ_REL);
}

static void
classes_end(struct gs_control *ctl)
{
	__atomic_fetch_add(&ctl->classes_seq, 1, __ATOMIC_RELEASE);
}

/* Fill the lcores' other table from the class table and make it theirs. */
static void
swap_table(struct primary *p)
{
	uint32_t next = p->classify_cur ^ 1u;

	classify_build(&p->classify[next], p->ctl->classes);
	__atomic_store_n(&p->classify_cur, next, __ATOMIC_RELEASE);
	p->reload.swap_token = rte_rcu_qsbr_start(p->reload.qs);
	p->reload.swap_pending = true;
}

/*
 * The new config's class rows against the running ones, by name: each row
 * keeps its class's id or takes a free one. @return 0 and @p id_of, @p add,
 * @p remove; or -EBUSY / -ENOSPC (said).
 */
static int
match(const struct primary *p, const struct gs_cfg *cfg, unsigned int id_of[GS_MAX_CLASSES],
	uint32_t *add, uint32_t *remove, struct say *s)
{
	const struct gs_class_info *t = p->ctl->classes;
	uint32_t keep = 0;

	*add = 0;
	for (unsigned int k = 1; k <= cfg->n_classes; k++) {
		unsigned int c;

		for (c = 1; c < GS_MAX_CLASSES; c++)
			if (t[c].state != GS_CLASS_FREE &&
				strncmp(t[c].name, cfg->classes[k].name, GS_CLASS_NAME_LEN) == 0)
				break;
		if (c < GS_MAX_CLASSES && t[c].state == GS_CLASS_DRAINING) {
			say(s, "class %s is still leaving (an earlier reload removed it): reload again once gs-ctl status no longer lists it",
				t[c].name);
			return -EBUSY;
		}
		if (c == GS_MAX_CLASSES) /* a new class: the lowest id without a class or rings */
			for (c = 2; c < GS_MAX_CLASSES; c++)
				if (t[c].state == GS_CLASS_FREE && !p->class_on[c] &&
					(*add & (1u << c)) == 0)
					break;
		if (c == GS_MAX_CLASSES) {
			say(s, "no free class id for %s: a group runs %d classes at most",
				cfg->classes[k].name, GS_MAX_CLASSES - 1);
			return -ENOSPC;
		}
		if (t[c].state == GS_CLASS_FREE)
			*add |= 1u << c;
		else
			keep |= 1u << c;
		id_of[k] = c;
	}
	*remove = 0;
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		if (t[c].state == GS_CLASS_ACTIVE && (keep & (1u << c)) == 0)
			*remove |= 1u << c;
	return 0;
}

/* Carry out one reload: @return 0, or a negative errno with nothing changed (said in @p s). */
static int
reload_run(struct primary *p, bool force, struct say *s)
{
	static struct gs_cfg cfg; /* large: not on the lcore's stack */
	unsigned int id_of[GS_MAX_CLASSES] = { 0 };
	struct gs_control *ctl = p->ctl;
	uint32_t add, remove, made = 0;
	char err[1024], types[128];
	int ret;

	ret = gs_cfg_load(&cfg, p->app.cfg_path, p->app.overrides, p->app.n_over, err, sizeof(err));
	if (ret < 0) {
		say(s, "config error: %s", err);
		return ret;
	}
	ret = match(p, &cfg, id_of, &add, &remove, s);
	if (ret < 0)
		return ret;
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		unsigned int n = (remove & (1u << c)) ? attached(p, c) : 0;

		if (n > 0 && !force) {
			say(s, "class %s is not in the config any more but %u instance(s) of it are attached: stop them (gs-ctl stop %s N) or reload --force, which asks them to leave",
				ctl->classes[c].name, n, ctl->classes[c].name);
			return -EBUSY;
		}
	}
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		if ((add & (1u << c)) == 0)
			continue;
		ret = shm_class_rings_create(p, c);
		if (ret < 0) {
			for (unsigned int k = 1; k < GS_MAX_CLASSES; k++)
				if (made & (1u << k))
					shm_class_rings_free(p, k);
			say(s, "no memory for the rings of a new class (raise [eal] memory_mb)");
			return ret;
		}
		made |= 1u << c;
	}

	/* from here on nothing fails: the table, then the swap */
	classes_begin(ctl);
	for (unsigned int k = 1; k <= cfg.n_classes; k++) {
		struct gs_class_info *t = &ctl->classes[id_of[k]];
		const struct gs_cfg_class *n = &cfg.classes[k];

		gs_type_set_format(&n->types, types, sizeof(types));
		if (add & (1u << id_of[k]))
			say_item(s, "added %s (id %u, types %s)", n->name, id_of[k], types);
		else if (memcmp(&t->types, &n->types, sizeof(n->types)) != 0)
			say_item(s, "%s now takes types %s", n->name, types);
		snprintf(t->name, sizeof(t->name), "%s", n->name);
		t->types = n->types;
		t->instances = n->proc.instances;
		t->state = GS_CLASS_ACTIVE;
	}
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		if ((remove & (1u << c)) == 0)
			continue;
		ctl->classes[c].state = GS_CLASS_DRAINING;
		say_item(s, "removed %s", ctl->classes[c].name);
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			struct gs_handler_slot *slot = &ctl->handlers[c][i];

			if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) == GS_SLOT_RUNNING) {
				__atomic_store_n(
					&slot->stop_req, slot->generation, __ATOMIC_RELEASE);
				say(s, " (instance %u, pid %d, asked to leave)", i, slot->pid);
			}
		}
	}
	classes_end(ctl);
	swap_table(p);
	p->reload.draining |= remove;
	if (s->items == 0)
		say(s, "no change to the classes");
	return 0;
}

/* Removed classes whose instances are gone: unreachable now, their rings freed later. */
static void
settle_removals(struct primary *p)
{
	struct reload *r = &p->reload;

	if (r->freeing != 0 && rte_rcu_qsbr_check(r->qs, r->free_token, false) == 1) {
		classes_begin(p->ctl);
		for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
			if ((r->freeing & (1u << c)) == 0)
				continue;
			GS_LOG(NOTICE, "class %s removed: its rings are freed",
				p->ctl->classes[c].name);
			shm_class_rings_free(p, c);
			memset(&p->ctl->classes[c], 0, sizeof(p->ctl->classes[c]));
		}
		classes_end(p->ctl);
		r->freeing = 0;
	}
	if (r->freeing != 0 || r->swap_pending)
		return;
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++) {
		if ((r->draining & (1u << c)) == 0 || !gone(p, c))
			continue;
		/* no lcore polls or retires it from the next pass on */
		p->class_on[c] = false;
		__atomic_store_n(&p->live[c], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->claimed[c], 0, __ATOMIC_RELEASE);
		__atomic_and_fetch(&p->claimed_classes, ~(1u << c), __ATOMIC_RELEASE);
		r->draining &= ~(1u << c);
		r->freeing |= 1u << c;
	}
	if (r->freeing != 0)
		r->free_token = rte_rcu_qsbr_start(r->qs);
}

void
reload_tick(struct primary *p)
{
	struct reload *r = &p->reload;
	struct gs_control *ctl = p->ctl;
	uint32_t req = __atomic_load_n(&ctl->reload_req, __ATOMIC_ACQUIRE);
	char msg[GS_RELOAD_MSG_LEN];
	struct say s = { .buf = msg, .len = sizeof(msg) };
	bool force;
	int ret;

	/* the main lcore reports its own state: it is between passes here */
	reload_quiescent(p, 0u + (unsigned int)rte_lcore_index((int)rte_lcore_id()));
	if (r->swap_pending && rte_rcu_qsbr_check(r->qs, r->swap_token, false) == 1)
		r->swap_pending = false;
	settle_removals(p);
	if (*p->sig_hup) {
		*p->sig_hup = 0;
		r->hup = true;
	}
	if ((req == r->req_seen && !r->hup) || r->swap_pending || r->freeing != 0)
		return; /* nothing asked, or the last change has not settled: next tick */
	force = req != r->req_seen && (req & GS_RELOAD_FORCE);
	say(&s, "reload of %s%s: ", p->app.cfg_path, force ? " (--force)" : "");
	ret = reload_run(p, force, &s);
	if (ret == 0) {
		say(&s, ". Classes now:");
		GS_FOREACH_CLASS_ID(c, ctl->classes)
		say(&s, " %s%s", ctl->classes[c].name,
			ctl->classes[c].state == GS_CLASS_DRAINING ? " (leaving)" : "");
		GS_LOG(NOTICE, "%s", msg);
	} else {
		GS_LOG(ERR, "%s: refused, nothing changed", msg);
	}
	r->hup = false;
	if (req != r->req_seen) {
		snprintf(ctl->reload_msg, sizeof(ctl->reload_msg), "%s", msg);
		__atomic_store_n(&ctl->reload_status, ret, __ATOMIC_RELEASE);
		__atomic_store_n(&ctl->reload_done, req, __ATOMIC_RELEASE);
		r->req_seen = req;
	}
}
