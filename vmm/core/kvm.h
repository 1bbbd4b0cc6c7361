/* SPDX-License-Identifier: MIT */
/* /dev/kvm, the VM file descriptor, its capabilities and memslots. */
#ifndef RVMIG_KVM_H
#define RVMIG_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VM_MAX_SLOTS 4

struct vm_slot {
	bool used;
	uint32_t slot;
	uint32_t flags; /* KVM_MEM_* as last set in the kernel                              */
	uint64_t gpa, size;
	void *hva;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int api_version;
	int max_vcpus;      /* KVM_CAP_MAX_VCPUS                                                */
	int run_size;       /* KVM_GET_VCPU_MMAP_SIZE                                           */
	bool has_mem2;      /* KVM_CAP_USER_MEMORY2: use KVM_SET_USER_MEMORY_REGION2           */
	int manual_protect; /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 bits, 0 = none                 */
	struct vm_slot slots[VM_MAX_SLOTS];
};

/* ioctl that returns its result or -errno (never exits): what the migration loop builds on. */
int kvm_ioctl(int fd, unsigned long req, void *arg);

/*
 * Opens /dev/kvm, checks the API version and the required capabilities (naming every missing one),
 * creates the VM. Exits 1 with a hint on failure.
 */
void vm_open(struct vm *vm);
void vm_close(struct vm *vm);

/* `rvmig --version`: KVM API version and every capability rvmig uses, present or missing. */
int kvm_print_caps(FILE *f);

/* Sets up (exits on failure) the memslot backing [gpa, gpa + size) with hva. */
void vm_add_memslot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);
/* Re-issues the memslot with new flags (e.g. KVM_MEM_LOG_DIRTY_PAGES). 0 or -errno. */
int vm_set_slot_flags(struct vm *vm, uint32_t slot, uint32_t flags);
/* KVM_GET_DIRTY_LOG into bitmap (one bit per 4K page of the slot, 64-bit words). 0 or -errno. */
int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap);
/* KVM_CLEAR_DIRTY_LOG of pages [first, first + num) (manual protect mode). 0 or -errno. */
int vm_clear_dirty_log(struct vm *vm, uint32_t slot, uint64_t first, uint32_t num, uint64_t *bitmap);
/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with the given flags. 0 or -errno. */
int vm_enable_manual_protect(struct vm *vm, uint64_t flags);

const struct vm_slot *vm_slot(const struct vm *vm, uint32_t slot);

#endif
