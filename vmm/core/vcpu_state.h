/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's full architectural state as ONE_REG values (what KVM_GET_REG_LIST lists: config, core,
 * CSRs, timer, FP, vector, ISA and SBI extension switches, SBI state) plus its MP state, for
 * migration.
 *
 * Restore policy: registers are set in dependency order (config, then ISA/SBI extension switches,
 * then core/CSR/FP/vector/SBI state, then the timer as time, compare, state, and the MP state last).
 * A register KVM refuses to set (read-only config such as the timer frequency, satp_mode,
 * zicbom_block_size, or an extension switch that cannot change) is read back instead: the same value
 * on the destination is fine (counted as "kept"), a different one fails the restore, naming it.
 */
#ifndef RVMIG_VCPU_STATE_H
#define RVMIG_VCPU_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "mig/stream.h"

struct vcpu;

/* The MP state travels as a pseudo register: arch field 0, which no KVM ONE_REG id uses. */
#define VCPU_STATE_MP_ID 0x0000000052564d50ULL /* "RVMP" */

struct vcpu_state {
	uint32_t nregs;
	struct stream_reg *regs; /* value pointers into data */
	uint8_t *data;
};

struct vcpu_restore_stats {
	unsigned set, kept; /* set; refused but already equal */
};

int vcpu_state_save(struct vcpu *v, struct vcpu_state *s);
void vcpu_state_free(struct vcpu_state *s);
/* Deep copy of a decoded record (the reader's buffers are reused by its next call). */
int vcpu_state_copy(const struct stream_vcpu *in, struct vcpu_state *s);
/* 0 or -errno, with what failed in err. */
int vcpu_state_restore(struct vcpu *v, const struct vcpu_state *s, struct vcpu_restore_stats *st, char *err,
		       size_t errlen);

#endif
