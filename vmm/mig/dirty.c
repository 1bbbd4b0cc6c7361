/* SPDX-License-Identifier: MIT */
/*
 * The four dirty-tracking modes. Each harvest folds what KVM reports into d->bitmap and is timed;
 * the manual modes defer KVM_CLEAR_DIRTY_LOG per chunk to just before the chunk is sent, as QEMU
 * does ("clearing it earlier won't be a problem, but too late will").
 */
#include "mig/dirty.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/machine.h"
#include "lib/bitmap.h"
#include "lib/err.h"
#include "mig/chunk.h"

static uint64_t dirty_elapsed(uint64_t t0)
{
	return machine_now_ns() - t0;
}

/* ---- shared steps --------------------------------------------------------------------------- */

/* Round 0 sends everything, whatever the mode: the bitmap starts all ones. */
static void dirty_mark_all(struct dirty *d)
{
	bitmap_set_range(d->bitmap, d->npages, 0, d->npages);
}

static int dirty_set_logging(struct dirty *d, bool on)
{
	uint64_t t0 = machine_now_ns();
	int r = vm_set_slot_flags(&d->m->vm, d->slot, on ? KVM_MEM_LOG_DIRTY_PAGES : 0);

	if (r == 0 && on)
		d->st.enable_ns = dirty_elapsed(t0);
	if (r == 0)
		d->logging = on;
	return r;
}

/* KVM_GET_DIRTY_LOG into scratch, folded into bitmap; chunks that got bits are marked for CLEAR. */
static int dirty_get_fold(struct dirty *d, bool mark_clear)
{
	uint64_t t0 = machine_now_ns();
	size_t words = bitmap_words(d->npages);
	int r;

	memset(d->scratch, 0, words * sizeof(uint64_t));
	r = vm_get_dirty_log(&d->m->vm, d->slot, d->scratch);
	d->st.get_ns += dirty_elapsed(t0);
	d->st.gets++;
	if (r < 0)
		return r;
	d->st.harvested += bitmap_or(d->bitmap, d->scratch, d->npages);
	if (!mark_clear)
		return 0;
	for (size_t w = 0; w < words; w++)
		if (d->scratch[w])
			bitmap_set(d->clear_pending, w * 64 / d->chunk_pages);
	return 0;
}

/* ---- get ------------------------------------------------------------------------------------ */

static int get_start(struct dirty *d)
{
	int r = dirty_set_logging(d, true);

	if (r == 0)
		dirty_mark_all(d);
	return r;
}

static int get_harvest(struct dirty *d)
{
	return dirty_get_fold(d, false);
}

/* ---- manual, manual-init-set ---------------------------------------------------------------- */

static int manual_start(struct dirty *d)
{
	uint64_t flags = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	bool init_set = d->mode == DIRTY_MANUAL_INIT_SET;
	int r;

	if (init_set)
		flags |= KVM_DIRTY_LOG_INITIALLY_SET;
	if ((d->m->vm.manual_protect & flags) != flags) {
		warn_msg("--dirty %s: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 offers 0x%x, need 0x%llx", d->ops->name,
			 d->m->vm.manual_protect, (unsigned long long)flags);
		return -EOPNOTSUPP;
	}
	r = vm_enable_manual_protect(&d->m->vm, flags);
	if (r == 0)
		r = dirty_set_logging(d, true);
	if (r)
		return r;
	dirty_mark_all(d);
	/* INITIALLY_SET: KVM's bitmap is all ones and nothing is write-protected yet; every chunk must
	 * be CLEARed (write-protected, and split) before its round-0 send. */
	if (init_set)
		bitmap_set_range(d->clear_pending, d->nchunks, 0, d->nchunks);
	return 0;
}

static int manual_harvest(struct dirty *d)
{
	return dirty_get_fold(d, true);
}

static int manual_prepare_chunk(struct dirty *d, uint64_t chunk)
{
	uint64_t first = chunk * d->chunk_pages, num = d->chunk_pages, t0;
	int r;

	if (!bitmap_test(d->clear_pending, chunk))
		return 0;
	if (first + num > d->npages)
		num = d->npages - first;
	/* Mask = the pages about to be sent (a superset of what KVM has set there): each is sent after
	 * this CLEAR, so a write that lands after it is logged again. */
	t0 = machine_now_ns();
	r = vm_clear_dirty_log(&d->m->vm, d->slot, first, (uint32_t)num, d->bitmap + first / 64);
	d->st.clear_ns += dirty_elapsed(t0);
	d->st.clears++;
	if (r < 0)
		return r;
	bitmap_clear(d->clear_pending, chunk);
	return 0;
}

/* ---- ring ----------------------------------------------------------------------------------- */

static int ring_setup_vm(struct dirty *d)
{
	uint64_t bytes = (uint64_t)d->ring_entries * sizeof(struct kvm_dirty_gfn);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL, .args = { bytes } };
	int max = kvm_ioctl(d->m->vm.vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
	int r;

	if (max <= 0) {
		warn_msg("--dirty ring: this KVM lacks KVM_CAP_DIRTY_LOG_RING_ACQ_REL");
		return -EOPNOTSUPP;
	}
	if (bytes > (uint64_t)max) {
		warn_msg("--ring-size %u: %llu bytes per vCPU, KVM allows at most %d", d->ring_entries,
			 (unsigned long long)bytes, max);
		return -EINVAL;
	}
	r = kvm_ioctl(d->m->vm.vm_fd, KVM_ENABLE_CAP, &cap);
	if (r < 0)
		warn_errno(r, "KVM_ENABLE_CAP KVM_CAP_DIRTY_LOG_RING_ACQ_REL %llu bytes (%u entries)",
			   (unsigned long long)bytes, d->ring_entries);
	return r;
}

static int ring_setup_vcpu(struct dirty *d, struct vcpu *v)
{
	size_t bytes = (size_t)d->ring_entries * sizeof(struct kvm_dirty_gfn);
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * page);

	if (p == MAP_FAILED) {
		int e = errno;

		warn_errno(e, "mmap dirty ring of vCPU %u (%zu bytes at page offset %d)", v->id, bytes,
			   KVM_DIRTY_LOG_PAGE_OFFSET);
		return -e;
	}
	d->rings[v->id] = p;
	d->ring_fetch[v->id] = 0;
	return 0;
}

static int ring_start(struct dirty *d)
{
	int r = dirty_set_logging(d, true);

	if (r == 0)
		dirty_mark_all(d);
	return r;
}

/* Collects one vCPU's published entries: acquire the flags, take slot/offset, release RESET. */
static uint64_t ring_collect(struct dirty *d, unsigned vcpu)
{
	struct kvm_dirty_gfn *ring = d->rings[vcpu];
	uint64_t n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &ring[d->ring_fetch[vcpu] & (d->ring_entries - 1)];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		/* slot = address space << 16 | slot id; one address space, one slot here. */
		if ((e->slot & 0xffff) == d->slot && e->offset < d->npages && !bitmap_test(d->bitmap, e->offset)) {
			bitmap_set(d->bitmap, e->offset);
			d->st.harvested++;
		}
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		d->ring_fetch[vcpu]++;
		n++;
	}
	return n;
}

static int ring_harvest(struct dirty *d)
{
	struct machine *m = d->m;
	uint64_t t0 = machine_now_ns(), n = 0;
	int r = 0;

	__atomic_store_n(&m->ring_full, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (d->rings[i])
			n += ring_collect(d, i);
	if (n) {
		/* Re-protects the collected pages; each is sent after this, so nothing is lost. */
		r = kvm_ioctl(m->vm.vm_fd, KVM_RESET_DIRTY_RINGS, NULL);
		if (r < 0)
			warn_errno(r, "KVM_RESET_DIRTY_RINGS after collecting %llu entries", (unsigned long long)n);
		else
			d->st.ring_resets += (uint64_t)r;
	}
	d->st.ring_ns += dirty_elapsed(t0);
	d->st.ring_harvests++;
	d->st.ring_entries += n;
	/* Wake vCPUs that waited in KVM_EXIT_DIRTY_RING_FULL. */
	pthread_mutex_lock(&m->lock);
	m->ring_harvests++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return r < 0 ? r : 0;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct dirty_ops dirty_ops_table[DIRTY_MODE_COUNT] = {
	[DIRTY_GET] = { .name = "get", .start = get_start, .harvest = get_harvest },
	[DIRTY_MANUAL] = { .name = "manual",
			   .start = manual_start,
			   .harvest = manual_harvest,
			   .prepare_chunk = manual_prepare_chunk },
	[DIRTY_MANUAL_INIT_SET] = { .name = "manual-init-set",
				    .start = manual_start,
				    .harvest = manual_harvest,
				    .prepare_chunk = manual_prepare_chunk },
	[DIRTY_RING] = { .name = "ring",
			 .setup_vm = ring_setup_vm,
			 .setup_vcpu = ring_setup_vcpu,
			 .start = ring_start,
			 .harvest = ring_harvest },
};

int dirty_init(struct dirty *d, enum dirty_mode mode, struct machine *m, uint32_t slot, uint64_t slot_bytes,
	       uint64_t chunk_bytes, uint32_t ring_entries)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->ops = &dirty_ops_table[mode];
	d->m = m;
	d->slot = slot;
	d->npages = slot_bytes / RVMIG_PAGE_SIZE;
	d->chunk_pages = chunk_pages_for(chunk_bytes, d->npages);
	d->nchunks = chunk_count(d->npages, d->chunk_pages);
	d->ring_entries = ring_entries;
	d->bitmap = calloc(bitmap_words(d->npages), sizeof(uint64_t));
	d->scratch = calloc(bitmap_words(d->npages), sizeof(uint64_t));
	d->clear_pending = calloc(bitmap_words(d->nchunks), sizeof(uint64_t));
	if (!d->bitmap || !d->scratch || !d->clear_pending) {
		dirty_free(d);
		return -ENOMEM;
	}
	return 0;
}

void dirty_free(struct dirty *d)
{
	for (unsigned i = 0; i < RVMIG_MAX_VCPUS; i++)
		if (d->rings[i])
			munmap(d->rings[i], (size_t)d->ring_entries * sizeof(struct kvm_dirty_gfn));
	free(d->bitmap);
	free(d->scratch);
	free(d->clear_pending);
	d->bitmap = d->scratch = d->clear_pending = NULL;
}

int dirty_setup_vm(struct dirty *d)
{
	return d->ops->setup_vm ? d->ops->setup_vm(d) : 0;
}

int dirty_setup_vcpu(struct dirty *d, struct vcpu *v)
{
	return d->ops->setup_vcpu ? d->ops->setup_vcpu(d, v) : 0;
}

int dirty_start(struct dirty *d)
{
	return d->ops->start(d);
}

int dirty_harvest(struct dirty *d)
{
	return d->ops->harvest(d);
}

int dirty_prepare_chunk(struct dirty *d, uint64_t chunk)
{
	return d->ops->prepare_chunk ? d->ops->prepare_chunk(d, chunk) : 0;
}

int dirty_stop(struct dirty *d)
{
	return d->logging ? dirty_set_logging(d, false) : 0;
}

bool dirty_ring_wanted(struct dirty *d)
{
	return d->mode == DIRTY_RING && __atomic_load_n(&d->m->ring_full, __ATOMIC_SEQ_CST);
}
