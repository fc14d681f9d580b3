/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-loadgen's port: set-up and stop, the link, ARP for the server, framing
 * (Ethernet, IPv4, UDP and the game header) and sending, and the receive path
 * that matches every answer to its session and request.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "loadgen.h"

#define NB_MBUFS	8191u
#define MBUF_CACHE	256u
#define NB_DESC		1024u
#define ARP_SRC_IP	RTE_IPV4(198, 19, 0, 1)
#define LINK_TIMEOUT_MS 5000u
#define ARP_TIMEOUT_MS	2000u
#define ARP_RETRY_MS	200u

void
net_connect_nonce(const struct lg *g, uint32_t idx, uint8_t nonce[GS_WIRE_AUTH_LEN])
{
	uint8_t in[4] = { (uint8_t)(idx >> 24), (uint8_t)(idx >> 16), (uint8_t)(idx >> 8),
		(uint8_t)idx };

	crypto_shorthash(nonce, in, sizeof(in), g->nonce_key);
}

/* Does @p m, of session 0, echo the connect nonce of session @p s? */
static bool
echoes_nonce(const struct lg *g, const struct sess *s, const struct gsc_msg *m)
{
	uint8_t nonce[GS_WIRE_AUTH_LEN];

	net_connect_nonce(g, (uint32_t)(s - g->s), nonce);
	return sodium_memcmp(m->hdr.auth_tag, nonce, sizeof(nonce)) == 0;
}

int
net_port_init(struct lg *g)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int sock = (int)rte_socket_id();
	int ret;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "gs-loadgen: need exactly one port, found %u (--vdev)\n",
			rte_eth_dev_count_avail());
		return -1;
	}
	g->port_id = 0;
	RTE_ETH_FOREACH_DEV(g->port_id)
		break;

	g->pool = rte_pktmbuf_pool_create(
		"lg_pool", NB_MBUFS, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	if (g->pool == NULL) {
		fprintf(stderr, "gs-loadgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	memset(&info, 0, sizeof(info));
	ret = rte_eth_dev_info_get(g->port_id, &info);
	if (ret == 0)
		ret = rte_eth_dev_configure(g->port_id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(g->port_id, 0, NB_DESC, sock, NULL, g->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(g->port_id, 0, NB_DESC, sock, NULL);
	if (ret == 0)
		ret = rte_eth_macaddr_get(g->port_id, &g->mac);
	if (ret == 0)
		ret = rte_eth_dev_start(g->port_id);
	if (ret != 0) {
		fprintf(stderr,
			"gs-loadgen: port %u (%s) does not start: %s (for memif: is the server end, "
			"gs-primary with role=server, listening on the socket?)\n",
			g->port_id, info.driver_name != NULL ? info.driver_name : "?",
			rte_strerror(-ret));
		return -1;
	}
	return 0;
}

/* Fill Ethernet, IPv4 and UDP headers for a datagram of @p dlen bytes from session @p s. */
static void
put_headers(const struct lg *g, uint8_t *p, const struct sess *s, uint16_t dlen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t udp_len = (uint16_t)(sizeof(*udp) + dlen);

	rte_ether_addr_copy(&g->server_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + udp_len));
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = s->ip;
	ip->dst_addr = rte_cpu_to_be_32(g->o.server_ip);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = s->port;
	udp->dst_port = rte_cpu_to_be_16(g->o.server_port);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0; /* none */
}

int
net_build(
	struct lg *g, struct rte_mbuf *m, struct sess *s, uint8_t type, const ProtobufCMessage *pb)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	size_t cap = rte_pktmbuf_tailroom(m), dlen;
	int ret;

	if (cap < HDRS_LEN + GS_WIRE_HDR_LEN)
		return -ENOSPC;
	ret = gsc_frame_build(
		p + HDRS_LEN, cap - HDRS_LEN, type, s->session_id, s->tx_seq, pb, &dlen);
	if (ret < 0)
		return ret;
	put_headers(g, p, s, (uint16_t)dlen);
	m->data_len = (uint16_t)(HDRS_LEN + dlen);
	m->pkt_len = m->data_len;
	s->tx_seq++;
	return 0;
}

unsigned int
net_send_all(struct lg *g, struct rte_mbuf **m, unsigned int n, unsigned int tries)
{
	unsigned int sent = 0;

	while (sent < n && tries-- > 0)
		sent += rte_eth_tx_burst(g->port_id, 0, m + sent, (uint16_t)(n - sent));
	if (sent < n) {
		g->c.tx_full += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
	return sent;
}

/* ---- receive ---------------------------------------------------------------------------- */

static void
on_answer(struct lg *g, struct sess *s, uint64_t echo, uint64_t now)
{
	uint64_t lat;

	if (echo < g->run_tsc || echo > now) {
		g->c.bad_echo++;
		return;
	}
	if (s->outstanding == 0) {
		g->c.unmatched++;
		return;
	}
	s->outstanding--;
	g->c.answered++;
	lat = (uint64_t)((double)(now - echo) * g->ns_per_tsc);
	gsc_hist_add(&g->lat, lat);
	if (lat > g->tick_max)
		g->tick_max = lat;
}

static void
on_accept(struct lg *g, struct sess *s, const struct gsc_msg *m, uint64_t now)
{
	const Gs__ConnectAccept *a = m->u.accept;

	if (s->state != SESS_CONNECTING || a->session_id == 0 || a->session_id != m->hdr.session_id)
		return; /* a duplicate (CONNECT retransmits) or nonsense */
	s->state = SESS_CONNECTED;
	s->session_id = a->session_id;
	s->entity_id = a->entity_id;
	s->spawn[0] = s->base[0] = a->spawn_x;
	s->spawn[1] = s->base[1] = a->spawn_y;
	s->spawn[2] = s->base[2] = a->spawn_z;
	g->c.connect_accepted++;
	if (a->client_time_ns <= now)
		gsc_hist_add(&g->connect_lat,
			(uint64_t)((double)(now - a->client_time_ns) * g->ns_per_tsc));
}

static void
on_datagram(struct lg *g, struct sess *s, const uint8_t *p, size_t len, uint64_t now)
{
	struct gsc_msg *m = &g->msg;
	uint8_t type;

	if (gsc_frame_parse(p, len, m) != 0) {
		g->c.rx_bad++;
		return;
	}
	type = m->hdr.type;
	g->c.rx_replies++;
	g->c.by_type[type]++;
	if (g->rx_count_on)
		g->rx_window++;
	switch (type) {
	case GS_MSG_CONNECT_ACCEPT:
		on_accept(g, s, m, now);
		break;
	case GS_MSG_SESSION_ERROR:
		if (m->hdr.session_id == 0 && !echoes_nonce(g, s, m)) {
			g->c.bad_echo++; /* no answer to our CONNECT: forged */
			break;
		}
		g->c.session_errors++;
		if (s->state == SESS_CONNECTING) {
			s->state = SESS_FAILED;
			g->c.connect_failed++;
		}
		break;
	case GS_MSG_DISCONNECT:
		g->c.disconnects++;
		s->state = SESS_CLOSED;
		break;
	case GS_MSG_HEARTBEAT_ACK:
		on_answer(g, s, m->u.heartbeat_ack->client_time_ns, now);
		break;
	case GS_MSG_MOVE_ACK:
		on_answer(g, s, m->u.move_ack->client_time_ns, now);
		break;
	case GS_MSG_MOVE_REJECT: {
		const Gs__MoveReject *r = m->u.move_reject;

		g->c.move_reject[(unsigned int)r->reason < REASONS ? (unsigned int)r->reason :
								     REASONS]++;
		if (r->reason == GS__MOVE_REJECT__REASON__TOO_FAST ||
			r->reason == GS__MOVE_REJECT__REASON__DEAD ||
			r->reason == GS__MOVE_REJECT__REASON__OUT_OF_BOUNDS) {
			/* snap to the authoritative position */
			s->base[0] = r->x;
			s->base[1] = r->y;
			s->base[2] = r->z;
			s->walk = 0;
		}
		on_answer(g, s, r->client_time_ns, now);
		break;
	}
	case GS_MSG_ATTACK_RESULT: {
		const Gs__AttackResult *r = m->u.attack_result;

		g->c.attack_result[(unsigned int)r->result < RESULTS ? (unsigned int)r->result :
								       RESULTS]++;
		on_answer(g, s, r->client_time_ns, now);
		break;
	}
	default: /* DAMAGED and anything else: not an answer */
		break;
	}
}

static void
on_arp(struct lg *g, const uint8_t *p, uint32_t len)
{
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)p;

	if (len < sizeof(*arp) || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY) ||
		arp->arp_data.arp_sip != rte_cpu_to_be_32(g->o.server_ip))
		return;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &g->server_mac);
	g->arp_ok = true;
}

static void
on_frame(struct lg *g, struct rte_mbuf *mb, uint64_t now)
{
	const uint8_t *p = rte_pktmbuf_mtod(mb, const uint8_t *);
	uint32_t len = mb->data_len;
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t ihl, total, idx;
	struct sess *s;

	g->c.rx_frames++;
	if (mb->nb_segs != 1 || len < sizeof(*eth))
		goto other;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		on_arp(g, p + sizeof(*eth), len - (uint32_t)sizeof(*eth));
		return;
	}
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp))
		goto other;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (ip->version_ihl & 0xfu) * 4u;
	total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || total < ihl + sizeof(*udp) ||
		sizeof(*eth) + total > len || ip->next_proto_id != IPPROTO_UDP ||
		ip->src_addr != rte_cpu_to_be_32(g->o.server_ip))
		goto other;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (udp->src_port != rte_cpu_to_be_16(g->o.server_port) ||
		rte_be_to_cpu_16(udp->dgram_len) != total - ihl)
		goto other;
	idx = (uint32_t)rte_be_to_cpu_16(udp->dst_port) - SRC_PORT_BASE;
	if (idx >= g->o.sessions)
		goto other;
	s = &g->s[idx];
	if (ip->dst_addr != s->ip)
		goto other;
	on_datagram(g, s, (const uint8_t *)(udp + 1), total - ihl - sizeof(*udp), now);
	return;
other:
	g->c.rx_other++;
}

unsigned int
net_rx_poll(struct lg *g)
{
	struct rte_mbuf *mb[BURST];
	uint16_t n = rte_eth_rx_burst(g->port_id, 0, mb, BURST);
	uint64_t now;

	if (n == 0)
		return 0;
	now = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++)
		on_frame(g, mb[i], now);
	rte_pktmbuf_free_bulk(mb, n);
	return n;
}

void
net_rx_for(struct lg *g, uint64_t ms)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, ms);

	while (rte_rdtsc() < end)
		if (net_rx_poll(g) == 0)
			idle(g);
}

/* ---- link and ARP ---------------------------------------------------------------------- */

int
net_wait_link(struct lg *g)
{
	uint64_t end = rte_rdtsc() + ms_tsc(g, LINK_TIMEOUT_MS);
	struct rte_eth_link link;

	do {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(g->port_id, &link) == 0 &&
			link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_us_sleep(10000);
	} while (rte_rdtsc() < end && !*g->stop);
	fprintf(stderr,
		"gs-loadgen: port link still down after %u ms: is the server end up (gs-primary with "
		"net_memif role=server on the same socket)?\n",
		LINK_TIMEOUT_MS);
	return -1;
}

int
net_resolve_server(struct lg *g)
{
	uint64_t t0 = rte_rdtsc(), end = t0 + ms_tsc(g, ARP_TIMEOUT_MS), next = t0;
	char ipbuf[INET_ADDRSTRLEN];
	struct in_addr ia = { .s_addr = rte_cpu_to_be_32(g->o.server_ip) };

	inet_ntop(AF_INET, &ia, ipbuf, sizeof(ipbuf));
	while (!g->arp_ok && !*g->stop) {
		uint64_t now = rte_rdtsc();

		if (now >= end)
			break;
		if (now >= next) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
			struct rte_ether_hdr *eth;
			struct rte_arp_hdr *arp;

			if (m == NULL)
				return -1;
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			arp = (struct rte_arp_hdr *)(eth + 1);
			memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
			rte_ether_addr_copy(&g->mac, &eth->src_addr);
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
			arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
			arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			arp->arp_hlen = RTE_ETHER_ADDR_LEN;
			arp->arp_plen = 4;
			arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
			rte_ether_addr_copy(&g->mac, &arp->arp_data.arp_sha);
			arp->arp_data.arp_sip = RTE_BE32(ARP_SRC_IP);
			memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
			arp->arp_data.arp_tip = rte_cpu_to_be_32(g->o.server_ip);
			m->data_len = m->pkt_len = (uint32_t)(sizeof(*eth) + sizeof(*arp));
			g->arp_tries++;
			net_send_all(g, &m, 1, 100);
			next = now + ms_tsc(g, ARP_RETRY_MS);
		}
		if (net_rx_poll(g) == 0)
			rte_delay_us_sleep(100);
	}
	g->arp_ms = tsc_ms(g, rte_rdtsc() - t0);
	if (!g->arp_ok) {
		fprintf(stderr,
			"gs-loadgen: no ARP reply for %s after %u ms (%u requests): is the server's "
			"[net] ip %s?\n",
			ipbuf, ARP_TIMEOUT_MS, g->arp_tries, ipbuf);
		return -1;
	}
	if (!g->o.quiet) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		print_mac(mac, sizeof(mac), &g->server_mac);
		fprintf(stderr, "gs-loadgen: %s is at %s (ARP, %.1f ms, %u request(s))\n", ipbuf,
			mac, g->arp_ms, g->arp_tries);
	}
	return 0;
}

void
net_port_close(struct lg *g)
{
	int ret = rte_eth_dev_stop(g->port_id);

	if (ret != 0)
		fprintf(stderr, "gs-loadgen: port stop: %s\n", rte_strerror(-ret));
	rte_eth_dev_close(g->port_id);
}
