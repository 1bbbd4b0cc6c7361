/* SPDX-License-Identifier: MIT */
/*
 * The rvmig migration stream: a versioned, self-checking record format carried over a file descriptor
 * (a TCP/UNIX socket or a pipe) or, for a local migration, through a shared-memory ring
 * (mig/shm_link.h, stream_writer_use_shm), with a small buffered writer and reader. stream.c has the format
 * checks, stream_io.c the buffered I/O, stream_write.c and stream_read.c the records; the hashes
 * (record checksum and RAM blocks) are Debian's xxHash through lib/hash.h.
 *
 * Wire format, version 3 (all integers fixed-width little endian, whatever the host):
 *
 *   preamble   "RVMIGSTR" | u32 version (3) | u32 reserved (0)                         16 bytes
 *   records    u32 tag | u32 len | payload[len] | u64 XXH64(tag, len, payload; seed 0)
 *              tag = STREAM_TAG_BASE | type, so a desynchronised reader says so at once
 *
 *   HEADER     u32 page_size | u32 nr_vcpus | u64 ram_base | u64 ram_size | u32 backing
 *              | u32 abi_version | u64 backing_page_size | u64 flags                   48 bytes
 *              flags: bit 0 NO_VERIFY (the source sends no HASHES: --verify none), bit 1 LINUX (the
 *              guest is a Linux kernel, not the bare-metal rvmig guest: no control block in its RAM;
 *              added within version 2: a bare-metal stream is byte for byte what it was, and a reader
 *              from before refuses a Linux stream by its flag), every other bit 0
 *   BATCH      u64 round | u32 count | u32 reserved (0)
 *              | count x { u64 page index | u32 flags }
 *              | page_size data bytes of each page that is not ZERO, in entry order
 *              page flags: bit 0 ZERO, every other bit 0; a page index at most once per batch
 *   VCPU       u32 vcpu id | u32 nregs | nregs x { u64 ONE_REG id | u32 size | size value bytes }
 *   HASHES     u64 block_size | u64 first block | u32 count | u32 reserved (0) | count x u64 XXH64
 *   ROUND_END  u64 round | u64 pages sent in the round
 *   END        u64 pages | u64 zero pages | u64 stream bytes before this record
 *   ABORT      reason bytes (no NUL)
 *   VERIFIED   u64 destination hash pass ns | u64 verification wait ns (vCPU state in -> check done);
 *              the destination's reply, sent right after it resumed the guest (its "resumed" mark)
 *
 * Version 1 had a u32 zlib crc32 where version 2 has the u64 XXH64, and left the reserved fields
 * unchecked. Version 2 interleaved each page's entry with its data; version 3 puts all entries first
 * so that a destination knows where every page of a batch goes (and has checked every index and flag)
 * before the first data byte arrives: it can then read the data straight into guest RAM with one
 * readv, physically contiguous pages as one stretch (stream_reader_land), instead of into a buffer
 * and copying it from there. The batch's length and checksum cover the same bytes as in version 2,
 * only in another order. Versions 1 and 2 are refused naming both versions. Every reserved field and
 * flag bit must be 0: the reader rejects anything else, so a later version can give them a meaning
 * and be told apart.
 *
 * The preamble is outside any record so that the magic and the version are checked before anything
 * version-dependent is parsed. Every record has a 64-bit XXH64 over its tag, length and payload
 * (XXH64 because it runs near memcpy speed under the lab's TCG, where zlib crc32 capped the stream at
 * 14-30 % of it); a batch's checksum thus covers its round, count, indices, flags and data. A stream is:
 * preamble, HEADER, then any number of rounds (BATCHes of one round number, then that round's
 * ROUND_END; round numbers strictly increase), VCPU and HASHES records, and finally END. Either side
 * may send ABORT (after a preamble) at any point instead of going on; a reply channel is a stream of its
 * own with its own preamble and HEADER (the receiver's shape). Reader errors name the record (number,
 * type) and its stream offset: "record #7 (batch) at byte 1234: ...".
 *
 * Errors: functions return 0 or a negative errno and leave a precise message in w->err / r->err:
 *   -EPIPE            peer closed (mid-record or before END)
 *   -EBADMSG          malformed data (magic, checksum, reserved bits, bounds, totals, record order)
 *   -EPROTONOSUPPORT  stream version this build does not read
 *   -ECANCELED        the peer sent ABORT (reason in r->abort_reason)
 *   -ETIMEDOUT        no progress for timeout_ms (when set)
 *   -EINVAL           caller error (bad argument, record out of order on the writer side)
 *   other            I/O errors from read/write/poll
 * Writer errors are sticky: after one, every call returns it again (the stream is unusable). Nothing
 * here exits or raises: the migration loop must be able to abort and resume the guest.
 *
 * Writing to a pipe whose reader is gone raises SIGPIPE; sockets are written with MSG_NOSIGNAL, but a
 * process writing streams to pipes should ignore SIGPIPE.
 */
#ifndef RVMIG_STREAM_H
#define RVMIG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/hash.h"

#define STREAM_MAGIC         "RVMIGSTR"
#define STREAM_VERSION       3
#define STREAM_PREAMBLE_LEN  16
#define STREAM_TAG_BASE      0x524d0000u /* "RM" in the high half of the tag */
#define STREAM_BATCH_MAX     512         /* pages per batch                                  */
#define STREAM_VCPU_MAX_REGS 1024
#define STREAM_REG_MAX       256   /* bytes per register (vector registers)            */
#define STREAM_HASHES_MAX    65536 /* hashes per HASHES record (writer splits)         */
#define STREAM_REASON_MAX    1024
#define STREAM_MAX_VCPUS     256
#define STREAM_PAGE_ZERO     1u /* batch page flag: all-zero page, no data follows   */
#define STREAM_ERR_LEN       256

enum stream_rec_type {
	STREAM_REC_HEADER = 1,
	STREAM_REC_BATCH = 2,
	STREAM_REC_VCPU = 3,
	STREAM_REC_HASHES = 4,
	STREAM_REC_ROUND_END = 5,
	STREAM_REC_END = 6,
	STREAM_REC_ABORT = 7,
	STREAM_REC_VERIFIED = 8,
};
#define STREAM_REC_LAST      STREAM_REC_VERIFIED
#define STREAM_HDR_NO_VERIFY 1ull /* HEADER flag: no RAM hash check (--verify none) */
#define STREAM_HDR_LINUX     2ull /* HEADER flag: the guest is Linux (--kernel)     */
#define STREAM_HDR_FLAGS     (STREAM_HDR_NO_VERIFY | STREAM_HDR_LINUX)

enum stream_backing {
	STREAM_BACKING_ANON = 0,
	STREAM_BACKING_THP = 1,
	STREAM_BACKING_HUGETLB_2M = 2,
	STREAM_BACKING_HUGETLB_1G = 3,
};

struct stream_header {
	uint32_t version; /* STREAM_VERSION; travels in the preamble          */
	uint32_t page_size;
	uint64_t ram_base; /* GPA                                              */
	uint64_t ram_size; /* bytes, a multiple of page_size                   */
	uint32_t nr_vcpus;
	uint32_t backing; /* enum stream_backing: informational, may differ  */
	uint64_t backing_page_size;
	uint32_t abi_version; /* RVMIG_ABI_VERSION of the guest                   */
	uint64_t flags;       /* STREAM_HDR_*; not part of the shape              */
};

/* One ONE_REG value. Encoding: value points at the caller's bytes; decoding: into the reader. */
struct stream_reg {
	uint64_t id;
	uint32_t size; /* 1..STREAM_REG_MAX */
	const void *value;
};

/*
 * A decoded page of a batch: data is NULL for a zero page, else page_size bytes inside the reader or,
 * for a landed batch, the page's place in the landing area (where its bytes already are).
 */
struct stream_page {
	uint64_t index; /* (GPA - ram_base) / page_size */
	uint32_t flags;
	const uint8_t *data;
};

struct stream_batch {
	uint64_t round;
	uint32_t count;
	/*
	 * landed: the reader put the whole batch into its landing area already (data read there, zero
	 * pages cleared once the checksum passed): there is nothing left to apply, and stream_batch_apply
	 * does nothing with it.
	 */
	bool landed;
	const struct stream_page *pages;
};

struct stream_vcpu {
	uint32_t id;
	uint32_t nregs;
	const struct stream_reg *regs;
};

struct stream_hashes {
	uint64_t block_size;
	uint64_t first; /* index of hashes[0] among the RAM's blocks */
	uint32_t count;
	const uint64_t *hashes;
};

/* The destination's verification figures (VERIFIED), 0 when it did not verify. */
struct stream_verified {
	uint64_t hash_ns; /* its RAM hash pass                                            */
	uint64_t wait_ns; /* vCPU state arrived -> comparison done: the check's share of the pause */
};

struct stream_totals {
	uint64_t pages; /* pages in all batches, zero pages included */
	uint64_t zero_pages;
	uint64_t bytes; /* stream bytes before the END record, preamble included */
};

/* What stream_next() decoded. Pointers stay valid until the next call on the reader. */
struct stream_record {
	enum stream_rec_type type;
	uint64_t seq; /* 1-based record number in the stream (HEADER = 1) */
	union {
		struct stream_batch batch;
		struct stream_vcpu vcpu;
		struct stream_hashes hashes;
		struct {
			uint64_t round, pages;
		} round_end;
		struct stream_totals end;
		struct stream_verified verified;
	} u;
};

/* Round order, kept alike by writer and reader (stream_round_step). */
struct stream_rounds {
	bool open; /* a BATCH came, its ROUND_END not yet                   */
	bool any_ended;
	uint64_t cur, pages; /* the open round, and its pages so far                  */
	uint64_t last;       /* the last round that ended                             */
};

/* Where a writer's time went, ns, cumulative (a caller takes differences, e.g. per round). */
struct stream_wstats {
	uint64_t zero_ns;      /* zero-page detection of batches                                          */
	uint64_t copy_ns;      /* encoding: the copy into the buffer and the checksum (zero copy: checksum) */
	uint64_t send_ns;      /* in write/send/sendmsg, and waiting for the fd to take more; with a sender
				* thread, waiting for it: the share of the sending encoding did not hide */
	uint64_t short_writes; /* writes that took only part of what was offered (the rest resumed) */
};

/* Where a reader's time went, ns, cumulative (stream_next only; the header's read is not in it). */
struct stream_rstats {
	uint64_t read_ns;  /* in read(), and waiting for the fd to have bytes: the link's share        */
	uint64_t check_ns; /* the record checksum, bounds, order and decode: ours                      */
};

/* Gather-list entries a zero-copy writer holds: a full batch needs at most 1 per page (neighbouring
 * pages share one) plus the framing; the writer flushes early if a list would not fit. */
#define STREAM_IOV_MAX (2 * STREAM_BATCH_MAX + 8)

struct stream_sender;  /* stream_sender.c: the writer's sender thread  */
struct stream_checker; /* stream_checker.c: the reader's checker thread */
struct shm_link;

struct stream_writer {
	int fd;
	bool is_sock;
	/* Not NULL: the bytes go into this shared-memory ring instead (fd stays: its hang-up says the
	 * reader's process is gone); see stream_writer_use_shm. */
	struct shm_link *shm;
	int timeout_ms; /* <= 0: wait forever */
	int error;      /* sticky negative errno */
	uint8_t *buf;
	size_t len, cap;
	/*
	 * zero_copy: batch pages go out from the caller's RAM through the gather list (iov) instead of
	 * being copied into buf, and the checksum is computed over that RAM. Only for RAM nobody writes
	 * until it is out: until the batch call returns, or with a sender thread until
	 * stream_writer_drain returns (stop-and-copy: the vCPUs are paused); see stream_write_batch.
	 * iov holds the pending output in order: stretches of buf (from seg_off on, not yet closed) and
	 * references to RAM; stream_flush writes them with writev/sendmsg, resuming partial writes, or
	 * hands them (buf and iov together) to the sender thread and goes on with its spare pair.
	 */
	bool zero_copy;
	struct iovec *iov;
	size_t niov, seg_off;
	struct stream_wstats t;
	struct stream_sender *sender; /* NULL: stream_flush writes on the caller's thread */
	uint64_t bytes;               /* emitted so far, buffered included */
	XXH64_state_t csum;           /* of the record being written */
	uint64_t rec_start, rec_len;  /* where the record being written starts, its payload length */
	uint64_t seq;
	bool preamble_sent, header_sent, ended;
	uint32_t page_size;
	uint64_t ram_pages;
	uint32_t nr_vcpus;
	struct stream_rounds rounds;
	struct stream_totals totals;
	char err[STREAM_ERR_LEN];
};

struct stream_reader {
	int fd;
	int timeout_ms;       /* <= 0: wait forever */
	struct shm_link *shm; /* not NULL: bytes come from this ring, fd is only the liveness check */
	uint8_t *buf;         /* read-ahead */
	size_t pos, len, cap;
	uint8_t *rec; /* payload of the current record */
	size_t rec_cap;
	uint64_t bytes;     /* consumed so far */
	uint64_t rec_start; /* stream offset of the current record */
	uint64_t seq;
	bool header_done, ended;
	struct stream_header hdr; /* the sender's, once read */
	uint64_t ram_pages;
	struct stream_page *pages;                  /* STREAM_BATCH_MAX */
	struct stream_reg *regs;                    /* STREAM_VCPU_MAX_REGS */
	uint64_t *hashes;                           /* STREAM_HASHES_MAX */
	uint64_t vcpus_seen[STREAM_MAX_VCPUS / 64]; /* bit per vCPU id: a second state for a vCPU is an error */
	struct stream_rounds rounds;
	struct stream_totals totals;
	struct stream_rstats t;
	/* The landing area (stream_reader_land): guest RAM batches are read into; base NULL: none. */
	struct {
		uint8_t *base;
		uint64_t size;
		struct iovec *iov; /* STREAM_BATCH_MAX + 1: a batch's stretches of RAM and the read-ahead */
	} land;
	struct stream_checker *checker; /* NULL: a landed batch's checksum is checked as it lands */
	char abort_reason[STREAM_REASON_MAX + 1];
	char err[STREAM_ERR_LEN];
};

/* ---- little-endian field helpers (also for tests that forge records) ---- */
static inline void stream_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void stream_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t stream_get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t stream_get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Wire bytes of `pages` non-zero pages sent in full batches: per page its data and its 12-byte entry
 * (index, flags), per batch of STREAM_BATCH_MAX the record framing (tag, len, checksum: 16) and the
 * batch header (16). A zero page costs only its entry, so for RAM with zero pages this is an upper bound.
 * The unit of the migration's measured bandwidth (stream bytes per second).
 */
#define STREAM_REC_FRAMING 16
#define STREAM_BATCH_HDR   16
#define STREAM_PAGE_ENTRY  12
static inline uint64_t stream_pages_wire_bytes(uint64_t pages, uint32_t page_size)
{
	uint64_t batches = (pages + STREAM_BATCH_MAX - 1) / STREAM_BATCH_MAX;

	return pages * ((uint64_t)page_size + STREAM_PAGE_ENTRY) + batches * (STREAM_REC_FRAMING + STREAM_BATCH_HDR);
}

/* ---- names ---- */
const char *stream_backing_name(uint32_t backing); /* "anon", "thp", "hugetlb-2M", ... */
int stream_backing_parse(const char *name, uint32_t *backing);
const char *stream_rec_name(uint32_t type); /* "batch", ...; "unknown" */

/* ---- shape check ---- */
/*
 * Compares the receiver's shape (want) with the sender's (got). Returns 0 when migration can go on,
 * else -EINVAL with every mismatch in why, e.g. "RAM size differs: sender 1073741824, receiver
 * 536870912". Version, page size, RAM base, RAM size, vCPU count and guest ABI must match; the backing
 * is a host-side choice and may differ.
 */
int stream_check_header(const struct stream_header *want, const struct stream_header *got, char *why, size_t len);

/* ---- writer ---- */
int stream_writer_init(struct stream_writer *w, int fd); /* -ENOMEM */
void stream_writer_free(struct stream_writer *w);        /* does not close fd */
/*
 * Sends what is buffered. Without a sender thread: written before it returns. With one: waits until the
 * sender wrote the previous flush (that wait is send_ns), hands it this one and returns.
 */
int stream_flush(struct stream_writer *w);
/*
 * Pipelining, source side: a sender thread writes each flushed gather list while the caller encodes,
 * zero-checks and checksums the next batch into a second buffer and gather list (double buffering).
 * The zero-copy promise then lasts longer: RAM referenced by a zero-copy batch must stay still until
 * stream_writer_drain returns, not only until the batch call does. A sender's failure is sticky and
 * comes back, with its message, from the next writer call. stream_writer_free stops the thread.
 * 0, or -errno with the message in w->err (the writer then keeps writing on the caller's thread).
 */
int stream_writer_start_sender(struct stream_writer *w);
/*
 * Waits until everything stream_flush handed to the sender thread is written (or failed): after it,
 * no RAM is referenced. What is still buffered stays buffered. Returns the writer's error, a sender
 * failure included; without a sender thread, just that.
 */
int stream_writer_drain(struct stream_writer *w);
/*
 * --pipeline: whether a command gives its stream the sender (source) or checker (destination) thread.
 * AUTO: with at least STREAM_PIPELINE_MIN_CPUS CPUs online. Why not always: the threads pay only where
 * there are CPUs to run them. A local migration already keeps two busy (the source's encoder, the
 * destination's reader), and on the lab's two harts the pipelined stop-and-copy round took 13 ms
 * against 6 ms without (median of 5 each, one boot; the default migration's downtime 47 vs 44 ms).
 */
enum stream_pipeline { STREAM_PIPELINE_AUTO = 0, STREAM_PIPELINE_ON = 1, STREAM_PIPELINE_OFF = 2 };
#define STREAM_PIPELINE_MIN_CPUS 4
bool stream_pipeline_wanted(enum stream_pipeline when);
/* "auto", "on", "off" -> enum stream_pipeline; -1 otherwise. */
int stream_pipeline_parse(const char *val);
const char *stream_pipeline_name(enum stream_pipeline when);
/*
 * From now on the stream's bytes go through the shared-memory ring `link` (mig/shm_link.h: a local
 * migration's other process, or another thread), not through fd; fd, if >= 0, stays the liveness
 * check (its hang-up is the reader's death: -EPIPE). NULL: back to fd. timeout_ms holds as for fd.
 */
void stream_writer_use_shm(struct stream_writer *w, struct shm_link *link);
/* Preamble + HEADER; fixes page size, RAM pages and vCPU count for what follows. Version is forced. */
int stream_write_header(struct stream_writer *w, const struct stream_header *h);
/*
 * One batch of `count` (1..STREAM_BATCH_MAX) pages of round `round`, page i's data read from
 * ram + idx[i] * page_size (ram = host mapping of guest RAM). All-zero pages go as ZERO markers.
 * Default (precopy): the guest may write the pages meanwhile, so each page is copied into the buffer
 * and the checksum computed over that copy: it covers the bytes actually sent. With w->zero_copy
 * (stop-and-copy, vCPUs paused: RAM cannot change) the pages are not copied: the checksum is computed
 * over RAM and the batch is written straight from it (writev/sendmsg): before the call returns, or with
 * a sender thread (stream_writer_start_sender) on that thread, while the caller encodes the next batch:
 * the pages must then stay still until stream_writer_drain returns. Precopy batches are copied into the
 * buffer and need no drain.
 */
int stream_write_batch(struct stream_writer *w, uint64_t round, const uint64_t *idx, uint32_t count, const void *ram);
/* Closes round `round` with the number of pages this writer sent in it; flushes (with a sender: hands over). */
int stream_write_round_end(struct stream_writer *w, uint64_t round);
int stream_write_vcpu(struct stream_writer *w, uint32_t vcpu_id, const struct stream_reg *regs, uint32_t nregs);
/* Hashes of blocks first..first+count-1, split into records of at most STREAM_HASHES_MAX. */
int stream_write_hashes(struct stream_writer *w, uint64_t block_size, uint64_t first, const uint64_t *hashes,
			size_t count);
/* END with this writer's totals; flushes and drains (the stream is over: its error is known here). */
int stream_write_end(struct stream_writer *w);
/* The destination's verification figures (reply stream, after it resumed the guest). Buffered. */
int stream_write_verified(struct stream_writer *w, const struct stream_verified *v);
/* ABORT with a reason (truncated to STREAM_REASON_MAX); writes the preamble first if needed; flushes, drains. */
int stream_write_abort(struct stream_writer *w, const char *reason);
/* The record checksum: XXH64 (seed 0) over the 8-byte tag and length, then the payload. */
uint64_t stream_record_checksum(const uint8_t head[8], const void *payload, size_t len);

/* Raw record (framing + checksum, no content checks): for tests that forge bad records. */
int stream_write_record(struct stream_writer *w, uint32_t type, const void *payload, uint32_t len);

/* ---- reader ---- */
int stream_reader_init(struct stream_reader *r, int fd); /* -ENOMEM */
void stream_reader_free(struct stream_reader *r);        /* does not close fd */
/* Makes r read a new stream from fd, keeping its buffers (and checker thread): for many short streams
 * (tests, fuzzing). Like a new reader it reads fd: an shm ring and a timeout must be set again. */
void stream_reader_reset(struct stream_reader *r, int fd);
/* Bytes come from the ring `link` instead of fd (which stays the liveness check); as the writer's. */
void stream_reader_use_shm(struct stream_reader *r, struct shm_link *link);
/* Reads and validates the preamble and HEADER into *h (no shape comparison: stream_check_header). */
int stream_read_header(struct stream_reader *r, struct stream_header *h);
/*
 * Reads, checks (checksum, bounds, reserved fields, order, totals) and decodes the next record. END is returned once with
 * its totals verified against what was received; ABORT returns -ECANCELED (rec->type = ABORT).
 */
int stream_next(struct stream_reader *r, struct stream_record *rec);
/*
 * Landing: from now on, BATCH records are read straight into ram (the host mapping of guest RAM, size
 * bytes, page i at ram + i * page size of the stream's HEADER), not into the reader's buffer. The batch
 * header and every page entry are read and checked first (count, reserved word, flags, each index
 * against the RAM's pages and against size, round order, the record's length), before a data byte is
 * read; then the data goes into the pages with readv (physically contiguous pages as one stretch;
 * bytes the read-ahead buffer already holds are copied, the rest is read in place), the checksum is
 * computed over what landed, and only once it matched are the batch's zero pages cleared. The decoded
 * batch says landed: the reader applied all of it (stream_batch_apply does nothing with it).
 *
 * SAFETY: page data is in guest RAM BEFORE its checksum is checked. That is safe only while nothing
 * runs on or trusts that RAM until the stream has ended well: the destination's vCPUs have not run yet,
 * and a failed check (any error from stream_next) aborts the migration: the destination VM is thrown
 * away and the source resumes its guest. A caller sets a landing area only under that condition (rvmig
 * recv does: see recv_conversation). ram NULL turns landing off. 0, or -EINVAL for a size of 0.
 * With a checker thread (stream_reader_start_checker) a landed batch is even returned BEFORE its
 * checksum is checked, and its zero pages are cleared later, by the checker, once it matched; the
 * condition above covers that too, with two more rules the reader keeps: a batch's failure comes back
 * from a later stream_next at the latest with the next non-BATCH record (ROUND_END, VCPU, HASHES, END,
 * ...), which is returned only once every batch before it was checked and applied, so a caller that
 * acts only on those (recv resumes after END) never acts on an unchecked batch; and no batch lands
 * on pages of the batch still being checked (it waits for the check first).
 */
int stream_reader_land(struct stream_reader *r, void *ram, uint64_t size);
/*
 * Pipelining, destination side: landed batches are checked (checksum, then the zero pages cleared) on
 * a checker thread while this thread reads the next batch into RAM; see stream_reader_land's SAFETY.
 * Only landed batches are checked there; stream_reader_free stops the thread, stream_reader_reset
 * keeps it. 0, or -errno with the message in r->err (the reader then checks on its own thread).
 */
int stream_reader_start_checker(struct stream_reader *r);
/*
 * Writes a decoded batch into guest RAM (host mapping): data copied, zero pages cleared. A landed
 * batch (b->landed) is already there: nothing is done.
 */
void stream_batch_apply(const struct stream_batch *b, void *ram, uint32_t page_size);

#endif /* RVMIG_STREAM_H */
