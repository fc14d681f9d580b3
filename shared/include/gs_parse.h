/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_PARSE_H
#define GS_PARSE_H

/* Numbers from text (command lines, config values), one rule everywhere. DPDK-free. */
#include <stdint.h>

/**
 * Parse all of @p s as an unsigned integer in @p base (0: C's 0x / 0 prefixes;
 * 10: decimal only) within [@p min, @p max]. No sign, no leading space, no
 * trailing character.
 *
 * @return 0 and *@p out; -EINVAL when @p s is no such number; -ERANGE when it
 *         is outside [@p min, @p max] (*@p out untouched either way).
 */
int gs_parse_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

#endif /* GS_PARSE_H */
