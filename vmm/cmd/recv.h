/* SPDX-License-Identifier: MIT */
/*
 * rvmig recv: the destination of a migration (the stream conversation is in cmd/migrate.h). Waits for
 * one sender, builds a VM of the given shape, receives RAM and vCPU state, resumes and verifies.
 */
#ifndef RVMIG_RECV_H
#define RVMIG_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/opt.h"
#include "cmd/migrate_opts.h"
#include "cmd/run_opts.h"
#include "mig/auth.h"
#include "mig/conversation.h"
#include "mig/shm_link.h"
#include "mig/transport.h"

#define RECV_DEFAULT_ACCEPT_TIMEOUT_MS (10 * 60 * 1000)
#define RECV_DEFAULT_MIGRATE_AFTER_MS  500

struct recv_opts {
	struct run_opts run; /* shape: vcpus, mem, backing; json, quiet               */
	struct xport_addr listen;
	uint64_t post_run_ms;
	uint64_t accept_timeout_ms;    /* how long to wait for a sender; 0 = forever            */
	struct auth_key auth;          /* --auth-key: the sender must prove it holds it         */
	enum stream_pipeline pipeline; /* --pipeline: the checker thread, and the hop onward's sender */
	/*
	 * --then-migrate-to: the plan of the hop onward, as `rvmig migrate` takes it (onward.to.kind
	 * XPORT_LOCAL = none). Its run options are ours (same guest), its run.duration_ms is
	 * --migrate-after, its post_run_ms our --post-run (the next recv's, as a chain uses one), its
	 * auth our --auth-key (one key for every end of a chain).
	 */
	struct migrate_opts onward;
	/*
	 * Not an option: `migrate --to local --link shm` hands its forked destination the ring (made before
	 * the fork) that the stream comes through; the socket stays for the replies. NULL: the socket.
	 */
	struct shm_link *shm;
};

enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen);
void cli_recv_help(FILE *f);
extern const struct opt_table recv_opt_table;
extern const struct opt_table recv_onward_opt_table;

int recv_main(int argc, char **argv);
/* The destination on a connected fd (recv, or the child of --to local). Returns the exit status. */
int recv_serve(struct recv_opts *o, int fd);

#endif
