/* SPDX-License-Identifier: MIT */
/* Dropping privileges once KVM, memory and vCPUs are set up. */
#ifndef RVMIG_PRIVS_H
#define RVMIG_PRIVS_H

#include <stdbool.h>

struct privs {
	/* As /proc/self/status shows them after the drop (hex strings, "" when unreadable). */
	char cap_eff[20], cap_prm[20], cap_bnd[20], cap_amb[20];
	int no_new_privs;      /* -1 when unreadable */
	bool bounding_dropped; /* false when we lacked CAP_SETPCAP (nothing to drop from then on) */
};

/*
 * Clears the bounding set, the ambient set and every capability of the calling thread, then sets
 * no_new_privs. Called before the vCPU threads are created so they inherit the empty sets
 * (capabilities are per thread). Exits on failure.
 */
void privs_drop(struct privs *p);

#endif
