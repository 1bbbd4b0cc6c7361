/* SPDX-License-Identifier: MIT */
/* `rvmig migrate` options: the table of the migration's own, its help, the checks after. */
#include "cmd/migrate_opts.h"

#include <string.h>

#include "cmd/recv.h"
#include "lib/util.h"

#define MIG_OPT(field) OPT_FIELD(struct migrate_opts, field)

static int opt_link_parse(const char *val)
{
	return !strcmp(val, "shm") ? MIG_LINK_SHM : !strcmp(val, "socket") ? MIG_LINK_SOCKET : -1;
}

static const struct opt migrate_opts_list[] = {
	{ "to", "ADDR", OPT_FUNC, MIG_OPT(to), .set = opt_set_migrate_to,
	  .bad = "--to %s: want local, unix:PATH or tcp:HOST:PORT",
	  .help = "local (default: a forked destination with its own VM and memory),\n"
		  "unix:PATH or tcp:HOST:PORT (an `rvmig recv` listening there)" },
	{ "link", "KIND", OPT_ENUM, MIG_OPT(link), .name_to_enum = opt_link_parse,
	  .bad = "--link %s: want shm or socket",
	  .help = "--to local only: what carries the stream to the forked destination: socket\n"
		  "(default; a unix socketpair) or shm (a shared-memory ring: one memcpy in, one\n"
		  "out, no kernel copy). The replies, and recv's onward hops, use sockets" },
	OPT_PRECOPY_PLAN,
	OPT_PIPELINE(struct migrate_opts, pipeline),
	OPT_POST_RUN(struct migrate_opts, false),
	OPT_AUTH_KEY(struct migrate_opts, auth),
	OPT_NO_DIRTY_LOG,
	{ "duration", "T", OPT_NOTE,
	  .help = "source: guest runs this long before migration starts (default 2s); it\n"
		  "includes the wait for every vCPU's first pass over its slice" },
};

const struct opt_table migrate_opt_table = {
	.cmd = "migrate",
	OPT_TABLE(migrate_opts_list),
	.hint = "; see rvmig migrate --help",
	.help_col = 21,
	/* recv's options, refused by name so that a misplaced --listen says where it belongs */
	.siblings = &recv_opt_table,
};

void cli_migrate_help(FILE *f)
{
	fprintf(f,
		"usage: rvmig migrate [run options] [--dirty MODE] [--to ADDR] [migration options]\n"
		"\n"
		"Boots the rvmig guest as `rvmig run` does, lets it dirty memory, then live-migrates it (precopy) to a\n"
		"destination VM: round 0 sends all RAM while the guest runs, each later round the pages it dirtied;\n"
		"then the vCPUs are paused, the rest and the vCPU state (ONE_REG) are sent, both sides compare a hash\n"
		"per 2M block, the destination resumes the guest, runs it a while, and the guest verifies its stamps.\n"
		"With --kernel IMAGE --initrd FILE a Linux guest moves instead: its initrd's workload (lab/linux-guest.sh)\n"
		"verifies its stamps on the destination when rvmig types \"verify\" into its console, and powers off.\n"
		"\n"
		"Migration options:\n");
	opt_help(f, &migrate_opt_table);
	fprintf(f, "\n"
		   "Run options: see rvmig run --help (--vcpus, --mem, --backing, --pattern, --rate, --json, ...).\n"
		   "Exit status: 0 migrated, verified bit-exact and by the guest; 1 failure (the source guest is\n"
		   "resumed and verified when the failure came before the destination took over); 2 usage.\n");
}

void migrate_opts_defaults(struct migrate_opts *o)
{
	*o = (struct migrate_opts){
		.dirty = DIRTY_MANUAL,
		.to = { .kind = XPORT_LOCAL },
		.clear_chunk = MIG_DEFAULT_CLEAR_CHUNK,
		.downtime_ms = MIG_DEFAULT_DOWNTIME_MS,
		.max_rounds = MIG_DEFAULT_MAX_ROUNDS,
		.stall_rounds = MIG_DEFAULT_STALL_ROUNDS,
		.ring_entries = MIG_DEFAULT_RING_ENTRIES,
		.post_run_ms = MIG_DEFAULT_POST_RUN_MS,
		.connect_ms = MIG_CONNECT_MS,
		.verify = MIG_VERIFY_HASH,
	};
}

enum cli_result cli_parse_migrate(int argc, char **argv, struct migrate_opts *o, char *err, size_t errlen)
{
	enum cli_result r;

	migrate_opts_defaults(o);
	r = cli_parse_with_run(&migrate_opt_table, argc, argv, o, argv, 1, &o->run, err, errlen);
	if (r == CLI_OK)
		r = opt_check_auth_key(&o->to, &o->auth, "to", err, errlen);
	if (r == CLI_OK && o->link != MIG_LINK_UNSET && o->to.kind != XPORT_LOCAL)
		r = cli_fail(err, errlen,
			     "--link is for --to local (a forked destination on this host): a unix: or tcp: "
			     "destination is reached through a socket; drop --link");
	if (o->link == MIG_LINK_UNSET)
		o->link = o->to.kind == XPORT_LOCAL ? MIG_DEFAULT_LINK : MIG_LINK_SOCKET;
	return r;
}
