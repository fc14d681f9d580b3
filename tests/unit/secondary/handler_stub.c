/* SPDX-License-Identifier: BSD-3-Clause */
#include "handler_stub.h"

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include <CUnit/CUnit.h>

#include "gs_cfg.h"
#include "gs_world_shm.h"

struct stub_reply stub_replies[STUB_MAX_REPLIES];
unsigned int stub_n_replies;
uint64_t stub_rejects[GS_REJECT_MAX];
int stub_reply_ret;

static char run_dir[PATH_MAX];

void
stub_reset(void)
{
	memset(stub_replies, 0, sizeof(stub_replies));
	stub_n_replies = 0;
	memset(stub_rejects, 0, sizeof(stub_rejects));
	stub_reply_ret = 0;
}

uint64_t
stub_rejects_total(void)
{
	uint64_t n = 0;

	for (unsigned int r = 0; r < GS_REJECT_MAX; r++)
		n += stub_rejects[r];
	return n;
}

const struct stub_reply *
stub_only_reply(void)
{
	CU_ASSERT_EQUAL(stub_n_replies, 1);
	return stub_n_replies == 1 ? &stub_replies[0] : NULL;
}

/* Record a reply as the ring would have held it; NULL when the record is full. */
static struct stub_reply *
record(const struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer, uint32_t slot,
	uint32_t session_id, uint8_t type, const ProtobufCMessage *pb)
{
	struct stub_reply *r;

	CU_ASSERT_FATAL(stub_n_replies < STUB_MAX_REPLIES);
	r = &stub_replies[stub_n_replies++];
	memset(r, 0, sizeof(*r));
	r->lcore = lcore;
	r->peer = *peer;
	r->slot = slot;
	r->session_id = session_id;
	r->type = type;
	r->rx_tsc = h->answering_rx_tsc;
	CU_ASSERT_FATAL(protobuf_c_message_get_packed_size(pb) <= sizeof(r->payload));
	r->len = protobuf_c_message_pack(pb, r->payload);
	return r;
}

/* The handler runtime, replaced: see tests/CMakeLists.txt. */
int __wrap_gs_handler_reply_pb(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer,
	uint32_t slot, uint32_t session_id, uint8_t type, const ProtobufCMessage *pb);
int __wrap_gs_handler_reply_connect_pb(struct gs_handler *h, unsigned int lcore,
	const struct gs_msg *req, uint8_t type, const ProtobufCMessage *pb);
void __wrap_gs_handler_reject(struct gs_handler *h, unsigned int why);

int
__wrap_gs_handler_reply_pb(struct gs_handler *h, unsigned int lcore, const struct gs_peer *peer,
	uint32_t slot, uint32_t session_id, uint8_t type, const ProtobufCMessage *pb)
{
	if (stub_reply_ret < 0)
		return stub_reply_ret;
	record(h, lcore, peer, slot, session_id, type, pb);
	return 0;
}

int
__wrap_gs_handler_reply_connect_pb(struct gs_handler *h, unsigned int lcore,
	const struct gs_msg *req, uint8_t type, const ProtobufCMessage *pb)
{
	struct stub_reply *r;

	if (stub_reply_ret < 0)
		return stub_reply_ret;
	r = record(h, lcore, &req->peer, 0, 0, type, pb);
	r->to_connect = true;
	memcpy(r->tag, req->hdr.auth_tag, sizeof(r->tag));
	return 0;
}

void
__wrap_gs_handler_reject(struct gs_handler *h, unsigned int why)
{
	(void)h;
	CU_ASSERT_FATAL((unsigned int)why < GS_REJECT_MAX);
	stub_rejects[why]++;
}

int
stub_eal_init(const char *prog)
{
	char prefix[64];
	char *eal_argv[] = {
		(char *)prog,
		"--no-huge",
		"--no-pci",
		"-m",
		"128",
		"--no-shconf",
		"--no-telemetry",
		"--log-level=lib.eal:error",
		"--log-level=gs.*:error", /* the handlers' notices say nothing a test checks */
		prefix,
		NULL,
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=gs_ut_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed: %s\n", prog, rte_strerror(rte_errno));
		rmdir(rte_eal_get_runtime_dir()); /* a failed init may have left it, empty */
		return -1;
	}
	/* --no-shconf writes no file, but EAL still creates its runtime directory */
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	return 0;
}

void
stub_eal_fini(void)
{
	rte_eal_cleanup();
	if (run_dir[0] != '\0' && rmdir(run_dir) < 0)
		fprintf(stderr, "rmdir %s: %s\n", run_dir, strerror(errno));
}

int
stub_shm_create(uint32_t max_sessions, uint32_t max_entities, const struct gs_world_rules *rules,
	struct gs_session_tbl *tbl, struct gs_world **world)
{
	static struct gs_cfg cfg; /* large */
	int ret;

	gs_cfg_defaults(&cfg);
	cfg.max_entities = max_entities;
	cfg.world = *rules;
	/* a table left by the test before is replaced (and its writer's free stack forgotten) */
	ret = gs_session_tbl_create(tbl, max_sessions, SOCKET_ID_ANY);
	CU_ASSERT_EQUAL(ret, 0);
	if (ret < 0)
		return ret;
	*world = gs_world_create(&cfg, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL(*world);
	return *world != NULL ? 0 : -ENOMEM;
}

void
stub_handler_init(struct gs_handler *h, struct gs_control *ctl, unsigned int cls,
	unsigned int n_lcores, uint64_t tsc_hz)
{
	static const char *const builtin[] = { "", "session", "move", "combat" };

	memset(ctl, 0, sizeof(*ctl));
	/* the class table of the default config: session 1, move 2, combat 3 */
	for (unsigned int c = 1; c < RTE_DIM(builtin); c++) {
		snprintf(ctl->classes[c].name, sizeof(ctl->classes[c].name), "%s", builtin[c]);
		ctl->classes[c].state = GS_CLASS_ACTIVE;
	}
	ctl->n_lcores = n_lcores;
	ctl->tsc_hz = tsc_hz;
	memset(h, 0, sizeof(*h));
	h->ctl = ctl;
	h->cls = cls;
	h->class_name = ctl->classes[cls].name;
	h->n_lcores = n_lcores;
	h->tsc_hz = tsc_hz;
	h->slot = &ctl->handlers[cls][0];
	h->generation = 1;
	for (unsigned int l = 0; l < GS_MAX_PRIMARY_LCORES; l++)
		h->wake_fd[l] = -1;
}

uint64_t
stub_event(const struct gs_handler_event *events, unsigned int n, const void *ctx, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(events[i].name, name) == 0)
			return *(const uint64_t *)((const char *)ctx + events[i].off);
	CU_FAIL("no such event");
	return UINT64_MAX;
}

struct gs_peer
stub_peer(uint32_t i)
{
	struct gs_peer p = {
		.ip = htonl(0x0a000000u + i),
		.port = htons((uint16_t)(1024 + i % 60000)),
		.mac = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i },
	};

	return p;
}

void
stub_msg(struct gs_msg *m, const struct gs_peer *peer, uint8_t type, uint32_t slot,
	uint32_t session_id, uint32_t seq, uint64_t rx_tsc, const ProtobufCMessage *pb)
{
	memset(m, 0, sizeof(*m));
	m->peer = *peer;
	m->rx_tsc = rx_tsc;
	m->rx_ts_src = GS_RX_TS_TSC;
	m->session_slot = slot;
	m->hdr.magic = GS_WIRE_MAGIC;
	m->hdr.version = GS_WIRE_VERSION;
	m->hdr.type = type;
	m->hdr.session_id = session_id;
	m->hdr.sequence = seq;
	if (pb != NULL) {
		CU_ASSERT_FATAL(protobuf_c_message_get_packed_size(pb) <= GS_WIRE_MAX_PAYLOAD);
		m->hdr.payload_len = (uint16_t)protobuf_c_message_pack(pb, m->payload);
	}
}

void
stub_msg_of(struct gs_msg *m, const struct gs_session_tbl *t, const struct gs_session *s,
	uint8_t type, uint32_t seq, uint64_t rx_tsc, const ProtobufCMessage *pb)
{
	stub_msg(m, &s->peer, type, gs_session_slot(t, s), s->session_id, seq, rx_tsc, pb);
}
