/* SPDX-License-Identifier: MIT */
/* `rvmig recv` options: --listen and --accept-timeout, and the machine shape as `rvmig run`. */
#include "cmd/recv.h"

#include <string.h>

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

enum cli_result cli_parse_recv(int argc, char **argv, struct recv_opts *o, char *err, size_t errlen)
{
	enum cli_result r;
	bool have_listen;

	*o = (struct recv_opts){ .post_run_ms = MIG_DEFAULT_POST_RUN_MS,
				 .accept_timeout_ms = RECV_DEFAULT_ACCEPT_TIMEOUT_MS };
	o->listen.kind = XPORT_LOCAL;
	r = mig_parse(argc, argv, NULL, o, &o->run, err, errlen);
	have_listen = o->listen.kind != XPORT_LOCAL;
	if (r == CLI_OK && !have_listen)
		return cli_fail(err, errlen, "recv needs --listen unix:PATH or --listen tcp:PORT");
	return r;
}
