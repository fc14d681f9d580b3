/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_HANDLER_H
#define GS_HANDLER_H

/*
 * The runtime every handler secondary (session, move, combat) is built on:
 * attach to the primary's control memzone and check its layout, claim an
 * instance slot, consume the rings of every primary lcore, heartbeat, wait
 * with the configured idle policy, and stop cleanly when asked or when the
 * primary goes away.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_app.h"
#include "gs_idle.h"
#include "gs_sdk_version.h"
#include "gs_session_tbl.h"
#include "gs_shm_types.h"

#define GS_HANDLER_BURST 32

struct rte_ring;

/** Handle a burst of messages that primary lcore @p lcore received. */
typedef void gs_handler_burst_fn(
	void *arg, unsigned int lcore, const struct gs_msg *msgs, unsigned int n);
/** Housekeeping, called every tick (about 10 ms) with the TSC. */
typedef void gs_handler_tick_fn(void *arg, uint64_t now);

struct gs_handler_ops {
	gs_handler_burst_fn *burst;
	gs_handler_tick_fn *tick; /* may be NULL */
};

struct gs_handler {
	struct gs_control *ctl;
	struct gs_handler_slot *slot;
	const char *class_name; /* its [class.NAME] */
	unsigned int cls;	/* the id the running primary gave the class */
	unsigned int n_own_rejects;
	unsigned int instance;
	unsigned int n_lcores;
	uint64_t epoch;
	uint32_t generation;
	uint64_t tsc_hz;
	struct gs_idle_state idle;
	struct rte_ring *rx[GS_MAX_PRIMARY_LCORES]; /* primary -> handler */
	struct rte_ring *tx[GS_MAX_PRIMARY_LCORES]; /* handler -> primary */
	int wake_fd[GS_MAX_PRIMARY_LCORES];	    /* each primary lcore's eventfd, or -1 */
	uint32_t replied;	   /* lcores given replies since the last notify (bit mask) */
	uint64_t answering_rx_tsc; /* arrival of the request being handled (gs_handler_answering) */
	const struct gs_handler_event *events; /* the program's own counts, and their context */
	unsigned int n_events;
	const void *events_ctx;
	/* the duration histogram (gs_handler_hist_add), published in the slot when declared */
	uint64_t hist[GS_HANDLER_HIST_BUCKETS];
	uint64_t hist_ns;
};

/**
 * The handler is now handling request @p m: its replies until the next call
 * answer it, and carry its time of arrival, from which the primary measures
 * the request's residence time (gsnet_residence_seconds). Replies sent
 * outside a burst (from a tick) answer nothing.
 */
static inline void
gs_handler_answering(struct gs_handler *h, const struct gs_msg *m)
{
	h->answering_rx_tsc = m->rx_tsc;
}

/**
 * Wait up to @p wait_ms for a ready primary of the group and check that its
 * shared-memory layout is this build's (any secondary: handlers, tools).
 * Errors are logged with what to do about them.
 *
 * @return 0 and *@p out, -ENOTCONN (no live primary), -ETIMEDOUT (never
 *         ready), -EPROTO (layout or DPDK version differs: says what).
 */
int gs_control_attach(const struct gs_app *app, unsigned int wait_ms, struct gs_control **out);

/** Whether a handler may claim a slot now (gs_slot_claim_check()). */
enum gs_claim {
	GS_CLAIM_OK,   /* free or dead, and its last generation fully retired */
	GS_CLAIM_BUSY, /* held by another live process */
	GS_CLAIM_WAIT, /* its predecessor is not retired yet: the primary is on it */
};

/**
 * The claim rule, apart so that it can be tested. A slot is claimed only
 * when it is FREE or DEAD and every retire request of its generation has
 * been carried out (retired_req == retire_req): a reset the primary posted
 * for a predecessor killed while draining must not land on the new
 * handler's rings. The primary posts a request before it marks a slot DEAD.
 *
 * @param holder_alive  the slot's pid is another process that exists
 */
static inline enum gs_claim
gs_slot_claim_check(uint32_t state, uint32_t gen, uint32_t req, uint32_t done, bool holder_alive)
{
	if (state != GS_SLOT_FREE && state != GS_SLOT_DEAD && holder_alive)
		return GS_CLAIM_BUSY;
	if ((state == GS_SLOT_FREE || state == GS_SLOT_DEAD) &&
		(gen == 0 || (done == req && done >> 1 == gen)))
		return GS_CLAIM_OK;
	return GS_CLAIM_WAIT;
}

/**
 * Attach as instance @p app->instance of class @p app->class_name (the app
 * from gs_app_init_handler): wait up to @p wait_ms for a ready primary,
 * check the layout, find the class by name in the group's class table,
 * claim the slot, look the rings up. Errors are logged with what to do
 * about them.
 *
 * @return 0, -ENOTCONN (no live primary), -ETIMEDOUT (primary never ready),
 *         -EPROTO (layout or version mismatch), -EBUSY (instance held by a
 *         live process), -ERANGE (instance beyond the layout), -ESRCH (the
 *         group runs no such class), -ENOENT (a ring is missing).
 */
#define gs_handler_attach(h, app, wait_ms) gs_handler_attach_sdk(GS_SDK_VERSION, h, app, wait_ms)

/**
 * gs_handler_attach() of a handler built against SDK version @p sdk (what
 * the macro passes): refused with -EPROTO, both versions named, when the
 * group's SDK has another major or an older minor.
 */
int gs_handler_attach_sdk(
	uint32_t sdk, struct gs_handler *h, const struct gs_app *app, unsigned int wait_ms);

/**
 * Consume until *@p stop becomes non-zero or the primary goes away.
 *
 * @return 0 (stop requested), -ENOTCONN (primary died), -ESHUTDOWN (primary
 *         shutting down or restarted), -EOWNERDEAD (the slot was taken over).
 */
int gs_handler_run(struct gs_handler *h, const struct gs_handler_ops *ops, void *arg,
	volatile sig_atomic_t *stop);

/**
 * Reply with protobuf message @p pb as a message of @p type to @p peer
 * (session @p session_id at table slot @p slot; 0, 0 for no session), for
 * primary lcore @p lcore to frame and send. The payload is packed straight
 * into the reply ring's slot.
 *
 * @return 0, -EMSGSIZE (payload over GS_WIRE_MAX_PAYLOAD), -ENOBUFS (reply
 *         ring full: counted as reply_full).
 */
int gs_handler_reply_pb(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer,
	uint32_t slot, uint32_t session_id, uint8_t type, const ProtobufCMessage *pb);

/**
 * Send protobuf message @p pb as a message of @p type to session @p to of
 * table @p tbl (any session, not only the sender of a request: a chat line
 * to its hearers, DAMAGED to a target), through primary lcore @p lcore. The
 * primary frames it, numbers it in the session's sequence, tags it with the
 * session's key and sends it to the session's own address.
 *
 * @return as gs_handler_reply_pb(); -ENOENT when @p to is not an open session.
 */
int gs_handler_send_pb(struct gs_handler *h, unsigned int lcore, const struct gs_session_tbl *tbl,
	const struct gs_session *to, uint8_t type, const ProtobufCMessage *pb);

/**
 * gs_handler_send_pb() of a payload the handler encoded itself (@p len
 * bytes, at most GS_WIRE_MAX_PAYLOAD): a snapshot made once and sent as it
 * is. @return as gs_handler_send_pb().
 */
int gs_handler_send_raw(struct gs_handler *h, unsigned int lcore, const struct gs_session_tbl *tbl,
	const struct gs_session *to, uint8_t type, const uint8_t *payload, size_t len);

/**
 * A shared-memory zone of @p size bytes named @p name (at most 11
 * characters) that every instance of the handler's class sees: the first to
 * ask creates it zeroed, the others find it. State the instances share (a
 * chat's channel members) lives there and outlives any instance, so a
 * restarted or second instance carries on where another stopped. Call it
 * from the program's init (before the handler is killable at any instant).
 *
 * @return the zone, or NULL (logged: no memory, a name too long, or a zone
 *         of this name with another size, e.g. from another build).
 */
void *gs_handler_class_zone(struct gs_handler *h, const char *name, size_t size);

/**
 * gs_handler_reply_pb() to @p req, a CONNECT, for which there is no session:
 * to its source address, with session id 0 and @p req's auth_tag field (the
 * client's connect nonce) echoed in the reply's, which the primary sends
 * as it is. The client believes an answer of session 0 only with its nonce
 * (docs/PROTOCOL.md, "Security").
 *
 * @return as gs_handler_reply_pb().
 */
int gs_handler_reply_connect_pb(struct gs_handler *h, unsigned int lcore, const struct gs_msg *req,
	uint8_t type, const ProtobufCMessage *pb);

/**
 * Count a rejected message (handler-side validation): @p why is an enum
 * gs_reject, or one of the handler's own reasons (gs_handler_rejects_declare).
 */
void gs_handler_reject(struct gs_handler *h, unsigned int why);

/**
 * Declare the handler's own reject reasons (at most GS_HANDLER_OWN_REJECTS,
 * names of 1 to GS_HANDLER_EVENT_NAME - 1 characters of [a-z0-9_]): their
 * names go in the slot, so gs-stats exports their counts as
 * gsnet_handler_rejected_total{class,instance,reason}. A reason with
 * another name is logged and still counted, but not exported by name.
 *
 * @return the reason number of names[0]; names[k] is that + k.
 */
unsigned int gs_handler_rejects_declare(
	struct gs_handler *h, const char *const *names, unsigned int n);

/**
 * Name the handler's duration histogram @p name (1 to GS_HANDLER_EVENT_NAME - 1
 * characters of [a-z0-9_], e.g. "tick") in the slot, and publish what
 * gs_handler_hist_add() counts from now on, every tick and at exit, with
 * the own counts: gs-stats exports it as the Prometheus histogram
 * gsnet_handler_duration_seconds{class,instance,name} and its p50 and p99
 * in its JSON and table, telemetry's /gsnet/handler,<class>,<instance> as
 * <name>_p50_us, <name>_p99_us and <name>_count, gs-ctl status on the
 * instance's line. One histogram per instance: a second call renames it.
 *
 * @return 0, or -EINVAL (a name that is empty, too long or has another
 *         character: logged, nothing published).
 */
int gs_handler_hist_declare(struct gs_handler *h, const char *name);

/**
 * Count a duration of @p ns in the handler's histogram (buckets
 * GS_HANDLER_HIST_BOUNDS_NS): a few compares and two additions on the
 * handler's own copy, no atomic, no syscall; gs_handler_run() copies it into
 * the slot every tick. Call it from the handler's own callbacks (burst,
 * tick), not from another thread.
 */
static inline void
gs_handler_hist_add(struct gs_handler *h, uint64_t ns)
{
	static const uint64_t bounds[GS_HANDLER_HIST_BUCKETS] = GS_HANDLER_HIST_BOUNDS_NS;
	unsigned int b = 0;

	while (ns > bounds[b]) /* the last bound is UINT64_MAX: it stops there */
		b++;
	h->hist[b]++;
	h->hist_ns += ns;
}

/** Release the slot (clean exit). */
void gs_handler_detach(struct gs_handler *h);

/** A handler program: what gs_handler_main() runs. */
/*
 * One of a handler's own counts, published in its slot for gs-stats and
 * gs-ctl: its name, and where the handler keeps it (a uint64_t at @c off in
 * the program's context).
 */
struct gs_handler_event {
	const char *name;
	size_t off;
};

struct gs_handler_prog {
	const char *name;	/* "gs-move" */
	const char *class_name; /* its [class.NAME]: "move" */
	/* the handler's own counts (at most GS_HANDLER_EVENTS), published every tick */
	const struct gs_handler_event *events;
	unsigned int n_events;
	bool single_instance; /* only instance 0 may run (a single writer) */
	/* the own keys of its [class.NAME] section it reads (NULL-ended; NULL: none): others are refused */
	const char *const *params;
	/* set up @p ctx once attached; < 0 ends the program */
	int (*init)(void *ctx, struct gs_handler *h, const struct gs_cfg *cfg);
	/* log the exit summary; @p why is gs_handler_run()'s result */
	void (*report)(void *ctx, int why);
	struct gs_handler_ops ops;
};

/**
 * Name the program's own counts in the slot (at most GS_HANDLER_EVENTS; the
 * rest are dropped with a warning) and publish them from @p ctx from now on,
 * every tick and at exit: gs-stats exports them as
 * gsnet_handler_events_total{class,instance,event}, gs-ctl status shows them.
 * A name is 1 to GS_HANDLER_EVENT_NAME - 1 characters of [a-z0-9_]; a count
 * with another name is logged and not exported.
 */
void gs_handler_events_declare(struct gs_handler *h, const struct gs_handler_event *events,
	unsigned int n, const void *ctx);

/**
 * The whole main() of a handler secondary: options, config and EAL
 * (gs_app_init), SIGINT/SIGTERM, attach, init, run, report, detach.
 *
 * @return the process exit code (enum gs_exit).
 */
#define gs_handler_main(argc, argv, prog, ctx) \
	gs_handler_main_sdk(GS_SDK_VERSION, argc, argv, prog, ctx)

/** gs_handler_main() of a program built against SDK version @p sdk (what the macro passes). */
int gs_handler_main_sdk(
	uint32_t sdk, int argc, char **argv, const struct gs_handler_prog *prog, void *ctx);

#endif /* GS_HANDLER_H */
