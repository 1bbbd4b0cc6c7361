/* SPDX-License-Identifier: MIT */
/* The listener's pre-shared key and its challenge-response handshake (see auth.h); libsodium does the crypto. */
#include "mig/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static const char auth_magic[8] = { 'R', 'V', 'M', 'A', 'U', 'T', 'H', '1' };

_Static_assert(AUTH_MAC_BYTES == crypto_auth_BYTES, "the answer is one crypto_auth tag");
_Static_assert(sizeof(((struct auth_key *)0)->key) == crypto_auth_KEYBYTES, "the key is crypto_auth's");

static const char *auth_role_name(enum auth_role r)
{
	return r == AUTH_SOURCE ? "source" : "destination";
}

int auth_key_load(const char *path, struct auth_key *k, char *err, size_t errlen)
{
	unsigned char buf[AUTH_KEY_MAX_BYTES + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	memset(k, 0, sizeof(*k));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "--auth-key %s: libsodium did not initialise", path);
		return -1;
	}
	/* O_NONBLOCK: a FIFO named here must not hang the parser (it is refused below as no regular file). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "--auth-key %s: cannot open it (%s); give the path of a key file", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(err, errlen,
			 "--auth-key %s: mode %04o lets others than its owner read or write it (or it is no regular "
			 "file); use chmod 600 on it, or write a new key: (umask 077; head -c 32 /dev/urandom >FILE)",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "--auth-key %s: read: %s", path, strerror(errno));
			close(fd);
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got < AUTH_KEY_MIN_BYTES || got > AUTH_KEY_MAX_BYTES) {
		snprintf(err, errlen, "--auth-key %s: %zu%s bytes; want %d to %d (e.g. head -c 32 /dev/urandom >FILE)",
			 path, got, got > AUTH_KEY_MAX_BYTES ? " or more" : "", AUTH_KEY_MIN_BYTES, AUTH_KEY_MAX_BYTES);
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	/* Any length of file to crypto_auth's fixed key: a keyed hash would add nothing, a plain one suffices. */
	crypto_generichash(k->key, sizeof(k->key), buf, got, NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	snprintf(k->path, sizeof(k->path), "%s", path);
	k->set = true;
	return 0;
}

void auth_key_forget(struct auth_key *k)
{
	sodium_memzero(k->key, sizeof(k->key));
	k->set = false;
}

/*
 * One deadline for the whole handshake, not one per wait: a peer that trickles a byte now and then
 * must not hold the one-shot listener for longer than timeout_ms in all.
 */
static uint64_t auth_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* What is left of the handshake's time, at least 1 ms, or -ETIMEDOUT once it has run out. */
static int auth_wait(int fd, short ev, uint64_t deadline_ms)
{
	uint64_t now = auth_now_ms();

	if (now >= deadline_ms)
		return -ETIMEDOUT;
	return fd_wait(fd, ev, (int)(deadline_ms - now));
}

static int auth_send(int fd, const void *buf, size_t len, uint64_t deadline_ms)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			int rc = auth_wait(fd, POLLOUT, deadline_ms);

			if (rc)
				return rc;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* All of len bytes before deadline_ms; -ENODATA when the peer closed first. */
static int auth_recv(int fd, void *buf, size_t len, uint64_t deadline_ms)
{
	unsigned char *p = buf;

	while (len) {
		int rc = auth_wait(fd, POLLIN, deadline_ms);
		ssize_t n;

		if (rc)
			return rc;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* What `role` answers with a MAC over: its role and both nonces, the source's first. */
static void auth_message(enum auth_role role, const unsigned char *src_nonce, const unsigned char *dst_nonce,
			 unsigned char msg[1 + 2 * AUTH_NONCE_BYTES])
{
	msg[0] = role == AUTH_SOURCE ? 'S' : 'D';
	memcpy(msg + 1, src_nonce, AUTH_NONCE_BYTES);
	memcpy(msg + 1 + AUTH_NONCE_BYTES, dst_nonce, AUTH_NONCE_BYTES);
}

static int auth_io_fail(int rc, const char *what, enum auth_role peer, int timeout_ms, char *err, size_t errlen)
{
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "authentication: no %s from the %s within %g s", what, auth_role_name(peer),
			 timeout_ms / 1000.0);
	else if (rc == -ENODATA)
		snprintf(err, errlen, "authentication: the %s closed the connection before its %s%s",
			 auth_role_name(peer), what,
			 peer == AUTH_DESTINATION ? " (does it run with the same --auth-key?)" : "");
	else
		snprintf(err, errlen, "authentication: %s the %s: %s", what, auth_role_name(peer), strerror(-rc));
	return rc;
}

int auth_handshake(int fd, const struct auth_key *k, enum auth_role role, int timeout_ms, char *err, size_t errlen)
{
	enum auth_role peer = role == AUTH_SOURCE ? AUTH_DESTINATION : AUTH_SOURCE;
	unsigned char hello[sizeof(auth_magic) + AUTH_NONCE_BYTES], theirs[sizeof(hello)];
	unsigned char ours_mac[AUTH_MAC_BYTES], their_mac[AUTH_MAC_BYTES], msg[1 + 2 * AUTH_NONCE_BYTES];
	const unsigned char *src_nonce, *dst_nonce;
	uint64_t deadline = auth_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : AUTH_TIMEOUT_MS);
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "authentication: libsodium did not initialise");
		return -EIO;
	}
	memcpy(hello, auth_magic, sizeof(auth_magic));
	randombytes_buf(hello + sizeof(auth_magic), AUTH_NONCE_BYTES);
	rc = auth_send(fd, hello, sizeof(hello), deadline);
	if (rc)
		return auth_io_fail(rc, "sending our challenge to", peer, timeout_ms, err, errlen);
	rc = auth_recv(fd, theirs, sizeof(theirs), deadline);
	if (rc)
		return auth_io_fail(rc, "challenge", peer, timeout_ms, err, errlen);
	if (memcmp(theirs, auth_magic, sizeof(auth_magic))) {
		snprintf(err, errlen,
			 "authentication: the %s did not start the handshake (does it run with --auth-key?)",
			 auth_role_name(peer));
		return -EACCES;
	}
	if (!sodium_memcmp(theirs + sizeof(auth_magic), hello + sizeof(auth_magic), AUTH_NONCE_BYTES)) {
		snprintf(err, errlen, "authentication: the %s sent our own challenge back", auth_role_name(peer));
		return -EACCES;
	}
	src_nonce = (role == AUTH_SOURCE ? hello : theirs) + sizeof(auth_magic);
	dst_nonce = (role == AUTH_SOURCE ? theirs : hello) + sizeof(auth_magic);
	auth_message(role, src_nonce, dst_nonce, msg);
	crypto_auth(ours_mac, msg, sizeof(msg), k->key);
	rc = auth_send(fd, ours_mac, sizeof(ours_mac), deadline);
	sodium_memzero(ours_mac, sizeof(ours_mac));
	if (rc)
		return auth_io_fail(rc, "sending our answer to", peer, timeout_ms, err, errlen);
	rc = auth_recv(fd, their_mac, sizeof(their_mac), deadline);
	if (rc)
		return auth_io_fail(rc, "answer", peer, timeout_ms, err, errlen);
	auth_message(peer, src_nonce, dst_nonce, msg);
	if (crypto_auth_verify(their_mac, msg, sizeof(msg), k->key)) {
		snprintf(err, errlen,
			 "authentication: the %s's answer does not match our --auth-key %s (a different key on its "
			 "side, or none)",
			 auth_role_name(peer), k->path);
		return -EACCES;
	}
	return 0;
}
