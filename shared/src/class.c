/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gs_class.h"
#include "gs_parse.h"

int
gs_type_set_overlap(const struct gs_type_set *a, const struct gs_type_set *b)
{
	for (unsigned int i = 0; i < 8; i++) {
		uint32_t both = a->w[i] & b->w[i];

		if (both != 0)
			return (int)(i * 32 + (unsigned int)__builtin_ctz(both));
	}
	return -1;
}

/* One number 0-255 of a type list, between @p s and @p end. */
static int
parse_type(const char *s, const char *end, unsigned int *out)
{
	char buf[8];
	uint64_t v;
	size_t n;

	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	n = (size_t)(end - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (gs_parse_u64(buf, 10, 0, 255, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int
gs_type_set_parse(const char *s, struct gs_type_set *out)
{
	struct gs_type_set set = { { 0 } };
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ','), *end = comma != NULL ? comma : p + strlen(p);
		const char *dash = memchr(p, '-', (size_t)(end - p));
		unsigned int lo, hi;

		if (parse_type(p, dash != NULL ? dash : end, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (dash != NULL && (parse_type(dash + 1, end, &hi) < 0 || hi < lo))
			return -EINVAL;
		for (unsigned int t = lo; t <= hi; t++)
			gs_type_set_add(&set, t);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = set;
	return 0;
}

void
gs_type_set_format(const struct gs_type_set *s, char *buf, unsigned int len)
{
	unsigned int off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned int t = 0; t < 256; t++) {
		unsigned int hi = t;
		int n;

		if (!gs_type_set_has(s, t))
			continue;
		while (hi + 1 < 256 && gs_type_set_has(s, hi + 1))
			hi++;
		if (hi == t)
			n = snprintf(buf + off, len - off, "%s%u", off ? "," : "", t);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", t, hi);
		if (n < 0 || (unsigned int)n >= len - off)
			return; /* truncated, still terminated */
		off += (unsigned int)n;
		t = hi;
	}
}

bool
gs_label_valid(const char *name, size_t size)
{
	size_t n = strlen(name);

	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			    name[i] == '_'))
			return false;
	return true;
}

bool
gs_class_name_valid(const char *name)
{
	return gs_label_valid(name, GS_CLASS_NAME_LEN) && name[0] >= 'a' && name[0] <= 'z';
}
