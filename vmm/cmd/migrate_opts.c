/* SPDX-License-Identifier: MIT */
#include "cmd/migrate_opts.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/recv.h"
#include "lib/util.h"

void cli_migrate_help(FILE *f)
{
	fprintf(f,
"usage: rvmig migrate [run options] [--dirty MODE] [--to ADDR] [migration options]\n"
"\n"
"Boots the rvmig guest as `rvmig run` does, lets it dirty memory, then live-migrates it (precopy) to a\n"
"destination VM: round 0 sends all RAM while the guest runs, each later round the pages it dirtied;\n"
"then the vCPUs are paused, the rest and the vCPU state (ONE_REG) are sent, both sides compare a hash\n"
"per 2M block, the destination resumes the guest, runs it a while, and the guest verifies its stamps.\n"
"\n"
"Migration options:\n"
"  --dirty MODE         get | manual | manual-init-set | ring (default manual)\n"
"  --to ADDR            local (default: a forked destination with its own VM and memory),\n"
"                       unix:PATH or tcp:HOST:PORT (an `rvmig recv` listening there)\n"
"  --clear-chunk SIZE   KVM_CLEAR_DIRTY_LOG granule, 2M..slot, power of two (default 1G)\n"
"  --downtime-limit T   switch to stop-and-copy when the rest fits T at the measured bandwidth\n"
"                       (default 300ms)\n"
"  --max-rounds N       force the switch after N precopy rounds (default 30)\n"
"  --stall-rounds N     force it when N rounds in a row did not shrink the rest (default 3)\n"
"  --max-bandwidth SIZE link cap in bytes/s, e.g. 64M (default unlimited)\n"
"  --ring-size N        dirty ring entries per vCPU, power of two (default 16384)\n"
"  --post-run T         destination: guest runs this long after resume before VERIFY (default 1s)\n"
"  --duration T         source: guest runs this long before migration starts (default 2s); it\n"
"                       includes the wait for every vCPU's first pass over its slice\n"
"\n"
"Run options: see rvmig run --help (--vcpus, --mem, --backing, --pattern, --rate, --json, ...).\n"
"Exit status: 0 migrated, verified bit-exact and by the guest; 1 failure (the source guest is\n"
"resumed and verified when the failure came before the destination took over); 2 usage.\n");
}

/* One migrate/recv option; 1 = not ours (goes to cli_parse_run), 0 = taken, CLI_USAGE = bad. */
static int mig_set(struct migrate_opts *m, struct recv_opts *r, const char *name, const char *val, char *err,
		   size_t errlen)
{
	uint64_t v;
	int i;

	if (!strcmp(name, "post-run")) {
		if (parse_duration(val, m ? &m->post_run_ms : &r->post_run_ms))
			return cli_fail(err, errlen, "--post-run %s: want a time such as 500ms or 2s", val);
		return 0;
	}
	if (r) {
		if (!strcmp(name, "accept-timeout")) {
			/* 0 is not a duration for parse_duration, but here it means "no limit". */
			if (!strcmp(val, "0"))
				r->accept_timeout_ms = 0;
			else if (parse_duration(val, &r->accept_timeout_ms))
				return cli_fail(err, errlen, "--accept-timeout %s: want a time up to 24h such as 30s or 10m "
						"(0: wait forever)", val);
			return 0;
		}
		if (strcmp(name, "listen"))
			return 1;
		if (xport_parse(val, true, &r->listen))
			return cli_fail(err, errlen, "--listen %s: want unix:PATH, tcp:PORT or tcp:HOST:PORT", val);
		return 0;
	}
	if (!strcmp(name, "dirty")) {
		if ((i = dirty_mode_parse(val)) < 0)
			return cli_fail(err, errlen, "--dirty %s: unknown mode; use get, manual, manual-init-set or ring", val);
		m->dirty = (enum dirty_mode)i;
	} else if (!strcmp(name, "to")) {
		if (xport_parse(val, false, &m->to))
			return cli_fail(err, errlen, "--to %s: want local, unix:PATH or tcp:HOST:PORT", val);
	} else if (!strcmp(name, "clear-chunk")) {
		if (parse_size(val, &v) || v < (2ULL << 20) || !is_pow2(v))
			return cli_fail(err, errlen, "--clear-chunk %s: want a power of two of at least 2M, e.g. 2M, 64M, 1G", val);
		m->clear_chunk = v;
	} else if (!strcmp(name, "downtime-limit")) {
		if (parse_duration(val, &m->downtime_ms))
			return cli_fail(err, errlen, "--downtime-limit %s: want a time such as 300ms", val);
	} else if (!strcmp(name, "max-rounds")) {
		if (parse_uint(val, 1, MIG_MAX_ROUNDS, &v))
			return cli_fail(err, errlen, "--max-rounds %s: want 1..%d", val, MIG_MAX_ROUNDS);
		m->max_rounds = (unsigned)v;
	} else if (!strcmp(name, "stall-rounds")) {
		if (parse_uint(val, 1, MIG_MAX_ROUNDS, &v))
			return cli_fail(err, errlen, "--stall-rounds %s: want 1..%d", val, MIG_MAX_ROUNDS);
		m->stall_rounds = (unsigned)v;
	} else if (!strcmp(name, "max-bandwidth")) {
		if (parse_size(val, &m->max_bandwidth) || m->max_bandwidth < 4096)
			return cli_fail(err, errlen, "--max-bandwidth %s: want bytes per second, e.g. 64M", val);
	} else if (!strcmp(name, "ring-size")) {
		if (parse_uint(val, 64, 65536, &v) || !is_pow2(v))
			return cli_fail(err, errlen, "--ring-size %s: want a power of two from 64 to 65536 entries", val);
		m->ring_entries = (uint32_t)v;
	} else {
		return 1;
	}
	return 0;
}

/* Splits argv into our options and the rest, which cli_parse_run then checks. */
enum cli_result mig_parse(int argc, char **argv, struct migrate_opts *m, struct recv_opts *r,
			  struct run_opts *run, char *err, size_t errlen)
{
	static const char *const ours[] = { "dirty", "to", "clear-chunk", "downtime-limit", "max-rounds",
					    "stall-rounds", "max-bandwidth", "ring-size", "post-run", "listen",
					    "accept-timeout" };
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	enum cli_result res;
	int n = 0;

	if (!rest)
		return cli_fail(err, errlen, "out of memory");
	rest[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		char name[32];
		size_t len;
		bool mine = false;
		int rc;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			free(rest);
			return CLI_HELP;
		}
		if (strncmp(arg, "--", 2)) {
			rest[n++] = argv[i];
			continue;
		}
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (len >= sizeof(name)) {
			rest[n++] = argv[i];
			continue;
		}
		memcpy(name, arg + 2, len);
		name[len] = 0;
		for (size_t k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
			mine |= !strcmp(name, ours[k]);
		if (!mine) {
			rest[n++] = argv[i];
			continue;
		}
		if (!eq && i + 1 >= argc) {
			free(rest);
			return cli_fail(err, errlen, "--%s needs a value", name);
		}
		val = eq ? eq + 1 : argv[++i];
		rc = mig_set(m, r, name, val, err, errlen);
		if (rc == CLI_USAGE) {
			free(rest);
			return CLI_USAGE;
		}
		if (rc == 1) {
			free(rest);
			return cli_fail(err, errlen, "--%s is not an option of %s", name, argv[0]);
		}
	}
	res = cli_parse_run(n, rest, run, err, errlen);
	free(rest);
	return res;
}

enum cli_result cli_parse_migrate(int argc, char **argv, struct migrate_opts *o, char *err, size_t errlen)
{
	enum cli_result r;

	*o = (struct migrate_opts){
		.dirty = DIRTY_MANUAL,
		.to = { .kind = XPORT_LOCAL },
		.clear_chunk = MIG_DEFAULT_CLEAR_CHUNK,
		.downtime_ms = MIG_DEFAULT_DOWNTIME_MS,
		.max_rounds = MIG_DEFAULT_MAX_ROUNDS,
		.stall_rounds = MIG_DEFAULT_STALL_ROUNDS,
		.ring_entries = MIG_DEFAULT_RING_ENTRIES,
		.post_run_ms = MIG_DEFAULT_POST_RUN_MS,
	};
	r = mig_parse(argc, argv, o, NULL, &o->run, err, errlen);
	if (r == CLI_OK && o->run.dirty_log)
		return cli_fail(err, errlen, "--dirty-log is for rvmig run; migrate turns logging on itself (--dirty MODE)");
	return r;
}
