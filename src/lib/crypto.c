/* Node keys and the libsodium primitives attache uses. Secret keys live in
 * guarded sodium_malloc memory and are wiped when freed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "attache/crypto.h"
#include "util.h"
#include "banned.h"

struct att_keys {
	unsigned char sign_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char data_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

#define KEYFILE_MAGIC "attache-node-key-v1"
#define KEYFILE_MAX 1024

enum att_rc att_crypto_init(struct att_err *err)
{
	if (sodium_init() < 0)
		return att_fail(err, ATT_ECRYPTO, "libsodium could not be initialised");
	return ATT_OK;
}

enum att_rc att_keys_create(const char *path, struct att_err *err)
{
	unsigned char *sk = NULL, pk[crypto_sign_PUBLICKEYBYTES], dk[32];
	char *text = NULL;
	size_t textlen = 2 * crypto_sign_SECRETKEYBYTES + 2 * 32 + 128;
	enum att_rc rc = ATT_OK;
	int fd = -1, n;

	if (att_crypto_init(err))
		return ATT_ECRYPTO;
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	text = sodium_malloc(textlen);
	if (!sk || !text) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory for keys");
		goto out;
	}
	crypto_sign_keypair(pk, sk);
	crypto_aead_xchacha20poly1305_ietf_keygen(dk);
	{
		char skhex[2 * crypto_sign_SECRETKEYBYTES + 1], dkhex[65];

		att_hex(sk, crypto_sign_SECRETKEYBYTES, skhex);
		att_hex(dk, 32, dkhex);
		n = snprintf(text, textlen, "%s\nsign %s\ndata %s\n", KEYFILE_MAGIC, skhex, dkhex);
		sodium_memzero(skhex, sizeof(skhex));
		sodium_memzero(dkhex, sizeof(dkhex));
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = att_fail(err, errno == EEXIST ? ATT_EEXIST : ATT_EIO,
			      "cannot create key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (n < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		rc = att_fail(err, ATT_EIO, "cannot write key file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		fd = -1;
		goto out;
	}
	close(fd);
out:
	sodium_memzero(dk, sizeof(dk));
	sodium_free(sk);
	sodium_free(text);
	return rc;
}

enum att_rc att_keys_load(const char *path, struct att_keys **out, struct att_err *err)
{
	struct att_keys *k = NULL;
	char *text = NULL;
	struct stat st;
	enum att_rc rc = ATT_OK;
	ssize_t n;
	int fd;

	*out = NULL;
	if (att_crypto_init(err))
		return ATT_ECRYPTO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return att_fail(err, ATT_EIO, "cannot open the node key file %s: %s", path,
				strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
		close(fd);
		return att_fail(err, ATT_ECRYPTO,
				"the node key file %s is readable by others (mode %03o); it must be 0600",
				path, (unsigned)(st.st_mode & 0777));
	}
	text = sodium_malloc(KEYFILE_MAX + 1);
	k = sodium_malloc(sizeof(*k));
	if (!text || !k) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory for keys");
		goto out;
	}
	n = read(fd, text, KEYFILE_MAX);
	if (n <= 0) {
		rc = att_fail(err, ATT_EIO, "cannot read the node key file %s", path);
		goto out;
	}
	text[n] = '\0';
	{
		char *sign = strstr(text, "\nsign "), *data = strstr(text, "\ndata ");
		char *nl;

		if (strncmp(text, KEYFILE_MAGIC "\n", strlen(KEYFILE_MAGIC) + 1) || !sign || !data) {
			rc = att_fail(err, ATT_ECRYPTO, "%s is not an attache node key file", path);
			goto out;
		}
		sign += 6;
		data += 6;
		if ((nl = strchr(sign, '\n')))
			*nl = '\0';
		if ((nl = strchr(data, '\n')))
			*nl = '\0';
		if (!att_unhex(sign, k->sign_sk, sizeof(k->sign_sk)) ||
		    !att_unhex(data, k->data_key, sizeof(k->data_key))) {
			rc = att_fail(err, ATT_ECRYPTO, "the node key file %s is damaged", path);
			goto out;
		}
		crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
	}
out:
	close(fd);
	if (text) {
		sodium_memzero(text, KEYFILE_MAX + 1);
		sodium_free(text);
	}
	if (rc) {
		att_keys_free(k);
		return rc;
	}
	*out = k;
	return ATT_OK;
}

void att_keys_free(struct att_keys *k)
{
	if (k)
		sodium_free(k); /* sodium_free wipes the memory */
}

const unsigned char *att_keys_public(const struct att_keys *k)
{
	return k->sign_pk;
}

void att_keys_sign(const struct att_keys *k, const unsigned char *msg, size_t len,
		   unsigned char sig[ATT_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sign_sk);
}

bool att_sig_verify(const unsigned char pk[ATT_PK_LEN], const unsigned char *msg,
		    size_t len, const unsigned char sig[ATT_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

/* Nonces come from the system's generator in bulk: one getrandom() call
 * for NONCE_POOL of them instead of one per sealed record (a message seals
 * seven or more). They are as random as before, drawn once each; a pool is
 * per thread, and a forked child never reuses its parent's. */
#define NONCE_POOL 32u

static unsigned fork_gen = 1;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	fork_gen++;
}

static void fork_watch(void)
{
	(void)pthread_atfork(NULL, NULL, on_fork_child);
}

static void next_nonce(unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES])
{
	static _Thread_local struct {
		unsigned char bytes[NONCE_POOL][crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
		unsigned left, gen;
	} pool;

	pthread_once(&fork_once, fork_watch);
	if (pool.gen != fork_gen || pool.left == 0) {
		randombytes_buf(pool.bytes, sizeof(pool.bytes));
		pool.left = NONCE_POOL;
		pool.gen = fork_gen;
	}
	pool.left--;
	memcpy(nonce, pool.bytes[pool.left], sizeof(pool.bytes[0]));
	sodium_memzero(pool.bytes[pool.left], sizeof(pool.bytes[0]));
}

enum att_rc att_keys_seal(const struct att_keys *k, const unsigned char *pt, size_t len,
			  const char *ad, unsigned char **out, size_t *outlen,
			  struct att_err *err)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	const size_t ab = crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned long long clen;
	unsigned char *buf;
	size_t total;

	*out = NULL;
	if (!att_size_add(len, nb + ab, &total))
		return att_fail(err, ATT_ELIMIT, "content too large to encrypt");
	buf = malloc(total);
	if (!buf)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	next_nonce(buf);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + nb, &clen, pt, len,
						   (const unsigned char *)ad, ad ? strlen(ad) : 0,
						   NULL, buf, k->data_key);
	*out = buf;
	*outlen = nb + (size_t)clen;
	return ATT_OK;
}

enum att_rc att_keys_open(const struct att_keys *k, const unsigned char *ct, size_t len,
			  const char *ad, unsigned char **out, size_t *outlen,
			  struct att_err *err)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	const size_t ab = crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned long long plen;
	unsigned char *buf;

	*out = NULL;
	if (len < nb + ab)
		return att_fail(err, ATT_ECRYPTO, "ciphertext too short");
	buf = malloc(len - nb - ab + 1);
	if (!buf)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(buf, &plen, NULL, ct + nb, len - nb,
						       (const unsigned char *)ad,
						       ad ? strlen(ad) : 0, ct,
						       k->data_key) != 0) {
		free(buf);
		return att_fail(err, ATT_ECRYPTO,
				"stored content failed authentication (altered or wrong key)");
	}
	buf[plen] = '\0';
	*out = buf;
	*outlen = (size_t)plen;
	return ATT_OK;
}

enum att_rc att_password_hash(const char *pw, char out[ATT_PWHASH_LEN], struct att_err *err)
{
	if (att_crypto_init(err))
		return ATT_ECRYPTO;
	if (!pw || strlen(pw) < 8)
		return att_fail(err, ATT_EINVAL, "password must have at least 8 characters");
	if (strlen(pw) > 1024)
		return att_fail(err, ATT_EINVAL, "password is too long (at most 1024 bytes)");
	if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return att_fail(err, ATT_ENOMEM, "out of memory hashing the password");
	return ATT_OK;
}

bool att_password_verify(const char *encoded, const char *pw)
{
	if (!encoded || !*encoded || !pw || strlen(pw) > 1024)
		return false;
	if (sodium_init() < 0)
		return false;
	return crypto_pwhash_str_verify(encoded, pw, strlen(pw)) == 0;
}

/* SHA-256 comes from nettle, which uses the CPU's SHA extensions when it has
 * them (five times libsodium's portable code here); it is the hash of the
 * audit tree, where verify of a million entries must stay within seconds. */
void att_sha256(unsigned char out[ATT_HASH_LEN], const void *a, size_t alen,
		const void *b, size_t blen, const void *c, size_t clen)
{
	struct sha256_ctx st;

	sha256_init(&st);
	if (a)
		sha256_update(&st, alen, a);
	if (b)
		sha256_update(&st, blen, b);
	if (c)
		sha256_update(&st, clen, c);
	sha256_digest(&st, ATT_HASH_LEN, out);
}
