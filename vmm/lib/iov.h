/* SPDX-License-Identifier: MIT */
/*
 * Partial writes of a gather list: writev/sendmsg may take fewer bytes than the iovecs hold (a full
 * socket buffer, a signal, MSG_DONTWAIT); the caller drops what went out and writes the rest.
 */
#ifndef RVMIG_IOV_H
#define RVMIG_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/*
 * Drops the first `done` bytes from iov[0..n): entries written whole are skipped, a partly written one
 * is trimmed in place (its base moves on, its length shrinks). Returns the entries left and moves
 * *iov to the first of them. `done` must not exceed the bytes the list holds.
 */
size_t iov_advance(struct iovec **iov, size_t n, size_t done);
/* Bytes in iov[0..n). */
size_t iov_bytes(const struct iovec *iov, size_t n);

#endif
