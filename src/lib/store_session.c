/* Store functions of the session area: sessions, API tokens and login
 * rate-limit buckets, as hashes and counters only. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "store_session.h"
#include "util.h"
#include "banned.h"

static const struct att_migration session_steps[] = {
	{1, "CREATE TABLE sessions ("
	    "  hash BLOB PRIMARY KEY, user TEXT NOT NULL REFERENCES users(id),"
	    "  created INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	    "  expires INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
	    "CREATE INDEX sessions_expires ON sessions(expires);"
	    "CREATE TABLE api_tokens ("
	    "  id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
	    "  user TEXT NOT NULL REFERENCES users(id), label TEXT NOT NULL,"
	    "  created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	    "  revoked INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL) STRICT;"
	    "CREATE TABLE login_buckets ("
	    "  key TEXT PRIMARY KEY, tokens REAL NOT NULL,"
	    "  updated INTEGER NOT NULL) STRICT, WITHOUT ROWID;"},
	/* Every change that can make a verified token or session stop being
	 * valid (a revocation, a user changed, disabled or removed) bumps
	 * auth_gen in its own transaction, whichever process or code path
	 * makes it: a cache of verified tokens is valid while it is the same.
	 * Inserts count too (an INSERT OR REPLACE deletes without delete
	 * triggers). */
	{2, "CREATE TABLE auth_gen (id INTEGER PRIMARY KEY CHECK (id = 1),"
	    "  value INTEGER NOT NULL) STRICT;"
	    "INSERT INTO auth_gen VALUES (1, 0);"
	    "CREATE TRIGGER auth_gen_tok_ins AFTER INSERT ON api_tokens BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"
	    "CREATE TRIGGER auth_gen_tok_upd AFTER UPDATE ON api_tokens BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"
	    "CREATE TRIGGER auth_gen_tok_del AFTER DELETE ON api_tokens BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"
	    "CREATE TRIGGER auth_gen_usr_ins AFTER INSERT ON users BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"
	    "CREATE TRIGGER auth_gen_usr_upd AFTER UPDATE ON users BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"
	    "CREATE TRIGGER auth_gen_usr_del AFTER DELETE ON users BEGIN"
	    "  UPDATE auth_gen SET value=value+1; END;"},
};

const struct att_schema_component att_schema_session = {
	"session", session_steps, sizeof(session_steps) / sizeof(session_steps[0])};

enum att_rc att_store_session_insert(struct att_store *s,
				     const unsigned char hash[ATT_HASH_LEN],
				     const struct att_session_row *r, struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO sessions(hash,user,created,last_seen,expires) VALUES(?,?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_blob(st, 1, hash, ATT_HASH_LEN, SQLITE_STATIC);
	att_bind_text(st, 2, r->user);
	sqlite3_bind_int64(st, 3, r->created);
	sqlite3_bind_int64(st, 4, r->last_seen);
	sqlite3_bind_int64(st, 5, r->expires);
	return att_store_step_done(s, st, err, "recording the session");
}

enum att_rc att_store_session_get(struct att_store *s, const unsigned char hash[ATT_HASH_LEN],
				  struct att_session_row *out, struct att_err *err)
{
	static const char sql[] =
		"SELECT user,created,last_seen,expires FROM sessions WHERE hash=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	sqlite3_bind_blob(st, 1, hash, ATT_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->user, sizeof(out->user), "%s", att_col_text(st, 0));
		out->created = sqlite3_column_int64(st, 1);
		out->last_seen = sqlite3_column_int64(st, 2);
		out->expires = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	if (rc == SQLITE_DONE)
		return ATT_ENOTFOUND;
	return att_store_dberr(s, err, "reading a session");
}

enum att_rc att_store_session_touch(struct att_store *s,
				    const unsigned char hash[ATT_HASH_LEN], int64_t now,
				    struct att_err *err)
{
	static const char sql[] = "UPDATE sessions SET last_seen=? WHERE hash=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_blob(st, 2, hash, ATT_HASH_LEN, SQLITE_STATIC);
	return att_store_step_done(s, st, err, "recording the session's use");
}

enum att_rc att_store_session_delete(struct att_store *s,
				     const unsigned char hash[ATT_HASH_LEN], bool *found,
				     struct att_err *err)
{
	static const char sql[] = "DELETE FROM sessions WHERE hash=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc rc;

	*found = false;
	if (!st)
		return ATT_EDB;
	sqlite3_bind_blob(st, 1, hash, ATT_HASH_LEN, SQLITE_STATIC);
	rc = att_store_step_done(s, st, err, "ending the session");
	if (!rc)
		*found = sqlite3_changes(s->db) > 0;
	return rc;
}

enum att_rc att_store_session_purge(struct att_store *s, int64_t now, int64_t idle,
				    struct att_err *err)
{
	static const char sql[] = "DELETE FROM sessions WHERE expires<=? OR last_seen<=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now - idle);
	return att_store_step_done(s, st, err, "removing expired sessions");
}

enum att_rc att_store_token_insert(struct att_store *s, const struct att_token_row *r,
				   int64_t *id, struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO api_tokens(hash,user,label,created,expires,revoked,created_by) "
		"VALUES(?,?,?,?,?,0,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc rc;

	if (!st)
		return ATT_EDB;
	sqlite3_bind_blob(st, 1, r->hash, ATT_HASH_LEN, SQLITE_STATIC);
	att_bind_text(st, 2, r->user);
	att_bind_text(st, 3, r->label);
	sqlite3_bind_int64(st, 4, r->created);
	sqlite3_bind_int64(st, 5, r->expires);
	att_bind_text(st, 6, r->created_by);
	rc = att_store_step_done(s, st, err, "recording the token");
	if (!rc)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

#define TOKEN_COLS "id,hash,user,label,created,expires,revoked,created_by"

static void token_from_row(sqlite3_stmt *st, struct att_token_row *r)
{
	const void *h = sqlite3_column_blob(st, 1);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	if (h && sqlite3_column_bytes(st, 1) == (int)ATT_HASH_LEN)
		memcpy(r->hash, h, ATT_HASH_LEN);
	snprintf(r->user, sizeof(r->user), "%s", att_col_text(st, 2));
	snprintf(r->label, sizeof(r->label), "%s", att_col_text(st, 3));
	r->created = sqlite3_column_int64(st, 4);
	r->expires = sqlite3_column_int64(st, 5);
	r->revoked = sqlite3_column_int64(st, 6);
	snprintf(r->created_by, sizeof(r->created_by), "%s", att_col_text(st, 7));
}

static enum att_rc token_one(struct att_store *s, sqlite3_stmt *st, struct att_token_row *out,
			     struct att_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		token_from_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	if (rc == SQLITE_DONE)
		return ATT_ENOTFOUND;
	return att_store_dberr(s, err, "reading a token");
}

enum att_rc att_store_token_by_hash(struct att_store *s, const unsigned char hash[ATT_HASH_LEN],
				    struct att_token_row *out, struct att_err *err)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE hash=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_blob(st, 1, hash, ATT_HASH_LEN, SQLITE_STATIC);
	return token_one(s, st, out, err);
}

enum att_rc att_store_token_by_id(struct att_store *s, int64_t id, struct att_token_row *out,
				  struct att_err *err)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, id);
	return token_one(s, st, out, err);
}

enum att_rc att_store_token_revoke(struct att_store *s, int64_t id, int64_t now,
				   struct att_err *err)
{
	static const char sql[] = "UPDATE api_tokens SET revoked=? WHERE id=? AND revoked=0";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, now > 0 ? now : 1);
	sqlite3_bind_int64(st, 2, id);
	return att_store_step_done(s, st, err, "revoking the token");
}

enum att_rc att_store_token_each(struct att_store *s,
				 int (*fn)(const struct att_token_row *r, void *arg), void *arg,
				 struct att_err *err)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM api_tokens ORDER BY id";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_token_row r;
	int rc;

	if (!st)
		return ATT_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		token_from_row(st, &r);
		if (fn(&r, arg))
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return att_store_dberr(s, err, "listing tokens");
	return ATT_OK;
}

enum att_rc att_store_bucket_get(struct att_store *s, const char *key, double *tokens,
				 int64_t *updated, struct att_err *err)
{
	static const char sql[] = "SELECT tokens,updated FROM login_buckets WHERE key=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tokens = sqlite3_column_double(st, 0);
		*updated = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	if (rc == SQLITE_DONE)
		return ATT_ENOTFOUND;
	return att_store_dberr(s, err, "reading the login rate limit");
}

enum att_rc att_store_bucket_put(struct att_store *s, const char *key, double tokens,
				 int64_t updated, struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO login_buckets(key,tokens,updated) VALUES(?,?,?) "
		"ON CONFLICT(key) DO UPDATE SET tokens=excluded.tokens, updated=excluded.updated";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, key);
	sqlite3_bind_double(st, 2, tokens);
	sqlite3_bind_int64(st, 3, updated);
	return att_store_step_done(s, st, err, "recording the login rate limit");
}

enum att_rc att_store_auth_gen(struct att_store *s, int64_t *gen, struct att_err *err)
{
	sqlite3_stmt *st = att_store_stmt(s, "SELECT value FROM auth_gen WHERE id=1", err);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	/* The row is made with the table: no row is a damaged database. */
	*gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (!st)
		return ATT_EDB;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK
				: att_store_dberr(s, err, "reading the authentication generation");
}
