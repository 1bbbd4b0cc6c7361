// SPDX-License-Identifier: MIT
/* SBI ecall wrappers. Registers: a7 = extension, a6 = function, a0..a2 = arguments. */
#include "sbi.h"

#include "rvmig_abi.h"

struct sbiret sbi_call(unsigned long ext, unsigned long fn, unsigned long a0, unsigned long a1, unsigned long a2)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a6 __asm__("a6") = fn;
	register unsigned long r_a7 __asm__("a7") = ext;

	/* "memory": the SBI implementation may read guest memory (DBCN buffer, panic message). */
	__asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
	return (struct sbiret){ .error = (long)r_a0, .value = (long)r_a1 };
}

long sbi_spec_version(void)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
	return r.error ? 0 : r.value;
}

long sbi_probe_extension(unsigned long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0);
	return r.error ? 0 : r.value;
}

void sbi_legacy_putchar(char c)
{
	/* Legacy extensions take no function id and return only an error in a0. */
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0);
}

struct sbiret sbi_dbcn_write(const void *buf, unsigned long len)
{
	/* The guest runs with satp = 0, so a virtual address is the physical one: base_hi = 0 on rv64. */
	return sbi_call(SBI_EXT_DBCN, 0, len, (unsigned long)buf, 0);
}

long sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	return sbi_call(SBI_EXT_HSM, 0, hartid, start_addr, opaque).error;
}

long sbi_hart_stop(void)
{
	return sbi_call(SBI_EXT_HSM, 1, 0, 0, 0).error;
}

long sbi_system_reset(unsigned long type, unsigned long reason)
{
	return sbi_call(SBI_EXT_SRST, 0, type, reason, 0).error;
}

long rvmig_sbi_hello(unsigned long hartid)
{
	return sbi_call(RVMIG_SBI_EXT, RVMIG_SBI_HELLO, hartid, RVMIG_ABI_VERSION, 0).error;
}

long rvmig_sbi_phase(unsigned long hartid, unsigned long phase, unsigned long arg)
{
	return sbi_call(RVMIG_SBI_EXT, RVMIG_SBI_PHASE, hartid, phase, arg).error;
}

long rvmig_sbi_report(unsigned long hartid)
{
	return sbi_call(RVMIG_SBI_EXT, RVMIG_SBI_REPORT, hartid, 0, 0).error;
}

long rvmig_sbi_panic(unsigned long hartid, const char *msg)
{
	return sbi_call(RVMIG_SBI_EXT, RVMIG_SBI_PANIC, hartid, (unsigned long)msg, 0).error;
}
