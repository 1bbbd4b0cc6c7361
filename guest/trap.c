// SPDX-License-Identifier: MIT
/*
 * Unexpected traps and panics: print what happened, tell the VMM (RVMIG_SBI_PANIC), reset the system
 * with a failure. The guest must never hang silently.
 */
#include <stdarg.h>

#include "arch.h"
#include "console.h"
#include "fmt.h"
#include "guest.h"
#include "sbi.h"

/* The message stays in guest memory: RVMIG_SBI_PANIC passes its address to the VMM. */
static char panic_msg[RVMIG_MAX_VCPUS][CONSOLE_LINE_MAX];
static uint32_t panic_depth[RVMIG_MAX_VCPUS];

static const char *scause_name(uint64_t scause)
{
	static const char *const names[] = {
		"instruction misaligned",
		"instruction access fault",
		"illegal instruction",
		"breakpoint",
		"load misaligned",
		"load access fault",
		"store misaligned",
		"store access fault",
		"ecall from U",
		"ecall from S",
		"ecall from VS",
		"ecall from M",
		"instruction page fault",
		"load page fault",
		"reserved",
		"store page fault",
	};
	if (scause >> 63)
		return "interrupt";
	return scause < ARRAY_SIZE(names) ? names[scause] : "unknown";
}

/* Last resort when the panic path itself faults: no console, no messages, just reset or stop. */
static __attribute__((noreturn)) void die_quietly(void)
{
	sbi_system_reset(SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_FAILURE);
	for (;;)
		sbi_hart_stop();
}

static __attribute__((noreturn)) void panic_with(uint64_t hartid, const char *msg)
{
	char line[CONSOLE_LINE_MAX + 32];

	fmt_format(line, sizeof(line), "rvmig-guest: PANIC: %s\n", msg);
	console_write_unlocked_fallback(line);
	rvmig_sbi_panic(hartid, msg);
	long err = sbi_system_reset(SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_FAILURE);
	fmt_format(line, sizeof(line), "rvmig-guest: hart %lu: SRST failed (%ld), stopping\n", (unsigned long)hartid,
		   err);
	console_write_unlocked_fallback(line);
	for (;;)
		sbi_hart_stop();
}

/* Returns the hart's message buffer, or resets right away when the hart is already panicking. */
static char *enter_panic(uint64_t hartid)
{
	if (hartid >= RVMIG_MAX_VCPUS || ++panic_depth[hartid] > 1)
		die_quietly();
	return panic_msg[hartid];
}

void guest_panic(const char *fmt, ...)
{
	uint64_t hartid = this_hartid();
	char *msg = enter_panic(hartid);
	va_list ap;

	va_start(ap, fmt);
	size_t n = fmt_format(msg, CONSOLE_LINE_MAX, "hart %lu: ", (unsigned long)hartid);
	fmt_vformat(msg + n, CONSOLE_LINE_MAX - n, fmt, ap);
	va_end(ap);
	panic_with(hartid, msg);
}

/* Called by trap_entry (start.S) on the hart's trap stack. */
__attribute__((noreturn)) void trap_handler(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sp);
void trap_handler(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sp)
{
	uint64_t hartid = this_hartid();
	char *msg = enter_panic(hartid);

	fmt_format(msg, CONSOLE_LINE_MAX, "hart %lu: unexpected trap: scause=%lx (%s) sepc=%lx stval=%lx sp=%lx",
		   (unsigned long)hartid, (unsigned long)scause, scause_name(scause), (unsigned long)sepc,
		   (unsigned long)stval, (unsigned long)sp);
	panic_with(hartid, msg);
}
