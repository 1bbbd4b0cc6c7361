// SPDX-License-Identifier: MIT
/*
 * The image header (struct rvmig_image_header), first in the image (guest.ld): the VMM reads the
 * guest's ABI version from the file before it runs it; the CPU jumps over it to _start.
 */
#include "rvmig_abi.h"

/* `jal x0, 32` (`j . + 32`): J-type, imm[10:1] = 16 in bits 30:21, rd = 0, opcode 0x6f. */
#define JUMP_OVER_HEADER 0x0200006fu

__attribute__((section(".rvmig_header"), used)) const struct rvmig_image_header rvmig_image_header = {
	.jump = JUMP_OVER_HEADER,
	.magic = RVMIG_IMAGE_MAGIC,
	.abi_version = RVMIG_ABI_VERSION,
	.header_size = sizeof(struct rvmig_image_header),
};
