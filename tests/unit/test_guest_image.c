/* SPDX-License-Identifier: MIT */
/* The guest image header check: our ABI passes; no header, another ABI and a short file are refused. */
#include <string.h>

#include "check.h"
#include "lib/guest_image.h"
#include "rvmig_abi.h"

int main(void)
{
	struct rvmig_image_header h = {
		.jump = 0x0200006f,
		.magic = RVMIG_IMAGE_MAGIC,
		.abi_version = RVMIG_ABI_VERSION,
		.header_size = sizeof(h),
	};
	unsigned char img[4096] = { 0 };
	char err[256] = "";

	memcpy(img, &h, sizeof(h));
	CHECK(guest_image_check(img, sizeof(img), err, sizeof(err)) == 0, "a guest of this ABI is accepted");
	CHECK(!memcmp(img + 8, "RVMIGIMG", 8), "the magic reads RVMIGIMG in the file");
	memset(img, 0, sizeof(h));
	CHECK(guest_image_check(img, sizeof(img), err, sizeof(err)) == -1 && strstr(err, "no rvmig image header") &&
		      strstr(err, "ABI 2") && strstr(err, "make guest") && !strchr(err, '\n'),
	      "no header (an ABI 1 guest, or not a guest): refused, one line with a hint: %s", err);
	h.abi_version = 1;
	memcpy(img, &h, sizeof(h));
	CHECK(guest_image_check(img, sizeof(img), err, sizeof(err)) == -1 &&
		      strstr(err, "rvmig ABI 1, this VMM speaks ABI 2"),
	      "another ABI version: refused, both versions named: %s", err);
	h.abi_version = RVMIG_ABI_VERSION;
	memcpy(img, &h, sizeof(h));
	CHECK(guest_image_check(img, 16, err, sizeof(err)) == -1 && strstr(err, "16 bytes"),
	      "an image shorter than the header: refused: %s", err);
	CHECK(guest_image_check(img + 1, sizeof(img) - 1, err, sizeof(err)) == -1,
	      "the header is read at offset 0 only");
	CHECK_DONE();
}
