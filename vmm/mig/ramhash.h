/* SPDX-License-Identifier: MIT */
/*
 * hash_ram (lib/hash.h) over several threads. The RAM hash check runs while the guest is paused (source)
 * or not yet resumed (destination), so it is pure downtime and the host CPUs are otherwise idle.
 */
#ifndef RVMIG_RAMHASH_H
#define RVMIG_RAMHASH_H

#include <stdint.h>

/* Hashes of consecutive block-sized blocks of ram, exactly as hash_ram (serially when no thread starts). */
void ramhash_parallel(const void *ram, uint64_t size, uint64_t block, uint64_t *out);

#endif
