/* SPDX-License-Identifier: MIT */
/* The guest image's header (struct rvmig_image_header): is this a guest of our ABI? (pure, host-tested) */
#ifndef RVMIG_GUEST_IMAGE_H
#define RVMIG_GUEST_IMAGE_H

#include <stddef.h>

/*
 * 0 when image[0..len) starts with an rvmig image header of RVMIG_ABI_VERSION; else -1 with a
 * one-line reason and hint in err ("has no rvmig image header: ...", "is a guest of rvmig ABI 1, ...").
 */
int guest_image_check(const void *image, size_t len, char *err, size_t errlen);

#endif
