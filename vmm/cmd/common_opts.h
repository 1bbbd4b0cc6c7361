/* SPDX-License-Identifier: MIT */
/*
 * The options that more than one command takes, each declared once, here: every table that takes
 * one uses the macro below, so its values, its message for a bad value and its help cannot drift
 * apart between commands again (--clear-chunk once meant "a power of two >= 2M" for migrate and "a
 * multiple of 256K or slot" for bench). A macro, not a shared object: each table points it at its
 * own struct's field. The default is the command's (a command's help says its own).
 */
#ifndef RVMIG_COMMON_OPTS_H
#define RVMIG_COMMON_OPTS_H

#include "core/fdt_build.h"
#include "lib/opt.h"
#include "mig/auth.h"
#include "mig/dirty_mode.h"
#include "mig/stream.h"
#include "mig/transport.h"
#include "rvmig_abi.h"

/*
 * KVM_CLEAR_DIRTY_LOG takes first_page and num_pages in multiples of 64 pages (the last range of
 * a slot may be shorter): chunks are multiples of 64 4K pages, 256K. KVM write-protects (and with
 * eager split splits) a whole huge leaf that a range touches, so chunks need no 2M alignment.
 */
#define OPT_CLEAR_CHUNK_GRANULE (64 * RVMIG_PAGE_SIZE)
/*
 * KVM_CAP_DIRTY_LOG_RING(_ACQ_REL) takes a ring of a power of two bytes, at least a page and at
 * most KVM_DIRTY_RING_MAX_ENTRIES entries of 16 bytes (the 1M the capability reports): in entries,
 * a power of two from 256 to 65536.
 */
#define OPT_RING_MIN_ENTRIES    256
#define OPT_RING_MAX_ENTRIES    65536

/* --clear-chunk: "slot" (0: the whole slot, one range) or a multiple of 256K, into a uint64_t. */
int opt_set_clear_chunk(void *field, const char *val);

#define OPT_DIRTY(type, field)                                                                       \
	{                                                                                            \
		"dirty", "MODE", OPT_ENUM, OPT_FIELD(type, field),                                   \
			.name_to_enum = dirty_mode_parse,                                            \
			.bad = "--dirty %s: unknown mode; use get, manual, manual-init-set or ring", \
			.help = "get | manual | manual-init-set | ring (default manual)"             \
	}

/* default_text: the command's default as its help says it ("1G", "the whole slot"). */
#define OPT_CLEAR_CHUNK(type, field, default_text)                                                          \
	{                                                                                                   \
		"clear-chunk", "SIZE", OPT_FUNC, OPT_FIELD(type, field),                                    \
			.set = opt_set_clear_chunk,                                                         \
			.bad = "--clear-chunk %s: want a multiple of 256K (64 pages), e.g. 2M or 768K, or " \
			       "'slot'",                                                                    \
			.help = "KVM_CLEAR_DIRTY_LOG chunk: a multiple of 256K, e.g. 2M, 64M,\n"            \
				"or 'slot' (default " default_text ")"                                      \
	}

#define OPT_RING_SIZE(type, field, default_entries)                                                       \
	{                                                                                                 \
		"ring-size", "N", OPT_UINT, OPT_FIELD(type, field),                                       \
			.min = OPT_RING_MIN_ENTRIES, .max = OPT_RING_MAX_ENTRIES, .pow2 = true,           \
			.bad = "--ring-size %s: want a power of two from 256 to 65536 entries",           \
			.help = "dirty ring entries per vCPU, a power of two, 256..65536 (default %llu)", \
			.help_val = (default_entries)                                                     \
	}

/* --dirty-log (rvmig run's switch) in a command that turns logging on itself: refused, pointing at --dirty. */
#define OPT_NO_DIRTY_LOG                                                                                       \
	{                                                                                                      \
		"dirty-log", NULL, OPT_REFUSED,                                                                \
			.hidden = true,                                                                        \
			.bad = "--%s is for rvmig run; this command turns logging on itself: choose the mode " \
			       "with --dirty MODE"                                                             \
	}

/* --post-run, the destination's time between resume and VERIFY (migrate's --to local child, recv). */
#define OPT_POST_RUN(type, hide)                                                                             \
	{                                                                                                    \
		"post-run", "T", OPT_DURATION, OPT_FIELD(type, post_run_ms),                                 \
			.bad = "--post-run %s: want a time such as 500ms or 2s",                             \
			.help = "destination: guest runs this long after resume before VERIFY (default 1s)", \
			.hidden = (hide)                                                                     \
	}

/*
 * A Linux guest instead of the bare-metal one (every command that boots a guest; the table is run's,
 * which every command hands its other options to). The checks across them are cli_parse_run's.
 */
#define OPT_KERNEL(type, field)                                                                              \
	{                                                                                                    \
		"kernel", "IMAGE", OPT_STRING, OPT_FIELD(type, field),                                       \
			.help = "boot this RISC-V Linux Image (arch/riscv/boot/Image) instead of --guest:\n" \
				"loaded at RAM + its text_offset, a0 = hart id, a1 = device tree"            \
	}
#define OPT_INITRD(type, field)                                                                              \
	{                                                                                                    \
		"initrd", "FILE", OPT_STRING, OPT_FIELD(type, field),                                        \
			.help = "with --kernel: initramfs (cpio, gzip ok) placed high in RAM, 4K aligned,\n" \
				"right below the device tree (linux,initrd-start/end)"                       \
	}
#define OPT_APPEND(type, field)                                                                              \
	{                                                                                                    \
		"append", "ARGS", OPT_STRING, OPT_FIELD(type, field),                                        \
			.help = "with --kernel: the kernel command line (/chosen bootargs), replacing the\n" \
				"default \"" FDT_LINUX_DEFAULT_BOOTARGS "\""                                 \
	}

/* --auth-key FILE (migrate, recv) into a struct auth_key: the path now, the key by opt_check_auth_key. */
int opt_set_auth_key(void *field, const char *val);
#define OPT_AUTH_KEY(type, field)                                                                     \
	{                                                                                             \
		"auth-key", "FILE", OPT_FUNC, OPT_FIELD(type, field),                                 \
			.set = opt_set_auth_key, .bad = "--auth-key %s: want the path of a key file", \
			.help = "pre-shared key (>= 32 bytes, mode 0600) both ends prove they hold\n" \
				"before the stream; needed for any address beyond 127.0.0.0/8"        \
	}
/*
 * After parsing: loads the key named by --auth-key, and refuses a tcp address reachable from other
 * hosts (xport_is_loopback) without one, or a key where no socket is made (--to local). CLI_OK or
 * CLI_USAGE with one line in err.
 */
enum cli_result opt_check_auth_key(const struct xport_addr *a, struct auth_key *k, const char *addr_opt, char *err,
				   size_t errlen);

/*
 * The precopy plan's options: `rvmig migrate`'s, and `rvmig recv --then-migrate-to`'s for the hop
 * onward (one plan, two commands). type is a struct with the fields of struct migrate_opts.
 */
#define OPT_DOWNTIME_LIMIT(type, field)                                                                    \
	{                                                                                                  \
		"downtime-limit", "T", OPT_DURATION, OPT_FIELD(type, field),                               \
			.bad = "--downtime-limit %s: want a time such as 300ms",                           \
			.help = "switch to stop-and-copy when the rest fits T at the measured bandwidth\n" \
				"(default 300ms)"                                                          \
	}
#define OPT_STR_(x) #x
#define OPT_STR(x)  OPT_STR_(x)
/* MIG_MAX_ROUNDS is migrate_opts.h's: the tables that use these include it. */
#define OPT_MAX_ROUNDS(type, field)                                                                                  \
	{                                                                                                            \
		"max-rounds", "N", OPT_UINT, OPT_FIELD(type, field),                                                 \
			.min = 1, .max = MIG_MAX_ROUNDS, .bad = "--max-rounds %s: want 1.." OPT_STR(MIG_MAX_ROUNDS), \
			.help = "force the switch after N precopy rounds (default 30)"                               \
	}
#define OPT_STALL_ROUNDS(type, field)                                                                                  \
	{                                                                                                              \
		"stall-rounds", "N", OPT_UINT, OPT_FIELD(type, field),                                                 \
			.min = 1, .max = MIG_MAX_ROUNDS, .bad = "--stall-rounds %s: want 1.." OPT_STR(MIG_MAX_ROUNDS), \
			.help = "force it when N rounds in a row did not shrink the rest (default 3)"                  \
	}
#define OPT_MAX_BANDWIDTH(type, field)                                                                              \
	{                                                                                                           \
		"max-bandwidth", "SIZE", OPT_FUNC, OPT_FIELD(type, field),                                          \
			.set = opt_set_max_bandwidth, .bad = "--max-bandwidth %s: want bytes per second, e.g. 64M", \
			.help = "precopy link cap in bytes/s, e.g. 64M (default unlimited); stop-and-copy\n"        \
				"is not held to it (the guest is paused; as QEMU does)"                             \
	}
#define OPT_VERIFY(type, field)                                                                       \
	{                                                                                             \
		"verify", "MODE", OPT_ENUM, OPT_FIELD(type, field),                                   \
			.name_to_enum = opt_verify_parse, .bad = "--verify %s: want hash or none",    \
			.help = "hash: both sides hash RAM per 2M block (at the same time) and the\n" \
				"destination resumes only on a match (default); none: no check"       \
	}
/* --pipeline (migrate: the sending half, and --to local's destination; recv: both its halves). */
#define OPT_PIPELINE(type, field)                                                                            \
	{                                                                                                    \
		"pipeline", "WHEN", OPT_ENUM, OPT_FIELD(type, field),                                        \
			.name_to_enum = stream_pipeline_parse, .bad = "--pipeline %s: want auto, on or off", \
			.help = "a thread that sends each batch while the next is encoded (source) and\n"    \
				"one that checks each batch while the next lands (destination): on, off\n"   \
				"or auto (default: on with 4 or more CPUs online; on 2 it slowed\n"          \
				"stop-and-copy down)"                                                        \
	}
/* --to (migrate), --then-migrate-to (recv): unix:PATH or tcp:HOST:PORT, or local. */
int opt_set_migrate_to(void *field, const char *val);
/* A destination that is not listening yet (refused, no socket file) is retried this long: a chain's next
 * recv may still be starting. A deadline (parse_duration: 1ms..24h), never forever. */
#define OPT_CONNECT_TIMEOUT(type, field)                                                                   \
	{                                                                                                  \
		"connect-timeout", "T", OPT_DURATION, OPT_FIELD(type, field),                              \
			.bad = "--connect-timeout %s: want a time such as 10s or 1m",                      \
			.help = "keep trying to reach a destination not listening yet for T (default 10s)" \
	}
/*
 * The whole precopy plan, as one list of table entries: migrate's table and recv's onward table
 * both hold it, over a struct migrate_opts (MIG_DEFAULT_RING_ENTRIES: migrate_opts.h).
 */
#define OPT_PRECOPY_PLAN                                                                                               \
	OPT_DIRTY(struct migrate_opts, dirty), OPT_CLEAR_CHUNK(struct migrate_opts, clear_chunk, "1G"),                \
		OPT_DOWNTIME_LIMIT(struct migrate_opts, downtime_ms), OPT_MAX_ROUNDS(struct migrate_opts, max_rounds), \
		OPT_STALL_ROUNDS(struct migrate_opts, stall_rounds),                                                   \
		OPT_MAX_BANDWIDTH(struct migrate_opts, max_bandwidth), OPT_VERIFY(struct migrate_opts, verify),        \
		OPT_RING_SIZE(struct migrate_opts, ring_entries, MIG_DEFAULT_RING_ENTRIES),                            \
		OPT_CONNECT_TIMEOUT(struct migrate_opts, connect_ms)
/* --max-bandwidth: bytes/s of at least a page (below that is a typo, not a link). */
int opt_set_max_bandwidth(void *field, const char *val);
/* --verify: hash or none (enum mig_verify), -1 otherwise. */
int opt_verify_parse(const char *val);

#endif
