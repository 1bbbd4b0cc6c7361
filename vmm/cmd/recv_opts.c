/* SPDX-License-Identifier: MIT */
/* `rvmig recv` options: --listen and --accept-timeout, and the machine shape as `rvmig run`. */
#include "cmd/recv.h"

#include <string.h>

#include "cmd/migrate_opts.h"

static int recv_set_listen(void *field, const char *val)
{
	return xport_parse(val, true, field);
}

/* 0 is not a duration for parse_duration, but here it means "no limit". */
static int recv_set_accept_timeout(void *field, const char *val)
{
	uint64_t ms = 0;

	if (strcmp(val, "0") && parse_duration(val, &ms))
		return -1;
	memcpy(field, &ms, sizeof(ms));
	return 0;
}

/* The usage line names --listen and --post-run; the list explains the one that needs it. */
static const struct opt recv_opts_list[] = {
	OPT_POST_RUN(struct recv_opts, true),
	{ "listen", "ADDR", OPT_FUNC, OPT_FIELD(struct recv_opts, listen), .set = recv_set_listen, .hidden = true,
	  .bad = "--listen %s: want unix:PATH, tcp:PORT or tcp:HOST:PORT" },
	{ "accept-timeout", "T", OPT_FUNC, OPT_FIELD(struct recv_opts, accept_timeout_ms),
	  .set = recv_set_accept_timeout,
	  .bad = "--accept-timeout %s: want a time up to 24h such as 30s or 10m (0: wait forever)",
	  .help = "give up (exit 1) when no sender connects within T (default 10m; 0: forever)" },
	OPT_AUTH_KEY(struct recv_opts, auth),
};

const struct opt_table recv_opt_table = {
	.cmd = "recv",
	OPT_TABLE(recv_opts_list),
	.hint = "; see rvmig recv --help",
	.help_col = 21,
	/* migrate's options, refused by name: recv takes its shape, not a migration plan */
	.siblings = &migrate_opt_table,
};

void cli_recv_help(FILE *f)
{
	fprintf(f,
		"usage: rvmig recv --listen unix:PATH|tcp:[HOST:]PORT [--vcpus N] [--mem SIZE] [--backing KIND]\n"
		"                  [--post-run T] [--accept-timeout T] [--auth-key FILE] [--json FILE] [--quiet]\n"
		"\n"
		"Waits for one incoming migration, creates a VM of the given shape (it must match the sender's:\n"
		"RAM size, vCPUs, page size, versions; otherwise the stream is refused before any page is written),\n"
		"receives RAM and vCPU state, checks the RAM hashes, resumes the guest, lets it run --post-run, has\n"
		"it verify its stamps and shuts it down. Exit status 0 when all of that succeeded.\n"
		"tcp:PORT listens on 127.0.0.1 only; any other address (tcp:0.0.0.0:PORT) needs --auth-key,\n"
		"and the sender must prove it holds the same key before any record is read.\n"
		"\n");
	opt_help(f, &recv_opt_table);
}

enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen)
{
	enum cli_result r;

	*o = (struct recv_opts){ .post_run_ms = MIG_DEFAULT_POST_RUN_MS,
				 .accept_timeout_ms = RECV_DEFAULT_ACCEPT_TIMEOUT_MS };
	o->listen.kind = XPORT_LOCAL;
	r = cli_parse_with_run(&recv_opt_table, argc, argv, o, argv, 1, &o->run, err, errlen);
	if (r == CLI_OK)
		r = cli_refuse_linux(&o->run,
				     "the destination boots nothing, the guest comes in the stream; leave it out", err,
				     errlen);
	if (r == CLI_OK && o->listen.kind == XPORT_LOCAL)
		return cli_fail(err, errlen, "recv needs --listen unix:PATH or --listen tcp:PORT");
	if (r == CLI_OK)
		r = opt_check_auth_key(&o->listen, &o->auth, "listen", err, errlen);
	return r;
}
