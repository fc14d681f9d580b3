/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the protobuf-c decoders of every game payload
 * (schemas/session.proto, move.proto, combat.proto, replicate.proto).
 *
 * Input: one selector byte, then the payload. The selector is the wire
 * message type (1 CONNECT .. 49 SNAPSHOT_ACK, docs/PROTOCOL.md); any other value
 * picks a message by its remainder, so every byte reaches a decoder.
 *
 * Each payload is unpacked twice: into a gs_pb_arena of the size the process
 * that decodes it uses (as the handlers and the client do), and with the
 * default allocator. Checked:
 * - the arena fails only where malloc succeeds if the arena ran out of room,
 *   and what it returns lies within the arena;
 * - what decoded is a valid message of its own type, packs to exactly
 *   get_packed_size bytes (and the same through pack_to_buffer), and both
 *   decodings pack to the same bytes;
 * - packing is canonical: what was packed unpacks and packs to the same
 *   bytes (known fields; see below for unknown ones).
 */
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "gs_pb_arena.h"
#include "gs_wire.h"

#include "combat.pb-c.h"
#include "fuzz_common.h"
#include "move.pb-c.h"
#include "replicate.pb-c.h"
#include "session.pb-c.h"

/* Arena sizes of the decoding processes (their arena_buf / mem arrays). */
#define ARENA_SESSION 2048u  /* gs-session: secondary/session/session.h */
#define ARENA_MOVE    1024u  /* gs-move: secondary/move/move.h */
#define ARENA_COMBAT  1024u  /* gs-combat: secondary/combat/combat.h */
#define ARENA_CLIENT  4096u  /* libgsclient: GSC_MSG_ARENA_SIZE, server -> client */
#define ARENA_REPL    65536u /* a SNAPSHOT: GS_REPL_ARENA_SIZE (shared/include/gs_repl.h) */
#define ARENA_ACK     1024u  /* a SNAPSHOT_ACK: a few bytes (the replication handler's) */

/* The generated functions of one message, over the common message type. */
struct pb_ops {
	uint8_t type;
	const ProtobufCMessageDescriptor *desc;
	size_t arena;
	ProtobufCMessage *(*unpack)(ProtobufCAllocator *alloc, size_t len, const uint8_t *data);
	size_t (*packed_size)(const ProtobufCMessage *m);
	size_t (*pack)(const ProtobufCMessage *m, uint8_t *out);
	size_t (*pack_to_buffer)(const ProtobufCMessage *m, ProtobufCBuffer *buf);
	void (*free_unpacked)(ProtobufCMessage *m, ProtobufCAllocator *alloc);
};

/* Typed wrappers: calling the generated functions through a cast pointer is undefined. */
#define PB_WRAP(lower, Camel)                                                                 \
	static ProtobufCMessage *lower##_unpack(                                              \
		ProtobufCAllocator *alloc, size_t len, const uint8_t *data)                   \
	{                                                                                     \
		return (ProtobufCMessage *)gs__##lower##__unpack(alloc, len, data);           \
	}                                                                                     \
	static size_t lower##_packed_size(const ProtobufCMessage *m)                          \
	{                                                                                     \
		return gs__##lower##__get_packed_size((const Gs__##Camel *)m);                \
	}                                                                                     \
	static size_t lower##_pack(const ProtobufCMessage *m, uint8_t *out)                   \
	{                                                                                     \
		return gs__##lower##__pack((const Gs__##Camel *)m, out);                      \
	}                                                                                     \
	static size_t lower##_pack_to_buffer(const ProtobufCMessage *m, ProtobufCBuffer *buf) \
	{                                                                                     \
		return gs__##lower##__pack_to_buffer((const Gs__##Camel *)m, buf);            \
	}                                                                                     \
	static void lower##_free_unpacked(ProtobufCMessage *m, ProtobufCAllocator *alloc)     \
	{                                                                                     \
		gs__##lower##__free_unpacked((Gs__##Camel *)m, alloc);                        \
	}

#define PB_OPS(msg_type, lower, arena_size)                                                \
	{                                                                                  \
		.type = msg_type, .desc = &gs__##lower##__descriptor, .arena = arena_size, \
		.unpack = lower##_unpack, .packed_size = lower##_packed_size,              \
		.pack = lower##_pack, .pack_to_buffer = lower##_pack_to_buffer,            \
		.free_unpacked = lower##_free_unpacked                                     \
	}

PB_WRAP(connect, Connect)
PB_WRAP(connect_accept, ConnectAccept)
PB_WRAP(heartbeat, Heartbeat)
PB_WRAP(heartbeat_ack, HeartbeatAck)
PB_WRAP(disconnect, Disconnect)
PB_WRAP(session_error, SessionError)
PB_WRAP(challenge, Challenge)
PB_WRAP(move, Move)
PB_WRAP(move_ack, MoveAck)
PB_WRAP(move_reject, MoveReject)
PB_WRAP(attack, Attack)
PB_WRAP(attack_result, AttackResult)
PB_WRAP(damaged, Damaged)
PB_WRAP(snapshot, Snapshot)
PB_WRAP(snapshot_ack, SnapshotAck)

static const struct pb_ops messages[] = {
	PB_OPS(GS_MSG_CONNECT, connect, ARENA_SESSION),
	PB_OPS(GS_MSG_CONNECT_ACCEPT, connect_accept, ARENA_CLIENT),
	PB_OPS(GS_MSG_HEARTBEAT, heartbeat, ARENA_SESSION),
	PB_OPS(GS_MSG_HEARTBEAT_ACK, heartbeat_ack, ARENA_CLIENT),
	PB_OPS(GS_MSG_DISCONNECT, disconnect, ARENA_SESSION),
	PB_OPS(GS_MSG_SESSION_ERROR, session_error, ARENA_CLIENT),
	PB_OPS(GS_MSG_CHALLENGE, challenge, ARENA_CLIENT),
	PB_OPS(GS_MSG_MOVE, move, ARENA_MOVE),
	PB_OPS(GS_MSG_MOVE_ACK, move_ack, ARENA_CLIENT),
	PB_OPS(GS_MSG_MOVE_REJECT, move_reject, ARENA_CLIENT),
	PB_OPS(GS_MSG_ATTACK, attack, ARENA_COMBAT),
	PB_OPS(GS_MSG_ATTACK_RESULT, attack_result, ARENA_CLIENT),
	PB_OPS(GS_MSG_DAMAGED, damaged, ARENA_CLIENT),
	PB_OPS(GS_MSG_SNAPSHOT, snapshot, ARENA_REPL),
	PB_OPS(GS_MSG_SNAPSHOT_ACK, snapshot_ack, ARENA_ACK),
};

#define N_MESSAGES (sizeof(messages) / sizeof(messages[0]))

static const struct pb_ops *
pick(uint8_t selector)
{
	for (size_t i = 0; i < N_MESSAGES; i++)
		if (messages[i].type == selector)
			return &messages[i];
	return &messages[selector % N_MESSAGES];
}

/* Pack @p m: exactly get_packed_size bytes, the same through pack_to_buffer. */
static uint8_t *
pack(const struct pb_ops *ops, const ProtobufCMessage *m, size_t *len)
{
	uint8_t scratch[16]; /* grows onto the heap beyond this */
	ProtobufCBufferSimple simple = PROTOBUF_C_BUFFER_SIMPLE_INIT(scratch);
	size_t n = ops->packed_size(m);
	uint8_t *out = malloc(n > 0 ? n : 1);

	CHECK(out != NULL);
	CHECK(ops->pack(m, out) == n);
	CHECK(ops->pack_to_buffer(m, &simple.base) == n);
	CHECK(simple.len == n);
	CHECK(n == 0 || memcmp(simple.data, out, n) == 0);
	PROTOBUF_C_BUFFER_SIMPLE_CLEAR(&simple);
	*len = n;
	return out;
}

/* Unknown fields anywhere in @p m: in it, or in a message it holds (a Snapshot's entities). */
static bool
has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields > 0)
		return true;
	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *at = (const char *)m + f->offset;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)at;

			for (size_t k = 0; k < n; k++)
				if (has_unknown(v[k]))
					return true;
		} else if (*(ProtobufCMessage *const *)at != NULL &&
			   has_unknown(*(ProtobufCMessage *const *)at)) {
			return true;
		}
	}
	return false;
}

static void
check_decoded(const struct pb_ops *ops, const ProtobufCMessage *m)
{
	CHECK(m->descriptor == ops->desc);
	CHECK(protobuf_c_message_check(m));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pb_ops *ops;
	ProtobufCMessage *in_arena, *in_heap, *again;
	struct gs_pb_arena arena;
	uint8_t *mem, *heap_bytes, *arena_bytes, *again_bytes;
	size_t heap_len, arena_len, again_len;

	if (size < 1 || size - 1 > GS_WIRE_MAX_PAYLOAD) /* a game payload's limit */
		return 0;
	ops = pick(data[0]);
	data++;
	size--;

	/* As a handler does: an arena of its size, exactly (ASan guards its end). */
	mem = malloc(ops->arena);
	CHECK(mem != NULL);
	gs_pb_arena_init(&arena, mem, ops->arena);
	in_arena = ops->unpack(&arena.alloc, size, data);
	CHECK(arena.used <= arena.cap);

	in_heap = ops->unpack(NULL, size, data);
	if (in_heap == NULL) {
		CHECK(in_arena == NULL);
		free(mem);
		return 0;
	}
	check_decoded(ops, in_heap);
	heap_bytes = pack(ops, in_heap, &heap_len);

	if (in_arena != NULL) {
		check_decoded(ops, in_arena);
		CHECK((uint8_t *)in_arena >= mem && (uint8_t *)in_arena < mem + ops->arena);
		arena_bytes = pack(ops, in_arena, &arena_len);
		CHECK(arena_len == heap_len && memcmp(arena_bytes, heap_bytes, heap_len) == 0);
		free(arena_bytes);
	} else {
		CHECK(arena.failures > 0);
	}
	gs_pb_arena_reset(&arena);

	/*
	 * Canonical: what we packed decodes and packs to the same bytes. Unknown
	 * fields are the exception: libprotobuf-c keeps one whose tag was an
	 * over-long encoding of field 0 (80 00), then packs it as 00, which it
	 * refuses (also inside a message the payload holds: a Snapshot's
	 * EntityState). The handlers never pack what they received, so only
	 * known fields must survive.
	 */
	again = ops->unpack(NULL, heap_len, heap_bytes);
	CHECK(again != NULL || has_unknown(in_heap));
	if (again != NULL) {
		check_decoded(ops, again);
		again_bytes = pack(ops, again, &again_len);
		CHECK(again_len == heap_len && memcmp(again_bytes, heap_bytes, heap_len) == 0);
		free(again_bytes);
		ops->free_unpacked(again, NULL);
	}
	free(heap_bytes);
	ops->free_unpacked(in_heap, NULL);
	free(mem);
	return 0;
}
