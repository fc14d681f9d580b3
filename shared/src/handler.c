/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>
#include <rte_version.h>

#include "gs_class.h"
#include "gs_handler.h"
#include "gs_log.h"
#include "gs_names.h"
#include "gs_stats.h"
#include "gs_wake.h"

GS_LOG_TYPE(gs.shared.handler);

#define TICKS_PER_SEC	  (1000 / GS_HEARTBEAT_MS) /* heartbeat and housekeeping */
#define ALIVE_CHECK_TICKS 10			   /* rte_eal_primary_proc_alive is a syscall */
#define LEAVE_WAIT_MS	  1000 /* the primary acknowledges within a tick (10 ms) */

/* Every way the primary's layout can differ from this binary's, said plainly. */
static int
check_layout(const struct gs_control *ctl)
{
	struct {
		const char *what;
		uint64_t mine;
		uint64_t theirs;
	} checks[] = {
		{ "magic", GS_SHM_MAGIC, ctl->magic },
		{ "shared-memory layout version", GS_SHM_VERSION, ctl->layout_version },
		{ "sizeof(struct gs_control)", sizeof(struct gs_control), ctl->ctl_size },
		{ "sizeof(struct gs_msg)", sizeof(struct gs_msg), ctl->msg_size },
		{ "sizeof(struct gs_handler_slot)", sizeof(struct gs_handler_slot),
			ctl->slot_size },
		{ "sizeof(struct gs_session)", sizeof(struct gs_session), ctl->session_size },
		{ "sizeof(struct gs_lcore_stats)", sizeof(struct gs_lcore_stats),
			ctl->lcore_stats_size },
	};

	int bad = 0;

	for (size_t i = 0; i < RTE_DIM(checks); i++) {
		if (checks[i].mine == checks[i].theirs)
			continue;
		GS_LOG(ERR,
			"refusing to attach: %s is %#" PRIx64 " in this binary but %#" PRIx64
			" in the running primary (gsnet %s vs %.*s): restart the handler from the same build as the primary",
			checks[i].what, checks[i].mine, checks[i].theirs, GSNET_VERSION,
			GS_VERSION_STR_LEN, ctl->gsnet_version);
		bad = 1;
		if (i < 2)
			break; /* sizes mean nothing under another magic or version */
	}
	if (!bad && strncmp(ctl->dpdk_version, rte_version(), GS_VERSION_STR_LEN) != 0) {
		GS_LOG(ERR, "refusing to attach: primary runs %.*s, this handler %s",
			GS_VERSION_STR_LEN, ctl->dpdk_version, rte_version());
		bad = 1;
	}
	return bad ? -EPROTO : 0;
}

int
gs_control_attach(const struct gs_app *app, unsigned int wait_ms, struct gs_control **out)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * wait_ms / 1000;
	const struct rte_memzone *mz;

	for (;;) {
		if (!rte_eal_primary_proc_alive(NULL)) {
			GS_LOG(ERR,
				"no primary is running for file prefix '%s': start gs-primary first",
				app->cfg.file_prefix);
			return -ENOTCONN;
		}
		mz = rte_memzone_lookup(GS_MZ_CONTROL);
		if (mz != NULL) {
			struct gs_control *ctl = mz->addr;

			if (mz->len < sizeof(uint64_t) + sizeof(uint32_t) || check_layout(ctl) < 0)
				return -EPROTO;
			if (__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE) &&
				!__atomic_load_n(&ctl->stopping, __ATOMIC_ACQUIRE)) {
				*out = ctl;
				return 0;
			}
		}
		if (rte_get_timer_cycles() > deadline) {
			GS_LOG(ERR, "the primary (prefix '%s') did not become ready within %u ms",
				app->cfg.file_prefix, wait_ms);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

/*
 * Claim the slot: only a free or dead one whose last generation the primary
 * has retired (its rings clean). A predecessor killed a moment ago is waited
 * for: the primary notices within handler_timeout_ms and resets its rings.
 */
static int
claim_slot(struct gs_handler *h, unsigned int wait_ms)
{
	struct gs_handler_slot *slot = h->slot;
	uint64_t deadline = rte_get_timer_cycles() + h->tsc_hz * wait_ms / 1000;
	bool told = false;

	for (;;) {
		/* state first: the primary posts a request before it marks DEAD */
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
		uint32_t gen = __atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE);
		uint32_t req = __atomic_load_n(&slot->retire_req, __ATOMIC_ACQUIRE);
		uint32_t done = __atomic_load_n(&slot->retired_req, __ATOMIC_ACQUIRE);
		int32_t holder = slot->pid;
		enum gs_claim can = gs_slot_claim_check(
			state, gen, req, done, holder != getpid() && gs_pid_running(holder));

		if (can == GS_CLAIM_BUSY) {
			GS_LOG(ERR, "instance %u of class %s is held by running pid %d",
				h->instance, h->class_name, holder);
			return -EBUSY;
		}
		if (can == GS_CLAIM_OK) {
			if (__atomic_compare_exchange_n(&slot->state, &state, GS_SLOT_ATTACHING,
				    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				break;
			GS_LOG(ERR, "instance %u of class %s was claimed concurrently", h->instance,
				h->class_name);
			return -EBUSY;
		}
		if (!told) {
			GS_LOG(NOTICE,
				"instance %u of class %s: waiting for the primary to retire generation %u (pid %d gone)",
				h->instance, h->class_name, gen, holder);
			told = true;
		}
		if (rte_get_timer_cycles() > deadline) {
			GS_LOG(ERR,
				"the primary did not retire generation %u of %s instance %u within %u ms",
				gen, h->class_name, h->instance, wait_ms);
			return -ETIMEDOUT;
		}
		usleep(5000);
	}
	h->generation = slot->generation + 1;
	if (h->generation > 1)
		slot->restarts++;
	slot->pid = getpid();
	slot->stop_req = 0;
	gs_wake_done(&slot->sleeping);
	slot->lcore_id = rte_lcore_id();
	slot->attach_tsc = rte_get_timer_cycles();
	__atomic_store_n(&slot->heartbeat_tsc, slot->attach_tsc, __ATOMIC_RELEASE);
	snprintf(slot->build, sizeof(slot->build), "%s", GSNET_VERSION);
	slot->hist_name[0] = '\0'; /* until this process declares one */
	__atomic_store_n(&slot->generation, h->generation, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Put @p name, one of the handler's own names (@p what), in slot field @p to
 * if gs_label_valid() takes it; else log it and leave @p to empty: a name
 * the exporters do not show. NULL: no name.
 */
static void
declare_name(char to[GS_HANDLER_EVENT_NAME], const char *what, const char *name)
{
	to[0] = '\0';
	if (name == NULL)
		return;
	if (!gs_label_valid(name, GS_HANDLER_EVENT_NAME)) {
		GS_LOG(ERR, "%s '%s': a name of 1 to %d characters of [a-z0-9_]: not exported",
			what, name, GS_HANDLER_EVENT_NAME - 1);
		return;
	}
	snprintf(to, GS_HANDLER_EVENT_NAME, "%s", name);
}

void
gs_handler_events_declare(struct gs_handler *h, const struct gs_handler_event *events,
	unsigned int n, const void *ctx)
{
	if (n > GS_HANDLER_EVENTS) {
		GS_LOG(WARNING,
			"%u own counters, the slot has room for %d: the rest are not exported", n,
			GS_HANDLER_EVENTS);
		n = GS_HANDLER_EVENTS;
	}
	h->events = events;
	h->n_events = n;
	h->events_ctx = ctx;
	for (unsigned int i = 0; i < GS_HANDLER_EVENTS; i++)
		declare_name(h->slot->event_names[i], "own count", i < n ? events[i].name : NULL);
}

int
gs_handler_hist_declare(struct gs_handler *h, const char *name)
{
	/* [a-z0-9_]: a label value and a telemetry key */
	if (name == NULL || !gs_label_valid(name, GS_HANDLER_EVENT_NAME)) {
		GS_LOG(ERR,
			"duration histogram '%s': a name of 1 to %d characters of [a-z0-9_]: not published",
			name != NULL ? name : "(null)", GS_HANDLER_EVENT_NAME - 1);
		return -EINVAL;
	}
	snprintf(h->slot->hist_name, sizeof(h->slot->hist_name), "%s", name);
	return 0;
}

/*
 * Copy the program's own counts and its duration histogram into the slot
 * (inside its sequence lock).
 */
static void
publish_events(struct gs_handler *h)
{
	for (unsigned int i = 0; i < h->n_events; i++)
		h->slot->events[i] =
			*(const uint64_t *)((const char *)h->events_ctx + h->events[i].off);
	if (h->slot->hist_name[0] != '\0') { /* declared (claim_slot() clears it) */
		memcpy(h->slot->hist, h->hist, sizeof(h->slot->hist));
		h->slot->hist_ns = h->hist_ns;
	}
}

/* Ask the primary for its lcores' eventfds (handlers wake a sleeping lcore with them). */
static void
wake_fds_get(struct gs_handler *h)
{
	struct timespec ts = { .tv_sec = 1 };
	struct rte_mp_reply rep = { 0 };
	struct rte_mp_msg req;

	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++)
		h->wake_fd[l] = -1;
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", GS_WAKE_MP_NAME);
	if (rte_mp_request_sync(&req, &rep, &ts) < 0 || rep.nb_received != 1) {
		GS_LOG(WARNING,
			"the primary gave no eventfds (%s): a sleeping primary lcore sees replies at its next tick",
			rte_strerror(rte_errno));
		free(rep.msgs);
		return;
	}
	for (int i = 0; i < rep.msgs[0].num_fds && (unsigned int)i < h->n_lcores; i++)
		h->wake_fd[i] = rep.msgs[0].fds[i];
	free(rep.msgs);
}

/*
 * Ring the reply doorbell of every primary lcore this handler gave replies to
 * since the last call, and wake those that are asleep. Called after each pass
 * that replied (the first reply of a pass rang already: reply_into()).
 */
static void
notify_primary(struct gs_handler *h)
{
	static const uint64_t one = 1;
	uint32_t m = h->replied;

	h->replied = 0;
	while (m != 0) {
		unsigned int l = (unsigned int)__builtin_ctz(m);
		struct gs_lcore_wake *w = &h->ctl->lcore_wake[l];

		m &= m - 1;
		gs_doorbell_ring(&w->posted, GS_REPLY_BIT(h->cls, h->instance));
		if (h->wake_fd[l] >= 0 && gs_wake_needed(&w->sleeping) &&
			write(h->wake_fd[l], &one, sizeof(one)) < 0 && errno != EAGAIN)
			GS_LOG_RL(WARNING, "waking primary lcore %u: %s", l, strerror(errno));
	}
}

/*
 * The id the running group gave class @p name, or GS_CLASS_NONE (logged
 * with the classes it runs).
 */
static unsigned int
class_lookup(const struct gs_control *ctl, const char *name)
{
	char have[GS_MAX_CLASSES * (GS_CLASS_NAME_LEN + 2)] = "";
	unsigned int c = gs_class_find(ctl->classes, name);
	size_t off = 0;

	if (c != GS_CLASS_NONE)
		return c;
	GS_FOREACH_CLASS_ID(k, ctl->classes)
	off += (size_t)snprintf(
		have + off, sizeof(have) - off, "%s%s", off ? ", " : "", ctl->classes[k].name);
	GS_LOG(ERR,
		"the running group has no class '%s' (it runs: %s): add [class.%s] to the primary's config and reload it (gs-ctl reload)",
		name, have, name);
	return GS_CLASS_NONE;
}

/* A handler of SDK @p sdk runs on a group of the same major and at least its minor. */
static int
check_sdk(const struct gs_control *ctl, uint32_t sdk)
{
	if (GS_SDK_MAJOR(sdk) == GS_SDK_MAJOR(ctl->sdk_version) &&
		GS_SDK_MINOR(sdk) <= GS_SDK_MINOR(ctl->sdk_version))
		return 0;
	GS_LOG(ERR,
		"refusing to attach: this handler was built against gsnet handler SDK %u.%u, the running group (gsnet %.*s) provides SDK %u.%u: a handler needs the same major and at most the group's minor; rebuild it against the group's SDK",
		GS_SDK_MAJOR(sdk), GS_SDK_MINOR(sdk), GS_VERSION_STR_LEN, ctl->gsnet_version,
		GS_SDK_MAJOR(ctl->sdk_version), GS_SDK_MINOR(ctl->sdk_version));
	return -EPROTO;
}

int
gs_handler_attach_sdk(
	uint32_t sdk, struct gs_handler *h, const struct gs_app *app, unsigned int wait_ms)
{
	const struct gs_cfg_proc *p = gs_cfg_proc_of(&app->cfg, GS_ROLE_HANDLER, app->cls);
	uint32_t attaching = GS_SLOT_ATTACHING;
	char name[RTE_RING_NAMESIZE];
	unsigned int cls;
	int ret;

	memset(h, 0, sizeof(*h));
	h->class_name = app->class_name;
	h->instance = app->instance;
	if (p == NULL)
		return -EINVAL;
	if (h->instance >= GS_MAX_INSTANCES) {
		GS_LOG(ERR, "instance %u: the layout has %d instances per class", h->instance,
			GS_MAX_INSTANCES);
		return -ERANGE;
	}
	ret = gs_control_attach(app, wait_ms, &h->ctl);
	if (ret < 0)
		return ret;
	ret = check_sdk(h->ctl, sdk);
	if (ret < 0)
		return ret;
	cls = class_lookup(h->ctl, h->class_name);
	if (cls == GS_CLASS_NONE)
		return -ESRCH;
	h->cls = cls;
	h->epoch = __atomic_load_n(&h->ctl->epoch, __ATOMIC_ACQUIRE);
	h->n_lcores = h->ctl->n_lcores;
	h->tsc_hz = h->ctl->tsc_hz;
	h->slot = &h->ctl->handlers[cls][h->instance];
	gs_idle_init(&h->idle, p->idle, p->idle_max_us);

	for (unsigned int l = 0; l < h->n_lcores; l++) {
		snprintf(name, sizeof(name), GS_RING_P2H_FMT, l, (unsigned int)cls, h->instance);
		h->rx[l] = rte_ring_lookup(name);
		snprintf(name, sizeof(name), GS_RING_H2P_FMT, l, (unsigned int)cls, h->instance);
		h->tx[l] = rte_ring_lookup(name);
		if (h->rx[l] == NULL || h->tx[l] == NULL) {
			GS_LOG(ERR,
				"ring %s not found: the primary publishes no ring for instance %u",
				name, h->instance);
			return -ENOENT;
		}
	}
	wake_fds_get(h);
	ret = claim_slot(h, wait_ms);
	if (ret < 0)
		return ret;
	/* a CAS: a slot the primary judged dead meanwhile stays dead */
	if (!__atomic_compare_exchange_n(&h->slot->state, &attaching, GS_SLOT_RUNNING, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		GS_LOG(ERR, "instance %u of class %s was retired while it was being claimed",
			h->instance, h->class_name);
		return -EOWNERDEAD;
	}
	GS_LOG(NOTICE,
		"gs-%s attached: instance %u, generation %u, pid %d, lcore %u, %u primary lcores, idle %s, class id %u",
		h->class_name, h->instance, h->generation, getpid(), rte_lcore_id(), h->n_lcores,
		gs_idle_name(p->idle), cls);
	return 0;
}

static int
check_still_valid(struct gs_handler *h, unsigned int tick)
{
	if (__atomic_load_n(&h->ctl->stopping, __ATOMIC_ACQUIRE) ||
		__atomic_load_n(&h->ctl->epoch, __ATOMIC_ACQUIRE) != h->epoch) {
		GS_LOG(NOTICE, "the primary is shutting down or restarted: exiting");
		return -ESHUTDOWN;
	}
	if (h->slot->pid != getpid() ||
		__atomic_load_n(&h->slot->generation, __ATOMIC_ACQUIRE) != h->generation) {
		GS_LOG(WARNING, "instance %u was taken over by pid %d: exiting", h->instance,
			h->slot->pid);
		return -EOWNERDEAD;
	}
	if (__atomic_load_n(&h->slot->state, __ATOMIC_ACQUIRE) != GS_SLOT_RUNNING) {
		GS_LOG(WARNING, "the primary retired instance %u: exiting", h->instance);
		return -EOWNERDEAD;
	}
	if (__atomic_load_n(&h->ctl->classes[h->cls].state, __ATOMIC_ACQUIRE) != GS_CLASS_ACTIVE) {
		GS_LOG(NOTICE, "a reload removed class %s: draining, then exiting", h->class_name);
		return -ECANCELED;
	}
	if (__atomic_load_n(&h->slot->stop_req, __ATOMIC_ACQUIRE) == h->generation) {
		GS_LOG(NOTICE, "asked to stop (gs-ctl stop): draining, then exiting");
		return -ECANCELED;
	}
	if (tick % ALIVE_CHECK_TICKS == 0 && !rte_eal_primary_proc_alive(NULL)) {
		GS_LOG(ERR, "the primary died: exiting (restart the group with the primary)");
		return -ENOTCONN;
	}
	return 0;
}

/* Consume one burst from each ring, in place; returns the messages handled. */
static unsigned int
consume(struct gs_handler *h, const struct gs_handler_ops *ops, void *arg)
{
	unsigned int got = 0;

	for (unsigned int l = 0; l < h->n_lcores; l++) {
		struct rte_ring_zc_data zcd;
		unsigned int n = rte_ring_dequeue_zc_burst_elem_start(
			h->rx[l], sizeof(struct gs_msg), GS_HANDLER_BURST, &zcd, NULL);

		if (n == 0)
			continue;
		gs_stats_begin(&h->slot->stats_seq);
		ops->burst(arg, l, zcd.ptr1, zcd.n1);
		if (n > zcd.n1) /* the burst wraps around the ring's end */
			ops->burst(arg, l, zcd.ptr2, n - zcd.n1);
		h->answering_rx_tsc = 0;
		rte_ring_dequeue_zc_elem_finish(h->rx[l], n);
		gs_ctr_add(&h->slot->processed, n);
		gs_stats_end(&h->slot->stats_seq);
		got += n;
	}
	return got;
}

/* One pass of consume(), then the primary lcores it replied to are told. */
static unsigned int
consume_notify(struct gs_handler *h, const struct gs_handler_ops *ops, void *arg)
{
	unsigned int n = consume(h, ops, arg);

	if (h->replied != 0)
		notify_primary(h);
	return n;
}

/*
 * Leave without losing a message: say STOPPING, wait until the primary has
 * retired this generation (no lcore enqueues to us any more; bounded), then
 * handle what is still in the rings. Skipped when the primary is going away.
 */
static void
leave(struct gs_handler *h, const struct gs_handler_ops *ops, void *arg)
{
	const uint32_t want = GS_RETIRE(h->generation, false);
	uint64_t deadline = rte_get_timer_cycles() + h->tsc_hz * LEAVE_WAIT_MS / 1000;
	uint32_t running = GS_SLOT_RUNNING;
	unsigned int drained = 0, n;

	if (!__atomic_compare_exchange_n(&h->slot->state, &running, GS_SLOT_STOPPING, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	while (__atomic_load_n(&h->slot->retired_req, __ATOMIC_ACQUIRE) != want) {
		if (__atomic_load_n(&h->ctl->stopping, __ATOMIC_ACQUIRE) ||
			!rte_eal_primary_proc_alive(NULL))
			return;
		if (rte_get_timer_cycles() > deadline) {
			GS_LOG(WARNING, "the primary did not acknowledge within %d ms: leaving",
				LEAVE_WAIT_MS);
			break;
		}
		/* keep consuming meanwhile: dispatch may still be on its way */
		drained += consume_notify(h, ops, arg);
		usleep(1000);
	}
	while ((n = consume_notify(h, ops, arg)) > 0)
		drained += n;
	GS_LOG(NOTICE, "left instance %u cleanly: %u messages handled while leaving", h->instance,
		drained);
}

/*
 * Nothing to do: sleep until a primary lcore puts work in a ring (it wakes
 * us only when it sees `sleeping`), or until the next tick at @p next.
 */
static void
sleep_until_work(struct gs_handler *h, uint64_t next)
{
	uint32_t seen = __atomic_load_n(&h->slot->wake_seq, __ATOMIC_ACQUIRE);
	uint64_t now, woke;

	gs_wake_announce(&h->slot->sleeping);
	for (unsigned int l = 0; l < h->n_lcores; l++)
		if (!rte_ring_empty(h->rx[l]))
			goto awake; /* came in while we were deciding */
	now = rte_get_timer_cycles();
	if (next > now) {
		gs_futex_wait(&h->slot->wake_seq, seen, (next - now) * 1000000000u / h->tsc_hz);
		woke = rte_get_timer_cycles();
		/* woken by work (the word moved) soon after: spin longer next time */
		gs_idle_slept(&h->idle,
			__atomic_load_n(&h->slot->wake_seq, __ATOMIC_ACQUIRE) != seen,
			(woke - now) * 1000000u / h->tsc_hz);
	}
awake:
	gs_wake_done(&h->slot->sleeping);
}

int
gs_handler_run(struct gs_handler *h, const struct gs_handler_ops *ops, void *arg,
	volatile sig_atomic_t *stop)
{
	const uint64_t tick_cycles = h->tsc_hz / TICKS_PER_SEC;
	uint64_t next = rte_get_timer_cycles() + tick_cycles;
	unsigned int tick = 0;
	int ret = 0;

	while (!*stop) {
		uint64_t start = rte_get_timer_cycles();
		unsigned int got = consume(h, ops, arg);
		uint64_t now = rte_get_timer_cycles();

		if (got > 0) /* the work, apart from the idle polling around it */
			gs_ctr_add(&h->slot->busy_cycles, now - start);
		if (h->replied != 0)
			notify_primary(h);

		if (now >= next) {
			next = now + tick_cycles;
			__atomic_store_n(&h->slot->heartbeat_tsc, now, __ATOMIC_RELEASE);
			gs_stats_begin(&h->slot->stats_seq);
			if (ops->tick != NULL)
				ops->tick(arg, now);
			publish_events(h);
			gs_stats_end(&h->slot->stats_seq);
			if (h->replied != 0)
				notify_primary(h);
			ret = check_still_valid(h, ++tick);
			if (ret == -ECANCELED)
				break;
			if (ret < 0)
				return ret;
		}

		if (got > 0)
			gs_idle_reset(&h->idle);
		else if (gs_idle_wait(&h->idle))
			sleep_until_work(h, next);
	}
	leave(h, ops, arg);
	gs_stats_begin(&h->slot->stats_seq);
	publish_events(h);
	gs_stats_end(&h->slot->stats_seq);
	return 0;
}

/*
 * A reply in @p lcore's ring for @p peer: @p pb packed straight into the
 * ring slot (no staging copy), or @p raw bytes copied; its header's auth_tag
 * field is @p tag (NULL: zero).
 */
static int
reply_into(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer, uint32_t slot,
	uint32_t session_id, const uint8_t *tag, uint8_t type, const ProtobufCMessage *pb,
	const uint8_t *raw, size_t raw_len)
{
	struct rte_ring_zc_data zcd;
	struct gs_msg *r;

	if ((pb != NULL ? protobuf_c_message_get_packed_size(pb) : raw_len) > GS_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (lcore >= h->n_lcores)
		lcore = 0;
	if (rte_ring_enqueue_zc_burst_elem_start(h->tx[lcore], sizeof(*r), 1, &zcd, NULL) == 0) {
		gs_ctr_add(&h->slot->rejected[GS_REJECT_REPLY_FULL], 1);
		return -ENOBUFS;
	}
	r = zcd.ptr1;
	r->peer = *peer;
	r->session_slot = slot;
	r->rx_tsc = h->answering_rx_tsc;
	r->rx_nic_ts = 0;
	r->rx_ts_src = GS_RX_TS_TSC;
	memset(&r->hdr, 0, sizeof(r->hdr));
	r->hdr.type = type;
	r->hdr.session_id = session_id;
	if (tag != NULL)
		memcpy(r->hdr.auth_tag, tag, sizeof(r->hdr.auth_tag));
	if (pb != NULL) {
		r->hdr.payload_len = (uint16_t)protobuf_c_message_pack(pb, r->payload);
	} else {
		memcpy(r->payload, raw, raw_len);
		r->hdr.payload_len = (uint16_t)raw_len;
	}
	rte_ring_enqueue_zc_elem_finish(h->tx[lcore], 1);
	/* the first reply of a pass is announced at once, the rest after the pass */
	if ((h->replied & (1u << lcore)) == 0)
		gs_doorbell_ring(
			&h->ctl->lcore_wake[lcore].posted, GS_REPLY_BIT(h->cls, h->instance));
	h->replied |= 1u << lcore;
	gs_ctr_add(&h->slot->replied, 1);
	return 0;
}

static int
reply_pb(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer, uint32_t slot,
	uint32_t session_id, const uint8_t *tag, uint8_t type, const ProtobufCMessage *pb)
{
	return reply_into(h, lcore, peer, slot, session_id, tag, type, pb, NULL, 0);
}

int
gs_handler_reply_pb(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer,
	uint32_t slot, uint32_t session_id, uint8_t type, const ProtobufCMessage *pb)
{
	return reply_pb(h, lcore, peer, slot, session_id, NULL, type, pb);
}

int
gs_handler_send_pb(struct gs_handler *h, unsigned int lcore, const struct gs_session_tbl *tbl,
	const struct gs_session *to, uint8_t type, const ProtobufCMessage *pb)
{
	if (to == NULL || __atomic_load_n(&to->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE)
		return -ENOENT;
	return reply_pb(
		h, lcore, &to->peer, gs_session_slot(tbl, to), to->session_id, NULL, type, pb);
}

int
gs_handler_send_raw(struct gs_handler *h, unsigned int lcore, const struct gs_session_tbl *tbl,
	const struct gs_session *to, uint8_t type, const uint8_t *payload, size_t len)
{
	if (to == NULL || __atomic_load_n(&to->state, __ATOMIC_ACQUIRE) != GS_SESS_ACTIVE)
		return -ENOENT;
	return reply_into(h, lcore, &to->peer, gs_session_slot(tbl, to), to->session_id, NULL, type,
		NULL, payload, len);
}

void *
gs_handler_class_zone(struct gs_handler *h, const char *name, size_t size)
{
	char zname[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;
	int n;

	n = snprintf(zname, sizeof(zname), GS_MZ_CLASS_FMT, h->class_name, name);
	if (n < 0 || (size_t)n >= sizeof(zname) || strlen(name) > GS_CLASS_ZONE_NAME_MAX) {
		GS_LOG(ERR, "class zone '%s': a name of at most %d characters", name,
			GS_CLASS_ZONE_NAME_MAX);
		return NULL;
	}
	mz = rte_memzone_lookup(zname);
	if (mz == NULL) {
		mz = rte_memzone_reserve(zname, size, SOCKET_ID_ANY, RTE_MEMZONE_SIZE_HINT_ONLY);
		if (mz != NULL)
			memset(mz->addr, 0, size);
		else if (rte_errno == EEXIST) /* another instance made it meanwhile */
			mz = rte_memzone_lookup(zname);
	}
	if (mz == NULL) {
		GS_LOG(ERR, "class zone %s (%zu bytes): %s", zname, size, rte_strerror(rte_errno));
		return NULL;
	}
	if (mz->len < size) {
		GS_LOG(ERR,
			"class zone %s has %zu bytes, this build wants %zu: another build of the class made it (stop every instance of it, then reload the class away and back)",
			zname, mz->len, size);
		return NULL;
	}
	return mz->addr;
}

int
gs_handler_reply_connect_pb(struct gs_handler *h, unsigned int lcore, const struct gs_msg *req,
	uint8_t type, const ProtobufCMessage *pb)
{
	return reply_pb(h, lcore, &req->peer, 0, 0, req->hdr.auth_tag, type, pb);
}

void
gs_handler_reject(struct gs_handler *h, unsigned int why)
{
	if (why < GS_REJECT_MAX + h->n_own_rejects)
		gs_ctr_add(&h->slot->rejected[why], 1);
}

unsigned int
gs_handler_rejects_declare(struct gs_handler *h, const char *const *names, unsigned int n)
{
	if (n > GS_HANDLER_OWN_REJECTS) {
		GS_LOG(WARNING,
			"%u own reject reasons, the slot has room for %d: the rest are not counted",
			n, GS_HANDLER_OWN_REJECTS);
		n = GS_HANDLER_OWN_REJECTS;
	}
	h->n_own_rejects = n;
	for (unsigned int i = 0; i < GS_HANDLER_OWN_REJECTS; i++)
		declare_name(h->slot->reject_names[i], "reject reason", i < n ? names[i] : NULL);
	return GS_REJECT_MAX;
}

void
gs_handler_detach(struct gs_handler *h)
{
	uint32_t state;

	if (h->slot == NULL || h->slot->pid != getpid() ||
		__atomic_load_n(&h->slot->generation, __ATOMIC_ACQUIRE) != h->generation)
		return;
	/* a slot the primary already marked dead stays as it is */
	state = __atomic_load_n(&h->slot->state, __ATOMIC_ACQUIRE);
	if (state != GS_SLOT_RUNNING && state != GS_SLOT_STOPPING && state != GS_SLOT_ATTACHING)
		return;
	/* the pid stays: the last holder, for gs-ctl status */
	__atomic_compare_exchange_n(
		&h->slot->state, &state, GS_SLOT_FREE, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
