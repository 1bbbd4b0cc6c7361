/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of migration, unit-tested on the host: options of `rvmig migrate` and `rvmig recv`,
 * transport addresses, the token bucket behind --max-bandwidth, the convergence decision and the
 * CLEAR chunk plan. No KVM, no sockets.
 */
#ifndef RVMIG_MIGRATE_PLAN_H
#define RVMIG_MIGRATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/run_opts.h"
#include "mig/dirty.h"

/* ---- transport addresses ---- */
enum xport_kind { XPORT_LOCAL, XPORT_UNIX, XPORT_TCP };

struct xport_addr {
	enum xport_kind kind;
	char path[108];             /* unix: sun_path                                        */
	char host[64];              /* tcp: "" = any (listen) or 127.0.0.1 (connect)         */
	uint16_t port;
};

/* "local", "unix:PATH", "tcp:HOST:PORT", and for listening also "tcp:PORT". 0 or -1. */
int xport_parse(const char *s, bool listen, struct xport_addr *a);
const char *xport_format(const struct xport_addr *a, char *buf, size_t len);

/* ---- options ---- */
#define MIG_DEFAULT_CLEAR_CHUNK   (1ULL << 30) /* as QEMU's x-clear-bitmap-shift 18       */
#define MIG_DEFAULT_DOWNTIME_MS   300
#define MIG_DEFAULT_MAX_ROUNDS    30
#define MIG_DEFAULT_STALL_ROUNDS  3
#define MIG_DEFAULT_RING_ENTRIES  16384
#define MIG_DEFAULT_POST_RUN_MS   1000
#define MIG_DEFAULT_ACCEPT_TIMEOUT_MS (10 * 60 * 1000)
#define MIG_MAX_ROUNDS            100

struct migrate_opts {
	struct run_opts run;        /* machine shape and workload, as `rvmig run`            */
	enum dirty_mode dirty;
	struct xport_addr to;
	uint64_t clear_chunk;       /* bytes                                                 */
	uint64_t downtime_ms;
	unsigned max_rounds;
	unsigned stall_rounds;      /* rounds without shrinking before the switch is forced */
	uint64_t max_bandwidth;     /* bytes/s, 0 = unlimited                                */
	uint32_t ring_entries;
	uint64_t post_run_ms;       /* destination: run after resume, before VERIFY          */
};

struct recv_opts {
	struct run_opts run;        /* shape: vcpus, mem, backing; json, quiet               */
	struct xport_addr listen;
	uint64_t post_run_ms;
	uint64_t accept_timeout_ms; /* how long to wait for a sender; 0 = forever            */
};

/* argv[0] is the subcommand. Options not of migrate/recv go through cli_parse_run. */
enum cli_result cli_parse_migrate(int argc, char **argv, struct migrate_opts *o, char *err, size_t errlen);
enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen);
void cli_migrate_help(FILE *f);
void cli_recv_help(FILE *f);

/* ---- token bucket (--max-bandwidth) ---- */
struct tbucket {
	uint64_t rate;              /* bytes per second, 0 = unlimited                       */
	double burst;               /* bucket size in bytes                                  */
	double tokens;              /* may go negative: the debt the sender waits off        */
	uint64_t last_ns;
};

void tbucket_init(struct tbucket *t, uint64_t rate, uint64_t now_ns);
/* Takes n bytes that were just sent; returns how long to wait (ns) before sending more. */
uint64_t tbucket_take(struct tbucket *t, uint64_t n, uint64_t now_ns);

/* ---- convergence ---- */
enum conv_decision {
	CONV_CONTINUE,
	CONV_CONVERGED,             /* remaining bytes fit the downtime limit at the bandwidth */
	CONV_FORCED_MAX_ROUNDS,
	CONV_FORCED_STALLED,        /* rounds stopped shrinking                              */
};

struct conv {
	uint64_t limit_ns;
	unsigned max_rounds;
	unsigned stall_rounds;
	uint64_t best;              /* smallest remaining seen; UINT64_MAX at first          */
	unsigned since_best;
};

void conv_init(struct conv *c, uint64_t limit_ns, unsigned max_rounds, unsigned stall_rounds);
/*
 * Called after the harvest that starts round `round` (>= 1, i.e. `round` rounds were sent), with the
 * bytes the dirty pages will take and the bandwidth measured so far (bytes/s, 0 = unknown), both in
 * one unit (rvmig migrate: stream bytes, page data plus record overhead). *expected_ns gets the
 * downtime a switch now would cost (UINT64_MAX when the bandwidth is unknown).
 */
enum conv_decision conv_decide(struct conv *c, unsigned round, uint64_t remaining, double bw,
			       uint64_t *expected_ns);
const char *conv_name(enum conv_decision d);

/* ---- CLEAR chunks ---- */
/*
 * Pages per CLEAR chunk for a slot of slot_pages 4K pages: chunk_bytes / 4K, at most the slot and a
 * multiple of 64 pages (KVM_CLEAR_DIRTY_LOG wants first_page and num_pages 64-aligned, except a
 * range that ends at the slot's end).
 */
uint64_t chunk_pages_for(uint64_t chunk_bytes, uint64_t slot_pages);
static inline uint64_t chunk_count(uint64_t slot_pages, uint64_t chunk_pages)
{
	return (slot_pages + chunk_pages - 1) / chunk_pages;
}

#endif
