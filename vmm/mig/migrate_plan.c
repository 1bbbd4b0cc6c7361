/* SPDX-License-Identifier: MIT */
#include "mig/migrate_plan.h"

#include <stdlib.h>
#include <string.h>

#include "rvmig_abi.h"
#include "lib/util.h"

/* ---- transport addresses -------------------------------------------------------------------- */

static int xport_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_uint(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int xport_parse(const char *s, bool listen, struct xport_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!strcmp(s, "local")) {
		a->kind = XPORT_LOCAL;
		return listen ? -1 : 0; /* a local destination is forked, never listened for */
	}
	if (!strncmp(s, "unix:", 5)) {
		a->kind = XPORT_UNIX;
		if (!s[5] || strlen(s + 5) >= sizeof(a->path))
			return -1;
		strcpy(a->path, s + 5);
		return 0;
	}
	if (!strncmp(s, "tcp:", 4)) {
		const char *rest = s + 4, *colon = strrchr(rest, ':');

		a->kind = XPORT_TCP;
		if (!colon) {
			/* "tcp:PORT": listen on any address; connect to this host */
			if (!listen)
				strcpy(a->host, "127.0.0.1");
			return xport_parse_port(rest, &a->port);
		}
		if (colon == rest || (size_t)(colon - rest) >= sizeof(a->host))
			return -1;
		memcpy(a->host, rest, (size_t)(colon - rest));
		a->host[colon - rest] = 0;
		return xport_parse_port(colon + 1, &a->port);
	}
	return -1;
}

const char *xport_format(const struct xport_addr *a, char *buf, size_t len)
{
	switch (a->kind) {
	case XPORT_UNIX: snprintf(buf, len, "unix:%s", a->path); break;
	case XPORT_TCP:  snprintf(buf, len, "tcp:%s:%u", a->host[0] ? a->host : "0.0.0.0", a->port); break;
	default:         snprintf(buf, len, "local"); break;
	}
	return buf;
}

/* ---- options -------------------------------------------------------------------------------- */

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

void cli_recv_help(FILE *f)
{
	fprintf(f,
"usage: rvmig recv --listen unix:PATH|tcp:[HOST:]PORT [--vcpus N] [--mem SIZE] [--backing KIND]\n"
"                  [--post-run T] [--accept-timeout T] [--json FILE] [--quiet]\n"
"\n"
"Waits for one incoming migration, creates a VM of the given shape (it must match the sender's:\n"
"RAM size, vCPUs, page size, versions; otherwise the stream is refused before any page is written),\n"
"receives RAM and vCPU state, checks the RAM hashes, resumes the guest, lets it run --post-run, has\n"
"it verify its stamps and shuts it down. Exit status 0 when all of that succeeded.\n"
"\n"
"  --accept-timeout T   give up (exit 1) when no sender connects within T (default 10m; 0: forever)\n");
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
static enum cli_result mig_parse(int argc, char **argv, struct migrate_opts *m, struct recv_opts *r,
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

enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen)
{
	enum cli_result r;
	bool have_listen;

	*o = (struct recv_opts){ .post_run_ms = MIG_DEFAULT_POST_RUN_MS,
				 .accept_timeout_ms = MIG_DEFAULT_ACCEPT_TIMEOUT_MS };
	o->listen.kind = XPORT_LOCAL;
	r = mig_parse(argc, argv, NULL, o, &o->run, err, errlen);
	have_listen = o->listen.kind != XPORT_LOCAL;
	if (r == CLI_OK && !have_listen)
		return cli_fail(err, errlen, "recv needs --listen unix:PATH or --listen tcp:PORT");
	return r;
}

/* ---- token bucket --------------------------------------------------------------------------- */

void tbucket_init(struct tbucket *t, uint64_t rate, uint64_t now_ns)
{
	t->rate = rate;
	/* 50 ms worth (at least 64K): smooth enough to measure, big enough for a batch or two. */
	t->burst = rate / 20 > 65536 ? (double)(rate / 20) : 65536.0;
	t->tokens = t->burst;
	t->last_ns = now_ns;
}

uint64_t tbucket_take(struct tbucket *t, uint64_t n, uint64_t now_ns)
{
	if (!t->rate)
		return 0;
	if (now_ns > t->last_ns) {
		t->tokens += (double)(now_ns - t->last_ns) * (double)t->rate / 1e9;
		if (t->tokens > t->burst)
			t->tokens = t->burst;
		t->last_ns = now_ns;
	}
	t->tokens -= (double)n;
	if (t->tokens >= 0)
		return 0;
	return (uint64_t)(-t->tokens * 1e9 / (double)t->rate + 0.5);
}

/* ---- convergence ---------------------------------------------------------------------------- */

void conv_init(struct conv *c, uint64_t limit_ns, unsigned max_rounds, unsigned stall_rounds)
{
	*c = (struct conv){ .limit_ns = limit_ns, .max_rounds = max_rounds, .stall_rounds = stall_rounds,
			    .best = UINT64_MAX };
}

enum conv_decision conv_decide(struct conv *c, unsigned round, uint64_t remaining, double bw,
			       uint64_t *expected_ns)
{
	*expected_ns = bw > 0 ? (uint64_t)((double)remaining / bw * 1e9) : UINT64_MAX;
	if (bw > 0 && *expected_ns <= c->limit_ns)
		return CONV_CONVERGED;
	/* "Shrinking" means by more than 10 %: noise around a plateau is not progress. */
	if (c->best == UINT64_MAX || (double)remaining < 0.9 * (double)c->best) {
		c->best = remaining;
		c->since_best = 0;
	} else {
		c->since_best++;
	}
	if (round >= c->max_rounds)
		return CONV_FORCED_MAX_ROUNDS;
	if (c->since_best >= c->stall_rounds)
		return CONV_FORCED_STALLED;
	return CONV_CONTINUE;
}

const char *conv_name(enum conv_decision d)
{
	switch (d) {
	case CONV_CONTINUE:          return "continue";
	case CONV_CONVERGED:         return "converged";
	case CONV_FORCED_MAX_ROUNDS: return "forced (max rounds)";
	case CONV_FORCED_STALLED:    return "forced (not shrinking)";
	}
	return "?";
}

/* ---- CLEAR chunks --------------------------------------------------------------------------- */

uint64_t chunk_pages_for(uint64_t chunk_bytes, uint64_t slot_pages)
{
	uint64_t n = chunk_bytes / RVMIG_PAGE_SIZE;

	if (n > slot_pages)
		n = slot_pages;
	n &= ~63ULL;
	return n ? n : 64;
}
