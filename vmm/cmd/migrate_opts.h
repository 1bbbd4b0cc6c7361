/* SPDX-License-Identifier: MIT */
/* `rvmig migrate` options: the migration's own, on top of the `rvmig run` ones. */
#ifndef RVMIG_MIGRATE_OPTS_H
#define RVMIG_MIGRATE_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/common_opts.h"
#include "cmd/run_opts.h"
#include "lib/opt.h"
#include "mig/conversation.h"
#include "mig/dirty_mode.h"
#include "mig/transport.h"

#define MIG_DEFAULT_CLEAR_CHUNK  (1ULL << 30) /* as QEMU's x-clear-bitmap-shift 18       */
#define MIG_DEFAULT_DOWNTIME_MS  300
#define MIG_DEFAULT_MAX_ROUNDS   30
#define MIG_DEFAULT_STALL_ROUNDS 3
#define MIG_DEFAULT_RING_ENTRIES 16384
#define MIG_MAX_ROUNDS           100

/* --verify: the bit-exact RAM hash check after stop-and-copy, or none (runs that measure downtime only). */
enum mig_verify {
	MIG_VERIFY_HASH = 0,
	MIG_VERIFY_NONE = 1,
};

/*
 * --link: what carries the stream of a --to local migration. MIG_LINK_UNSET (not given) becomes
 * MIG_DEFAULT_LINK for --to local and the socket for any other --to (where only a socket can).
 */
enum mig_link {
	MIG_LINK_UNSET = 0,
	MIG_LINK_SOCKET = 1,
	MIG_LINK_SHM = 2, /* the shared-memory ring, mig/shm_link.h */
};
#define MIG_DEFAULT_LINK MIG_LINK_SOCKET

struct migrate_opts {
	struct run_opts run; /* machine shape and workload, as `rvmig run`            */
	enum dirty_mode dirty;
	struct xport_addr to;
	uint64_t clear_chunk; /* bytes                                                 */
	uint64_t downtime_ms;
	unsigned max_rounds;
	unsigned stall_rounds;  /* rounds without shrinking before the switch is forced */
	uint64_t max_bandwidth; /* bytes/s, 0 = unlimited                                */
	uint32_t ring_entries;
	uint64_t post_run_ms; /* destination: run after resume, before VERIFY          */
	uint64_t connect_ms;  /* --connect-timeout: retry a destination not listening yet */
	struct auth_key auth; /* --auth-key: proven to the destination before the stream */
	enum mig_verify verify;
	enum mig_link link;
	enum stream_pipeline pipeline; /* --pipeline: this side's sender thread, and the local destination's checker */
};

/* argv[0] is the subcommand. Options not of migrate go through cli_parse_run. */
enum cli_result cli_parse_migrate(int argc, char **argv, struct migrate_opts *o, char *err, size_t errlen);
void cli_migrate_help(FILE *f);
/* migrate's defaults (--dirty manual, --to local, ...); the run options are left zero. */
void migrate_opts_defaults(struct migrate_opts *o);
extern const struct opt_table migrate_opt_table;

#endif
