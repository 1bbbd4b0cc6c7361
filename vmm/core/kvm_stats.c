/* SPDX-License-Identifier: MIT */
#include "core/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kvm.h"
#include "lib/err.h"

static int kstats_pread(int fd, void *buf, size_t len, off_t off, const char *what, const char *part)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0) {
		int e = errno;

		warn_errno(e, "reading %s of the %s stats fd (%zu bytes at %lld)", part, what, len, (long long)off);
		return -e;
	}
	warn_msg("reading %s of the %s stats fd: %zd of %zu bytes at %lld", part, what, n, len, (long long)off);
	return -EIO;
}

/* Keeps the scalar stats of the descriptor table in raw (num_desc entries of desc_size bytes). */
static int kstats_parse(struct kstats *k, const uint8_t *raw, uint32_t num, size_t desc_size)
{
	k->desc = calloc(num ? num : 1, sizeof(*k->desc));
	if (!k->desc)
		return -ENOMEM;
	for (uint32_t i = 0; i < num; i++) {
		const struct kvm_stats_desc *d = (const void *)(raw + i * desc_size);
		struct kstats_desc *o = &k->desc[k->n];
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;

		if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
			continue; /* histograms */
		snprintf(o->name, sizeof(o->name), "%.*s", (int)(desc_size - sizeof(*d)), d->name);
		o->type = type;
		o->offset = d->offset;
		k->n++;
	}
	return 0;
}

int kstats_open(struct kstats *k, int obj_fd, const char *what)
{
	struct kvm_stats_header h;
	uint8_t *raw;
	size_t desc_size;
	int r;

	memset(k, 0, sizeof(*k));
	k->fd = kvm_ioctl(obj_fd, KVM_GET_STATS_FD, NULL);
	if (k->fd < 0) {
		r = k->fd;
		k->fd = -1;
		warn_errno(r, "KVM_GET_STATS_FD on the %s fd %d", what, obj_fd);
		return r;
	}
	r = kstats_pread(k->fd, &h, sizeof(h), 0, what, "the header");
	if (r)
		goto fail;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	if (h.name_size) {
		size_t idl = h.name_size < sizeof(k->id) ? h.name_size : sizeof(k->id) - 1;

		if (kstats_pread(k->fd, k->id, idl, h.id_offset, what, "the id"))
			k->id[0] = 0;
		k->id[sizeof(k->id) - 1] = 0;
	}
	raw = malloc(desc_size * h.num_desc + 1);
	if (!raw) {
		r = -ENOMEM;
		goto fail;
	}
	r = kstats_pread(k->fd, raw, desc_size * h.num_desc, h.desc_offset, what, "the descriptors");
	if (!r)
		r = kstats_parse(k, raw, h.num_desc, desc_size);
	free(raw);
	if (r)
		goto fail;
	k->data_offset = h.data_offset;
	return 0;
fail:
	kstats_close(k);
	return r;
}

void kstats_close(struct kstats *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	free(k->desc);
	k->desc = NULL;
	k->n = 0;
}

int kstats_read(const struct kstats *k, uint64_t *vals)
{
	for (size_t i = 0; i < k->n; i++) {
		ssize_t n = pread(k->fd, &vals[i], sizeof(uint64_t), (off_t)k->data_offset + k->desc[i].offset);

		if (n != (ssize_t)sizeof(uint64_t)) {
			int e = n < 0 ? errno : EIO;

			warn_errno(e, "reading stat %s (offset %u) of %s", k->desc[i].name, k->desc[i].offset, k->id);
			return -e;
		}
	}
	return 0;
}

const char *kstats_type_name(uint32_t type)
{
	switch (type) {
	case KVM_STATS_TYPE_CUMULATIVE:
		return "cumulative";
	case KVM_STATS_TYPE_INSTANT:
		return "instant";
	case KVM_STATS_TYPE_PEAK:
		return "peak";
	default:
		return "?";
	}
}
