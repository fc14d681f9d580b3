/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_LOG_H
#define GS_LOG_H

/*
 * Logging through rte_log with registered types "gs.<process>[.<module>]".
 * A file defines GS_LOGTYPE as its log type variable before using GS_LOG.
 * Control at run time with EAL's --log-level='gs.*:info' ([eal] log_level).
 */
#include <inttypes.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>

#define GS_LOG_REGISTER(var, name) RTE_LOG_REGISTER(var, name, NOTICE)

#define GS_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, GS_LOGTYPE, "%s: " fmt "\n", __func__, ##__VA_ARGS__)

/* Data path: folded away above RTE_LOG_DP_LEVEL. */
#define GS_LOG_DP(lvl, fmt, ...)                         \
	do {                                             \
		if (RTE_LOG_##lvl <= RTE_LOG_DP_LEVEL)   \
			GS_LOG(lvl, fmt, ##__VA_ARGS__); \
	} while (0)

/* At most one message per second per call site. */
#define GS_LOG_RL(lvl, fmt, ...)                                               \
	do {                                                                   \
		static uint64_t gs_log_rl_next_;                               \
		uint64_t gs_log_rl_now_ = rte_get_timer_cycles();              \
		if (gs_log_rl_now_ >= gs_log_rl_next_) {                       \
			gs_log_rl_next_ = gs_log_rl_now_ + rte_get_timer_hz(); \
			GS_LOG(lvl, fmt, ##__VA_ARGS__);                       \
		}                                                              \
	} while (0)

#endif /* GS_LOG_H */
