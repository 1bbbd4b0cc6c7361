/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmd/migrate_opts.h"
#include "cmd/recv.h"
#include "mig/chunk.h"
#include "mig/converge.h"
#include "mig/tbucket.h"
#include "mig/transport.h"

static enum cli_result parse_m(struct migrate_opts *o, const char *const *args, int n)
{
	char err[256];
	char *argv[32];

	argv[0] = "migrate";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	return cli_parse_migrate(n + 1, argv, o, err, sizeof(err));
}

static void test_xport(void)
{
	struct xport_addr a;

	CHECK(xport_parse("local", false, &a) == 0 && a.kind == XPORT_LOCAL, "local parses");
	CHECK(xport_parse("local", true, &a) != 0, "local is not listenable");
	CHECK(xport_parse("unix:/tmp/x.sock", false, &a) == 0 && a.kind == XPORT_UNIX && !strcmp(a.path, "/tmp/x.sock"),
	      "unix path parses");
	CHECK(xport_parse("unix:", false, &a) != 0, "empty unix path refused");
	CHECK(xport_parse("tcp:127.0.0.1:4444", false, &a) == 0 && a.port == 4444 && !strcmp(a.host, "127.0.0.1"),
	      "tcp host:port parses");
	CHECK(xport_parse("tcp:4444", true, &a) == 0 && a.port == 4444 && !strcmp(a.host, "127.0.0.1") &&
		      xport_is_loopback(&a),
	      "tcp:PORT listens on 127.0.0.1 only");
	CHECK(xport_parse("tcp:0.0.0.0:4444", true, &a) == 0 && !xport_is_loopback(&a),
	      "tcp:0.0.0.0:PORT is not loopback");
	CHECK(xport_parse("tcp:10.0.0.1:4444", false, &a) == 0 && !xport_is_loopback(&a),
	      "tcp:10.0.0.1 is not loopback");
	CHECK(xport_parse("tcp:128.0.0.1:4444", false, &a) == 0 && !xport_is_loopback(&a),
	      "tcp:128.0.0.1 is not loopback");
	CHECK(xport_parse("tcp:127.0.0.2:4444", true, &a) == 0 && xport_is_loopback(&a), "all of 127/8 is loopback");
	CHECK(xport_parse("tcp:localhost:4444", true, &a) == 0 && !xport_is_loopback(&a),
	      "a name (not an address) is not taken for loopback");
	CHECK(xport_parse("unix:/tmp/x.sock", true, &a) == 0 && xport_is_loopback(&a), "unix sockets are local");
	CHECK(xport_parse("tcp:4444", false, &a) == 0 && !strcmp(a.host, "127.0.0.1"),
	      "tcp:PORT connects to localhost");
	CHECK(xport_parse("tcp:h:0", false, &a) != 0 && xport_parse("tcp:h:70000", false, &a) != 0,
	      "bad ports refused");
	CHECK(xport_parse("udp:1", false, &a) != 0, "unknown scheme refused");
}

static void test_cli(void)
{
	struct migrate_opts o;
	struct recv_opts r;
	char err[256];

	CHECK(parse_m(&o, NULL, 0) == CLI_OK && o.dirty == DIRTY_MANUAL && o.to.kind == XPORT_LOCAL &&
		      o.clear_chunk == (1ULL << 30) && o.downtime_ms == 300 && o.max_rounds == 30 &&
		      o.max_bandwidth == 0,
	      "migrate defaults");
	CHECK(o.link == MIG_DEFAULT_LINK, "migrate --to local: the default link");
	{
		const char *shm[] = { "--link", "shm" }, *sock[] = { "--link=socket" }, *tcp[] = { "--to", "tcp:4444" };

		CHECK(parse_m(&o, shm, 2) == CLI_OK && o.link == MIG_LINK_SHM, "--link shm parses");
		CHECK(parse_m(&o, sock, 1) == CLI_OK && o.link == MIG_LINK_SOCKET, "--link=socket parses");
		CHECK(parse_m(&o, tcp, 2) == CLI_OK && o.link == MIG_LINK_SOCKET,
		      "--to tcp: without --link: the socket carries the stream");
	}
	{
		const char *on[] = { "--pipeline", "on" }, *off[] = { "--pipeline=off" },
			   *bad[] = { "--pipeline", "yes" };

		CHECK(parse_m(&o, NULL, 0) == CLI_OK && o.pipeline == STREAM_PIPELINE_AUTO,
		      "--pipeline: auto by default");
		CHECK(parse_m(&o, on, 2) == CLI_OK && o.pipeline == STREAM_PIPELINE_ON, "--pipeline on parses");
		CHECK(parse_m(&o, off, 1) == CLI_OK && o.pipeline == STREAM_PIPELINE_OFF, "--pipeline=off parses");
		CHECK(parse_m(&o, bad, 2) == CLI_USAGE, "--pipeline yes refused");
		CHECK(stream_pipeline_wanted(STREAM_PIPELINE_ON) && !stream_pipeline_wanted(STREAM_PIPELINE_OFF),
		      "on and off are what they say, whatever the CPU count");
		CHECK(stream_pipeline_wanted(STREAM_PIPELINE_AUTO) ==
			      (sysconf(_SC_NPROCESSORS_ONLN) >= STREAM_PIPELINE_MIN_CPUS),
		      "auto: on with 4 or more CPUs online");
	}
	{
		const char *a[] = { "--dirty",
				    "ring",
				    "--mem",
				    "64M",
				    "--to=tcp:127.0.0.1:5000",
				    "--max-bandwidth",
				    "64M",
				    "--clear-chunk",
				    "2M",
				    "--vcpus",
				    "2",
				    "--downtime-limit",
				    "50ms" };
		CHECK(parse_m(&o, a, 13) == CLI_OK && o.dirty == DIRTY_RING && o.run.mem == (64ULL << 20) &&
			      o.to.kind == XPORT_TCP && o.max_bandwidth == (64ULL << 20) &&
			      o.clear_chunk == (2ULL << 20) && o.downtime_ms == 50,
		      "migrate options mixed with run options");
	}
	{
		const char *a[] = { "--dirty", "bogus" };
		CHECK(parse_m(&o, a, 2) == CLI_USAGE, "unknown dirty mode refused");
	}
	{
		const char *a[] = { "--clear-chunk", "768K" };
		CHECK(parse_m(&o, a, 2) == CLI_OK && o.clear_chunk == 768ULL << 10,
		      "a multiple of 256K that is no power of two (768K) is a chunk");
	}
	{
		const char *a[] = { "--clear-chunk", "slot" };
		CHECK(parse_m(&o, a, 2) == CLI_OK && o.clear_chunk == 0, "--clear-chunk slot: 0, the whole slot");
	}
	{
		const char *a[] = { "--clear-chunk", "100K" };
		CHECK(parse_m(&o, a, 2) == CLI_USAGE, "a chunk that is not a multiple of 256K refused");
	}
	{
		const char *a[] = { "--bogus" };
		CHECK(parse_m(&o, a, 1) == CLI_USAGE, "unknown option refused");
	}
	{
		const char *a[] = { "--dirty-log" };
		CHECK(parse_m(&o, a, 1) == CLI_USAGE, "--dirty-log refused for migrate");
	}
	{
		char *a[] = { "recv", "--listen", "tcp:5000", "--mem", "128M" };
		CHECK(cli_parse_recv(5, a, &r, err, sizeof(err)) == CLI_OK && r.listen.port == 5000 &&
			      r.run.mem == (128ULL << 20),
		      "recv options");
		char *b[] = { "recv", "--mem", "128M" };
		CHECK(cli_parse_recv(3, b, &r, err, sizeof(err)) == CLI_USAGE, "recv without --listen refused");
		char *c[] = { "recv", "--listen", "tcp:1", "--dirty", "get" };
		CHECK(cli_parse_recv(5, c, &r, err, sizeof(err)) == CLI_USAGE, "recv refuses migrate-only options");
		CHECK(cli_parse_recv(5, a, &r, err, sizeof(err)) == CLI_OK && r.accept_timeout_ms == 600000,
		      "recv waits 10 minutes for a sender by default");
		char *d[] = { "recv", "--listen", "tcp:1", "--accept-timeout", "30s" };
		CHECK(cli_parse_recv(5, d, &r, err, sizeof(err)) == CLI_OK && r.accept_timeout_ms == 30000,
		      "--accept-timeout 30s");
		char *e[] = { "recv", "--listen", "tcp:1", "--accept-timeout=0" };
		CHECK(cli_parse_recv(4, e, &r, err, sizeof(err)) == CLI_OK && r.accept_timeout_ms == 0,
		      "--accept-timeout=0 waits forever");
		CHECK(r.pipeline == STREAM_PIPELINE_AUTO, "recv --pipeline: auto by default");
		char *p[] = { "recv", "--listen", "tcp:1", "--pipeline", "off", "--then-migrate-to", "unix:/tmp/b" };
		CHECK(cli_parse_recv(7, p, &r, err, sizeof(err)) == CLI_OK && r.pipeline == STREAM_PIPELINE_OFF &&
			      r.onward.pipeline == STREAM_PIPELINE_OFF,
		      "recv --pipeline off: both its halves (the onward hop's sender too)");
		char *f[] = { "recv", "--listen", "tcp:1", "--accept-timeout", "1500m" };
		CHECK(cli_parse_recv(5, f, &r, err, sizeof(err)) == CLI_USAGE && strstr(err, "--accept-timeout"),
		      "--accept-timeout beyond 24h refused with a hint: %s", err);
	}
}

/* recv --then-migrate-to: the plan onward takes migrate's options and defaults, and our shape. */
static void test_recv_onward(void)
{
	struct recv_opts r;
	char err[512];

	{
		char *a[] = { "recv",  "--listen",          "unix:/tmp/a", "--mem",
			      "64M",   "--backing",         "thp",         "--post-run",
			      "300ms", "--then-migrate-to", "unix:/tmp/b", "--dirty",
			      "ring",  "--migrate-after",   "200ms",       "--max-bandwidth",
			      "64M" };
		CHECK(cli_parse_recv(17, a, &r, err, sizeof(err)) == CLI_OK, "recv with a hop onward: %s", err);
		CHECK(r.onward.to.kind == XPORT_UNIX && !strcmp(r.onward.to.path, "/tmp/b") &&
			      r.onward.dirty == DIRTY_RING && r.onward.run.duration_ms == 200 &&
			      r.onward.max_bandwidth == (64ULL << 20),
		      "the onward plan holds --then-migrate-to, --dirty, --migrate-after, --max-bandwidth");
		CHECK(r.onward.run.mem == (64ULL << 20) && r.onward.run.backing == MEM_THP &&
			      r.onward.post_run_ms == 300 && r.onward.run.json == NULL,
		      "the hop onward moves our guest: our shape and --post-run, no JSON of its own");
		CHECK(r.onward.downtime_ms == MIG_DEFAULT_DOWNTIME_MS &&
			      r.onward.max_rounds == MIG_DEFAULT_MAX_ROUNDS && r.onward.verify == MIG_VERIFY_HASH &&
			      r.onward.clear_chunk == MIG_DEFAULT_CLEAR_CHUNK,
		      "the onward plan defaults to migrate's");
		CHECK(r.listen.kind == XPORT_UNIX && !strcmp(r.listen.path, "/tmp/a"), "--listen kept beside it");
	}
	{
		char *a[] = { "recv", "--listen", "tcp:1", "--then-migrate-to", "tcp:127.0.0.1:2" };
		CHECK(cli_parse_recv(5, a, &r, err, sizeof(err)) == CLI_OK && r.onward.dirty == DIRTY_MANUAL &&
			      r.onward.run.duration_ms == RECV_DEFAULT_MIGRATE_AFTER_MS,
		      "--then-migrate-to alone: --dirty manual, --migrate-after 500ms");
		CHECK(r.onward.connect_ms == MIG_CONNECT_MS, "a destination not listening is retried 10 s by default");
	}
	{
		char *a[] = { "recv", "--listen", "tcp:1" };
		CHECK(cli_parse_recv(3, a, &r, err, sizeof(err)) == CLI_OK && r.onward.to.kind == XPORT_LOCAL,
		      "no --then-migrate-to: no hop onward");
	}
	{
		char *a[] = { "recv", "--listen", "tcp:1", "--migrate-after=1s" };
		CHECK(cli_parse_recv(4, a, &r, err, sizeof(err)) == CLI_USAGE && strstr(err, "--migrate-after") &&
			      strstr(err, "--then-migrate-to"),
		      "an onward option without --then-migrate-to names both: %s", err);
	}
	{
		char *a[] = { "recv", "--listen", "tcp:1", "--then-migrate-to", "local" };
		CHECK(cli_parse_recv(5, a, &r, err, sizeof(err)) == CLI_USAGE && strstr(err, "--then-migrate-to"),
		      "--then-migrate-to local refused: %s", err);
	}
	{
		char *a[] = { "recv", "--listen", "tcp:1", "--then-migrate-to", "tcp:10.1.2.3:5" };
		CHECK(cli_parse_recv(5, a, &r, err, sizeof(err)) == CLI_USAGE && strstr(err, "--auth-key") &&
			      strstr(err, "--then-migrate-to"),
		      "a non-loopback hop onward needs --auth-key: %s", err);
	}
}

static void test_tbucket(void)
{
	struct tbucket t;
	uint64_t now = 1000000000ULL, sent = 0, waited = 0;

	tbucket_init(&t, 0, now);
	uint64_t w0 = tbucket_take(&t, 1 << 30, now);
	CHECK(w0 == 0, "unlimited bucket never waits");
	tbucket_init(&t, 64ULL << 20, now);
	/* Send 1 MiB chunks for 640 MiB worth, sleeping as told: about 10 s must pass. */
	for (int i = 0; i < 640; i++) {
		uint64_t w = tbucket_take(&t, 1 << 20, now);

		now += w;
		waited += w;
		sent += 1 << 20;
	}
	CHECK(waited > 9900000000ULL && waited < 10100000000ULL, "64M/s bucket: 640 MiB take 10 s (+-1%%)");
	tbucket_init(&t, 1 << 20, now);
	w0 = tbucket_take(&t, 65536, now);
	CHECK(w0 == 0, "burst allowance goes at once");
	w0 = tbucket_take(&t, 1 << 20, now);
	CHECK(w0 > 990000000ULL, "then 1 MiB waits ~1 s");
	(void)sent;
}

static void test_conv(void)
{
	struct conv c;
	uint64_t e;
	enum conv_decision d1, d2, d3, d4;

	conv_init(&c, 300000000ULL, 30, 3);
	d1 = conv_decide(&c, 1, 100 << 20, 0, &e);
	CHECK(d1 == CONV_CONTINUE && e == UINT64_MAX, "unknown bandwidth continues");
	conv_init(&c, 300000000ULL, 30, 3);
	d1 = conv_decide(&c, 1, 10 << 20, 64.0 * (1 << 20), &e);
	CHECK(d1 == CONV_CONVERGED && e > 150000000ULL && e < 160000000ULL, "10M at 64M/s = 156 ms fits 300 ms");
	/* CHECK evaluates its condition twice: decide first, check the results. */
	conv_init(&c, 300000000ULL, 30, 3);
	d1 = conv_decide(&c, 1, 64 << 20, 32.0 * (1 << 20), &e);
	d2 = conv_decide(&c, 2, 63 << 20, 32.0 * (1 << 20), &e);
	d3 = conv_decide(&c, 3, 64 << 20, 32.0 * (1 << 20), &e);
	d4 = conv_decide(&c, 4, 62 << 20, 32.0 * (1 << 20), &e);
	CHECK(d1 == CONV_CONTINUE && d2 == CONV_CONTINUE && d3 == CONV_CONTINUE,
	      "3 rounds not shrinking by 10%%: continue");
	CHECK(d4 == CONV_FORCED_STALLED, "the 3rd round without shrinking forces the switch");
	conv_init(&c, 300000000ULL, 3, 3);
	d1 = conv_decide(&c, 1, 64 << 20, 1.0 * (1 << 20), &e);
	d2 = conv_decide(&c, 2, 32 << 20, 1.0 * (1 << 20), &e);
	d3 = conv_decide(&c, 3, 16 << 20, 1.0 * (1 << 20), &e);
	CHECK(d1 == CONV_CONTINUE && d2 == CONV_CONTINUE && d3 == CONV_FORCED_MAX_ROUNDS, "max rounds forces");
	conv_init(&c, 300000000ULL, 30, 3);
	d1 = conv_decide(&c, 1, 0, 1.0, &e);
	CHECK(d1 == CONV_CONVERGED && e == 0, "nothing dirty converges");
}

static void test_chunks(void)
{
	CHECK(chunk_pages_for(1ULL << 30, 16384) == 16384, "1G chunk on a 64M slot = whole slot");
	CHECK(chunk_pages_for(2ULL << 20, 16384) == 512, "2M chunk = 512 pages");
	CHECK(chunk_count(16384, 512) == 32, "64M in 2M chunks = 32");
	CHECK(chunk_count(16385, 512) == 33, "a partial last chunk counts");
	CHECK(chunk_pages_for(1ULL << 30, 1000) == 960, "clamped to the slot and 64-aligned");
	CHECK(chunk_pages_for(0, 16384) == 16384 && chunk_pages_for(0, 1000) == 960, "0 (slot): the whole slot");
	CHECK(chunk_pages_for(256ULL << 10, 16384) == 64 && chunk_pages_for(768ULL << 10, 16384) == 192 &&
		      chunk_pages_for(1280ULL << 10, 16384) == 320,
	      "256K, 768K, 1280K: 64, 192, 320 pages (multiples of 64, no power of two needed)");
	CHECK(chunk_count(4000, 192) == 21, "4000 pages in 768K chunks: 20 full and a 160-page tail");
}

int main(void)
{
	test_xport();
	test_cli();
	test_recv_onward();
	test_tbucket();
	test_conv();
	test_chunks();
	CHECK_DONE();
}
