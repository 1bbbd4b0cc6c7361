/* SPDX-License-Identifier: MIT */
/*
 * A RISC-V Linux `Image` and its initrd in guest RAM: the header checked, the places chosen, the
 * bytes copied (Documentation/arch/riscv/boot-image-header.rst). Pure (files and a RAM buffer, no
 * KVM): host-tested, and the same code runs in the VMM.
 */
#ifndef RVMIG_LINUX_IMAGE_H
#define RVMIG_LINUX_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define LINUX_IMAGE_HDR_SIZE 64
#define LINUX_IMAGE_MAGIC    "RISCV\0\0\0" /* at 0x30, 8 bytes (deprecated, still written)  */
#define LINUX_IMAGE_MAGIC2   "RSC\x05"     /* at 0x38, 4 bytes                               */
#define LINUX_KERNEL_ALIGN   (2ULL << 20)  /* RV64 maps the kernel with 2M pages             */
#define LINUX_INITRD_ALIGN   4096ULL
#define LINUX_FDT_ALIGN      (2ULL << 20)  /* the early fixmap maps the DTB's 2M block       */
#define LINUX_FDT_MAX        (64ULL << 10) /* room for the device tree                       */

struct linux_image_hdr {
	uint64_t text_offset; /* load offset from the start of RAM                              */
	uint64_t image_size;  /* bytes the kernel occupies once running (bss included); 0 = unknown */
	uint32_t version;     /* major << 16 | minor                                             */
};

/* Where everything goes in guest RAM (guest physical addresses). */
struct linux_layout {
	uint64_t kernel_gpa, kernel_end;  /* kernel_end: load address + max(image_size, file size) */
	uint64_t initrd_gpa, initrd_size; /* initrd_size 0 = none                                   */
	uint64_t fdt_gpa;                 /* LINUX_FDT_MAX bytes from here                         */
};

/*
 * Checks the 64-byte header at buf (len bytes of the file, len >= the file's size or >= 64) and fills
 * h. 0, or -1 with one line in err naming what is wrong.
 */
int linux_image_parse(const void *buf, size_t len, struct linux_image_hdr *h, char *err, size_t errlen);

/*
 * Places the kernel (RAM base + text_offset, 2M aligned), the device tree (the last 2M block of RAM)
 * and the initrd (4K aligned, right below the device tree) in RAM of ram_size bytes at ram_base.
 * 0, or -1 with one line in err saying what does not fit and how much RAM would.
 */
int linux_layout_plan(uint64_t ram_base, uint64_t ram_size, const struct linux_image_hdr *h, uint64_t file_size,
		      uint64_t initrd_size, struct linux_layout *l, char *err, size_t errlen);

/* What linux_load returns: 0, or the exit status its message (in err) calls for. */
enum linux_load_result {
	LINUX_LOAD_OK = 0,
	LINUX_LOAD_FAIL = 1,  /* reading a file failed                                            */
	LINUX_LOAD_USAGE = 2, /* the user's files or --mem do not make a bootable guest            */
};

/*
 * Reads the Image at kernel (and the initrd at initrd, NULL = none), checks and places them
 * (linux_image_parse, linux_layout_plan) and copies them into ram (ram_size bytes, guest physical
 * ram_base). The device tree is the caller's, at l->fdt_gpa.
 */
enum linux_load_result linux_load(const char *kernel, const char *initrd, void *ram, uint64_t ram_base,
				  uint64_t ram_size, struct linux_layout *l, char *err, size_t errlen);

#endif
