/* The store's core: opening the SQLite file with the node's durability
 * settings, migrations by component, transactions and the statement cache. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"
#include "util.h"
#include "banned.h"

/* Every area of the store, in the order their schemas are applied. */
static const struct att_schema_component *const components[] = {
	&att_schema_core,
	&att_schema_registry,
	&att_schema_exchange,
	&att_schema_session,
};

enum att_rc att_store_dberr(struct att_store *s, struct att_err *err, const char *ctx)
{
	int code = s && s->db ? sqlite3_extended_errcode(s->db) : SQLITE_ERROR;
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : "no database";

	if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
		return att_fail(err, ATT_EEXIST, "%s: already exists", ctx);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return att_fail(err, ATT_EDB, "%s: the database is busy", ctx);
	return att_fail(err, ATT_EDB, "%s: %s", ctx, msg);
}

int att_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int att_bind_text_ref(sqlite3_stmt *st, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

const char *att_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

sqlite3_stmt *att_store_stmt(struct att_store *s, const char *sql, struct att_err *err)
{
	uintptr_t h = ((uintptr_t)sql >> 4) % ATT_STMT_CACHE;
	sqlite3_stmt *st = NULL;

	for (size_t probe = 0; probe < ATT_STMT_CACHE; probe++) {
		size_t i = (h + probe) % ATT_STMT_CACHE;

		if (s->cache[i].sql == sql) {
			st = s->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
		if (!s->cache[i].sql) {
			if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
					       NULL) != SQLITE_OK) {
				att_store_dberr(s, err, "preparing a statement");
				return NULL;
			}
			s->cache[i].sql = sql;
			s->cache[i].stmt = st;
			return st;
		}
	}
	/* Cache full: should not happen with static SQL; prepare uncached would
	 * leak, so refuse loudly. */
	att_fail(err, ATT_EDB, "statement cache full");
	return NULL;
}

enum att_rc att_store_step_done(struct att_store *s, sqlite3_stmt *st,
				struct att_err *err, const char *ctx)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		enum att_rc r = att_store_dberr(s, err, ctx);

		sqlite3_reset(st);
		return r;
	}
	sqlite3_reset(st);
	return ATT_OK;
}

static enum att_rc exec(struct att_store *s, const char *sql, struct att_err *err,
			const char *ctx)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum att_rc rc = att_fail(err, ATT_EDB, "%s: %s", ctx, msg ? msg : "failed");

		sqlite3_free(msg);
		return rc;
	}
	return ATT_OK;
}

static enum att_rc migrate(struct att_store *s, struct att_err *err)
{
	enum att_rc rc;
	sqlite3_stmt *get = NULL, *set = NULL;

	rc = exec(s, "BEGIN IMMEDIATE", err, "starting migrations");
	if (rc)
		return rc;
	rc = exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
		     " component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		  err, "creating schema_version");
	if (rc)
		goto out;
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version WHERE component=?",
			       -1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO schema_version(component,version) VALUES(?,?) "
			       "ON CONFLICT(component) DO UPDATE SET version=excluded.version",
			       -1, &set, NULL) != SQLITE_OK) {
		rc = att_store_dberr(s, err, "preparing migrations");
		goto out;
	}
	for (size_t c = 0; c < sizeof(components) / sizeof(components[0]); c++) {
		const struct att_schema_component *comp = components[c];
		int have = 0;

		sqlite3_reset(get);
		sqlite3_bind_text(get, 1, comp->name, -1, SQLITE_STATIC);
		if (sqlite3_step(get) == SQLITE_ROW)
			have = sqlite3_column_int(get, 0);
		if (have > (int)comp->nsteps) {
			rc = att_fail(err, ATT_EDB,
				      "the database's %s schema (version %d) is newer than this "
				      "program knows (%zu); upgrade attache",
				      comp->name, have, comp->nsteps);
			goto out;
		}
		for (size_t i = (size_t)have; i < comp->nsteps; i++) {
			char ctx[96];

			snprintf(ctx, sizeof(ctx), "migrating %s to version %d", comp->name,
				 comp->steps[i].version);
			rc = exec(s, comp->steps[i].sql, err, ctx);
			if (rc)
				goto out;
			sqlite3_reset(set);
			sqlite3_bind_text(set, 1, comp->name, -1, SQLITE_STATIC);
			sqlite3_bind_int(set, 2, comp->steps[i].version);
			if (sqlite3_step(set) != SQLITE_DONE) {
				rc = att_store_dberr(s, err, ctx);
				goto out;
			}
		}
	}
	rc = exec(s, "COMMIT", err, "committing migrations");
out:
	sqlite3_finalize(get);
	sqlite3_finalize(set);
	if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

enum att_rc att_store_open(const char *path, bool create, struct att_store **out,
			   struct att_err *err)
{
	struct att_store *s;
	struct stat st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	enum att_rc rc;

	*out = NULL;
	if (!path || !*path)
		return att_fail(err, ATT_EINVAL, "no database path given");
	if (create) {
		if (stat(path, &st) == 0)
			return att_fail(err, ATT_EEXIST, "%s exists already; refusing to overwrite it",
					path);
		flags |= SQLITE_OPEN_CREATE;
	} else if (stat(path, &st) != 0) {
		return att_fail(err, ATT_ENOTFOUND,
				"no node database at %s (create one with 'attache init')", path);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		rc = att_fail(err, ATT_EDB, "cannot open %s: %s", path,
			      s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	/* Durability: WAL with a full fsync at each commit. Temporary data in
	 * memory: above all the sub-journal that keeps the pages a savepoint may
	 * restore (one per message of a group commit), which would otherwise
	 * spill to a temporary file with a write() per page. It holds nothing
	 * that must survive a crash: the WAL does. */
	rc = exec(s,
		  "PRAGMA journal_mode=WAL;"
		  "PRAGMA synchronous=FULL;"
		  "PRAGMA foreign_keys=ON;"
		  "PRAGMA secure_delete=ON;"
		  "PRAGMA trusted_schema=OFF;"
		  "PRAGMA cache_size=-65536;"
		  "PRAGMA temp_store=MEMORY;",
		  err, "configuring the database");
	if (rc)
		goto fail;
	{
		/* journal_mode=WAL can silently fail (e.g. on some file systems). */
		sqlite3_stmt *q;
		bool wal = false;

		if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK) {
			if (sqlite3_step(q) == SQLITE_ROW)
				wal = !strcmp(att_col_text(q, 0), "wal");
			sqlite3_finalize(q);
		}
		if (!wal) {
			rc = att_fail(err, ATT_EDB, "%s: cannot switch the database to WAL mode",
				      path);
			goto fail;
		}
	}
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK) {
		rc = att_store_dberr(s, err, "configuring the database");
		goto fail;
	}
	rc = migrate(s, err);
	if (rc)
		goto fail;
	if (create)
		chmod(path, 0600);
	*out = s;
	return ATT_OK;
fail:
	att_store_close(s);
	if (create)
		unlink(path);
	return rc;
}

void att_store_close(struct att_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < ATT_STMT_CACHE; i++) {
		if (s->cache[i].stmt)
			sqlite3_finalize(s->cache[i].stmt);
	}
	if (s->db) {
		if (s->in_tx)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	free(s);
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN DEFERRED";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

enum att_rc att_store_begin(struct att_store *s, struct att_err *err)
{
	sqlite3_stmt *st;

	if (s->in_tx)
		return att_fail(err, ATT_EDB, "a transaction is already open");
	st = att_store_stmt(s, sql_begin, err);
	if (!st)
		return ATT_EDB;
	if (att_store_step_done(s, st, err, "starting a transaction"))
		return ATT_EDB;
	s->in_tx = true;
	return ATT_OK;
}

enum att_rc att_store_begin_read(struct att_store *s, struct att_err *err)
{
	sqlite3_stmt *st;

	if (s->in_tx)
		return att_fail(err, ATT_EDB, "a transaction is already open");
	st = att_store_stmt(s, sql_begin_read, err);
	if (!st)
		return ATT_EDB;
	if (att_store_step_done(s, st, err, "starting a read"))
		return ATT_EDB;
	s->in_tx = true;
	return ATT_OK;
}

enum att_rc att_store_commit(struct att_store *s, struct att_err *err)
{
	sqlite3_stmt *st;
	enum att_rc rc;

	if (!s->in_tx)
		return att_fail(err, ATT_EDB, "no transaction is open");
	if (s->inbox_dirty) {
		rc = att_store_inbox_bump(s, err);
		if (rc) {
			att_store_rollback(s);
			return rc;
		}
		s->inbox_dirty = false;
	}
	st = att_store_stmt(s, sql_commit, err);
	if (!st) {
		att_store_rollback(s);
		return ATT_EDB;
	}
	rc = att_store_step_done(s, st, err, "committing");
	if (rc) {
		att_store_rollback(s);
		return rc;
	}
	s->in_tx = false;
	return ATT_OK;
}

void att_store_rollback(struct att_store *s)
{
	sqlite3_stmt *st;

	if (!s || !s->in_tx)
		return;
	s->inbox_dirty = false;
	st = att_store_stmt(s, sql_rollback, NULL);
	if (st)
		(void)att_store_step_done(s, st, NULL, "rolling back");
	if (sqlite3_get_autocommit(s->db))
		s->in_tx = false;
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL), s->in_tx = false;
}

enum att_rc att_store_savepoint(struct att_store *s, struct att_err *err)
{
	static const char sql[] = "SAVEPOINT one";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	return att_store_step_done(s, st, err, "starting a savepoint");
}

void att_store_rollback_to(struct att_store *s)
{
	static const char sql[] = "ROLLBACK TO one";
	sqlite3_stmt *st = att_store_stmt(s, sql, NULL);

	if (st)
		(void)att_store_step_done(s, st, NULL, "rolling back to the savepoint");
}

enum att_rc att_store_release_savepoint(struct att_store *s, struct att_err *err)
{
	static const char sql[] = "RELEASE one";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	return att_store_step_done(s, st, err, "releasing the savepoint");
}

bool att_store_in_tx(const struct att_store *s)
{
	return s->in_tx;
}

enum att_rc att_store_schema(struct att_store *s, char *out, size_t outlen,
			     struct att_err *err)
{
	static const char sql[] = "SELECT component, version FROM schema_version ORDER BY component";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	size_t used = 0;
	int rc;

	if (!st)
		return ATT_EDB;
	if (outlen)
		out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = snprintf(out + used, outlen - used, "%s%s=%d", used ? " " : "",
				 att_col_text(st, 0), sqlite3_column_int(st, 1));

		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK : att_store_dberr(s, err, "schema");
}
