/* Store functions of the core area: node metadata, users, the audit log and
 * its signed tree heads. */
#include <stdio.h>
#include <string.h>

#include "store_core.h"
#include "store_int.h"
#include "util.h"
#include "banned.h"

static const struct att_migration core_steps[] = {
	{1, "CREATE TABLE meta ("
	    "  key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
	    "CREATE TABLE users ("
	    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
	    "  unit TEXT, pw_hash TEXT, created INTEGER NOT NULL,"
	    "  disabled INTEGER NOT NULL DEFAULT 0) STRICT;"
	    /* idx is the leaf index (0-based); data is the serialized entry that
	     * is hashed; nodes holds the interior nodes this leaf completes. */
	    "CREATE TABLE audit_log ("
	    "  idx INTEGER PRIMARY KEY, data BLOB NOT NULL, leaf BLOB NOT NULL,"
	    "  nodes BLOB NOT NULL) STRICT;"
	    "CREATE TABLE audit_heads ("
	    "  size INTEGER PRIMARY KEY, ts INTEGER NOT NULL, root BLOB NOT NULL,"
	    "  sig BLOB NOT NULL) STRICT;"
	    /* The log is append-only: the database refuses updates and deletes. */
	    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	    "CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	    "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads"
	    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"},
};

const struct att_schema_component att_schema_core = {
	"core", core_steps, sizeof(core_steps) / sizeof(core_steps[0])};

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int i)
{
	snprintf(dst, n, "%s", att_col_text(st, i));
}

enum att_rc att_store_meta_get(struct att_store *s, const char *key, char *out,
			       size_t outlen, struct att_err *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE key=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_col(out, outlen, st, 0);
		sqlite3_reset(st);
		return ATT_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return ATT_ENOTFOUND;
	return att_store_dberr(s, err, "reading node settings");
}

enum att_rc att_store_meta_set(struct att_store *s, const char *key, const char *value,
			       struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO meta(key,value) VALUES(?,?) "
		"ON CONFLICT(key) DO UPDATE SET value=excluded.value";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, key);
	att_bind_text(st, 2, value);
	return att_store_step_done(s, st, err, "writing node settings");
}

enum att_rc att_store_user_insert(struct att_store *s, const struct att_user_row *u,
				  struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO users(id,name,role,unit,pw_hash,created,disabled) "
		"VALUES(?,?,?,?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, u->id);
	att_bind_text(st, 2, u->name);
	att_bind_text(st, 3, u->role);
	att_bind_text(st, 4, u->unit[0] ? u->unit : NULL);
	att_bind_text(st, 5, u->pw_hash[0] ? u->pw_hash : NULL);
	sqlite3_bind_int64(st, 6, u->created);
	sqlite3_bind_int(st, 7, u->disabled);
	rc = att_store_step_done(s, st, err, "adding the user");
	if (rc == ATT_EEXIST) {
		att_err_clear(err);
		return att_fail(err, ATT_EEXIST, "user '%s' exists already", u->id);
	}
	return rc;
}

static void user_from_row(sqlite3_stmt *st, struct att_user_row *u)
{
	memset(u, 0, sizeof(*u));
	copy_col(u->id, sizeof(u->id), st, 0);
	copy_col(u->name, sizeof(u->name), st, 1);
	copy_col(u->role, sizeof(u->role), st, 2);
	copy_col(u->unit, sizeof(u->unit), st, 3);
	copy_col(u->pw_hash, sizeof(u->pw_hash), st, 4);
	u->created = sqlite3_column_int64(st, 5);
	u->disabled = sqlite3_column_int(st, 6) != 0;
}

enum att_rc att_store_user_get(struct att_store *s, const char *id,
			       struct att_user_row *out, struct att_err *err)
{
	static const char sql[] =
		"SELECT id,name,role,unit,pw_hash,created,disabled FROM users WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		user_from_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	if (rc == SQLITE_DONE)
		return ATT_ENOTFOUND;
	return att_store_dberr(s, err, "reading a user");
}

enum att_rc att_store_user_each(struct att_store *s,
				int (*fn)(const struct att_user_row *u, void *arg), void *arg,
				struct att_err *err)
{
	static const char sql[] =
		"SELECT id,name,role,unit,pw_hash,created,disabled FROM users ORDER BY id";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_user_row u;
	int rc;

	if (!st)
		return ATT_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		user_from_row(st, &u);
		if (fn(&u, arg))
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return att_store_dberr(s, err, "listing users");
	return ATT_OK;
}

enum att_rc att_store_audit_insert(struct att_store *s, uint64_t idx, const char *data,
				   size_t len, const unsigned char leaf[ATT_HASH_LEN],
				   const unsigned char *nodes, size_t nnodes,
				   struct att_err *err)
{
	static const char sql[] = "INSERT INTO audit_log(idx,data,leaf,nodes) VALUES(?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, leaf, ATT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, nnodes ? (const void *)nodes : "", (int)(nnodes * ATT_HASH_LEN),
			  SQLITE_STATIC);
	return att_store_step_done(s, st, err, "appending to the audit log");
}

enum att_rc att_store_audit_head_insert(struct att_store *s, uint64_t size, int64_t ts,
					const unsigned char root[ATT_HASH_LEN],
					const unsigned char sig[ATT_SIG_LEN],
					struct att_err *err)
{
	static const char sql[] = "INSERT INTO audit_heads(size,ts,root,sig) VALUES(?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_blob(st, 3, root, ATT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig, ATT_SIG_LEN, SQLITE_STATIC);
	return att_store_step_done(s, st, err, "signing the audit tree head");
}

enum att_rc att_store_audit_count(struct att_store *s, uint64_t *n, struct att_err *err)
{
	static const char sql[] = "SELECT coalesce(max(idx)+1,0) FROM audit_log";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "counting audit entries");
}

enum att_rc att_store_audit_node(struct att_store *s, uint64_t idx, unsigned level,
				 unsigned char out[ATT_HASH_LEN], struct att_err *err)
{
	static const char sql[] = "SELECT leaf, nodes FROM audit_log WHERE idx=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc r = ATT_OK;
	int rc;

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int col = level == 0 ? 0 : 1;
		size_t off = level == 0 ? 0 : (size_t)(level - 1) * ATT_HASH_LEN;
		const unsigned char *p = sqlite3_column_blob(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col);

		if (!p || n < off + ATT_HASH_LEN)
			r = att_fail(err, ATT_ETAMPER, "audit entry %llu: stored tree node missing",
				     (unsigned long long)idx);
		else
			memcpy(out, p + off, ATT_HASH_LEN);
	} else if (rc == SQLITE_DONE) {
		r = att_fail(err, ATT_ETAMPER, "audit entry %llu is missing",
			     (unsigned long long)idx);
	} else {
		r = att_store_dberr(s, err, "reading the audit log");
	}
	sqlite3_reset(st);
	return r;
}

enum att_rc att_store_audit_each(struct att_store *s, uint64_t from, uint64_t before,
				 bool newest_first, size_t limit,
				 int (*fn)(const struct att_audit_row *r, void *arg), void *arg,
				 struct att_err *err)
{
	static const char sql_asc[] =
		"SELECT idx,data,leaf,nodes FROM audit_log WHERE idx>=? AND idx<? "
		"ORDER BY idx LIMIT ?";
	static const char sql_desc[] =
		"SELECT idx,data,leaf,nodes FROM audit_log WHERE idx>=? AND idx<? "
		"ORDER BY idx DESC LIMIT ?";
	sqlite3_stmt *st = att_store_stmt(s, newest_first ? sql_desc : sql_asc, err);
	struct att_audit_row r;
	int rc;

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, before ? (sqlite3_int64)before : INT64_MAX);
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.idx = (uint64_t)sqlite3_column_int64(st, 0);
		r.data = sqlite3_column_blob(st, 1);
		r.len = (size_t)sqlite3_column_bytes(st, 1);
		r.leaf = sqlite3_column_blob(st, 2);
		r.leaflen = (size_t)sqlite3_column_bytes(st, 2);
		r.nodes = sqlite3_column_blob(st, 3);
		r.nodeslen = (size_t)sqlite3_column_bytes(st, 3);
		if (!r.data)
			r.data = "";
		if (fn(&r, arg))
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return att_store_dberr(s, err, "reading the audit log");
	return ATT_OK;
}

enum att_rc att_store_audit_heads_each(struct att_store *s,
				       int (*fn)(const struct att_head_row *h, void *arg),
				       void *arg, struct att_err *err)
{
	static const char sql[] = "SELECT size,ts,root,sig FROM audit_heads ORDER BY size";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_head_row h;
	int rc;

	if (!st)
		return ATT_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h.size = (uint64_t)sqlite3_column_int64(st, 0);
		h.ts = sqlite3_column_int64(st, 1);
		h.root = sqlite3_column_blob(st, 2);
		h.rootlen = (size_t)sqlite3_column_bytes(st, 2);
		h.sig = sqlite3_column_blob(st, 3);
		h.siglen = (size_t)sqlite3_column_bytes(st, 3);
		if (fn(&h, arg))
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return att_store_dberr(s, err, "reading the audit tree heads");
	return ATT_OK;
}

enum att_rc att_store_audit_head_last(struct att_store *s, uint64_t *size, int64_t *ts,
				      unsigned char root[ATT_HASH_LEN],
				      unsigned char sig[ATT_SIG_LEN], struct att_err *err)
{
	static const char sql[] =
		"SELECT size,ts,root,sig FROM audit_heads ORDER BY size DESC LIMIT 1";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc r = ATT_OK;
	int rc;

	if (!st)
		return ATT_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		*ts = sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) != ATT_HASH_LEN ||
		    sqlite3_column_bytes(st, 3) != ATT_SIG_LEN) {
			r = att_fail(err, ATT_ETAMPER, "the newest audit tree head is damaged");
		} else {
			memcpy(root, sqlite3_column_blob(st, 2), ATT_HASH_LEN);
			memcpy(sig, sqlite3_column_blob(st, 3), ATT_SIG_LEN);
		}
	} else if (rc == SQLITE_DONE) {
		r = ATT_ENOTFOUND;
	} else {
		r = att_store_dberr(s, err, "reading the audit tree head");
	}
	sqlite3_reset(st);
	return r;
}

enum att_rc att_store_unit_exists(struct att_store *s, const char *unit, bool *yes,
				  struct att_err *err)
{
	static const char sql[] = "SELECT 1 FROM users WHERE unit=? AND disabled=0 LIMIT 1";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, unit);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK
						     : att_store_dberr(s, err, "reading users");
}
