/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_DROP_H
#define GS_DROP_H

/*
 * Every reason the primary drops a frame or a message. One X-macro yields the
 * enum and the names used in stats, telemetry and metrics (label values).
 * Append only: the numbering is part of the shared-memory layout.
 */
#define GS_FOREACH_DROP(_)                                                                      \
	_(ETH_TRUNCATED, "eth_truncated")     /* shorter than an Ethernet (+VLAN) header */     \
	_(VLAN, "vlan")			      /* tagged with a VLAN we do not serve, or QinQ */ \
	_(ETHERTYPE, "ethertype")	      /* not IPv4 or ARP */                             \
	_(ARP_INVALID, "arp_invalid")	      /* not an Ethernet/IPv4 ARP, or truncated */      \
	_(ARP_IGNORED, "arp_ignored")	      /* a reply, or a request for another address */   \
	_(IP_TRUNCATED, "ip_truncated")	      /* shorter than the IPv4 header */                \
	_(IP_VERSION, "ip_version")	      /* version != 4 */                                \
	_(IP_IHL, "ip_ihl")		      /* IHL < 5 or beyond the frame */                 \
	_(IP_LENGTH, "ip_length")	      /* total length < IHL or beyond the frame */      \
	_(IP_CHECKSUM, "ip_checksum")	      /* header checksum wrong */                       \
	_(IP_FRAGMENT, "ip_fragment")	      /* MF set or fragment offset != 0 */              \
	_(IP_NOT_FOR_US, "ip_not_for_us")     /* destination is not our address */              \
	_(IP_PROTO, "ip_proto")		      /* neither UDP nor ICMP */                        \
	_(ICMP_INVALID, "icmp_invalid")	      /* truncated, bad checksum */                     \
	_(ICMP_IGNORED, "icmp_ignored")	      /* not an echo request */                         \
	_(UDP_TRUNCATED, "udp_truncated")     /* shorter than the UDP header */                 \
	_(UDP_LENGTH, "udp_length")	      /* UDP length disagrees with the IP length */     \
	_(UDP_CHECKSUM, "udp_checksum")	      /* non-zero checksum that is wrong */             \
	_(UDP_PORT, "udp_port")		      /* not the game port */                           \
	_(GS_TRUNCATED, "gs_truncated")	      /* game header truncated */                       \
	_(GS_MAGIC, "gs_magic")		      /* bad magic */                                   \
	_(GS_VERSION, "gs_version")	      /* unsupported version */                         \
	_(GS_LENGTH, "gs_length")	      /* payload_len wrong */                           \
	_(GS_FLAGS, "gs_flags")		      /* reserved flags set */                          \
	_(GS_TYPE, "gs_type")		      /* no handler class for this message type */      \
	_(UNKNOWN_SESSION, "unknown_session") /* session id not in the table (or 0) */          \
	_(WRONG_ADDRESS, "wrong_address")     /* session exists, source address differs */      \
	_(HANDLER_DOWN, "handler_down")	      /* no live instance of the class */               \
	_(RING_FULL, "ring_full")	      /* the handler's ring is full */                  \
	_(REPLY_INVALID, "reply_invalid")     /* a handler's reply failed validation */         \
	_(TX_NOMBUF, "tx_nombuf")	      /* mempool empty when framing a reply */          \
	_(TX_FULL, "tx_full")		      /* the port did not take the frame */             \
	_(FRAME_SEGMENTED, "frame_segmented") /* frame spread over several mbufs */             \
	_(RATE_SOURCE, "rate_source")	      /* over [limits] source_pps for its address */    \
	_(RATE_SESSION, "rate_session")	      /* over [limits] session_pps for its session */   \
	_(RATE_CONNECT, "rate_connect")	      /* CONNECTs over [limits] connect_pps */          \
	_(AUTH_TAG, "auth_tag")		      /* auth tag wrong for the session's key */        \
	_(REPLAY, "replay")		      /* sequence number seen already, or too old */    \
	_(EXCEPTION_RATE, "exception_rate")   /* over the exception path's rate limit */        \
	_(EXCEPTION_FULL, "exception_full")   /* the exception interface did not take it */     \
	_(IP_MARTIAN, "ip_martian")	      /* to us from 0/8, 127/8, 224/4 or 240/4 */       \
	_(IP_OPTIONS, "ip_options")	      /* a game datagram with IPv4 options (IHL > 5) */ \
	_(CONNECT_PAYLOAD, "connect_payload") /* token mode: a CONNECT that is no gs.Connect */ \
	_(CONNECT_SHORT, "connect_short")     /* token mode: a CONNECT under 200 bytes */       \
	_(TOKEN_MISSING, "token_missing")     /* token mode: a CONNECT without a token */       \
	_(COOKIE_BAD, "cookie_bad")	      /* a CONNECT's cookie is not ours for it */       \
	_(COOKIE_EXPIRED, "cookie_expired")   /* a CONNECT's cookie is past challenge_ttl_ms */

enum gs_drop {
	GS_DROP_NONE = 0,
#define GS_DROP_ENUM(sym, name) GS_DROP_##sym,
	GS_FOREACH_DROP(GS_DROP_ENUM)
#undef GS_DROP_ENUM
	GS_DROP_MAX
};

/** Label value of a drop reason ("ip_checksum"); "none" for GS_DROP_NONE. */
const char *gs_drop_name(enum gs_drop d);

#endif /* GS_DROP_H */
