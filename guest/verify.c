// SPDX-License-Identifier: MIT
/*
 * Verification: memory must hold exactly what this hart last wrote. For every data page of the
 * slice, the gen table says how often the hart wrote it:
 *   gen > 0: the stamp must carry the magic, this hartid, the page's work-area index, that gen and a
 *            check equal to rvmig_stamp_check(); the page's last 8 bytes must equal the check too.
 *            A stale page (an older write: lower gen or an old check) fails, as does a torn one.
 *   gen = 0: the page was never written, so it must not hold a valid stamp of this hart for this
 *            page (that would mean the gen table lost an update, e.g. a stale table page after
 *            migration). Anything else (zeroes, as fresh RAM is) is fine; such pages are not counted
 *            in verify_pages ("stamped pages checked").
 */
#include "arch.h"
#include "console.h"
#include "guest.h"

/* Returns NULL when page k is as the hart left it, else what is wrong with it (rvmig_stamp.h). */
static const char *check_page(struct hart *h, uint64_t k, uint64_t gen)
{
	const volatile uint8_t *p = h->data + k * PAGE_SIZE;
	const volatile uint64_t *tail = (const volatile uint64_t *)(p + PAGE_SIZE - sizeof(uint64_t));

	return rvmig_stamp_problem((const volatile struct rvmig_stamp *)p, *tail, h->hartid, h->first_page + k, gen);
}

bool verify_slice(struct hart *h)
{
	struct rvmig_vcpu_stats *st = &h->st;

	st->verify_status = RVMIG_VERIFY_NOT_RUN;
	st->verify_pages = 0;
	st->verify_errors = 0;
	st->verify_first_bad = 0;
	stats_publish(h);

	for (uint64_t k = 0; k < h->data_pages; k++) {
		uint64_t gen = h->gens[k];
		const char *why = check_page(h, k, gen);
		if (gen)
			st->verify_pages++;
		/* Progress for the VMM's stall watchdog: a slow pass is not a stuck one. */
		if ((k + 1) % RVMIG_VERIFY_PUBLISH_PAGES == 0)
			stats_publish(h);
		if (!why)
			continue;
		if (st->verify_errors++ == 0) {
			const volatile struct rvmig_stamp *s =
				(const volatile struct rvmig_stamp *)(h->data + k * PAGE_SIZE);
			st->verify_first_bad = k;
			console_printf("rvmig-guest: hart %lu: page %lu (work page %lu): %s "
				       "(table gen %lu, stamp gen %lu epoch %lu)\n",
				       (unsigned long)h->hartid, (unsigned long)k, (unsigned long)(h->first_page + k),
				       why, (unsigned long)gen, (unsigned long)s->gen, (unsigned long)s->epoch);
		}
	}
	st->verify_status = st->verify_errors ? RVMIG_VERIFY_FAILED : RVMIG_VERIFY_OK;
	return st->verify_errors == 0;
}
