/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the primary's frame parser frame_parse() and the replies
 * built from what it accepted (frame_arp_reply, frame_icmp_reply,
 * frame_build_udp).
 *
 * Input: one selector byte, then the raw Ethernet frame. Bit 0 of the
 * selector picks the primary's config: untagged, or serving VLAN 100.
 *
 * The frame is copied into a heap buffer of exactly its length (ASan sees
 * any read past the end; the buffer is aligned as an mbuf's data is) that
 * the reply builders may rewrite. Checked:
 * - a verdict is a known kind; a drop names a known reason, anything else
 *   none; accepted frames have a 14- or 18-byte L2 header on our VLAN;
 *   an ICMP echo or game message comes from no martian source, and a game
 *   message has no IPv4 options;
 * - ARP request: the reply fits in the frame, answers the sender from our
 *   MAC and address;
 * - ICMP echo: the reply fits in the frame and parses back, addressed to the
 *   sender, with valid IPv4 and ICMP checksums, as an echo reply;
 * - game message: payload_off + payload_len ends exactly at the IPv4 total
 *   length, within the frame; a reply built to the sender with the same
 *   header and payload parses back, from the sender's side, to the same;
 *   signed with a packet key, its auth tag verifies under that key only.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "gs_auth.h"

#include "frame.h"
#include "fuzz_common.h"

#define OUR_IP	  RTE_BE32(0xc6120002) /* 198.18.0.2 */
#define GAME_PORT RTE_BE16(7777)
#define OUR_MAC                                    \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02 \
	}

static const uint8_t tag_key[GS_PKT_KEY_LEN] = "gsnet-fuzz-key!";

static const struct frame_cfg cfgs[] = {
	{ .ip = OUR_IP, .udp_port = GAME_PORT, .vlan = 0, .mac = OUR_MAC },
	{ .ip = OUR_IP, .udp_port = GAME_PORT, .vlan = 100, .mac = OUR_MAC },
};

/* The sender's side of a conversation: its address, port, VLAN and MAC. */
static struct frame_cfg
peer_cfg(const struct gs_peer *peer)
{
	struct frame_cfg c = {
		.ip = peer->ip,
		.udp_port = peer->port,
		.vlan = peer->vlan_tci & 0xfff,
	};

	memcpy(c.mac, peer->mac, sizeof(c.mac));
	return c;
}

static void
check_arp(uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(frame + info->l2_len);
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	uint32_t sip = arp->arp_data.arp_sip;
	uint32_t n;

	CHECK(info->l2_len + sizeof(*arp) <= len);
	CHECK(info->peer.ip == sip);
	n = frame_arp_reply(frame, len, cfg, info);
	CHECK(n <= len);
	CHECK(n == info->l2_len + sizeof(*arp));
	CHECK(memcmp(eth->dst_addr.addr_bytes, info->peer.mac, RTE_ETHER_ADDR_LEN) == 0);
	CHECK(memcmp(eth->src_addr.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN) == 0);
	CHECK(arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY));
	CHECK(memcmp(arp->arp_data.arp_sha.addr_bytes, cfg->mac, RTE_ETHER_ADDR_LEN) == 0);
	CHECK(arp->arp_data.arp_sip == cfg->ip);
	CHECK(memcmp(&arp->arp_data.arp_tha, &sha, sizeof(sha)) == 0);
	CHECK(arp->arp_data.arp_tip == sip);
}

static void
check_icmp(uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info)
{
	struct frame_cfg peer = peer_cfg(&info->peer);
	struct frame_info back;
	uint32_t n;

	CHECK(info->l3_len >= sizeof(struct rte_ipv4_hdr) && info->l3_len <= 60);
	CHECK(info->l3_len % 4 == 0);
	CHECK(info->ip_total >= info->l3_len + sizeof(struct rte_icmp_hdr));
	CHECK((uint32_t)info->l2_len + info->ip_total <= len);
	n = frame_icmp_reply(frame, len, cfg, info);
	CHECK(n <= len);
	CHECK(n == (uint32_t)info->l2_len + info->ip_total);

	/* Seen by the sender: to its address, checksums valid, not a request. */
	CHECK(frame_parse(frame, n, &peer, &back) == FRAME_DROP);
	CHECK(back.drop == GS_DROP_ICMP_IGNORED);
	CHECK(back.peer.ip == cfg->ip);
	CHECK(memcmp(back.peer.mac, cfg->mac, RTE_ETHER_ADDR_LEN) == 0);
	CHECK(back.peer.vlan_tci == info->peer.vlan_tci);
	CHECK(frame[info->l2_len + info->l3_len] == RTE_IP_ICMP_ECHO_REPLY);
}

static void
check_game(const uint8_t *frame, uint32_t len, const struct frame_cfg *cfg,
	const struct frame_info *info)
{
	struct frame_cfg peer = peer_cfg(&info->peer);
	const uint8_t *payload = frame + info->payload_off;
	uint8_t other_key[GS_PKT_KEY_LEN];
	struct frame_info back;
	uint8_t *out, *dgram;
	size_t dgram_len;
	uint32_t n;

	CHECK(info->l3_len >= sizeof(struct rte_ipv4_hdr) && info->l3_len <= 60);
	CHECK(info->payload_off ==
		info->l2_len + info->l3_len + sizeof(struct rte_udp_hdr) + GS_WIRE_HDR_LEN);
	CHECK((uint32_t)info->payload_off + info->hdr.payload_len <= len);
	CHECK((uint32_t)info->payload_off + info->hdr.payload_len ==
		(uint32_t)info->l2_len + info->ip_total);
	CHECK(info->hdr.magic == GS_WIRE_MAGIC && info->hdr.version == GS_WIRE_VERSION);
	CHECK(info->hdr.payload_len <= GS_WIRE_MAX_PAYLOAD && info->hdr.flags == 0);

	/* A reply to the sender with the same header and payload. */
	out = malloc(FRAME_MAX_LEN);
	CHECK(out != NULL);
	n = frame_build_udp(out, FRAME_MAX_LEN, cfg, &info->peer, 0x1234, &info->hdr, payload);
	CHECK(n > 0 && n <= FRAME_MAX_LEN);
	CHECK(frame_parse(out, n, &peer, &back) == FRAME_GAME);
	CHECK(memcmp(&back.hdr, &info->hdr, sizeof(back.hdr)) == 0);
	CHECK(memcmp(out + back.payload_off, payload, info->hdr.payload_len) == 0);
	CHECK(back.peer.ip == cfg->ip && back.peer.port == cfg->udp_port);
	CHECK(memcmp(back.peer.mac, cfg->mac, RTE_ETHER_ADDR_LEN) == 0);
	CHECK(back.peer.vlan_tci == info->peer.vlan_tci);

	/* Signed: the datagram's tag verifies under the key, and under no other. */
	n = frame_build_udp_tagged(
		out, FRAME_MAX_LEN, cfg, &info->peer, 0x1234, &info->hdr, payload, tag_key);
	CHECK(n > 0 && n <= FRAME_MAX_LEN);
	CHECK(frame_parse(out, n, &peer, &back) == FRAME_GAME);
	CHECK(memcmp(out + back.payload_off, payload, info->hdr.payload_len) == 0);
	dgram = out + back.payload_off - GS_WIRE_HDR_LEN;
	dgram_len = GS_WIRE_HDR_LEN + back.hdr.payload_len;
	CHECK(gs_tag_verify(tag_key, dgram, dgram_len));
	memcpy(other_key, tag_key, sizeof(other_key));
	other_key[0] ^= 1;
	CHECK(!gs_tag_verify(other_key, dgram, dgram_len));
	free(out);

	/* One byte short of the room it needs: refused, nothing written. */
	out = malloc(n - 1);
	CHECK(out != NULL);
	CHECK(frame_build_udp(out, n - 1, cfg, &info->peer, 0, &info->hdr, payload) == 0);
	free(out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	CHECK(gs_auth_init() == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct frame_cfg *cfg;
	struct frame_info info;
	enum frame_kind kind;
	uint8_t *frame;
	uint32_t len;

	if (size < 1 || size - 1 > UINT16_MAX) /* an mbuf's data_len is 16 bits */
		return 0;
	cfg = &cfgs[data[0] & 1];
	len = (uint32_t)(size - 1);
	frame = malloc(len > 0 ? len : 1);
	CHECK(frame != NULL);
	memcpy(frame, data + 1, len);

	/* bits 1-2: the NIC's checksum verdicts; a frame accepted without them is accepted with them */
	kind = frame_parse_hw(frame, len, cfg, &info, (data[0] >> 1) & 3u);
	if ((data[0] & 6u) != 0) {
		struct frame_info soft;
		enum frame_kind k2 = frame_parse(frame, len, cfg, &soft);

		CHECK(k2 == kind ||
			(k2 == FRAME_DROP && (soft.drop == GS_DROP_IP_CHECKSUM ||
						     soft.drop == GS_DROP_UDP_CHECKSUM)));
		kind = k2;
		info = soft;
	}
	switch (kind) {
	case FRAME_DROP:
		CHECK(info.drop > GS_DROP_NONE && info.drop < GS_DROP_MAX);
		CHECK(strcmp(gs_drop_name(info.drop), "?") != 0);
		break;
	case FRAME_ARP_REQUEST:
	case FRAME_ICMP_ECHO:
	case FRAME_GAME:
		CHECK(info.drop == GS_DROP_NONE);
		CHECK(info.l2_len == RTE_ETHER_HDR_LEN ||
			info.l2_len == RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr));
		CHECK((info.peer.vlan_tci & 0xfff) == cfg->vlan);
		CHECK(memcmp(info.peer.mac, frame + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN) == 0);
		break;
	default:
		CHECK(!"unknown frame kind");
	}
	if (kind == FRAME_ICMP_ECHO || kind == FRAME_GAME)
		CHECK(!frame_is_martian(info.peer.ip));
	if (kind == FRAME_GAME)
		CHECK(info.l3_len == sizeof(struct rte_ipv4_hdr));
	if (kind == FRAME_ARP_REQUEST)
		check_arp(frame, len, cfg, &info);
	else if (kind == FRAME_ICMP_ECHO)
		check_icmp(frame, len, cfg, &info);
	else if (kind == FRAME_GAME)
		check_game(frame, len, cfg, &info);
	free(frame);
	return 0;
}
