/* SPDX-License-Identifier: MIT */
/* SBI calls the guest makes (ecall from VS-mode to KVM, or from S-mode to OpenSBI). */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#include <stdint.h>

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE           0x10
#define SBI_EXT_HSM            0x48534D
#define SBI_EXT_SRST           0x53525354
#define SBI_EXT_DBCN           0x4442434E

#define SBI_SUCCESS               0
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_ALREADY_AVAILABLE -6

#define SBI_SRST_TYPE_SHUTDOWN  0
#define SBI_SRST_REASON_NONE    0
#define SBI_SRST_REASON_FAILURE 1

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_call(unsigned long ext, unsigned long fn, unsigned long a0, unsigned long a1, unsigned long a2);

long sbi_spec_version(void);
long sbi_probe_extension(unsigned long ext);
void sbi_legacy_putchar(char c);
struct sbiret sbi_dbcn_write(const void *buf, unsigned long len);
long sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque);
long sbi_hart_stop(void);
long sbi_system_reset(unsigned long type, unsigned long reason);

/* The rvmig extension (include/rvmig_abi.h); errors are returned, callers may ignore them. */
long rvmig_sbi_hello(unsigned long hartid);
long rvmig_sbi_phase(unsigned long hartid, unsigned long phase, unsigned long arg);
long rvmig_sbi_report(unsigned long hartid);
long rvmig_sbi_panic(unsigned long hartid, const char *msg);

#endif /* GUEST_SBI_H */
