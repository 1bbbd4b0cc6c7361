/* SPDX-License-Identifier: MIT */
/* `rvmig run`: boot the guest, let it dirty memory (optionally under dirty logging), verify, report. */
#ifndef RVMIG_CMD_RUN_H
#define RVMIG_CMD_RUN_H

#include "session.h"

/* `rvmig run ARGS`; argv[0] = "run". Returns the exit status. */
int run_main(int argc, char **argv);

/* run_report.c: the human summary on stdout and the JSON file. */
void report_print(const struct session *r);
int report_json(const struct session *r, const char *path);

#endif
