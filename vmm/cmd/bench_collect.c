/* SPDX-License-Identifier: MIT */
/* rvmig bench: what the guest reports of a pass (its per-vCPU stats, merged), and how far each vCPU
 * got when a pass timed out. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "lib/err.h"
#include "session.h"

uint64_t bench_pass_progress(struct bench *b, uint64_t last[RVMIG_MAX_VCPUS])
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < b->o.run.vcpus; i++) {
		struct rvmig_vcpu_stats s;

		/* A snapshot caught mid-update keeps the vCPU's last count: not a move, not a loss. */
		if (!stats_snapshot(&b->r->m.stats[i], &s))
			last[i] = s.epoch == b->target_epoch ? s.first_writes : 0;
		sum += last[i];
	}
	return sum;
}

/* After a pass stalled: how far each vCPU got, into b->fail. */
void bench_blame_pass(struct bench *b, uint64_t still_s)
{
	size_t pos = (size_t)snprintf(b->fail, sizeof(b->fail),
				      "dirty pass (epoch %" PRIu64
				      ") stalled: no vCPU wrote a new page of it for %" PRIu64 " s (limit %d s):",
				      b->target_epoch, still_s, BENCH_PASS_STALL_S);

	uint64_t least = UINT64_MAX;

	for (unsigned i = 0; i < b->o.run.vcpus && pos < sizeof(b->fail); i++) {
		struct rvmig_vcpu_stats s = { 0 };

		stats_snapshot(&b->r->m.stats[i], &s);
		/* The vCPU furthest behind has its registers dumped (session_stop_and_join). */
		bool this_epoch = s.epoch == b->target_epoch;
		uint64_t done = this_epoch ? s.first_writes : 0;

		if (!(this_epoch && s.slice_done_ticks) && done < least) {
			least = done;
			b->r->stuck_vcpu = (int)i;
		}
		pos += (size_t)snprintf(b->fail + pos, sizeof(b->fail) - pos,
					" vCPU %u epoch %" PRIu64 " %" PRIu64 "/%" PRIu64 " pages, %" PRIu64 " writes;",
					i, s.epoch, s.first_writes, s.slice_pages, s.writes);
	}
}

/*
 * The park kick lands at any instruction, so a vCPU can be parked halfway through publishing its
 * stats (seq odd) and would never finish: let the guest run a moment, park everyone again, retry.
 */
static int bench_snapshot(struct bench *b, unsigned i, struct rvmig_vcpu_stats *s)
{
	struct machine *m = &b->r->m;

	for (int attempt = 0; attempt < 3; attempt++) {
		if (!stats_snapshot(&m->stats[i], s))
			return 0;
		machine_resume(m);
		usleep(2000);
		if (machine_pause(m, 5000))
			break;
	}
	return stats_snapshot(&m->stats[i], s);
}

/* The guest's per-vCPU stats of the finished pass, merged. */
void bench_pass_collect(struct bench *b, struct bench_pass *p)
{
	struct session *r = b->r;

	struct rvmig_hist all = { 0 };

	memset(p->fw, 0, sizeof(p->fw));
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct rvmig_vcpu_stats s = { 0 };

		if (bench_snapshot(b, i, &s))
			warn_msg("vCPU %u: no consistent stats snapshot after pass (epoch %" PRIu64 ")", i, p->epoch);
		p->slice_ms[i] = stats_ticks_to_us((double)s.slice_done_ticks, r->m.timebase_hz) / 1000;
		p->first_writes[i] = s.first_writes;
		p->slice_pages[i] = s.slice_pages;
		p->slice_first_page[i] = s.slice_first_page;
		p->first_writes_total += s.first_writes;
		p->slice_pages_total += s.slice_pages;
		if (p->slice_ms[i] > p->slice_ms_max)
			p->slice_ms_max = p->slice_ms[i];
		for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++)
			stats_hist_merge(&p->fw[c], &s.fw[c]);
	}
	stats_hist_merge(&all, &p->fw[RVMIG_FW_OTHER]);
	stats_hist_merge(&all, &p->fw[RVMIG_FW_FIRST_IN_2M]);
	p->pages_per_s = p->slice_ms_max > 0 ? (double)p->first_writes_total / (p->slice_ms_max / 1000) : 0;
	stats_latency(&all, r->m.timebase_hz, &p->lat);
}
