/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_CFG_FIXTURE_H
#define GS_CFG_FIXTURE_H

/* Configuration tests: a config file's text loaded as a file. */
#include <stddef.h>

#include "gs_cfg.h"

#define FX_CFG_PATH 64 /* room for the file's name */

/**
 * Write @p text to a new file in /tmp (its name into @p path), load it into
 * @p cfg with the @p n_ov overrides @p ov (gs_cfg_load(), its error into
 * @p err, emptied first) and remove it: the file is gone on return.
 *
 * @return gs_cfg_load()'s result.
 */
int fx_cfg_load_text(struct gs_cfg *cfg, const char *text, char *const *ov, unsigned int n_ov,
	char path[FX_CFG_PATH], char *err, size_t err_len);

#endif /* GS_CFG_FIXTURE_H */
