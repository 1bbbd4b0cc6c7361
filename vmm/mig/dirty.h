/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page tracking for migration, one mode per KVM interface, behind one small ops table:
 *   get              KVM_GET_DIRTY_LOG, which clears (and re-protects) as it reads
 *   manual           KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: enabling logging write-protects (and with
 *                    eager split, splits) the whole slot; GET, then KVM_CLEAR_DIRTY_LOG per chunk
 *   manual-init-set  the same with KVM_DIRTY_LOG_INITIALLY_SET: nothing at enable time, every page
 *                    starts dirty, each CLEAR write-protects (and splits) only its range
 *   ring             KVM_CAP_DIRTY_LOG_RING_ACQ_REL: per-vCPU rings harvested by the VMM
 * Every mode folds what KVM reports into one bitmap, d->bitmap, of pages still to send. That bitmap
 * has one owner, the migration loop: a page's bit is cleared only once the page went out, so a failed
 * send never loses a dirty page.
 */
#ifndef RVMIG_DIRTY_H
#define RVMIG_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "mig/dirty_mode.h"
#include "rvmig_abi.h"

struct machine;
struct vcpu;
struct kvm_dirty_gfn;
struct dirty;

/* Harvest timings and counts, cumulative; the migration loop takes differences per round. */
struct dirty_stats {
	uint64_t enable_ns;        /* memslot update that switched logging on                 */
	uint64_t get_ns, gets;     /* KVM_GET_DIRTY_LOG                                       */
	uint64_t clear_ns, clears; /* KVM_CLEAR_DIRTY_LOG (one per chunk cleared)             */
	uint64_t ring_ns, ring_harvests, ring_entries, ring_resets; /* collect + RESET_DIRTY_RINGS */
	uint64_t harvested; /* pages newly set in the bitmap by harvests                */
};

struct dirty_ops {
	const char *name;
	int (*setup_vm)(struct dirty *d); /* after KVM_CREATE_VM, before any vCPU */
	int (*setup_vcpu)(struct dirty *d, struct vcpu *v);
	int (*start)(struct dirty *d);                         /* logging on                           */
	int (*harvest)(struct dirty *d);                       /* fold KVM's dirty pages into bitmap   */
	int (*prepare_chunk)(struct dirty *d, uint64_t chunk); /* before any page of it is sent */
};

struct dirty {
	enum dirty_mode mode;
	const struct dirty_ops *ops;
	struct machine *m;
	uint32_t slot;
	uint64_t npages;
	uint64_t *bitmap;  /* pages still to send (the one owner: the migration loop)  */
	uint64_t *scratch; /* KVM_GET_DIRTY_LOG target                                 */
	uint64_t chunk_pages, nchunks;
	uint64_t *clear_pending; /* bit per chunk: KVM holds bits there not yet CLEARed      */
	uint32_t ring_entries;   /* per vCPU, power of two                                   */
	struct kvm_dirty_gfn *rings[RVMIG_MAX_VCPUS];
	uint32_t ring_fetch[RVMIG_MAX_VCPUS];
	bool logging;
	struct dirty_stats st;
};

/* Allocates bitmaps; no KVM calls. chunk_bytes is --clear-chunk, ring_entries --ring-size. */
int dirty_init(struct dirty *d, enum dirty_mode mode, struct machine *m, uint32_t slot, uint64_t slot_bytes,
	       uint64_t chunk_bytes, uint32_t ring_entries);
void dirty_free(struct dirty *d);
/* The hooks; each returns 0 or -errno with a message already printed. */
int dirty_setup_vm(struct dirty *d);
int dirty_setup_vcpu(struct dirty *d, struct vcpu *v);
int dirty_start(struct dirty *d);
int dirty_harvest(struct dirty *d);
int dirty_prepare_chunk(struct dirty *d, uint64_t chunk);
/* Logging off again (source resumes after a failed migration). */
int dirty_stop(struct dirty *d);
/* Ring mode: a vCPU waits in KVM_EXIT_DIRTY_RING_FULL; harvest soon. */
bool dirty_ring_wanted(struct dirty *d);
#endif
