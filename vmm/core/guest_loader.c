/* SPDX-License-Identifier: MIT */
#include "core/guest_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/guest_image.h"
#include "rvmig_abi.h"

size_t guest_load(const char *path, struct mem *m)
{
	struct stat st;
	uint8_t *dst = (uint8_t *)m->hva + RVMIG_IMAGE_OFFSET;
	size_t done = 0;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno(errno,
			  "cannot open guest image %s (build it with 'make guest' and pass --guest "
			  "build/guest/guest.bin)",
			  path);
	if (fstat(fd, &st))
		die_errno(errno, "fstat %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		die("guest image %s is not a non-empty regular file", path);
	/* Image, data, bss and stacks share the first MiB; the device tree follows it. */
	if ((uint64_t)st.st_size > RVMIG_IMAGE_MAX)
		die("guest image %s is %lld bytes, more than the %llu the layout allows before the device tree", path,
		    (long long)st.st_size, (unsigned long long)RVMIG_IMAGE_MAX);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, dst + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_errno(n < 0 ? errno : EIO, "read %s at offset %zu", path, done);
		done += (size_t)n;
	}
	close(fd);
	/* Before a single instruction runs: a guest of another ABI would write its stats elsewhere. */
	if (guest_image_check(dst, done, why, sizeof(why)))
		die_status(RVMIG_EXIT_USAGE, "guest image %s %s", path, why);
	return done;
}
