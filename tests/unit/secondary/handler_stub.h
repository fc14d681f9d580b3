/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_TEST_HANDLER_STUB_H
#define GS_TEST_HANDLER_STUB_H

/*
 * What the handler cores' tests (session, move, combat) share: the handler
 * runtime's replies and rejects, recorded instead of going to the rings
 * (gs_handler_reply_pb, gs_handler_reply_connect_pb and gs_handler_reject,
 * replaced with -Wl,--wrap: see tests/CMakeLists.txt), a fake gs_handler,
 * requests built inline, and an EAL without hugepages for the session table
 * and the world (memzones and rte_hash in this process only).
 */
#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_handler.h"
#include "gs_session_tbl.h"
#include "gs_world.h"

#define STUB_MAX_REPLIES 64

/** One reply a handler sent, as the primary would have found it in the ring. */
struct stub_reply {
	unsigned int lcore;
	struct gs_peer peer;
	uint32_t slot;
	uint32_t session_id;
	uint8_t type;
	bool to_connect;	       /* gs_handler_reply_connect_pb(): to a CONNECT, no session */
	uint8_t tag[GS_WIRE_AUTH_LEN]; /* to_connect: the CONNECT's nonce, echoed */
	uint64_t rx_tsc;	       /* the request it answers (gs_handler_answering) */
	size_t len;
	uint8_t payload[GS_WIRE_MAX_PAYLOAD];
};

extern struct stub_reply stub_replies[STUB_MAX_REPLIES];
extern unsigned int stub_n_replies;
extern uint64_t stub_rejects[GS_REJECT_MAX];
/* what the reply functions return: 0, or -ENOBUFS to play a full reply ring */
extern int stub_reply_ret;

/** Forget every reply and reject recorded. */
void stub_reset(void);

/** Rejects of every reason recorded since stub_reset(). */
uint64_t stub_rejects_total(void);

/** The only reply recorded (CU-fails, and returns NULL, when there is not exactly one). */
const struct stub_reply *stub_only_reply(void);

/**
 * Bring the EAL up without hugepages, PCI or shared files (the session
 * table and the world are memzones and rte_hash of this process).
 *
 * @return 0, or -1 (said on stderr).
 */
int stub_eal_init(const char *prog);

/** Tear it down and remove its runtime directory. */
void stub_eal_fini(void);

/**
 * Create the session table (@p max_sessions) and the world (@p max_entities,
 * rules @p rules), replacing those of the test before.
 *
 * @return 0, or a negative errno (CU-failed).
 */
int stub_shm_create(uint32_t max_sessions, uint32_t max_entities,
	const struct gs_world_rules *rules, struct gs_session_tbl *tbl, struct gs_world **world);

/** A handler of class @p cls, instance 0, over control memory @p ctl (zeroed here). */
void stub_handler_init(struct gs_handler *h, struct gs_control *ctl, unsigned int cls,
	unsigned int n_lcores, uint64_t tsc_hz);

/**
 * The value of the handler's own count @p name (gs_handler_prog.events, as
 * gs-stats exports it) in @p ctx; CU-fails when no event has that name.
 */
uint64_t stub_event(
	const struct gs_handler_event *events, unsigned int n, const void *ctx, const char *name);

/** A distinct client address for each @p i. */
struct gs_peer stub_peer(uint32_t i);

/**
 * Build in @p m the request the primary would have passed on: from @p peer,
 * of @p type, for the session at table slot @p slot with id @p session_id,
 * arrived at @p rx_tsc, with @p pb packed as its payload (NULL: none).
 */
void stub_msg(struct gs_msg *m, const struct gs_peer *peer, uint8_t type, uint32_t slot,
	uint32_t session_id, uint32_t seq, uint64_t rx_tsc, const ProtobufCMessage *pb);

/** stub_msg() for a request of session @p s (its address, slot and id). */
void stub_msg_of(struct gs_msg *m, const struct gs_session_tbl *t, const struct gs_session *s,
	uint8_t type, uint32_t seq, uint64_t rx_tsc, const ProtobufCMessage *pb);

#endif /* GS_TEST_HANDLER_STUB_H */
