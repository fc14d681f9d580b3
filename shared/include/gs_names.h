/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_NAMES_H
#define GS_NAMES_H

#include <rte_memzone.h>
#include <rte_ring.h>

/* Names of every DPDK object a gsnet group shares. */
#define GS_MZ_CONTROL	       "gs_control" /* struct gs_control */
#define GS_MZ_SESSIONS	       "gs_sess"    /* a header, gs_session[max], gs_session_keys[max] */
#define GS_MZ_WORLD	       "gs_world"   /* struct gs_world + entities */
#define GS_HASH_PEERS	       "gs_peer_h"  /* rte_hash: client address -> index */
#define GS_HASH_TOKENS	       "gs_tok_h"   /* rte_hash: used connect tokens -> expiry */
#define GS_POOL_PKT	       "gs_pkt"	    /* the primary's mbufs: never leaves the primary */
/* primary lcore index, class, instance */
#define GS_RING_P2H_FMT	       "gs_p2h_%u_%u_%u" /* primary -> handler: requests */
#define GS_RING_H2P_FMT	       "gs_h2p_%u_%u_%u" /* handler -> primary: replies */
#define GS_RING_NAME_MAX       sizeof("gs_p2h_255_255_255")
/* a handler class's own zones (gs_handler_class_zone): class name, zone name */
#define GS_MZ_CLASS_FMT	       "gsz_%s_%s"
#define GS_MZ_CLASS_PREFIX     "gsz_"
#define GS_CLASS_ZONE_NAME_MAX 11 /* "gsz_" + 15 + "_" + 11 + NUL = 32 */

_Static_assert(sizeof(GS_MZ_CONTROL) <= RTE_MEMZONE_NAMESIZE, "memzone name too long");
_Static_assert(sizeof(GS_MZ_SESSIONS) <= RTE_MEMZONE_NAMESIZE, "memzone name too long");
_Static_assert(sizeof(GS_MZ_WORLD) <= RTE_MEMZONE_NAMESIZE, "memzone name too long");
/* rte_hash prefixes its own objects' names with 3 characters */
_Static_assert(sizeof(GS_HASH_PEERS) + 3 <= RTE_MEMZONE_NAMESIZE, "hash name too long");
_Static_assert(sizeof(GS_HASH_TOKENS) + 3 <= RTE_MEMZONE_NAMESIZE, "hash name too long");
_Static_assert(GS_RING_NAME_MAX <= RTE_RING_NAMESIZE, "ring name too long");

#endif /* GS_NAMES_H */
