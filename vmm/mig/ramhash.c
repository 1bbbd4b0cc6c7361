/* SPDX-License-Identifier: MIT */
#include "mig/ramhash.h"

#include <pthread.h>
#include <unistd.h>

#include "lib/hash.h"

#define RAMHASH_MAX_THREADS 8

struct ramhash_part {
	const uint8_t *ram;
	uint64_t size, block, first, count;
	uint64_t *out;
};

static void *ramhash_worker(void *arg)
{
	struct ramhash_part *p = arg;
	uint64_t start = p->first * p->block, len = p->count * p->block;

	if (start + len > p->size)
		len = p->size - start;
	hash_ram(p->ram + start, len, p->block, p->out + p->first);
	return NULL;
}

void ramhash_parallel(const void *ram, uint64_t size, uint64_t block, uint64_t *out)
{
	struct ramhash_part parts[RAMHASH_MAX_THREADS];
	pthread_t tids[RAMHASH_MAX_THREADS];
	uint64_t nblocks = (size + block - 1) / block, per;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cpus < 1 ? 1 : cpus > RAMHASH_MAX_THREADS ? RAMHASH_MAX_THREADS : (unsigned)cpus, started = 0;

	if (n > nblocks)
		n = (unsigned)nblocks;
	if (n <= 1) {
		hash_ram(ram, size, block, out);
		return;
	}
	per = (nblocks + n - 1) / n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t first = i * per;

		parts[i] = (struct ramhash_part){ .ram = ram,
						  .size = size,
						  .block = block,
						  .first = first,
						  .count = first >= nblocks
								   ? 0
								   : (nblocks - first < per ? nblocks - first : per),
						  .out = out };
	}
	/* Part 0 runs on this thread; a part whose thread cannot start runs here too. */
	for (unsigned i = 1; i < n; i++) {
		if (!parts[i].count)
			continue;
		int e = pthread_create(&tids[i], NULL, ramhash_worker, &parts[i]);

		if (e) {
			ramhash_worker(&parts[i]); /* no thread (EAGAIN): same result, slower */
			continue;
		}
		started |= 1u << i;
	}
	ramhash_worker(&parts[0]);
	for (unsigned i = 1; i < n; i++)
		if (started & (1u << i))
			pthread_join(tids[i], NULL);
}
