/* SPDX-License-Identifier: MIT */
/* rvmig run option parsing: sizes, durations, good and bad command lines. */
#include <string.h>

#include "check.h"
#include "cmd/run_opts.h"
#include "rvmig_abi.h"

static enum cli_result parse(struct run_opts *o, char *err, const char *a1, const char *a2, const char *a3,
			     const char *a4)
{
	char *argv[6] = { "run", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int argc = 1;

	while (argc < 5 && argv[argc])
		argc++;
	err[0] = 0;
	return cli_parse_run(argc, argv, o, err, 256);
}

static void test_sizes(void)
{
	uint64_t v = 0;

	CHECK(parse_size("256M", &v) == 0 && v == 256ULL << 20, "size 256M");
	CHECK(parse_size("1G", &v) == 0 && v == 1ULL << 30, "size 1G");
	CHECK(parse_size("2g", &v) == 0 && v == 2ULL << 30, "size 2g (lower case)");
	CHECK(parse_size("4096", &v) == 0 && v == 4096, "size in bytes");
	CHECK(parse_size("2MiB", &v) == 0 && v == 2ULL << 20, "size 2MiB");
	CHECK(parse_size("2MB", &v) == 0 && v == 2ULL << 20, "size 2MB is binary");
	CHECK(parse_size("1T", &v) == 0 && v == 1ULL << 40, "size 1T");
	CHECK(parse_size("", &v) == -1, "empty size rejected");
	CHECK(parse_size("M", &v) == -1, "unit without number rejected");
	CHECK(parse_size("-1M", &v) == -1, "negative size rejected");
	CHECK(parse_size("0", &v) == -1, "zero size rejected");
	CHECK(parse_size("12Q", &v) == -1, "unknown unit rejected");
	CHECK(parse_size("1.5G", &v) == -1, "fractional size rejected");
	CHECK(parse_size("99999999999T", &v) == -1, "overflowing size rejected");
}

static void test_uints(void)
{
	uint64_t v = 0;

	CHECK(parse_uint("010", 0, 100, &v) == 0 && v == 10, "leading zero is decimal, not octal (010 = 10)");
	CHECK(parse_uint("0x10", 0, 100, &v) == 0 && v == 16, "0x10 is hex");
	CHECK(parse_uint("0x", 0, 100, &v) == -1, "bare 0x rejected");
	CHECK(parse_uint("0x0x5", 0, 100, &v) == -1, "double 0x prefix rejected");
	CHECK(parse_uint(" 5", 0, 100, &v) == -1, "leading space rejected");
	CHECK(parse_uint(" -1", 0, UINT64_MAX, &v) == -1, "space then minus rejected (no wrap to 2^64-1)");
	CHECK(parse_uint("+5", 0, 100, &v) == -1, "plus sign rejected");
	CHECK(parse_uint("101", 0, 100, &v) == -1, "above max rejected");
	CHECK(parse_uint("18446744073709551616", 0, UINT64_MAX, &v) == -1, "2^64 rejected (overflow)");
}

static void test_durations(void)
{
	uint64_t ms = 0;

	CHECK(parse_duration("500ms", &ms) == 0 && ms == 500, "duration 500ms");
	CHECK(parse_duration("2s", &ms) == 0 && ms == 2000, "duration 2s");
	CHECK(parse_duration("3", &ms) == 0 && ms == 3000, "bare number is seconds");
	CHECK(parse_duration("1.5s", &ms) == 0 && ms == 1500, "duration 1.5s");
	CHECK(parse_duration("1m", &ms) == 0 && ms == 60000, "duration 1m");
	CHECK(parse_duration("0s", &ms) == -1, "zero duration rejected");
	CHECK(parse_duration("2h", &ms) == -1, "unknown unit rejected");
	CHECK(parse_duration("s", &ms) == -1, "unit alone rejected");
	CHECK(parse_duration("-1s", &ms) == -1, "negative duration rejected");
	CHECK(parse_duration("nan", &ms) == -1, "nan rejected");
	CHECK(parse_duration("0.1ms", &ms) == -1, "below 1 ms rejected");
}

static void test_defaults(void)
{
	struct run_opts o;
	char err[256];

	CHECK(parse(&o, err, NULL, NULL, NULL, NULL) == CLI_OK, "no options is valid");
	CHECK(o.vcpus == 2 && o.mem == 256ULL << 20 && o.backing == MEM_HUGETLB_2M,
	      "defaults: 2 vCPUs, 256M, hugetlb-2M");
	CHECK(o.write_pct == 100 && o.duration_ms == 2000 && !o.dirty_log && !o.json, "defaults: 100%% writes, 2s");
	CHECK(!strcmp(o.guest, CLI_DEFAULT_GUEST), "default guest path");
	CHECK(o.pattern == RVMIG_PATTERN_SEQUENTIAL, "default pattern sequential");
}

static void test_good(void)
{
	struct run_opts o;
	char err[256];

	CHECK(parse(&o, err, "--vcpus", "4", "--mem=1G", "--backing=hugetlb-1G") == CLI_OK,
	      "vcpus 4 mem 1G hugetlb-1G: %s", err);
	CHECK(o.vcpus == 4 && o.mem == 1ULL << 30 && o.backing == MEM_HUGETLB_1G, "values taken");
	CHECK(parse(&o, err, "--pattern", "hotcold", "--hot-pct", "5") == CLI_OK &&
		      o.pattern == RVMIG_PATTERN_HOTCOLD && o.hot_pct == 5,
	      "pattern hotcold, hot-pct 5");
	CHECK(parse(&o, err, "--dirty-log", "--quiet", "--duration", "500ms") == CLI_OK && o.dirty_log && o.quiet &&
		      o.duration_ms == 500,
	      "flags and duration");
	CHECK(parse(&o, err, "--kernel", "Image", "--dirty-log", NULL) == CLI_OK && o.dirty_log &&
		      !strcmp(o.kernel, "Image"),
	      "a Linux guest takes --dirty-log: %s", err);
	CHECK(parse(&o, err, "--json", "out.json", "--guest", "g.bin") == CLI_OK && !strcmp(o.json, "out.json") &&
		      !strcmp(o.guest, "g.bin"),
	      "json and guest paths");
	CHECK(parse(&o, err, "--backing", "anon", "--mem", "4M") == CLI_OK && o.mem == 4ULL << 20,
	      "anon 4M is the minimum");
	CHECK(parse(&o, err, "--backing", "anon", "--mem", "6148K") == CLI_OK, "anon takes any 4K multiple");
	CHECK(parse(&o, err, "--rate", "1000", "--write-pct", "0") == CLI_OK && o.rate == 1000 && o.write_pct == 0,
	      "rate and 0%% writes");
	CHECK(parse(&o, err, "--vcpus", "16", "--mem", "64M") == CLI_OK, "RVMIG_MAX_VCPUS vCPUs");
	CHECK(parse(&o, err, "--seed", "0x1234", NULL, NULL) == CLI_OK && o.seed == 0x1234, "hex seed");
}

static void test_bad(void)
{
	struct run_opts o;
	char err[256];

	CHECK(parse(&o, err, "--help", NULL, NULL, NULL) == CLI_HELP, "--help");
	CHECK(parse(&o, err, "--mem", "5M", NULL, NULL) == CLI_USAGE && strstr(err, "not a multiple") &&
		      strstr(err, "try --mem 6M"),
	      "5M on hugetlb-2M: %s", err);
	CHECK(parse(&o, err, "--mem", "1536M", "--backing", "hugetlb-1G") == CLI_USAGE && strstr(err, "try --mem 2G"),
	      "1536M on hugetlb-1G: %s", err);
	CHECK(parse(&o, err, "--mem", "6M", "--backing", "thp") == CLI_OK, "thp 6M is 2M-aligned");
	CHECK(parse(&o, err, "--mem", "2M", NULL, NULL) == CLI_USAGE && strstr(err, "too small"), "2M too small: %s",
	      err);
	CHECK(parse(&o, err, "--mem", "lots", NULL, NULL) == CLI_USAGE && strstr(err, "256M"), "mem lots: %s", err);
	CHECK(parse(&o, err, "--vcpus", "17", NULL, NULL) == CLI_USAGE && strstr(err, "1 to 16"), "17 vCPUs: %s", err);
	CHECK(parse(&o, err, "--vcpus", "0", NULL, NULL) == CLI_USAGE, "0 vCPUs");
	CHECK(parse(&o, err, "--vcpus", "2x", NULL, NULL) == CLI_USAGE, "vcpus 2x");
	CHECK(parse(&o, err, "--backing", "huge", NULL, NULL) == CLI_USAGE && strstr(err, "hugetlb-1G"),
	      "unknown backing lists the choices: %s", err);
	CHECK(parse(&o, err, "--pattern", "zigzag", NULL, NULL) == CLI_USAGE && strstr(err, "hotcold"),
	      "unknown pattern lists the choices: %s", err);
	CHECK(parse(&o, err, "--write-pct", "101", NULL, NULL) == CLI_USAGE, "write-pct 101");
	CHECK(parse(&o, err, "--hot-pct", "0", NULL, NULL) == CLI_USAGE, "hot-pct 0");
	CHECK(parse(&o, err, "--duration", "forever", NULL, NULL) == CLI_USAGE && strstr(err, "500ms"),
	      "duration forever");
	CHECK(parse(&o, err, "--json", NULL, NULL, NULL) == CLI_USAGE && strstr(err, "needs a value"),
	      "--json without value");
	CHECK(parse(&o, err, "--frobnicate", NULL, NULL, NULL) == CLI_USAGE && strstr(err, "unknown option"),
	      "unknown option");
	CHECK(parse(&o, err, "stray", NULL, NULL, NULL) == CLI_USAGE && strstr(err, "unexpected argument"),
	      "stray argument");
	CHECK(parse(&o, err, "--dirty-log=yes", NULL, NULL, NULL) == CLI_USAGE, "flag with a value");
	CHECK(parse(&o, err, "--vcpus", "16", "--mem", "4M") == CLI_OK, "16 vCPUs in 4M still have 2 pages each");
	CHECK(parse(&o, err, "--mem", "512G", "--backing", "anon") == CLI_USAGE, "512G beyond what we map");
	CHECK(strchr(err, '\n') == NULL, "errors are one line");
}

static void test_help(void)
{
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	cli_run_help(f);
	fclose(f);
	CHECK(strstr(buf, "--dirty-log") && strstr(buf, "eager_page_split") && strstr(buf, "0x80000000"),
	      "help names dirty logging, eager_page_split and the RAM base");
	CHECK(strstr(buf, "Exit status"), "help gives exit statuses");
}

int main(void)
{
	char buf[32];

	test_sizes();
	test_uints();
	test_durations();
	test_defaults();
	test_good();
	test_bad();
	test_help();
	CHECK(!strcmp(format_size(2ULL << 30, buf, sizeof(buf)), "2G"), "format 2G");
	CHECK(!strcmp(format_size(6148ULL << 10, buf, sizeof(buf)), "6148K"), "format 6148K");
	CHECK(!strcmp(format_size(1000, buf, sizeof(buf)), "1000"), "format bytes");
	CHECK_DONE();
}
