/* SPDX-License-Identifier: MIT */
/*
 * A shared-memory link for a local migration: a single-producer single-consumer byte ring in a
 * MAP_SHARED | MAP_ANONYMOUS mapping, made before a fork so that parent and child (or two threads)
 * share it. Why: in the lab a unix socket moves ~300 MiB/s (the kernel's two copies and its skb work,
 * all emulated), a user-space memcpy ~2.5 GB/s; with the ring the bytes cross with one memcpy in and
 * one out, and no syscall while neither side has to wait.
 *
 * Semantics follow a connected socket's, so that the stream treats both alike:
 *   shm_link_write  writev-like, but all of it: copies every byte of the iovecs in, blocking while the
 *                   ring is full. 0, -EPIPE (the reader closed or its process is gone), -ETIMEDOUT.
 *   shm_link_read   readv-like: blocks while the ring is empty, then fills the iovecs with what is there
 *                   (> 0 bytes). -EPIPE once the writer closed (or died) and the ring is drained,
 *                   -ETIMEDOUT.
 * Waiting is futex-based (FUTEX_WAIT/FUTEX_WAKE on 32-bit sequence words), and a side only wakes the
 * other when that one said it sleeps. Peer death without a close: the caller passes a live_fd, its end
 * of the socket that stays the control channel; each wait is cut into slices of SHM_LINK_SLICE_MS and
 * between slices the socket is polled (no wait) for a hang-up. live_fd < 0: no such check (threads).
 * timeout_ms <= 0: no limit; else a wait that sees no progress for that long fails with -ETIMEDOUT.
 */
#ifndef RVMIG_SHM_LINK_H
#define RVMIG_SHM_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SHM_LINK_CAP      (8u << 20) /* the ring's bytes: a power of two, a multiple of the page size */
#define SHM_LINK_SLICE_MS 150        /* a wait's slice: how late a dead peer is noticed, at most      */

struct shm_link; /* lives at the start of its own shared mapping: the same pointer in both processes */

enum shm_side { SHM_WRITER, SHM_READER };

/* What each side did: for the tests (does a side really block?) and the curious. */
struct shm_link_stats {
	uint64_t bytes;  /* moved by this side                           */
	uint64_t sleeps; /* futex waits entered (the ring was full/empty) */
	uint64_t wakes;  /* FUTEX_WAKEs made because the other one slept  */
};

/*
 * A ring of cap bytes (a power of two >= the page size; 0: SHM_LINK_CAP). NULL with errno set and the
 * attempt in why (the mmap failed, or cap is bad: EINVAL).
 */
struct shm_link *shm_link_create(size_t cap, char *why, size_t len);
/* Unmaps this process's view (the other process keeps its own). NULL: nothing. */
void shm_link_destroy(struct shm_link *l);
size_t shm_link_capacity(const struct shm_link *l);

int shm_link_write(struct shm_link *l, const struct iovec *v, size_t n, int live_fd, int timeout_ms);
ssize_t shm_link_read(struct shm_link *l, const struct iovec *v, size_t n, int live_fd, int timeout_ms);
/* This side is done: the other one sees -EPIPE (a reader once it drained the ring), and is woken. */
void shm_link_close(struct shm_link *l, enum shm_side side);
struct shm_link_stats shm_link_stats(const struct shm_link *l, enum shm_side side);

#endif
