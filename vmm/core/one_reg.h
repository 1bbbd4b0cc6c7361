/* SPDX-License-Identifier: MIT */
#ifndef RVMIG_ONE_REG_H
#define RVMIG_ONE_REG_H

#include <linux/kvm.h>
#include <stddef.h> /* offsetof, in the KVM_REG_RISCV_*_REG macros */
#include <stdint.h>

/* ONE_REG ids, as KVM selftests lib/riscv/processor.c builds them (riscv64: unsigned long = U64). */
#define VCPU_REG(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (uint64_t)(idx))
#define VCPU_CORE(name)     VCPU_REG(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(name))
#define VCPU_CSR(name)      VCPU_REG(KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL, KVM_REG_RISCV_CSR_REG(name))
#define VCPU_CONFIG(name)   VCPU_REG(KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CONFIG_REG(name))
#define VCPU_TIMER(name)    VCPU_REG(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(name))
#define VCPU_ISA_EXT(id)    VCPU_REG(KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE, id)
#define VCPU_SBI_EXT(id)    VCPU_REG(KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE, id)

#endif
