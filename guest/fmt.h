/* SPDX-License-Identifier: MIT */
/*
 * printf-lite: %d %i %u %x %X %s %c %p %% with an optional '0' flag, a width, and the length
 * modifiers l, ll, z. Enough for the guest's messages; no floating point.
 */
#ifndef GUEST_FMT_H
#define GUEST_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: always NUL-terminates (when size > 0), returns the length it wrote. */
size_t fmt_vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* GUEST_FMT_H */
