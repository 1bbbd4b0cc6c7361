/* SPDX-License-Identifier: MIT */
/*
 * The Linux Image loader (vmm/core/linux_image.c): the header accepted and refused, the placement
 * of kernel, initrd and device tree in RAM, and whole loads of real files into a RAM buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/linux_image.h"
#include "rvmig_abi.h"

#define MIB (1ULL << 20)

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header as the 7.3.4 lab Image has it: text_offset 2M, image_size given, version 0.2. */
static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size)
{
	memset(h, 0, LINUX_IMAGE_HDR_SIZE);
	h[0] = 'M';
	h[1] = 'Z';
	put_le64(h + 0x08, text_offset);
	put_le64(h + 0x10, image_size);
	h[0x20] = 2; /* version 0.2, little endian u32 */
	memcpy(h + 0x30, LINUX_IMAGE_MAGIC, 8);
	memcpy(h + 0x38, LINUX_IMAGE_MAGIC2, 4);
}

static void test_parse(void)
{
	uint8_t h[LINUX_IMAGE_HDR_SIZE];
	struct linux_image_hdr hdr;
	char err[320];

	make_header(h, 2 * MIB, 0x5b1000);
	CHECK(linux_image_parse(h, sizeof(h), &hdr, err, sizeof(err)) == 0 && hdr.text_offset == 2 * MIB &&
		      hdr.image_size == 0x5b1000 && hdr.version == 2,
	      "a good header: text_offset, image_size and version read little endian");
	CHECK(linux_image_parse(h, 63, &hdr, err, sizeof(err)) == -1 && strstr(err, "63 bytes"),
	      "a file shorter than the header is refused: %s", err);
	h[0x38] = 'X';
	CHECK(linux_image_parse(h, sizeof(h), &hdr, err, sizeof(err)) == -1 && strstr(err, "not a RISC-V Linux Image"),
	      "bad magic2 refused: %s", err);
	make_header(h, 2 * MIB, 0x5b1000);
	h[0x30] = 'r';
	CHECK(linux_image_parse(h, sizeof(h), &hdr, err, sizeof(err)) == -1, "bad magic refused");
	make_header(h, 0x1000, 0x5b1000);
	CHECK(linux_image_parse(h, sizeof(h), &hdr, err, sizeof(err)) == -1 && strstr(err, "2M"),
	      "text_offset not 2M aligned refused: %s", err);
}

static void test_plan(void)
{
	struct linux_image_hdr h = { .text_offset = 2 * MIB, .image_size = 0x5b1000, .version = 2 };
	struct linux_layout l;
	char err[320];
	uint64_t base = RVMIG_RAM_BASE;

	CHECK(linux_layout_plan(base, 128 * MIB, &h, 0x568c00, 1628888, &l, err, sizeof(err)) == 0,
	      "the lab Image and a 1.6M initrd fit in 128M");
	CHECK(l.kernel_gpa == base + 2 * MIB && l.kernel_gpa % LINUX_KERNEL_ALIGN == 0,
	      "kernel at RAM base + text_offset, 2M aligned");
	CHECK(l.kernel_end == base + 2 * MIB + 0x5b1000, "kernel end = load address + image_size (> file size)");
	CHECK(l.fdt_gpa == base + 126 * MIB, "device tree in the last 2M block: 0x%llx", (unsigned long long)l.fdt_gpa);
	CHECK(l.initrd_gpa % LINUX_INITRD_ALIGN == 0 && l.initrd_gpa + l.initrd_size <= l.fdt_gpa &&
		      l.fdt_gpa - (l.initrd_gpa + l.initrd_size) < LINUX_INITRD_ALIGN,
	      "initrd 4K aligned, right below the device tree: 0x%llx", (unsigned long long)l.initrd_gpa);
	CHECK(l.initrd_gpa >= l.kernel_end, "initrd above the kernel");
	CHECK(linux_layout_plan(base, 128 * MIB, &h, 0x568c00, 0, &l, err, sizeof(err)) == 0 && l.initrd_size == 0 &&
		      l.initrd_gpa == 0,
	      "no initrd: none placed");

	h.image_size = 0;
	CHECK(linux_layout_plan(base, 128 * MIB, &h, 0x568c00, 0, &l, err, sizeof(err)) == 0 &&
		      l.kernel_end == l.kernel_gpa + 0x568c00,
	      "image_size 0 (unknown): the file's size");
	h.image_size = 200 * MIB;
	CHECK(linux_layout_plan(base, 128 * MIB, &h, 0x568c00, 0, &l, err, sizeof(err)) == -1 &&
		      strstr(err, "try --mem"),
	      "an image larger than RAM refused with a hint: %s", err);
	h.image_size = 0x5b1000;
	h.text_offset = 256 * MIB;
	CHECK(linux_layout_plan(base, 128 * MIB, &h, 0x568c00, 0, &l, err, sizeof(err)) == -1,
	      "text_offset beyond RAM refused: %s", err);
	h.text_offset = 2 * MIB;
	CHECK(linux_layout_plan(base, 16 * MIB, &h, 0x568c00, 9 * MIB, &l, err, sizeof(err)) == -1 &&
		      strstr(err, "do not fit"),
	      "kernel + initrd + device tree beyond --mem refused: %s", err);
	CHECK(linux_layout_plan(base, 16 * MIB, &h, 0x568c00, 6 * MIB, &l, err, sizeof(err)) == 0 &&
		      l.initrd_gpa >= l.kernel_end && l.fdt_gpa == base + 14 * MIB,
	      "the same in 16M with a 6M initrd fits, nothing overlaps");
	CHECK(linux_layout_plan(base, 1 * MIB, &h, 0x568c00, 0, &l, err, sizeof(err)) == -1, "1M of RAM refused");
}

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/rvmig-test-image-XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void test_load(void)
{
	uint64_t ram_size = 16 * MIB;
	uint8_t *ram = calloc(1, ram_size);
	size_t klen = 3 * MIB + 123, ilen = 5000;
	uint8_t *kimg = malloc(klen), *initrd = malloc(ilen);
	struct linux_layout l;
	char err[768], *kpath, *ipath, *short_path;

	for (size_t i = 0; i < klen; i++)
		kimg[i] = (uint8_t)(i * 7 + 1);
	make_header(kimg, 2 * MIB, 4 * MIB);
	for (size_t i = 0; i < ilen; i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	kpath = write_tmp(kimg, klen);
	ipath = write_tmp(initrd, ilen);
	short_path = write_tmp(kimg, 40);

	CHECK(linux_load(kpath, ipath, ram, RVMIG_RAM_BASE, ram_size, &l, err, sizeof(err)) == LINUX_LOAD_OK,
	      "a 3M Image and an initrd load into 16M");
	CHECK(!memcmp(ram + 2 * MIB, kimg, klen), "the Image's bytes at RAM + text_offset");
	CHECK(!memcmp(ram + (l.initrd_gpa - RVMIG_RAM_BASE), initrd, ilen), "the initrd's bytes at initrd_gpa");
	CHECK(l.kernel_end == RVMIG_RAM_BASE + 6 * MIB, "kernel end from image_size (4M)");
	CHECK(linux_load(short_path, NULL, ram, RVMIG_RAM_BASE, ram_size, &l, err, sizeof(err)) == LINUX_LOAD_USAGE &&
		      strstr(err, "40 bytes"),
	      "a truncated Image (40 bytes) is a usage error: %s", err);
	CHECK(linux_load("/nonexistent/Image", NULL, ram, RVMIG_RAM_BASE, ram_size, &l, err, sizeof(err)) ==
			      LINUX_LOAD_USAGE &&
		      strstr(err, "--kernel /nonexistent/Image"),
	      "a missing Image is a usage error naming it: %s", err);
	CHECK(linux_load(kpath, "/nonexistent/initrd", ram, RVMIG_RAM_BASE, ram_size, &l, err, sizeof(err)) ==
			      LINUX_LOAD_USAGE &&
		      strstr(err, "--initrd"),
	      "a missing initrd is a usage error naming it: %s", err);
	CHECK(linux_load("/tmp", NULL, ram, RVMIG_RAM_BASE, ram_size, &l, err, sizeof(err)) == LINUX_LOAD_USAGE,
	      "a directory is refused: %s", err);
	CHECK(linux_load(kpath, NULL, ram, RVMIG_RAM_BASE, 4 * MIB, &l, err, sizeof(err)) == LINUX_LOAD_USAGE &&
		      strstr(err, "try --mem"),
	      "an Image larger than --mem is refused with a hint: %s", err);
	unlink(kpath);
	unlink(ipath);
	unlink(short_path);
	free(kpath);
	free(ipath);
	free(short_path);
	free(kimg);
	free(initrd);
	free(ram);
}

int main(void)
{
	test_parse();
	test_plan();
	test_load();
	CHECK_DONE();
}
