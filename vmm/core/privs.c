/* SPDX-License-Identifier: MIT */
/*
 * libcap for the capability sets, prctl for the rest. libcap's text functions (cap_to_text,
 * cap_from_text) are deliberately not used: they pull in a glibc 2.38 symbol the cross toolchain lacks.
 */
#include "core/privs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "lib/err.h"

static void privs_read_status(struct privs *p)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	p->no_new_privs = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapEff: %19s", p->cap_eff);
		sscanf(line, "CapPrm: %19s", p->cap_prm);
		sscanf(line, "CapBnd: %19s", p->cap_bnd);
		sscanf(line, "CapAmb: %19s", p->cap_amb);
		sscanf(line, "NoNewPrivs: %d", &p->no_new_privs);
	}
	fclose(f);
}

static void privs_drop_bounding(struct privs *p)
{
	cap_value_t c;

	/* cap_get_bound() is negative past the last capability this kernel knows. */
	for (c = 0; cap_get_bound(c) >= 0; c++) {
		if (cap_drop_bound(c) == 0)
			continue;
		if (errno == EPERM) {
			/* No CAP_SETPCAP: we cannot shrink it, and without the caps we cannot use it either. */
			p->bounding_dropped = false;
			return;
		}
		die_errno(errno, "prctl PR_CAPBSET_DROP %d", (int)c);
	}
	p->bounding_dropped = true;
}

void privs_drop(struct privs *p)
{
	cap_t none;

	memset(p, 0, sizeof(*p));
	/* Bounding set first: dropping from it needs CAP_SETPCAP, which the next step removes. */
	privs_drop_bounding(p);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		die_errno(errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
	none = cap_init(); /* all flags clear */
	if (!none)
		die_errno(errno, "cap_init");
	if (cap_clear(none) || cap_set_proc(none))
		die_errno(errno, "cap_set_proc (clear effective, permitted, inheritable)");
	cap_free(none);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die_errno(errno, "prctl PR_SET_NO_NEW_PRIVS 1");
	privs_read_status(p);
}
