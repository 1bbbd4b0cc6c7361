/* SPDX-License-Identifier: MIT */
/*
 * A Linux guest in the session (--kernel): the Image, initrd and device tree placed in guest RAM,
 * vCPU 0 pointed at the kernel, and the run until the guest shuts down. Linux speaks no rvmig
 * protocol: no HELLO, control block or stats; its console and SBI SRST are all the VMM sees.
 */
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "core/console_in.h"
#include "core/fdt_build.h"
#include "lib/err.h"
#include "session.h"

/* SBI SRST reset reasons (SBI spec, System Reset extension). */
#define SBI_SRST_REASON_NONE 0

void session_setup_linux(struct session *r)
{
	struct machine *m = &r->m;
	struct linux_layout *l = &r->linux_at;
	struct fdt_desc d;
	struct fdt_linux_chosen c = { .bootargs = r->opts.append };
	char err[768];
	enum linux_load_result rc;
	void *fdt;

	rc = linux_load(r->opts.kernel, r->opts.initrd, m->mem.hva, RVMIG_RAM_BASE, r->opts.mem, l, err, sizeof(err));
	if (rc != LINUX_LOAD_OK)
		die_status((int)rc, "%s", err);
	session_hart_desc(r, &d);
	c.initrd_start = l->initrd_gpa;
	c.initrd_end = l->initrd_gpa + l->initrd_size;
	fdt = mem_gpa_ptr(&m->mem, RVMIG_RAM_BASE, l->fdt_gpa, LINUX_FDT_MAX);
	r->fdt_size = fdt ? fdt_build_linux(&d, &c, fdt, LINUX_FDT_MAX) : -1;
	if (r->fdt_size < 0)
		die("building the Linux device tree (%llu bytes at most at 0x%llx): libfdt error %d",
		    (unsigned long long)LINUX_FDT_MAX, (unsigned long long)l->fdt_gpa, r->fdt_size);
	/* The boot protocol: a0 = hart id, a1 = device tree, pc = the Image's first byte; KVM's reset
	 * state has satp 0 (no translation) and interrupts off. Secondaries wait for SBI HSM hart_start. */
	vcpu_setup_boot(&m->vcpus[0], l->kernel_gpa, l->fdt_gpa);
	r->image_size = (size_t)(l->kernel_end - l->kernel_gpa);
	if (!r->opts.quiet) {
		printf("[rvmig] Linux: Image at 0x%" PRIx64 "-0x%" PRIx64 ", ", l->kernel_gpa, l->kernel_end);
		if (l->initrd_size)
			printf("initrd at 0x%" PRIx64 " (%" PRIu64 " bytes), ", l->initrd_gpa, l->initrd_size);
		printf("device tree at 0x%" PRIx64 " (%d bytes; %u harts, %s, timebase %" PRIu64 " Hz)\n", l->fdt_gpa,
		       r->fdt_size, r->opts.vcpus, r->isa, m->timebase_hz);
		printf("[rvmig] Linux: bootargs \"%s\"\n", c.bootargs ? c.bootargs : FDT_LINUX_DEFAULT_BOOTARGS);
	}
}

/* How the guest ended: the exit status, with one line saying why. */
static int session_linux_status(struct session *r, double secs)
{
	struct machine *m = &r->m;

	if (m->failed) {
		fprintf(stderr, "rvmig: %s\n", m->fail_msg);
		return RVMIG_EXIT_FAIL;
	}
	if (m->shutdown_type == KVM_SYSTEM_EVENT_SHUTDOWN && m->shutdown_reason == SBI_SRST_REASON_NONE) {
		if (!r->opts.quiet)
			printf("[rvmig] the guest powered off (SBI SRST shutdown) after %.3f s\n", secs);
		return RVMIG_EXIT_OK;
	}
	if (m->shutdown_type == KVM_SYSTEM_EVENT_RESET && m->shutdown_reason == SBI_SRST_REASON_NONE) {
		if (!r->opts.quiet)
			printf("[rvmig] the guest asked for a reboot (SBI SRST) after %.3f s; rvmig does not reboot "
			       "guests: exiting\n",
			       secs);
		return RVMIG_EXIT_OK;
	}
	fprintf(stderr,
		"rvmig: the guest shut down with SBI SRST reason %" PRIu64
		" (%s, KVM system event type %u) after %.3f s\n",
		m->shutdown_reason, m->shutdown_reason == 1 ? "system failure" : "not a success", m->shutdown_type,
		secs);
	return RVMIG_EXIT_FAIL;
}

int session_run_linux(struct session *r)
{
	uint64_t t0;

	console_in_open();
	session_monitor_start(r);
	t0 = machine_now_ns();
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		vcpu_start(&r->m.vcpus[i]);
	/* No deadline: an interactive guest runs as long as its user wants. */
	session_until(r, session_shut_down, 0, NULL);
	session_stop_and_join(r);
	console_in_restore();
	fflush(stdout);
	return session_linux_status(r, (double)(machine_now_ns() - t0) / 1e9);
}
