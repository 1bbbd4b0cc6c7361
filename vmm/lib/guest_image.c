/* SPDX-License-Identifier: MIT */
#include "lib/guest_image.h"

#include <stdio.h>
#include <string.h>

#include "rvmig_abi.h"

int guest_image_check(const void *image, size_t len, char *err, size_t errlen)
{
	struct rvmig_image_header h;

	if (len < sizeof(h)) {
		snprintf(err, errlen, "is %zu bytes, shorter than the %zu-byte rvmig image header: not an rvmig guest",
			 len, sizeof(h));
		return -1;
	}
	memcpy(&h, image, sizeof(h)); /* the image is a byte buffer: no alignment assumed */
	if (h.magic != RVMIG_IMAGE_MAGIC) {
		snprintf(err, errlen,
			 "has no rvmig image header: not an rvmig guest, or one built before ABI 2 (this VMM speaks "
			 "ABI %d); build the guest of the same tree (make guest)",
			 RVMIG_ABI_VERSION);
		return -1;
	}
	if (h.abi_version != RVMIG_ABI_VERSION) {
		snprintf(err, errlen,
			 "is a guest of rvmig ABI %u, this VMM speaks ABI %d: build guest and VMM from the same tree "
			 "(make guest)",
			 h.abi_version, RVMIG_ABI_VERSION);
		return -1;
	}
	return 0;
}
