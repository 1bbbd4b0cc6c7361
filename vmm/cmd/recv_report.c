/* SPDX-License-Identifier: MIT */
/* rvmig recv --json: the destination's report (its schema: the keys below, the params its shape). */
#include <stdio.h>

#include "cmd/recv_priv.h"
#include "lib/json.h"
#include "mig/transport.h"

/* --json: what the destination received, checked and ran; the params are its shape. */
int recv_report_json(const struct recv *v, const char *path, int rc)
{
	const struct run_opts *o = &v->o->run;
	char listen[160];
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig recv", o);
	json_str(&j, "listen", xport_format(&v->o->listen, listen, sizeof(listen)));
	json_u64(&j, "post_run_ms", v->o->post_run_ms);
	json_str(&j, "pipeline", stream_pipeline_name(v->o->pipeline));
	json_bool(&j, "stream_checker", v->rd.checker != NULL); /* --pipeline's verdict on this host */
	json_obj_end(&j);
	json_bool(&j, "authenticated", v->authenticated);
	json_u64(&j, "pages_received", v->pages);
	json_u64(&j, "zero_pages", v->rd.totals.zero_pages);
	json_u64(&j, "rounds", v->rounds);
	json_arr_begin(&j, "round_stats");
	for (unsigned i = 0; i < v->nrstats; i++) {
		json_obj_begin(&j, NULL);
		json_u64(&j, "round", v->rstats[i].round);
		json_u64(&j, "pages", v->rstats[i].pages);
		json_double(&j, "read_ms", v->rstats[i].read_ms);
		json_double(&j, "check_ms", v->rstats[i].check_ms);
		json_double(&j, "apply_ms", v->rstats[i].apply_ms);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_begin(&j, "vcpu_state");
	json_u64(&j, "vcpus_restored", v->vcpus_restored);
	json_u64(&j, "registers_set", v->restored.set);
	json_u64(&j, "registers_kept", v->restored.kept);
	json_obj_end(&j);
	json_bool(&j, "verify", v->verify);
	json_double(&j, "verify_hash_ms", (double)v->verified.hash_ns / 1e6);
	json_double(&j, "verify_wait_ms", (double)v->verified.wait_ns / 1e6);
	json_u64(&j, "hash_blocks", v->nblocks);
	json_bool(&j, "hashes_compared", v->hashes_compared);
	json_u64(&j, "hash_mismatches", v->hash_mismatches);
	json_bool(&j, "resumed", v->resumed);
	if (v->resumed && v->final_ns)
		json_double(&j, "resume_after_vcpu_state_ms", (double)(v->resumed_ns - v->final_ns) / 1e6);
	else
		json_str(&j, "resume_after_vcpu_state_ms", NULL);
	json_bool(&j, "guest_verified", v->guest_verified);
	json_str(&j, "guest", v->linux_guest ? "linux" : "rvmig");
	if (v->linux_guest) {
		json_obj_begin(&j, "workload");
		json_bool(&j, "verify_ok", v->wl.ok && v->guest_verified);
		json_u64(&j, "pages", v->wl.pages);
		json_u64(&j, "errors", v->wl.errors);
		json_u64(&j, "writes", v->wl.writes);
		json_double(&j, "max_clock_step_ms", (double)v->wl.step_us / 1e3);
		json_double(&j, "pause_seen_ms", v->pause_ms);
		json_u64(&j, "step_margin_ms", RECV_LINUX_STEP_MARGIN_MS);
		json_obj_end(&j);
	}
	session_json_privileges(&j, v->r);
	json_bool(&j, "ok", rc == 0);
	json_str(&j, "error", rc ? v->fail : NULL);
	/* --then-migrate-to: the hop out, as rvmig migrate reports it (null when the hop in failed). */
	if (v->onward && v->onward_status >= 0) {
		json_obj_begin(&j, "forward");
		migrate_report_json_fields(&j, v->onward);
		json_obj_end(&j);
	} else if (v->onward) {
		json_str(&j, "forward", NULL);
	}
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}
