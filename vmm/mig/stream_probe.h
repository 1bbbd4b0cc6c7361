/* SPDX-License-Identifier: MIT */
/*
 * The stop-and-copy stream's speed, alone: len bytes of src go through a socketpair as one round of
 * BATCH records, written as stop-and-copy writes them (zero copy, the checksum over the source) and
 * read, checked and applied into dst by a second thread, as the destination does. No KVM; for the
 * bench report's "stream against memcpy and the hash alone" and for the host tests.
 */
#ifndef RVMIG_STREAM_PROBE_H
#define RVMIG_STREAM_PROBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * len: a non-zero multiple of 4096. *ns: first byte written -> dst holds the last page (END read).
 * 0, or -errno with what failed in err.
 */
int stream_probe(const void *src, void *dst, size_t len, uint64_t *ns, char *err, size_t errlen);

#endif
