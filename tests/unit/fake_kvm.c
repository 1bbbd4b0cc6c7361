/* The fake of KVM's dirty log (see fake_kvm.h), linked into every host unit test instead of core/kvm.c. */
#include "fake_kvm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <time.h>

#include "core/kvm.h"
#include "core/machine.h"

struct fake_kvm fake_kvm;

void fake_kvm_reset(uint64_t npages)
{
	memset(&fake_kvm, 0, sizeof(fake_kvm));
	fake_kvm.npages = npages;
}

void fake_kvm_write(uint64_t p)
{
	if (fake_kvm.logging && p < fake_kvm.npages)
		fake_kvm.log[p / 64] |= 1ULL << (p % 64);
}

bool fake_kvm_logged(uint64_t p)
{
	return fake_kvm.log[p / 64] >> (p % 64) & 1;
}

uint64_t fake_kvm_tick(void)
{
	return ++fake_kvm.seq;
}

static void fake_event(enum fake_kvm_ev type, uint64_t first, uint64_t num)
{
	if (fake_kvm.nev < FAKE_KVM_MAX_EVENTS)
		fake_kvm.ev[fake_kvm.nev++] = (struct fake_kvm_event){ type, first, num, fake_kvm_tick() };
}

uint64_t machine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The dirty ring is not faked: KVM_CHECK_EXTENSION says "no ring", so ring mode is refused. */
int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	(void)arg;
	return req == KVM_CHECK_EXTENSION ? 0 : -ENOTTY;
}

int vm_enable_manual_protect(struct vm *vm, uint64_t flags)
{
	(void)vm;
	fake_kvm.manual = flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	fake_kvm.init_set = flags & KVM_DIRTY_LOG_INITIALLY_SET;
	return 0;
}

int vm_set_slot_flags(struct vm *vm, uint32_t slot, uint32_t flags)
{
	bool on = flags & KVM_MEM_LOG_DIRTY_PAGES;

	(void)vm;
	if (slot != 0)
		return -EINVAL;
	/* As KVM: with INITIALLY_SET, switching logging on reports every page dirty. */
	if (on && !fake_kvm.logging && fake_kvm.init_set)
		for (uint64_t p = 0; p < fake_kvm.npages; p++)
			fake_kvm.log[p / 64] |= 1ULL << (p % 64);
	fake_kvm.logging = on;
	return 0;
}

int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap)
{
	size_t words = (fake_kvm.npages + 63) / 64;

	(void)vm;
	if (slot != 0 || !fake_kvm.logging)
		return -ENOENT;
	memcpy(bitmap, fake_kvm.log, words * sizeof(uint64_t));
	/* Without manual protect, GET clears (and re-protects) what it returns. */
	if (!fake_kvm.manual)
		memset(fake_kvm.log, 0, words * sizeof(uint64_t));
	fake_event(FAKE_GET, 0, fake_kvm.npages);
	return 0;
}

int vm_clear_dirty_log(struct vm *vm, uint32_t slot, uint64_t first, uint32_t num, uint64_t *bitmap)
{
	(void)vm;
	if (slot != 0 || !fake_kvm.manual)
		return -EINVAL;
	/* KVM's rule: first 64-aligned, num 64-aligned unless the range ends at the slot's end. */
	if (first % 64 || (num % 64 && first + num != fake_kvm.npages) || first + num > fake_kvm.npages)
		return -EINVAL;
	if (fake_kvm.fail_clear_at && ++fake_kvm.nclears == (unsigned)fake_kvm.fail_clear_at)
		return -EIO;
	for (uint64_t i = 0; i < num; i++)
		if (bitmap[i / 64] >> (i % 64) & 1)
			fake_kvm.log[(first + i) / 64] &= ~(1ULL << ((first + i) % 64));
	fake_event(FAKE_CLEAR, first, num);
	return 0;
}
