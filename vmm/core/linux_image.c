/* SPDX-License-Identifier: MIT */
/* RISC-V Linux Image and initrd: header check, placement in guest RAM, loading (linux_image.h). */
#include "core/linux_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Header fields (little endian), boot-image-header.rst. */
#define HDR_TEXT_OFFSET 0x08
#define HDR_IMAGE_SIZE  0x10
#define HDR_VERSION     0x20
#define HDR_MAGIC       0x30
#define HDR_MAGIC2      0x38

static int linux_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int linux_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

int linux_image_parse(const void *buf, size_t len, struct linux_image_hdr *h, char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (len < LINUX_IMAGE_HDR_SIZE)
		return linux_fail(err, errlen,
				  "is %zu bytes, shorter than the 64-byte RISC-V Image header: give the kernel's "
				  "arch/riscv/boot/Image",
				  len);
	if (memcmp(p + HDR_MAGIC2, LINUX_IMAGE_MAGIC2, 4) || memcmp(p + HDR_MAGIC, LINUX_IMAGE_MAGIC, 8))
		return linux_fail(err, errlen,
				  "is not a RISC-V Linux Image (no \"RISCV\" magic at 0x30 and \"RSC\\x05\" at "
				  "0x38): give arch/riscv/boot/Image, not vmlinux or a compressed Image.gz");
	h->text_offset = le64_at(p + HDR_TEXT_OFFSET);
	h->image_size = le64_at(p + HDR_IMAGE_SIZE);
	h->version = le32_at(p + HDR_VERSION);
	if (h->text_offset % LINUX_KERNEL_ALIGN)
		return linux_fail(err, errlen,
				  "has text_offset 0x%llx, not a multiple of 2M: an RV64 kernel must be loaded 2M "
				  "aligned; give an Image built for RV64",
				  (unsigned long long)h->text_offset);
	return 0;
}

int linux_layout_plan(uint64_t ram_base, uint64_t ram_size, const struct linux_image_hdr *h, uint64_t file_size,
		      uint64_t initrd_size, struct linux_layout *l, char *err, size_t errlen)
{
	uint64_t kernel_size = h->image_size > file_size ? h->image_size : file_size;
	uint64_t fdt_off, kernel_end_off, need;

	memset(l, 0, sizeof(*l));
	/* What the whole layout needs, for the message: kernel, initrd, and the device tree's 2M block. */
	need = align_up(h->text_offset + kernel_size, LINUX_INITRD_ALIGN) + align_up(initrd_size, LINUX_INITRD_ALIGN);
	need = align_up(need, LINUX_FDT_ALIGN) + LINUX_FDT_ALIGN;
	if (ram_size < LINUX_FDT_ALIGN || h->text_offset > ram_size || kernel_size > ram_size - h->text_offset)
		return linux_fail(err, errlen,
				  "needs %llu MiB of RAM (text_offset 0x%llx + %llu bytes), more than --mem gives (%llu "
				  "MiB); try --mem %lluM or more",
				  (unsigned long long)((h->text_offset + kernel_size + (1 << 20) - 1) >> 20),
				  (unsigned long long)h->text_offset, (unsigned long long)kernel_size,
				  (unsigned long long)(ram_size >> 20), (unsigned long long)(need >> 20));
	fdt_off = align_down(ram_size - LINUX_FDT_MAX, LINUX_FDT_ALIGN);
	kernel_end_off = h->text_offset + kernel_size;
	if (kernel_end_off > fdt_off || initrd_size > fdt_off - kernel_end_off ||
	    align_down(fdt_off - initrd_size, LINUX_INITRD_ALIGN) < kernel_end_off)
		return linux_fail(err, errlen,
				  "kernel (%llu bytes at +0x%llx), initrd (%llu bytes) and device tree (the last 2M) do "
				  "not fit in --mem %llu MiB; try --mem %lluM or more",
				  (unsigned long long)kernel_size, (unsigned long long)h->text_offset,
				  (unsigned long long)initrd_size, (unsigned long long)(ram_size >> 20),
				  (unsigned long long)(need >> 20));
	l->kernel_gpa = ram_base + h->text_offset;
	l->kernel_end = ram_base + kernel_end_off;
	l->fdt_gpa = ram_base + fdt_off;
	l->initrd_size = initrd_size;
	if (initrd_size)
		l->initrd_gpa = ram_base + align_down(fdt_off - initrd_size, LINUX_INITRD_ALIGN);
	return 0;
}

/* Reads len bytes at offset 0 of fd into dst. 0, or -errno (-EIO for a file that shrank). */
static int linux_read_all(int fd, void *dst, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)dst + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

/* Opens path as a non-empty regular file: fd, or -1 with the message (LINUX_LOAD_USAGE: the user's path). */
static int linux_open(const char *opt, const char *path, uint64_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return linux_fail(err, errlen, "--%s %s: cannot open it: %s; give the path of a readable file", opt,
				  path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return linux_fail(err, errlen, "--%s %s: not a non-empty regular file; give the path of the file", opt,
				  path);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

enum linux_load_result linux_load(const char *kernel, const char *initrd, void *ram, uint64_t ram_base,
				  uint64_t ram_size, struct linux_layout *l, char *err, size_t errlen)
{
	uint8_t hdr[LINUX_IMAGE_HDR_SIZE];
	struct linux_image_hdr h;
	uint64_t ksize, isize = 0;
	char why[320];
	int kfd, ifd = -1, e;
	enum linux_load_result rc = LINUX_LOAD_USAGE;

	kfd = linux_open("kernel", kernel, &ksize, err, errlen);
	if (kfd < 0)
		return LINUX_LOAD_USAGE;
	if (initrd) {
		ifd = linux_open("initrd", initrd, &isize, err, errlen);
		if (ifd < 0)
			goto out;
	}
	e = linux_read_all(kfd, hdr, ksize < sizeof(hdr) ? ksize : sizeof(hdr));
	if (e) {
		linux_fail(err, errlen, "reading the header of --kernel %s: %s", kernel, strerror(-e));
		rc = LINUX_LOAD_FAIL;
		goto out;
	}
	if (linux_image_parse(hdr, ksize < sizeof(hdr) ? ksize : sizeof(hdr), &h, why, sizeof(why))) {
		linux_fail(err, errlen, "--kernel %s %s", kernel, why);
		goto out;
	}
	if (linux_layout_plan(ram_base, ram_size, &h, ksize, isize, l, why, sizeof(why))) {
		linux_fail(err, errlen, "--kernel %s: %s", kernel, why);
		goto out;
	}
	rc = LINUX_LOAD_FAIL;
	e = linux_read_all(kfd, (uint8_t *)ram + (l->kernel_gpa - ram_base), ksize);
	if (e) {
		linux_fail(err, errlen, "reading --kernel %s (%llu bytes) into guest RAM at 0x%llx: %s", kernel,
			   (unsigned long long)ksize, (unsigned long long)l->kernel_gpa, strerror(-e));
		goto out;
	}
	if (ifd >= 0) {
		e = linux_read_all(ifd, (uint8_t *)ram + (l->initrd_gpa - ram_base), isize);
		if (e) {
			linux_fail(err, errlen, "reading --initrd %s (%llu bytes) into guest RAM at 0x%llx: %s", initrd,
				   (unsigned long long)isize, (unsigned long long)l->initrd_gpa, strerror(-e));
			goto out;
		}
	}
	rc = LINUX_LOAD_OK;
out:
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return rc;
}
