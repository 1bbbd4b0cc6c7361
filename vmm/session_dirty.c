/* SPDX-License-Identifier: MIT */
/*
 * Dirty logging on slot 0 for `rvmig run --dirty-log`, whatever the guest (bare-metal or Linux): the
 * timed memslot update that switches it on (where Linux 7.3 write-protects and, with eager_page_split=Y,
 * splits the slot's huge G-stage mappings) and one harvest that counts the pages logged dirty since.
 */
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bitmap.h"
#include "lib/err.h"
#include "session.h"

int session_dirty_log_on(struct session *r)
{
	uint64_t t0 = machine_now_ns();
	int e = vm_set_slot_flags(&r->m.vm, 0, KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t t1 = machine_now_ns();

	if (e < 0) {
		machine_fail(&r->m, "could not enable dirty logging on slot 0: %s", strerror(-e));
		return -1;
	}
	r->dirty_enabled = true;
	r->dirty_enable_ms = (double)(t1 - t0) / 1e6;
	if (!r->opts.quiet)
		printf("[rvmig] dirty logging on: KVM_SET_USER_MEMORY_REGION%s slot 0 flags LOG_DIRTY_PAGES took %.3f ms"
		       " (eager_page_split=%s)\n",
		       r->m.vm.has_mem2 ? "2" : "", r->dirty_enable_ms, r->eager_split[0] ? r->eager_split : "n/a");
	return 0;
}

void session_count_dirty(struct session *r)
{
	uint64_t pages = r->opts.mem / RVMIG_PAGE_SIZE;
	uint64_t *bm = calloc(bitmap_words(pages), sizeof(uint64_t));

	r->dirty_pages = -1;
	if (!bm) {
		warn_msg("allocating the dirty bitmap of %" PRIu64 " pages: out of memory; pages dirtied unknown",
			 pages);
		return;
	}
	if (vm_get_dirty_log(&r->m.vm, 0, bm) == 0)
		r->dirty_pages = (int64_t)bitmap_count(bm, pages);
	free(bm);
}
