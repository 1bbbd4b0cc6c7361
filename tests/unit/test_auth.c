/* SPDX-License-Identifier: MIT */
/*
 * The listener's handshake (vmm/mig/auth.c) over a socketpair: the right key on both ends, a wrong
 * key, a peer that speaks no handshake, a truncated answer, a replayed and a reflected answer, a silent
 * peer (timeout); and the key file's checks (mode, size).
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmd/migrate_opts.h"
#include "cmd/recv.h"
#include "mig/auth.h"

#define T_MS 2000 /* long enough never to fire in the cases that must not time out */

struct side {
	int fd;
	const struct auth_key *k;
	enum auth_role role;
	int timeout_ms;
	int rc;
	char err[512];
};

static void *side_run(void *arg)
{
	struct side *s = arg;

	s->rc = auth_handshake(s->fd, s->k, s->role, s->timeout_ms, s->err, sizeof(s->err));
	return NULL;
}

static void key_of(struct auth_key *k, unsigned char fill)
{
	memset(k, 0, sizeof(*k));
	memset(k->key, fill, sizeof(k->key));
	strcpy(k->path, "test.key");
	k->set = true;
}

/* Both ends real, each in its own thread. */
static void both(const struct auth_key *src, const struct auth_key *dst, struct side *s, struct side *d)
{
	int fds[2];
	pthread_t t;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		abort();
	*s = (struct side){ .fd = fds[0], .k = src, .role = AUTH_SOURCE, .timeout_ms = T_MS };
	*d = (struct side){ .fd = fds[1], .k = dst, .role = AUTH_DESTINATION, .timeout_ms = T_MS };
	pthread_create(&t, NULL, side_run, d);
	side_run(s);
	pthread_join(t, NULL);
	close(fds[0]);
	close(fds[1]);
}

static void test_keys_match_or_not(void)
{
	struct auth_key a, b;
	struct side s, d;

	key_of(&a, 0x11);
	key_of(&b, 0x22);
	both(&a, &a, &s, &d);
	CHECK(s.rc == 0 && d.rc == 0, "same key: both ends accept (source %d, destination %d)", s.rc, d.rc);
	both(&a, &b, &s, &d);
	CHECK(s.rc == -EACCES && d.rc == -EACCES, "different keys: both ends refuse (source %d, destination %d)", s.rc,
	      d.rc);
	CHECK(strstr(d.err, "source's answer does not match") && strstr(s.err, "destination's answer does not match"),
	      "each names whose answer failed: '%s' / '%s'", s.err, d.err);
}

/* A fake source the test drives by hand against a real destination thread. */
struct fake {
	int fd;
	pthread_t t;
	struct side d;
	unsigned char dst_nonce[AUTH_NONCE_BYTES];
	unsigned char dst_mac[AUTH_MAC_BYTES];
};

static void fake_start(struct fake *f, const struct auth_key *k, int timeout_ms)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		abort();
	f->fd = fds[0];
	f->d = (struct side){ .fd = fds[1], .k = k, .role = AUTH_DESTINATION, .timeout_ms = timeout_ms };
	pthread_create(&f->t, NULL, side_run, &f->d);
}

static int fake_finish(struct fake *f)
{
	close(f->fd); /* a destination still waiting sees the end */
	pthread_join(f->t, NULL);
	close(f->d.fd);
	return f->d.rc;
}

static void read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			abort();
		got += (size_t)n;
	}
}

/* Sends "RVMAUTH1" + src_nonce and reads the destination's hello. */
static void fake_hello(struct fake *f, const unsigned char *src_nonce)
{
	unsigned char hello[8 + AUTH_NONCE_BYTES];

	memcpy(hello, "RVMAUTH1", 8);
	memcpy(hello + 8, src_nonce, AUTH_NONCE_BYTES);
	if (write(f->fd, hello, sizeof(hello)) != (ssize_t)sizeof(hello))
		abort();
	read_all(f->fd, hello, sizeof(hello));
	memcpy(f->dst_nonce, hello + 8, AUTH_NONCE_BYTES);
}

/* What an honest source answers, computed here with the key (the test knows it). */
static void source_answer(const struct auth_key *k, const unsigned char *src_nonce, const unsigned char *dst_nonce,
			  unsigned char mac[AUTH_MAC_BYTES])
{
	unsigned char msg[1 + 2 * AUTH_NONCE_BYTES];

	msg[0] = 'S';
	memcpy(msg + 1, src_nonce, AUTH_NONCE_BYTES);
	memcpy(msg + 1 + AUTH_NONCE_BYTES, dst_nonce, AUTH_NONCE_BYTES);
	crypto_auth(mac, msg, sizeof(msg), k->key);
}

static void test_hostile_sources(void)
{
	struct auth_key k;
	struct fake f;
	unsigned char ns[AUTH_NONCE_BYTES], mac[AUTH_MAC_BYTES], recorded[AUTH_MAC_BYTES];
	int rc;

	key_of(&k, 0x33);
	memset(ns, 0x5a, sizeof(ns));

	/* The honest answer, by hand: the fake is right, so a refusal below is the destination's doing. */
	fake_start(&f, &k, T_MS);
	fake_hello(&f, ns);
	source_answer(&k, ns, f.dst_nonce, recorded);
	CHECK(write(f.fd, recorded, sizeof(recorded)) == (ssize_t)sizeof(recorded), "hand-made answer sent");
	read_all(f.fd, f.dst_mac, sizeof(f.dst_mac));
	rc = fake_finish(&f);
	CHECK(rc == 0, "a correct answer computed outside auth.c is accepted (%d: %s)", rc, f.d.err);

	/* Replay: the same source nonce and the answer recorded above, on a new connection. */
	fake_start(&f, &k, T_MS);
	fake_hello(&f, ns);
	CHECK(write(f.fd, recorded, sizeof(recorded)) == (ssize_t)sizeof(recorded), "recorded answer replayed");
	read_all(f.fd, mac, sizeof(mac));
	rc = fake_finish(&f);
	CHECK(rc == -EACCES && strstr(f.d.err, "does not match"), "a replayed answer is refused: %s", f.d.err);

	/* Reflection: the destination's own answer sent back to it. */
	fake_start(&f, &k, T_MS);
	fake_hello(&f, ns);
	read_all(f.fd, mac, sizeof(mac)); /* it answers before it checks ours */
	CHECK(write(f.fd, mac, sizeof(mac)) == (ssize_t)sizeof(mac), "destination's answer reflected");
	rc = fake_finish(&f);
	CHECK(rc == -EACCES, "its own answer reflected back is refused: %s", f.d.err);

	/* Truncated: 10 bytes of a correct answer, then the connection closes. */
	fake_start(&f, &k, T_MS);
	fake_hello(&f, ns);
	source_answer(&k, ns, f.dst_nonce, mac);
	CHECK(write(f.fd, mac, 10) == 10, "10 bytes of the answer sent");
	read_all(f.fd, f.dst_mac, sizeof(f.dst_mac)); /* nothing unread: the close is a clean end, not a reset */
	rc = fake_finish(&f);
	CHECK(rc == -ENODATA && strstr(f.d.err, "closed the connection before its answer"),
	      "a truncated answer is refused: %s", f.d.err);

	/* No handshake at all: a sender without --auth-key starts with its stream. */
	fake_start(&f, &k, T_MS);
	{
		unsigned char junk[8 + AUTH_NONCE_BYTES];

		memset(junk, 'x', sizeof(junk));
		CHECK(write(f.fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "a stream's first bytes sent");
		read_all(f.fd, junk, sizeof(junk)); /* the destination's hello: a sender waits for a reply */
	}
	rc = fake_finish(&f);
	CHECK(rc == -EACCES && strstr(f.d.err, "did not start the handshake"), "no handshake is refused: %s", f.d.err);

	/* Silence: the hello comes, the answer never. */
	fake_start(&f, &k, 100);
	fake_hello(&f, ns);
	pthread_join(f.t, NULL);
	CHECK(f.d.rc == -ETIMEDOUT && strstr(f.d.err, "no answer from the source"), "a silent peer times out: %s",
	      f.d.err);
	close(f.fd);
	close(f.d.fd);
}

static void write_key(const char *path, size_t len, mode_t mode)
{
	unsigned char buf[64];
	FILE *f = fopen(path, "wb");

	memset(buf, 0xa5, sizeof(buf));
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) || chmod(path, mode))
		abort();
}

static void test_key_file(void)
{
	char path[] = "/tmp/rvmig-test-key-XXXXXX", err[512];
	struct auth_key k, k2;
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	close(fd);
	write_key(path, 32, 0600);
	CHECK(auth_key_load(path, &k, err, sizeof(err)) == 0 && k.set, "32 bytes, mode 0600: loaded (%s)", err);
	CHECK(auth_key_load(path, &k2, err, sizeof(err)) == 0 && !memcmp(k.key, k2.key, sizeof(k.key)),
	      "the same file gives the same key");
	write_key(path, 33, 0400);
	CHECK(auth_key_load(path, &k2, err, sizeof(err)) == 0 && memcmp(k.key, k2.key, sizeof(k.key)),
	      "other contents (mode 0400) give another key");
	write_key(path, 32, 0640);
	CHECK(auth_key_load(path, &k, err, sizeof(err)) == -1 && strstr(err, "chmod 600") && !k.set,
	      "group-readable refused with a hint: %s", err);
	write_key(path, 32, 0604);
	CHECK(auth_key_load(path, &k, err, sizeof(err)) == -1 && strstr(err, "mode 0604"), "world-readable refused");
	write_key(path, 31, 0600);
	CHECK(auth_key_load(path, &k, err, sizeof(err)) == -1 && strstr(err, "31 bytes"), "31 bytes refused: %s", err);
	write_key(path, 32, 0600);
	{
		char *recv_argv[] = { "recv", "--listen", "tcp:0.0.0.0:4444", "--auth-key", path, NULL };
		char *mig_argv[] = { "migrate", "--auth-key", path, NULL };
		struct recv_opts ro;
		struct migrate_opts mo;

		CHECK(cli_parse_recv(5, recv_argv, &ro, err, sizeof(err)) == CLI_OK && ro.auth.set &&
			      !strcmp(ro.auth.path, path),
		      "recv on 0.0.0.0 with a good key file parses, the key loaded (%s)", err);
		CHECK(cli_parse_migrate(3, mig_argv, &mo, err, sizeof(err)) == CLI_USAGE && strstr(err, "--to local"),
		      "a key with --to local is refused: %s", err);
	}
	unlink(path);
	CHECK(auth_key_load(path, &k, err, sizeof(err)) == -1 && strstr(err, "cannot open"), "a missing file refused");
	CHECK(auth_key_load("/tmp", &k, err, sizeof(err)) == -1, "a directory refused");
	CHECK(mkfifo(path, 0600) == 0 && auth_key_load(path, &k, err, sizeof(err)) == -1 &&
		      strstr(err, "no regular file"),
	      "a FIFO is refused without waiting for a writer");
	unlink(path);
	auth_key_forget(&k2);
	CHECK(!k2.set && sodium_is_zero(k2.key, sizeof(k2.key)), "forget zeroes the key");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_keys_match_or_not();
	test_hostile_sources();
	test_key_file();
	CHECK_DONE();
}
