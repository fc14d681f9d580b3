/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GSCLIENT_H
#define GSCLIENT_H

/*
 * libgsclient: the client side of the gsnet protocol (session, movement and
 * combat messages) over plain kernel UDP sockets, with no DPDK. It frames
 * datagrams (game header + protobuf-c payload), parses them without malloc,
 * and runs one player's session state machine. It does no I/O itself: the caller owns sockets and clocks, passes
 * every received datagram to gsc_session_input() and sends what the
 * gsc_session_*() producers write into its buffer.
 *
 * All times are CLOCK_MONOTONIC nanoseconds (gsc_now_ns()) passed in by the
 * caller, so tests can drive the state machine with a fake clock.
 *
 * World replication (SNAPSHOT, SNAPSHOT_ACK) is opt-in: a session with a
 * struct gsc_repl attached (gsc_session_set_repl(), gsc_repl.h) applies the
 * server's snapshots to its views and acks them; without one a SNAPSHOT is a
 * type the library does not decode.
 *
 * A game's own messages (a handler class the library does not know, with
 * payloads the game encodes itself) go through the same session:
 * gsc_session_raw() frames, numbers and tags bytes the caller encoded, and
 * after gsc_session_set_raw_rx() gsc_session_input() hands over the
 * datagrams of types the library does not decode as GSC_EVENT_RAW (type,
 * payload, length), checked like every other datagram of the session.
 */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_auth.h"
#include "gs_pb_arena.h"
#include "gs_wire.h"

#include "combat.pb-c.h"
#include "gsc_repl.h"
#include "move.pb-c.h"
#include "replicate.pb-c.h"
#include "session.pb-c.h"

/** Largest datagram the library builds or accepts (header + max payload). */
#define GSC_DATAGRAM_MAX (GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD)

/*
 * Bytes of unpack arena in each struct gsc_msg. The largest known message
 * (a SessionError with a 1200-byte detail) needs about 1.3 KB; the rest leaves
 * room for unknown fields from newer servers. A payload that needs more is
 * refused as malformed.
 */
#define GSC_MSG_ARENA_SIZE 4096u

/** Heartbeats a session remembers while waiting for their HEARTBEAT_ACK. */
#define GSC_HB_RING 64u

/**
 * Size of per-type counter arrays, indexed by enum gs_msg_type: covers every
 * type the library knows (session, movement, combat and replication
 * messages). Raw messages of higher types count only in tx_raw and rx_raw.
 */
#define GSC_MSG_TYPES (GS_MSG_SNAPSHOT_ACK + 1)

/** A datagram decoded by gsc_frame_parse(): the unpacked message u lives in mem. */
struct gsc_msg {
	struct gs_hdr hdr;
	enum gs_hdr_err hdr_err; /* why the header was refused, GS_HDR_OK otherwise */
	const uint8_t *payload;	 /* raw payload bytes, inside the parsed datagram */

	union {
		ProtobufCMessage *base; /* NULL unless a known type unpacked */
		Gs__Connect *connect;
		Gs__ConnectAccept *accept;
		Gs__Heartbeat *heartbeat;
		Gs__HeartbeatAck *heartbeat_ack;
		Gs__Disconnect *disconnect;
		Gs__SessionError *error;
		Gs__Challenge *challenge;
		Gs__Move *move;
		Gs__MoveAck *move_ack;
		Gs__MoveReject *move_reject;
		Gs__Attack *attack;
		Gs__AttackResult *attack_result;
		Gs__Damaged *damaged;
		Gs__SnapshotAck *snapshot_ack;
	} u;
	struct gs_pb_arena arena;
	alignas(16) uint8_t mem[GSC_MSG_ARENA_SIZE];
};

enum gsc_state {
	GSC_STATE_DISCONNECTED = 0, /* fresh: nothing sent yet */
	GSC_STATE_CONNECTING,	    /* CONNECT sent, waiting for CONNECT_ACCEPT */
	GSC_STATE_CONNECTED,
	GSC_STATE_CLOSED, /* by us (DISCONNECT sent), the server, or a SESSION_ERROR */
};

/** What an accepted datagram meant to the session (see gsc_session_input()). */
enum gsc_event_type {
	GSC_EVENT_NONE = 0,	 /* accepted, nothing to report (e.g. a duplicate accept) */
	GSC_EVENT_CONNECTED,	 /* CONNECT_ACCEPT: rtt_ns and elapsed_ns are set */
	GSC_EVENT_HEARTBEAT_ACK, /* rtt_ns and late are set */
	GSC_EVENT_DISCONNECTED,	 /* the server sent DISCONNECT; code is its reason */
	GSC_EVENT_ERROR,	 /* SESSION_ERROR; code is its Gs__SessionError__Code */
	GSC_EVENT_MOVE_ACK,	 /* u.move_ack and rtt_ns are set */
	GSC_EVENT_MOVE_REJECT,	 /* u.move_reject and rtt_ns are set */
	GSC_EVENT_ATTACK_RESULT, /* u.attack_result and rtt_ns are set */
	GSC_EVENT_DAMAGED,	 /* u.damaged is set: our entity was hit */
	GSC_EVENT_CHALLENGE,	 /* CHALLENGE: send gsc_session_connect() again now */
	GSC_EVENT_RAW,		 /* a type the library does not decode: u.raw is set */
	GSC_EVENT_SNAPSHOT,	 /* SNAPSHOT (with gsc_session_set_repl()): u.snapshot is set */
};

struct gsc_event {
	enum gsc_event_type type;
	uint64_t rtt_ns;     /* now - client_time_ns echoed by the server */
	uint64_t elapsed_ns; /* CONNECTED: time since the first CONNECT */
	bool late;	     /* HEARTBEAT_ACK for a heartbeat that left the ring */
	int code;	     /* DISCONNECTED reason or SESSION_ERROR code */

	/*
	 * The unpacked payload, in the session: valid until its next gsc_session_input().
	 * GSC_EVENT_RAW: the payload as it came, inside the datagram the caller passed
	 * to gsc_session_input() (valid as long as that buffer is).
	 */
	union {
		const Gs__MoveAck *move_ack;
		const Gs__MoveReject *move_reject;
		const Gs__AttackResult *attack_result;
		const Gs__Damaged *damaged;

		struct {
			uint8_t type;		/* the header's type */
			uint16_t len;		/* payload bytes, at most GS_WIRE_MAX_PAYLOAD */
			const uint8_t *payload; /* never NULL, also when len is 0 */
		} raw;

		/*
		 * Applied (the session's gsc_repl has a new view), or dropped as
		 * old or without its baseline; send gsc_session_snapshot_ack()
		 * when .ack is set.
		 */
		struct gsc_snapshot_info snapshot;
	} u;
};

/** Per-session counters. A received datagram counts in rx_pkts or one refusal counter. */
struct gsc_stats {
	uint64_t tx_pkts;		    /* datagrams produced */
	uint64_t tx_by_type[GSC_MSG_TYPES]; /* ... by type */
	uint64_t rx_pkts;		    /* datagrams accepted */
	uint64_t rx_by_type[GSC_MSG_TYPES]; /* ... by type */
	uint64_t rx_bad;		    /* -EBADMSG: header or payload refused */
	uint64_t rx_not_session;	    /* -ENOMSG: a message type the library does not know */
	uint64_t rx_wrong_session;	    /* -ESTALE: header session_id not ours */
	uint64_t rx_unexpected;		    /* -EPROTO: not valid in this state */
	uint64_t rx_dup_accept;		    /* CONNECT_ACCEPT again (CONNECT retransmits) */
	uint64_t seq_gaps;		    /* server sequence numbers skipped */
	uint64_t seq_reordered;		    /* server datagrams older than the newest */
	uint64_t hb_acked;		    /* HEARTBEAT_ACKs matched in the ring */
	uint64_t hb_late;		    /* ... matched after leaving the ring */
	uint64_t hb_evicted;		    /* heartbeats pushed out of the ring unacked */
	uint64_t session_errors;	    /* SESSION_ERRORs received */
	uint64_t challenges;		    /* CHALLENGEs received */
	uint64_t rx_bad_tag;		    /* -EACCES: auth tag wrong (forged or altered), or a
					       CHALLENGE or SESSION_ERROR of session 0 that does
					       not echo the connect nonce */
	uint64_t rx_replayed;		    /* -EALREADY: a server sequence number seen already */
	uint64_t tx_raw;		    /* of tx_pkts: produced by gsc_session_raw() */
	uint64_t rx_raw;		    /* of rx_pkts: handed over as GSC_EVENT_RAW */
};

/** One player's session. Initialise with gsc_session_init(); fields are read-only. */
struct gsc_session {
	enum gsc_state state;
	uint64_t player_id;
	uint32_t session_id; /* 0 until CONNECT_ACCEPT */
	uint32_t entity_id;  /* from CONNECT_ACCEPT: the player's entity */
	float spawn[3];	     /* from CONNECT_ACCEPT: where that entity starts (x, y, z) */
	uint32_t tx_seq;     /* sequence number of the next datagram we produce */
	uint32_t rx_seq_next;
	bool rx_seq_valid;		/* rx_seq_next is set (a server datagram was accepted) */
	uint32_t heartbeat_interval_ms; /* from CONNECT_ACCEPT */
	uint32_t idle_timeout_ms;	/* from CONNECT_ACCEPT */
	uint64_t first_connect_ns;	/* time of the first CONNECT */
	uint64_t connected_ns;		/* time CONNECT_ACCEPT arrived */
	int error_code;			/* last SESSION_ERROR code, -1 if none */
	int disconnect_reason;		/* server DISCONNECT reason, -1 if none */
	uint64_t last_rtt_ns;		/* of the last HEARTBEAT_ACK */
	/* Heartbeats in flight: send times (0 = free), slot = heartbeat number % ring. */
	uint64_t hb_ring[GSC_HB_RING];
	uint64_t hb_sent;	 /* heartbeats produced */
	uint64_t hb_last_ns;	 /* client_time_ns of the last heartbeat, strictly increasing */
	uint64_t hb_evict_max;	 /* newest send time evicted unacked */
	uint32_t hb_outstanding; /* used ring slots */
	/* connect token (gsc_session_set_token()): CONNECT carries it, packets are tagged */
	bool secure;
	uint8_t token[GS_TOKEN_LEN];
	uint8_t c2s_key[GS_PKT_KEY_LEN];
	uint8_t s2c_key[GS_PKT_KEY_LEN];
	uint8_t cookie[GS_COOKIE_LEN]; /* from the last CHALLENGE, sent once */
	bool have_cookie;
	/*
	 * Random, drawn when a connect attempt starts (DISCONNECTED -> CONNECTING):
	 * the auth_tag field of every CONNECT of the attempt. The server echoes it
	 * in its answers of session 0 (CHALLENGE, SESSION_ERROR), so an off-path
	 * sender who knows only our address cannot forge them.
	 */
	uint8_t connect_nonce[GS_WIRE_AUTH_LEN];
	struct gs_replay rx_replay; /* server sequence numbers accepted */
	bool raw_rx;	       /* gsc_session_set_raw_rx(): unknown types become GSC_EVENT_RAW */
	struct gsc_repl *repl; /* gsc_session_set_repl(): SNAPSHOTs are applied to it */
	struct gsc_stats stats;
	struct gsc_msg rx; /* the last datagram gsc_session_input() parsed */
};

/*
 * A log-bucket latency histogram (HDR-style): exact below 128, then 128
 * sub-buckets per power of two, so every bucket is less than 0.8% wide.
 */
#define GSC_HIST_SUB_BITS 7
#define GSC_HIST_BUCKETS  ((64 - GSC_HIST_SUB_BITS + 1) << GSC_HIST_SUB_BITS)

struct gsc_hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
	uint64_t bucket[GSC_HIST_BUCKETS];
};

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t gsc_now_ns(void);

/**
 * Build a datagram: game header then @p payload packed right after it in @p buf
 * (no allocation). The header gets magic, version, @p type, @p session_id,
 * @p seq, the payload length, flags 0 and a zero auth tag.
 *
 * @param payload  a message whose descriptor matches @p type (e.g. Gs__Connect for
 *                 GS_MSG_CONNECT, Gs__MoveAck for GS_MSG_MOVE_ACK)
 * @param len      set to the datagram length on success
 * @return 0, or -EINVAL (NULL argument, a type the library does not know, or a
 *         payload of another type), -EMSGSIZE (payload longer than GS_WIRE_MAX_PAYLOAD),
 *         -ENOSPC (@p cap too small for header + payload).
 */
int gsc_frame_build(uint8_t *buf, size_t cap, uint8_t type, uint32_t session_id, uint32_t seq,
	const ProtobufCMessage *payload, size_t *len);

/**
 * Build a datagram like gsc_frame_build(), of any @p type, with @p payload_len
 * bytes the caller encoded as its payload, copied after the header (they may
 * already be in place at @p buf + GS_WIRE_HDR_LEN).
 *
 * @return 0, or -EINVAL (@p buf or @p len NULL, or @p payload NULL with a
 *         non-zero @p payload_len), -EMSGSIZE (@p payload_len above
 *         GS_WIRE_MAX_PAYLOAD), -ENOSPC (@p cap too small for header + payload).
 */
int gsc_frame_build_raw(uint8_t *buf, size_t cap, uint8_t type, uint32_t session_id, uint32_t seq,
	const uint8_t *payload, size_t payload_len, size_t *len);

/**
 * Decode a received datagram: validate the game header, then unpack the
 * payload of a known type into @p out's arena (no malloc). @p out must stay where it is while
 * the unpacked message is in use, and @p buf must outlive out->payload.
 *
 * @return 0 (out->hdr and out->u are set), or -EINVAL (NULL argument),
 *         -EBADMSG (header refused: out->hdr_err says why; or the payload does
 *         not unpack or does not fit the arena), -ENOMSG (a valid header of a
 *         type the library does not know: out->hdr and out->payload are set,
 *         out->u.base is NULL).
 */
int gsc_frame_parse(const uint8_t *buf, size_t len, struct gsc_msg *out);

/** Reset @p s to DISCONNECTED for player @p player_id, counters zeroed. */
void gsc_session_init(struct gsc_session *s, uint64_t player_id);

/**
 * Give the session the connect token a game's backend issued for this
 * player, and the token's two packet keys (before the first
 * gsc_session_connect()). From then on CONNECT carries the token (and the
 * cookie of a CHALLENGE), every datagram sent is tagged with @p c2s and every
 * datagram received for the session must carry a right tag under @p s2c and
 * a sequence number not seen before.
 */
void gsc_session_set_token(struct gsc_session *s, const uint8_t token[GS_TOKEN_LEN],
	const uint8_t c2s[GS_PKT_KEY_LEN], const uint8_t s2c[GS_PKT_KEY_LEN]);

/**
 * Read one line of `gs-token mint`: "player=N expires=S token=HEX c2s=HEX
 * s2c=HEX" (the words in any order; @p line is cut up by strtok_r).
 *
 * @return 0 with the token and both packet keys, or -EINVAL when any of the
 *         three is missing or not hex of its length.
 */
int gsc_token_line_parse(char *line, uint8_t token[GS_TOKEN_LEN], uint8_t c2s[GS_PKT_KEY_LEN],
	uint8_t s2c[GS_PKT_KEY_LEN]);

/**
 * Produce a CONNECT (session_id 0, Connect{client_version 1, player_id,
 * client_time_ns = @p now_ns}; with a token: the token, the cookie of the
 * last CHALLENGE if one came since the last CONNECT, and padding up to
 * GS_CONNECT_MIN_PAYLOAD) into @p buf and enter CONNECTING. Call again to
 * retransmit, and at once after a GSC_EVENT_CHALLENGE; every call uses the
 * next sequence number.
 *
 * The header's auth_tag field carries the attempt's connect nonce: drawn
 * (libsodium randombytes_buf) by the call that leaves DISCONNECTED, the
 * same in every CONNECT until the session is initialised again.
 *
 * @return 0 and *len, or -EISCONN (already CONNECTED), -ESHUTDOWN (CLOSED:
 *         gsc_session_init() it first), -ENOSPC (@p cap too small), -EIO
 *         (libsodium cannot initialise), -EINVAL.
 */
int gsc_session_connect(
	struct gsc_session *s, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *len);

/**
 * Produce a HEARTBEAT{client_time_ns = @p now_ns} into @p buf and remember its
 * send time in the ring (evicting, and counting, the oldest unacked one when
 * the ring is full). Send times are made strictly increasing so that every
 * echo identifies one heartbeat.
 *
 * @return 0 and *len, or -ENOTCONN (not CONNECTED), -ENOSPC (@p cap too small),
 *         -EINVAL.
 */
int gsc_session_heartbeat(
	struct gsc_session *s, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *len);

/**
 * Produce a DISCONNECT{reason CLIENT_QUIT} into @p buf and enter CLOSED.
 * HEARTBEAT_ACKs still in flight are accepted afterwards.
 *
 * @return 0 and *len, or -ENOTCONN (not CONNECTED), -ENOSPC (@p cap too small),
 *         -EINVAL.
 */
int gsc_session_disconnect(struct gsc_session *s, uint8_t *buf, size_t cap, size_t *len);

/**
 * Produce a MOVE{entity_id @p entity, @p x, @p y, @p z, @p seq, client_time_ns =
 * @p now_ns} into @p buf. The server answers MOVE_ACK or MOVE_REJECT, or
 * nothing when @p seq is not above the last one it saw for the entity.
 *
 * @param entity  normally s->entity_id; another one is refused with NOT_OWNER
 * @return 0 and *len, or -ENOTCONN (not CONNECTED), -ENOSPC (@p cap too small),
 *         -EINVAL.
 */
int gsc_session_move(struct gsc_session *s, uint64_t now_ns, uint32_t entity, float x, float y,
	float z, uint32_t seq, uint8_t *buf, size_t cap, size_t *len);

/**
 * Produce an ATTACK{attacker = s->entity_id, @p target, @p skill, @p seq,
 * client_time_ns = @p now_ns} into @p buf. The server answers ATTACK_RESULT.
 *
 * @return 0 and *len, or -ENOTCONN (not CONNECTED), -ENOSPC (@p cap too small),
 *         -EINVAL.
 */
int gsc_session_attack(struct gsc_session *s, uint64_t now_ns, uint32_t target, uint32_t skill,
	uint32_t seq, uint8_t *buf, size_t cap, size_t *len);

/**
 * Produce a message of a type the library need not know (a game's own
 * handler class: its type must be one the server's primary dispatches) with
 * @p payload_len bytes the caller encoded (its own protobuf, say) into
 * @p buf: framed, numbered with the session's next sequence number and, with
 * a token, tagged exactly like the built-in messages.
 *
 * @param type  GS_MSG_MOVE_FIRST (16) or above: the session types (0-15) are
 *              the state machine's own, and a raw CONNECT, HEARTBEAT or
 *              DISCONNECT would leave it behind
 * @return 0 and *len, or -EINVAL (@p s, @p buf or @p len NULL, @p payload NULL
 *         with a non-zero @p payload_len, or @p type below 16), -ENOTCONN (not
 *         CONNECTED), -EMSGSIZE (@p payload_len above GS_WIRE_MAX_PAYLOAD, 1200),
 *         -ENOSPC (@p cap too small). Nothing is produced or counted on error.
 */
int gsc_session_raw(struct gsc_session *s, uint8_t type, const uint8_t *payload, size_t payload_len,
	uint8_t *buf, size_t cap, size_t *len);

/**
 * Attach @p r (gsc_repl_init()ed, for this session: initialise it again for a
 * new one) or detach (NULL, the default after gsc_session_init()). Attached,
 * a SNAPSHOT of the session is applied to @p r by gsc_session_input()
 * (GSC_EVENT_SNAPSHOT); detached, it is a type the library does not decode.
 * @p r stays the caller's and must outlive the attachment.
 */
void gsc_session_set_repl(struct gsc_session *s, struct gsc_repl *r);

/**
 * Produce a SNAPSHOT_ACK{tick = the newest view's} into @p buf: after every
 * GSC_EVENT_SNAPSHOT whose .ack is set. Counted in the gsc_repl's acks_sent.
 *
 * @return 0 and *len, or -EINVAL (@p s, @p buf or @p len NULL, or no gsc_repl
 *         attached), -ENOTCONN (not CONNECTED), -ENODATA (no snapshot applied
 *         yet), -ENOSPC (@p cap too small).
 */
int gsc_session_snapshot_ack(struct gsc_session *s, uint8_t *buf, size_t cap, size_t *len);

/**
 * Hand over (@p on) or refuse (the default after gsc_session_init()) the
 * datagrams of types the library does not decode. Handed over, such a
 * datagram gets the checks of a game answer (below, gsc_session_input()) and
 * becomes a GSC_EVENT_RAW with its type, payload and length; refused, it is
 * -ENOMSG and counted in rx_not_session.
 */
void gsc_session_set_raw_rx(struct gsc_session *s, bool on);

/**
 * Feed one received datagram to the session, at time @p now_ns.
 *
 * Accepted:
 * - CONNECT_ACCEPT while CONNECTING: the header and payload session ids must be
 *   equal and non-zero; stores them, the heartbeat interval, idle timeout,
 *   entity and spawn position; CONNECTED. Again while CONNECTED with the same id: a duplicate (no event).
 * - HEARTBEAT_ACK while CONNECTED or CLOSED by us: matched to its heartbeat by
 *   the echoed client_time_ns; rtt_ns = now - echo.
 * - DISCONNECT while CONNECTED: CLOSED, reason recorded.
 * - SESSION_ERROR naming our session while CONNECTING or CONNECTED, or of
 *   session 0 (an answer to our CONNECT) while CONNECTING: CLOSED, code
 *   recorded.
 * - CHALLENGE (session_id 0) while CONNECTING with a token: the cookie is kept
 *   for the next CONNECT (GSC_EVENT_CHALLENGE); a later one replaces it.
 * A CHALLENGE or SESSION_ERROR of session 0 must echo this attempt's connect
 * nonce in its auth_tag field (else -EACCES, nothing changes), and is
 * -EPROTO in any state but CONNECTING.
 * With a token, a datagram with a non-zero session_id must carry the right
 * auth tag (else -EACCES) and a sequence number not accepted before (else
 * -EALREADY).
 * - MOVE_ACK, MOVE_REJECT, ATTACK_RESULT (rtt_ns = now - echoed client_time_ns)
 *   and DAMAGED once the session was accepted, also after it CLOSED (answers
 *   still in flight): ev->u points at the payload, which stays in @p s until
 *   the next call. Their seq, entity and contents are the caller's to check.
 * - With gsc_session_set_raw_rx(), any type the library does not decode, on
 *   the same terms: GSC_EVENT_RAW, ev->u.raw points into @p buf.
 * - SNAPSHOT with gsc_session_set_repl(), on the same terms:
 *   GSC_EVENT_SNAPSHOT; applied to the gsc_repl, or dropped (not newer than
 *   its newest view, or its baseline no longer held: ev->u.snapshot.drop),
 *   which is no error. One that does not decode or that gs_repl_apply()
 *   refuses is -EBADMSG (and dropped_bad in the gsc_repl).
 * Every accepted datagram updates the server sequence tracking (gaps, reorders).
 *
 * @return 0 and @p ev, or (the datagram is counted in stats and otherwise
 *         ignored) -EBADMSG (malformed, or accept ids disagree), -ENOMSG (a
 *         message type the library does not know, without
 *         gsc_session_set_raw_rx()), -ESTALE (header session_id
 *         is not this session's), -EACCES (wrong auth tag, or no echo of the
 *         connect nonce), -EALREADY (replayed),
 *         -EPROTO (type not expected in this state, an
 *         ack that echoes no heartbeat of ours, or an echoed client time in the
 *         future), -EINVAL (NULL argument, not counted).
 */
int gsc_session_input(struct gsc_session *s, const uint8_t *buf, size_t len, uint64_t now_ns,
	struct gsc_event *ev);

/** Name of a session state ("CONNECTED"), for logs. */
const char *gsc_state_str(enum gsc_state st);

/** Empty @p h. */
void gsc_hist_reset(struct gsc_hist *h);

/** Record one value. */
void gsc_hist_add(struct gsc_hist *h, uint64_t v);

/**
 * Nearest-rank percentile @p p (0 < p <= 100) of the recorded values, within
 * 0.4% (the middle of its bucket, clamped to the recorded min and max);
 * p >= 100 gives the exact max.
 *
 * @return the value, or 0 when @p h is empty.
 */
uint64_t gsc_hist_percentile(const struct gsc_hist *h, double p);

#endif /* GSCLIENT_H */
