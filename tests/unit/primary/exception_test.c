/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <CUnit/CUnit.h>

#include "gs_test.h"

#include "exception.h"
#include "frame.h"

/*
 * Which refused frames the kernel exception path takes (frames built inline,
 * parsed by frame_parse(), then asked to exc_wanted()), and its token bucket.
 */
#define IPV4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define OUR_IP	  IPV4(198, 18, 0, 2)
#define PEER_IP	  IPV4(198, 18, 0, 1)
#define OTHER_IP  IPV4(198, 18, 0, 3)
#define GAME_PORT 7777
#define ETH	  RTE_ETHER_HDR_LEN

#define OUR_MAC                                    \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02 \
	}
static const uint8_t our_mac[RTE_ETHER_ADDR_LEN] = OUR_MAC;
static const uint8_t peer_mac[RTE_ETHER_ADDR_LEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t bcast_mac[RTE_ETHER_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static const struct frame_cfg cfg = {
	.ip = RTE_BE32(OUR_IP),
	.udp_port = RTE_BE16(GAME_PORT),
	.vlan = 0,
	.mac = OUR_MAC,
};

static uint8_t f[256] __rte_aligned(8);
static struct frame_info info;

static uint32_t
put_eth(uint8_t *p, const uint8_t *dst, uint16_t tci, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;

	memcpy(eth->dst_addr.addr_bytes, dst, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN);
	if (tci == 0) {
		eth->ether_type = rte_cpu_to_be_16(type);
		return ETH;
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	((struct rte_vlan_hdr *)(p + ETH))->vlan_tci = rte_cpu_to_be_16(tci);
	((struct rte_vlan_hdr *)(p + ETH))->eth_proto = rte_cpu_to_be_16(type);
	return ETH + sizeof(struct rte_vlan_hdr);
}

/* An IPv4 packet from the peer to @p dst with @p l4_len bytes of protocol @p proto. */
static uint32_t
ipv4_frame(const uint8_t *dst_mac, uint16_t tci, uint32_t dst, uint8_t proto, uint16_t frag,
	uint16_t l4_len)
{
	uint32_t l2 = put_eth(f, dst_mac, tci, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + l2);

	memset(ip, 0, sizeof(*ip) + l4_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = RTE_BE32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return l2 + (uint32_t)sizeof(*ip) + l4_len;
}

static uint32_t
udp_frame(const uint8_t *dst_mac, uint32_t dst, uint16_t dport)
{
	uint32_t len = ipv4_frame(dst_mac, 0, dst, IPPROTO_UDP, RTE_IPV4_HDR_DF_FLAG, 8 + 4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + ETH);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	udp->src_port = RTE_BE16(40000);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = RTE_BE16(8 + 4);
	memcpy(udp + 1, "ping", 4);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return len;
}

static uint32_t
icmp_frame(uint8_t type)
{
	uint32_t len = ipv4_frame(our_mac, 0, OUR_IP, IPPROTO_ICMP, 0, 8);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(f + ETH + 20);

	icmp->icmp_type = type;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8);
	return len;
}

static uint32_t
arp_frame(uint16_t op, uint32_t target)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(f + ETH);

	put_eth(f, op == RTE_ARP_OP_REQUEST ? bcast_mac : our_mac, 0, RTE_ETHER_TYPE_ARP);
	memset(arp, 0, sizeof(*arp));
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(arp->arp_data.arp_sha.addr_bytes, peer_mac, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_sip = RTE_BE32(PEER_IP);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
	return ETH + sizeof(*arp);
}

/* Parse @p len bytes of f; the frame must be refused with @p why. Return exc_wanted(). */
static bool
wanted(uint32_t len, enum gs_drop why)
{
	CU_ASSERT_EQUAL(frame_parse(f, len, &cfg, &info), FRAME_DROP);
	CU_ASSERT_EQUAL(info.drop, why);
	return exc_wanted(f, len, &cfg, &info);
}

/* --- what the kernel gets ---------------------------------------------------------------- */

static void
test_tcp_to_our_address_goes_to_the_kernel(void)
{
	uint32_t len = ipv4_frame(our_mac, 0, OUR_IP, IPPROTO_TCP, RTE_IPV4_HDR_DF_FLAG, 20);

	CU_ASSERT_TRUE(wanted(len, GS_DROP_IP_PROTO));
}

static void
test_udp_to_another_port_goes_to_the_kernel(void)
{
	CU_ASSERT_TRUE(wanted(udp_frame(our_mac, OUR_IP, 9999), GS_DROP_UDP_PORT));
	CU_ASSERT_TRUE(wanted(udp_frame(our_mac, OUR_IP, 22), GS_DROP_UDP_PORT));
}

static void
test_ipv6_goes_to_the_kernel(void)
{
	uint32_t len = put_eth(f, our_mac, 0, RTE_ETHER_TYPE_IPV6) + 40;

	CU_ASSERT_TRUE(wanted(len, GS_DROP_ETHERTYPE));
}

static void
test_arp_reply_and_request_for_another_address_go_to_the_kernel(void)
{
	CU_ASSERT_TRUE(wanted(arp_frame(RTE_ARP_OP_REPLY, OUR_IP), GS_DROP_ARP_IGNORED));
	CU_ASSERT_TRUE(wanted(arp_frame(RTE_ARP_OP_REQUEST, OTHER_IP), GS_DROP_ARP_IGNORED));
}

static void
test_arp_request_for_our_address_is_answered_not_forwarded(void)
{
	CU_ASSERT_EQUAL(frame_parse(f, arp_frame(RTE_ARP_OP_REQUEST, OUR_IP), &cfg, &info),
		FRAME_ARP_REQUEST);
}

static void
test_icmp_other_than_echo_request_goes_to_the_kernel(void)
{
	CU_ASSERT_TRUE(wanted(icmp_frame(RTE_IP_ICMP_ECHO_REPLY), GS_DROP_ICMP_IGNORED));
	CU_ASSERT_TRUE(wanted(icmp_frame(3 /* destination unreachable */), GS_DROP_ICMP_IGNORED));
	CU_ASSERT_EQUAL(
		frame_parse(f, icmp_frame(RTE_IP_ICMP_ECHO_REQUEST), &cfg, &info), FRAME_ICMP_ECHO);
}

static void
test_fragment_to_our_address_goes_to_the_kernel(void)
{
	uint32_t len = ipv4_frame(our_mac, 0, OUR_IP, IPPROTO_UDP, RTE_IPV4_HDR_MF_FLAG, 16);

	CU_ASSERT_TRUE(wanted(len, GS_DROP_IP_FRAGMENT));
}

static void
test_broadcast_to_another_address_goes_to_the_kernel(void)
{
	/* a DHCP offer to 255.255.255.255 */
	CU_ASSERT_TRUE(
		wanted(udp_frame(bcast_mac, IPV4(255, 255, 255, 255), 68), GS_DROP_IP_NOT_FOR_US));
}

/* --- what it does not ---------------------------------------------------------------------- */

static void
test_unicast_to_another_address_is_dropped(void)
{
	CU_ASSERT_FALSE(wanted(udp_frame(our_mac, OTHER_IP, 9999), GS_DROP_IP_NOT_FOR_US));
}

static void
test_fragment_to_another_address_is_dropped(void)
{
	uint32_t len = ipv4_frame(our_mac, 0, OTHER_IP, IPPROTO_UDP, RTE_IPV4_HDR_MF_FLAG, 16);

	CU_ASSERT_FALSE(wanted(len, GS_DROP_IP_FRAGMENT));
}

static void
test_malformed_frames_are_dropped(void)
{
	uint32_t len = udp_frame(our_mac, OUR_IP, 9999);

	f[len - 1] ^= 0xff; /* UDP checksum now wrong */
	CU_ASSERT_FALSE(wanted(len, GS_DROP_UDP_CHECKSUM));
	len = udp_frame(our_mac, OUR_IP, 9999);
	f[ETH + 10] ^= 0xff; /* IPv4 header checksum */
	CU_ASSERT_FALSE(wanted(len, GS_DROP_IP_CHECKSUM));
	len = arp_frame(RTE_ARP_OP_REPLY, OUR_IP);
	CU_ASSERT_FALSE(wanted(len - 1, GS_DROP_ARP_INVALID));
	CU_ASSERT_FALSE(wanted(ETH - 1, GS_DROP_ETH_TRUNCATED));
}

static void
test_tcp_from_a_martian_source_is_dropped(void)
{
	uint32_t len = ipv4_frame(our_mac, 0, OUR_IP, IPPROTO_TCP, RTE_IPV4_HDR_DF_FLAG, 20);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + ETH);

	ip->src_addr = RTE_BE32(IPV4(127, 0, 0, 1)); /* "ssh from localhost", on the wire */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	CU_ASSERT_FALSE(wanted(len, GS_DROP_IP_MARTIAN));
}

static void
test_game_port_and_other_vlans_are_dropped(void)
{
	uint32_t len = udp_frame(our_mac, OUR_IP, GAME_PORT); /* "ping" is no game header */

	CU_ASSERT_FALSE(wanted(len, GS_DROP_GS_TRUNCATED));
	len = ipv4_frame(our_mac, 100, OUR_IP, IPPROTO_TCP, 0, 20);
	CU_ASSERT_FALSE(wanted(len, GS_DROP_VLAN));
}

static void
test_every_drop_reason_of_a_handler_or_the_tx_path_is_not_the_kernels(void)
{
	static const enum gs_drop ours[] = { GS_DROP_GS_TYPE, GS_DROP_UNKNOWN_SESSION,
		GS_DROP_WRONG_ADDRESS, GS_DROP_HANDLER_DOWN, GS_DROP_RING_FULL,
		GS_DROP_REPLY_INVALID, GS_DROP_TX_NOMBUF, GS_DROP_TX_FULL, GS_DROP_FRAME_SEGMENTED,
		GS_DROP_EXCEPTION_RATE, GS_DROP_EXCEPTION_FULL, GS_DROP_IP_OPTIONS };
	struct frame_info fi = { 0 };
	uint32_t len = udp_frame(our_mac, OUR_IP, 9999);

	for (unsigned int i = 0; i < RTE_DIM(ours); i++) {
		fi.drop = ours[i];
		CU_ASSERT_FALSE(exc_wanted(f, len, &cfg, &fi));
	}
}

/* --- the token bucket ---------------------------------------------------------------------- */

static void
test_bucket_passes_a_burst_then_one_per_interval(void)
{
	struct exc_bucket b;
	uint64_t now = 1000000;

	exc_bucket_init(&b, 1000, 10, 3); /* timer 1000 Hz: one frame per 100 ticks */
	CU_ASSERT_EQUAL(b.rate.interval, 100);
	CU_ASSERT_EQUAL(b.rate.tolerance, 200);
	CU_ASSERT_TRUE(exc_bucket_take(&b, now));
	CU_ASSERT_TRUE(exc_bucket_take(&b, now));
	CU_ASSERT_TRUE(exc_bucket_take(&b, now));
	CU_ASSERT_FALSE(exc_bucket_take(&b, now));
	CU_ASSERT_FALSE(exc_bucket_take(&b, now + 99));
	CU_ASSERT_TRUE(exc_bucket_take(&b, now + 100));
	CU_ASSERT_FALSE(exc_bucket_take(&b, now + 100));
	/* idle long enough: the whole burst again, never more */
	now += 10000;
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE(exc_bucket_take(&b, now));
	CU_ASSERT_FALSE(exc_bucket_take(&b, now));
}

static void
test_bucket_rate_over_a_second_is_the_configured_pps(void)
{
	struct exc_bucket b;
	uint64_t hz = 2450000000ull, start = 5 * hz, passed = 0;

	exc_bucket_init(&b, hz, 10000, 2000);
	/* offered: 1,000,000 frames evenly over one second */
	for (uint64_t i = 0; i < 1000000; i++)
		passed += exc_bucket_take(&b, start + i * (hz / 1000000));
	/* the burst plus one second at the rate */
	CU_ASSERT(passed >= 2000 + 10000 - 2 && passed <= 2000 + 10000 + 1);
}

static void
test_bucket_of_burst_1_passes_one_frame_at_a_time(void)
{
	struct exc_bucket b;

	exc_bucket_init(&b, 1000, 1000, 1);
	CU_ASSERT_EQUAL(b.rate.interval, 1);
	CU_ASSERT_EQUAL(b.rate.tolerance, 0);
	CU_ASSERT_TRUE(exc_bucket_take(&b, 50));
	CU_ASSERT_FALSE(exc_bucket_take(&b, 50));
	CU_ASSERT_TRUE(exc_bucket_take(&b, 51));
}

static void
test_bucket_rate_above_the_timer_is_one_tick(void)
{
	struct exc_bucket b;

	exc_bucket_init(&b, 1000, 5000, 4);
	CU_ASSERT_EQUAL(b.rate.interval, 1);
	CU_ASSERT_EQUAL(b.rate.tolerance, 3);
}

/* --- the host's lanes ---------------------------------------------------------------------- */

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_FIN 0x01

/*
 * An IPv4 frame from @p src to our address (or from us to @p src with
 * @p out), carrying a TCP header with @p flags (IPPROTO_TCP) or a 4-byte UDP
 * datagram without checksum (IPPROTO_UDP), header checksum valid.
 */
static uint32_t
l4_frame(uint8_t *buf, bool out, uint32_t src, uint8_t proto, uint16_t sport, uint16_t dport,
	uint8_t flags)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + ETH);
	uint16_t l4_len = proto == IPPROTO_TCP ? 20 : 8 + 4;

	memcpy(eth->dst_addr.addr_bytes, out ? peer_mac : our_mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, out ? our_mac : peer_mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip) + l4_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(out ? OUR_IP : src);
	ip->dst_addr = rte_cpu_to_be_32(out ? src : OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

		tcp->src_port = rte_cpu_to_be_16(sport);
		tcp->dst_port = rte_cpu_to_be_16(dport);
		tcp->data_off = 5 << 4;
		tcp->tcp_flags = flags;
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		udp->src_port = rte_cpu_to_be_16(sport);
		udp->dst_port = rte_cpu_to_be_16(dport);
		udp->dgram_len = RTE_BE16(8 + 4);
	}
	return ETH + (uint32_t)sizeof(*ip) + l4_len;
}

static uint32_t
tcp_in(uint8_t *buf, uint32_t src, uint16_t sport, uint16_t dport, uint8_t flags)
{
	return l4_frame(buf, false, src, IPPROTO_TCP, sport, dport, flags);
}

static uint32_t
udp_in(uint8_t *buf, uint32_t src, uint16_t sport, uint16_t dport)
{
	return l4_frame(buf, false, src, IPPROTO_UDP, sport, dport, 0);
}

/* An IPv6 frame (no extension header) with @p next, @p hop and 20 bytes of L4 header. */
static uint32_t
ipv6_frame(uint8_t *buf, uint8_t next, uint8_t hop, uint8_t l4_byte0, uint16_t sport,
	uint16_t dport, uint8_t tcp_flags)
{
	uint8_t *ip = buf + put_eth(buf, our_mac, 0, RTE_ETHER_TYPE_IPV6), *l4 = ip + 40;

	memset(ip, 0, 40 + 20);
	ip[0] = 0x60;
	ip[5] = 20; /* payload length */
	ip[6] = next;
	ip[7] = hop;
	if (next == IPPROTO_ICMPV6) {
		l4[0] = l4_byte0;
	} else {
		l4[0] = (uint8_t)(sport >> 8);
		l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
		l4[13] = tcp_flags;
	}
	return ETH + 40 + 20;
}

static void
test_arp_neighbour_discovery_and_dhcp_are_the_link_lane(void)
{
	uint8_t b[128];

	CU_ASSERT_EQUAL(exc_lane_of(f, arp_frame(RTE_ARP_OP_REPLY, OUR_IP), true), EXC_LANE_LINK);
	CU_ASSERT_EQUAL(
		exc_lane_of(f, arp_frame(RTE_ARP_OP_REQUEST, OTHER_IP), true), EXC_LANE_LINK);
	CU_ASSERT_EQUAL(exc_lane_of(f, arp_frame(RTE_ARP_OP_REQUEST, PEER_IP), false),
		EXC_LANE_LINK); /* the kernel's own requests */
	/* neighbour solicitation and advertisement, router advertisement: hop limit 255 */
	for (uint8_t type = 133; type <= 137; type++)
		CU_ASSERT_EQUAL(
			exc_lane_of(b, ipv6_frame(b, IPPROTO_ICMPV6, 255, type, 0, 0, 0), true),
			EXC_LANE_LINK);
	/* DHCP: the server's answers in, the client's requests out; DHCPv6 the same */
	CU_ASSERT_EQUAL(exc_lane_of(b, udp_in(b, PEER_IP, 67, 68), true), EXC_LANE_LINK);
	CU_ASSERT_EQUAL(exc_lane_of(b, l4_frame(b, true, PEER_IP, IPPROTO_UDP, 68, 67, 0), false),
		EXC_LANE_LINK);
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_UDP, 64, 0, 547, 546, 0), true),
		EXC_LANE_LINK);
	/* a DHCP offer as it arrives: broadcast to 255.255.255.255 */
	CU_ASSERT_EQUAL(exc_lane_of(f, udp_frame(bcast_mac, IPV4(255, 255, 255, 255), 68), true),
		EXC_LANE_OTHER); /* from port 40000: no server's answer */
}

static void
test_tcp_but_connection_requests_is_the_tcp_lane(void)
{
	static const uint8_t host[] = { TCP_ACK, TCP_ACK | TCP_PSH, TCP_SYN | TCP_ACK,
		TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK };
	uint8_t b[128];

	for (unsigned int k = 0; k < RTE_DIM(host); k++)
		CU_ASSERT_EQUAL(
			exc_lane_of(b, tcp_in(b, PEER_IP, 40000, 22, host[k]), true), EXC_LANE_TCP);
	CU_ASSERT_EQUAL(
		exc_lane_of(b, tcp_in(b, PEER_IP, 40000, 22, TCP_SYN), true), EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_TCP, 64, 0, 40000, 22, TCP_ACK), true),
		EXC_LANE_TCP);
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_TCP, 64, 0, 40000, 22, TCP_SYN), true),
		EXC_LANE_OTHER);
}

static void
test_dns_and_ntp_answers_are_the_udp_lane(void)
{
	uint8_t b[128];

	CU_ASSERT_EQUAL(exc_lane_of(b, udp_in(b, PEER_IP, 53, 40000), true), EXC_LANE_UDP);
	CU_ASSERT_EQUAL(exc_lane_of(b, udp_in(b, PEER_IP, 123, 123), true), EXC_LANE_UDP);
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_UDP, 64, 0, 53, 40000, 0), true),
		EXC_LANE_UDP);
	CU_ASSERT_EQUAL(exc_lane_of(b, udp_in(b, PEER_IP, 40000, 53), true), EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(exc_lane_of(b, udp_in(b, PEER_IP, 40000, 9999), true), EXC_LANE_OTHER);
}

/* What the kernel sends: its own connections and queries, or its answers to others'. */
static void
test_the_kernels_answers_to_connection_requests_are_no_host_lane(void)
{
	uint8_t b[128];

	CU_ASSERT_EQUAL(
		exc_lane_of(b, l4_frame(b, true, PEER_IP, IPPROTO_TCP, 22, 40000, TCP_ACK), false),
		EXC_LANE_TCP);
	CU_ASSERT_EQUAL(
		exc_lane_of(b, l4_frame(b, true, PEER_IP, IPPROTO_TCP, 40000, 443, TCP_SYN), false),
		EXC_LANE_TCP); /* the host opens a connection */
	CU_ASSERT_EQUAL(
		exc_lane_of(b,
			l4_frame(b, true, PEER_IP, IPPROTO_TCP, 22, 40000, TCP_SYN | TCP_ACK),
			false),
		EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(
		exc_lane_of(b,
			l4_frame(b, true, PEER_IP, IPPROTO_TCP, 22, 40000, TCP_RST | TCP_ACK),
			false),
		EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(
		exc_lane_of(b, l4_frame(b, true, PEER_IP, IPPROTO_UDP, 40000, 53, 0), false),
		EXC_LANE_UDP);
	CU_ASSERT_EQUAL(
		exc_lane_of(b, l4_frame(b, true, PEER_IP, IPPROTO_UDP, 53, 40000, 0), false),
		EXC_LANE_OTHER);
}

static void
test_fragments_icmp_and_discovery_from_afar_are_no_host_lane(void)
{
	uint8_t b[128];
	uint32_t len = ipv4_frame(our_mac, 0, OUR_IP, IPPROTO_TCP, RTE_IPV4_HDR_MF_FLAG, 20);

	f[ETH + 20 + 13] = TCP_ACK;
	CU_ASSERT_EQUAL(exc_lane_of(f, len, true), EXC_LANE_OTHER); /* a fragment */
	CU_ASSERT_EQUAL(exc_lane_of(f, icmp_frame(3), true), EXC_LANE_OTHER);
	/* neighbour discovery that a router forwarded is forged */
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_ICMPV6, 64, 135, 0, 0, 0), true),
		EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(exc_lane_of(b, ipv6_frame(b, IPPROTO_ICMPV6, 255, 128, 0, 0, 0), true),
		EXC_LANE_OTHER); /* echo request */
	/* cut short: nothing is read past the end */
	len = tcp_in(b, PEER_IP, 40000, 22, TCP_ACK);
	CU_ASSERT_EQUAL(exc_lane_of(b, len - 7, true), EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(exc_lane_of(b, ETH + 19, true), EXC_LANE_OTHER);
	CU_ASSERT_EQUAL(exc_lane_of(b, ETH - 1, true), EXC_LANE_OTHER);
	/* one 802.1Q tag is looked through */
	len = put_eth(b, our_mac, 100, RTE_ETHER_TYPE_ARP);
	CU_ASSERT_EQUAL(exc_lane_of(b, len + 28, true), EXC_LANE_LINK);
}

static void
test_limit_reserves_a_share_for_each_host_lane(void)
{
	struct exc_limit l;

	exc_limit_init(&l, 1000000, 10000, 2000, 20); /* timer 1 MHz */
	CU_ASSERT_EQUAL(l.shared.rate.interval, 125); /* 8000/s */
	CU_ASSERT_EQUAL(l.shared.rate.tolerance, 125 * 1599);
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_LINK].rate.interval, 2000); /* 500/s */
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_LINK].rate.tolerance, 2000 * 99);
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_TCP].rate.interval, 1000); /* 1000/s */
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_TCP].rate.tolerance, 1000 * 199);
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_UDP].rate.interval, 2000); /* 500/s */
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_UDP].rate.tolerance, 2000 * 99);
	CU_ASSERT_EQUAL(l.reserve[EXC_LANE_OTHER].rate.interval, 0);
	/* 0: one bucket, as before the lanes */
	exc_limit_init(&l, 1000000, 10000, 2000, 0);
	CU_ASSERT_EQUAL(l.shared.rate.interval, 100);
	CU_ASSERT_EQUAL(l.shared.rate.tolerance, 100 * 1999);
	for (unsigned int k = 0; k < EXC_LANE_MAX; k++)
		CU_ASSERT_EQUAL(l.reserve[k].rate.interval, 0);
}

static void
test_a_host_lane_spills_into_the_shared_bucket_never_the_reverse(void)
{
	struct exc_limit l;
	unsigned int n;

	/* 10/s, bursts of 10, half reserved: shared 5 (burst 5); TCP 2 (burst 2) */
	exc_limit_init(&l, 1000, 10, 10, 50);
	for (n = 0; exc_limit_take(&l, EXC_LANE_OTHER, 0); n++)
		;
	CU_ASSERT_EQUAL(n, 5); /* the shared bucket only */
	for (n = 0; exc_limit_take(&l, EXC_LANE_TCP, 0); n++)
		;
	CU_ASSERT_EQUAL(n, 2); /* its reserve is still whole */
	exc_limit_init(&l, 1000, 10, 10, 50);
	for (n = 0; exc_limit_take(&l, EXC_LANE_TCP, 0); n++)
		;
	CU_ASSERT_EQUAL(n, 2 + 5); /* its reserve, then the shared rest */
	CU_ASSERT_TRUE(exc_limit_take(&l, EXC_LANE_UDP, 0));
	CU_ASSERT_TRUE(exc_limit_take(&l, EXC_LANE_LINK, 0));
	CU_ASSERT_FALSE(exc_limit_take(&l, EXC_LANE_OTHER, 0));
}

/*
 * A flood against the exception path, frame by frame as exception_to_kernel()
 * judges it: parsed, wanted by the kernel, its lane, the port's limit.
 * Timer 1 MHz, 10,000 frames/s, bursts of 2,000, over 2 s.
 */
#define SIM_HZ	  1000000u
#define SIM_US	  2000000u
#define SIM_PPS	  10000u
#define SIM_BURST 2000u

enum sim_src {
	SIM_FLOOD,
	SIM_SSH,
	SIM_DNS,
	SIM_ARP,
	SIM_MAX
};

struct sim {
	unsigned int offered[SIM_MAX], passed[SIM_MAX];
};

static uint32_t sim_rand = 12345;

/* A source address of 10.0.0.0/8 that changes every frame. */
static uint32_t
spoofed_source(void)
{
	sim_rand = sim_rand * 1103515245u + 12345u;
	return IPV4(10, 0, 0, 0) | ((sim_rand >> 8) & 0xffffff);
}

static void
sim_frame(struct exc_limit *l, struct sim *r, enum sim_src who, uint64_t now,
	uint32_t (*build)(uint8_t *buf))
{
	uint8_t b[128];
	uint32_t len = build(b);
	struct frame_info fi;

	r->offered[who]++;
	if (frame_parse(b, len, &cfg, &fi) != FRAME_DROP || !exc_wanted(b, len, &cfg, &fi))
		return;
	if (exc_limit_take(l, exc_lane_of(b, len, true), now))
		r->passed[who]++;
}

/* A port of 1024..65535: a flood's source ports, the game's and the kernel's ports. */
static uint16_t
any_high_port(uint32_t r)
{
	return (uint16_t)(1024 + r % 64512);
}

static uint32_t
syn_or_udp_from_anyone(uint8_t *b)
{
	uint32_t src = spoofed_source();

	if (src & 1)
		return tcp_in(b, src, any_high_port(src >> 4), 22, TCP_SYN);
	return udp_in(b, src, any_high_port(src >> 4), any_high_port(src >> 8));
}

static uint32_t
ack_from_anyone(uint8_t *b)
{
	uint32_t src = spoofed_source();

	return tcp_in(b, src, any_high_port(src >> 4), 22, TCP_ACK);
}

static uint32_t
ssh_segment(uint8_t *b)
{
	return tcp_in(b, PEER_IP, 40022, 22, TCP_ACK | TCP_PSH);
}

static uint32_t
dns_answer(uint8_t *b)
{
	return udp_in(b, IPV4(198, 18, 0, 53), 53, 40053);
}

static uint32_t
arp_reply(uint8_t *b)
{
	put_eth(b, our_mac, 0, RTE_ETHER_TYPE_ARP);
	memcpy(b + ETH, f + ETH, 28);
	return ETH + 28;
}

/*
 * Run 2 s: the flood at @p flood_pps frames a second of @p flood, with the
 * host's SSH session at 100 segments a second, its DNS answers at 20, its
 * ARP replies at 10.
 */
static void
simulate(uint32_t host_pct, uint32_t flood_pps, uint32_t (*flood)(uint8_t *), struct sim *r)
{
	struct exc_limit l;

	memset(r, 0, sizeof(*r));
	arp_frame(RTE_ARP_OP_REPLY, OUR_IP); /* the reply arp_reply() copies */
	exc_limit_init(&l, SIM_HZ, SIM_PPS, SIM_BURST, host_pct);
	for (uint64_t t = 0; t < SIM_US; t++) {
		uint64_t now = SIM_HZ + t;

		if (t % (SIM_HZ / flood_pps) == 0)
			sim_frame(&l, r, SIM_FLOOD, now, flood);
		if (t % (SIM_HZ / 100) == 7)
			sim_frame(&l, r, SIM_SSH, now, ssh_segment);
		if (t % (SIM_HZ / 20) == 11)
			sim_frame(&l, r, SIM_DNS, now, dns_answer);
		if (t % (SIM_HZ / 10) == 13)
			sim_frame(&l, r, SIM_ARP, now, arp_reply);
	}
}

static void
test_a_flood_from_many_sources_leaves_the_hosts_traffic_its_share(void)
{
	struct sim r;
	unsigned int total;

	/* SYNs and UDP to any port, each from another address and port, 10x the limit */
	simulate(20, 100000, syn_or_udp_from_anyone, &r);
	CU_ASSERT_EQUAL(r.offered[SIM_FLOOD], 200000);
	CU_ASSERT_EQUAL(r.passed[SIM_SSH], r.offered[SIM_SSH]); /* all 200 */
	CU_ASSERT_EQUAL(r.passed[SIM_DNS], r.offered[SIM_DNS]);
	CU_ASSERT_EQUAL(r.passed[SIM_ARP], r.offered[SIM_ARP]);
	/* the flood gets the shared rest: its burst and 8,000/s */
	CU_ASSERT(r.passed[SIM_FLOOD] <= 1600 + 8000 * 2 + 1);
	CU_ASSERT(r.passed[SIM_FLOOD] >= 1600 + 8000 * 2 - 200);
	total = r.passed[SIM_FLOOD] + r.passed[SIM_SSH] + r.passed[SIM_DNS] + r.passed[SIM_ARP];
	CU_ASSERT(total <= SIM_BURST + SIM_PPS * 2);

	/* one bucket for all (exception_host_pct = 0): the flood takes nearly everything */
	simulate(0, 100000, syn_or_udp_from_anyone, &r);
	CU_ASSERT(r.passed[SIM_SSH] * 4 < r.offered[SIM_SSH]);
	CU_ASSERT(r.passed[SIM_DNS] * 4 < r.offered[SIM_DNS] + 4);
}

/*
 * A flood forged in the TCP lane's shape (ACKs from everywhere) competes
 * with the host's SSH in that lane and the shared rest; ARP and DNS keep
 * their own reserves.
 */
static void
test_an_ack_flood_leaves_arp_and_dns_their_reserves(void)
{
	struct sim r;

	simulate(20, 100000, ack_from_anyone, &r);
	CU_ASSERT_EQUAL(r.passed[SIM_DNS], r.offered[SIM_DNS]);
	CU_ASSERT_EQUAL(r.passed[SIM_ARP], r.offered[SIM_ARP]);
	CU_ASSERT(r.passed[SIM_FLOOD] <= SIM_BURST + SIM_PPS * 2);
}

/* The kernel answering a SYN flood (SYN-ACKs) does not crowd out its own SSH replies. */
static void
test_the_kernels_answers_to_a_flood_leave_its_own_traffic_its_share(void)
{
	struct exc_limit l;
	unsigned int own = 0, own_passed = 0, answers_passed = 0;
	uint8_t b[128];

	exc_limit_init(&l, SIM_HZ, SIM_PPS, SIM_BURST, 20);
	for (uint64_t t = 0; t < SIM_US; t += 10) { /* 100,000 SYN-ACKs a second */
		uint64_t now = SIM_HZ + t;
		uint32_t len = l4_frame(
			b, true, spoofed_source(), IPPROTO_TCP, 22, 40000, TCP_SYN | TCP_ACK);

		answers_passed += exc_limit_take(&l, exc_lane_of(b, len, false), now);
		if (t % (SIM_HZ / 100) == 0) {
			len = l4_frame(b, true, PEER_IP, IPPROTO_TCP, 22, 40022, TCP_ACK | TCP_PSH);
			own++;
			own_passed += exc_limit_take(&l, exc_lane_of(b, len, false), now);
		}
	}
	CU_ASSERT_EQUAL(own, 200);
	CU_ASSERT_EQUAL(own_passed, own);
	CU_ASSERT(answers_passed <= 1600 + 8000 * 2 + 1);
}

static CU_TestInfo to_kernel_tests[] = {
	{ "tcp to our address goes to the kernel", test_tcp_to_our_address_goes_to_the_kernel },
	{ "udp to another port goes to the kernel", test_udp_to_another_port_goes_to_the_kernel },
	{ "ipv6 goes to the kernel", test_ipv6_goes_to_the_kernel },
	{ "arp reply and request for another address go to the kernel",
		test_arp_reply_and_request_for_another_address_go_to_the_kernel },
	{ "arp request for our address is answered, not forwarded",
		test_arp_request_for_our_address_is_answered_not_forwarded },
	{ "icmp other than echo request goes to the kernel",
		test_icmp_other_than_echo_request_goes_to_the_kernel },
	{ "fragment to our address goes to the kernel",
		test_fragment_to_our_address_goes_to_the_kernel },
	{ "broadcast to another address goes to the kernel",
		test_broadcast_to_another_address_goes_to_the_kernel },
	{ "unicast to another address is dropped", test_unicast_to_another_address_is_dropped },
	{ "fragment to another address is dropped", test_fragment_to_another_address_is_dropped },
	{ "malformed frames are dropped", test_malformed_frames_are_dropped },
	{ "tcp from a martian source is dropped", test_tcp_from_a_martian_source_is_dropped },
	{ "game port and other vlans are dropped", test_game_port_and_other_vlans_are_dropped },
	{ "every drop reason of a handler or the tx path is not the kernel's",
		test_every_drop_reason_of_a_handler_or_the_tx_path_is_not_the_kernels },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo bucket_tests[] = {
	{ "bucket passes a burst, then one per interval",
		test_bucket_passes_a_burst_then_one_per_interval },
	{ "bucket rate over a second is the configured pps",
		test_bucket_rate_over_a_second_is_the_configured_pps },
	{ "bucket of burst 1 passes one frame at a time",
		test_bucket_of_burst_1_passes_one_frame_at_a_time },
	{ "bucket rate above the timer is one tick", test_bucket_rate_above_the_timer_is_one_tick },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo lane_tests[] = {
	{ "arp, neighbour discovery and dhcp are the link lane",
		test_arp_neighbour_discovery_and_dhcp_are_the_link_lane },
	{ "tcp but connection requests is the tcp lane",
		test_tcp_but_connection_requests_is_the_tcp_lane },
	{ "dns and ntp answers are the udp lane", test_dns_and_ntp_answers_are_the_udp_lane },
	{ "the kernel's answers to connection requests are no host lane",
		test_the_kernels_answers_to_connection_requests_are_no_host_lane },
	{ "fragments, icmp and discovery from afar are no host lane",
		test_fragments_icmp_and_discovery_from_afar_are_no_host_lane },
	{ "limit reserves a share for each host lane",
		test_limit_reserves_a_share_for_each_host_lane },
	{ "a host lane spills into the shared bucket, never the reverse",
		test_a_host_lane_spills_into_the_shared_bucket_never_the_reverse },
	{ "a flood from many sources leaves the host's traffic its share",
		test_a_flood_from_many_sources_leaves_the_hosts_traffic_its_share },
	{ "an ack flood leaves arp and dns their reserves",
		test_an_ack_flood_leaves_arp_and_dns_their_reserves },
	{ "the kernel's answers to a flood leave its own traffic its share",
		test_the_kernels_answers_to_a_flood_leave_its_own_traffic_its_share },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ .pName = "exception path: what the kernel gets", .pTests = to_kernel_tests },
	{ .pName = "exception path: rate limit", .pTests = bucket_tests },
	{ .pName = "exception path: the host's lanes", .pTests = lane_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
