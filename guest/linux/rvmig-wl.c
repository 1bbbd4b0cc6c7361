// SPDX-License-Identifier: MIT
/*
 * rvmig-wl: the Linux guest's workload, a static riscv64 program its /init runs. It dirties a buffer
 * with the bare-metal guest's page stamps (include/rvmig_stamp.h), one thread per CPU, each on its own
 * slice, with the same patterns, write share and rate; it verifies every stamp when the VMM asks, and
 * reports through the console in the lines include/rvmig_wl.h defines. It also watches its monotonic
 * clock: the largest step between two reads is how a migration's downtime looks from inside.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rvmig_stamp.h"
#include "rvmig_wl.h"

#define PAGE          4096u
#define HOT_SHARE_PCT 90 /* as the bare-metal guest: hot pages take this share of the accesses */
#define MAX_THREADS   64
#define CATCHUP_NS    10000000ull /* a late thread catches up at most 10 ms of writes (no bursts) */
#define CHECK_EVERY   64          /* writes between looks at the hold flag                       */

enum pattern { PAT_SEQUENTIAL, PAT_RANDOM, PAT_HOTCOLD };

struct params {
	enum pattern pattern;
	unsigned write_pct, hot_pct, mem_pct, threads;
	uint64_t rate, seed;
};

struct worker {
	pthread_t tid;
	unsigned id;
	uint8_t *data;
	uint64_t first_page, pages, hot;
	uint64_t *gens; /* writes per page: what verify expects */
	uint64_t prng, cursor, interval_ns, next_ns;
	uint64_t writes, first_writes;
	uint64_t last_ns, max_step_ns; /* under wl.lock when read by main */
};

static struct {
	struct params p;
	struct worker w[MAX_THREADS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int hold, stop;      /* atomic: main asks the workers to wait / to end               */
	unsigned held, done; /* under lock: workers waiting; workers past their first pass   */
	uint64_t epoch;      /* atomic: the stamps' epoch, +1 after each verify              */
} wl = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .epoch = 1 };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	/* One write per line: the VMM parses whole lines, and the threads never print. */
	va_start(ap, fmt);
	fputs(RVMIG_WL_PREFIX, stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static __attribute__((noreturn)) void fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("error %s", msg);
	exit(1);
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- options from /proc/cmdline --------------------------------------------------------------- */

static uint64_t opt_num(const char *key, const char *val, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || end == val || *end || v > max)
		fail("rvmig.%s=%s on the kernel command line: want a number up to %llu", key, val,
		     (unsigned long long)max);
	return v;
}

static void opt_one(struct params *p, const char *key, const char *val)
{
	if (!strcmp(key, "pattern")) {
		if (!strcmp(val, "sequential"))
			p->pattern = PAT_SEQUENTIAL;
		else if (!strcmp(val, "random"))
			p->pattern = PAT_RANDOM;
		else if (!strcmp(val, "hotcold"))
			p->pattern = PAT_HOTCOLD;
		else
			fail("rvmig.pattern=%s: want sequential, random or hotcold", val);
	} else if (!strcmp(key, "write_pct")) {
		p->write_pct = (unsigned)opt_num(key, val, 100);
	} else if (!strcmp(key, "hot_pct")) {
		p->hot_pct = (unsigned)opt_num(key, val, 100);
	} else if (!strcmp(key, "mem_pct")) {
		p->mem_pct = (unsigned)opt_num(key, val, 90);
	} else if (!strcmp(key, "threads")) {
		p->threads = (unsigned)opt_num(key, val, MAX_THREADS);
	} else if (!strcmp(key, "rate")) {
		p->rate = opt_num(key, val, 1000000000ull);
	} else if (!strcmp(key, "seed")) {
		p->seed = opt_num(key, val, UINT64_MAX);
	}
	/* Other rvmig.* keys belong to someone else (the lab's tests): not ours to refuse. */
}

/* The options: rvmig.* words of the kernel command line (or of the file named, for a test off the lab). */
static void opt_read(struct params *p, const char *path)
{
	char line[4096], *save = NULL;
	FILE *f = fopen(path, "re");
	long n;

	*p = (struct params){
		.pattern = PAT_SEQUENTIAL, .write_pct = 100, .hot_pct = 10, .mem_pct = RVMIG_WL_DEF_MEM_PCT, .seed = 1
	};
	if (!f)
		fail("cannot open %s (is /proc mounted?): %s", path, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(t, '=');

		if (strncmp(t, "rvmig.", 6) || !eq)
			continue;
		*eq = 0;
		opt_one(p, t + 6, eq + 1);
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (!p->threads)
		p->threads = n > 0 && n <= MAX_THREADS ? (unsigned)n : 1;
	if (!p->hot_pct)
		p->hot_pct = 1;
}

/* MemAvailable from /proc/meminfo, bytes. */
static uint64_t mem_available(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		fail("cannot open /proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	if (!kb)
		fail("no MemAvailable in /proc/meminfo");
	return kb * 1024;
}

/* ---- dirtying ---------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xorshift64*, as the bare-metal guest; below(n) without a division (high half of a 64x64 product). */
static uint64_t below(struct worker *w, uint64_t n)
{
	uint64_t x = w->prng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->prng = x;
	return (uint64_t)(((unsigned __int128)(x * 0x2545f4914f6cdd1dULL) * n) >> 64);
}

static uint64_t pick(struct worker *w)
{
	uint64_t k;

	switch (wl.p.pattern) {
	case PAT_RANDOM:
		return below(w, w->pages);
	case PAT_HOTCOLD:
		if (w->hot >= w->pages)
			return below(w, w->pages);
		return below(w, 100) < HOT_SHARE_PCT ? below(w, w->hot) : w->hot + below(w, w->pages - w->hot);
	case PAT_SEQUENTIAL:
	default:
		k = w->cursor;
		w->cursor = k + 1 < w->pages ? k + 1 : 0;
		return k;
	}
}

static void page_write(struct worker *w, uint64_t k, uint64_t epoch)
{
	volatile uint64_t *p = (volatile uint64_t *)(w->data + k * PAGE);
	uint64_t page = w->first_page + k, gen = w->gens[k] + 1;
	uint64_t check = rvmig_stamp_check(w->id, page, gen, epoch);

	_Static_assert(sizeof(struct rvmig_stamp) == 32, "stamp = header, gen, epoch, check");
	w->gens[k] = gen;
	p[0] = rvmig_stamp_header(w->id, page);
	p[1] = gen;
	p[2] = epoch;
	p[3] = check;
	p[PAGE / sizeof(uint64_t) - 1] = check;
	w->writes++;
}

/* Waits here while main verifies; a held thread's clock gap is not a step. */
static void worker_hold(struct worker *w)
{
	pthread_mutex_lock(&wl.lock);
	wl.held++;
	pthread_cond_broadcast(&wl.cond);
	while (__atomic_load_n(&wl.hold, __ATOMIC_ACQUIRE) && !__atomic_load_n(&wl.stop, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&wl.cond, &wl.lock);
	wl.held--;
	w->last_ns = now_ns(CLOCK_MONOTONIC);
	w->next_ns = w->last_ns;
	pthread_mutex_unlock(&wl.lock);
}

/* Rate limit: the next write's slot, catching up at most CATCHUP_NS after a stop. */
static void worker_pace(struct worker *w, uint64_t t)
{
	uint64_t oldest = t > CATCHUP_NS ? t - CATCHUP_NS : 0;

	w->next_ns = (w->next_ns > oldest ? w->next_ns : oldest) + w->interval_ns;
	if (w->next_ns > t) {
		struct timespec ts = { .tv_sec = (time_t)(w->next_ns / 1000000000ull),
				       .tv_nsec = (long)(w->next_ns % 1000000000ull) };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static void worker_step(struct worker *w, uint64_t t)
{
	uint64_t step = t - w->last_ns;

	w->last_ns = t;
	if (step > w->max_step_ns) {
		pthread_mutex_lock(&wl.lock);
		if (step > w->max_step_ns)
			w->max_step_ns = step;
		pthread_mutex_unlock(&wl.lock);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->last_ns = w->next_ns = now_ns(CLOCK_MONOTONIC);
	/* The first pass writes every page once, in order: all of the slice mapped and stamped. */
	for (uint64_t k = 0; k < w->pages && !__atomic_load_n(&wl.stop, __ATOMIC_ACQUIRE); k++)
		page_write(w, k, __atomic_load_n(&wl.epoch, __ATOMIC_ACQUIRE));
	pthread_mutex_lock(&wl.lock);
	wl.done++;
	pthread_cond_broadcast(&wl.cond);
	pthread_mutex_unlock(&wl.lock);
	w->last_ns = w->next_ns = now_ns(CLOCK_MONOTONIC);
	while (!__atomic_load_n(&wl.stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < CHECK_EVERY; i++) {
			uint64_t k = pick(w);
			bool write = wl.p.write_pct >= 100 || (wl.p.write_pct && below(w, 100) < wl.p.write_pct);

			if (write)
				page_write(w, k, __atomic_load_n(&wl.epoch, __ATOMIC_ACQUIRE));
			else
				(void)*(volatile uint64_t *)(w->data + k * PAGE + 8);
			worker_step(w, now_ns(CLOCK_MONOTONIC));
			if (w->interval_ns)
				worker_pace(w, w->last_ns);
		}
		if (__atomic_load_n(&wl.hold, __ATOMIC_ACQUIRE))
			worker_hold(w);
	}
	return NULL;
}

/* ---- verify ------------------------------------------------------------------------------------ */

/* NULL when page k holds exactly the stamp of the worker's last write, else what is wrong. */
static const char *check_page(const struct worker *w, uint64_t k)
{
	const volatile uint64_t *tail = (const volatile uint64_t *)(w->data + (k + 1) * PAGE) - 1;

	return rvmig_stamp_problem((const volatile struct rvmig_stamp *)(w->data + k * PAGE), *tail, w->id,
				   w->first_page + k, w->gens[k]);
}

static void verify(void)
{
	uint64_t pages = 0, errors = 0, writes = 0, step = 0;
	unsigned n = wl.p.threads;

	__atomic_store_n(&wl.hold, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&wl.lock);
	while (wl.held < n)
		pthread_cond_wait(&wl.cond, &wl.lock);
	pthread_mutex_unlock(&wl.lock);
	for (unsigned t = 0; t < n; t++) {
		struct worker *w = &wl.w[t];

		for (uint64_t k = 0; k < w->pages; k++) {
			const char *why = check_page(w, k);

			pages += w->gens[k] != 0;
			if (why && errors++ < 4)
				printf("rvmig-wl: thread %u page %llu: %s (gen table %llu)\n", t,
				       (unsigned long long)(w->first_page + k), why, (unsigned long long)w->gens[k]);
		}
		writes += w->writes;
		if (w->max_step_ns > step)
			step = w->max_step_ns;
		w->max_step_ns = 0;
	}
	say("verify %s epoch=%llu pages=%llu errors=%llu writes=%llu max_step_us=%llu", errors ? "fail" : "ok",
	    (unsigned long long)__atomic_load_n(&wl.epoch, __ATOMIC_ACQUIRE), (unsigned long long)pages,
	    (unsigned long long)errors, (unsigned long long)writes, (unsigned long long)(step / 1000));
	__atomic_add_fetch(&wl.epoch, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&wl.lock);
	__atomic_store_n(&wl.hold, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&wl.cond);
	pthread_mutex_unlock(&wl.lock);
}

/* ---- main -------------------------------------------------------------------------------------- */

static void start_workers(void)
{
	uint64_t bytes = mem_available() / 100 * wl.p.mem_pct;
	uint64_t per = bytes / PAGE / wl.p.threads;
	uint8_t *buf;
	int e;

	if (per < 16)
		fail("%llu bytes available for %u threads: too little memory", (unsigned long long)bytes, wl.p.threads);
	buf = mmap(NULL, per * PAGE * wl.p.threads, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap of %llu bytes: %s", (unsigned long long)(per * PAGE * wl.p.threads), strerror(errno));
	for (unsigned t = 0; t < wl.p.threads; t++) {
		struct worker *w = &wl.w[t];
		uint64_t s = wl.p.seed ^ t;

		*w = (struct worker){ .id = t, .data = buf + t * per * PAGE, .first_page = t * per, .pages = per };
		w->hot = per * wl.p.hot_pct / 100 ? per * wl.p.hot_pct / 100 : 1;
		w->prng = splitmix64(&s) | 1;
		w->interval_ns = wl.p.rate ? 1000000000ull / wl.p.rate : 0;
		w->gens = calloc(per, sizeof(uint64_t));
		if (!w->gens)
			fail("allocating a gen table of %llu pages", (unsigned long long)per);
		e = pthread_create(&w->tid, NULL, worker_main, w);
		if (e)
			fail("pthread_create thread %u: %s", t, strerror(e));
	}
}

/* Input lines from the console, without echo (the VMM reads our output, not its own commands). */
static void console_quiet(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &t))
		return; /* not a terminal: nothing echoes */
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

int main(int argc, char **argv)
{
	char line[128];
	size_t len = 0;
	uint64_t pages = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	opt_read(&wl.p, argc > 1 ? argv[1] : "/proc/cmdline");
	console_quiet();
	start_workers();
	pthread_mutex_lock(&wl.lock);
	while (wl.done < wl.p.threads)
		pthread_cond_wait(&wl.cond, &wl.lock);
	pthread_mutex_unlock(&wl.lock);
	for (unsigned t = 0; t < wl.p.threads; t++)
		pages += wl.w[t].pages;
	say("ready threads=%u pages=%llu boot_ms=%llu", wl.p.threads, (unsigned long long)pages,
	    (unsigned long long)(now_ns(CLOCK_BOOTTIME) / 1000000));
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n;
		char c;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			fail("poll on the console: %s", strerror(errno));
		n = read(STDIN_FILENO, &c, 1);
		if (n == 0)
			fail("the console's input ended (EOF) before \"exit\"");
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail("reading the console: %s", strerror(errno));
		}
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len + 1 < sizeof(line))
				line[len++] = c;
			continue;
		}
		line[len] = 0;
		len = 0;
		if (!strcmp(line, "verify"))
			verify();
		else if (!strcmp(line, "exit"))
			break;
		else if (line[0])
			printf("rvmig-wl: ignored input \"%s\" (want verify or exit)\n", line);
	}
	__atomic_store_n(&wl.stop, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&wl.lock);
	pthread_cond_broadcast(&wl.cond);
	pthread_mutex_unlock(&wl.lock);
	for (unsigned t = 0; t < wl.p.threads; t++)
		pthread_join(wl.w[t].tid, NULL);
	say("exit");
	return 0;
}
