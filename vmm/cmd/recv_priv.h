/* SPDX-License-Identifier: MIT */
/* rvmig recv's state, shared by its conversation (recv.c) and its --json report (recv_report.c). */
#ifndef RVMIG_RECV_PRIV_H
#define RVMIG_RECV_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/migrate.h"
#include "cmd/recv.h"
#include "core/vcpu_state.h"
#include "mig/hashes_collect.h"
#include "mig/stream.h"
#include "rvmig_abi.h"
#include "session.h"

/*
 * A margin on top of the pause for the workload's largest clock step: under the lab's TCG a vCPU
 * thread of a busy 2-core host goes without a time slice for a while as the guest's time runs on (the
 * step is then the descheduling, not the migration): 440 ms was seen in a plain run, no migration.
 */
#define RECV_LINUX_STEP_MARGIN_MS 2000

struct recv {
	struct recv_opts *o; /* not const: the key of --auth-key is wiped once used */
	struct session *r;
	struct stream_writer w;
	struct stream_reader rd;
	struct stream_header shape;
	struct vcpu_state states[RVMIG_MAX_VCPUS];
	uint64_t *hashes, nblocks;
	struct hashes_collect src_hashes; /* the sender's, over its HASHES records */
	uint64_t pages, rounds, first_ns, final_ns, resumed_ns;
	/*
	 * Per round, where the destination's time went: read (in read() and waiting for bytes: the link),
	 * check (record checksum and decode), apply (pages into guest RAM). Closed at each ROUND_END.
	 */
	struct recv_round {
		uint64_t round, pages;
		double read_ms, check_ms, apply_ms;
	} rstats[MIG_MAX_ROUNDS + 2];
	unsigned nrstats;
	struct stream_rstats rmark; /* the reader's figures when the open round began */
	uint64_t apply_ns, apply_mark;
	bool verify;                     /* the sender's header did not say NO_VERIFY             */
	bool linux_guest;                /* the sender's header said LINUX: no control block      */
	uint64_t round_end_ns[2];        /* the last two ROUND_ENDs: [1] opened the final round    */
	struct wl_event wl;              /* a Linux guest's workload verify report here           */
	double pause_ms;                 /* Linux: the destination's view of the pause (recv.c, recv_linux_verify) */
	struct stream_verified verified; /* our hash pass, the resume's wait on the check        */
	bool hashed; /* the vCPU state came (our RAM hashed when verifying): no page may come after */
	bool hashes_compared;
	size_t hash_mismatches;
	struct vcpu_restore_stats restored;
	unsigned vcpus_restored;
	bool resumed, guest_verified;
	bool authenticated; /* --auth-key: the sender answered our challenge           */
	struct mig *onward; /* --then-migrate-to: the hop onward, NULL without         */
	int onward_status;  /* its exit status                                         */
	char fail[STREAM_REASON_MAX];
};

/* --json: what the destination received, checked and ran (recv_report.c); rc is the serve's outcome. */
int recv_report_json(const struct recv *v, const char *path, int rc);

#endif
