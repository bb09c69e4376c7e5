/* Login sessions, API tokens and the login rate limiter: who a network
 * caller is, decided here so that the HTTP code holds no policy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/session.h"
#include "attache/users.h"
#include "node_int.h"
#include "store_session.h"
#include "util.h"
#include "banned.h"

#define SECRET_BYTES 32u
#define PASSWORD_MAX 1024u
/* A session's last use is recorded at most this often (seconds), so that a
 * busy client does not cost a write per request. */
#define TOUCH_EVERY 60

static const char session_domain[] = "attache-session-v1";
static const char csrf_domain[] = "attache-csrf-v1";
static const char token_domain[] = "attache-token-v1";

static void secret_hash(unsigned char out[ATT_HASH_LEN], const char *domain,
			const unsigned char raw[SECRET_BYTES])
{
	att_sha256(out, domain, strlen(domain) + 1, raw, SECRET_BYTES, NULL, 0);
}

/* The CSRF token is derived from the session id, so it needs no storage and
 * cannot be forged without the (HttpOnly) cookie. */
static void csrf_for(const unsigned char raw[SECRET_BYTES], char out[ATT_CSRF_LEN])
{
	unsigned char h[ATT_HASH_LEN];

	att_sha256(h, csrf_domain, sizeof(csrf_domain), raw, SECRET_BYTES, NULL, 0);
	att_hex(h, ATT_HASH_LEN, out);
}

static bool parse_secret(const char *hex, unsigned char raw[SECRET_BYTES])
{
	return hex && strlen(hex) == 2 * SECRET_BYTES && att_unhex(hex, raw, SECRET_BYTES);
}

static void principal_from(const struct att_actor *a, int64_t expires,
			   struct att_principal *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->user, sizeof(out->user), "%s", a->id);
	snprintf(out->role, sizeof(out->role), "%s", att_role_name(a->role));
	snprintf(out->name, sizeof(out->name), "%s", a->name);
	snprintf(out->unit, sizeof(out->unit), "%s", a->unit);
	out->expires = expires;
}

/* Appends one audit entry with a JSON detail built by json_pack, inside the
 * open transaction. detail is stolen. */
static enum att_rc audit_json(struct att_node *node, const struct att_actor *actor,
			      const char *action, const char *object, json_t *detail,
			      struct att_err *err)
{
	char *ds = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	enum att_rc rc;

	if (detail && !ds)
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	else
		rc = att_audit_append(node, actor, action, object, ds, err);
	free(ds);
	json_decref(detail);
	return rc;
}

static enum att_rc commit_or_rollback(struct att_node *node, enum att_rc rc,
				      struct att_err *err)
{
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
}

/* --- login rate limiter -------------------------------------------------- */

struct bucket {
	char key[ATT_ID_MAX + 80];
	double burst, refill; /* capacity; seconds per regained attempt */
	double tokens;
};

static enum att_rc bucket_load(struct att_node *node, struct bucket *b, int64_t now,
			       struct att_err *err)
{
	int64_t updated = now;
	enum att_rc rc = att_store_bucket_get(node->store, b->key, &b->tokens, &updated, err);

	if (rc == ATT_ENOTFOUND) {
		b->tokens = b->burst;
		return ATT_OK;
	}
	if (rc)
		return rc;
	if (now > updated)
		b->tokens += (double)(now - updated) / b->refill;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	return ATT_OK;
}

static void buckets_for(struct bucket *u, struct bucket *ip, const char *user_id,
			const char *addr)
{
	snprintf(u->key, sizeof(u->key), "user:%s", user_id);
	u->burst = ATT_LOGIN_USER_BURST;
	u->refill = ATT_LOGIN_USER_REFILL;
	snprintf(ip->key, sizeof(ip->key), "ip:%.64s", addr && *addr ? addr : "unknown");
	ip->burst = ATT_LOGIN_IP_BURST;
	ip->refill = ATT_LOGIN_IP_REFILL;
}

/* Takes one attempt from both buckets, or none when either is empty. */
static enum att_rc limiter_take(struct att_node *node, const char *user_id, const char *addr,
				int64_t *retry_after, struct att_err *err)
{
	struct bucket b[2];
	int64_t now = att_now();
	enum att_rc rc;

	buckets_for(&b[0], &b[1], user_id, addr);
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	for (int i = 0; !rc && i < 2; i++)
		rc = bucket_load(node, &b[i], now, err);
	if (!rc && (b[0].tokens < 1.0 || b[1].tokens < 1.0)) {
		double wait = 0;

		for (int i = 0; i < 2; i++) {
			if (b[i].tokens < 1.0 && (1.0 - b[i].tokens) * b[i].refill > wait)
				wait = (1.0 - b[i].tokens) * b[i].refill;
		}
		*retry_after = (int64_t)ceil(wait);
		if (*retry_after < 1)
			*retry_after = 1;
		att_node_rollback(node);
		return att_fail(err, ATT_ELIMIT,
				"too many login attempts; try again in %lld seconds",
				(long long)*retry_after);
	}
	for (int i = 0; !rc && i < 2; i++)
		rc = att_store_bucket_put(node->store, b[i].key, b[i].tokens - 1.0, now, err);
	return commit_or_rollback(node, rc, err);
}

/* A successful login gives its attempt back, so that people who type their
 * password right are never limited; guessing drains the buckets. Runs inside
 * the login transaction. */
static enum att_rc limiter_refund(struct att_node *node, const char *user_id, const char *addr,
				  struct att_err *err)
{
	struct bucket b[2];
	int64_t now = att_now();
	enum att_rc rc = ATT_OK;

	buckets_for(&b[0], &b[1], user_id, addr);
	for (int i = 0; !rc && i < 2; i++) {
		rc = bucket_load(node, &b[i], now, err);
		if (!rc)
			rc = att_store_bucket_put(node->store, b[i].key,
						  fmin(b[i].burst, b[i].tokens + 1.0), now, err);
	}
	return rc;
}

/* --- sessions -------------------------------------------------------------- */

enum att_rc att_session_login(struct att_node *node, const char *user_id,
			      const char *password, const char *ip, struct att_login *out,
			      struct att_err *err)
{
	unsigned char raw[SECRET_BYTES], hash[ATT_HASH_LEN];
	struct att_session_row row;
	struct att_actor actor;
	char obj[96];
	bool id_ok;
	enum att_rc rc;

	memset(out, 0, sizeof(*out));
	id_ok = user_id && att_check_id(NULL, "user", user_id) == ATT_OK;
	/* A malformed user id is charged to one shared bucket, so that random
	 * names cannot each get a fresh one. */
	rc = limiter_take(node, id_ok ? user_id : "?", ip, &out->retry_after, err);
	if (rc)
		return rc;
	if (!id_ok || !password || strlen(password) > PASSWORD_MAX ||
	    att_user_authenticate(node, user_id, password, NULL) != ATT_OK ||
	    att_actor_load(node, user_id, &actor, NULL) != ATT_OK) {
		rc = att_node_begin(node, err);
		if (!rc) {
			snprintf(obj, sizeof(obj), "user/%s", id_ok ? user_id : "?");
			rc = audit_json(node, NULL, "session.login-failed", obj,
					json_pack("{s:s}", "ip", ip && *ip ? ip : "unknown"), err);
			rc = commit_or_rollback(node, rc, err);
		}
		if (rc)
			return rc;
		return att_fail(err, ATT_EDENIED, "wrong user or password");
	}
	randombytes_buf(raw, sizeof(raw));
	secret_hash(hash, session_domain, raw);
	memset(&row, 0, sizeof(row));
	snprintf(row.user, sizeof(row.user), "%s", actor.id);
	row.created = row.last_seen = att_now();
	row.expires = row.created + ATT_SESSION_MAX;
	rc = att_node_begin(node, err);
	if (rc)
		goto out;
	rc = limiter_refund(node, user_id, ip, err);
	if (!rc)
		rc = att_store_session_purge(node->store, row.created, ATT_SESSION_IDLE, err);
	if (!rc)
		rc = att_store_session_insert(node->store, hash, &row, err);
	if (!rc) {
		snprintf(obj, sizeof(obj), "user/%s", actor.id);
		rc = audit_json(node, &actor, "session.login", obj,
				json_pack("{s:s,s:I}", "ip", ip && *ip ? ip : "unknown",
					  "expires", (json_int_t)row.expires),
				err);
	}
	rc = commit_or_rollback(node, rc, err);
	if (rc)
		goto out;
	att_hex(raw, SECRET_BYTES, out->session);
	principal_from(&actor, row.expires, &out->who);
	csrf_for(raw, out->who.csrf);
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

static enum att_rc expired(struct att_err *err)
{
	return att_fail(err, ATT_EDENIED, "the session has expired or ended; log in again");
}

enum att_rc att_session_check(struct att_node *node, const char *session,
			      struct att_principal *out, struct att_err *err)
{
	unsigned char raw[SECRET_BYTES], hash[ATT_HASH_LEN];
	struct att_session_row row;
	struct att_actor actor;
	int64_t now = att_now(), exp;
	enum att_rc rc;

	memset(out, 0, sizeof(*out));
	if (!parse_secret(session, raw))
		return expired(err);
	secret_hash(hash, session_domain, raw);
	rc = att_store_session_get(node->store, hash, &row, err);
	if (rc == ATT_ENOTFOUND)
		rc = expired(err);
	if (rc)
		goto out;
	if (row.expires <= now || row.last_seen + ATT_SESSION_IDLE <= now) {
		rc = expired(err);
		goto out;
	}
	rc = att_actor_load(node, row.user, &actor, err);
	if (rc)
		goto out;
	if (now - row.last_seen >= TOUCH_EVERY) {
		rc = att_store_session_touch(node->store, hash, now, err);
		if (rc)
			goto out;
		row.last_seen = now;
	}
	exp = row.last_seen + ATT_SESSION_IDLE;
	principal_from(&actor, exp < row.expires ? exp : row.expires, out);
	csrf_for(raw, out->csrf);
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

enum att_rc att_session_logout(struct att_node *node, const char *session,
			       struct att_err *err)
{
	unsigned char raw[SECRET_BYTES], hash[ATT_HASH_LEN];
	struct att_session_row row;
	struct att_actor actor;
	char obj[96];
	bool found = false;
	enum att_rc rc;

	if (!parse_secret(session, raw))
		return ATT_OK;
	secret_hash(hash, session_domain, raw);
	sodium_memzero(raw, sizeof(raw));
	rc = att_store_session_get(node->store, hash, &row, err);
	if (rc == ATT_ENOTFOUND)
		return ATT_OK;
	if (rc)
		return rc;
	if (att_actor_load(node, row.user, &actor, NULL) != ATT_OK)
		return att_store_session_delete(node->store, hash, &found, err);
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_session_delete(node->store, hash, &found, err);
	if (!rc && found) {
		snprintf(obj, sizeof(obj), "user/%s", actor.id);
		rc = audit_json(node, &actor, "session.logout", obj, NULL, err);
	}
	return commit_or_rollback(node, rc, err);
}

bool att_session_csrf_ok(const struct att_principal *who, const char *csrf)
{
	if (!who || who->is_token || !csrf || strlen(csrf) != ATT_CSRF_LEN - 1 ||
	    strlen(who->csrf) != ATT_CSRF_LEN - 1)
		return false;
	return sodium_memcmp(who->csrf, csrf, ATT_CSRF_LEN - 1) == 0;
}

/* --- API tokens ------------------------------------------------------------- */

/* Tokens let a system act as a user, so only those the one authorization
 * function allows (administrator, local operator) manage them
 * (att_actor_authz). Listing tokens is part of managing them
 * (ATT_ACT_TOKEN_CREATE). */

enum att_rc att_token_create(struct att_node *node, const char *actor_id,
			     const char *user_id, const char *label, int64_t ttl,
			     char secret[ATT_TOKEN_LEN], int64_t *id, struct att_err *err)
{
	unsigned char raw[SECRET_BYTES];
	struct att_actor actor, subject;
	struct att_token_row row;
	char obj[64], hex[2 * SECRET_BYTES + 1];
	enum att_rc rc;

	secret[0] = '\0';
	*id = 0;
	rc = att_actor_authz(node, actor_id, ATT_ACT_TOKEN_CREATE, &actor, err);
	if (!rc)
		rc = att_check_id(err, "user", user_id);
	if (!rc)
		rc = att_check_text(err, "label", label, 200, false, false);
	if (rc)
		return rc;
	if (ttl == 0)
		ttl = ATT_TOKEN_TTL_DEFAULT;
	if (ttl < 1 || ttl > ATT_TOKEN_TTL_MAX)
		return att_fail(err, ATT_EINVAL, "a token's lifetime must be 1 to %d seconds",
				ATT_TOKEN_TTL_MAX);
	rc = att_actor_load(node, user_id, &subject, err);
	if (rc == ATT_EDENIED) {
		att_err_clear(err);
		return att_fail(err, ATT_ENOTFOUND, "no enabled user '%s'", user_id);
	}
	if (rc)
		return rc;
	/* A token is for a partner system, or for the administrator's own
	 * scripts: never a way to act as another person. An administrator
	 * reads no operational content (DESIGN.md), so a token to act as the
	 * head of service or a desk officer would be a way around that. */
	if (subject.role != ATT_ROLE_PARTNER && strcmp(subject.id, actor.id) &&
	    !(actor.role == ATT_ROLE_LOCAL && subject.role == ATT_ROLE_ADMIN))
		return att_fail(err, ATT_EDENIED,
				"denied: API tokens are issued only for partner systems or for "
				"an administrator's own account, not for %s (role %s)",
				subject.id, att_role_name(subject.role));
	memset(&row, 0, sizeof(row));
	randombytes_buf(raw, sizeof(raw));
	secret_hash(row.hash, token_domain, raw);
	snprintf(row.user, sizeof(row.user), "%s", subject.id);
	snprintf(row.label, sizeof(row.label), "%s", label);
	snprintf(row.created_by, sizeof(row.created_by), "%s", actor.id);
	row.created = att_now();
	row.expires = row.created + ttl;
	rc = att_node_begin(node, err);
	if (rc)
		goto out;
	rc = att_store_token_insert(node->store, &row, id, err);
	if (!rc) {
		snprintf(obj, sizeof(obj), "token/%lld", (long long)*id);
		rc = audit_json(node, &actor, "token.create", obj,
				json_pack("{s:s,s:s,s:I}", "user", row.user, "label", row.label,
					  "expires", (json_int_t)row.expires),
				err);
	}
	rc = commit_or_rollback(node, rc, err);
	if (rc) {
		*id = 0;
		goto out;
	}
	att_hex(raw, SECRET_BYTES, hex);
	snprintf(secret, ATT_TOKEN_LEN, "att_%s", hex);
	sodium_memzero(hex, sizeof(hex));
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

enum att_rc att_token_revoke(struct att_node *node, const char *actor_id, int64_t id,
			     struct att_err *err)
{
	struct att_actor actor;
	struct att_token_row row;
	char obj[64];
	enum att_rc rc = att_actor_authz(node, actor_id, ATT_ACT_TOKEN_REVOKE, &actor, err);

	if (rc)
		return rc;
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_token_by_id(node->store, id, &row, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no token %lld", (long long)id);
	else if (!rc && row.revoked)
		rc = att_fail(err, ATT_ECONFLICT, "token %lld is revoked already", (long long)id);
	if (!rc)
		rc = att_store_token_revoke(node->store, id, att_now(), err);
	if (!rc) {
		snprintf(obj, sizeof(obj), "token/%lld", (long long)id);
		rc = audit_json(node, &actor, "token.revoke", obj,
				json_pack("{s:s}", "user", row.user), err);
	}
	return commit_or_rollback(node, rc, err);
}

static int token_json(const struct att_token_row *r, void *arg)
{
	char created[32], expires[32], revoked[32];

	att_time_fmt(r->created, created);
	att_time_fmt(r->expires, expires);
	if (r->revoked)
		att_time_fmt(r->revoked, revoked);
	json_array_append_new(arg, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s}", "id",
					     (json_int_t)r->id, "user", r->user, "label",
					     r->label, "created", created, "expires", expires,
					     "revoked", r->revoked ? revoked : NULL,
					     "created_by", r->created_by));
	return 0;
}

static enum att_rc token_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			      json_t **arr, struct att_err *err)
{
	(void)actor;
	(void)ctx;
	return att_store_token_each(node->store, token_json, *arr, err);
}

enum att_rc att_token_list(struct att_node *node, const char *actor_id, void **out_json,
			   struct att_err *err)
{
	return att_node_list(node, actor_id, ATT_ACT_TOKEN_CREATE, "token.list", "tokens",
			     token_fill, NULL, out_json, err);
}

/* --- verified tokens ---------------------------------------------------- */

/* A token found valid, with its user as then, while the store's
 * authentication generation (att_store_auth_gen: any revocation or change of
 * a token or user, by any process) stays gen; expiry is checked on every use.
 * Keyed by the token's stored hash, never by the secret. Per node, so per
 * worker thread: no lock. */
#define AUTH_CACHE 16u

struct auth_entry {
	bool used;
	unsigned char hash[ATT_HASH_LEN];
	int64_t gen;
	int64_t expires;
	struct att_actor actor;
};

struct auth_cache {
	struct auth_entry e[AUTH_CACHE];
};

void att_session_cache_free(struct att_node *node)
{
	if (node->auth_cache)
		sodium_memzero(node->auth_cache, sizeof(struct auth_cache));
	free(node->auth_cache);
	node->auth_cache = NULL;
}

static struct auth_entry *auth_slot(struct att_node *node, const unsigned char *hash)
{
	struct auth_cache *c = node->auth_cache;

	if (!c) {
		c = node->auth_cache = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
	}
	return &c->e[hash[0] % AUTH_CACHE];
}

/* The token's row and its user, read in one snapshot with the generation. */
static enum att_rc token_verify(struct att_node *node, const unsigned char *hash,
				struct att_actor *actor, int64_t *expires, int64_t *gen,
				struct att_err *err)
{
	struct att_token_row row;
	bool own_tx = !att_store_in_tx(node->store);
	enum att_rc rc;

	memset(&row, 0, sizeof(row));
	if (own_tx) {
		rc = att_store_begin_read(node->store, err);
		if (rc)
			return rc;
	}
	rc = att_store_auth_gen(node->store, gen, err);
	if (!rc)
		rc = att_store_token_by_hash(node->store, hash, &row, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_EDENIED, "the API token is not valid");
	else if (!rc && row.revoked)
		rc = att_fail(err, ATT_EDENIED, "the API token has been revoked");
	else if (!rc && row.expires <= att_now())
		rc = att_fail(err, ATT_EDENIED, "the API token has expired");
	if (!rc)
		rc = att_actor_load(node, row.user, actor, err);
	if (own_tx)
		att_store_rollback(node->store);
	*expires = row.expires;
	return rc;
}

enum att_rc att_token_check(struct att_node *node, const char *secret,
			    struct att_principal *out, struct att_err *err)
{
	unsigned char raw[SECRET_BYTES], hash[ATT_HASH_LEN];
	struct auth_entry *slot;
	struct att_actor actor;
	int64_t gen = 0, expires = 0;
	enum att_rc rc;

	memset(out, 0, sizeof(*out));
	if (!secret || strncmp(secret, "att_", 4) || !parse_secret(secret + 4, raw))
		return att_fail(err, ATT_EDENIED, "the API token is not valid");
	secret_hash(hash, token_domain, raw);
	sodium_memzero(raw, sizeof(raw));
	slot = auth_slot(node, hash);
	if (slot && slot->used && !sodium_memcmp(slot->hash, hash, ATT_HASH_LEN)) {
		/* Verified before: still so unless something changed since (one
		 * read of the generation instead of the token and its user). */
		rc = att_store_auth_gen(node->store, &gen, err);
		if (rc)
			return rc;
		if (gen == slot->gen && att_now() < slot->expires) {
			principal_from(&slot->actor, slot->expires, out);
			out->is_token = true;
			return ATT_OK;
		}
		slot->used = false;
	}
	rc = token_verify(node, hash, &actor, &expires, &gen, err);
	if (rc)
		return rc;
	if (slot) {
		slot->used = true;
		memcpy(slot->hash, hash, ATT_HASH_LEN);
		slot->gen = gen;
		slot->expires = expires;
		slot->actor = actor;
	}
	principal_from(&actor, expires, out);
	out->is_token = true;
	return ATT_OK;
}
