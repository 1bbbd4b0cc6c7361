/* SPDX-License-Identifier: MIT */
/*
 * One round's page loop: every page whose bit is set in the dirty bitmap goes out in batches, each
 * chunk CLEARed (dirty_prepare_chunk) just before its first page, and a page's bit is cleared only
 * once its batch was sent, so a failed send never loses a dirty page. The link itself (stream,
 * throttle, mid-round harvest) is the caller's, through send_ops. Host-tested with a fake of KVM's
 * dirty log (tests/unit/fake_kvm.c).
 */
#ifndef RVMIG_SEND_H
#define RVMIG_SEND_H

#include <stdint.h>

struct dirty;

struct send_ops {
	/* Writes the batch idx[0..n) to the link: 0, or -errno and the pages stay dirty. */
	int (*send)(void *arg, const uint64_t *idx, uint32_t n);
	/* After the batch's bits were cleared (a harvest here may set them again): 0 or -errno. */
	int (*sent)(void *arg, uint32_t n);
	/* The CLEAR of chunk failed with rc; none of the chunk's pages was sent. */
	void (*clear_failed)(void *arg, uint64_t chunk, int rc);
};

/* 0 when every dirty page went out; else the first failure's -errno (the loop stops there). */
int send_dirty_pages(struct dirty *d, const struct send_ops *ops, void *arg);

#endif
