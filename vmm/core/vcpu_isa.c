/* SPDX-License-Identifier: MIT */
/* What KVM says about a hart, for the guest's device tree: ISA extensions, timebase, MMU type. */
#include <stdint.h>

#include "core/one_reg.h"
#include "core/vcpu.h"

/* Device-tree names of KVM's ISA extension ids (include/uapi/asm/kvm.h order). */
static const char *const vcpu_isa_names[] = {
	[KVM_RISCV_ISA_EXT_A] = "a",
	[KVM_RISCV_ISA_EXT_C] = "c",
	[KVM_RISCV_ISA_EXT_D] = "d",
	[KVM_RISCV_ISA_EXT_F] = "f",
	[KVM_RISCV_ISA_EXT_H] = "h",
	[KVM_RISCV_ISA_EXT_I] = "i",
	[KVM_RISCV_ISA_EXT_M] = "m",
	[KVM_RISCV_ISA_EXT_SVPBMT] = "svpbmt",
	[KVM_RISCV_ISA_EXT_SSTC] = "sstc",
	[KVM_RISCV_ISA_EXT_SVINVAL] = "svinval",
	[KVM_RISCV_ISA_EXT_ZIHINTPAUSE] = "zihintpause",
	[KVM_RISCV_ISA_EXT_ZICBOM] = "zicbom",
	[KVM_RISCV_ISA_EXT_ZICBOZ] = "zicboz",
	[KVM_RISCV_ISA_EXT_ZBB] = "zbb",
	[KVM_RISCV_ISA_EXT_SSAIA] = "ssaia",
	[KVM_RISCV_ISA_EXT_V] = "v",
	[KVM_RISCV_ISA_EXT_SVNAPOT] = "svnapot",
	[KVM_RISCV_ISA_EXT_ZBA] = "zba",
	[KVM_RISCV_ISA_EXT_ZBS] = "zbs",
	[KVM_RISCV_ISA_EXT_ZICNTR] = "zicntr",
	[KVM_RISCV_ISA_EXT_ZICSR] = "zicsr",
	[KVM_RISCV_ISA_EXT_ZIFENCEI] = "zifencei",
	[KVM_RISCV_ISA_EXT_ZIHPM] = "zihpm",
	[KVM_RISCV_ISA_EXT_SMSTATEEN] = "smstateen",
	[KVM_RISCV_ISA_EXT_ZICOND] = "zicond",
	[KVM_RISCV_ISA_EXT_ZBC] = "zbc",
	[KVM_RISCV_ISA_EXT_ZBKB] = "zbkb",
	[KVM_RISCV_ISA_EXT_ZBKC] = "zbkc",
	[KVM_RISCV_ISA_EXT_ZBKX] = "zbkx",
	[KVM_RISCV_ISA_EXT_ZKND] = "zknd",
	[KVM_RISCV_ISA_EXT_ZKNE] = "zkne",
	[KVM_RISCV_ISA_EXT_ZKNH] = "zknh",
	[KVM_RISCV_ISA_EXT_ZKR] = "zkr",
	[KVM_RISCV_ISA_EXT_ZKSED] = "zksed",
	[KVM_RISCV_ISA_EXT_ZKSH] = "zksh",
	[KVM_RISCV_ISA_EXT_ZKT] = "zkt",
	[KVM_RISCV_ISA_EXT_ZVBB] = "zvbb",
	[KVM_RISCV_ISA_EXT_ZVBC] = "zvbc",
	[KVM_RISCV_ISA_EXT_ZVKB] = "zvkb",
	[KVM_RISCV_ISA_EXT_ZVKG] = "zvkg",
	[KVM_RISCV_ISA_EXT_ZVKNED] = "zvkned",
	[KVM_RISCV_ISA_EXT_ZVKNHA] = "zvknha",
	[KVM_RISCV_ISA_EXT_ZVKNHB] = "zvknhb",
	[KVM_RISCV_ISA_EXT_ZVKSED] = "zvksed",
	[KVM_RISCV_ISA_EXT_ZVKSH] = "zvksh",
	[KVM_RISCV_ISA_EXT_ZVKT] = "zvkt",
	[KVM_RISCV_ISA_EXT_ZFH] = "zfh",
	[KVM_RISCV_ISA_EXT_ZFHMIN] = "zfhmin",
	[KVM_RISCV_ISA_EXT_ZIHINTNTL] = "zihintntl",
	[KVM_RISCV_ISA_EXT_ZVFH] = "zvfh",
	[KVM_RISCV_ISA_EXT_ZVFHMIN] = "zvfhmin",
	[KVM_RISCV_ISA_EXT_ZFA] = "zfa",
	[KVM_RISCV_ISA_EXT_ZTSO] = "ztso",
	[KVM_RISCV_ISA_EXT_ZACAS] = "zacas",
	[KVM_RISCV_ISA_EXT_SSCOFPMF] = "sscofpmf",
	[KVM_RISCV_ISA_EXT_ZIMOP] = "zimop",
	[KVM_RISCV_ISA_EXT_ZCA] = "zca",
	[KVM_RISCV_ISA_EXT_ZCB] = "zcb",
	[KVM_RISCV_ISA_EXT_ZCD] = "zcd",
	[KVM_RISCV_ISA_EXT_ZCF] = "zcf",
	[KVM_RISCV_ISA_EXT_ZCMOP] = "zcmop",
	[KVM_RISCV_ISA_EXT_ZAWRS] = "zawrs",
	[KVM_RISCV_ISA_EXT_SMNPM] = "smnpm",
	[KVM_RISCV_ISA_EXT_SSNPM] = "ssnpm",
	[KVM_RISCV_ISA_EXT_SVADE] = "svade",
	[KVM_RISCV_ISA_EXT_SVADU] = "svadu",
	[KVM_RISCV_ISA_EXT_SVVPTC] = "svvptc",
	[KVM_RISCV_ISA_EXT_ZABHA] = "zabha",
	[KVM_RISCV_ISA_EXT_ZICCRSE] = "ziccrse",
	[KVM_RISCV_ISA_EXT_ZAAMO] = "zaamo",
	[KVM_RISCV_ISA_EXT_ZALRSC] = "zalrsc",
};

unsigned vcpu_isa_exts(struct vcpu *v, const char **names, unsigned max)
{
	unsigned n = 0;

	for (unsigned id = 0; id < sizeof(vcpu_isa_names) / sizeof(vcpu_isa_names[0]) && n < max; id++) {
		uint64_t on = 0;

		/* H is what KVM runs on, not something the guest gets. */
		if (!vcpu_isa_names[id] || id == KVM_RISCV_ISA_EXT_H)
			continue;
		if (vcpu_get_reg(v, VCPU_ISA_EXT(id), &on) == 0 && on)
			names[n++] = vcpu_isa_names[id];
	}
	return n;
}

uint64_t vcpu_timebase(struct vcpu *v)
{
	uint64_t hz = 0;

	if (vcpu_get_reg(v, VCPU_TIMER(frequency), &hz) < 0)
		return 0;
	return hz;
}

const char *vcpu_mmu_type(struct vcpu *v)
{
	uint64_t mode = 0;

	if (vcpu_get_reg(v, VCPU_CONFIG(satp_mode), &mode) < 0)
		return NULL;
	switch (mode) {
	case 8:
		return "riscv,sv39";
	case 9:
		return "riscv,sv48";
	case 10:
		return "riscv,sv57";
	default:
		return NULL;
	}
}
