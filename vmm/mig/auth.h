/* SPDX-License-Identifier: MIT */
/*
 * The listener's authentication: a pre-shared key (--auth-key FILE on both ends) and a
 * challenge-response handshake on the connected socket before the first stream record.
 *
 *   each side  -> "RVMAUTH1" + a 32-byte random nonce (libsodium randombytes_buf)
 *   each side  -> crypto_auth(key, role || source nonce || destination nonce)   (HMAC-SHA512-256)
 *   each side checks the peer's answer with crypto_auth_verify for the peer's role.
 *
 * The role in the MAC stops a peer from reflecting our own answer back; the fresh nonce of each side
 * stops a recorded answer from being replayed on another connection.
 */
#ifndef RVMIG_AUTH_H
#define RVMIG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_KEY_MIN_BYTES 32   /* a key file shorter than this is refused                */
#define AUTH_KEY_MAX_BYTES 4096 /* and a longer one is not a key file                     */
#define AUTH_NONCE_BYTES   32
#define AUTH_MAC_BYTES     32    /* crypto_auth_BYTES                                      */
#define AUTH_TIMEOUT_MS    10000 /* the whole handshake, both of the peer's messages          */

enum auth_role { AUTH_SOURCE, AUTH_DESTINATION };

struct auth_key {
	bool set;
	char path[256];
	unsigned char key[32]; /* crypto_auth_KEYBYTES: BLAKE2b-256 of the key file's bytes  */
};

/*
 * Reads the key file into k. Refuses a file that others than its owner may read (group/world bits),
 * one shorter than AUTH_KEY_MIN_BYTES or longer than AUTH_KEY_MAX_BYTES. 0, or -1 with a one-line
 * reason and hint in err.
 */
int auth_key_load(const char *path, struct auth_key *k, char *err, size_t errlen);
/* Zeroes the key material (sodium_memzero). */
void auth_key_forget(struct auth_key *k);

/*
 * Runs the handshake on fd as `role`, within timeout_ms in all (<= 0: AUTH_TIMEOUT_MS).
 * 0 when the peer proved it holds the same key; -errno with a one-line reason in err otherwise
 * (-EACCES: a wrong answer or no handshake at all; -ETIMEDOUT; -ENODATA: the peer closed the
 * connection; another -errno from send/recv/poll, e.g. -ECONNRESET).
 *
 * It authenticates the two ends to each other, not the stream that follows: the records after it
 * carry an unkeyed XXH64, so someone who can rewrite the connection in flight could relay the
 * handshake and then change records. Across an untrusted network run the migration in a tunnel.
 */
int auth_handshake(int fd, const struct auth_key *k, enum auth_role role, int timeout_ms, char *err, size_t errlen);

#endif
