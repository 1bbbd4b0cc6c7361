/* SPDX-License-Identifier: MIT */
/*
 * One error path for rvmig. Setup code calls die()/die_errno(): the message names what was attempted
 * with which arguments and the process exits 1. Code the migration loop will call returns -errno
 * instead, so that a round can abort and the source guest can resume.
 */
#ifndef RVMIG_ERR_H
#define RVMIG_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define RVMIG_EXIT_OK    0
#define RVMIG_EXIT_FAIL  1 /* run-time failure: KVM, memory, guest                        */
#define RVMIG_EXIT_USAGE 2 /* bad command line                                             */

/* "rvmig: <message>" on stderr, then exit(status). */
_Noreturn void die_status(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "rvmig: <message>: <strerror(err)>" on stderr (err > 0 or -errno), then exit 1. */
_Noreturn void die_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define die(...) die_status(RVMIG_EXIT_FAIL, __VA_ARGS__)

/* The same lines without exiting, for warnings and for errors a caller recovers from. */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Keeps the first failure of a multi-step operation in buf (what fails after it is a consequence)
 * and returns rc when it is a -errno, else -EIO, so callers can `return err_first(...)`.
 */
int err_first(char *buf, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
