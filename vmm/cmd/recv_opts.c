/* SPDX-License-Identifier: MIT */
/*
 * `rvmig recv` options: --listen and --accept-timeout, the machine shape as `rvmig run`, and the
 * plan of a hop onward (--then-migrate-to and migrate's precopy options, from the common table).
 */
#include "cmd/recv.h"

#include <stdlib.h>
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
	OPT_PIPELINE(struct recv_opts, pipeline),
};

/* Onward means over a socket: --to local's forked destination is migrate's alone. */
static int recv_set_onward_to(void *field, const char *val)
{
	const struct xport_addr *a = field;

	return opt_set_migrate_to(field, val) || a->kind == XPORT_LOCAL ? -1 : 0;
}

#define ONWARD(field) OPT_FIELD(struct migrate_opts, field)

/* Into recv_opts.onward: the received guest, once verified here, moves on as `rvmig migrate` would send it. */
static const struct opt recv_onward_list[] = {
	{ "then-migrate-to", "ADDR", OPT_FUNC, ONWARD(to), .set = recv_set_onward_to,
	  .bad = "--then-migrate-to %s: want unix:PATH or tcp:HOST:PORT",
	  .help = "once the guest verified here, live-migrate it onward to the `rvmig recv`\n"
		  "at ADDR (unix:PATH or tcp:HOST:PORT), as rvmig migrate --to ADDR would" },
	{ "migrate-after", "T", OPT_DURATION, ONWARD(run.duration_ms),
	  .bad = "--migrate-after %s: want a time such as 500ms or 2s",
	  .help = "the guest runs T after its verify here before it moves on (default 500ms)" },
	OPT_PRECOPY_PLAN,
};

const struct opt_table recv_onward_opt_table = {
	.cmd = "recv",
	OPT_TABLE(recv_onward_list),
	.hint = "; see rvmig recv --help",
	.help_col = 21,
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
		"                  [--then-migrate-to ADDR [--migrate-after T] [--dirty MODE] [migration options]]\n"
		"\n"
		"Waits for one incoming migration, creates a VM of the given shape (it must match the sender's:\n"
		"RAM size, vCPUs, page size, versions; otherwise the stream is refused before any page is written),\n"
		"receives RAM and vCPU state, checks the RAM hashes, resumes the guest, lets it run --post-run, has\n"
		"it verify its stamps and shuts it down. Exit status 0 when all of that succeeded. A Linux guest\n"
		"(the sender's header says so) is verified by its workload and powered off the same way.\n"
		"tcp:PORT listens on 127.0.0.1 only; any other address (tcp:0.0.0.0:PORT) needs --auth-key,\n"
		"and the sender must prove it holds the same key before any record is read.\n"
		"With --then-migrate-to the guest does not shut down after its verify: it runs --migrate-after\n"
		"and is live-migrated onward (exit status 0 when both the hop in and the hop out succeeded).\n"
		"\n");
	opt_help(f, &recv_opt_table);
	fprintf(f, "\nThe hop onward (each needs --then-migrate-to; see rvmig migrate --help):\n");
	opt_help(f, &recv_onward_opt_table);
}

/* The first of argv's options that recv_onward_opt_table took: named when --then-migrate-to is missing. */
static const char *recv_first_onward(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t len;

		if (strncmp(argv[i], "--", 2))
			continue;
		len = strcspn(argv[i] + 2, "=");
		for (size_t k = 0; k < recv_onward_opt_table.n; k++)
			if (strlen(recv_onward_list[k].name) == len &&
			    !strncmp(argv[i] + 2, recv_onward_list[k].name, len))
				return recv_onward_list[k].name;
	}
	return "?";
}

/* The hop onward takes our shape, --post-run and --auth-key; its address needs a key as ours does. */
static enum cli_result recv_onward_finish(struct recv_opts *o, char *err, size_t errlen)
{
	struct migrate_opts *w = &o->onward;
	uint64_t after = w->run.duration_ms;

	w->run = o->run;
	w->run.duration_ms = after;
	w->run.json = NULL;
	w->post_run_ms = o->post_run_ms;
	w->auth = o->auth;
	w->pipeline = o->pipeline;
	return opt_check_auth_key(&w->to, &w->auth, "then-migrate-to", err, errlen);
}

enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen)
{
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	enum cli_result r;
	int n = 1;

	if (!rest)
		return cli_fail(err, errlen, "out of memory");
	*o = (struct recv_opts){ .post_run_ms = MIG_DEFAULT_POST_RUN_MS,
				 .accept_timeout_ms = RECV_DEFAULT_ACCEPT_TIMEOUT_MS };
	o->listen.kind = XPORT_LOCAL;
	migrate_opts_defaults(&o->onward);
	o->onward.run.duration_ms = RECV_DEFAULT_MIGRATE_AFTER_MS;
	rest[0] = argv[0];
	r = opt_take(&recv_onward_opt_table, argc, argv, &o->onward, rest, &n, err, errlen);
	if (r == CLI_OK && n < argc && o->onward.to.kind == XPORT_LOCAL)
		r = cli_fail(err, errlen, "--%s is for the hop onward: give --then-migrate-to ADDR too",
			     recv_first_onward(argc, argv));
	if (r == CLI_OK)
		r = cli_parse_with_run(&recv_opt_table, n, rest, o, rest, 1, &o->run, err, errlen);
	free(rest);
	if (r == CLI_OK)
		r = cli_refuse_linux(&o->run,
				     "the destination boots nothing, the guest comes in the stream; leave it out", err,
				     errlen);
	if (r == CLI_OK && o->listen.kind == XPORT_LOCAL)
		return cli_fail(err, errlen, "recv needs --listen unix:PATH or --listen tcp:PORT");
	if (r == CLI_OK)
		r = opt_check_auth_key(&o->listen, &o->auth, "listen", err, errlen);
	if (r == CLI_OK && o->onward.to.kind != XPORT_LOCAL)
		r = recv_onward_finish(o, err, errlen);
	return r;
}
