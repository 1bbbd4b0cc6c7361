/* SPDX-License-Identifier: MIT */
#include "core/vcpu_state.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm.h"
#include "core/vcpu.h"
#include "lib/err.h"

static uint32_t reg_size(uint64_t id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static int reg_get(struct vcpu *v, uint64_t id, void *buf)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)buf };

	return kvm_ioctl(v->fd, KVM_GET_ONE_REG, &r);
}

static int reg_set(struct vcpu *v, uint64_t id, const void *buf)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)buf };

	return kvm_ioctl(v->fd, KVM_SET_ONE_REG, &r);
}

/* Restore order; see the header. */
static int reg_rank(uint64_t id)
{
	if (id == VCPU_STATE_MP_ID)
		return 5;
	switch (id & KVM_REG_RISCV_TYPE_MASK) {
	case KVM_REG_RISCV_CONFIG:
		return 0;
	case KVM_REG_RISCV_ISA_EXT:
		return 1;
	case KVM_REG_RISCV_SBI_EXT:
		return 1;
	case KVM_REG_RISCV_TIMER:
		return 4;
	default:
		return 2;
	}
}

static int reg_cmp(const void *a, const void *b)
{
	const struct stream_reg *x = a, *y = b;
	int rx = reg_rank(x->id), ry = reg_rank(y->id);

	if (rx != ry)
		return rx - ry;
	/* Within the timer: frequency, time, compare, state, as the index goes. */
	return x->id < y->id ? -1 : x->id > y->id;
}

void vcpu_state_free(struct vcpu_state *s)
{
	free(s->regs);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

static int vcpu_state_alloc(struct vcpu_state *s, uint32_t nregs, size_t bytes)
{
	memset(s, 0, sizeof(*s));
	s->regs = calloc(nregs ? nregs : 1, sizeof(*s->regs));
	s->data = calloc(bytes ? bytes : 1, 1);
	if (!s->regs || !s->data) {
		vcpu_state_free(s);
		return -ENOMEM;
	}
	return 0;
}

int vcpu_state_save(struct vcpu *v, struct vcpu_state *s)
{
	struct kvm_reg_list *list = NULL;
	struct kvm_mp_state mp;
	size_t bytes = sizeof(uint32_t), off = 0;
	int r = vcpu_get_reg_list(v, &list);

	if (r < 0) {
		warn_errno(r, "KVM_GET_REG_LIST vCPU %u", v->id);
		return r;
	}
	for (uint64_t i = 0; i < list->n; i++)
		bytes += reg_size(list->reg[i]);
	if (list->n + 1 > STREAM_VCPU_MAX_REGS) {
		warn_msg("vCPU %u lists %llu registers, the stream carries at most %d", v->id,
			 (unsigned long long)list->n, STREAM_VCPU_MAX_REGS - 1);
		free(list);
		return -E2BIG;
	}
	r = vcpu_state_alloc(s, (uint32_t)list->n + 1, bytes);
	for (uint64_t i = 0; i < list->n && r == 0; i++) {
		uint64_t id = list->reg[i];
		uint32_t size = reg_size(id);

		if (size > STREAM_REG_MAX) {
			warn_msg("vCPU %u register 0x%llx is %u bytes (stream limit %d)", v->id, (unsigned long long)id,
				 size, STREAM_REG_MAX);
			r = -E2BIG;
			break;
		}
		r = reg_get(v, id, s->data + off);
		if (r < 0) {
			warn_errno(r, "KVM_GET_ONE_REG vCPU %u id 0x%llx (%u bytes)", v->id, (unsigned long long)id,
				   size);
			break;
		}
		s->regs[s->nregs++] = (struct stream_reg){ .id = id, .size = size, .value = s->data + off };
		off += size;
	}
	free(list);
	if (r == 0) {
		r = kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp);
		if (r < 0)
			warn_errno(r, "KVM_GET_MP_STATE vCPU %u", v->id);
	}
	if (r < 0) {
		vcpu_state_free(s);
		return r;
	}
	memcpy(s->data + off, &mp.mp_state, sizeof(uint32_t));
	s->regs[s->nregs++] =
		(struct stream_reg){ .id = VCPU_STATE_MP_ID, .size = sizeof(uint32_t), .value = s->data + off };
	return 0;
}

int vcpu_state_copy(const struct stream_vcpu *in, struct vcpu_state *s)
{
	size_t bytes = 0, off = 0;
	int r;

	for (uint32_t i = 0; i < in->nregs; i++)
		bytes += in->regs[i].size;
	r = vcpu_state_alloc(s, in->nregs, bytes);
	if (r)
		return r;
	for (uint32_t i = 0; i < in->nregs; i++) {
		memcpy(s->data + off, in->regs[i].value, in->regs[i].size);
		s->regs[i] =
			(struct stream_reg){ .id = in->regs[i].id, .size = in->regs[i].size, .value = s->data + off };
		off += in->regs[i].size;
	}
	s->nregs = in->nregs;
	qsort(s->regs, s->nregs, sizeof(*s->regs), reg_cmp);
	return 0;
}

static int vcpu_state_set_mp(struct vcpu *v, const struct stream_reg *reg, char *err, size_t errlen)
{
	struct kvm_mp_state mp = { 0 };
	int r;

	if (reg->size != sizeof(uint32_t)) {
		snprintf(err, errlen, "vCPU %u: MP state of %u bytes", v->id, reg->size);
		return -EINVAL;
	}
	memcpy(&mp.mp_state, reg->value, sizeof(uint32_t));
	r = kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
	if (r < 0)
		snprintf(err, errlen, "KVM_SET_MP_STATE vCPU %u state %u: %s", v->id, mp.mp_state, strerror(-r));
	return r;
}

int vcpu_state_restore(struct vcpu *v, const struct vcpu_state *s, struct vcpu_restore_stats *st, char *err,
		       size_t errlen)
{
	uint8_t cur[STREAM_REG_MAX];

	for (uint32_t i = 0; i < s->nregs; i++) {
		const struct stream_reg *reg = &s->regs[i];
		int r, g;

		if (reg->id == VCPU_STATE_MP_ID) {
			r = vcpu_state_set_mp(v, reg, err, errlen);
			if (r < 0)
				return r;
			continue;
		}
		if (reg->size != reg_size(reg->id)) {
			snprintf(err, errlen, "vCPU %u register 0x%llx: %u bytes in the stream, the id says %u", v->id,
				 (unsigned long long)reg->id, reg->size, reg_size(reg->id));
			return -EINVAL;
		}
		r = reg_set(v, reg->id, reg->value);
		if (r == 0) {
			st->set++;
			continue;
		}
		/* Refused: acceptable only when the destination already holds the same value. */
		g = reg_get(v, reg->id, cur);
		if (g == 0 && !memcmp(cur, reg->value, reg->size)) {
			st->kept++;
			continue;
		}
		snprintf(err, errlen,
			 "KVM_SET_ONE_REG vCPU %u id 0x%llx (%u bytes): %s, and the destination's value %s", v->id,
			 (unsigned long long)reg->id, reg->size, strerror(-r),
			 g ? "cannot be read" : "differs from the source's");
		return r;
	}
	return 0;
}
