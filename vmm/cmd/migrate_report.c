/* SPDX-License-Identifier: MIT */
/* What rvmig migrate tells: a progress line per round, a summary, and the same as JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/migrate.h"
#include "lib/err.h"
#include "lib/json.h"

#define MIB (1024.0 * 1024.0)

void migrate_report_round(const struct mig *g, const struct mig_round *rd)
{
	char exp[32];

	if (g->r->opts.quiet)
		return;
	if (rd->expected_downtime_ms >= 0)
		snprintf(exp, sizeof(exp), "%.1f ms", rd->expected_downtime_ms);
	else
		snprintf(exp, sizeof(exp), "n/a");
	printf("[migrate] round %u%s: dirtied %" PRIu64 " pages (%.1f MiB/s), sent %" PRIu64
	       " pages %.2f MiB in %.1f ms "
	       "(%.1f MiB/s: zero scan %.1f, %s %.1f, socket %.1f, throttle %.1f ms); GET %.2f ms x%" PRIu64
	       ", CLEAR %.2f ms x%" PRIu64 ", ring %.2f ms (%" PRIu64 " entries); expected downtime %s\n",
	       rd->round, rd->final ? " (stop-and-copy)" : "", rd->dirtied, rd->dirty_rate / MIB, rd->pages,
	       (double)rd->bytes / MIB, rd->copy_ms, rd->bandwidth / MIB, rd->zero_scan_ms,
	       rd->final ? "checksum (zero copy)" : "copy+checksum", rd->encode_ms, rd->socket_ms, rd->throttle_ms,
	       rd->get_ms, rd->gets, rd->clear_ms, rd->clears, rd->ring_ms, rd->ring_entries, exp);
	fflush(stdout);
}

static uint64_t mig_total_bytes(const struct mig *g, uint64_t *pages)
{
	uint64_t b = 0;

	*pages = 0;
	for (unsigned i = 0; i < g->nrounds; i++) {
		b += g->rounds[i].bytes;
		*pages += g->rounds[i].pages;
	}
	return b;
}

/* The guest-visible pause: source paused -> the destination's VERIFIED (it resumed), the check included. */
static double mig_pause_ms(const struct mig *g)
{
	return g->resumed_ns > g->pause_ns && g->pause_ns ? (double)(g->resumed_ns - g->pause_ns) / 1e6 : -1;
}

/*
 * The downtime compared with --downtime-limit: the pause without the bit-exact check. Both sides hash
 * at the same time once the vCPU state is out; the destination measures how long its resume waited on
 * the verdict from the vCPU state's arrival (its own pass, and the source's HASHES if those came
 * later) and sends it in VERIFIED: exactly that is taken out. With --verify none it is 0 and this is
 * the pause as measured. The vCPU state, the restore and the resume stay in.
 */
/*
 * The destination's wait as the source may take it out: the peer's figure, but never more than the
 * source saw pass between flushing the vCPU state and the VERIFIED record (the wait lies inside that
 * interval), so a wrong figure cannot make the downtime negative or the verdict "within the limit".
 */
static double mig_verify_wait_ms(const struct mig *g)
{
	double seen = g->resumed_ns > g->vcpus_sent_ns ? (double)(g->resumed_ns - g->vcpus_sent_ns) / 1e6 : 0;
	double wait = (double)g->dest_verify.wait_ns / 1e6;

	return wait < seen ? wait : seen;
}

static double mig_downtime_ms(const struct mig *g)
{
	double p = mig_pause_ms(g);

	return p < 0 ? -1 : p - mig_verify_wait_ms(g);
}

/* Time from the vCPU state flushed to the destination's resume, less its wait on the check. */
static double mig_restore_ms(const struct mig *g)
{
	double seen = g->resumed_ns > g->vcpus_sent_ns ? (double)(g->resumed_ns - g->vcpus_sent_ns) / 1e6 : 0;

	return seen - mig_verify_wait_ms(g);
}

static unsigned mig_precopy_rounds(const struct mig *g)
{
	return g->nrounds && g->rounds[g->nrounds - 1].final ? g->nrounds - 1 : g->nrounds;
}

static bool mig_converged(const struct mig *g)
{
	return g->decision == CONV_CONVERGED;
}

/* What carried the stream: the shared-memory ring (--link shm) or the socket. */
static const char *mig_link_name(const struct mig *g)
{
	return g->shm ? "a shared-memory ring (--link shm)" : "a socket";
}

static const char *mig_to(const struct mig *g, char *buf, size_t len)
{
	return xport_format(&g->o.to, buf, len);
}

void migrate_report_print(const struct mig *g)
{
	const struct run_opts *o = &g->r->opts;
	char mem[32], chunk[32], bw[32], to[160];
	uint64_t pages, bytes = mig_total_bytes(g, &pages);
	unsigned precopy = mig_precopy_rounds(g);

	/* Pipelined, "sock ms" is the encoder's wait for the sender thread, not the time in the socket itself. */
	printf("\nrvmig migrate: %s%u vCPUs, %s %s, --dirty %s, to %s over %s%s, clear chunk %s, downtime limit %" PRIu64
	       " ms, max bandwidth %s\n",
	       o->kernel ? "Linux guest, " : "", o->vcpus, format_size(o->mem, mem, sizeof(mem)),
	       mem_backing_name(o->backing), dirty_mode_name(g->o.dirty), mig_to(g, to, sizeof(to)), mig_link_name(g),
	       g->w_ok && g->w.sender ? ", pipelined (a sender thread: sock ms = waits for it)" : "",
	       format_size(g->d.chunk_pages * RVMIG_PAGE_SIZE, chunk, sizeof(chunk)), g->o.downtime_ms,
	       g->o.max_bandwidth ? format_size(g->o.max_bandwidth, bw, sizeof(bw)) : "unlimited");
	printf("dirty logging enabled in %.3f ms (memslot update%s)\n", g->enable_ms,
	       g->o.dirty == DIRTY_MANUAL_INIT_SET ? "; INITIALLY_SET: protection happens in CLEAR" : "");
	/* copy ms: the sending alone (bw = bytes on the wire / copy ms); GET, CLEAR and ring are not in it. */
	/* copy ms split: zero-page scan, encode (copy + checksum; stop-and-copy: checksum only), socket. */
	printf("%-5s %9s %9s %9s %8s %8s %8s %9s %8s %8s %8s %11s %9s %12s\n", "round", "dirtied", "sent", "MiB",
	       "GET ms", "CLEAR ms", "ring ms", "copy ms", "zero ms", "enc ms", "sock ms", "dirty MiB/s", "bw MiB/s",
	       "exp. down ms");
	for (unsigned i = 0; i < g->nrounds; i++) {
		const struct mig_round *rd = &g->rounds[i];

		printf("%-5u %9" PRIu64 " %9" PRIu64 " %9.2f %8.2f %8.2f %8.2f %9.1f %8.1f %8.1f %8.1f %11.1f %9.1f "
		       "%12.1f%s\n",
		       rd->round, rd->dirtied, rd->pages, (double)rd->bytes / MIB, rd->get_ms, rd->clear_ms,
		       rd->ring_ms, rd->copy_ms, rd->zero_scan_ms, rd->encode_ms, rd->socket_ms, rd->dirty_rate / MIB,
		       rd->bandwidth / MIB, rd->expected_downtime_ms, rd->final ? "  stop-and-copy" : "");
	}
	printf("total: %.3f s, %" PRIu64 " pages, %.2f MiB sent, %u precopy rounds%s; converged: %s\n",
	       g->end_ns > g->start_ns ? (double)(g->end_ns - g->start_ns) / 1e9 : 0.0, pages, (double)bytes / MIB,
	       precopy, precopy < g->nrounds ? " + stop-and-copy" : "",
	       mig_converged(g) ? "yes"
	       : g->pause_ns    ? "no"
				: "n/a");
	if (g->pause_ns && !mig_converged(g))
		printf("did not converge: %s; the switch to stop-and-copy was forced\n", conv_name(g->decision));
	if (mig_downtime_ms(g) >= 0) {
		printf("downtime: %.1f ms (source paused -> destination resumed, the RAM hash check taken out), "
		       "limit %" PRIu64 " ms: %s; expected %.1f ms\n",
		       mig_downtime_ms(g), g->o.downtime_ms,
		       mig_downtime_ms(g) <= (double)g->o.downtime_ms ? "met" : "OVER",
		       g->nrounds ? g->rounds[g->nrounds - 1].expected_downtime_ms : -1.0);
		printf("  pause %.1f ms, last round %.1f ms, vCPU state %.1f ms, restore + resume %.1f ms\n",
		       (double)(g->paused_ns - g->pause_ns) / 1e6, (double)(g->final_sent_ns - g->paused_ns) / 1e6,
		       (double)(g->vcpus_sent_ns - g->final_sent_ns) / 1e6, mig_restore_ms(g));
		if (g->o.verify == MIG_VERIFY_HASH)
			printf("verification: source hash %.1f ms and destination hash %.1f ms at the same time; the "
			       "resume waited %.1f ms on it (guest paused %.1f ms in all)\n",
			       (double)g->src_hash_ns / 1e6, (double)g->dest_verify.hash_ns / 1e6,
			       mig_verify_wait_ms(g), mig_pause_ms(g));
		else
			printf("verification: none (--verify none): RAM was not checked bit-exact\n");
	}
	if (g->handed_over && g->o.verify == MIG_VERIFY_HASH)
		printf("RAM hashes: %" PRIu64 " 2M blocks, %s\n", g->nblocks,
		       g->hash_mismatch ? "MISMATCH" : "identical on source and destination");
	if (g->dest_verified)
		printf("destination: the guest ran on, %s verified every stamp and %s: ok\n",
		       o->kernel ? "its workload" : "it",
		       o->kernel ? "its clock step was within the pause + margin, it powered off" : "it shut down");
	if (g->status) {
		printf("result: FAILED: %s\n", g->fail);
		if (!g->handed_over)
			printf("source guest after the failed migration: %s\n",
			       g->fallback_verified ? "resumed and verified ok" : "did NOT verify");
		else
			printf("the destination had taken over the guest: the source does not resume it\n");
	} else {
		printf("result: ok\n");
	}
	fflush(stdout);
}

static void mig_json_round(struct json *j, const struct mig_round *rd)
{
	json_obj_begin(j, NULL);
	json_u64(j, "round", rd->round);
	json_bool(j, "stop_and_copy", rd->final);
	json_u64(j, "pages_dirtied", rd->dirtied);
	json_u64(j, "pages_sent", rd->pages);
	json_u64(j, "bytes_sent", rd->bytes);
	json_double(j, "get_ms", rd->get_ms);
	json_u64(j, "gets", rd->gets);
	json_double(j, "clear_ms", rd->clear_ms);
	json_u64(j, "clears", rd->clears);
	json_double(j, "ring_ms", rd->ring_ms);
	json_u64(j, "ring_entries", rd->ring_entries);
	json_double(j, "copy_ms", rd->copy_ms);
	json_double(j, "zero_scan_ms", rd->zero_scan_ms);
	json_double(j, "encode_ms", rd->encode_ms);
	json_double(j, "socket_ms", rd->socket_ms);
	json_double(j, "throttle_ms", rd->throttle_ms);
	json_double(j, "wall_ms", rd->wall_ms);
	json_double(j, "dirty_rate_Bps", rd->dirty_rate);
	json_double(j, "bandwidth_Bps", rd->bandwidth);
	if (rd->expected_downtime_ms >= 0)
		json_double(j, "expected_downtime_ms", rd->expected_downtime_ms);
	else
		json_str(j, "expected_downtime_ms", NULL);
	json_obj_end(j);
}

static void mig_json_plan(struct json *j, const struct mig *g)
{
	char to[160];

	json_str(j, "guest", g->r->opts.kernel ? "linux" : "rvmig");
	json_str(j, "dirty", dirty_mode_name(g->o.dirty));
	json_str(j, "to", xport_format(&g->o.to, to, sizeof(to)));
	json_str(j, "link", g->shm ? "shm" : "socket");
	if (!g->shm) /* the socket's buffer matters only where the socket carries the stream */
		json_u64(j, "socket_sndbuf_bytes", g->sndbuf);
	json_u64(j, "clear_chunk_bytes", g->d.chunk_pages * RVMIG_PAGE_SIZE);
	json_u64(j, "downtime_limit_ms", g->o.downtime_ms);
	json_str(j, "verify", g->o.verify == MIG_VERIFY_HASH ? "hash" : "none");
	/* --pipeline as given, and whether the sending half got its sender thread: which way the stages were timed. */
	json_str(j, "pipeline", stream_pipeline_name(g->o.pipeline));
	json_bool(j, "stream_pipelined", g->w_ok && g->w.sender);
	json_u64(j, "max_rounds", g->o.max_rounds);
	json_u64(j, "stall_rounds", g->o.stall_rounds);
	json_u64(j, "max_bandwidth_Bps", g->o.max_bandwidth);
	json_u64(j, "ring_entries", g->o.ring_entries);
	json_u64(j, "post_run_ms", g->o.post_run_ms);
}

static void mig_json_results(struct json *j, const struct mig *g)
{
	uint64_t pages, bytes = mig_total_bytes(g, &pages);

	json_double(j, "dirty_enable_ms", g->enable_ms);
	json_arr_begin(j, "rounds");
	for (unsigned i = 0; i < g->nrounds; i++)
		mig_json_round(j, &g->rounds[i]);
	json_arr_end(j);
	json_obj_begin(j, "total");
	json_double(j, "time_s", g->end_ns > g->start_ns ? (double)(g->end_ns - g->start_ns) / 1e9 : 0);
	json_u64(j, "pages_sent", pages);
	json_u64(j, "bytes_sent", bytes);
	json_u64(j, "rounds", g->nrounds); /* stop-and-copy included */
	json_u64(j, "precopy_rounds", mig_precopy_rounds(g));
	json_bool(j, "converged", mig_converged(g));
	json_str(j, "decision", conv_name(g->decision));
	if (mig_downtime_ms(g) >= 0) {
		json_double(j, "downtime_ms", mig_downtime_ms(g));
		json_double(j, "downtime_pause_ms", (double)(g->paused_ns - g->pause_ns) / 1e6);
		json_double(j, "downtime_last_round_ms", (double)(g->final_sent_ns - g->paused_ns) / 1e6);
		json_double(j, "downtime_vcpu_state_ms", (double)(g->vcpus_sent_ns - g->final_sent_ns) / 1e6);
		json_double(j, "downtime_restore_ms", mig_restore_ms(g));
		json_double(j, "downtime_with_verify_ms", mig_pause_ms(g));
		json_bool(j, "downtime_within_limit", mig_downtime_ms(g) <= (double)g->o.downtime_ms);
	} else {
		json_str(j, "downtime_ms", NULL);
		json_str(j, "downtime_with_verify_ms", NULL);
	}
	json_u64(j, "downtime_limit_ms", g->o.downtime_ms);
	json_double(j, "verify_src_ms", (double)g->src_hash_ns / 1e6);
	json_double(j, "verify_dst_ms", (double)g->dest_verify.hash_ns / 1e6);
	json_double(j, "verify_wait_ms", mig_verify_wait_ms(g));
	json_u64(j, "hash_blocks", g->nblocks);
	json_u64(j, "hash_mismatches", g->hash_mismatch);
	json_bool(j, "handed_over", g->handed_over);
	json_bool(j, "destination_verified", g->dest_verified);
	json_bool(j, "source_resumed_verified", g->fallback_verified);
	json_obj_end(j);
	json_bool(j, "ok", g->status == 0);
	json_str(j, "error", g->status ? g->fail : NULL);
}

void migrate_report_json_fields(struct json *j, const struct mig *g)
{
	json_obj_begin(j, "params");
	mig_json_plan(j, g);
	json_u64(j, "after_ms", g->o.run.duration_ms); /* the guest ran this long before it moved */
	json_obj_end(j);
	mig_json_results(j, g);
}

int migrate_report_json(const struct mig *g, const char *path)
{
	const struct run_opts *o = &g->r->opts;
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig migrate", o);
	json_str(&j, "pattern", cli_pattern_name(o->pattern));
	json_u64(&j, "rate", o->rate);
	mig_json_plan(&j, g);
	json_obj_end(&j);
	mig_json_results(&j, g);
	session_json_privileges(&j, g->r);
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}
