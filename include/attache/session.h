/* Who is calling over the network: login sessions (random 256-bit ids stored
 * only as hashes, idle and absolute expiry, a CSRF token per session), API
 * tokens for systems (created by an administrator for a named user, shown
 * once, stored hashed, expiring, revocable), and the login rate limiter (token
 * buckets per user and per client address, consulted before any Argon2id
 * work). These are policy, so they live here and not in the HTTP code. */
#ifndef ATTACHE_SESSION_H
#define ATTACHE_SESSION_H

#include "attache/common.h"

struct att_node;

/* A session id or API token secret as shown to the client: 64 hex digits of a
 * 256-bit random value (tokens carry the prefix "att_"), NUL included. */
#define ATT_SECRET_HEX_LEN 65u
#define ATT_TOKEN_LEN (4u + 64u + 1u)
/* A CSRF token: 64 hex digits, NUL included. */
#define ATT_CSRF_LEN 65u

/* Lifetimes in seconds. */
#define ATT_SESSION_IDLE 1800       /* 30 minutes without a request */
#define ATT_SESSION_MAX (12 * 3600) /* 12 hours from login, whatever the use */
#define ATT_TOKEN_TTL_DEFAULT (90 * 86400)
#define ATT_TOKEN_TTL_MAX (366 * 86400)

/* Login rate limits: a bucket per user id and one per client address hold
 * `burst` attempts and regain one every `refill` seconds. */
#define ATT_LOGIN_USER_BURST 5
#define ATT_LOGIN_USER_REFILL 30
#define ATT_LOGIN_IP_BURST 30
#define ATT_LOGIN_IP_REFILL 2

/* The caller a session or token stands for. */
struct att_principal {
	char user[ATT_ID_MAX + 1];
	char role[16];
	char name[256];
	char unit[2 * ATT_ID_MAX + 2];
	char csrf[ATT_CSRF_LEN]; /* sessions only: the token state changes must carry */
	bool is_token;           /* authenticated with an API token */
	int64_t expires;         /* seconds since the epoch */
};

/* What a successful login hands back: the session id for the cookie, the
 * CSRF token for the page, and who logged in. */
struct att_login {
	char session[ATT_SECRET_HEX_LEN];
	struct att_principal who;
	int64_t retry_after; /* on ATT_ELIMIT: seconds until an attempt is allowed */
};

/* Logs user_id in with password from client address ip (text, used only as
 * a rate-limit key; NULL or "" counts as one unknown address).
 * Order of work: input bounds, then the per-user and per-IP buckets (on
 * ATT_ELIMIT nothing else happens and out->retry_after is set), then one
 * Argon2id verification, then a new session row and an audit entry
 * "session.login" (failures are audited as "session.login-failed").
 * Returns ATT_OK and fills out, ATT_EDENIED for a wrong user or password (the
 * same message for every cause), ATT_ELIMIT when rate-limited. Thread-safe
 * across nodes (the buckets live in the database); node itself is used by
 * one thread at a time. out->session is a secret: wipe it after use. */
enum att_rc att_session_login(struct att_node *node, const char *user_id,
			      const char *password, const char *ip, struct att_login *out,
			      struct att_err *err) ATT_WUR;

/* Resolves a session id from a cookie to its principal. Refuses (ATT_EDENIED,
 * "session expired") a malformed, unknown, idle-expired or absolutely
 * expired session, or one whose user is disabled. Records the use at most
 * once a minute (a small write outside the audit log). */
enum att_rc att_session_check(struct att_node *node, const char *session,
			      struct att_principal *out, struct att_err *err) ATT_WUR;

/* Ends a session (logout); audited as "session.logout". ATT_OK also when the
 * session is already gone, so logout is idempotent. */
enum att_rc att_session_logout(struct att_node *node, const char *session,
			       struct att_err *err) ATT_WUR;

/* True when csrf equals the session's token (constant-time comparison). */
bool att_session_csrf_ok(const struct att_principal *who, const char *csrf);

/* Creates an API token for user_id (an existing, enabled user), as actor_id,
 * whom att_authz allows ATT_ACT_TOKEN_CREATE (administrator, local operator).
 * Tokens are for systems: user_id must be a partner account, or the actor's
 * own account (or an administrator's, when the local operator creates it);
 * anything else is ATT_EDENIED, since a token to act as the head of service
 * or a desk officer would let an administrator read operational content.
 * label describes the system using it (1..200
 * bytes of text); ttl is its lifetime in seconds (0: ATT_TOKEN_TTL_DEFAULT,
 * at most ATT_TOKEN_TTL_MAX). Only a hash is stored; the secret is written to
 * secret (shown to the administrator once) and the new token's number to *id.
 * Audited as "token.create" (without the secret). */
enum att_rc att_token_create(struct att_node *node, const char *actor_id,
			     const char *user_id, const char *label, int64_t ttl,
			     char secret[ATT_TOKEN_LEN], int64_t *id,
			     struct att_err *err) ATT_WUR;

/* Revokes token id, as actor_id (an administrator). ATT_ENOTFOUND when there
 * is no such token, ATT_ECONFLICT when it was revoked already. Audited. */
enum att_rc att_token_revoke(struct att_node *node, const char *actor_id, int64_t id,
			     struct att_err *err) ATT_WUR;

/* Lists tokens (never their secrets) as a JSON array (json_t *) of {id, user,
 * label, created, expires, revoked, created_by}, as actor_id (an
 * administrator). */
enum att_rc att_token_list(struct att_node *node, const char *actor_id, void **out_json,
			   struct att_err *err) ATT_WUR;

/* Resolves a bearer token to its principal; ATT_EDENIED for a malformed,
 * unknown, expired or revoked token or a disabled user. */
enum att_rc att_token_check(struct att_node *node, const char *secret,
			    struct att_principal *out, struct att_err *err) ATT_WUR;

#endif
