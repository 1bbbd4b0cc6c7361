// SPDX-License-Identifier: MIT
/* SBI console output (see console.h). */
#include "console.h"

#include <stdarg.h>

#include "arch.h"
#include "fmt.h"
#include "sbi.h"

static spinlock_t console_lock;
static bool use_dbcn;

void console_init(void)
{
	use_dbcn = sbi_probe_extension(SBI_EXT_DBCN) != 0;
}

bool console_has_dbcn(void)
{
	return use_dbcn;
}

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static void emit_legacy(const char *s)
{
	for (; *s; s++)
		sbi_legacy_putchar(*s);
}

/* One DBCN write per string where possible (one VMM exit); falls back if DBCN errors out. */
static void emit(const char *s)
{
	unsigned long len = str_len(s);

	while (use_dbcn && len) {
		struct sbiret r = sbi_dbcn_write(s, len);
		if (r.error) {
			use_dbcn = false;
			break;
		}
		if ((unsigned long)r.value >= len)
			return;
		s += r.value;
		len -= (unsigned long)r.value;
	}
	if (len)
		emit_legacy(s);
}

void console_write(const char *s)
{
	spin_lock(&console_lock);
	emit(s);
	spin_unlock(&console_lock);
}

void console_printf(const char *fmt, ...)
{
	char line[CONSOLE_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write(line);
}

void console_write_unlocked_fallback(const char *s)
{
	/* Bounded wait: if this hart faulted while printing, the lock is never released. */
	for (unsigned long i = 0; i < 10000000UL; i++) {
		if (spin_trylock(&console_lock)) {
			emit(s);
			spin_unlock(&console_lock);
			return;
		}
		cpu_relax();
	}
	emit(s);
}
