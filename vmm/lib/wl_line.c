/* SPDX-License-Identifier: MIT */
/* Parsing the Linux guest workload's console lines (wl_line.h, format in include/rvmig_wl.h). */
#include "lib/wl_line.h"

#include <stdio.h>
#include <string.h>

#include "lib/units.h"
#include "rvmig_wl.h"

/* One "key=value" field of the line, in the order the format gives; 0 or -1. */
struct wl_field {
	const char *key;
	uint64_t *val;
};

/* Cuts the next space-separated word of [*p, end) into w (NUL-terminated); its length, 0 at the end. */
static size_t wl_word(const char **p, const char *end, char *w, size_t wlen)
{
	size_t n = 0;

	while (*p < end && **p == ' ')
		(*p)++;
	while (*p < end && **p != ' ') {
		if (n + 1 < wlen)
			w[n] = **p;
		n++;
		(*p)++;
	}
	w[n < wlen ? n : wlen - 1] = 0;
	return n;
}

static int wl_fields(const char *p, const char *end, const struct wl_field *f, size_t nf, char *why, size_t whylen)
{
	char w[64];

	for (size_t i = 0; i < nf; i++) {
		size_t klen = strlen(f[i].key), n = wl_word(&p, end, w, sizeof(w));

		if (!n) {
			snprintf(why, whylen, "field %s= missing", f[i].key);
			return -1;
		}
		if (n >= sizeof(w) || strncmp(w, f[i].key, klen) || w[klen] != '=' ||
		    parse_uint(w + klen + 1, 0, UINT64_MAX, f[i].val)) {
			snprintf(why, whylen, "field %zu is \"%.40s\", want %s=NUMBER", i + 1, w, f[i].key);
			return -1;
		}
	}
	if (wl_word(&p, end, w, sizeof(w))) {
		snprintf(why, whylen, "trailing \"%.40s\"", w);
		return -1;
	}
	return 0;
}

int wl_line_parse(const char *line, size_t len, struct wl_event *ev, char *why, size_t whylen)
{
	const size_t plen = sizeof(RVMIG_WL_PREFIX) - 1;
	const char *p = line + plen, *end = line + len;
	char kind[16];

	memset(ev, 0, sizeof(*ev));
	if (whylen)
		why[0] = 0;
	if (len < plen || memcmp(line, RVMIG_WL_PREFIX, plen))
		return 0;
	wl_word(&p, end, kind, sizeof(kind));
	if (!strcmp(kind, "ready")) {
		const struct wl_field f[] = { { "threads", &ev->threads },
					      { "pages", &ev->pages },
					      { "boot_ms", &ev->boot_ms } };

		ev->kind = WL_READY;
		return wl_fields(p, end, f, 3, why, whylen) ? -1 : 1;
	}
	if (!strcmp(kind, "verify")) {
		const struct wl_field f[] = { { "epoch", &ev->epoch },
					      { "pages", &ev->pages },
					      { "errors", &ev->errors },
					      { "writes", &ev->writes },
					      { "max_step_us", &ev->step_us } };
		char verdict[8];

		ev->kind = WL_VERIFY;
		wl_word(&p, end, verdict, sizeof(verdict));
		if (strcmp(verdict, "ok") && strcmp(verdict, "fail")) {
			snprintf(why, whylen, "verdict \"%s\", want ok or fail", verdict);
			return -1;
		}
		ev->ok = !strcmp(verdict, "ok");
		if (wl_fields(p, end, f, 5, why, whylen))
			return -1;
		if (ev->ok != (ev->errors == 0)) {
			snprintf(why, whylen, "verdict %s with errors=%llu", verdict, (unsigned long long)ev->errors);
			return -1;
		}
		return 1;
	}
	if (!strcmp(kind, "exit")) {
		ev->kind = WL_EXIT;
		return wl_fields(p, end, NULL, 0, why, whylen) ? -1 : 1;
	}
	if (!strcmp(kind, "error")) {
		while (p < end && *p == ' ')
			p++;
		ev->kind = WL_ERROR;
		snprintf(ev->text, sizeof(ev->text), "%.*s", (int)(end - p), p);
		return 1;
	}
	return 0;
}

void wl_status_add(struct wl_status *st, const struct wl_event *ev)
{
	switch (ev->kind) {
	case WL_READY:
		st->readies++;
		st->ready = *ev;
		break;
	case WL_VERIFY:
		st->verifies++;
		st->verify = *ev;
		break;
	case WL_EXIT:
		st->exits++;
		break;
	case WL_ERROR:
		st->errors++;
		snprintf(st->error, sizeof(st->error), "%s", ev->text);
		break;
	case WL_NONE:
		break;
	}
}
