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

static CU_SuiteInfo suites[] = {
	{ .pName = "exception path: what the kernel gets", .pTests = to_kernel_tests },
	{ .pName = "exception path: rate limit", .pTests = bucket_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return gs_test_run(suites);
}
