/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PRIMARY_EXCEPTION_H
#define GS_PRIMARY_EXCEPTION_H

/*
 * The kernel exception path: a NIC owned by DPDK must not cut the host off.
 * Frames on a game port that are not gsnet's but are the host's (TCP, UDP to
 * other ports, IPv6, ICMP other than echo requests, ARP other than requests
 * for the server's address, ...) go unchanged to a kernel tap interface
 * ([net] exception_iface) that has the port's MAC; whatever the kernel sends
 * on that interface goes out the port unchanged. Both directions are
 * rate-limited, with a share of the rate kept for the host's own lanes
 * (struct exc_limit). See docs/ARCHITECTURE.md, "Kernel exception path".
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "gs_auth.h"
#include "gs_cfg.h"
#include "gs_shm_types.h"

#include "frame.h"

struct primary;
struct rte_mbuf;

/*
 * A token bucket as a virtual scheduling time (GCRA): one 64-bit word that
 * every lcore updates with a compare-and-swap (a cache line each). @p burst
 * frames pass back to back, then one every @p interval cycles.
 */
struct exc_bucket {
	uint64_t tat;	     /* theoretical arrival time of the next frame (TSC) */
	struct gs_rate rate; /* cycles per frame, and interval * (burst - 1) */
} __rte_cache_aligned;

/*
 * The host's lanes: what the host's own addressing and connections need,
 * each with a reserved share of a direction's rate that nothing else can
 * take. A flood of connection requests (SYN), of UDP to any port, of ICMP
 * or fragments, from as many spoofed sources as it likes, lands in
 * EXC_LANE_OTHER and can only take the shared rest; so can the kernel's
 * answers to it (SYN-ACKs, resets).
 */
enum exc_lane {
	EXC_LANE_OTHER = 0, /* everything else: the shared bucket only */
	EXC_LANE_LINK,	    /* ARP, IPv6 neighbour discovery (hop limit 255), DHCP, DHCPv6 */
	EXC_LANE_TCP, /* TCP of established or host-opened connections (not SYN, SYN-ACK, RST) */
	EXC_LANE_UDP, /* DNS and NTP: answers from port 53 / 123 (queries to them out) */
	EXC_LANE_MAX
};

/*
 * One direction's limit: a reserve per host lane, then the shared bucket.
 * [net] exception_host_pct percent of exception_pps and exception_burst is
 * reserved (a quarter for LINK, half for TCP, a quarter for UDP); the
 * shared bucket has the rest. A host lane's frame takes its reserve first,
 * then the shared bucket; any other frame the shared bucket only. In all,
 * at most exception_pps frames a second pass (bursts: exception_burst, at
 * least one frame per reserve).
 */
struct exc_limit {
	struct exc_bucket shared;
	struct exc_bucket reserve[EXC_LANE_MAX]; /* interval 0: none (always [EXC_LANE_OTHER]) */
};

/** A game port's exception interface. */
struct exc_port {
	bool on;
	uint16_t tap; /* its ethdev port (net_tap) */
	bool started;
	bool rx_intr; /* the tap's RX queue interrupts are on (idle = wake) */
	char iface[GS_CFG_IFNAMSIZ];
	struct exc_limit to_kernel;
	struct exc_limit from_kernel;
};

/** Set @p b to pass @p pps frames a second with bursts of @p burst (timer at @p hz). */
void exc_bucket_init(struct exc_bucket *b, uint64_t hz, uint32_t pps, uint32_t burst);

/**
 * Take one frame's token at time @p now. Safe from several lcores at once;
 * the compare-and-swap is retried a bounded number of times.
 *
 * @return true if the frame may pass.
 */
bool exc_bucket_take(struct exc_bucket *b, uint64_t now);

/**
 * Set @p l to pass @p pps frames a second with bursts of @p burst (timer at
 * @p hz), @p host_pct percent of both reserved for the host's lanes (0..90).
 */
void exc_limit_init(
	struct exc_limit *l, uint64_t hz, uint32_t pps, uint32_t burst, uint32_t host_pct);

/**
 * Take one token for a frame of lane @p lane at time @p now: from the
 * lane's reserve, else from the shared bucket. Safe from several lcores.
 *
 * @return true if the frame may pass.
 */
bool exc_limit_take(struct exc_limit *l, enum exc_lane lane, uint64_t now);

/**
 * The lane of an Ethernet frame of @p len bytes on the exception path,
 * @p to_kernel (received on the port) or sent by the kernel. Reads only
 * what @p len covers: untagged or one 802.1Q tag, then ARP, IPv4 (not a
 * fragment) or IPv6 (TCP, UDP or ICMPv6 right after the fixed header).
 *
 *   - LINK: ARP; ICMPv6 router/neighbour solicitations and advertisements
 *     and redirects with hop limit 255 (RFC 4861: no router forwarded
 *     them); DHCP and DHCPv6 (to the client port in, to the server port out).
 *   - TCP: in, every segment but a connection request (SYN without ACK);
 *     out, every segment but a SYN-ACK or a reset (the kernel's answers to
 *     other hosts' connection requests, and to a flood of them).
 *   - UDP: in, from port 53 (DNS) or 123 (NTP); out, to those ports.
 *   - OTHER: everything else.
 */
enum exc_lane exc_lane_of(const uint8_t *frame, uint32_t len, bool to_kernel);

/**
 * Whether a frame that frame_parse() refused with fi->drop belongs to the
 * host's kernel: ARP but requests for our address (replies the kernel's
 * neighbour resolution needs), other EtherTypes (IPv6, LLDP, ...), IPv4 to
 * our address with another protocol (TCP, ...), UDP to another port, ICMP
 * other than echo requests, fragments; IPv4 to another address only when
 * sent to an Ethernet broadcast or multicast address (DHCP, IGMP, mDNS).
 * Never malformed frames (bad lengths or checksums), other VLANs, or
 * anything to the game port.
 */
bool exc_wanted(const uint8_t *frame, uint32_t len, const struct frame_cfg *fc,
	const struct frame_info *fi);

/**
 * Create the exception interface of every game port when [net]
 * exception_iface is set: a net_tap vdev per port, named after the option
 * ("<name>" for the first game port, "<name>_<i>" for the i-th after it),
 * with the port's MAC, one queue pair per primary lcore. After the game
 * ports are configured.
 *
 * @return 0, or a negative errno (logged, naming the option); the
 *         interfaces created before the failure are removed again.
 */
int exception_init(struct primary *p);

/**
 * Start the exception interfaces. @return 0, or a negative errno (logged;
 * those it had started are stopped again).
 */
int exception_start(struct primary *p);

/** Stop and close the exception interfaces (after the handlers left). */
void exception_stop(struct primary *p);

/**
 * Hand frame @p m, received by lcore @p lcore on game port @p port and refused
 * by frame_parse() (@p fi), to the kernel if it is the kernel's and its
 * lane's rate allows; counts exception_rx, or the drops exception_rate /
 * exception_full.
 *
 * @return true if the mbuf was consumed (sent to the kernel, or dropped and
 *         counted); false if it is not the kernel's: the caller counts
 *         fi->drop and frees it.
 */
bool exception_to_kernel(struct primary *p, unsigned int lcore, struct gs_lcore_stats *st,
	uint16_t port, struct rte_mbuf *m, const struct frame_info *fi, uint64_t now);

/**
 * Read up to @p max frames the kernel sent on game port @p port's exception
 * interface (lcore @p lcore's queue); the ones their lane's rate allows are returned
 * in @p out for the caller to send on the port (counted as exception_tx),
 * the others are dropped and counted (exception_rate, frame_segmented).
 *
 * @return the number of frames in @p out; *seen: how many were read.
 */
uint16_t exception_from_kernel(struct primary *p, unsigned int lcore, struct gs_lcore_stats *st,
	uint16_t port, struct rte_mbuf **out, uint16_t max, uint64_t now, unsigned int *seen);

#endif /* GS_PRIMARY_EXCEPTION_H */
