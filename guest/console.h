/* SPDX-License-Identifier: MIT */
/*
 * Console output over SBI: the debug console extension (DBCN) when the SBI implementation has it,
 * the legacy putchar otherwise. Each call prints whole under a lock, so lines of different harts
 * do not interleave.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdbool.h>

#define CONSOLE_LINE_MAX 256

/* Probes the SBI base extension for DBCN; until then the legacy putchar is used. */
void console_init(void);
bool console_has_dbcn(void);
void console_write(const char *s);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For the trap path: does not wait forever for the lock (the faulting hart may hold it). */
void console_write_unlocked_fallback(const char *s);

#endif /* GUEST_CONSOLE_H */
