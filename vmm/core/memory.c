/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM backings. The point of the tool is what G-stage page size KVM can use, so after mapping
 * and touching every page we read back what the kernel really gave (smaps, hugetlb pool counters)
 * instead of trusting the mmap flags.
 */
#include "core/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/units.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

#define MEM_2M (2ULL << 20)

static const char *mem_hugetlb_dir(enum mem_backing b)
{
	return b == MEM_HUGETLB_1G ? "/sys/kernel/mm/hugepages/hugepages-1048576kB"
				   : "/sys/kernel/mm/hugepages/hugepages-2048kB";
}

/* A number from a sysfs file, -1 when it cannot be read. */
static long mem_read_long(const char *dir, const char *file)
{
	char path[160];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Huge pages a new mapping can still get: free_hugepages counts pages that other mappings have
 * reserved but not faulted in yet (resv_hugepages), so free alone overstates what is left: a second
 * guest next to one that has not touched its RAM yet would be told "512 free, 512 needed" and fail.
 * -1 when the pool does not exist.
 */
long mem_hugetlb_available(enum mem_backing b)
{
	long free_pages = mem_read_long(mem_hugetlb_dir(b), "free_hugepages");
	long resv = mem_read_long(mem_hugetlb_dir(b), "resv_hugepages");

	if (free_pages < 0)
		return -1;
	return free_pages - (resv > 0 ? resv : 0);
}

static _Noreturn void mem_die_hugetlb(const struct mem *m, long free_pages, long need)
{
	const char *sz = m->backing == MEM_HUGETLB_1G ? "1G" : "2M";
	const char *kb = m->backing == MEM_HUGETLB_1G ? "1048576kB" : "2048kB";

	if (free_pages < 0)
		die("--backing %s: no %s huge page pool (%s missing): boot with hugepagesz=%s hugepages=%ld",
		    mem_backing_name(m->backing), sz, mem_hugetlb_dir(m->backing), sz, need);
	die("--backing %s: %ld free %s huge pages (free_hugepages less resv_hugepages), %ld needed for --mem; reserve them with "
	    "'echo %ld > /sys/kernel/mm/hugepages/hugepages-%s/nr_hugepages' or hugepagesz=%s hugepages=%ld "
	    "on the kernel command line",
	    mem_backing_name(m->backing), free_pages, sz, need, need, kb, sz, need);
}

static void *mem_map_anon_aligned(struct mem *m, uint64_t align)
{
	size_t len = m->size + align;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		die_errno(errno, "mmap %llu bytes anonymous for guest RAM", (unsigned long long)len);
	/* Trim to an aligned range: THP can only back 2M-aligned 2M blocks, and KVM maps G-stage 2M only
	 * when host and guest addresses agree modulo 2M (guest RAM base is 2M aligned). */
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + m->size < p + len)
		munmap(a + m->size, (size_t)(p + len - (a + m->size)));
	m->map = a;
	m->map_len = m->size;
	return a;
}

static void *mem_map_hugetlb(struct mem *m)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		    (m->backing == MEM_HUGETLB_1G ? MAP_HUGE_1GB : MAP_HUGE_2MB);
	long need = (long)(m->size / m->page_size);
	long avail;
	void *p;

	m->hugetlb_free_before = mem_read_long(mem_hugetlb_dir(m->backing), "free_hugepages");
	/* One read: the message names the figure the check compared. */
	avail = mem_hugetlb_available(m->backing);
	if (avail < need)
		mem_die_hugetlb(m, avail, need);
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		if (errno == ENOMEM)
			mem_die_hugetlb(m, mem_hugetlb_available(m->backing), need);
		die_errno(errno, "mmap %llu bytes MAP_HUGETLB|MAP_HUGE_%s for guest RAM", (unsigned long long)m->size,
			  m->backing == MEM_HUGETLB_1G ? "1GB" : "2MB");
	}
	m->map = p;
	m->map_len = m->size;
	return p;
}

/* Sums smaps fields over the VMAs inside [hva, hva + size). */
static void mem_read_smaps(struct mem *m)
{
	uintptr_t lo = (uintptr_t)m->hva, hi = lo + m->size;
	bool in = false;
	char line[256];
	FILE *f = fopen("/proc/self/smaps", "re");

	m->huge_bytes = 0;
	m->kernel_page_kb = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		unsigned long long kb;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = s < hi && e > lo;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "KernelPageSize: %llu kB", &kb) == 1 && !m->kernel_page_kb)
			m->kernel_page_kb = kb;
		else if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1 ||
			 sscanf(line, "Private_Hugetlb: %llu kB", &kb) == 1 ||
			 sscanf(line, "Shared_Hugetlb: %llu kB", &kb) == 1)
			m->huge_bytes += kb << 10;
	}
	fclose(f);
	if (m->huge_bytes > m->size)
		m->huge_bytes = m->size;
}

/* Faults every page in now so the guest's first touches do not measure host allocation. */
static void mem_touch(struct mem *m)
{
	volatile uint8_t *p = m->hva;

	for (uint64_t off = 0; off < m->size; off += 4096)
		p[off] = 0;
}

static void mem_check(struct mem *m)
{
	char a[32];

	mem_read_smaps(m);
	switch (m->backing) {
	case MEM_ANON:
		snprintf(m->report, sizeof(m->report), "anon: %llu MiB in 4K pages (%llu MiB in THP)",
			 (unsigned long long)(m->size >> 20), (unsigned long long)(m->huge_bytes >> 20));
		break;
	case MEM_THP:
		snprintf(m->report, sizeof(m->report), "thp: %llu of %llu MiB in 2M transparent huge pages",
			 (unsigned long long)(m->huge_bytes >> 20), (unsigned long long)(m->size >> 20));
		if (m->huge_bytes < m->size)
			warn_msg("--backing thp: only %llu of %llu MiB got huge pages (see "
				 "/sys/kernel/mm/transparent_hugepage/enabled and defrag: 'madvise' or 'always' needed)",
				 (unsigned long long)(m->huge_bytes >> 20), (unsigned long long)(m->size >> 20));
		break;
	default:
		m->hugetlb_free_after = mem_read_long(mem_hugetlb_dir(m->backing), "free_hugepages");
		snprintf(m->report, sizeof(m->report),
			 "%s: %llu x %s pages (KernelPageSize %llu kB, free_hugepages %ld -> %ld)",
			 mem_backing_name(m->backing), (unsigned long long)(m->size / m->page_size),
			 format_size(m->page_size, a, sizeof(a)), (unsigned long long)m->kernel_page_kb,
			 m->hugetlb_free_before, m->hugetlb_free_after);
		if (m->kernel_page_kb && m->kernel_page_kb << 10 != m->page_size)
			die("--backing %s: the mapping has KernelPageSize %llu kB, not %llu kB",
			    mem_backing_name(m->backing), (unsigned long long)m->kernel_page_kb,
			    (unsigned long long)(m->page_size >> 10));
		break;
	}
}

void mem_alloc(struct mem *m, enum mem_backing backing, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->backing = backing;
	m->size = size;
	m->page_size = mem_backing_page_size(backing);
	m->hugetlb_free_before = m->hugetlb_free_after = -1;

	switch (backing) {
	case MEM_ANON:
		m->hva = mem_map_anon_aligned(m, 4096);
		/* The control case must stay 4K even where THP is "always". */
		if (madvise(m->hva, m->size, MADV_NOHUGEPAGE))
			warn_errno(errno, "madvise MADV_NOHUGEPAGE %p %llu", m->hva, (unsigned long long)m->size);
		break;
	case MEM_THP:
		m->hva = mem_map_anon_aligned(m, MEM_2M);
		if (madvise(m->hva, m->size, MADV_HUGEPAGE))
			die_errno(errno, "madvise MADV_HUGEPAGE %p %llu (kernel without CONFIG_TRANSPARENT_HUGEPAGE?)",
				  m->hva, (unsigned long long)m->size);
		break;
	default:
		m->hva = mem_map_hugetlb(m);
		break;
	}
	mem_touch(m);
	mem_check(m);
}

void mem_free(struct mem *m)
{
	if (m->map)
		munmap(m->map, m->map_len);
	m->map = m->hva = NULL;
}

void *mem_gpa_ptr(const struct mem *m, uint64_t base, uint64_t gpa, uint64_t len)
{
	if (gpa < base || len > m->size || gpa - base > m->size - len)
		return NULL;
	return (uint8_t *)m->hva + (gpa - base);
}
