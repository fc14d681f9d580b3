/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include "gs_auth.h"
#include "gs_idle.h"
#include "gs_log.h"
#include "gs_stats.h"
#include "gs_wake.h"

#include "challenge.h"
#include "monitor.h"
#include "primary.h"

GS_LOG_TYPE(gs.primary.dataplane);

#define MAX_BURST      GS_PRIMARY_MAX_BURST
#define TX_BUF	       GS_PRIMARY_TX_BUF
#define TICKS_PER_SEC  100
/* Source-address rate buckets per lcore: addresses share one when they hash alike. */
#define SOURCE_BUCKETS (1u << 16)

/* Everything one primary lcore owns: its queues, rings, counters and buffers. */
struct lcore_ctx {
	struct primary *p;
	unsigned int idx; /* 0 .. n_lcores-1: RX/TX queue and ring index */
	struct gs_lcore_stats *st;
	uint16_t ip_id;
	uint32_t retire_seen; /* p->retire_seq when this lcore last looked */
	uint64_t connect_tat; /* GCRA of [limits] connect_pps */
	uint64_t *source_tat; /* GCRA of [limits] source_pps, SOURCE_BUCKETS */
	uint16_t ntx[RTE_MAX_ETHPORTS];
	struct rte_mbuf *tx[RTE_MAX_ETHPORTS][TX_BUF];
	uint32_t txlen[RTE_MAX_ETHPORTS][TX_BUF]; /* lengths, for tx_bytes of what was sent */
	/* one RX burst, parsed before its session lookups are made together */
	enum frame_kind kind[MAX_BURST];
	struct frame_info fi[MAX_BURST];
	struct gs_session *sess[MAX_BURST];
	struct challenge_ctx challenge;	  /* token mode: first CONNECTs answered here */
	const struct classify_table *ct;  /* the table of this pass (reloads swap it) */
	uint32_t to_wake[GS_MAX_CLASSES]; /* instances given work in this pass: wake if asleep */
	uint32_t to_wake_classes;	  /* classes with a bit in to_wake */
	uint64_t reply_carry;		  /* reply rings that gave replies: look again */
	bool probe_all;			  /* the next pass looks at every reply ring */
	struct lcore_sleep sleep;	  /* idle = wake: RX interrupts and the reply eventfd */
	uint64_t res_bound[GS_RESIDENCE_BUCKETS]; /* GS_RESIDENCE_BOUNDS_NS in TSC cycles */
	uint64_t ns_per_cycle_q32;		  /* ns per cycle, 32.32 fixed point */
};

/* The residence buckets' bounds in this host's TSC cycles. */
static void
residence_init(struct lcore_ctx *lc)
{
	static const uint64_t bounds_ns[GS_RESIDENCE_BUCKETS] = GS_RESIDENCE_BOUNDS_NS;
	uint64_t hz = rte_get_timer_hz();

	for (unsigned int b = 0; b < GS_RESIDENCE_BUCKETS; b++)
		lc->res_bound[b] = bounds_ns[b] == UINT64_MAX ?
					   UINT64_MAX :
					   (uint64_t)((__uint128_t)bounds_ns[b] * hz / 1000000000u);
	lc->ns_per_cycle_q32 = (uint64_t)(((__uint128_t)1000000000u << 32) / hz);
}

/* Count the residence of a request that arrived at @p rx_tsc and is answered at @p now. */
static inline void
count_residence(struct lcore_ctx *lc, unsigned int cls, uint64_t rx_tsc, uint64_t now)
{
	uint64_t d = now > rx_tsc ? now - rx_tsc : 0;
	unsigned int b = 0;

	if (rx_tsc == 0)
		return; /* answers no request (a handler's tick) */
	while (d > lc->res_bound[b])
		b++; /* the last bound is UINT64_MAX */
	gs_ctr_add(&lc->st->residence[cls][b], 1);
	gs_ctr_add(&lc->st->residence_ns[cls],
		(uint64_t)(((__uint128_t)d * lc->ns_per_cycle_q32) >> 32));
}

static inline void
count_drop(struct lcore_ctx *lc, enum gs_drop why, uint64_t n)
{
	gs_ctr_add(&lc->st->drops[why], n);
}

static void
tx_flush(struct lcore_ctx *lc, uint16_t port)
{
	uint16_t n = lc->ntx[port], sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(port, (uint16_t)lc->idx, lc->tx[port], n);
	if (sent < n)
		sent += rte_eth_tx_burst(
			port, (uint16_t)lc->idx, lc->tx[port] + sent, (uint16_t)(n - sent));
	gs_ctr_add(&lc->st->tx_packets, sent);
	for (uint16_t i = 0; i < sent; i++)
		gs_ctr_add(&lc->st->tx_bytes, lc->txlen[port][i]);
	if (sent < n) {
		rte_pktmbuf_free_bulk(lc->tx[port] + sent, (unsigned int)(n - sent));
		count_drop(lc, GS_DROP_TX_FULL, (uint64_t)(n - sent));
	}
	lc->ntx[port] = 0;
}

static inline void
tx_enqueue(struct lcore_ctx *lc, uint16_t port, struct rte_mbuf *m)
{
	if (lc->ntx[port] == TX_BUF)
		tx_flush(lc, port);
	lc->txlen[port][lc->ntx[port]] = m->pkt_len;
	lc->tx[port][lc->ntx[port]++] = m;
}

/* May one more frame from this source address pass? */
static inline bool
source_allow(struct lcore_ctx *lc, uint32_t ip, uint64_t now)
{
	const struct gs_rate *r = &lc->p->rate_source;
	uint32_t b;

	if (r->interval == 0)
		return true;
	b = rte_hash_crc_4byte(ip, lc->p->source_seed) & (SOURCE_BUCKETS - 1);
	return gs_gcra_allow(&lc->source_tat[b], now, r);
}

/*
 * A session's packet, before any handler sees it: from the session's
 * address, a sequence number not seen yet, the right auth tag (then the
 * number is recorded), and within the session's rate.
 *
 * @return GS_DROP_NONE, or why the packet is dropped.
 */
static enum gs_drop
session_check(struct lcore_ctx *lc, uint8_t *frame, const struct frame_info *fi,
	const struct gs_session *s, uint64_t now)
{
	struct primary *p = lc->p;
	uint32_t pos = (uint32_t)(s - p->sessions.s);
	struct sess_rx *rx = &p->rx[pos];
	const struct gs_hdr *h = &fi->hdr;

	if (s->peer.ip != fi->peer.ip || s->peer.port != fi->peer.port)
		return GS_DROP_WRONG_ADDRESS;
	if (rx->session_id != s->session_id) { /* a new session at this position */
		memset(rx, 0, sizeof(*rx));
		rx->session_id = s->session_id;
	}
	if (p->auth) {
		if (gs_replay_check(&rx->replay, h->sequence) != GS_REPLAY_NEW)
			return GS_DROP_REPLAY;
		if (!gs_tag_verify(p->sessions.keys[pos].c2s,
			    frame + fi->payload_off - GS_WIRE_HDR_LEN,
			    GS_WIRE_HDR_LEN + h->payload_len))
			return GS_DROP_AUTH_TAG;
		gs_replay_accept(&rx->replay, h->sequence);
	}
	if (p->rate_session.interval != 0 && !gs_gcra_allow(&rx->tat, now, &p->rate_session))
		return GS_DROP_RATE_SESSION;
	return GS_DROP_NONE;
}

static void
send_challenge(struct lcore_ctx *lc, uint16_t port, const struct frame_info *fi,
	const uint8_t *payload, uint16_t len, uint64_t now)
{
	struct primary *p = lc->p;
	struct rte_mbuf *mb = rte_pktmbuf_alloc(p->pool);
	struct gs_peer dst = fi->peer;
	struct gs_hdr hdr = {
		.type = GS_MSG_CHALLENGE,
		.payload_len = len,
	};
	uint32_t flen;

	if (mb == NULL) {
		count_drop(lc, GS_DROP_TX_NOMBUF, 1);
		return;
	}
	memcpy(hdr.auth_tag, fi->hdr.auth_tag, sizeof(hdr.auth_tag));
	frame_reply_hdr(&hdr);
	dst.eth_port = port;
	flen = frame_build_udp(rte_pktmbuf_mtod(mb, uint8_t *), rte_pktmbuf_tailroom(mb),
		&p->port[port].fcfg, &dst, lc->ip_id++, &hdr, payload);
	if (flen == 0) {
		count_drop(lc, GS_DROP_REPLY_INVALID, 1);
		rte_pktmbuf_free(mb);
		return;
	}
	mb->data_len = (uint16_t)flen;
	mb->pkt_len = flen;
	gs_ctr_add(&lc->st->challenges, 1);
	count_residence(lc, GS_CLASS_SESSION, now, rte_get_timer_cycles());
	tx_enqueue(lc, port, mb);
}

/*
 * A CONNECT before it may spend the connect bucket. In token mode the first
 * one is answered here with a stateless CHALLENGE, and only one that returns
 * a valid cookie goes on (challenge.h).
 *
 * @return true when the CONNECT goes on to gs-session.
 */
static bool
connect_admit(struct lcore_ctx *lc, uint8_t *frame, const struct frame_info *fi, uint16_t port,
	uint64_t now)
{
	struct primary *p = lc->p;
	uint8_t answer[CHALLENGE_MAX_PAYLOAD];
	uint16_t answer_len = 0;
	enum gs_drop why = GS_DROP_NONE;

	if (fi->hdr.session_id != 0) {
		count_drop(lc, GS_DROP_UNKNOWN_SESSION, 1);
		return false;
	}
	if (!source_allow(lc, fi->peer.ip, now)) {
		count_drop(lc, GS_DROP_RATE_SOURCE, 1);
		return false;
	}
	if (p->auth) {
		switch (connect_verdict(&lc->challenge, frame + fi->payload_off,
			fi->hdr.payload_len, fi->peer.ip, fi->peer.port, gs_wall_ns() / 1000000u,
			answer, &answer_len, &why)) {
		case CONNECT_PASS:
			break;
		case CONNECT_CHALLENGE:
			send_challenge(lc, port, fi, answer, answer_len, now);
			return false;
		case CONNECT_DROP:
		default:
			count_drop(lc, why, 1);
			return false;
		}
	}
	if (p->rate_connect.interval != 0 &&
		!gs_gcra_allow(&lc->connect_tat, now, &p->rate_connect)) {
		count_drop(lc, GS_DROP_RATE_CONNECT, 1);
		return false;
	}
	return true;
}

static void
dispatch(struct lcore_ctx *lc, uint8_t *frame, const struct frame_info *fi, uint16_t port,
	uint64_t now, const struct gs_session *s)
{
	struct primary *p = lc->p;
	const struct gs_hdr *h = &fi->hdr;
	unsigned int cls = classify_type(lc->ct, h->type);
	struct rte_ring_zc_data zcd;
	struct rte_ring *ring;
	struct gs_msg *msg;
	int inst;

	if (cls == GS_CLASS_NONE) {
		count_drop(lc, GS_DROP_GS_TYPE, 1);
		return;
	}
	if (h->type == GS_MSG_CONNECT) {
		if (!connect_admit(lc, frame, fi, port, now))
			return;
	} else {
		enum gs_drop why;

		if (s == NULL) { /* looked up with the rest of the burst */
			count_drop(lc, GS_DROP_UNKNOWN_SESSION, 1);
			return;
		}
		why = session_check(lc, frame, fi, s, now);
		if (why != GS_DROP_NONE) {
			count_drop(lc, why, 1);
			return;
		}
	}
	inst = classify_instance(h->session_id, fi->peer.ip, fi->peer.port,
		__atomic_load_n(&p->live[cls], __ATOMIC_ACQUIRE));
	if (inst < 0) {
		count_drop(lc, GS_DROP_HANDLER_DOWN, 1);
		return;
	}

	/* written in place in the ring slot: only the bytes the message has */
	ring = p->p2h[lc->idx][cls][inst];
	if (rte_ring_enqueue_zc_burst_elem_start(ring, sizeof(*msg), 1, &zcd, NULL) == 0) {
		count_drop(lc, GS_DROP_RING_FULL, 1);
		gs_ctr_add(&lc->st->ring_full[cls][inst], 1);
		return;
	}
	msg = zcd.ptr1;
	msg->peer = fi->peer;
	msg->peer.eth_port = port;
	rxts_msg(msg, fi, now);
	msg->session_slot = gs_session_slot(&p->sessions, s);
	msg->hdr = *h;
	memcpy(msg->payload, frame + fi->payload_off, h->payload_len);
	rte_ring_enqueue_zc_elem_finish(ring, 1);
	lc->to_wake[cls] |= 1u << inst;
	lc->to_wake_classes |= 1u << cls;
	gs_ctr_add(&lc->st->dispatched[cls], 1);
	gs_ctr_add(&lc->st->ring_enq[cls][inst], 1);
}

/* Send back the received mbuf, rewritten in place into a reply of @p len bytes. */
static inline void
send_in_place(
	struct lcore_ctx *lc, uint16_t port, struct rte_mbuf *m, uint32_t len, uint64_t *counter)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	gs_ctr_add(counter, 1);
	tx_enqueue(lc, port, m);
}

/* The checksums the NIC verified as good (port.c enables the offloads it has). */
static inline unsigned int
hw_checksums(const struct rte_mbuf *m)
{
	unsigned int good = 0;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		good |= FRAME_HW_IP_GOOD;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		good |= FRAME_HW_L4_GOOD;
	return good;
}

/*
 * One RX burst: parse every frame (prefetching the session each game
 * message names), then look the sessions up, then dispatch, answer ARP /
 * ICMP in place, or drop.
 */
static void
handle_burst(struct lcore_ctx *lc, uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct port_state *ps = &lc->p->port[port];
	const struct frame_cfg *fc = &ps->fcfg;
	uint32_t ids[MAX_BURST];
	uint16_t which[MAX_BURST], nl = 0;

	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];

		gs_ctr_add(&lc->st->rx_bytes, m->pkt_len);
		lc->sess[k] = NULL;
		if (m->nb_segs > 1) {
			lc->kind[k] = FRAME_DROP;
			lc->fi[k].drop = GS_DROP_FRAME_SEGMENTED;
			continue;
		}
		lc->kind[k] = frame_parse_hw(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, fc,
			&lc->fi[k], hw_checksums(m));
		/*
		 * The source bucket charges only what no key vouches for: echo
		 * and ARP requests here (frame_charges_source()), CONNECTs in
		 * dispatch(). A session's frames are limited by its own bucket
		 * after the tag check, so frames spoofed from a player's address
		 * cannot spend the player's budget.
		 */
		if (frame_charges_source(lc->kind[k]) &&
			!source_allow(lc, lc->fi[k].peer.ip, now)) {
			lc->kind[k] = FRAME_DROP;
			lc->fi[k].drop = GS_DROP_RATE_SOURCE;
			continue;
		}
		rxts_stamp(&ps->rxts, lc->idx, port, m, now, &lc->fi[k]);
		if (lc->kind[k] == FRAME_GAME && lc->fi[k].hdr.type != GS_MSG_CONNECT) {
			uint32_t id = lc->fi[k].hdr.session_id;

			/* loaded while the rest of the burst is parsed: the misses overlap */
			gs_session_prefetch(&lc->p->sessions, id);
			ids[nl] = id;
			which[nl++] = k;
		}
	}
	for (uint16_t j = 0; j < nl; j++) {
		struct gs_session *s = gs_session_find(&lc->p->sessions, ids[j]);

		lc->sess[which[j]] = s;
		if (s != NULL) {
			/*
			 * What session_check reads next, for the sessions found only:
			 * prefetching these with the session itself, during the
			 * parse, measured far slower at 1M sessions (one miss
			 * queue, three times the lines in flight).
			 */
			uint32_t pos = (uint32_t)(s - lc->p->sessions.s);

			rte_prefetch0(&lc->p->rx[pos]);
			if (lc->p->auth)
				rte_prefetch0(&lc->p->sessions.keys[pos]);
		}
	}

	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

		switch (lc->kind[k]) {
		case FRAME_DROP:
			if (exception_to_kernel(lc->p, lc->idx, lc->st, port, m, &lc->fi[k], now))
				continue; /* the kernel's: handed over, or counted and freed */
			count_drop(lc, lc->fi[k].drop, 1);
			break;
		case FRAME_GAME:
			dispatch(lc, frame, &lc->fi[k], port, now, lc->sess[k]);
			break;
		case FRAME_ARP_REQUEST:
			send_in_place(lc, port, m,
				frame_arp_reply(frame, m->data_len, fc, &lc->fi[k]),
				&lc->st->arp_replies);
			continue; /* the mbuf goes back out */
		case FRAME_ICMP_ECHO:
			send_in_place(lc, port, m,
				frame_icmp_reply(frame, m->data_len, fc, &lc->fi[k]),
				&lc->st->icmp_replies);
			continue;
		}
		rte_pktmbuf_free(m);
	}
}

/* Send what the kernel sent on @p port's exception interface out the port. */
static unsigned int
from_kernel(struct lcore_ctx *lc, uint16_t port, uint64_t now)
{
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned int seen;
	uint16_t n =
		exception_from_kernel(lc->p, lc->idx, lc->st, port, pkts, MAX_BURST, now, &seen);

	for (uint16_t k = 0; k < n; k++)
		tx_enqueue(lc, port, pkts[k]);
	return seen;
}

/* Frame and queue one handler reply at @p now; the mbuf is consumed either way. */
static void
send_reply(
	struct lcore_ctx *lc, unsigned int cls, struct gs_msg *r, struct rte_mbuf *mb, uint64_t now)
{
	struct primary *p = lc->p;
	uint16_t port = r->peer.eth_port;
	const uint8_t *key = NULL;
	struct gs_session *s;
	uint32_t len;

	/* a reply of no session keeps the tag its handler wrote: a CONNECT nonce's echo */
	frame_reply_hdr(&r->hdr);
	s = gs_session_at(&p->sessions, r->session_slot, r->hdr.session_id);
	if (s != NULL) {
		/*
		 * To the address the session is bound to, whatever the handler
		 * wrote; numbered and tagged by the primary, for every packet.
		 */
		r->peer = s->peer;
		port = r->peer.eth_port;
		r->hdr.sequence = __atomic_fetch_add(&s->tx_seq, 1, __ATOMIC_RELAXED);
		if (p->auth)
			key = gs_session_keys_of(&p->sessions, s)->s2c;
	}
	if (port >= RTE_MAX_ETHPORTS || !p->port[port].started || r->peer.ip == 0 ||
		r->hdr.payload_len > GS_WIRE_MAX_PAYLOAD) {
		count_drop(lc, GS_DROP_REPLY_INVALID, 1);
		rte_pktmbuf_free(mb);
		return;
	}
	len = frame_build_udp_tagged(rte_pktmbuf_mtod(mb, uint8_t *), rte_pktmbuf_tailroom(mb),
		&p->port[port].fcfg, &r->peer, lc->ip_id++, &r->hdr, r->payload, key);
	if (len == 0) {
		count_drop(lc, GS_DROP_REPLY_INVALID, 1);
		rte_pktmbuf_free(mb);
		return;
	}
	mb->data_len = (uint16_t)len;
	mb->pkt_len = len;
	gs_ctr_add(&lc->st->replies[cls], 1);
	count_residence(lc, cls, r->rx_tsc, now);
	tx_enqueue(lc, port, mb);
}

/* Frame and send one burst of replies from handler instance (c, i), read in place. */
static unsigned int
drain_ring(struct lcore_ctx *lc, unsigned int c, unsigned int i)
{
	struct primary *p = lc->p;
	struct rte_ring *ring = p->h2p[lc->idx][c][i];
	struct rte_mbuf *mbufs[MAX_BURST];
	struct rte_ring_zc_data zcd;
	unsigned int n = rte_ring_dequeue_zc_burst_elem_start(
		ring, sizeof(struct gs_msg), MAX_BURST, &zcd, NULL);

	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(p->pool, mbufs, n) < 0) {
		count_drop(lc, GS_DROP_TX_NOMBUF, n);
	} else {
		uint64_t now = rte_get_timer_cycles();

		for (unsigned int k = 0; k < n; k++) {
			struct gs_msg *r = k < zcd.n1 ? (struct gs_msg *)zcd.ptr1 + k :
							(struct gs_msg *)zcd.ptr2 + (k - zcd.n1);

			send_reply(lc, c, r, mbufs[k], now);
		}
	}
	rte_ring_dequeue_zc_elem_finish(ring, n);
	return n;
}

/* The doorbell bits of every instance ever claimed (the others' rings are empty). */
static uint64_t
claimed_bits(const struct primary *p)
{
	uint32_t cm = __atomic_load_n(&p->claimed_classes, __ATOMIC_ACQUIRE);
	uint64_t bits = 0;

	while (cm != 0) {
		unsigned int c = (unsigned int)__builtin_ctz(cm);

		cm &= cm - 1;
		bits |= (uint64_t)__atomic_load_n(&p->claimed[c], __ATOMIC_ACQUIRE)
			<< (c * GS_MAX_INSTANCES);
	}
	return bits;
}

/*
 * The reply rings rung on this lcore's doorbell (gs_wake.h) and those that
 * gave replies last time, and, on the first pass after a tick, every claimed
 * instance's ring: a handler killed between its enqueue and its ring left
 * replies unannounced. A ring is looked at again until it is found empty.
 */
static unsigned int
drain_replies(struct lcore_ctx *lc)
{
	struct primary *p = lc->p;
	uint64_t bits = lc->reply_carry | gs_doorbell_take(&p->ctl->lcore_wake[lc->idx].posted);
	unsigned int total = 0;

	if (lc->probe_all)
		bits |= claimed_bits(p);
	lc->probe_all = false;
	lc->reply_carry = 0;
	while (bits != 0) {
		unsigned int b = (unsigned int)__builtin_ctzll(bits);
		unsigned int c = b / GS_MAX_INSTANCES, i = b % GS_MAX_INSTANCES, n;

		bits &= bits - 1;
		if (p->h2p[lc->idx][c][i] == NULL)
			continue; /* no class has this id: shared memory may hold anything */
		n = drain_ring(lc, c, i);
		if (n > 0)
			lc->reply_carry |= GS_REPLY_BIT(c, i);
		total += n;
	}
	return total;
}

/*
 * Carry out the main lcore's retire requests for this lcore's rings. This
 * lcore is the only producer of its request rings and the only consumer of
 * its reply rings, and it no longer dispatches to a retired instance (the
 * live mask was cleared before the request), so after a death it can send
 * the dead instance's finished replies, count its unconsumed requests as
 * handler_down and reset both rings: whatever a half-done enqueue or dequeue
 * of the dead process left is gone, and its successor starts clean.
 */
static void
retire_rings(struct lcore_ctx *lc)
{
	struct primary *p = lc->p;
	uint32_t seq = __atomic_load_n(&p->retire_seq, __ATOMIC_ACQUIRE);

	if (seq == lc->retire_seen)
		return;
	lc->retire_seen = seq;
	for (unsigned int c = 1; c < GS_MAX_CLASSES; c++)
		for (unsigned int i = 0; i < GS_MAX_INSTANCES; i++) {
			uint32_t req = __atomic_load_n(
				&p->ctl->handlers[c][i].retire_req, __ATOMIC_ACQUIRE);
			uint32_t *done = &p->retire_done[lc->idx][c][i];

			if (req == 0 || req == *done || p->p2h[lc->idx][c][i] == NULL)
				continue; /* nothing asked, or a class without rings */
			if (req & 1u) {
				struct rte_ring *to_h = p->p2h[lc->idx][c][i];

				while (drain_ring(lc, c, i) > 0)
					;
				count_drop(lc, GS_DROP_HANDLER_DOWN, rte_ring_count(to_h));
				rte_ring_reset(to_h);
				rte_ring_reset(p->h2p[lc->idx][c][i]);
			}
			__atomic_store_n(done, req, __ATOMIC_RELEASE);
		}
}

/* Wake the handlers this pass gave work to that are asleep (one flag load each). */
static void
wake_handlers(struct lcore_ctx *lc)
{
	struct gs_control *ctl = lc->p->ctl;
	uint32_t cm = lc->to_wake_classes;

	lc->to_wake_classes = 0;
	while (cm != 0) {
		unsigned int c = (unsigned int)__builtin_ctz(cm);
		uint32_t m = lc->to_wake[c];

		cm &= cm - 1;
		lc->to_wake[c] = 0;
		while (m != 0) {
			struct gs_handler_slot *slot = &ctl->handlers[c][__builtin_ctz(m)];

			m &= m - 1;
			if (gs_wake_needed(&slot->sleeping)) {
				gs_futex_wake(&slot->wake_seq);
				gs_ctr_add(&lc->st->wakeups, 1);
			}
		}
	}
}

static unsigned int
poll_once(struct lcore_ctx *lc, uint64_t now)
{
	struct primary *p = lc->p;
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned int work = 0, burst = p->app.cfg.burst;

	/* one table for the whole pass: a reload's swap never splits a burst */
	lc->ct = &p->classify[__atomic_load_n(&p->classify_cur, __ATOMIC_ACQUIRE)];
	gs_stats_begin(&lc->st->seq);
	for (unsigned int i = 0; i < p->n_ports; i++) {
		uint16_t port = p->port_ids[i], n;

		work += from_kernel(lc, port, now);
		if (lc->idx >= p->port[port].n_rxq)
			continue;
		n = rte_eth_rx_burst(port, (uint16_t)lc->idx, pkts, (uint16_t)burst);
		if (n == 0)
			continue;
		gs_ctr_add(&lc->st->rx_packets, n);
		handle_burst(lc, port, pkts, n, now);
		work += n;
	}
	wake_handlers(lc);
	work += drain_replies(lc);
	retire_rings(lc);
	for (unsigned int i = 0; i < p->n_ports; i++)
		tx_flush(lc, p->port_ids[i]);
	gs_stats_end(&lc->st->seq);
	return work;
}

/* Whether a handler left a reply for this lcore (the last look before it sleeps). */
static bool
replies_pending(void *arg)
{
	const struct lcore_ctx *lc = arg;

	return lc->reply_carry != 0 || gs_doorbell_rung(&lc->p->ctl->lcore_wake[lc->idx].posted);
}

/* Nothing to do: sleep on RX interrupts and replies until the tick at @p next. */
static void
idle_sleep(struct lcore_ctx *lc, struct gs_idle_state *idle, uint64_t next)
{
	/* asleep, it holds no table or ring: a reload need not wait for it */
	reload_offline(lc->p, lc->idx);
	if (lcore_sleep(lc->p, lc->idx, &lc->sleep, next, replies_pending, lc, idle))
		gs_ctr_add(&lc->st->sleeps, 1);
	reload_online(lc->p, lc->idx);
}

int
dataplane_init(struct primary *p)
{
	unsigned int id;

	RTE_LCORE_FOREACH(id) {
		int idx = rte_lcore_index((int)id);
		int socket = (int)rte_lcore_to_socket_id(id);
		struct lcore_ctx *lc;

		if (idx < 0 || (unsigned int)idx >= p->n_lcores ||
			(unsigned int)idx >= GS_MAX_PRIMARY_LCORES) {
			GS_LOG(ERR, "lcore %u has index %d: the primary has %u lcores", id, idx,
				p->n_lcores);
			return -EINVAL;
		}
		lc = rte_zmalloc_socket("gs_lcore_ctx", sizeof(*lc), RTE_CACHE_LINE_SIZE, socket);
		if (lc == NULL) {
			GS_LOG(ERR, "no hugepage memory for the state of lcore %u", id);
			return -ENOMEM;
		}
		p->lcore_ctx[idx] = lc; /* dataplane_fini() frees it, whatever comes next */
		lc->source_tat = rte_zmalloc_socket("gs_source_tat",
			SOURCE_BUCKETS * sizeof(uint64_t), RTE_CACHE_LINE_SIZE, socket);
		if (lc->source_tat == NULL) {
			GS_LOG(ERR, "no hugepage memory for the source buckets of lcore %u", id);
			return -ENOMEM;
		}
		lc->p = p;
		lc->idx = (unsigned int)idx;
		lc->st = &p->ctl->lcores[idx];
		challenge_init(&lc->challenge, p->ctl->cookie_key, p->app.cfg.challenge_ttl_ms);
		residence_init(lc);
	}
	return 0;
}

void
dataplane_fini(struct primary *p)
{
	for (unsigned int i = 0; i < GS_MAX_PRIMARY_LCORES; i++) {
		struct lcore_ctx *lc = p->lcore_ctx[i];

		if (lc == NULL)
			continue;
		rte_free(lc->source_tat);
		rte_free(lc);
		p->lcore_ctx[i] = NULL;
	}
}

/*
 * An lcore that cannot poll stops the group: its queues would go unpolled,
 * and only the main lcore turns a signal into a stop, so without this the
 * others would never leave their loops and main() would wait for ever.
 */
static int
lcore_fail(struct primary *p, int idx, int err, const char *why)
{
	GS_LOG(ERR, "lcore %u (index %d): %s: stopping every lcore", rte_lcore_id(), idx, why);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	return err;
}

int
dataplane_lcore(void *arg)
{
	struct primary *p = arg;
	int idx = rte_lcore_index((int)rte_lcore_id());
	const struct gs_cfg_proc *pc = &p->app.cfg.proc[GS_ROLE_PRIMARY];
	bool is_main = rte_lcore_id() == rte_get_main_lcore();
	struct gs_idle_state idle;
	struct lcore_ctx *lc;
	uint64_t tick, next;

	if (idx < 0 || (unsigned int)idx >= p->n_lcores || idx >= GS_MAX_PRIMARY_LCORES)
		return lcore_fail(p, idx, -EINVAL, "not one of the primary's lcores");
	lc = p->lcore_ctx[idx];
	if (lc == NULL)
		return lcore_fail(p, idx, -ENOMEM, "its state was not prepared (dataplane_init)");
	tick = rte_get_timer_hz() / TICKS_PER_SEC;
	next = rte_get_timer_cycles() + tick;
	gs_idle_init(&idle, pc->idle, pc->idle_max_us);
	lcore_sleep_init(p, lc->idx, &lc->sleep);
	if (pc->idle == GS_IDLE_WAKE && !lc->sleep.armed)
		gs_idle_init(&idle, GS_IDLE_BACKOFF, pc->idle_max_us);
	GS_LOG(NOTICE, "lcore %u (index %u) polling, idle %s", rte_lcore_id(), lc->idx,
		gs_idle_name(idle.mode));

	reload_online(p, lc->idx);
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = rte_get_timer_cycles();

		reload_quiescent(p, lc->idx); /* nothing of the last pass is held */
		if (poll_once(lc, now) > 0) {
			/* the work, apart from the idle polling around it */
			gs_ctr_add(&lc->st->busy_cycles, rte_get_timer_cycles() - now);
			gs_idle_reset(&idle);
		} else if (gs_idle_wait(&idle)) {
			idle_sleep(lc, &idle, next);
		}
		if (now >= next) { /* every lcore's tick bounds its sleeps */
			next = now + tick;
			lc->probe_all = true;
			if (is_main) {
				monitor_tick(p, now);
				reload_tick(p);
				if (*p->sig_stop)
					__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
			}
		}
	}
	reload_offline(p, lc->idx);
	return 0;
}
