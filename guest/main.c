// SPDX-License-Identifier: MIT
/*
 * Boot: the boot hart finds its RAM and harts in the device tree, prints a banner, picks its control
 * block (the VMM's, or a self-test one when no VMM filled it), lays out the work area, starts the
 * other harts with SBI HSM, and then every hart says hello and runs the command loop (worker.c).
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "sbi.h"

struct guest_config g;
struct hart harts[RVMIG_MAX_VCPUS];
extern uint32_t boot_ready; /* start.S: lets a hart that lost the boot lottery go on */

#define SELFTEST_SEED 0x5eed5eedULL

/*
 * Each slice of S pages holds D data pages and T = ceil(D / 512) gen-table pages. Taking
 * T = ceil(S / 513) and D = S - T always fits, since D <= 512 * T, and wastes at most one page.
 */
bool layout_compute(struct layout *l, uint64_t work_base, uint64_t work_end, uint32_t nr_vcpus)
{
	uint64_t pages = work_end > work_base ? (work_end - work_base) / PAGE_SIZE : 0;

	*l = (struct layout){ .work_base = work_base, .work_end = work_end };
	if (!nr_vcpus)
		return false;
	l->slice_pages = pages / nr_vcpus;
	l->table_pages = (l->slice_pages + GENS_PER_TABLE_PAGE) / (GENS_PER_TABLE_PAGE + 1);
	l->data_pages = l->slice_pages - l->table_pages;
	return l->data_pages > 0;
}

static void print_banner(void)
{
	long spec = sbi_spec_version();

	console_printf("rvmig-guest: ABI %u, boot hart %lu, SBI %ld.%ld, console %s\n", RVMIG_ABI_VERSION,
		       (unsigned long)g.boot_hartid, (spec >> 24) & 0x7f, spec & 0xffffff,
		       console_has_dbcn() ? "DBCN" : "legacy putchar");
	console_printf("rvmig-guest: RAM %lu MiB at 0x%lx (image at 0x%lx), %u CPUs, timebase %lu Hz\n",
		       (unsigned long)(g.dt.mem_size >> 20), (unsigned long)g.dt.mem_base, (unsigned long)g.ram_base,
		       g.dt.nr_cpus, (unsigned long)g.dt.timebase);
	if (g.dt.nr_cpus_ignored)
		console_printf("rvmig-guest: ignoring %u CPUs beyond %u\n", g.dt.nr_cpus_ignored, RVMIG_MAX_VCPUS);
}

/* The VMM's control block if it filled one in, else the self-test's. Sets g.nr_vcpus. */
static void choose_ctl(void)
{
	volatile struct rvmig_ctl *vmm_ctl = (volatile struct rvmig_ctl *)(g.ram_base + RVMIG_CTL_OFFSET);

	if (vmm_ctl->magic != RVMIG_CTL_MAGIC) {
		console_printf("rvmig-guest: no control block (no rvmig VMM): running the self-test\n");
		g.selftest = true;
		g.nr_vcpus = g.dt.nr_cpus;
		g.ctl = selftest_ctl_init(g.nr_vcpus, SELFTEST_SEED);
		return;
	}
	if (vmm_ctl->abi_version != RVMIG_ABI_VERSION)
		guest_panic("control block ABI version %u, guest speaks %u", vmm_ctl->abi_version, RVMIG_ABI_VERSION);
	g.nr_vcpus = vmm_ctl->nr_vcpus;
	if (g.nr_vcpus == 0 || g.nr_vcpus > g.dt.nr_cpus)
		guest_panic("control block asks for %u vCPUs, device tree has %u", g.nr_vcpus, g.dt.nr_cpus);
	g.ctl = vmm_ctl;
}

/* Slice i belongs to hartid i, so the harts must be numbered 0..nr_vcpus-1. */
static void check_hartids(void)
{
	uint32_t found = 0;

	for (uint32_t i = 0; i < g.dt.nr_cpus; i++)
		if (g.dt.hartids[i] < g.nr_vcpus)
			found |= 1u << g.dt.hartids[i];
	if (found != (1u << g.nr_vcpus) - 1 || g.boot_hartid >= g.nr_vcpus)
		guest_panic("need hartids 0..%u in the device tree, boot hart %lu", g.nr_vcpus - 1,
			    (unsigned long)g.boot_hartid);
}

static void plan_work_area(void)
{
	uint64_t work_base = g.ram_base + RVMIG_WORK_OFFSET;
	uint64_t work_end = g.dt.mem_base + g.dt.mem_size;

	/* The self-test stays small: it must finish in seconds under TCG and keep off the device
	 * tree, which QEMU puts at the end of RAM. */
	if (g.selftest)
		work_end = work_base + (uint64_t)g.nr_vcpus * SELFTEST_SLICE_PAGES * PAGE_SIZE;
	if (!regions_cover(work_end))
		guest_panic("RAM ends at 0x%lx, beyond what the region tags at 0x%lx cover", (unsigned long)work_end,
			    (unsigned long)(g.ram_base + RVMIG_TAG2M_OFFSET));
	if (!layout_compute(&g.layout, work_base, work_end, g.nr_vcpus))
		guest_panic("no room for a work area: RAM ends at 0x%lx, work area starts at 0x%lx",
			    (unsigned long)work_end, (unsigned long)work_base);
	console_printf("rvmig-guest: work area 0x%lx-0x%lx: %u slices of %lu pages "
		       "(%lu gen-table + %lu data)\n",
		       (unsigned long)work_base, (unsigned long)work_end, g.nr_vcpus,
		       (unsigned long)g.layout.slice_pages, (unsigned long)g.layout.table_pages,
		       (unsigned long)g.layout.data_pages);
}

static void start_secondaries(void)
{
	fence_rw_rw(); /* g is complete before any other hart reads it */
	WRITE_ONCE(boot_ready, 1);
	for (uint64_t hartid = 0; hartid < g.nr_vcpus; hartid++) {
		if (hartid == g.boot_hartid)
			continue;
		long err = sbi_hart_start(hartid, (unsigned long)_secondary_start, (unsigned long)g.fdt);
		if (err != SBI_SUCCESS && err != SBI_ERR_ALREADY_AVAILABLE)
			guest_panic("SBI hart_start(%lu) failed: %ld", (unsigned long)hartid, err);
	}
}

/* Every hart, boot or not: take its slice and stats, say hello, run commands. */
static __attribute__((noreturn)) void hart_main(uint64_t hartid)
{
	struct hart *h = &harts[hartid];
	const struct layout *l = &g.layout;
	uint64_t slice = l->work_base + hartid * l->slice_pages * PAGE_SIZE;

	h->hartid = hartid;
	h->gens = (uint64_t *)slice;
	h->data = (uint8_t *)(slice + l->table_pages * PAGE_SIZE);
	h->data_pages = l->data_pages;
	h->first_page = hartid * l->slice_pages + l->table_pages;
	h->shared = &g.stats[hartid];
	stats_init(h);

	long err = rvmig_sbi_hello(hartid);
	console_printf("rvmig-guest: hart %lu up, slice pages %lu-%lu%s\n", (unsigned long)hartid,
		       (unsigned long)h->first_page, (unsigned long)(h->first_page + h->data_pages - 1),
		       err == SBI_ERR_NOT_SUPPORTED ? " (no rvmig SBI extension)" : "");
	hart_run(h);
}

void boot_main(uint64_t hartid, const void *fdt)
{
	console_init();
	g.boot_hartid = hartid;
	g.fdt = fdt;
	g.ram_base = (uint64_t)__image_start - RVMIG_IMAGE_OFFSET;
	g.stats = (struct rvmig_vcpu_stats *)(g.ram_base + RVMIG_STATS_OFFSET);

	const char *err = fdt_parse(fdt, (uint64_t)__image_start, &g.dt);
	if (err)
		guest_panic("device tree at %p: %s", fdt, err);
	print_banner();
#ifdef GUEST_TEST_TRAP_ADDR
	/* smoke-test.sh only: shows that an unexpected trap is reported rather than a silent hang. */
	(void)*(volatile uint64_t *)GUEST_TEST_TRAP_ADDR;
#endif
	choose_ctl();
	check_hartids();
	plan_work_area();
	start_secondaries();
	hart_main(hartid);
}

void secondary_main(uint64_t hartid)
{
	/* Only a hart that lost the boot lottery can get here unasked; it may be one too many. */
	if (hartid >= g.nr_vcpus) {
		console_printf("rvmig-guest: hart %lu not needed (%u vCPUs), stopping\n", (unsigned long)hartid,
			       g.nr_vcpus);
		sbi_hart_stop();
		guest_panic("SBI hart_stop returned");
	}
	hart_main(hartid);
}
