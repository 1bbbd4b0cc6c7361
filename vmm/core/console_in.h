/* SPDX-License-Identifier: MIT */
/*
 * The guest's keyboard: stdin when it is a terminal, in raw mode for as long as rvmig runs (restored
 * at exit and on the signals that end it). Otherwise (a file, a pipe, /dev/null) the guest gets no
 * input: never a read that blocks a vCPU, and nothing taken from a script's stdin.
 */
#ifndef RVMIG_CONSOLE_IN_H
#define RVMIG_CONSOLE_IN_H

#include <stdbool.h>
#include <stddef.h>

/* Puts a terminal stdin into raw mode (Ctrl-C still ends rvmig). Once, before the vCPUs start. */
void console_in_open(void);
/* Gives the terminal its settings back; async-signal-safe, harmless when nothing was changed. */
void console_in_restore(void);
/* True when the guest has a keyboard (a terminal stdin in raw mode). */
bool console_in_interactive(void);
/*
 * The VMM types s into the guest's console (the Linux workload's commands, include/rvmig_wl.h): read
 * before any keyboard input. 0, or -ENOSPC when what is not read yet leaves no room for it.
 */
int console_in_inject(const char *s);
/* Up to len bytes typed so far (injected first), without waiting: the count (0 when none). */
size_t console_in_read(char *buf, size_t len);

#endif
