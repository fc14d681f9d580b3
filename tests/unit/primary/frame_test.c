/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <CUnit/CUnit.h>

#include "gs_auth.h"
#include "gs_test.h"
#include "gs_wire.h"

#include "frame.h"

/*
 * Frames are built inline by the helpers below (valid, with correct
 * checksums); a test breaks one field, reseals the checksums when the field
 * is checked after them, and looks at the verdict.
 */
/* RTE_IPV4() of DPDK 22.11 shifts a signed int: undefined for a first byte >= 128 */
#define IPV4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define OUR_IP	  IPV4(198, 18, 0, 2)
#define PEER_IP	  IPV4(198, 18, 0, 1)
#define OTHER_IP  IPV4(198, 18, 0, 3)
#define GAME_PORT 7777
#define PEER_PORT 40001
#define ETH	  RTE_ETHER_HDR_LEN
#define BUF_LEN	  (FRAME_MAX_LEN + 64)

#define OUR_MAC                                    \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02 \
	}
#define PEER_MAC                                   \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01 \
	}

static const uint8_t our_mac[RTE_ETHER_ADDR_LEN] = OUR_MAC;
static const uint8_t peer_mac[RTE_ETHER_ADDR_LEN] = PEER_MAC;

/* The primary: untagged, and serving VLAN 100. */
static const struct frame_cfg cfg = {
	.ip = RTE_BE32(OUR_IP),
	.udp_port = RTE_BE16(GAME_PORT),
	.vlan = 0,
	.mac = OUR_MAC,
};
static const struct frame_cfg cfg_vlan = {
	.ip = RTE_BE32(OUR_IP),
	.udp_port = RTE_BE16(GAME_PORT),
	.vlan = 100,
	.mac = OUR_MAC,
};

/* What a test game frame looks like; zero fields give an untagged frame, no options. */
struct spec {
	uint16_t tci;	    /* 802.1Q tag control; 0: untagged */
	uint8_t ip_opt_len; /* bytes of IPv4 options, a multiple of 4 */
	uint16_t payload_len;
};

static uint8_t f[BUF_LEN] __rte_aligned(8);
static struct frame_info info;

/* Ethernet (+ 802.1Q) header from the peer to us; returns its length. */
static uint32_t
put_eth(uint8_t *p, uint16_t tci, uint16_t ether_type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(p + ETH);

	memcpy(eth->dst_addr.addr_bytes, our_mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN);
	if (tci == 0) {
		eth->ether_type = rte_cpu_to_be_16(ether_type);
		return ETH;
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = rte_cpu_to_be_16(tci);
	vh->eth_proto = rte_cpu_to_be_16(ether_type);
	return ETH + sizeof(*vh);
}

/* IPv4 header from the peer to us with @p l4_len bytes after it; returns its length. */
static uint32_t
put_ipv4(uint8_t *p, uint8_t proto, uint8_t opt_len, uint16_t l4_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	uint16_t ihl = (uint16_t)(sizeof(*ip) + opt_len);

	ip->version_ihl = (uint8_t)(0x40 | ihl / 4);
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + l4_len));
	ip->packet_id = RTE_BE16(0x1234);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 17;
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->src_addr = RTE_BE32(PEER_IP);
	ip->dst_addr = RTE_BE32(OUR_IP);
	memset(p + sizeof(*ip), 0x01, opt_len); /* NOPs ... */
	if (opt_len > 0)
		p[ihl - 1] = 0x00; /* ... and end of options */
	return ihl;
}

/* Recompute the IPv4 header checksum and the UDP or ICMP checksum behind it. */
static void
reseal(uint8_t *frame, uint32_t l2)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + l2);
	uint8_t *l4 = frame + l2 + rte_ipv4_hdr_len(ip);
	uint16_t l4_len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip));

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (ip->next_proto_id == IPPROTO_UDP && l4_len >= sizeof(struct rte_udp_hdr)) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;

		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else if (ip->next_proto_id == IPPROTO_ICMP && l4_len >= sizeof(struct rte_icmp_hdr)) {
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)l4;

		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(l4, l4_len);
	}
}

/* A valid game message (MOVE, session 0x01020304, sequence 9) from the peer; returns its length. */
static uint32_t
game_frame(uint8_t *p, const struct spec *s)
{
	const struct gs_hdr h = {
		.magic = GS_WIRE_MAGIC,
		.version = GS_WIRE_VERSION,
		.type = GS_MSG_MOVE_FIRST,
		.session_id = 0x01020304u,
		.sequence = 9,
		.payload_len = s->payload_len,
	};
	uint16_t udp_len =
		(uint16_t)(sizeof(struct rte_udp_hdr) + GS_WIRE_HDR_LEN + s->payload_len);
	uint32_t l2 = put_eth(p, s->tci, RTE_ETHER_TYPE_IPV4);
	uint32_t l3 = put_ipv4(p + l2, IPPROTO_UDP, s->ip_opt_len, udp_len);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + l2 + l3);
	uint8_t *gs = (uint8_t *)(udp + 1);

	udp->src_port = RTE_BE16(PEER_PORT);
	udp->dst_port = RTE_BE16(GAME_PORT);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	gs_hdr_encode(&h, gs, GS_WIRE_HDR_LEN);
	for (unsigned int i = 0; i < s->payload_len; i++)
		gs[GS_WIRE_HDR_LEN + i] = (uint8_t)(0xa0 + i);
	reseal(p, l2);
	return l2 + l3 + udp_len;
}

/* An ICMP message of @p type with @p data_len data bytes from the peer; returns its length. */
static uint32_t
icmp_frame(uint8_t *p, uint8_t type, uint16_t data_len)
{
	uint16_t icmp_len = (uint16_t)(sizeof(struct rte_icmp_hdr) + data_len);
	uint32_t l3 = put_ipv4(p + ETH, IPPROTO_ICMP, 0, icmp_len);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(p + ETH + l3);

	put_eth(p, 0, RTE_ETHER_TYPE_IPV4);
	icmp->icmp_type = type;
	icmp->icmp_code = 0;
	icmp->icmp_ident = RTE_BE16(0x4242);
	icmp->icmp_seq_nb = RTE_BE16(7);
	for (unsigned int i = 0; i < data_len; i++)
		((uint8_t *)(icmp + 1))[i] = (uint8_t)('a' + i);
	reseal(p, ETH);
	return ETH + l3 + icmp_len;
}

/* An Ethernet/IPv4 ARP message from the peer asking for @p target_ip (host order). */
static uint32_t
arp_frame(uint8_t *p, uint16_t opcode, uint32_t target_ip)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(p + ETH);

	put_eth(p, 0, RTE_ETHER_TYPE_ARP);
	memset(p, 0xff, RTE_ETHER_ADDR_LEN); /* broadcast */
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(opcode);
	memcpy(arp->arp_data.arp_sha.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_sip = RTE_BE32(PEER_IP);
	memset(arp->arp_data.arp_tha.addr_bytes, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
	return ETH + sizeof(*arp);
}

/* Insert an 802.1Q tag @p tci after the MAC addresses of the @p len-byte frame. */
static uint32_t
tag(uint8_t *p, uint32_t len, uint16_t tci)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(p + ETH);
	uint16_t type = eth->ether_type;

	memmove(p + ETH + sizeof(*vh), p + ETH, len - ETH);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = rte_cpu_to_be_16(tci);
	vh->eth_proto = type;
	return len + (uint32_t)sizeof(*vh);
}

/* The 802.1Q TCI of a tagged frame (host order), 0 when untagged. */
static uint16_t
tci_of(const uint8_t *p)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)p;

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_VLAN))
		return 0;
	return rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(p + ETH))->vlan_tci);
}

/* Headers of an untagged frame without IP options. */
static struct rte_ipv4_hdr *
ip_of(uint8_t *p)
{
	return (struct rte_ipv4_hdr *)(p + ETH);
}

static struct rte_udp_hdr *
udp_of(uint8_t *p)
{
	return (struct rte_udp_hdr *)(p + ETH + sizeof(struct rte_ipv4_hdr));
}

static uint8_t *
gs_of(uint8_t *p)
{
	return p + ETH + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);
}

/* Parse with the untagged config and return the drop reason (GS_DROP_NONE if not dropped). */
static enum gs_drop
drop_of(const uint8_t *p, uint32_t len)
{
	if (frame_parse(p, len, &cfg, &info) != FRAME_DROP)
		return GS_DROP_NONE;
	return info.drop;
}

static enum gs_drop
drop_of_vlan(const uint8_t *p, uint32_t len)
{
	if (frame_parse(p, len, &cfg_vlan, &info) != FRAME_DROP)
		return GS_DROP_NONE;
	return info.drop;
}

/* --- accepted frames --------------------------------------------------------------------- */

static void
test_valid_game_frame_is_game_with_peer_and_header(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .payload_len = 5 });

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.drop, GS_DROP_NONE);
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(PEER_IP));
	CU_ASSERT_EQUAL(info.peer.port, RTE_BE16(PEER_PORT));
	CU_ASSERT_EQUAL(memcmp(info.peer.mac, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(info.peer.vlan_tci, 0);
	CU_ASSERT_EQUAL(info.hdr.magic, GS_WIRE_MAGIC);
	CU_ASSERT_EQUAL(info.hdr.version, GS_WIRE_VERSION);
	CU_ASSERT_EQUAL(info.hdr.type, GS_MSG_MOVE_FIRST);
	CU_ASSERT_EQUAL(info.hdr.session_id, 0x01020304u);
	CU_ASSERT_EQUAL(info.hdr.sequence, 9);
	CU_ASSERT_EQUAL(info.hdr.payload_len, 5);
	CU_ASSERT_EQUAL(info.l2_len, ETH);
	CU_ASSERT_EQUAL(info.l3_len, 20);
	CU_ASSERT_EQUAL(info.ip_total, 20 + 8 + 24 + 5);
	CU_ASSERT_EQUAL(info.payload_off, ETH + 20 + 8 + 24);
	CU_ASSERT_EQUAL(f[info.payload_off], 0xa0);
	CU_ASSERT_EQUAL(len, info.payload_off + 5u);
}

static void
test_vlan_frame_with_configured_vid_is_game_with_tci(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .tci = 0xa064 }); /* PCP 5, VID 100 */

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg_vlan, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.peer.vlan_tci, 0xa064);
	CU_ASSERT_EQUAL(info.l2_len, ETH + 4);
	CU_ASSERT_EQUAL(info.payload_off, ETH + 4 + 20 + 8 + 24);
}

static void
test_ethernet_padding_after_ip_total_is_ignored(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	memset(f + len, 0, 6);
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len + 6, &cfg, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.ip_total, len - ETH);
}

static void
test_padded_minimum_icmp_frame_is_echo(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 4); /* 46 bytes */

	CU_ASSERT_EQUAL_FATAL(len, 46);
	memset(f + len, 0, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN - len);
	CU_ASSERT_EQUAL(frame_parse(f, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN, &cfg, &info),
		FRAME_ICMP_ECHO);
	CU_ASSERT_EQUAL(info.ip_total, 20 + 8 + 4);
}

static void
test_zero_udp_checksum_is_accepted(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	udp_of(f)->dgram_cksum = 0;
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_GAME);
}

static void
test_arp_request_for_our_ip_is_arp_request(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ARP_REQUEST);
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(PEER_IP));
	CU_ASSERT_EQUAL(memcmp(info.peer.mac, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(info.l2_len, ETH);
}

/* What is answered at once is charged to its sender's bucket first: ARP as echo requests. */
static void
test_arp_and_echo_requests_are_charged_to_their_source(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ARP_REQUEST);
	CU_ASSERT_TRUE(frame_charges_source(FRAME_ARP_REQUEST));
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(PEER_IP)); /* the bucket's key: the sender */
	len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 16);
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	CU_ASSERT_TRUE(frame_charges_source(FRAME_ICMP_ECHO));
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(PEER_IP));
	/* game frames: CONNECTs at dispatch, sessions by their own bucket; drops never */
	CU_ASSERT_FALSE(frame_charges_source(FRAME_GAME));
	CU_ASSERT_FALSE(frame_charges_source(FRAME_DROP));
}

/*
 * An ARP request flood from one sender, as handle_burst() meters it (the
 * bucket of the parsed sender address): the burst and then source_pps are
 * answered, the rest dropped as rate_source; another sender's requests, in
 * the same second, all are.
 */
static void
test_an_arp_flood_from_one_sender_is_answered_at_source_pps(void)
{
	const uint64_t hz = 1000000; /* timer 1 MHz */
	const struct gs_rate rate = gs_rate_of(hz, 5000, 500);
	uint64_t tat[2] = { 0, 0 }; /* buckets of PEER_IP and OTHER_IP */
	unsigned int answered[2] = { 0, 0 }, misparsed = 0;

	for (uint64_t t = 0; t < hz; t++) { /* one second: 999,000 from one, 1,000 from another */
		uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);
		unsigned int b;

		if (t % 1000 == 0)
			((struct rte_arp_hdr *)(f + ETH))->arp_data.arp_sip = RTE_BE32(OTHER_IP);
		if (frame_parse(f, len, &cfg, &info) != FRAME_ARP_REQUEST) {
			misparsed++;
			continue;
		}
		b = info.peer.ip == RTE_BE32(OTHER_IP);
		if (frame_charges_source(FRAME_ARP_REQUEST) &&
			!gs_gcra_allow(&tat[b], hz + t, &rate))
			continue; /* rate_source */
		answered[b]++;
	}
	CU_ASSERT_EQUAL(misparsed, 0);
	CU_ASSERT(answered[0] >= 500 + 5000 - 2 && answered[0] <= 500 + 5000 + 1);
	CU_ASSERT_EQUAL(answered[1], 1000);
}

static void
test_icmp_echo_request_to_us_is_echo(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 16);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(PEER_IP));
	CU_ASSERT_EQUAL(info.ip_total, 20 + 8 + 16);
}

/* --- Ethernet and VLAN ------------------------------------------------------------------- */

static void
test_frame_shorter_than_ethernet_is_eth_truncated(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	CU_ASSERT(len > ETH);
	CU_ASSERT_EQUAL(drop_of(f, 0), GS_DROP_ETH_TRUNCATED);
	CU_ASSERT_EQUAL(drop_of(f, ETH - 1), GS_DROP_ETH_TRUNCATED);
}

static void
test_truncated_vlan_tag_is_eth_truncated(void)
{
	game_frame(f, &(struct spec){ .tci = 100 });
	for (uint32_t len = ETH; len < ETH + 4; len++)
		CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_ETH_TRUNCATED);
}

static void
test_tagged_frame_without_configured_vlan_is_vlan_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .tci = 100 });

	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_VLAN);
}

static void
test_untagged_frame_with_configured_vlan_is_vlan_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
}

static void
test_wrong_vid_is_vlan_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .tci = 101 });

	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
}

static void
test_qinq_outer_tag_is_vlan_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .tci = 100 });

	((struct rte_ether_hdr *)f)->ether_type = RTE_BE16(RTE_ETHER_TYPE_QINQ);
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
}

static void
test_stacked_vlan_tags_are_vlan_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .tci = 100 });
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(f + ETH);

	vh->eth_proto = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
	vh->eth_proto = RTE_BE16(RTE_ETHER_TYPE_QINQ);
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
}

static void
test_ipv6_is_ethertype_drop(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	((struct rte_ether_hdr *)f)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ETHERTYPE);
}

/* --- ARP --------------------------------------------------------------------------------- */

static void
test_non_ethernet_arp_is_arp_invalid(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);

	((struct rte_arp_hdr *)(f + ETH))->arp_hardware = RTE_BE16(6); /* IEEE 802 */
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ARP_INVALID);
}

static void
test_arp_with_wrong_address_lengths_is_arp_invalid(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);

	((struct rte_arp_hdr *)(f + ETH))->arp_plen = 16;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ARP_INVALID);
	((struct rte_arp_hdr *)(f + ETH))->arp_plen = 4;
	((struct rte_arp_hdr *)(f + ETH))->arp_hlen = 8;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ARP_INVALID);
}

static void
test_truncated_arp_is_arp_invalid(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);

	CU_ASSERT_EQUAL(drop_of(f, len - 1), GS_DROP_ARP_INVALID);
}

static void
test_arp_reply_is_arp_ignored(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REPLY, OUR_IP);

	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ARP_IGNORED);
}

static void
test_arp_request_for_another_ip_is_arp_ignored(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OTHER_IP);

	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ARP_IGNORED);
}

/* --- IPv4 -------------------------------------------------------------------------------- */

static void
test_short_ipv4_header_is_ip_truncated(void)
{
	game_frame(f, &(struct spec){ 0 });
	CU_ASSERT_EQUAL(drop_of(f, ETH + 19), GS_DROP_IP_TRUNCATED);
	CU_ASSERT_EQUAL(drop_of(f, ETH), GS_DROP_IP_TRUNCATED);
}

static void
test_ip_version_6_in_ipv4_frame_is_ip_version(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->version_ihl = 0x65;
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_VERSION);
}

static void
test_ihl_below_5_is_ip_ihl(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->version_ihl = 0x44;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_IHL);
}

static void
test_ihl_beyond_frame_is_ip_ihl(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 }); /* 52 bytes of IP */

	ip_of(f)->version_ihl = 0x4f; /* 60 bytes of header */
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_IHL);
}

static void
test_total_length_below_ihl_is_ip_length(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->total_length = RTE_BE16(19);
	ip_of(f)->hdr_checksum = 0;
	ip_of(f)->hdr_checksum = rte_ipv4_cksum(ip_of(f));
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_LENGTH);
}

static void
test_total_length_beyond_frame_is_ip_length(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	CU_ASSERT_EQUAL(drop_of(f, len - 1), GS_DROP_IP_LENGTH);
	ip_of(f)->total_length = rte_cpu_to_be_16((uint16_t)(len - ETH + 1));
	ip_of(f)->hdr_checksum = 0;
	ip_of(f)->hdr_checksum = rte_ipv4_cksum(ip_of(f));
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_LENGTH);
}

static void
test_wrong_ip_checksum_is_ip_checksum(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->hdr_checksum ^= RTE_BE16(0x0100);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_CHECKSUM);
}

/* The NIC's "good" verdicts are believed; without them, the same frame is summed in software. */
static void
test_checksums_the_nic_verified_are_not_summed_again(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->hdr_checksum ^= RTE_BE16(0x0100); /* wrong: only a NIC's word can pass it */
	CU_ASSERT_EQUAL(frame_parse_hw(f, len, &cfg, &info, FRAME_HW_IP_GOOD), FRAME_GAME);
	CU_ASSERT_EQUAL(frame_parse_hw(f, len, &cfg, &info, FRAME_HW_L4_GOOD), FRAME_DROP);
	CU_ASSERT_EQUAL(info.drop, GS_DROP_IP_CHECKSUM);
	CU_ASSERT_EQUAL(frame_parse_hw(f, len, &cfg, &info, 0), FRAME_DROP);
	CU_ASSERT_EQUAL(info.drop, GS_DROP_IP_CHECKSUM);

	len = game_frame(f, &(struct spec){ 0 });
	udp_of(f)->dgram_cksum ^= RTE_BE16(0x0001);
	CU_ASSERT_EQUAL(frame_parse_hw(f, len, &cfg, &info, FRAME_HW_L4_GOOD), FRAME_GAME);
	CU_ASSERT_EQUAL(frame_parse_hw(f, len, &cfg, &info, FRAME_HW_IP_GOOD), FRAME_DROP);
	CU_ASSERT_EQUAL(info.drop, GS_DROP_UDP_CHECKSUM);
	/* every other check still runs: a truncated frame is refused whatever the NIC said */
	CU_ASSERT_EQUAL(
		frame_parse_hw(f, len - 1, &cfg, &info, FRAME_HW_IP_GOOD | FRAME_HW_L4_GOOD),
		FRAME_DROP);
	CU_ASSERT_EQUAL(info.drop, GS_DROP_IP_LENGTH);
}

static void
test_more_fragments_is_ip_fragment(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_FRAGMENT);
}

static void
test_nonzero_fragment_offset_is_ip_fragment(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->fragment_offset = RTE_BE16(1); /* last fragment, 8 bytes in */
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_FRAGMENT);
}

static void
test_other_destination_is_ip_not_for_us(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->dst_addr = RTE_BE32(OTHER_IP);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_NOT_FOR_US);
}

static void
test_martian_source_is_ip_martian_for_every_protocol(void)
{
	static const uint32_t martians[] = {
		IPV4(255, 255, 255, 255), /* broadcast */
		IPV4(0, 0, 0, 0),	  /* "this host" */
		IPV4(0, 1, 2, 3),	  /* "this network" */
		IPV4(127, 0, 0, 1),	  /* loopback */
		IPV4(127, 255, 255, 254),
		IPV4(224, 0, 0, 1), /* multicast */
		IPV4(239, 255, 255, 250),
		IPV4(240, 0, 0, 1), /* reserved */
		IPV4(254, 1, 2, 3),
	};
	uint32_t len;

	for (unsigned int i = 0; i < RTE_DIM(martians); i++) {
		/* an echo request would be answered to it */
		len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 8);
		ip_of(f)->src_addr = rte_cpu_to_be_32(martians[i]);
		reseal(f, ETH);
		CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_MARTIAN);
		/* a game message would be dispatched */
		len = game_frame(f, &(struct spec){ .payload_len = 2 });
		ip_of(f)->src_addr = rte_cpu_to_be_32(martians[i]);
		reseal(f, ETH);
		CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_MARTIAN);
		/* any other protocol, too */
		ip_of(f)->next_proto_id = IPPROTO_TCP;
		reseal(f, ETH);
		CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_MARTIAN);
	}
	/* the first and last ordinary addresses around them pass */
	len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 8);
	ip_of(f)->src_addr = RTE_BE32(IPV4(1, 0, 0, 0));
	reseal(f, ETH);
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	ip_of(f)->src_addr = RTE_BE32(IPV4(126, 255, 255, 255));
	reseal(f, ETH);
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	ip_of(f)->src_addr = RTE_BE32(IPV4(128, 0, 0, 0));
	reseal(f, ETH);
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	ip_of(f)->src_addr = RTE_BE32(IPV4(223, 255, 255, 255));
	reseal(f, ETH);
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
}

static void
test_martian_source_counts_after_the_checks_before_it(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	/* not for us (a broadcast from 0.0.0.0, DHCP): the kernel's, as before */
	ip_of(f)->src_addr = RTE_BE32(IPV4(0, 0, 0, 0));
	ip_of(f)->dst_addr = RTE_BE32(IPV4(255, 255, 255, 255));
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_NOT_FOR_US);
	/* a bad header checksum is still that */
	ip_of(f)->dst_addr = RTE_BE32(OUR_IP);
	reseal(f, ETH);
	ip_of(f)->hdr_checksum ^= 1;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_CHECKSUM);
}

static void
test_game_frame_with_ip_options_is_ip_options(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .ip_opt_len = 4, .payload_len = 1 });

	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_OPTIONS);
	len = game_frame(f, &(struct spec){ .ip_opt_len = 40, .payload_len = 1 }); /* IHL 15 */
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_OPTIONS);
	len = game_frame(f, &(struct spec){ .tci = 100, .ip_opt_len = 8, .payload_len = 3 });
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_IP_OPTIONS);
	/* the same datagram without options is the game's */
	len = game_frame(f, &(struct spec){ .payload_len = 1 });
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_GAME);
}

static void
test_ip_options_on_udp_to_another_port_are_udp_port(void)
{
	/* the host's traffic (the kernel exception path takes udp_port drops) */
	uint32_t len = game_frame(f, &(struct spec){ .ip_opt_len = 4, .payload_len = 1 });
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f + ETH + 24);

	udp->dst_port = RTE_BE16(53);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_PORT);
	/* and a bad UDP checksum is found first, as for any datagram */
	udp->dst_port = RTE_BE16(GAME_PORT);
	udp->dgram_cksum ^= 0x0100;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_CHECKSUM);
}

static void
test_tcp_is_ip_proto(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->next_proto_id = IPPROTO_TCP;
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_IP_PROTO);
}

/* --- ICMP -------------------------------------------------------------------------------- */

static void
test_icmp_with_bad_checksum_is_icmp_invalid(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 8);

	f[len - 1] ^= 0x01;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ICMP_INVALID);
}

static void
test_truncated_icmp_is_icmp_invalid(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 0);

	ip_of(f)->total_length = RTE_BE16(20 + 7);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ICMP_INVALID);
}

static void
test_icmp_echo_reply_is_icmp_ignored(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REPLY, 8);

	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_ICMP_IGNORED);
}

/* --- UDP --------------------------------------------------------------------------------- */

static void
test_short_udp_header_is_udp_truncated(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->total_length = RTE_BE16(20 + 7);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_TRUNCATED);
}

static void
test_udp_length_disagreeing_with_ip_is_udp_length(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .payload_len = 4 });
	uint16_t udp_len = (uint16_t)(len - ETH - 20);

	udp_of(f)->dgram_len = rte_cpu_to_be_16((uint16_t)(udp_len + 1));
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_LENGTH);
	udp_of(f)->dgram_len = rte_cpu_to_be_16((uint16_t)(udp_len - 1));
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_LENGTH);
}

static void
test_wrong_nonzero_udp_checksum_is_udp_checksum(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .payload_len = 4 });

	f[len - 1] ^= 0x01;
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_CHECKSUM);
}

static void
test_other_udp_port_is_udp_port(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	udp_of(f)->dst_port = RTE_BE16(GAME_PORT + 1);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_UDP_PORT);
}

/* --- game header ------------------------------------------------------------------------- */

static void
test_short_game_header_is_gs_truncated(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	ip_of(f)->total_length = RTE_BE16(20 + 8 + 23);
	udp_of(f)->dgram_len = RTE_BE16(8 + 23);
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_GS_TRUNCATED);
}

static void
test_bad_game_magic_is_gs_magic(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	gs_of(f)[0] = 'X';
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_GS_MAGIC);
}

static void
test_bad_game_version_is_gs_version(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	gs_of(f)[2] = 2;
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_GS_VERSION);
}

static void
test_wrong_payload_len_is_gs_length(void)
{
	uint32_t len = game_frame(f, &(struct spec){ .payload_len = 4 });

	gs_of(f)[13] = 5;
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_GS_LENGTH);
}

static void
test_reserved_game_flags_are_gs_flags(void)
{
	uint32_t len = game_frame(f, &(struct spec){ 0 });

	gs_of(f)[15] = 1;
	reseal(f, ETH);
	CU_ASSERT_EQUAL(drop_of(f, len), GS_DROP_GS_FLAGS);
}

/* --- robustness -------------------------------------------------------------------------- */

/* Parse every proper prefix of @p full from a heap copy of exactly that size. */
static void
assert_every_prefix_dropped(const uint8_t *full, uint32_t len, const struct frame_cfg *c)
{
	for (uint32_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut > 0 ? cut : 1);
		struct frame_info fi;

		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, full, cut);
		CU_ASSERT_EQUAL(frame_parse(copy, cut, c, &fi), FRAME_DROP);
		free(copy);
	}
}

static void
test_every_truncation_of_a_valid_frame_is_dropped(void)
{
	uint32_t len;

	len = game_frame(f, &(struct spec){ .payload_len = 9 });
	assert_every_prefix_dropped(f, len, &cfg);
	len = game_frame(f, &(struct spec){ .tci = 100, .ip_opt_len = 8, .payload_len = 3 });
	assert_every_prefix_dropped(f, len, &cfg_vlan);
	len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 5);
	assert_every_prefix_dropped(f, len, &cfg);
	len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);
	assert_every_prefix_dropped(f, len, &cfg);
}

/* --- replies ----------------------------------------------------------------------------- */

static void
test_arp_reply_answers_the_requester_with_our_addresses(void)
{
	uint32_t len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(f + ETH);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ARP_REQUEST);
	CU_ASSERT_EQUAL(frame_arp_reply(f, len, &cfg, &info), ETH + sizeof(struct rte_arp_hdr));
	CU_ASSERT_EQUAL(memcmp(eth->dst_addr.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(eth->src_addr.addr_bytes, our_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	CU_ASSERT_EQUAL(arp->arp_hardware, RTE_BE16(RTE_ARP_HRD_ETHER));
	CU_ASSERT_EQUAL(arp->arp_protocol, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	CU_ASSERT_EQUAL(arp->arp_hlen, 6);
	CU_ASSERT_EQUAL(arp->arp_plen, 4);
	CU_ASSERT_EQUAL(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	CU_ASSERT_EQUAL(memcmp(arp->arp_data.arp_sha.addr_bytes, our_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(arp->arp_data.arp_sip, RTE_BE32(OUR_IP));
	CU_ASSERT_EQUAL(memcmp(arp->arp_data.arp_tha.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(arp->arp_data.arp_tip, RTE_BE32(PEER_IP));
}

static void
test_icmp_reply_swaps_addresses_with_valid_checksums(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 11); /* odd length */
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = ip_of(f);
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(f + ETH + 20);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg, &info), FRAME_ICMP_ECHO);
	CU_ASSERT_EQUAL(frame_icmp_reply(f, len, &cfg, &info), len);
	CU_ASSERT_EQUAL(memcmp(eth->dst_addr.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(eth->src_addr.addr_bytes, our_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(ip->src_addr, RTE_BE32(OUR_IP));
	CU_ASSERT_EQUAL(ip->dst_addr, RTE_BE32(PEER_IP));
	CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	CU_ASSERT_EQUAL(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	CU_ASSERT_EQUAL(icmp->icmp_code, 0);
	CU_ASSERT_EQUAL(rte_raw_cksum(icmp, 8 + 11), 0xffff);
	CU_ASSERT_EQUAL(icmp->icmp_ident, RTE_BE16(0x4242));
	CU_ASSERT_EQUAL(icmp->icmp_seq_nb, RTE_BE16(7));
	CU_ASSERT_EQUAL(memcmp(icmp + 1, "abcdefghijk", 11), 0);
}

static void
test_icmp_reply_cuts_ethernet_padding(void)
{
	uint32_t len = icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 4); /* 46 bytes */

	memset(f + len, 0x77, 60 - len);
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, 60, &cfg, &info), FRAME_ICMP_ECHO);
	CU_ASSERT_EQUAL(frame_icmp_reply(f, 60, &cfg, &info), len);
	CU_ASSERT_EQUAL(rte_raw_cksum(f + ETH + 20, 8 + 4), 0xffff);
}

/* --- building ---------------------------------------------------------------------------- */

/* The receiving side of frame_build_udp() output: the peer's address and port. */
static const struct frame_cfg peer_cfg = {
	.ip = RTE_BE32(PEER_IP),
	.udp_port = RTE_BE16(PEER_PORT),
	.vlan = 0,
	.mac = PEER_MAC,
};
static const struct frame_cfg peer_cfg_vlan = {
	.ip = RTE_BE32(PEER_IP),
	.udp_port = RTE_BE16(PEER_PORT),
	.vlan = 100,
	.mac = PEER_MAC,
};
static const struct gs_peer to_peer = {
	.ip = RTE_BE32(PEER_IP),
	.port = RTE_BE16(PEER_PORT),
	.mac = PEER_MAC,
};
static const uint8_t payload[5] = { 'h', 'e', 'l', 'l', 'o' };

static const struct gs_hdr reply_hdr = {
	.magic = GS_WIRE_MAGIC,
	.version = GS_WIRE_VERSION,
	.type = GS_MSG_HEARTBEAT_ACK,
	.session_id = 0xcafef00du,
	.sequence = 77,
	.payload_len = sizeof(payload),
};

static void
test_built_udp_parses_back_as_game_frame_from_us(void)
{
	uint32_t len = frame_build_udp(f, sizeof(f), &cfg, &to_peer, 0x0102, &reply_hdr, payload);

	CU_ASSERT_EQUAL_FATAL(len, ETH + 20 + 8 + 24 + sizeof(payload));
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &peer_cfg, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(memcmp(f, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(info.peer.mac, our_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(info.peer.ip, RTE_BE32(OUR_IP));
	CU_ASSERT_EQUAL(info.peer.port, RTE_BE16(GAME_PORT));
	CU_ASSERT_EQUAL(info.peer.vlan_tci, 0);
	CU_ASSERT_EQUAL(memcmp(&info.hdr, &reply_hdr, sizeof(reply_hdr)), 0);
	CU_ASSERT_EQUAL(memcmp(f + info.payload_off, payload, sizeof(payload)), 0);
	CU_ASSERT_EQUAL(ip_of(f)->packet_id, RTE_BE16(0x0102));
}

static void
test_built_udp_has_valid_checksums(void)
{
	uint32_t len = frame_build_udp(f, sizeof(f), &cfg, &to_peer, 1, &reply_hdr, payload);
	const struct rte_ipv4_hdr *ip = ip_of(f);
	const struct rte_udp_hdr *udp = udp_of(f);
	uint32_t sum;

	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	CU_ASSERT_NOT_EQUAL(udp->dgram_cksum, 0); /* a checksum was computed */
	sum = rte_raw_cksum(udp, len - ETH - 20) + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	CU_ASSERT_EQUAL(sum, 0xffff);
}

static void
test_built_udp_is_tagged_when_peer_has_vlan_tci(void)
{
	struct gs_peer dst = to_peer;
	uint32_t len;

	dst.vlan_tci = 0xa064;
	len = frame_build_udp(f, sizeof(f), &cfg_vlan, &dst, 1, &reply_hdr, payload);
	CU_ASSERT_EQUAL_FATAL(len, ETH + 4 + 20 + 8 + 24 + sizeof(payload));
	CU_ASSERT_EQUAL(((struct rte_ether_hdr *)f)->ether_type, RTE_BE16(RTE_ETHER_TYPE_VLAN));
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &peer_cfg_vlan, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.peer.vlan_tci, 0xa064);
	CU_ASSERT_EQUAL(memcmp(f + info.payload_off, payload, sizeof(payload)), 0);
}

static void
test_reply_to_a_tagged_connect_carries_its_vid_and_priority(void)
{
	static uint8_t out[BUF_LEN];
	struct frame_info req;
	struct gs_hdr h = reply_hdr;
	uint32_t len = game_frame(f, &(struct spec){ .tci = 0xa064 }); /* PCP 5, VID 100 */

	((struct rte_udp_hdr *)(f + ETH + 4 + 20))->dgram_cksum = 0; /* checksum optional */
	gs_of(f + 4)[3] = GS_MSG_CONNECT;
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg_vlan, &req), FRAME_GAME);
	CU_ASSERT_EQUAL(req.hdr.type, GS_MSG_CONNECT);
	/* what the handler sends back to the request's peer */
	h.type = GS_MSG_CONNECT_ACCEPT;
	len = frame_build_udp(out, sizeof(out), &cfg_vlan, &req.peer, 1, &h, payload);
	CU_ASSERT_EQUAL_FATAL(len, ETH + 4 + 20 + 8 + 24 + sizeof(payload));
	CU_ASSERT_EQUAL(tci_of(out), 0xa064);
	CU_ASSERT_EQUAL(memcmp(out, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(frame_parse(out, len, &peer_cfg_vlan, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.hdr.type, GS_MSG_CONNECT_ACCEPT);
}

static void
test_reply_of_no_session_keeps_its_tag_a_session_reply_is_signed(void)
{
	static const uint8_t nonce[GS_WIRE_AUTH_LEN] = { 0x6e, 0x6f, 0x6e, 0x63, 0x65, 1, 2, 3 };
	static const uint8_t zero[GS_WIRE_AUTH_LEN];
	static const uint8_t key[GS_PKT_KEY_LEN] = { 9, 8, 7 };
	/* a CHALLENGE as gs_handler_reply_connect_pb() leaves it: the CONNECT's nonce echoed */
	struct gs_hdr h = { .type = GS_MSG_CHALLENGE, .payload_len = sizeof(payload) };
	uint32_t len;

	memcpy(h.auth_tag, nonce, sizeof(nonce));
	frame_reply_hdr(&h);
	CU_ASSERT_EQUAL(h.magic, GS_WIRE_MAGIC);
	CU_ASSERT_EQUAL(h.version, GS_WIRE_VERSION);
	len = frame_build_udp_tagged(f, sizeof(f), &cfg, &to_peer, 1, &h, payload, NULL);
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &peer_cfg, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.hdr.session_id, 0);
	CU_ASSERT_EQUAL(memcmp(info.hdr.auth_tag, nonce, sizeof(nonce)), 0);

	/* a session's reply: whatever its handler left there, the tag is the session key's */
	h = reply_hdr;
	h.magic = 0;
	memcpy(h.auth_tag, nonce, sizeof(nonce));
	frame_reply_hdr(&h);
	CU_ASSERT_EQUAL(h.magic, GS_WIRE_MAGIC);
	CU_ASSERT_EQUAL(memcmp(h.auth_tag, zero, sizeof(zero)), 0);
	len = frame_build_udp_tagged(f, sizeof(f), &cfg, &to_peer, 1, &h, payload, key);
	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &peer_cfg, &info), FRAME_GAME);
	CU_ASSERT_EQUAL(info.hdr.session_id, reply_hdr.session_id);
	CU_ASSERT_TRUE(gs_tag_verify(
		key, f + info.payload_off - GS_WIRE_HDR_LEN, GS_WIRE_HDR_LEN + sizeof(payload)));
	CU_ASSERT_NOT_EQUAL(memcmp(info.hdr.auth_tag, nonce, sizeof(nonce)), 0);
}

static void
test_reply_with_vlan_configured_always_carries_the_served_vid(void)
{
	struct gs_peer dst = to_peer; /* no tag recorded: the served VID anyway */
	uint32_t len = frame_build_udp(f, sizeof(f), &cfg_vlan, &dst, 1, &reply_hdr, payload);

	CU_ASSERT_EQUAL_FATAL(len, ETH + 4 + 20 + 8 + 24 + sizeof(payload));
	CU_ASSERT_EQUAL(tci_of(f), 100);
	dst.vlan_tci = 0x2000 | 101; /* PCP 1 kept, a stray VID replaced */
	len = frame_build_udp(f, sizeof(f), &cfg_vlan, &dst, 1, &reply_hdr, payload);
	CU_ASSERT_EQUAL(tci_of(f), 0x2000 | 100);
}

static void
test_untagged_reply_without_vlan(void)
{
	uint32_t len = frame_build_udp(f, sizeof(f), &cfg, &to_peer, 1, &reply_hdr, payload);

	CU_ASSERT_EQUAL_FATAL(len, ETH + 20 + 8 + 24 + sizeof(payload));
	CU_ASSERT_EQUAL(tci_of(f), 0);
	CU_ASSERT_EQUAL(((struct rte_ether_hdr *)f)->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
}

static void
test_arp_reply_to_a_tagged_request_keeps_the_tag(void)
{
	uint32_t len = tag(f, arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP), 0xa064);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(f + ETH + 4);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg_vlan, &info), FRAME_ARP_REQUEST);
	CU_ASSERT_EQUAL(frame_arp_reply(f, len, &cfg_vlan, &info), len);
	CU_ASSERT_EQUAL(tci_of(f), 0xa064);
	CU_ASSERT_EQUAL(
		((const struct rte_vlan_hdr *)(f + ETH))->eth_proto, RTE_BE16(RTE_ETHER_TYPE_ARP));
	CU_ASSERT_EQUAL(memcmp(f, peer_mac, RTE_ETHER_ADDR_LEN), 0);
	CU_ASSERT_EQUAL(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	CU_ASSERT_EQUAL(arp->arp_data.arp_sip, RTE_BE32(OUR_IP));
	CU_ASSERT_EQUAL(arp->arp_data.arp_tip, RTE_BE32(PEER_IP));
}

static void
test_icmp_reply_to_a_tagged_echo_keeps_the_tag(void)
{
	uint32_t len = tag(f, icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 8), 0xa064);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + ETH + 4);

	CU_ASSERT_EQUAL_FATAL(frame_parse(f, len, &cfg_vlan, &info), FRAME_ICMP_ECHO);
	CU_ASSERT_EQUAL(frame_icmp_reply(f, len, &cfg_vlan, &info), len);
	CU_ASSERT_EQUAL(tci_of(f), 0xa064);
	CU_ASSERT_EQUAL(ip->src_addr, RTE_BE32(OUR_IP));
	CU_ASSERT_EQUAL(ip->dst_addr, RTE_BE32(PEER_IP));
	CU_ASSERT_EQUAL(rte_raw_cksum(ip, 20), 0xffff);
	CU_ASSERT_EQUAL(rte_raw_cksum((const uint8_t *)ip + 20, 8 + 8), 0xffff);
}

static void
test_tagged_arp_and_icmp_of_another_vid_are_vlan_drop(void)
{
	uint32_t len = tag(f, arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP), 101);

	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
	len = tag(f, icmp_frame(f, RTE_IP_ICMP_ECHO_REQUEST, 8), 101);
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
	/* and untagged ones, with a VLAN configured */
	len = arp_frame(f, RTE_ARP_OP_REQUEST, OUR_IP);
	CU_ASSERT_EQUAL(drop_of_vlan(f, len), GS_DROP_VLAN);
}

static void
test_build_udp_refuses_a_buffer_too_small(void)
{
	uint32_t need = ETH + 20 + 8 + 24 + sizeof(payload);

	CU_ASSERT_EQUAL(frame_build_udp(f, need - 1, &cfg, &to_peer, 1, &reply_hdr, payload), 0);
	CU_ASSERT_EQUAL(frame_build_udp(f, 0, &cfg, &to_peer, 1, &reply_hdr, payload), 0);
	CU_ASSERT_EQUAL(frame_build_udp(f, need, &cfg, &to_peer, 1, &reply_hdr, payload), need);
}

static void
test_build_udp_refuses_payload_over_max(void)
{
	static uint8_t big[GS_WIRE_MAX_PAYLOAD + 1];
	struct gs_hdr h = reply_hdr;

	h.payload_len = GS_WIRE_MAX_PAYLOAD + 1;
	CU_ASSERT_EQUAL(frame_build_udp(f, sizeof(f), &cfg, &to_peer, 1, &h, big), 0);
}

static void
test_largest_tagged_udp_fills_frame_max_len(void)
{
	static uint8_t big[GS_WIRE_MAX_PAYLOAD];
	struct gs_peer dst = to_peer;
	struct gs_hdr h = reply_hdr;

	dst.vlan_tci = 100;
	h.payload_len = GS_WIRE_MAX_PAYLOAD;
	CU_ASSERT_EQUAL(
		frame_build_udp(f, FRAME_MAX_LEN, &cfg_vlan, &dst, 1, &h, big), FRAME_MAX_LEN);
}

static CU_TestInfo accept_tests[] = {
	{ "valid game frame is game with peer and header",
		test_valid_game_frame_is_game_with_peer_and_header },
	{ "vlan frame with configured vid is game with tci",
		test_vlan_frame_with_configured_vid_is_game_with_tci },
	{ "ethernet padding after ip total is ignored",
		test_ethernet_padding_after_ip_total_is_ignored },
	{ "padded minimum icmp frame is echo", test_padded_minimum_icmp_frame_is_echo },
	{ "zero udp checksum is accepted", test_zero_udp_checksum_is_accepted },
	{ "arp request for our ip is arp request", test_arp_request_for_our_ip_is_arp_request },
	{ "arp and echo requests are charged to their source",
		test_arp_and_echo_requests_are_charged_to_their_source },
	{ "an arp flood from one sender is answered at source_pps",
		test_an_arp_flood_from_one_sender_is_answered_at_source_pps },
	{ "icmp echo request to us is echo", test_icmp_echo_request_to_us_is_echo },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo drop_tests[] = {
	{ "frame shorter than ethernet is eth_truncated",
		test_frame_shorter_than_ethernet_is_eth_truncated },
	{ "truncated vlan tag is eth_truncated", test_truncated_vlan_tag_is_eth_truncated },
	{ "tagged frame without configured vlan is vlan",
		test_tagged_frame_without_configured_vlan_is_vlan_drop },
	{ "untagged frame with configured vlan is vlan",
		test_untagged_frame_with_configured_vlan_is_vlan_drop },
	{ "wrong vid is vlan", test_wrong_vid_is_vlan_drop },
	{ "qinq outer tag is vlan", test_qinq_outer_tag_is_vlan_drop },
	{ "stacked vlan tags are vlan", test_stacked_vlan_tags_are_vlan_drop },
	{ "ipv6 is ethertype", test_ipv6_is_ethertype_drop },
	{ "non-ethernet arp is arp_invalid", test_non_ethernet_arp_is_arp_invalid },
	{ "arp with wrong address lengths is arp_invalid",
		test_arp_with_wrong_address_lengths_is_arp_invalid },
	{ "truncated arp is arp_invalid", test_truncated_arp_is_arp_invalid },
	{ "arp reply is arp_ignored", test_arp_reply_is_arp_ignored },
	{ "arp request for another ip is arp_ignored",
		test_arp_request_for_another_ip_is_arp_ignored },
	{ "short ipv4 header is ip_truncated", test_short_ipv4_header_is_ip_truncated },
	{ "ip version 6 in ipv4 frame is ip_version",
		test_ip_version_6_in_ipv4_frame_is_ip_version },
	{ "ihl below 5 is ip_ihl", test_ihl_below_5_is_ip_ihl },
	{ "ihl beyond frame is ip_ihl", test_ihl_beyond_frame_is_ip_ihl },
	{ "total length below ihl is ip_length", test_total_length_below_ihl_is_ip_length },
	{ "total length beyond frame is ip_length", test_total_length_beyond_frame_is_ip_length },
	{ "wrong ip checksum is ip_checksum", test_wrong_ip_checksum_is_ip_checksum },
	{ "checksums the NIC verified are not summed again",
		test_checksums_the_nic_verified_are_not_summed_again },
	{ "more fragments is ip_fragment", test_more_fragments_is_ip_fragment },
	{ "nonzero fragment offset is ip_fragment", test_nonzero_fragment_offset_is_ip_fragment },
	{ "other destination is ip_not_for_us", test_other_destination_is_ip_not_for_us },
	{ "martian source is ip_martian for every protocol",
		test_martian_source_is_ip_martian_for_every_protocol },
	{ "martian source counts after the checks before it",
		test_martian_source_counts_after_the_checks_before_it },
	{ "game frame with ip options is ip_options",
		test_game_frame_with_ip_options_is_ip_options },
	{ "ip options on udp to another port are udp_port",
		test_ip_options_on_udp_to_another_port_are_udp_port },
	{ "tcp is ip_proto", test_tcp_is_ip_proto },
	{ "icmp with bad checksum is icmp_invalid", test_icmp_with_bad_checksum_is_icmp_invalid },
	{ "truncated icmp is icmp_invalid", test_truncated_icmp_is_icmp_invalid },
	{ "icmp echo reply is icmp_ignored", test_icmp_echo_reply_is_icmp_ignored },
	{ "short udp header is udp_truncated", test_short_udp_header_is_udp_truncated },
	{ "udp length disagreeing with ip is udp_length",
		test_udp_length_disagreeing_with_ip_is_udp_length },
	{ "wrong nonzero udp checksum is udp_checksum",
		test_wrong_nonzero_udp_checksum_is_udp_checksum },
	{ "other udp port is udp_port", test_other_udp_port_is_udp_port },
	{ "short game header is gs_truncated", test_short_game_header_is_gs_truncated },
	{ "bad game magic is gs_magic", test_bad_game_magic_is_gs_magic },
	{ "bad game version is gs_version", test_bad_game_version_is_gs_version },
	{ "wrong payload_len is gs_length", test_wrong_payload_len_is_gs_length },
	{ "reserved game flags are gs_flags", test_reserved_game_flags_are_gs_flags },
	{ "every truncation of a valid frame is dropped",
		test_every_truncation_of_a_valid_frame_is_dropped },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo reply_tests[] = {
	{ "arp reply answers the requester with our addresses",
		test_arp_reply_answers_the_requester_with_our_addresses },
	{ "icmp reply swaps addresses with valid checksums",
		test_icmp_reply_swaps_addresses_with_valid_checksums },
	{ "icmp reply cuts ethernet padding", test_icmp_reply_cuts_ethernet_padding },
	{ "built udp parses back as game frame from us",
		test_built_udp_parses_back_as_game_frame_from_us },
	{ "built udp has valid checksums", test_built_udp_has_valid_checksums },
	{ "built udp is tagged when peer has vlan tci",
		test_built_udp_is_tagged_when_peer_has_vlan_tci },
	{ "reply to a tagged connect carries its vid and priority",
		test_reply_to_a_tagged_connect_carries_its_vid_and_priority },
	{ "reply of no session keeps its tag, a session reply is signed",
		test_reply_of_no_session_keeps_its_tag_a_session_reply_is_signed },
	{ "reply with vlan configured always carries the served vid",
		test_reply_with_vlan_configured_always_carries_the_served_vid },
	{ "untagged reply without vlan", test_untagged_reply_without_vlan },
	{ "arp reply to a tagged request keeps the tag",
		test_arp_reply_to_a_tagged_request_keeps_the_tag },
	{ "icmp reply to a tagged echo keeps the tag",
		test_icmp_reply_to_a_tagged_echo_keeps_the_tag },
	{ "tagged arp and icmp of another vid are vlan",
		test_tagged_arp_and_icmp_of_another_vid_are_vlan_drop },
	{ "build udp refuses a buffer too small", test_build_udp_refuses_a_buffer_too_small },
	{ "build udp refuses payload over max", test_build_udp_refuses_payload_over_max },
	{ "largest tagged udp fills FRAME_MAX_LEN", test_largest_tagged_udp_fills_frame_max_len },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "frame_parse accepts", .pTests = accept_tests },
	{ .pName = "frame_parse drops", .pTests = drop_tests },
	{ .pName = "frame replies and building", .pTests = reply_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
