/* SPDX-License-Identifier: MIT */
/*
 * What rvmig bench measures besides the guest: KVM's own counters (binary stats of the VM and the
 * vCPUs) around the measured part, and the host's memcpy, crc32, XXH64 and XXH3-64 bandwidth over guest
 * RAM and the stop-and-copy stream's speed, for scale.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#include "cmd/bench.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "mig/stream_probe.h"
#include "session.h"

void bench_kstats_open(struct bench *b)
{
	struct bench_kstat_set *k = &b->ks;
	struct machine *m = &b->r->m;

	k->have_vm = kstats_open(&k->vm, m->vm.vm_fd, "VM") == 0;
	k->have_vcpu = true;
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (kstats_open(&k->vcpu[i], m->vcpus[i].fd, "vCPU"))
			k->have_vcpu = false;
	for (unsigned p = 0; p < BENCH_KSTAT_POINTS; p++) {
		k->vm_vals[p] = calloc(k->vm.n + 1, sizeof(uint64_t));
		k->vcpu_vals[p] = calloc(k->vcpu[0].n + 1, sizeof(uint64_t));
		if (!k->vm_vals[p] || !k->vcpu_vals[p])
			die_errno(ENOMEM, "allocating KVM stats snapshots");
	}
}

void bench_kstats_take(struct bench *b, unsigned p)
{
	struct bench_kstat_set *k = &b->ks;
	uint64_t *tmp;

	if (k->have_vm && kstats_read(&k->vm, k->vm_vals[p]))
		k->have_vm = false;
	if (!k->have_vcpu)
		return;
	tmp = calloc(k->vcpu[0].n + 1, sizeof(uint64_t));
	if (!tmp)
		die_errno(ENOMEM, "allocating KVM stats snapshot");
	memset(k->vcpu_vals[p], 0, k->vcpu[0].n * sizeof(uint64_t));
	for (unsigned i = 0; i < b->r->m.nr_vcpus && k->have_vcpu; i++) {
		if (k->vcpu[i].n != k->vcpu[0].n || kstats_read(&k->vcpu[i], tmp)) {
			k->have_vcpu = false;
			break;
		}
		for (size_t s = 0; s < k->vcpu[0].n; s++)
			k->vcpu_vals[p][s] += tmp[s];
	}
	free(tmp);
	k->taken[p] = true;
}

void bench_kstats_close(struct bench *b)
{
	if (b->ks.vm.desc)
		kstats_close(&b->ks.vm);
	for (unsigned i = 0; i < RVMIG_MAX_VCPUS; i++)
		if (b->ks.vcpu[i].desc)
			kstats_close(&b->ks.vcpu[i]);
	for (unsigned p = 0; p < BENCH_KSTAT_POINTS; p++) {
		free(b->ks.vm_vals[p]);
		free(b->ks.vcpu_vals[p]);
	}
}

/* memcpy of all guest RAM into a 64 MiB buffer, chunk by chunk: the copy a migration does, for scale. */
void bench_copy(struct bench *b)
{
	const struct mem *mem = &b->r->m.mem;
	size_t buf_len = mem->size < BENCH_COPY_BUF ? mem->size : BENCH_COPY_BUF;
	uint8_t *buf = malloc(buf_len);

	if (!buf) {
		warn_errno(ENOMEM, "allocating the %zu-byte copy buffer: no memcpy figure", buf_len);
		return;
	}
	memset(buf, 1, buf_len);
	for (unsigned rep = 0; rep < BENCH_COPY_REPS; rep++) {
		uint64_t t0 = machine_now_ns();

		for (uint64_t off = 0; off < mem->size; off += buf_len)
			memcpy(buf, (const uint8_t *)mem->hva + off,
			       mem->size - off < buf_len ? (size_t)(mem->size - off) : buf_len);
		__asm__ volatile("" : : "r"(buf) : "memory");
		b->copy_ms[rep] = bench_ms(machine_now_ns() - t0);
		b->ncopy = rep + 1;
	}
	free(buf);
}

/* zlib's crc32 (version 1's record checksum) over any length: zlib takes uInt lengths. */
static uint32_t crc32_any(const uint8_t *p, size_t n)
{
	uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);

	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}

/* The bandwidth of one hash over buf, its result kept so the compiler cannot drop the loop. */
#define HASH_PROBE(out, expr)                                                   \
	do {                                                                    \
		uint64_t t0_ = machine_now_ns(), v_ = (expr);                   \
		__asm__ volatile("" : : "r"(v_));                               \
		(out) = gib_per_s(len, (double)(machine_now_ns() - t0_) / 1e9); \
	} while (0)

/* len bytes for the stream probe: hugetlb 2M pages when the host has them free (guest RAM's kind), else
 * anonymous 4K pages (*huge says which). NULL when neither could be had. */
static uint8_t *probe_buf(size_t len, bool *huge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	*huge = p != MAP_FAILED;
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* GiB/s of a stream probe's len bytes in ns; 0 for a probe that did not run or failed (0 ns). */
static double probe_gib_s(size_t len, uint64_t ns)
{
	return ns ? gib_per_s(len, (double)ns / 1e9) : 0;
}

/*
 * The stop-and-copy stream over as many bytes, right after the hashes: zero-copy writer, a reader
 * thread that checks every record and lands it in dst (both harts busy, as in a real stop-and-copy),
 * over a socketpair; and, in the same call over the same two buffers, memcpy src -> dst, XXH64 alone,
 * the bare socketpair and the bare shm ring, so the stream can be put as a share of each (under TCG a
 * memcpy figure depends on its buffers: see stream_probe.h). Source and destination are hugetlb 2M pages
 * like guest RAM when the host has them, so that the buffers' kind is not what differs from a migration.
 * Every page is made data (no zero page) so the figure is the stream's, not the zero scan's.
 */
static void bench_stream_probe(struct bench *b, const uint8_t *from, size_t len)
{
	struct stream_probe_ns t;
	bool huge_src, huge_dst;
	uint8_t *src, *dst;
	char err[320];

	len -= len % (2u << 20); /* whole 2M pages */
	if (!len)
		return;
	src = probe_buf(len, &huge_src);
	dst = probe_buf(len, &huge_dst);
	if (!src || !dst) {
		warn_errno(ENOMEM, "mapping 2 x %zu bytes for the stream probe: no stream figure", len);
	} else {
		memcpy(src, from, len);
		memset(dst, 0, len); /* faulted in before the clock starts, as a destination VM's RAM is */
		for (size_t off = 0; off < len; off += 4096)
			src[off] |= 1; /* a byte in each page: every page goes as data */
		b->stream_hugetlb = huge_src && huge_dst;
		/* Each figure on its own: a probe that failed has 0 ns, and its figure stays 0 ("failed"). */
		if (stream_probe(src, dst, len, &t, err, sizeof(err)))
			warn_msg("%s: that stream figure is missing", err);
		b->stream_gib_s = probe_gib_s(len, t.stream_ns);
		b->probe_memcpy_gib_s = probe_gib_s(len, t.memcpy_ns);
		b->probe_xxh64_gib_s = probe_gib_s(len, t.xxh64_ns);
		b->probe_socket_gib_s = probe_gib_s(len, t.socket_ns);
		b->probe_ring_gib_s = probe_gib_s(len, t.ring_ns);
		b->stream_pipe_gib_s = probe_gib_s(len, t.stream_pipe_ns);
		b->probe_shm_stream_gib_s = probe_gib_s(len, t.shm_stream_ns);
	}
	if (src)
		munmap(src, len);
	if (dst)
		munmap(dst, len);
}

/*
 * A CPU-speed probe right before the measured part: memcpy of up to 64 MiB of guest RAM. Under TCG
 * its bandwidth drops when other emulators share the host's cores, which is also when single guest
 * writes stall for host time slices; the report uses it to flag contended runs. The candidate
 * checksums over the same bytes follow, back to back in this boot: zlib crc32 (stream version 1),
 * XXH64 (version 2's record checksum and RAM block hash) and XXH3-64, so the report can say what the
 * checksum alone lets a stream reach and whether XXH64 is still the faster of the two xxHashes.
 */
void bench_calibrate(struct bench *b)
{
	const struct mem *mem = &b->r->m.mem;
	size_t len = mem->size < BENCH_COPY_BUF ? mem->size : BENCH_COPY_BUF;
	uint8_t *buf = malloc(len);
	uint64_t t0;

	if (!buf)
		return;
	memset(buf, 1, len);
	t0 = machine_now_ns();
	memcpy(buf, mem->hva, len);
	__asm__ volatile("" : : "r"(buf) : "memory");
	b->calib_gib_s = gib_per_s(len, (double)(machine_now_ns() - t0) / 1e9);
	HASH_PROBE(b->crc_gib_s, crc32_any(buf, len));
	HASH_PROBE(b->xxh64_gib_s, XXH64(buf, len, 0));
	HASH_PROBE(b->xxh3_gib_s, XXH3_64bits(buf, len));
	bench_stream_probe(b, buf, len);
	free(buf);
}
