/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/hash.h"
#include "mig/ramhash.h"
#include "mig/stream.h"

int main(void)
{
	/* 9 blocks and a short tail: uneven parts for any thread count. */
	uint64_t block = 4096, size = 9 * block + 100, n = 10;
	uint8_t *ram = malloc(size);
	uint64_t a[10], b[10];

	for (uint64_t i = 0; i < size; i++)
		ram[i] = (uint8_t)(i * 131 + (i >> 12));
	hash_ram(ram, size, block, a);
	memset(b, 0, sizeof(b));
	ramhash_parallel(ram, size, block, b);
	CHECK(!memcmp(a, b, sizeof(a)), "parallel RAM hash equals stream_hash_ram, tail block included");
	ramhash_parallel(ram, block, block, b);
	CHECK(b[0] == a[0], "a single block works");
	(void)n;
	free(ram);
	CHECK_DONE();
}
