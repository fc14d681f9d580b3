/* SPDX-License-Identifier: BSD-3-Clause */
#include "cfg_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

int
fx_cfg_load_text(struct gs_cfg *cfg, const char *text, char *const *ov, unsigned int n_ov,
	char path[FX_CFG_PATH], char *err, size_t err_len)
{
	size_t len = strlen(text);
	int fd, ret;

	snprintf(path, FX_CFG_PATH, "/tmp/gs_cfg_text_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
	close(fd);
	err[0] = '\0';
	ret = gs_cfg_load(cfg, path, ov, n_ov, err, err_len);
	unlink(path);
	return ret;
}
