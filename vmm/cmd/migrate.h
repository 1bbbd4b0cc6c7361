/* SPDX-License-Identifier: MIT */
/*
 * rvmig migrate: the source of a migration (migrate.c, migrate_send.c); the destination is recv.
 * The conversation between the two is described in mig/conversation.h.
 */
#ifndef RVMIG_MIGRATE_H
#define RVMIG_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmd/migrate_opts.h"
#include "mig/converge.h"
#include "mig/conversation.h"
#include "mig/dirty.h"
#include "mig/shm_link.h"
#include "mig/stream.h"
#include "mig/tbucket.h"
#include "session.h"

struct mig_round {
	unsigned round;
	bool final;            /* stop-and-copy, vCPUs paused                              */
	uint64_t dirtied;      /* pages newly dirty since the previous round's opening harvest */
	uint64_t pages, bytes; /* sent                                                     */
	uint64_t gets, clears, ring_entries;
	double get_ms, clear_ms, ring_ms;
	/*
	 * copy_ms: time spent writing the round's records to the link (batches, their --max-bandwidth
	 * waits, the round end and its flush). The CLEARs made just before a chunk's first page and the
	 * mid-round ring harvests are not in it: they have their own columns. wall_ms is the whole round.
	 */
	double copy_ms, wall_ms;
	uint64_t send_ns; /* copy_ms being summed                                     */
	/*
	 * copy_ms split by stage (the stream writer's own accounting, struct stream_wstats): the zero-page
	 * scan, encoding (the copy into the buffer and the checksum; stop-and-copy: the checksum alone,
	 * zero copy), blocked in the socket (write/sendmsg and the wait for room), and the --max-bandwidth
	 * wait. copy_ms - their sum is the rest (record bookkeeping, the clock reads).
	 */
	double zero_scan_ms, encode_ms, socket_ms, throttle_ms;
	uint64_t throttle_ns;
	double dirty_rate; /* bytes/s dirtied since the previous harvest               */
	double bandwidth;  /* stream (wire) bytes / copy_ms                            */
	/*
	 * At the decision that opened the round: the dirty pages' wire bytes (stream_pages_wire_bytes,
	 * page data and per-page record overhead) / the wire-byte bandwidth; <0 = n/a.
	 */
	double expected_downtime_ms;
};

struct mig {
	struct migrate_opts o;
	struct session *r;
	struct dirty d;
	int fd;
	/* --link shm: the ring the stream goes through (fd stays: replies, and the child's liveness) */
	struct shm_link *shm;
	uint64_t sndbuf; /* SO_SNDBUF the kernel granted fd (XPORT_SOCKBUF asked), 0 if unknown */
	pid_t child;     /* --to local: the forked destination                       */
	struct stream_writer w;
	struct stream_reader rd;
	bool w_ok, rd_ok;
	struct tbucket tb;
	uint64_t tb_mark;
	struct conv conv;
	struct mig_round rounds[MIG_MAX_ROUNDS + 2];
	unsigned nrounds;
	enum conv_decision decision;
	double bw; /* latest bandwidth estimate, bytes/s                       */
	uint64_t last_harvest_ns;
	uint64_t harvest_mark; /* d.st.harvested at the last opening harvest                */
	uint64_t start_ns, pause_ns, resumed_ns, end_ns;
	uint64_t paused_ns, final_sent_ns, vcpus_sent_ns, hashes_sent_ns; /* downtime breakdown */
	uint64_t src_hash_ns;                                             /* our RAM hash pass  */
	struct stream_verified dest_verify; /* the destination's hash pass and its wait on the check */
	double enable_ms;
	uint64_t *hashes;      /* source's, per 2M block                                   */
	uint64_t *dest_hashes; /* the destination's reply, gathered over its HASHES records */
	uint64_t nblocks;
	size_t hash_mismatch; /* blocks differing from the destination's                  */
	bool handed_over;     /* the destination resumed the guest                        */
	bool dest_verified;
	char dest_msg[STREAM_REASON_MAX + 1];
	bool fallback_verified; /* failure: the source guest verified after resuming         */
	char fail[512];
	int status;
};

int migrate_main(int argc, char **argv);

/*
 * The sending half as a library, for a guest booted here (migrate_main) or one received and travelling
 * on (recv --then-migrate-to). g->o holds the plan (o.run.duration_ms: how long the guest runs before
 * it moves). mig_attach ties g to session r: dirty-log hooks (call it after session_init, before
 * session_setup), bitmaps and hashes; exits on ENOMEM.
 */
void mig_attach(struct mig *g, struct session *r);
/* r's guest is running: connect to o.to, precopy, stop-and-copy, handover. 0 or -errno (g->fail). */
int mig_send_guest(struct mig *g);
/* After mig_send_guest: on failure resumes and verifies the guest here; stops the VM; prints the report. */
void mig_finish(struct mig *g, int rc);
/* A received guest moving on: runs o.run.duration_ms, mig_send_guest, mig_finish. The exit status. */
int mig_onward(struct mig *g);
/* Frees what mig_attach and mig_send_guest allocated (not the session nor its machine). */
void mig_release(struct mig *g);

/* migrate_send.c: the stream to the destination, each 0 or -errno with the reason in g->fail. */
int mig_handshake(struct mig *g);
int mig_precopy(struct mig *g);
int mig_stop_and_copy(struct mig *g);

/* migrate_report.c */
void migrate_report_round(const struct mig *g, const struct mig_round *rd);
void migrate_report_print(const struct mig *g);
int migrate_report_json(const struct mig *g, const char *path);
/* The migration's parameters, rounds, totals, ok and error into an open object (recv's "forward"). */
void migrate_report_json_fields(struct json *j, const struct mig *g);

#endif
