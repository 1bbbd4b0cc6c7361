/* SPDX-License-Identifier: MIT */
/* The dirty-tracking modes by name, as --dirty takes them (no KVM: the option parsers use it). */
#ifndef RVMIG_DIRTY_MODE_H
#define RVMIG_DIRTY_MODE_H

#include <strings.h>

enum dirty_mode {
	DIRTY_GET,
	DIRTY_MANUAL,
	DIRTY_MANUAL_INIT_SET,
	DIRTY_RING,
	DIRTY_MODE_COUNT,
};

/* Inline: the option parsers need the names, not dirty.c (which needs KVM). */
static inline const char *dirty_mode_name(enum dirty_mode m)
{
	static const char *const names[DIRTY_MODE_COUNT] = {
		[DIRTY_GET] = "get",
		[DIRTY_MANUAL] = "manual",
		[DIRTY_MANUAL_INIT_SET] = "manual-init-set",
		[DIRTY_RING] = "ring",
	};
	return (unsigned)m < DIRTY_MODE_COUNT ? names[m] : "?";
}

static inline int dirty_mode_parse(const char *s)
{
	for (int i = 0; i < DIRTY_MODE_COUNT; i++)
		if (!strcasecmp(s, dirty_mode_name((enum dirty_mode)i)))
			return i;
	return -1;
}

#endif
