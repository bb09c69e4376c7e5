/* Store functions of the session area: login sessions, API tokens and the
 * login rate-limit buckets. Secrets never reach this layer, only hashes. */
#ifndef ATT_STORE_SESSION_H
#define ATT_STORE_SESSION_H

#include <stdint.h>

#include "attache/crypto.h"
#include "attache/store.h"

struct att_session_row {
	char user[65];
	int64_t created;
	int64_t last_seen;
	int64_t expires; /* absolute expiry */
};

struct att_token_row {
	int64_t id;
	unsigned char hash[ATT_HASH_LEN];
	char user[65];
	char label[256];
	int64_t created;
	int64_t expires;
	int64_t revoked; /* 0, or when it was revoked */
	char created_by[65];
};

enum att_rc att_store_session_insert(struct att_store *s,
				     const unsigned char hash[ATT_HASH_LEN],
				     const struct att_session_row *r,
				     struct att_err *err) ATT_WUR;
/* ATT_ENOTFOUND when absent. */
enum att_rc att_store_session_get(struct att_store *s, const unsigned char hash[ATT_HASH_LEN],
				  struct att_session_row *out, struct att_err *err) ATT_WUR;
enum att_rc att_store_session_touch(struct att_store *s,
				    const unsigned char hash[ATT_HASH_LEN], int64_t now,
				    struct att_err *err) ATT_WUR;
/* Deletes the session; *found tells whether there was one. */
enum att_rc att_store_session_delete(struct att_store *s,
				     const unsigned char hash[ATT_HASH_LEN], bool *found,
				     struct att_err *err) ATT_WUR;
/* Deletes sessions expired at now (absolute, or idle longer than idle). */
enum att_rc att_store_session_purge(struct att_store *s, int64_t now, int64_t idle,
				    struct att_err *err) ATT_WUR;

enum att_rc att_store_token_insert(struct att_store *s, const struct att_token_row *r,
				   int64_t *id, struct att_err *err) ATT_WUR;
/* ATT_ENOTFOUND when absent. */
enum att_rc att_store_token_by_hash(struct att_store *s, const unsigned char hash[ATT_HASH_LEN],
				    struct att_token_row *out, struct att_err *err) ATT_WUR;
enum att_rc att_store_token_by_id(struct att_store *s, int64_t id, struct att_token_row *out,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_token_revoke(struct att_store *s, int64_t id, int64_t now,
				   struct att_err *err) ATT_WUR;
/* Every token ordered by id; fn returning non-zero stops the walk. */
enum att_rc att_store_token_each(struct att_store *s,
				 int (*fn)(const struct att_token_row *r, void *arg), void *arg,
				 struct att_err *err) ATT_WUR;

/* The authentication generation: bumped by every change to api_tokens and
 * users (triggers), so a verified token stays verified while it is equal. */
enum att_rc att_store_auth_gen(struct att_store *s, int64_t *gen, struct att_err *err) ATT_WUR;

/* A rate-limit bucket: tokens left (fractional) as of `updated` (seconds).
 * get returns ATT_ENOTFOUND for a bucket never used. */
enum att_rc att_store_bucket_get(struct att_store *s, const char *key, double *tokens,
				 int64_t *updated, struct att_err *err) ATT_WUR;
enum att_rc att_store_bucket_put(struct att_store *s, const char *key, double tokens,
				 int64_t updated, struct att_err *err) ATT_WUR;

#endif
