/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_FRAME_H
#define GS_PRIMARY_FRAME_H

/*
 * Frame parsing and building on plain byte spans: no mbuf, no EAL, so the
 * parser is unit-testable and fuzzable on its own.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "gs_drop.h"
#include "gs_shm_types.h"
#include "gs_wire.h"

/** What the primary serves: its address, game port and VLAN. */
struct frame_cfg {
	uint32_t ip;	   /* network order */
	uint16_t udp_port; /* network order */
	uint16_t vlan;	   /* host order; 0: untagged only */
	uint8_t mac[6];	   /* the port's MAC */
};

enum frame_kind {
	FRAME_DROP = 0,	   /* see frame_info.drop */
	FRAME_ARP_REQUEST, /* an ARP request for our address */
	FRAME_ICMP_ECHO,   /* an ICMP echo request to us */
	FRAME_GAME,	   /* a valid game message to us */
};

struct frame_info {
	enum gs_drop drop;
	uint16_t l2_len;      /* Ethernet (+ 802.1Q) header */
	uint16_t l3_len;      /* IPv4 header with options */
	uint16_t ip_total;    /* IPv4 total length */
	uint16_t payload_off; /* game payload (after the game header) */
	struct gs_peer peer;  /* sender: MAC, IP, port, VLAN tag */
	struct gs_hdr hdr;    /* FRAME_GAME: the decoded game header */
	/* time of arrival, set after parsing by rxts_stamp(): zero (GS_RX_TS_TSC)
	 * unless the NIC stamped the frame */
	uint64_t rx_tsc;
	uint64_t rx_nic_ts;
	uint32_t rx_ts_src; /* enum gs_rx_ts_src */
};

/**
 * Whether @p ip (network order) can be no sender's own address: "this
 * network" 0.0.0.0/8, loopback 127.0.0.0/8, multicast 224.0.0.0/4 and
 * reserved 240.0.0.0/4 with the broadcast 255.255.255.255. A reply to one
 * goes to nobody, to everyone, or to a victim whose address was put there.
 */
static inline bool
frame_is_martian(uint32_t ip)
{
	uint8_t first = (uint8_t)(rte_be_to_cpu_32(ip) >> 24);

	return first == 0 || first == 127 || first >= 224;
}

/**
 * Whether the primary charges a frame of kind @p k to the per-source bucket
 * ([limits] source_pps, keyed on info->peer.ip) at RX, before it is
 * answered: what it answers at once and no key vouches for, ICMP echo
 * requests (keyed on the IPv4 source) and ARP requests (on the sender's
 * protocol address), so that neither is a 1:1 reflector at line rate.
 * CONNECTs are charged at dispatch, and a session's frames by the session's
 * own bucket after their tag, so frames spoofed from a player's address
 * cannot spend the player's budget.
 */
static inline bool
frame_charges_source(enum frame_kind k)
{
	return k == FRAME_ICMP_ECHO || k == FRAME_ARP_REQUEST;
}

/** Largest frame frame_build_udp() can write. */
#define FRAME_MAX_LEN (14 + 4 + 20 + 8 + GS_WIRE_HDR_LEN + GS_WIRE_MAX_PAYLOAD)

/**
 * Parse a received frame: Ethernet (+802.1Q), ARP, IPv4 (version, IHL,
 * total length, header checksum, no fragments, to us, no martian source),
 * ICMP echo, UDP (length, checksum when non-zero, game port, no IPv4
 * options) and the game header.
 *
 * @return the kind of frame; for FRAME_DROP, info->drop says why.
 */
enum frame_kind frame_parse(
	const uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, struct frame_info *info);

/* What the NIC verified (frame_parse_hw): its checksum verdicts of "good". */
#define FRAME_HW_IP_GOOD 0x1u /* the IPv4 header checksum */
#define FRAME_HW_L4_GOOD 0x2u /* the UDP checksum */

/**
 * frame_parse() that takes the NIC's word for the checksums it verified
 * (@p hw_good: FRAME_HW_*), instead of summing them again. Any other
 * verdict (bad, unknown, none) is checked in software, so a bad checksum is
 * still counted under its own reason.
 */
enum frame_kind frame_parse_hw(const uint8_t *frame, uint32_t len, const struct frame_cfg *cfg,
	struct frame_info *info, unsigned int hw_good);

/**
 * Turn an ARP request (as parsed) into our reply, in place.
 *
 * @return the reply's length.
 */
uint32_t frame_arp_reply(
	uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info);

/**
 * Turn an ICMP echo request (as parsed) into the echo reply, in place.
 * Trailing bytes past the IP total length are cut.
 *
 * @return the reply's length.
 */
uint32_t frame_icmp_reply(
	uint8_t *frame, uint32_t len, const struct frame_cfg *cfg, const struct frame_info *info);

/**
 * Build a UDP datagram from us to @p dst carrying @p hdr and its payload, with
 * valid IPv4 and UDP checksums. With a VLAN configured (cfg->vlan) it is
 * tagged with that VID and the priority bits of dst->vlan_tci (the request's);
 * without, tagged with dst->vlan_tci when that is non-zero.
 *
 * @return the frame length, or 0 if @p cap is too small or the payload too long.
 */
uint32_t frame_build_udp(uint8_t *buf, uint32_t cap, const struct frame_cfg *cfg,
	const struct gs_peer *dst, uint16_t ip_id, const struct gs_hdr *hdr,
	const uint8_t *payload);

/**
 * Complete the game header of a handler's reply before it is framed: magic,
 * version, flags 0. A reply to a session (id non-zero) gets a zero auth tag,
 * which frame_build_udp_tagged() computes under the session's key; a reply
 * of no session keeps the one its handler wrote: the echo of the connect
 * nonce of the CONNECT it answers (gs_handler_reply_connect_pb).
 */
void frame_reply_hdr(struct gs_hdr *hdr);

/**
 * frame_build_udp() with the game header's auth tag computed under
 * @p tag_key (GS_PKT_KEY_LEN bytes; NULL: the tag stays zero).
 */
uint32_t frame_build_udp_tagged(uint8_t *buf, uint32_t cap, const struct frame_cfg *cfg,
	const struct gs_peer *dst, uint16_t ip_id, const struct gs_hdr *hdr, const uint8_t *payload,
	const uint8_t *tag_key);

#endif /* GS_PRIMARY_FRAME_H */
