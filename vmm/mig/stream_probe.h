/* SPDX-License-Identifier: MIT */
/*
 * The stop-and-copy stream's speed, alone: len bytes of src go through a socketpair as one round of
 * BATCH records, written as stop-and-copy writes them (zero copy, the checksum over the source) and
 * read, checked and landed into dst by a second thread, as the destination does (stream_reader_land).
 * In the same call and on the same two buffers, for scale: memcpy src -> dst, XXH64 over src, and the
 * same bytes through a socketpair without records (writer -> reader thread, 1 MiB reads and writes:
 * the socket's ceiling) and through the shm ring a `--to local --link shm` migration uses, also without
 * records (the ring's ceiling: the writer's copy in and the reader's copy out). The stream runs three
 * times: one thread per side, pipelined (the writer's sender thread and the reader's checker thread as
 * well: four threads on the lab's two harts), and once more through the shm ring. No KVM; for the bench
 * report's "stream against memcpy, the socket alone, the ring alone and the hash alone" and for the
 * host tests. Why the buffers matter: under QEMU TCG, memcpy between two page-aligned mappings whose
 * pages are congruent modulo the softmmu TLB size runs a tenth as fast as between two malloc'd buffers,
 * so a memcpy figure is only comparable over the same buffers.
 */
#ifndef RVMIG_STREAM_PROBE_H
#define RVMIG_STREAM_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* Wall time of each probe, ns. */
struct stream_probe_ns {
	uint64_t memcpy_ns;      /* memcpy(dst, src, len)                                              */
	uint64_t xxh64_ns;       /* XXH64 over src: the record checksum alone                          */
	uint64_t socket_ns;      /* src -> dst through a socketpair, no records: first write -> last read */
	uint64_t ring_ns;        /* src -> dst through the shm ring, no records: first write -> last read */
	uint64_t stream_ns;      /* the stream: first byte written -> dst holds the last page (END read) */
	uint64_t stream_pipe_ns; /* the same, pipelined: a sender thread and a checker thread too     */
	/* the same stream through the shared-memory ring (mig/shm_link.h, `migrate --link shm`) instead of
	 * the socketpair: same writer, same landing reader, same two threads */
	uint64_t shm_stream_ns;
};

/*
 * len: a non-zero multiple of 4096. dst ends up holding src (the stream's work: it is cleared before the
 * stream runs). 0, or -errno with what failed in err (the last failure's). Each figure stands alone: a
 * probe that failed leaves its time 0; a failure over the shm ring (its own mapping, say), of the ring alone
 * or of the stream over it, does not stop the other probes.
 */
int stream_probe(const void *src, void *dst, size_t len, struct stream_probe_ns *t, char *err, size_t errlen);

#endif
