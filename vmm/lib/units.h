/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and durations on the command line; sizes in messages. No KVM, host-tested. */
#ifndef RVMIG_UNITS_H
#define RVMIG_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "256M", "1G", "4096", "2MiB" -> bytes (binary units). 0 on success, -1 on bad input. */
int parse_size(const char *s, uint64_t *out);
/* "500ms", "2s", "1.5s", "1m", "3" (seconds) -> milliseconds. 0 on success, -1 on bad input. */
int parse_duration(const char *s, uint64_t *out_ms);
/* Decimal or 0x hex unsigned integer within [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "256M" style rendering of a byte count into buf. */
const char *format_size(uint64_t bytes, char *buf, size_t len);

#endif
