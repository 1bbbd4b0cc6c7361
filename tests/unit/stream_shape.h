/*
 * The HEADER a stream test writes: a RAM of ram_size bytes of page_size pages at the guest's RAM base,
 * nr_vcpus vCPUs, the backing and its page size, this build's stream and ABI versions. One definition for
 * every stream test, so a new header field is set in one place.
 */
#ifndef RVMIG_TEST_STREAM_SHAPE_H
#define RVMIG_TEST_STREAM_SHAPE_H

#include "mig/stream.h"
#include "rvmig_abi.h"

#define STREAM_TEST_SHAPE(page_size_, ram_size_, nr_vcpus_, backing_, backing_page_size_)         \
	{                                                                                         \
		.version = STREAM_VERSION, .page_size = (page_size_), .ram_base = RVMIG_RAM_BASE, \
		.ram_size = (ram_size_), .nr_vcpus = (nr_vcpus_), .backing = (backing_),          \
		.backing_page_size = (backing_page_size_), .abi_version = RVMIG_ABI_VERSION,      \
	}

#endif
