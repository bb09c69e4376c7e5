/* Store functions of the registry area: posts, appointments, steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache/registry.h"
#include "store_int.h"
#include "store_registry.h"
#include "util.h"
#include "banned.h"

static const struct att_migration registry_steps[] = {
	{1, "CREATE TABLE posts ("
	    "  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('state','org')),"
	    "  host TEXT NOT NULL, city TEXT NOT NULL, mission TEXT,"
	    "  fields TEXT NOT NULL, staffing INTEGER NOT NULL CHECK (staffing >= 0),"
	    "  created INTEGER NOT NULL) STRICT;"
	    "CREATE TABLE appointments ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  person TEXT NOT NULL REFERENCES users(id),"
	    "  post TEXT NOT NULL REFERENCES posts(id),"
	    "  field TEXT NOT NULL, status TEXT NOT NULL,"
	    "  start_date TEXT, end_date TEXT, proposer TEXT NOT NULL,"
	    "  created INTEGER NOT NULL) STRICT;"
	    "CREATE INDEX appointments_post ON appointments(post, status);"
	    /* The database itself keeps a person to one active appointment. */
	    "CREATE UNIQUE INDEX appointments_one_active ON appointments(person)"
	    "  WHERE status = 'appointed';"
	    "CREATE TABLE appointment_steps ("
	    "  appt INTEGER NOT NULL REFERENCES appointments(id), seq INTEGER NOT NULL,"
	    "  step TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,"
	    "  at INTEGER NOT NULL, reason TEXT, PRIMARY KEY (appt, seq)) STRICT;"},
};

const struct att_schema_component att_schema_registry = {
	"registry", registry_steps, sizeof(registry_steps) / sizeof(registry_steps[0])};

#define COPY(dst, st, i) snprintf((dst), sizeof(dst), "%s", att_col_text((st), (i)))

enum att_rc att_store_post_insert(struct att_store *s, const struct att_post_row *p,
				  struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO posts(id,kind,host,city,mission,fields,staffing,created) "
		"VALUES(?,?,?,?,?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, p->id);
	att_bind_text(st, 2, p->kind);
	att_bind_text(st, 3, p->host);
	att_bind_text(st, 4, p->city);
	att_bind_text(st, 5, p->mission[0] ? p->mission : NULL);
	att_bind_text(st, 6, p->fields);
	sqlite3_bind_int64(st, 7, p->staffing);
	sqlite3_bind_int64(st, 8, p->created);
	rc = att_store_step_done(s, st, err, "adding the post");
	if (rc == ATT_EEXIST) {
		att_err_clear(err);
		return att_fail(err, ATT_EEXIST, "post '%s' exists already", p->id);
	}
	return rc;
}

static void post_from_row(sqlite3_stmt *st, struct att_post_row *p)
{
	memset(p, 0, sizeof(*p));
	COPY(p->id, st, 0);
	COPY(p->kind, st, 1);
	COPY(p->host, st, 2);
	COPY(p->city, st, 3);
	COPY(p->mission, st, 4);
	COPY(p->fields, st, 5);
	p->staffing = sqlite3_column_int64(st, 6);
	p->created = sqlite3_column_int64(st, 7);
}

enum att_rc att_store_post_get(struct att_store *s, const char *id, struct att_post_row *out,
			       struct att_err *err)
{
	static const char sql[] =
		"SELECT id,kind,host,city,mission,fields,staffing,created FROM posts WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		post_from_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading a post");
}

enum att_rc att_store_post_each(struct att_store *s,
				int (*fn)(const struct att_post_row *p, void *arg), void *arg,
				struct att_err *err)
{
	static const char sql[] =
		"SELECT id,kind,host,city,mission,fields,staffing,created FROM posts ORDER BY id";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_post_row p;
	int rc;

	if (!st)
		return ATT_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		post_from_row(st, &p);
		if (fn(&p, arg))
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK
						     : att_store_dberr(s, err, "listing posts");
}

enum att_rc att_store_post_set_staffing(struct att_store *s, const char *id, int64_t n,
					struct att_err *err)
{
	static const char sql[] = "UPDATE posts SET staffing=? WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, n);
	att_bind_text(st, 2, id);
	return att_store_step_done(s, st, err, "setting the post's staffing");
}

enum att_rc att_store_appt_insert(struct att_store *s, const struct att_appt_row *a,
				  int64_t *id, struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO appointments(person,post,field,status,start_date,end_date,"
		"proposer,created) VALUES(?,?,?,?,?,?,?,?)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	enum att_rc rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, a->person);
	att_bind_text(st, 2, a->post);
	att_bind_text(st, 3, a->field);
	att_bind_text(st, 4, a->status);
	att_bind_text(st, 5, a->start[0] ? a->start : NULL);
	att_bind_text(st, 6, a->end[0] ? a->end : NULL);
	att_bind_text(st, 7, a->proposer);
	sqlite3_bind_int64(st, 8, a->created);
	rc = att_store_step_done(s, st, err, "adding the appointment");
	if (!rc)
		*id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
	return rc;
}

#define APPT_COLS "id,person,post,field,status,start_date,end_date,proposer,created"

static void appt_from_row(sqlite3_stmt *st, struct att_appt_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	COPY(a->person, st, 1);
	COPY(a->post, st, 2);
	COPY(a->field, st, 3);
	COPY(a->status, st, 4);
	COPY(a->start, st, 5);
	COPY(a->end, st, 6);
	COPY(a->proposer, st, 7);
	a->created = sqlite3_column_int64(st, 8);
}

enum att_rc att_store_appt_get(struct att_store *s, int64_t id, struct att_appt_row *out,
			       struct att_err *err)
{
	static const char sql[] = "SELECT " APPT_COLS " FROM appointments WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		appt_from_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	return rc == SQLITE_DONE ? ATT_ENOTFOUND
				 : att_store_dberr(s, err, "reading an appointment");
}

enum att_rc att_store_appt_update(struct att_store *s, const struct att_appt_row *a,
				  struct att_err *err)
{
	static const char sql[] =
		"UPDATE appointments SET status=?, start_date=?, end_date=? WHERE id=?";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, a->status);
	att_bind_text(st, 2, a->start[0] ? a->start : NULL);
	att_bind_text(st, 3, a->end[0] ? a->end : NULL);
	sqlite3_bind_int64(st, 4, a->id);
	return att_store_step_done(s, st, err, "updating the appointment");
}

enum att_rc att_store_appt_step_insert(struct att_store *s, const struct att_step_row *r,
				       struct att_err *err)
{
	static const char sql[] =
		"INSERT INTO appointment_steps(appt,seq,step,actor,role,at,reason) "
		"VALUES(?1,(SELECT coalesce(max(seq),0)+1 FROM appointment_steps WHERE appt=?1),"
		"?2,?3,?4,?5,?6)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	sqlite3_bind_int64(st, 1, r->appt);
	att_bind_text(st, 2, r->step);
	att_bind_text(st, 3, r->actor);
	att_bind_text(st, 4, r->role);
	sqlite3_bind_int64(st, 5, r->at);
	att_bind_text(st, 6, r->reason[0] ? r->reason : NULL);
	return att_store_step_done(s, st, err, "recording the appointment step");
}

enum att_rc att_store_appt_steps_each(struct att_store *s, int64_t appt,
				      int (*fn)(const struct att_step_row *r, void *arg),
				      void *arg, struct att_err *err)
{
	static const char sql[] =
		"SELECT appt,seq,step,actor,role,at,reason FROM appointment_steps "
		"WHERE appt=? ORDER BY seq";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_step_row *r;
	int rc;

	if (!st)
		return ATT_EDB;
	r = malloc(sizeof(*r));
	if (!r)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	sqlite3_bind_int64(st, 1, appt);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(r, 0, sizeof(*r));
		r->appt = sqlite3_column_int64(st, 0);
		r->seq = sqlite3_column_int(st, 1);
		COPY(r->step, st, 2);
		COPY(r->actor, st, 3);
		COPY(r->role, st, 4);
		r->at = sqlite3_column_int64(st, 5);
		COPY(r->reason, st, 6);
		if (fn(r, arg))
			break;
	}
	sqlite3_reset(st);
	free(r);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? ATT_OK
		       : att_store_dberr(s, err, "reading appointment steps");
}

enum att_rc att_store_appt_each(struct att_store *s, const char *post, const char *status,
				int (*fn)(const struct att_appt_row *a, void *arg), void *arg,
				struct att_err *err)
{
	static const char sql[] = "SELECT " APPT_COLS " FROM appointments "
				  "WHERE (?1 IS NULL OR post=?1) AND (?2 IS NULL OR status=?2) "
				  "ORDER BY id";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	struct att_appt_row a;
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, post);
	att_bind_text(st, 2, status);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		appt_from_row(st, &a);
		if (fn(&a, arg))
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? ATT_OK
		       : att_store_dberr(s, err, "listing appointments");
}

enum att_rc att_store_appt_count_active(struct att_store *s, const char *post, int64_t *n,
					struct att_err *err)
{
	static const char sql[] = "SELECT count(*) FROM appointments "
				  "WHERE status='appointed' AND (?1 IS NULL OR post=?1)";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, post);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "counting appointments");
}

enum att_rc att_store_appt_open_for(struct att_store *s, const char *person, int64_t except,
				    int64_t *id, char *status, struct att_err *err)
{
	static const char sql[] =
		"SELECT id, status FROM appointments WHERE person=? AND id<>? AND status IN "
		"('proposed','mfa-agreed','president-agreed','appointed') ORDER BY id LIMIT 1";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);
	int rc;

	if (!st)
		return ATT_EDB;
	att_bind_text(st, 1, person);
	sqlite3_bind_int64(st, 2, except);
	*id = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(status, 32, "%s", att_col_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? ATT_OK
		       : att_store_dberr(s, err, "reading appointments");
}
