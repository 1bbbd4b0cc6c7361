/* SPDX-License-Identifier: MIT */
/*
 * SBI calls KVM hands to userspace: the debug console (DBCN, legacy putchar) and the rvmig extension
 * through which the guest says hello, reports phases and final stats, or panics.
 */
#include "core/sbi.h"

#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "core/console_in.h"
#include "core/machine.h"

#define SBI_EXT_0_1_CONSOLE_PUTCHAR 0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR 0x2
#define SBI_EXT_DBCN                0x4442434E
#define SBI_DBCN_WRITE              0
#define SBI_DBCN_READ               1
#define SBI_DBCN_WRITE_BYTE         2

#define SBI_SUCCESS             0
#define SBI_ERR_NOT_SUPPORTED   (-2)
#define SBI_ERR_INVALID_PARAM   (-3)
#define SBI_ERR_INVALID_ADDRESS (-5)

/* Longest guest string we copy out (PANIC message); also caps one DBCN write. */
#define SBI_STR_MAX 4096

/*
 * A Linux guest's workload speaks in console lines (include/rvmig_wl.h): each one that is an event
 * goes to the monitor, under the lock, with a broadcast.
 */
static void sbi_console_event(struct vcpu *v)
{
	struct machine *m = v->m;
	struct wl_event ev;
	char why[160];
	int rc = wl_line_parse(v->line, v->line_len, &ev, why, sizeof(why));

	if (rc == 0)
		return;
	pthread_mutex_lock(&m->lock);
	if (rc > 0)
		wl_status_add(&m->wl, &ev);
	else
		m->wl.malformed++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	if (rc < 0)
		fprintf(stderr, "rvmig: vCPU %u: a workload line without the shape of include/rvmig_wl.h (%s): %.*s\n",
			v->id, why, (int)v->line_len, v->line);
}

void sbi_console_flush(struct vcpu *v)
{
	if (!v->line_len && !v->line_shown)
		return;
	if (!v->m->quiet) {
		/* One printf per line: lines of different vCPUs never interleave. */
		if (v->line_shown)
			printf("%.*s\n", (int)v->line_len, v->line);
		else
			printf("[vcpu%u] %.*s\n", v->id, (int)v->line_len, v->line);
	}
	/* After the line is out: what the monitor prints about the event comes below it. A line shown
	 * in parts (an interactive prompt) is someone typing, not the workload. */
	if (!v->line_shown)
		sbi_console_event(v);
	v->line_len = 0;
	v->line_shown = false;
}

/*
 * The guest waits for a key: show what it wrote of the current line (a shell prompt, the echo of what
 * was typed) now rather than at its newline. Only with a keyboard: output to a file stays whole lines.
 */
static void sbi_console_show_partial(struct vcpu *v)
{
	if (!v->line_len || v->m->quiet || !console_in_interactive())
		return;
	if (v->line_shown)
		printf("%.*s", (int)v->line_len, v->line);
	else
		printf("[vcpu%u] %.*s", v->id, (int)v->line_len, v->line);
	fflush(stdout);
	v->line_len = 0;
	v->line_shown = true;
}

static void sbi_console_putc(struct vcpu *v, char c)
{
	if (c == '\n') {
		sbi_console_flush(v);
		if (!v->m->quiet)
			fflush(stdout);
		return;
	}
	if (c == '\r')
		return;
	if (v->line_len == sizeof(v->line))
		sbi_console_flush(v);
	v->line[v->line_len++] = c;
}

static void sbi_ret(struct vcpu *v, long err, unsigned long val)
{
	v->run->riscv_sbi.ret[0] = (unsigned long)err;
	v->run->riscv_sbi.ret[1] = val;
}

static void sbi_dbcn(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned long *a = run->riscv_sbi.args;

	switch (run->riscv_sbi.function_id) {
	case SBI_DBCN_WRITE: {
		/* a0 = bytes, a1/a2 = address low/high (high is 0 on RV64). */
		uint64_t len = a[0] > SBI_STR_MAX ? SBI_STR_MAX : a[0];
		const char *p = mem_gpa_ptr(&v->m->mem, RVMIG_RAM_BASE, a[1], len);

		if (a[2] || !p) {
			sbi_ret(v, SBI_ERR_INVALID_PARAM, 0);
			return;
		}
		for (uint64_t i = 0; i < len; i++)
			sbi_console_putc(v, p[i]);
		sbi_ret(v, SBI_SUCCESS, len);
		return;
	}
	case SBI_DBCN_WRITE_BYTE:
		sbi_console_putc(v, (char)a[0]);
		sbi_ret(v, SBI_SUCCESS, 0);
		return;
	case SBI_DBCN_READ: {
		/* a0 = room in bytes, a1/a2 = address low/high. Only what was typed already: never blocks. */
		uint64_t len = a[0] > SBI_STR_MAX ? SBI_STR_MAX : a[0];
		char *p = mem_gpa_ptr(&v->m->mem, RVMIG_RAM_BASE, a[1], len);

		if (a[2] || !p) {
			sbi_ret(v, SBI_ERR_INVALID_PARAM, 0);
			return;
		}
		sbi_console_show_partial(v);
		sbi_ret(v, SBI_SUCCESS, console_in_read(p, len));
		return;
	}
	default:
		sbi_ret(v, SBI_ERR_NOT_SUPPORTED, 0);
	}
}

/* Copies a NUL-terminated guest string (bounded) into out. */
static void sbi_guest_string(struct vcpu *v, uint64_t gpa, char *out, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		const char *p = mem_gpa_ptr(&v->m->mem, RVMIG_RAM_BASE, gpa + i, 1);

		if (!p || !*p)
			break;
		out[i] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	}
	out[i] = 0;
	if (i == 0 && !mem_gpa_ptr(&v->m->mem, RVMIG_RAM_BASE, gpa, 1))
		snprintf(out, len, "(message at 0x%llx is outside guest RAM)", (unsigned long long)gpa);
}

static void sbi_rvmig(struct vcpu *v)
{
	struct machine *m = v->m;
	struct kvm_run *run = v->run;
	unsigned long *a = run->riscv_sbi.args;
	char msg[256];

	/* The guest names its hart in a0; trust the vCPU we run on and flag a mismatch. */
	if (a[0] != v->id && run->riscv_sbi.function_id != RVMIG_SBI_PANIC) {
		machine_fail(m, "vCPU %u: rvmig SBI call %lu claims hart %lu", v->id,
			     (unsigned long)run->riscv_sbi.function_id, a[0]);
		sbi_ret(v, SBI_ERR_INVALID_PARAM, 0);
		return;
	}
	switch (run->riscv_sbi.function_id) {
	case RVMIG_SBI_HELLO:
		if (a[1] != RVMIG_ABI_VERSION) {
			machine_fail(m,
				     "vCPU %u: guest speaks rvmig ABI %lu, this VMM %d: rebuild guest and VMM "
				     "from the same tree",
				     v->id, a[1], RVMIG_ABI_VERSION);
			sbi_ret(v, SBI_ERR_NOT_SUPPORTED, 0);
			return;
		}
		pthread_mutex_lock(&m->lock);
		v->hello = true;
		break;
	case RVMIG_SBI_PHASE:
		pthread_mutex_lock(&m->lock);
		if (a[1] == RVMIG_PHASE_RUNNING)
			v->running = true;
		else if (a[1] == RVMIG_PHASE_EPOCH)
			v->epoch_seen = a[2];
		else if (a[1] == RVMIG_PHASE_SLICE_DONE)
			v->slice_done_epoch = a[2];
		break;
	case RVMIG_SBI_REPORT:
		pthread_mutex_lock(&m->lock);
		v->reported = true;
		break;
	case RVMIG_SBI_PANIC:
		sbi_console_flush(v);
		sbi_guest_string(v, a[1], msg, sizeof(msg));
		machine_fail(m, "guest hart %lu (vCPU %u) panicked: %s", a[0], v->id, msg);
		vcpu_dump_regs(v, stderr);
		sbi_ret(v, SBI_SUCCESS, 0);
		return;
	default:
		sbi_ret(v, SBI_ERR_NOT_SUPPORTED, 0);
		return;
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	sbi_ret(v, SBI_SUCCESS, 0);
}

void sbi_handle(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->riscv_sbi.extension_id) {
	case SBI_EXT_DBCN:
		sbi_dbcn(v);
		break;
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
		sbi_console_putc(v, (char)run->riscv_sbi.args[0]);
		sbi_ret(v, SBI_SUCCESS, 0);
		break;
	case SBI_EXT_0_1_CONSOLE_GETCHAR: {
		/* Legacy: the byte in a0, or -1 when none was typed. */
		char c;

		sbi_console_show_partial(v);
		run->riscv_sbi.ret[0] = console_in_read(&c, 1) ? (unsigned long)(unsigned char)c : (unsigned long)-1L;
		break;
	}
	case RVMIG_SBI_EXT:
		sbi_rvmig(v);
		break;
	default:
		/* KVM pre-set ret[0] = SBI_ERR_NOT_SUPPORTED: the guest sees the call fail. */
		break;
	}
}
