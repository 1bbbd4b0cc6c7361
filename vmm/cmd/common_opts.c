/* SPDX-License-Identifier: MIT */
/* The setters of the options several commands share (common_opts.h). */
#include "cmd/common_opts.h"

#include <string.h>

#include "lib/units.h"

int opt_set_clear_chunk(void *field, const char *val)
{
	uint64_t v;

	if (!strcmp(val, "slot")) {
		v = 0;
	} else if (parse_size(val, &v) || !v || v % OPT_CLEAR_CHUNK_GRANULE) {
		return -1;
	}
	memcpy(field, &v, sizeof(v));
	return 0;
}
