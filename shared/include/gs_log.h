/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_LOG_H
#define GS_LOG_H

/*
 * Logging through rte_log with registered types "gs.<process>[.<module>]".
 * A file that logs names its type once, before using GS_LOG:
 *
 *	GS_LOG_TYPE(gs.primary.shm);
 *
 * Control at run time with EAL's --log-level='gs.*:info' ([eal] log_level).
 */
#include <inttypes.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>

/*
 * Register the file's log type as @p name (gs.<process>[.<module>], no
 * quotes) before main(), at level NOTICE unless --log-level says otherwise.
 * The type is static: every file has its own, under the same name.
 */
#define GS_LOG_TYPE(name) GS_LOG_TYPE_DEFINE_(name, (void)0)

/*
 * Before GS_LOG_TYPE: the type in a global @p var as well, followed by
 * "#define GS_LOGTYPE var", which GS_LOG no longer needs. Kept so that
 * handlers written that way still build; new code uses GS_LOG_TYPE.
 */
#define GS_LOG_REGISTER(var, name) \
	int var;                   \
	GS_LOG_TYPE_DEFINE_(name, var = gs_log_type_)

/* As DPDK's RTE_LOG_REGISTER, in a static; the _Static_assert takes the caller's ';'. */
#define GS_LOG_TYPE_DEFINE_(name, then)                                                      \
	static int gs_log_type_;                                                             \
	RTE_INIT(gs_log_type_init_)                                                          \
	{                                                                                    \
		gs_log_type_ =                                                               \
			rte_log_register_type_and_pick_level(RTE_STR(name), RTE_LOG_NOTICE); \
		if (gs_log_type_ < 0)                                                        \
			gs_log_type_ = RTE_LOGTYPE_EAL;                                      \
		then;                                                                        \
	}                                                                                    \
	_Static_assert(1, "GS_LOG_TYPE")

#define GS_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, gs_log_type_, "%s: " fmt "\n", __func__, ##__VA_ARGS__)

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
