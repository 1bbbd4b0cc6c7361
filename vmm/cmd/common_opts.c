/* SPDX-License-Identifier: MIT */
/* The setters of the options several commands share (common_opts.h). */
#include "cmd/common_opts.h"

#include <stdio.h>
#include <string.h>

#include "cmd/migrate_opts.h"
#include "lib/units.h"

int opt_set_clear_chunk(void *field, const char *val)
{
	uint64_t v;

	if (!strcmp(val, "slot")) {
		v = 0;
	} else if (parse_size(val, &v) || !v || v % OPT_CLEAR_CHUNK_GRANULE) {
		return -1;
	}
	memcpy(field, &v, sizeof(v));
	return 0;
}

int opt_set_auth_key(void *field, const char *val)
{
	struct auth_key *k = field;

	if (!val[0] || strlen(val) >= sizeof(k->path))
		return -1;
	memset(k, 0, sizeof(*k));
	strcpy(k->path, val);
	return 0;
}

enum cli_result opt_check_auth_key(const struct xport_addr *a, struct auth_key *k, const char *addr_opt, char *err,
				   size_t errlen)
{
	char path[sizeof(k->path)], where[160], why[512];

	if (!k->path[0]) {
		if (xport_is_loopback(a))
			return CLI_OK;
		return cli_fail(err, errlen,
				"--%s %s is reachable from other hosts: give both ends --auth-key FILE (a shared key "
				"of >= 32 bytes, mode 0600), or use a 127.0.0.1 or unix: address",
				addr_opt, xport_format(a, where, sizeof(where)));
	}
	if (a->kind == XPORT_LOCAL)
		return cli_fail(err, errlen,
				"--auth-key is for unix: and tcp: destinations: --to local makes no connection to "
				"authenticate");
	memcpy(path, k->path, sizeof(path));
	if (auth_key_load(path, k, why, sizeof(why)))
		return cli_fail(err, errlen, "%s", why);
	return CLI_OK;
}

int opt_set_max_bandwidth(void *field, const char *val)
{
	uint64_t v;

	if (parse_size(val, &v) || v < 4096)
		return -1;
	memcpy(field, &v, sizeof(v));
	return 0;
}

int opt_verify_parse(const char *val)
{
	return !strcmp(val, "hash") ? MIG_VERIFY_HASH : !strcmp(val, "none") ? MIG_VERIFY_NONE : -1;
}

int opt_set_migrate_to(void *field, const char *val)
{
	return xport_parse(val, false, field);
}
