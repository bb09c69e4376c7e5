/* Node keys and cryptographic primitives, all from libsodium: Ed25519
 * signatures for audit tree heads, XChaCha20-Poly1305 for content at rest,
 * Argon2id for passwords, SHA-256 for the audit Merkle tree. */
#ifndef ATTACHE_CRYPTO_H
#define ATTACHE_CRYPTO_H

#include "attache/common.h"

#define ATT_HASH_LEN 32u
#define ATT_SIG_LEN 64u
#define ATT_PK_LEN 32u
/* Argon2id encoded hash string, NUL included. */
#define ATT_PWHASH_LEN 128u

/* The node's secret keys, held in sodium_malloc'd memory. */
struct att_keys;

/* Initialises libsodium; safe to call many times, from any thread. */
enum att_rc att_crypto_init(struct att_err *err) ATT_WUR;

/* Creates a new key file at path (mode 0600, refused if it exists) with a new
 * Ed25519 signing key and a new 256-bit data key. */
enum att_rc att_keys_create(const char *path, struct att_err *err) ATT_WUR;

/* Loads the key file at path; refuses a file readable by group or others. */
enum att_rc att_keys_load(const char *path, struct att_keys **out, struct att_err *err) ATT_WUR;

/* Wipes and frees the keys. NULL is fine. */
void att_keys_free(struct att_keys *k);

/* The node's public signing key. */
const unsigned char *att_keys_public(const struct att_keys *k);

/* Signs msg with the node key: sig receives ATT_SIG_LEN bytes. */
void att_keys_sign(const struct att_keys *k, const unsigned char *msg, size_t len,
		   unsigned char sig[ATT_SIG_LEN]);

/* True when sig is a valid signature of msg by pk. */
bool att_sig_verify(const unsigned char pk[ATT_PK_LEN], const unsigned char *msg,
		    size_t len, const unsigned char sig[ATT_SIG_LEN]);

/* Content at rest. Encrypts pt under the data key with a random nonce and the
 * associated data ad (binding the ciphertext to its record); *out (malloc'd)
 * is nonce || ciphertext || tag. Decryption fails with ATT_ECRYPTO when any
 * byte or the associated data was changed. */
enum att_rc att_keys_seal(const struct att_keys *k, const unsigned char *pt, size_t len,
			  const char *ad, unsigned char **out, size_t *outlen,
			  struct att_err *err) ATT_WUR;
enum att_rc att_keys_open(const struct att_keys *k, const unsigned char *ct, size_t len,
			  const char *ad, unsigned char **out, size_t *outlen,
			  struct att_err *err) ATT_WUR;

/* Argon2id password hashing (interactive limits) into an encoded string, and
 * its verification (constant time). */
enum att_rc att_password_hash(const char *pw, char out[ATT_PWHASH_LEN],
			      struct att_err *err) ATT_WUR;
bool att_password_verify(const char *encoded, const char *pw);

/* SHA-256 of the concatenation of up to three parts (NULL parts skipped). */
void att_sha256(unsigned char out[ATT_HASH_LEN], const void *a, size_t alen,
		const void *b, size_t blen, const void *c, size_t clen);

#endif
