/* SPDX-License-Identifier: BSD-3-Clause */
#include "frame.h"

#include <netinet/in.h>

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "gs_auth.h"

#define ETH_LEN	  sizeof(struct rte_ether_hdr)
#define VLAN_LEN  sizeof(struct rte_vlan_hdr)
#define REPLY_TTL 64

static const enum gs_drop hdr_drop[] = {
	[GS_HDR_OK] = GS_DROP_NONE,
	[GS_HDR_TRUNCATED] = GS_DROP_GS_TRUNCATED,
	[GS_HDR_BAD_MAGIC] = GS_DROP_GS_MAGIC,
	[GS_HDR_BAD_VERSION] = GS_DROP_GS_VERSION,
	[GS_HDR_BAD_LENGTH] = GS_DROP_GS_LENGTH,
	[GS_HDR_BAD_FLAGS] = GS_DROP_GS_FLAGS,
};

static inline enum frame_kind
drop(struct frame_info *info, enum gs_drop why)
{
	info->drop = why;
	return FRAME_DROP;
}

/* One's complement sum of the UDP datagram and the IPv4 pseudo header is 0xffff. */
static bool
udp_cksum_ok(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp, uint16_t udp_len)
{
	uint32_t sum = rte_raw_cksum(udp, udp_len);

	sum += rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static enum frame_kind
parse_arp(const uint8_t *p, uint32_t len, const struct frame_cfg *cfg, struct frame_info *info)
{
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)p;

	if (len < sizeof(*arp) || arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
		arp->arp_plen != 4)
		return drop(info, GS_DROP_ARP_INVALID);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) || arp->arp_data.arp_tip != cfg->ip)
		return drop(info, GS_DROP_ARP_IGNORED);
	info->peer.ip = arp->arp_data.arp_sip;
	return FRAME_ARP_REQUEST;
}

static enum frame_kind
parse_icmp(const uint8_t *p, uint32_t len, struct frame_info *info)
{
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)p;

	if (len < sizeof(*icmp) || rte_raw_cksum(p, len) != 0xffff)
		return drop(info, GS_DROP_ICMP_INVALID);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return drop(info, GS_DROP_ICMP_IGNORED);
	return FRAME_ICMP_ECHO;
}

static enum frame_kind
parse_udp(const uint8_t *p, const struct rte_ipv4_hdr *ip, uint32_t len,
	const struct frame_cfg *cfg, struct frame_info *info, unsigned int hw_good)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)p;
	uint16_t udp_len;
	enum gs_hdr_err err;

	if (len < sizeof(*udp))
		return drop(info, GS_DROP_UDP_TRUNCATED);
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (udp_len != len)
		return drop(info, GS_DROP_UDP_LENGTH);
	if (udp->dgram_cksum != 0 && (hw_good & FRAME_HW_L4_GOOD) == 0 &&
		!udp_cksum_ok(ip, udp, udp_len))
		return drop(info, GS_DROP_UDP_CHECKSUM);
	if (udp->dst_port != cfg->udp_port)
		return drop(info, GS_DROP_UDP_PORT);
	/* a NIC may hash a datagram with options on its addresses alone: it could
	 * land on another lcore than the session's other packets */
	if (info->l3_len != sizeof(*ip))
		return drop(info, GS_DROP_IP_OPTIONS);
	info->peer.port = udp->src_port;

	err = gs_hdr_decode(p + sizeof(*udp), len - sizeof(*udp), &info->hdr);
	if (err != GS_HDR_OK)
		return drop(info, hdr_drop[err]);
	info->payload_off =
		(uint16_t)(info->l2_len + info->l3_len + sizeof(*udp) + GS_WIRE_HDR_LEN);
	return FRAME_GAME;
}

static enum frame_kind
parse_ipv4(const uint8_t *p, uint32_t len, const struct frame_cfg *cfg, struct frame_info *info,
	unsigned int hw_good)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
	uint16_t ihl, total;

	if (len < sizeof(*ip))
		return drop(info, GS_DROP_IP_TRUNCATED);
	if ((ip->version_ihl >> 4) != 4)
		return drop(info, GS_DROP_IP_VERSION);
	ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if (ihl < sizeof(*ip) || ihl > len)
		return drop(info, GS_DROP_IP_IHL);
	total = rte_be_to_cpu_16(ip->total_length);
	if (total < ihl || total > len)
		return drop(info, GS_DROP_IP_LENGTH);
	if ((hw_good & FRAME_HW_IP_GOOD) == 0 && rte_raw_cksum(ip, ihl) != 0xffff)
		return drop(info, GS_DROP_IP_CHECKSUM);
	if ((ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return drop(info, GS_DROP_IP_FRAGMENT);
	if (ip->dst_addr != cfg->ip)
		return drop(info, GS_DROP_IP_NOT_FOR_US);
	/* whatever the protocol: nothing is answered or dispatched to such a source */
	if (frame_is_martian(ip->src_addr))
		return drop(info, GS_DROP_IP_MARTIAN);
	info->l3_len = ihl;
	info->ip_total = total;
	info->peer.ip = ip->src_addr;

	/* bytes past the IP total length are Ethernet padding */
	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		return parse_udp(p + ihl, ip, total - ihl, cfg, info, hw_good);
	case IPPROTO_ICMP:
		return parse_icmp(p + ihl, total - ihl, info);
	default:
		return drop(info, GS_DROP_IP_PROTO);
	}
}

enum frame_kind
frame_parse(
	const uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, struct frame_info *info)
{
	return frame_parse_hw(frame, len, cfg, info, 0);
}

enum frame_kind
frame_parse_hw(const uint8_t *frame, uint32_t len, const struct frame_cfg *cfg,
	struct frame_info *info, unsigned int hw_good)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	uint16_t type, l2 = ETH_LEN, vid = 0;

	memset(info, 0, sizeof(*info));
	if (len < ETH_LEN)
		return drop(info, GS_DROP_ETH_TRUNCATED);
	type = eth->ether_type;
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(frame + ETH_LEN);

		if (len < ETH_LEN + VLAN_LEN)
			return drop(info, GS_DROP_ETH_TRUNCATED);
		info->peer.vlan_tci = rte_be_to_cpu_16(vh->vlan_tci);
		vid = info->peer.vlan_tci & 0xfff;
		type = vh->eth_proto;
		l2 += VLAN_LEN;
		if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ))
			return drop(info, GS_DROP_VLAN);
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		return drop(info, GS_DROP_VLAN);
	}
	if (vid != cfg->vlan)
		return drop(info, GS_DROP_VLAN);
	info->l2_len = l2;
	memcpy(info->peer.mac, eth->src_addr.addr_bytes, RTE_ETHER_ADDR_LEN);

	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return parse_ipv4(frame + l2, len - l2, cfg, info, hw_good);
	if (type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return parse_arp(frame + l2, len - l2, cfg, info);
	return drop(info, GS_DROP_ETHERTYPE);
}

uint32_t
frame_arp_reply(
	uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + info->l2_len);

	(void)len;
	memcpy(eth->dst_addr.addr_bytes, info->peer.mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	memcpy(arp->arp_data.arp_sha.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_sip = cfg->ip;
	return (uint32_t)(info->l2_len + sizeof(*arp));
}

uint32_t
frame_icmp_reply(
	uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + info->l2_len);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + info->l3_len);
	uint16_t icmp_len = (uint16_t)(info->ip_total - info->l3_len);

	(void)len;
	memcpy(eth->dst_addr.addr_bytes, info->peer.mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = cfg->ip;
	ip->time_to_live = REPLY_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, icmp_len);
	return (uint32_t)(info->l2_len + info->ip_total);
}

void
frame_reply_hdr(struct gs_hdr *hdr)
{
	hdr->magic = GS_WIRE_MAGIC;
	hdr->version = GS_WIRE_VERSION;
	hdr->flags = 0;
	if (hdr->session_id != 0)
		memset(hdr->auth_tag, 0, sizeof(hdr->auth_tag));
}

uint32_t
frame_build_udp(uint8_t *buf, uint32_t cap, const struct frame_cfg *cfg, const struct gs_peer *dst,
	uint16_t ip_id, const struct gs_hdr *hdr, const uint8_t *payload)
{
	return frame_build_udp_tagged(buf, cap, cfg, dst, ip_id, hdr, payload, NULL);
}

uint32_t
frame_build_udp_tagged(uint8_t *buf, uint32_t cap, const struct frame_cfg *cfg,
	const struct gs_peer *dst, uint16_t ip_id, const struct gs_hdr *hdr, const uint8_t *payload,
	const uint8_t *tag_key)
{
	/* the VLAN served, whatever the peer's tag says; the peer's priority bits */
	uint16_t tci =
		cfg->vlan != 0 ? (uint16_t)((dst->vlan_tci & 0xf000) | cfg->vlan) : dst->vlan_tci;
	uint16_t l2 = tci != 0 ? ETH_LEN + VLAN_LEN : ETH_LEN;
	uint16_t udp_len =
		(uint16_t)(sizeof(struct rte_udp_hdr) + GS_WIRE_HDR_LEN + hdr->payload_len);
	uint32_t total = l2 + sizeof(struct rte_ipv4_hdr) + udp_len;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (hdr->payload_len > GS_WIRE_MAX_PAYLOAD || total > cap)
		return 0;
	memcpy(eth->dst_addr.addr_bytes, dst->mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth->src_addr.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN);
	if (tci != 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(buf + ETH_LEN);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(tci);
		vh->eth_proto = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	} else {
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	}

	ip = (struct rte_ipv4_hdr *)(buf + l2);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + udp_len));
	ip->packet_id = rte_cpu_to_be_16(ip_id);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = REPLY_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = cfg->ip;
	ip->dst_addr = dst->ip;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = cfg->udp_port;
	udp->dst_port = dst->port;
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	gs_hdr_encode(hdr, (uint8_t *)(udp + 1), GS_WIRE_HDR_LEN);
	if (hdr->payload_len > 0)
		memcpy((uint8_t *)(udp + 1) + GS_WIRE_HDR_LEN, payload, hdr->payload_len);
	if (tag_key != NULL) /* over the datagram as sent, before the checksum covers it */
		gs_tag_sign(tag_key, (uint8_t *)(udp + 1), GS_WIRE_HDR_LEN + hdr->payload_len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return total;
}
