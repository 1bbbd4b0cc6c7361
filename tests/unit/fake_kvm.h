/*
 * A link-time fake of the KVM calls vmm/mig uses (core/kvm.h's dirty-log calls, kvm_ioctl and
 * machine_now_ns), as Firecracker's memory tests fake KVM's dirty bitmap: the "KVM" side keeps a
 * dirty log of one slot that guest writes (fake_kvm_write) set, GET reads (and, without manual
 * protect, clears) and CLEAR clears under a mask; every GET and CLEAR is recorded in order.
 */
#ifndef RVMIG_FAKE_KVM_H
#define RVMIG_FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_KVM_MAX_PAGES  (1u << 16)
#define FAKE_KVM_MAX_EVENTS 4096

enum fake_kvm_ev { FAKE_GET, FAKE_CLEAR };

struct fake_kvm_event {
	enum fake_kvm_ev type;
	uint64_t first, num; /* CLEAR: the range                                     */
	uint64_t seq;        /* fake_kvm_tick() at the time: orders against the test's own events */
};

struct fake_kvm {
	uint64_t npages;
	bool logging, manual, init_set;
	uint64_t log[FAKE_KVM_MAX_PAGES / 64];
	struct fake_kvm_event ev[FAKE_KVM_MAX_EVENTS];
	unsigned nev;
	int fail_clear_at; /* the n-th CLEAR (1-based) returns -EIO; 0 = none          */
	unsigned nclears;
	uint64_t seq;
};

extern struct fake_kvm fake_kvm;

/* A fresh slot of npages pages, logging off. */
void fake_kvm_reset(uint64_t npages);
/* The guest writes page p: logged when logging is on. */
void fake_kvm_write(uint64_t p);
bool fake_kvm_logged(uint64_t p);
/* A shared clock for ordering the test's events with the fake's. */
uint64_t fake_kvm_tick(void);

#endif
