/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CFG_INTERNAL_H
#define GS_CFG_INTERNAL_H

/* What the config loader's files (cfg.c, cfg_check.c) share. Not installed. */
#include <stdbool.h>
#include <stddef.h>

#include <rte_common.h>

#include "gs_cfg.h"

struct load_ctx {
	const char *path;
	char *err;
	size_t err_len;
	char *const *overrides; /* "section.key=value": a bad one is named as such */
	unsigned int n_over;
};

/* Whether @p key of @p section was set in the file or by an override. */
bool cfg_key_given(const struct load_ctx *lc, const char *section, const char *key);

/*
 * Write the error "FILE: line N: [section] key = "value": why" (or "command
 * line (-o)" / "built-in default" for where) into lc->err. @return -EINVAL.
 */
int __rte_format_printf(5, 6) cfg_bad(struct load_ctx *lc, const char *section, const char *key,
	const char *value, const char *fmt, ...);

/* Row @p k as class @p name's defaults: its built-in row, if it has one (cfg_defaults.c). */
void cfg_class_defaults(struct gs_cfg_class *k, const char *name);

/* Whether @p name is a built-in class (session, move, combat). */
bool cfg_class_is_builtin(const char *name);

/* The cross-key checks, once every key is parsed (cfg_check.c). */
int cfg_validate(struct load_ctx *lc, struct gs_cfg *cfg);

#endif /* GS_CFG_INTERNAL_H */
