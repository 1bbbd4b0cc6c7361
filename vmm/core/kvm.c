/* SPDX-License-Identifier: MIT */
#include "core/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/err.h"

#define KVM_DEV "/dev/kvm"

/* What rvmig needs from KVM; checked up front so a missing one is named, not hit later. */
static const struct kvm_cap_req {
	int cap;
	const char *name;
	bool required;
	const char *use;
} kvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", true, "guest RAM memslot" },
	{ KVM_CAP_SYNC_MMU, "KVM_CAP_SYNC_MMU", true, "memslots over hugetlb/THP" },
	{ KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG", true, "pc/a0/a1, ISA and SBI extension registers" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", true, "secondary harts stopped until SBI HSM start" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", true, "kicking vCPUs out of KVM_RUN" },
	{ KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS", true, "vCPU limit" },
	{ KVM_CAP_USER_MEMORY2, "KVM_CAP_USER_MEMORY2", false, "KVM_SET_USER_MEMORY_REGION2" },
	{ KVM_CAP_SYSTEM_EVENT_DATA, "KVM_CAP_SYSTEM_EVENT_DATA", false, "SBI SRST reason as exit code" },
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", false,
	  "KVM_CLEAR_DIRTY_LOG (migration)" },
	{ KVM_CAP_DIRTY_LOG_RING_ACQ_REL, "KVM_CAP_DIRTY_LOG_RING_ACQ_REL", false, "dirty ring (migration)" },
	{ KVM_CAP_BINARY_STATS_FD, "KVM_CAP_BINARY_STATS_FD", false, "KVM statistics" },
};

int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static int kvm_open_dev(bool fatal)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 && fatal) {
		int e = errno;

		if (e == ENOENT)
			die("cannot open " KVM_DEV ": No such file or directory (no KVM here: run on a RISC-V host "
			    "kernel with CONFIG_KVM and the H extension, e.g. ./run.sh shell -c 'rvmig run')");
		die_errno(e, "cannot open " KVM_DEV " (needs read/write access: run as root or join group kvm)");
	}
	return fd;
}

static int kvm_check(int fd, int cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_print_caps(FILE *f)
{
	int fd = kvm_open_dev(false);
	int api;

	if (fd < 0) {
		fprintf(f, "KVM: %s not available (%s)\n", KVM_DEV, strerror(errno));
		return -1;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api < 0) {
		fprintf(f, "KVM: KVM_GET_API_VERSION on %s failed: %s\n", KVM_DEV, strerror(errno));
		close(fd);
		return -1;
	}
	fprintf(f, "KVM API version: %d%s\n", api, api == KVM_API_VERSION ? "" : " (rvmig needs 12)");
	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++) {
		const struct kvm_cap_req *c = &kvm_caps[i];
		int v = kvm_check(fd, c->cap);

		fprintf(f, "  %-34s %-8s %-9s %s", c->name, v ? "present" : "missing",
			c->required ? "required" : "optional", c->use);
		if (v > 1)
			fprintf(f, " (%d)", v);
		fputc('\n', f);
	}
	close(fd);
	return 0;
}

static void vm_check_caps(struct vm *vm)
{
	char missing[512] = "";

	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++) {
		const struct kvm_cap_req *c = &kvm_caps[i];

		if (c->required && !kvm_check(vm->kvm_fd, c->cap)) {
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, c->name, sizeof(missing) - strlen(missing) - 1);
		}
	}
	if (missing[0])
		die("KVM lacks required capabilities:%s (this host kernel is too old or not RISC-V KVM; "
		    "rvmig --version lists them)",
		    missing);
}

void vm_open(struct vm *vm)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->kvm_fd = kvm_open_dev(true);
	vm->api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (vm->api_version < 0)
		die_errno(errno, "KVM_GET_API_VERSION on " KVM_DEV);
	if (vm->api_version != KVM_API_VERSION)
		die("KVM_GET_API_VERSION returned %d, rvmig speaks %d", vm->api_version, KVM_API_VERSION);
	vm_check_caps(vm);
	vm->max_vcpus = kvm_check(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < 0)
		die_errno(errno, "KVM_GET_VCPU_MMAP_SIZE on " KVM_DEV);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE returned %d, less than struct kvm_run (%zu bytes)", vm->run_size,
		    sizeof(struct kvm_run));

	r = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (r < 0)
		die_errno(errno, "KVM_CREATE_VM type 0");
	vm->vm_fd = r;
	/* Ask the VM, not /dev/kvm: memslot and dirty-log answers are per VM. */
	vm->has_mem2 = kvm_check(vm->vm_fd, KVM_CAP_USER_MEMORY2) > 0;
	vm->manual_protect = kvm_check(vm->vm_fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
}

void vm_close(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

const struct vm_slot *vm_slot(const struct vm *vm, uint32_t slot)
{
	for (int i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

static int vm_memslot_ioctl(struct vm *vm, const struct vm_slot *s, uint32_t flags)
{
	if (vm->has_mem2) {
		struct kvm_userspace_memory_region2 r = {
			.slot = s->slot,
			.flags = flags,
			.guest_phys_addr = s->gpa,
			.memory_size = s->size,
			.userspace_addr = (uintptr_t)s->hva,
		};
		return kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r);
	} else {
		struct kvm_userspace_memory_region r = {
			.slot = s->slot,
			.flags = flags,
			.guest_phys_addr = s->gpa,
			.memory_size = s->size,
			.userspace_addr = (uintptr_t)s->hva,
		};
		return kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	}
}

static const char *vm_memslot_ioctl_name(const struct vm *vm)
{
	return vm->has_mem2 ? "KVM_SET_USER_MEMORY_REGION2" : "KVM_SET_USER_MEMORY_REGION";
}

void vm_add_memslot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct vm_slot *s = NULL;
	int r;

	for (int i = 0; i < VM_MAX_SLOTS && !s; i++)
		if (!vm->slots[i].used)
			s = &vm->slots[i];
	if (!s)
		die("memslot %u: rvmig tracks at most %d memslots", slot, VM_MAX_SLOTS);
	*s = (struct vm_slot){ .used = true, .slot = slot, .gpa = gpa, .size = size, .hva = hva };
	r = vm_memslot_ioctl(vm, s, 0);
	if (r < 0)
		die_errno(r, "%s slot %u gpa 0x%llx size %llu hva %p flags 0x0", vm_memslot_ioctl_name(vm), slot,
			  (unsigned long long)gpa, (unsigned long long)size, hva);
}

int vm_set_slot_flags(struct vm *vm, uint32_t slot, uint32_t flags)
{
	struct vm_slot *s = (struct vm_slot *)vm_slot(vm, slot);
	int r;

	if (!s)
		return -ENOENT;
	r = vm_memslot_ioctl(vm, s, flags);
	if (r < 0) {
		warn_errno(r, "%s slot %u gpa 0x%llx size %llu flags 0x%x", vm_memslot_ioctl_name(vm), slot,
			   (unsigned long long)s->gpa, (unsigned long long)s->size, flags);
		return r;
	}
	s->flags = flags;
	return 0;
}

int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };
	int r = kvm_ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log);

	if (r < 0)
		warn_errno(r, "KVM_GET_DIRTY_LOG slot %u", slot);
	return r;
}

int vm_clear_dirty_log(struct vm *vm, uint32_t slot, uint64_t first, uint32_t num, uint64_t *bitmap)
{
	struct kvm_clear_dirty_log c = { .slot = slot, .first_page = first, .num_pages = num, .dirty_bitmap = bitmap };
	int r = kvm_ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &c);

	if (r < 0)
		warn_errno(r, "KVM_CLEAR_DIRTY_LOG slot %u first %llu num %u", slot, (unsigned long long)first, num);
	return r;
}

int vm_enable_manual_protect(struct vm *vm, uint64_t flags)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { flags } };
	int r = kvm_ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);

	if (r < 0)
		warn_errno(r, "KVM_ENABLE_CAP KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags 0x%llx",
			   (unsigned long long)flags);
	return r;
}
