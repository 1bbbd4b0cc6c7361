/* SPDX-License-Identifier: MIT */
/* RISC-V helpers the guest needs: the time CSR, fences, volatile access, a spinlock. */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#define READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))

/* The "memory" clobber keeps the compiler from moving the timed store across the read. */
static inline uint64_t rdtime(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t) : : "memory");
	return t;
}

/* Orders this hart's stores against each other (the seqcount's `fence w,w`). */
static inline void fence_w_w(void)
{
	__asm__ volatile("fence w,w" : : : "memory");
}
/* Orders later loads after earlier loads (reading another hart's published flags). */
static inline void fence_r_r(void)
{
	__asm__ volatile("fence r,r" : : : "memory");
}
static inline void fence_rw_rw(void)
{
	__asm__ volatile("fence rw,rw" : : : "memory");
}
static inline void cpu_relax(void)
{
	__asm__ volatile("nop" : : : "memory");
}

#define csr_read(csr)                                          \
	({                                                     \
		uint64_t v_;                                   \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_)); \
		v_;                                            \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")

/* A test-and-set lock (amoswap.w.aq / sw .rl); the guest has no interrupts, so nothing to mask. */
typedef struct {
	uint32_t locked;
} spinlock_t;

static inline bool spin_trylock(spinlock_t *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(spinlock_t *l)
{
	while (!spin_trylock(l))
		while (READ_ONCE(l->locked))
			cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif /* GUEST_ARCH_H */
