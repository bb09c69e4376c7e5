/* Store functions of the exchange area. Content columns are ciphertext
 * sealed by the service layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_exchange.h"
#include "store_int.h"
#include "util.h"
#include "banned.h"

static const struct att_migration exchange_steps[] = {
	{1, "CREATE TABLE cases ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT, field TEXT NOT NULL, subarea TEXT,"
	    "  title TEXT NOT NULL, owner_unit TEXT NOT NULL, owner_user TEXT NOT NULL,"
	    "  status TEXT NOT NULL, purpose TEXT NOT NULL, legal_basis TEXT NOT NULL,"
	    "  review_date TEXT NOT NULL, created INTEGER NOT NULL) STRICT;"
	    "CREATE TABLE case_grants ("
	    "  case_id INTEGER NOT NULL REFERENCES cases(id), grantee TEXT NOT NULL,"
	    "  granted_by TEXT NOT NULL, at INTEGER NOT NULL,"
	    "  PRIMARY KEY (case_id, grantee)) STRICT;"
	    "CREATE TABLE messages ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  case_id INTEGER NOT NULL REFERENCES cases(id), type TEXT NOT NULL,"
	    "  sender TEXT NOT NULL, sender_unit TEXT NOT NULL, field TEXT NOT NULL,"
	    "  handling TEXT NOT NULL, source TEXT NOT NULL, information INTEGER NOT NULL,"
	    "  priority TEXT NOT NULL, deadline INTEGER, in_reply_to INTEGER,"
	    "  preserve_until INTEGER, status TEXT NOT NULL, created INTEGER NOT NULL,"
	    "  content BLOB NOT NULL) STRICT;"
	    "CREATE INDEX messages_case ON messages(case_id);"
	    "CREATE INDEX messages_sender ON messages(sender);"
	    "CREATE INDEX messages_status ON messages(status) WHERE status <> 'delivered';"
	    "CREATE INDEX messages_deadline ON messages(deadline) WHERE deadline IS NOT NULL;"
	    "CREATE TABLE recipients ("
	    "  msg_id INTEGER NOT NULL REFERENCES messages(id), unit TEXT NOT NULL,"
	    "  state TEXT NOT NULL, updated INTEGER NOT NULL, via TEXT,"
	    "  PRIMARY KEY (msg_id, unit)) STRICT, WITHOUT ROWID;"
	    "CREATE INDEX recipients_unit ON recipients(unit, msg_id);"
	    "CREATE TABLE entities ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  msg_id INTEGER NOT NULL REFERENCES messages(id), type TEXT NOT NULL,"
	    "  value BLOB NOT NULL) STRICT;"
	    "CREATE INDEX entities_msg ON entities(msg_id);"
	    "CREATE TABLE attachments ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  msg_id INTEGER NOT NULL REFERENCES messages(id), name TEXT NOT NULL,"
	    "  mime TEXT NOT NULL, size INTEGER NOT NULL, content BLOB NOT NULL) STRICT;"
	    "CREATE TABLE hits ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  entity_id INTEGER NOT NULL REFERENCES entities(id),"
	    "  other_ref INTEGER NOT NULL, other_kind TEXT NOT NULL, score REAL NOT NULL,"
	    "  created INTEGER NOT NULL, expl BLOB NOT NULL) STRICT;"
	    "CREATE INDEX case_grants_grantee ON case_grants(grantee);"
	    "CREATE TABLE permits ("
	    "  msg_id INTEGER NOT NULL REFERENCES messages(id), target TEXT NOT NULL,"
	    "  by_user TEXT NOT NULL, at INTEGER NOT NULL,"
	    "  PRIMARY KEY (msg_id, target)) STRICT;"
	    "CREATE TABLE reviews ("
	    "  msg_id INTEGER PRIMARY KEY REFERENCES messages(id), state TEXT NOT NULL,"
	    "  reasons BLOB NOT NULL, decided_by TEXT, decision BLOB, decided_at INTEGER) STRICT;"
	    "CREATE TABLE protected ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT, sealed BLOB NOT NULL,"
	    "  added_by TEXT NOT NULL, at INTEGER NOT NULL) STRICT;"
	    "CREATE TABLE neutrality_terms ("
	    "  term TEXT PRIMARY KEY, lang TEXT NOT NULL, category TEXT NOT NULL) STRICT;"
	    "CREATE TABLE watchlists ("
	    "  name TEXT PRIMARY KEY, format TEXT NOT NULL, version INTEGER NOT NULL,"
	    "  entries INTEGER NOT NULL, imported INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	    "  imported_by TEXT NOT NULL) STRICT;"
	    "CREATE TABLE wl_entries ("
	    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  list TEXT NOT NULL REFERENCES watchlists(name), entry_id TEXT NOT NULL,"
	    "  kind TEXT NOT NULL, data TEXT NOT NULL) STRICT;"
	    "CREATE INDEX wl_entries_list ON wl_entries(list);"
	    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;"
	    "INSERT INTO counters VALUES ('wl_generation', 0), ('terms_gen', 1);"
	    /* Held messages released by an overseer, in order, so that every
	     * process's match index can take their entities in. */
	    "CREATE TABLE releases (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	    "  msg_id INTEGER NOT NULL REFERENCES messages(id)) STRICT;"},
	{2, /* The neutrality screen's default terms (INTERPOL art. 3 in spirit):
	     * data the overseer edits; '*' marks a stem. */
	    "INSERT INTO neutrality_terms(term,lang,category) VALUES "
	    "('politic*','en','political'),('opposition*','en','political'),"
	    "('election*','en','political'),('human rights','en','political'),"
	    "('protest*','en','protest'),('demonstrator*','en','protest'),"
	    "('dissident*','en','protest'),('activist*','en','protest'),"
	    "('emigr*','en','emigration'),('exile*','en','emigration'),"
	    "('asylum*','en','emigration'),('refugee*','en','emigration'),"
	    "('journalis*','en','journalism'),('reporter*','en','journalism'),"
	    "('blogger*','en','journalism'),('press freedom','en','journalism'),"
	    "('religio*','en','religion'),('mosque*','en','religion'),"
	    "('church*','en','religion'),('imam*','en','religion'),('sermon*','en','religion'),"
	    "('ethnic*','en','ethnicity'),('racial*','en','ethnicity'),"
	    "('race','en','ethnicity'),('military*','en','military'),('army','en','military'),"
	    "('armies','en','military'),('soldier*','en','military'),"
	    "('conscript*','en','military'),('политич*','ru','political'),"
	    "('оппозиц*','ru','political'),('выбор*','ru','political'),"
	    "('права человека','ru','political'),('протест*','ru','protest'),"
	    "('митинг*','ru','protest'),('диссидент*','ru','protest'),"
	    "('активист*','ru','protest'),('эмигр*','ru','emigration'),"
	    "('беженц*','ru','emigration'),('убежищ*','ru','emigration'),"
	    "('журналист*','ru','journalism'),('блогер*','ru','journalism'),"
	    "('блоггер*','ru','journalism'),('религи*','ru','religion'),"
	    "('мечет*','ru','religion'),('церк*','ru','religion'),('имам*','ru','religion'),"
	    "('этнич*','ru','ethnicity'),('расов*','ru','ethnicity'),"
	    "('военн*','ru','military'),('арми*','ru','military'),('солдат*','ru','military'),"
	    "('призыв*','ru','military'),('siyasi*','az','political'),"
	    "('müxalif*','az','political'),('seçki*','az','political'),"
	    "('insan hüquq*','az','political'),('etiraz*','az','protest'),"
	    "('mitinq*','az','protest'),('aksiya*','az','protest'),('fəal*','az','protest'),"
	    "('mühacir*','az','emigration'),('qaçqın*','az','emigration'),"
	    "('sığınacaq*','az','emigration'),('jurnalist*','az','journalism'),"
	    "('bloger*','az','journalism'),('din','az','religion'),('dini*','az','religion'),"
	    "('məscid*','az','religion'),('kilsə*','az','religion'),"
	    "('etnik*','az','ethnicity'),('irqi*','az','ethnicity'),('hərbi*','az','military'),"
	    "('ordu*','az','military'),('əsgər*','az','military'),('çağırış*','az','military');"},
	/* Lists show the subject alone: sealed on its own, so a page of an
	 * inbox opens a few bytes per message, not whole messages. */
	{3, "ALTER TABLE messages ADD COLUMN subject BLOB;"},
	/* Every change an inbox page can show bumps inbox_gen (in the same
	 * transaction, whoever makes it), so a cached page knows it is stale. */
	{4, "INSERT INTO counters VALUES ('inbox_gen', 0);"
	    "CREATE TRIGGER inbox_gen_msg_ins AFTER INSERT ON messages BEGIN"
	    "  UPDATE counters SET value=value+1 WHERE name='inbox_gen'; END;"
	    "CREATE TRIGGER inbox_gen_msg_upd AFTER UPDATE ON messages BEGIN"
	    "  UPDATE counters SET value=value+1 WHERE name='inbox_gen'; END;"
	    "CREATE TRIGGER inbox_gen_rcp_ins AFTER INSERT ON recipients BEGIN"
	    "  UPDATE counters SET value=value+1 WHERE name='inbox_gen'; END;"
	    "CREATE TRIGGER inbox_gen_rcp_upd AFTER UPDATE ON recipients BEGIN"
	    "  UPDATE counters SET value=value+1 WHERE name='inbox_gen'; END;"},
	/* Inserts bump inbox_gen once per transaction, at commit (the store
	 * marks the transaction when it inserts a message or a recipient; see
	 * att_store_inbox_bump), not once per row: a group commit inserts
	 * hundreds. Updates keep their triggers. */
	{5, "DROP TRIGGER IF EXISTS inbox_gen_msg_ins;"
	    "DROP TRIGGER IF EXISTS inbox_gen_rcp_ins;"},
	/* A delivered message can be held again (a person it names is put on
	 * the register later): each recipient's state before the hold comes
	 * back on release, and every process's match index withdraws the
	 * message's entities (a release row marked withdraw). */
	{6, "ALTER TABLE recipients ADD COLUMN prior TEXT;"
	    "ALTER TABLE releases ADD COLUMN withdraw INTEGER NOT NULL DEFAULT 0;"},
	/* A release of such a message writes only the hits it has not got,
	 * each looked up by the newer entity (an index that grows at its end:
	 * new hits are of new entities). */
	{7, "CREATE INDEX IF NOT EXISTS hits_entity ON hits(entity_id);"},
	/* A person put on the register is looked for in the text of every
	 * message sent before (a job in steps, resumed where it stopped):
	 * messages with ids in (cursor, upto] are still to be read. */
	{8, "CREATE TABLE rescans ("
	    "  register_id INTEGER PRIMARY KEY REFERENCES protected(id),"
	    "  upto INTEGER NOT NULL, cursor INTEGER NOT NULL, by_user TEXT NOT NULL,"
	    "  total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
	    "  held INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0,"
	    "  started INTEGER NOT NULL, finished INTEGER) STRICT;"},
	/* The entries registered before there were rescans: their text was
	 * never read for what was sent before them (or before the text check
	 * at sending existed). Read it all once. */
	{9, "INSERT OR IGNORE INTO rescans(register_id,upto,cursor,by_user,total,started,finished)"
	    "  SELECT p.id, m.mx, 0, p.added_by, m.n, p.at, CASE WHEN m.mx=0 THEN p.at END"
	    "  FROM protected p,"
	    "  (SELECT coalesce(max(id),0) AS mx, count(*) AS n FROM messages) m;"},
	/* a case's title, purpose and legal basis sealed (cases before it are
	 * sealed when a node with its keys opens the file) */
	{10, "ALTER TABLE cases ADD COLUMN sealed BLOB;"},
};

const struct att_schema_component att_schema_exchange = {
	"exchange", exchange_steps, sizeof(exchange_steps) / sizeof(exchange_steps[0])};

enum att_rc att_store_inbox_bump(struct att_store *s, struct att_err *err)
{
	static const char sql[] = "UPDATE counters SET value=value+1 WHERE name='inbox_gen'";
	sqlite3_stmt *st = att_store_stmt(s, sql, err);

	if (!st)
		return ATT_EDB;
	return att_store_step_done(s, st, err, "marking inboxes changed");
}

#define COPY(dst, st, i) snprintf((dst), sizeof(dst), "%s", att_col_text((st), (i)))
#define STMT(sql)                                      \
	sqlite3_stmt *st = att_store_stmt(s, (sql), err); \
	if (!st)                                           \
		return ATT_EDB

/* Runs a SELECT, calling row(st, arg) per row until it returns non-zero. */
static enum att_rc each(struct att_store *s, sqlite3_stmt *st,
			int (*row)(sqlite3_stmt *st, void *arg), void *arg,
			struct att_err *err, const char *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row(st, arg))
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK : att_store_dberr(s, err, ctx);
}

static enum att_rc insert_id(struct att_store *s, sqlite3_stmt *st, int64_t *id,
			     struct att_err *err, const char *ctx)
{
	enum att_rc rc = att_store_step_done(s, st, err, ctx);

	if (!rc && id)
		*id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
	return rc;
}

static enum att_rc one_bool(struct att_store *s, sqlite3_stmt *st, bool *yes,
			    struct att_err *err, const char *ctx)
{
	int rc = sqlite3_step(st);

	*yes = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK : att_store_dberr(s, err, ctx);
}

/* --- cases ------------------------------------------------------------ */

#define CASE_COLS \
	"id,field,subarea,title,owner_unit,owner_user,status,purpose,legal_basis,review_date,created," \
	"sealed"

static void case_from(sqlite3_stmt *st, struct att_case_row *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	COPY(c->field, st, 1);
	COPY(c->subarea, st, 2);
	COPY(c->title, st, 3);
	COPY(c->owner_unit, st, 4);
	COPY(c->owner_user, st, 5);
	COPY(c->status, st, 6);
	COPY(c->purpose, st, 7);
	COPY(c->legal_basis, st, 8);
	COPY(c->review_date, st, 9);
	c->created = sqlite3_column_int64(st, 10);
	if (sqlite3_column_type(st, 11) == SQLITE_BLOB) {
		size_t n = (size_t)sqlite3_column_bytes(st, 11);

		/* longer than any sealed: damaged, and opening it says so */
		c->sealed_len = n <= sizeof(c->sealed) ? n : 1;
		memcpy(c->sealed, sqlite3_column_blob(st, 11), c->sealed_len);
	}
}

enum att_rc att_store_cases_in_clear(struct att_store *s, bool *any, struct att_err *err)
{
	STMT("SELECT 1 FROM cases WHERE sealed IS NULL AND title<>'' LIMIT 1");
	return one_bool(s, st, any, err, "reading cases");
}

enum att_rc att_store_case_seal(struct att_store *s, int64_t id, const unsigned char *sealed,
				size_t len, struct att_err *err)
{
	int rc;
	STMT("UPDATE cases SET sealed=?, title='', purpose='', legal_basis='' WHERE id=?");
	sqlite3_bind_blob(st, 1, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? ATT_OK : att_store_dberr(s, err, "sealing a case");
}

enum att_rc att_store_case_insert(struct att_store *s, const struct att_case_row *c,
				  int64_t *id, struct att_err *err)
{
	STMT("INSERT INTO cases(field,subarea,title,owner_unit,owner_user,status,purpose,"
	     "legal_basis,review_date,created) VALUES(?,?,?,?,?,?,?,?,?,?)");
	att_bind_text(st, 1, c->field);
	att_bind_text(st, 2, c->subarea[0] ? c->subarea : NULL);
	att_bind_text(st, 3, c->title);
	att_bind_text(st, 4, c->owner_unit);
	att_bind_text(st, 5, c->owner_user);
	att_bind_text(st, 6, c->status);
	att_bind_text(st, 7, c->purpose);
	att_bind_text(st, 8, c->legal_basis);
	att_bind_text(st, 9, c->review_date);
	sqlite3_bind_int64(st, 10, c->created);
	return insert_id(s, st, id, err, "opening the case");
}

enum att_rc att_store_case_get(struct att_store *s, int64_t id, struct att_case_row *out,
			       struct att_err *err)
{
	int rc;
	STMT("SELECT " CASE_COLS " FROM cases WHERE id=?");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		case_from(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading a case");
}

struct case_each_ctx {
	int (*fn)(const struct att_case_row *c, void *arg);
	void *arg;
	struct att_case_row row;
};

static int case_each_row(sqlite3_stmt *st, void *arg)
{
	struct case_each_ctx *c = arg;

	case_from(st, &c->row);
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_case_each(struct att_store *s,
				int (*fn)(const struct att_case_row *c, void *arg), void *arg,
				struct att_err *err)
{
	struct case_each_ctx *c;
	enum att_rc rc;
	STMT("SELECT " CASE_COLS " FROM cases ORDER BY id DESC");
	c = malloc(sizeof(*c));
	if (!c)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	c->fn = fn;
	c->arg = arg;
	rc = each(s, st, case_each_row, c, err, "listing cases");
	free(c);
	return rc;
}

enum att_rc att_store_case_grant(struct att_store *s, int64_t case_id, const char *grantee,
				 const char *by, int64_t at, struct att_err *err)
{
	STMT("INSERT INTO case_grants(case_id,grantee,granted_by,at) VALUES(?,?,?,?) "
	     "ON CONFLICT DO NOTHING");
	sqlite3_bind_int64(st, 1, case_id);
	att_bind_text(st, 2, grantee);
	att_bind_text(st, 3, by);
	sqlite3_bind_int64(st, 4, at);
	return att_store_step_done(s, st, err, "granting access to the case");
}

enum att_rc att_store_case_granted(struct att_store *s, int64_t case_id, const char *user,
				   const char *unit, bool *yes, struct att_err *err)
{
	STMT("SELECT 1 FROM case_grants WHERE case_id=? AND grantee IN (?,?)");
	sqlite3_bind_int64(st, 1, case_id);
	att_bind_text(st, 2, user);
	att_bind_text(st, 3, unit && *unit ? unit : user);
	return one_bool(s, st, yes, err, "reading case grants");
}

enum att_rc att_store_msg_unanswered(struct att_store *s, int64_t msg_id, bool *yes,
				     struct att_err *err)
{
	STMT("SELECT 1 FROM recipients WHERE msg_id=? AND state<>'answered' LIMIT 1");
	sqlite3_bind_int64(st, 1, msg_id);
	return one_bool(s, st, yes, err, "reading recipients");
}

enum att_rc att_store_case_has_recipient(struct att_store *s, int64_t case_id,
					 const char *unit, bool *yes, struct att_err *err)
{
	STMT("SELECT 1 FROM recipients r JOIN messages m ON m.id=r.msg_id "
	     "WHERE m.case_id=? AND r.unit=? AND m.status='delivered' LIMIT 1");
	sqlite3_bind_int64(st, 1, case_id);
	att_bind_text(st, 2, unit);
	return one_bool(s, st, yes, err, "reading case recipients");
}

/* --- messages ----------------------------------------------------------- */

#define MSG_COLS                                                                        \
	"id,case_id,type,sender,sender_unit,field,handling,source,information,priority," \
	"deadline,in_reply_to,preserve_until,status,created,content"

static void msg_from(sqlite3_stmt *st, struct att_msg_row *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->case_id = sqlite3_column_int64(st, 1);
	COPY(m->type, st, 2);
	COPY(m->sender, st, 3);
	COPY(m->sender_unit, st, 4);
	COPY(m->field, st, 5);
	COPY(m->handling, st, 6);
	COPY(m->source, st, 7);
	m->information = sqlite3_column_int(st, 8);
	COPY(m->priority, st, 9);
	m->deadline = sqlite3_column_int64(st, 10);
	m->in_reply_to = sqlite3_column_int64(st, 11);
	m->preserve_until = sqlite3_column_int64(st, 12);
	COPY(m->status, st, 13);
	m->created = sqlite3_column_int64(st, 14);
	m->content = sqlite3_column_blob(st, 15);
	m->content_len = (size_t)sqlite3_column_bytes(st, 15);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

enum att_rc att_store_msg_insert(struct att_store *s, const struct att_msg_row *m,
				 int64_t *id, struct att_err *err)
{
	STMT("INSERT INTO messages(case_id,type,sender,sender_unit,field,handling,source,"
	     "information,priority,deadline,in_reply_to,preserve_until,status,created,content,id,"
	     "subject) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, m->case_id);
	att_bind_text_ref(st, 2, m->type);
	att_bind_text_ref(st, 3, m->sender);
	att_bind_text_ref(st, 4, m->sender_unit);
	att_bind_text_ref(st, 5, m->field);
	att_bind_text_ref(st, 6, m->handling);
	att_bind_text_ref(st, 7, m->source);
	sqlite3_bind_int(st, 8, m->information);
	att_bind_text_ref(st, 9, m->priority);
	bind_opt_int(st, 10, m->deadline);
	bind_opt_int(st, 11, m->in_reply_to);
	bind_opt_int(st, 12, m->preserve_until);
	att_bind_text_ref(st, 13, m->status);
	sqlite3_bind_int64(st, 14, m->created);
	sqlite3_bind_blob(st, 15, m->content, (int)m->content_len, SQLITE_STATIC);
	bind_opt_int(st, 16, m->id);
	if (m->subject)
		sqlite3_bind_blob(st, 17, m->subject, (int)m->subject_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 17);
	s->inbox_dirty = true;
	return insert_id(s, st, id, err, "storing the message");
}

enum att_rc att_store_msg_get(struct att_store *s, int64_t id, struct att_msg_row *out,
			      struct att_err *err)
{
	int rc;
	STMT("SELECT " MSG_COLS " FROM messages WHERE id=?");
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		unsigned char *copy;

		msg_from(st, out);
		copy = malloc(out->content_len ? out->content_len : 1);
		if (copy && out->content_len)
			memcpy(copy, out->content, out->content_len);
		out->content = copy;
		sqlite3_reset(st);
		return copy ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading a message");
}

enum att_rc att_store_msg_set_status(struct att_store *s, int64_t id, const char *status,
				     struct att_err *err)
{
	STMT("UPDATE messages SET status=? WHERE id=?");
	att_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, id);
	return att_store_step_done(s, st, err, "updating the message");
}

struct msg_each_ctx {
	int (*fn)(const struct att_msg_row *m, void *arg);
	void *arg;
	struct att_msg_row row;
};

static int msg_each_row(sqlite3_stmt *st, void *arg)
{
	struct msg_each_ctx *c = arg;

	msg_from(st, &c->row);
	return c->fn(&c->row, c->arg);
}

static enum att_rc msg_each(struct att_store *s, sqlite3_stmt *st,
			    int (*fn)(const struct att_msg_row *m, void *arg), void *arg,
			    struct att_err *err)
{
	struct msg_each_ctx c = {fn, arg, {0}};

	return each(s, st, msg_each_row, &c, err, "listing messages");
}

enum att_rc att_store_msg_each_in_case(struct att_store *s, int64_t case_id,
				       int (*fn)(const struct att_msg_row *m, void *arg),
				       void *arg, struct att_err *err)
{
	STMT("SELECT " MSG_COLS " FROM messages WHERE case_id=? ORDER BY id");
	sqlite3_bind_int64(st, 1, case_id);
	return msg_each(s, st, fn, arg, err);
}

enum att_rc att_store_msg_each_status(struct att_store *s, const char *status,
				      int (*fn)(const struct att_msg_row *m, void *arg),
				      void *arg, struct att_err *err)
{
	STMT("SELECT " MSG_COLS " FROM messages WHERE status=? ORDER BY id DESC");
	att_bind_text(st, 1, status);
	return msg_each(s, st, fn, arg, err);
}

struct inbox_ctx {
	int (*fn)(const struct att_msg_row *m, void *arg);
	void *arg;
	struct att_msg_row row;
};

static int inbox_row(sqlite3_stmt *st, void *arg)
{
	struct inbox_ctx *c = arg;

	msg_from(st, &c->row);
	c->row.content = NULL;
	c->row.content_len = 0;
	c->row.subject = sqlite3_column_blob(st, 15);
	c->row.subject_len = (size_t)sqlite3_column_bytes(st, 15);
	snprintf(c->row.my_state, sizeof(c->row.my_state), "%s", att_col_text(st, 16));
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_msg_each_for(struct att_store *s, const char *user, const char *unit,
				   int64_t before, size_t limit,
				   int (*fn)(const struct att_msg_row *m, void *arg), void *arg,
				   struct att_err *err)
{
	struct inbox_ctx c = {fn, arg, {0}};
	/* Each side reads its own index backwards and stops at the page size, so
	 * a page costs the same however much a unit has received. */
	STMT("SELECT m.id,m.case_id,m.type,m.sender,m.sender_unit,m.field,m.handling,m.source,"
	     "m.information,m.priority,m.deadline,m.in_reply_to,m.preserve_until,m.status,"
	     "m.created,m.subject,r.state FROM messages m "
	     "LEFT JOIN recipients r ON r.msg_id=m.id AND r.unit=?2 WHERE m.id IN ("
	     "  SELECT id FROM (SELECT id FROM messages WHERE sender=?1 AND id<?3"
	     "    ORDER BY id DESC LIMIT ?4)"
	     "  UNION SELECT msg_id FROM (SELECT msg_id FROM recipients WHERE unit=?2 AND msg_id<?3"
	     "    AND state NOT IN ('held','rejected') ORDER BY msg_id DESC LIMIT ?4))"
	     " ORDER BY m.id DESC LIMIT ?4");
	att_bind_text(st, 1, user);
	att_bind_text(st, 2, unit && *unit ? unit : "\x01none");
	sqlite3_bind_int64(st, 3, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1);
	return each(s, st, inbox_row, &c, err, "listing messages");
}

enum att_rc att_store_msg_each_overdue(struct att_store *s, int64_t now,
				       int (*fn)(const struct att_msg_row *m, void *arg),
				       void *arg, struct att_err *err)
{
	STMT("SELECT " MSG_COLS " FROM messages m WHERE deadline IS NOT NULL AND deadline<? "
	     "AND status='delivered' AND type IN ('request','preservation') AND EXISTS ("
	     "  SELECT 1 FROM recipients r WHERE r.msg_id=m.id AND r.state<>'answered')"
	     " ORDER BY deadline");
	sqlite3_bind_int64(st, 1, now);
	return msg_each(s, st, fn, arg, err);
}

enum att_rc att_store_msg_each_preserve_ending(struct att_store *s, int64_t from, int64_t to,
					       int (*fn)(const struct att_msg_row *m, void *arg),
					       void *arg, struct att_err *err)
{
	STMT("SELECT " MSG_COLS " FROM messages WHERE type='preservation' AND status='delivered' "
	     "AND preserve_until>=? AND preserve_until<? ORDER BY preserve_until");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return msg_each(s, st, fn, arg, err);
}

/* --- recipients ----------------------------------------------------------- */

enum att_rc att_store_recip_insert(struct att_store *s, const struct att_recip_row *r,
				   struct att_err *err)
{
	enum att_rc rc;
	STMT("INSERT INTO recipients(msg_id,unit,state,updated,via) VALUES(?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, r->msg_id);
	att_bind_text_ref(st, 2, r->unit);
	att_bind_text_ref(st, 3, r->state);
	sqlite3_bind_int64(st, 4, r->updated);
	att_bind_text_ref(st, 5, r->via[0] ? r->via : NULL);
	s->inbox_dirty = true;
	rc = att_store_step_done(s, st, err, "addressing the message");
	if (rc == ATT_EEXIST) {
		att_err_clear(err);
		return att_fail(err, ATT_EEXIST, "unit %s is already a recipient", r->unit);
	}
	return rc;
}

enum att_rc att_store_recip_set(struct att_store *s, int64_t msg_id, const char *unit,
				const char *state, int64_t at, struct att_err *err)
{
	STMT("UPDATE recipients SET state=?, updated=? WHERE msg_id=? AND unit=?");
	att_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, msg_id);
	att_bind_text(st, 4, unit);
	return att_store_step_done(s, st, err, "updating delivery state");
}

enum att_rc att_store_recip_set_all(struct att_store *s, int64_t msg_id, const char *state,
				    int64_t at, struct att_err *err)
{
	STMT("UPDATE recipients SET state=?, updated=? WHERE msg_id=?");
	att_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, msg_id);
	return att_store_step_done(s, st, err, "updating delivery state");
}

enum att_rc att_store_recip_hold_all(struct att_store *s, int64_t msg_id, int64_t at,
				     struct att_err *err)
{
	STMT("UPDATE recipients SET prior=state, state='held', updated=? "
	     "WHERE msg_id=? AND state NOT IN ('held','rejected')");
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, msg_id);
	return att_store_step_done(s, st, err, "holding the message");
}

enum att_rc att_store_recip_restore_all(struct att_store *s, int64_t msg_id, int64_t at,
					struct att_err *err)
{
	STMT("UPDATE recipients SET state=coalesce(prior,'delivered'), prior=NULL, updated=? "
	     "WHERE msg_id=?");
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, msg_id);
	return att_store_step_done(s, st, err, "delivering the message");
}

static void recip_from(sqlite3_stmt *st, struct att_recip_row *r)
{
	memset(r, 0, sizeof(*r));
	r->msg_id = sqlite3_column_int64(st, 0);
	COPY(r->unit, st, 1);
	COPY(r->state, st, 2);
	r->updated = sqlite3_column_int64(st, 3);
	COPY(r->via, st, 4);
}

struct recip_each_ctx {
	int (*fn)(const struct att_recip_row *r, void *arg);
	void *arg;
	struct att_recip_row row;
};

static int recip_each_row(sqlite3_stmt *st, void *arg)
{
	struct recip_each_ctx *c = arg;

	recip_from(st, &c->row);
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_recip_each(struct att_store *s, int64_t msg_id,
				 int (*fn)(const struct att_recip_row *r, void *arg), void *arg,
				 struct att_err *err)
{
	struct recip_each_ctx c = {fn, arg, {0}};
	STMT("SELECT msg_id,unit,state,updated,via FROM recipients WHERE msg_id=? ORDER BY unit");
	sqlite3_bind_int64(st, 1, msg_id);
	return each(s, st, recip_each_row, &c, err, "reading recipients");
}

enum att_rc att_store_recip_get(struct att_store *s, int64_t msg_id, const char *unit,
				struct att_recip_row *out, struct att_err *err)
{
	int rc;
	STMT("SELECT msg_id,unit,state,updated,via FROM recipients WHERE msg_id=? AND unit=?");
	sqlite3_bind_int64(st, 1, msg_id);
	att_bind_text(st, 2, unit);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		recip_from(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading recipients");
}

/* --- entities ------------------------------------------------------------ */

/* INSERT statements for 1..ENT_ROWS_MAX entities with their ids. */
#define ENT_ROWS_MAX 8
#define ENT_INSERT "INSERT INTO entities(id,msg_id,type,value) VALUES(?,?,?,?)"
#define ENT_ROW ",(?,?,?,?)"
static const char *const ent_insert_sql[ENT_ROWS_MAX] = {
	ENT_INSERT,
	ENT_INSERT ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW ENT_ROW ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW,
	ENT_INSERT ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW ENT_ROW,
};

enum att_rc att_store_entity_insert_many(struct att_store *s, const struct att_entity_row *e,
					 size_t n, struct att_err *err)
{
	while (n) {
		size_t k = n < ENT_ROWS_MAX ? n : ENT_ROWS_MAX;
		sqlite3_stmt *st = att_store_stmt(s, ent_insert_sql[k - 1], err);
		enum att_rc rc;

		if (!st)
			return ATT_EDB;
		for (size_t i = 0; i < k; i++) {
			int b = (int)(4 * i);

			sqlite3_bind_int64(st, b + 1, e[i].id);
			sqlite3_bind_int64(st, b + 2, e[i].msg_id);
			att_bind_text_ref(st, b + 3, e[i].type);
			sqlite3_bind_blob(st, b + 4, e[i].value, (int)e[i].value_len, SQLITE_STATIC);
		}
		rc = att_store_step_done(s, st, err, "storing the entities");
		if (rc)
			return rc;
		e += k;
		n -= k;
	}
	return ATT_OK;
}

struct ent_each_ctx {
	int (*fn)(const struct att_entity_row *e, void *arg);
	void *arg;
	struct att_entity_row row;
};

static int ent_each_row(sqlite3_stmt *st, void *arg)
{
	struct ent_each_ctx *c = arg;

	memset(&c->row, 0, sizeof(c->row));
	c->row.id = sqlite3_column_int64(st, 0);
	c->row.msg_id = sqlite3_column_int64(st, 1);
	COPY(c->row.type, st, 2);
	c->row.value = sqlite3_column_blob(st, 3);
	c->row.value_len = (size_t)sqlite3_column_bytes(st, 3);
	c->row.case_id = sqlite3_column_int64(st, 4);
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_entity_each_since(struct att_store *s, int64_t after,
					int (*fn)(const struct att_entity_row *e, void *arg),
					void *arg, struct att_err *err)
{
	struct ent_each_ctx c = {fn, arg, {0}};
	STMT("SELECT e.id,e.msg_id,e.type,e.value,m.case_id FROM entities e JOIN messages m "
	     "ON m.id=e.msg_id WHERE e.id>? AND m.status='delivered' ORDER BY e.id");
	sqlite3_bind_int64(st, 1, after);
	return each(s, st, ent_each_row, &c, err, "reading entities");
}

enum att_rc att_store_entity_each_of(struct att_store *s, int64_t msg_id,
				     int (*fn)(const struct att_entity_row *e, void *arg),
				     void *arg, struct att_err *err)
{
	struct ent_each_ctx c = {fn, arg, {0}};
	STMT("SELECT e.id,e.msg_id,e.type,e.value,m.case_id FROM entities e JOIN messages m "
	     "ON m.id=e.msg_id WHERE e.msg_id=? ORDER BY e.id");
	sqlite3_bind_int64(st, 1, msg_id);
	return each(s, st, ent_each_row, &c, err, "reading entities");
}

enum att_rc att_store_entity_get(struct att_store *s, int64_t id, struct att_entity_row *out,
				 struct att_err *err)
{
	int rc;
	STMT("SELECT id,msg_id,type,value FROM entities WHERE id=?");
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(st, 0);
		out->msg_id = sqlite3_column_int64(st, 1);
		COPY(out->type, st, 2);
		out->value_len = (size_t)sqlite3_column_bytes(st, 3);
		{
			unsigned char *copy = malloc(out->value_len ? out->value_len : 1);

			if (copy && out->value_len)
				memcpy(copy, sqlite3_column_blob(st, 3), out->value_len);
			out->value = copy;
		}
		sqlite3_reset(st);
		return out->value ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading an entity");
}

enum att_rc att_store_entity_meta(struct att_store *s, int64_t id, int64_t *msg_id,
				  int64_t *case_id, char type[16], struct att_err *err)
{
	int rc;
	STMT("SELECT e.msg_id, m.case_id, e.type FROM entities e JOIN messages m ON m.id=e.msg_id "
	     "WHERE e.id=?");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*msg_id = sqlite3_column_int64(st, 0);
		*case_id = sqlite3_column_int64(st, 1);
		snprintf(type, 16, "%s", att_col_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ATT_OK;
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading an entity");
}

enum att_rc att_store_entity_watermark(struct att_store *s, int64_t *max_id,
				       int64_t *releases, struct att_err *err)
{
	int rc;
	STMT("SELECT (SELECT coalesce(max(id),0) FROM entities),"
	     " (SELECT coalesce(max(seq),0) FROM releases)");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*max_id = sqlite3_column_int64(st, 0);
		*releases = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "reading entities");
}

enum att_rc att_store_release_add(struct att_store *s, int64_t msg_id, bool withdraw,
				  struct att_err *err)
{
	STMT("INSERT INTO releases(msg_id,withdraw) VALUES(?,?)");
	sqlite3_bind_int64(st, 1, msg_id);
	sqlite3_bind_int(st, 2, withdraw);
	return att_store_step_done(s, st, err, "recording the release");
}

struct rel_ctx {
	int (*fn)(int64_t seq, int64_t msg_id, bool withdraw, void *arg);
	void *arg;
};

static int rel_row(sqlite3_stmt *st, void *arg)
{
	struct rel_ctx *c = arg;

	return c->fn(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		     sqlite3_column_int(st, 2) != 0, c->arg);
}

enum att_rc att_store_release_each_since(struct att_store *s, int64_t after,
					 int (*fn)(int64_t seq, int64_t msg_id, bool withdraw,
						   void *arg),
					 void *arg, struct att_err *err)
{
	struct rel_ctx c = {fn, arg};
	STMT("SELECT seq, msg_id, withdraw FROM releases WHERE seq>? ORDER BY seq");
	sqlite3_bind_int64(st, 1, after);
	return each(s, st, rel_row, &c, err, "reading releases");
}

enum att_rc att_store_next_id(struct att_store *s, const char *table, int64_t *id,
			      struct att_err *err)
{
	int rc;
	STMT("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name=?),0)+1");
	att_bind_text(st, 1, table);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "allocating an id");
}

/* --- attachments ------------------------------------------------------------ */

enum att_rc att_store_attach_insert(struct att_store *s, int64_t msg_id, const char *name,
				    const char *mime, int64_t size, const unsigned char *sealed,
				    size_t sealed_len, int64_t *id, struct att_err *err)
{
	STMT("INSERT INTO attachments(msg_id,name,mime,size,content) VALUES(?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, msg_id);
	att_bind_text(st, 2, name);
	att_bind_text(st, 3, mime);
	sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_blob(st, 5, sealed, (int)sealed_len, SQLITE_STATIC);
	return insert_id(s, st, id, err, "storing an attachment");
}

enum att_rc att_store_attach_get(struct att_store *s, int64_t msg_id, int64_t id, char *name,
				 char *mime, unsigned char **content, size_t *len,
				 struct att_err *err)
{
	int rc;
	STMT("SELECT name, mime, content FROM attachments WHERE id=? AND msg_id=?");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, msg_id);
	*content = NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 2);

		snprintf(name, ATT_ATTACH_NAME_STORED, "%s", att_col_text(st, 0));
		snprintf(mime, ATT_ATTACH_NAME_STORED, "%s", att_col_text(st, 1));
		*content = malloc(n ? n : 1);
		if (*content && n)
			memcpy(*content, sqlite3_column_blob(st, 2), n);
		*len = n;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return *content ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading an attachment");
}

struct att_each_ctx {
	int (*fn)(int64_t id, const char *name, const char *mime, int64_t size, void *arg);
	void *arg;
};

static int attach_row(sqlite3_stmt *st, void *arg)
{
	struct att_each_ctx *c = arg;

	return c->fn(sqlite3_column_int64(st, 0), att_col_text(st, 1), att_col_text(st, 2),
		     sqlite3_column_int64(st, 3), c->arg);
}

enum att_rc att_store_attach_each(struct att_store *s, int64_t msg_id,
				  int (*fn)(int64_t id, const char *name, const char *mime,
					    int64_t size, void *arg),
				  void *arg, struct att_err *err)
{
	struct att_each_ctx c = {fn, arg};
	STMT("SELECT id,name,mime,size FROM attachments WHERE msg_id=? ORDER BY id");
	sqlite3_bind_int64(st, 1, msg_id);
	return each(s, st, attach_row, &c, err, "reading attachments");
}

/* --- hits ------------------------------------------------------------------- */

enum att_rc att_store_hit_insert(struct att_store *s, const struct att_hit_row *h,
				 struct att_err *err)
{
	STMT("INSERT INTO hits(entity_id,other_ref,other_kind,score,created,expl) "
	     "VALUES(?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, h->entity_id);
	sqlite3_bind_int64(st, 2, h->other_ref);
	att_bind_text(st, 3, h->other_kind);
	sqlite3_bind_double(st, 4, h->score);
	sqlite3_bind_int64(st, 5, h->created);
	sqlite3_bind_blob(st, 6, h->expl, (int)h->expl_len, SQLITE_STATIC);
	return att_store_step_done(s, st, err, "recording a hit");
}

struct hit_each_ctx {
	int (*fn)(const struct att_hit_row *h, void *arg);
	void *arg;
	struct att_hit_row row;
};

static int hit_row(sqlite3_stmt *st, void *arg)
{
	struct hit_each_ctx *c = arg;

	memset(&c->row, 0, sizeof(c->row));
	c->row.id = sqlite3_column_int64(st, 0);
	c->row.entity_id = sqlite3_column_int64(st, 1);
	c->row.other_ref = sqlite3_column_int64(st, 2);
	COPY(c->row.other_kind, st, 3);
	c->row.score = sqlite3_column_double(st, 4);
	c->row.created = sqlite3_column_int64(st, 5);
	c->row.expl = sqlite3_column_blob(st, 6);
	c->row.expl_len = (size_t)sqlite3_column_bytes(st, 6);
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_hit_each(struct att_store *s, const char *user, const char *unit,
			       int64_t before, size_t limit,
			       int (*fn)(const struct att_hit_row *h, void *arg), void *arg,
			       struct att_err *err)
{
	struct hit_each_ctx c = {fn, arg, {0}};
	/* Hits where either side's message was sent by the user, reached their
	 * unit, or sits in a case granted to them, both messages delivered (a
	 * held one's hits are the overseer's); user NULL: all. The exact
	 * need-to-know check is the service's, on each row. */
	STMT("SELECT h.id,h.entity_id,h.other_ref,h.other_kind,h.score,h.created,h.expl "
	     "FROM hits h JOIN entities ea ON ea.id=h.entity_id "
	     "JOIN messages ma ON ma.id=ea.msg_id "
	     "LEFT JOIN entities eb ON h.other_kind='entity' AND eb.id=h.other_ref "
	     "LEFT JOIN messages mb ON mb.id=eb.msg_id "
	     "WHERE h.id<?3 AND (?1 IS NULL OR (ma.status='delivered'"
	     " AND (h.other_kind<>'entity' OR mb.status='delivered'))) "
	     "AND (?1 IS NULL OR ma.sender=?1 OR mb.sender=?1"
	     " OR EXISTS (SELECT 1 FROM recipients r WHERE r.msg_id IN (ma.id, mb.id) AND r.unit=?2)"
	     " OR EXISTS (SELECT 1 FROM case_grants g WHERE g.case_id IN (ma.case_id, mb.case_id)"
	     "   AND g.grantee IN (?1, ?2))) "
	     "ORDER BY h.id DESC LIMIT ?4");
	att_bind_text(st, 1, user);
	att_bind_text(st, 2, unit && *unit ? unit : "\x01none");
	sqlite3_bind_int64(st, 3, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1);
	return each(s, st, hit_row, &c, err, "reading hits");
}

enum att_rc att_store_hit_exists(struct att_store *s, int64_t entity_id, const char *kind,
				 int64_t other_ref, bool *yes, struct att_err *err)
{
	int rc;
	/* stored once, by the entity of the message sent later */
	STMT("SELECT 1 FROM hits WHERE entity_id=?1 AND other_kind=?2 AND other_ref=?3 "
	     "UNION ALL SELECT 1 FROM hits WHERE ?2='entity' AND entity_id=?3"
	     " AND other_kind='entity' AND other_ref=?1 LIMIT 1");
	sqlite3_bind_int64(st, 1, entity_id);
	att_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, other_ref);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK
						     : att_store_dberr(s, err, "reading hits");
}

/* --- permits, reviews ---------------------------------------------------------- */

enum att_rc att_store_permit_insert(struct att_store *s, int64_t msg_id, const char *target,
				    const char *by, int64_t at, struct att_err *err)
{
	STMT("INSERT INTO permits(msg_id,target,by_user,at) VALUES(?,?,?,?) ON CONFLICT DO NOTHING");
	sqlite3_bind_int64(st, 1, msg_id);
	att_bind_text(st, 2, target);
	att_bind_text(st, 3, by);
	sqlite3_bind_int64(st, 4, at);
	return att_store_step_done(s, st, err, "recording the permission");
}

enum att_rc att_store_permit_has(struct att_store *s, int64_t msg_id, const char *target,
				 bool *yes, struct att_err *err)
{
	STMT("SELECT 1 FROM permits WHERE msg_id=? AND target=?");
	sqlite3_bind_int64(st, 1, msg_id);
	att_bind_text(st, 2, target);
	return one_bool(s, st, yes, err, "reading permissions");
}

enum att_rc att_store_review_insert(struct att_store *s, int64_t msg_id,
				    const unsigned char *reasons, size_t len,
				    struct att_err *err)
{
	STMT("INSERT INTO reviews(msg_id,state,reasons) VALUES(?,'pending',?)");
	sqlite3_bind_int64(st, 1, msg_id);
	sqlite3_bind_blob(st, 2, reasons, (int)len, SQLITE_STATIC);
	return att_store_step_done(s, st, err, "queueing the review");
}

enum att_rc att_store_review_hold(struct att_store *s, int64_t msg_id,
				  const unsigned char *reasons, size_t len, struct att_err *err)
{
	STMT("INSERT INTO reviews(msg_id,state,reasons) VALUES(?1,'pending',?2) "
	     "ON CONFLICT(msg_id) DO UPDATE SET state='pending', reasons=?2, decided_by=NULL,"
	     " decision=NULL, decided_at=NULL");
	sqlite3_bind_int64(st, 1, msg_id);
	sqlite3_bind_blob(st, 2, reasons, (int)len, SQLITE_STATIC);
	return att_store_step_done(s, st, err, "queueing the review");
}

enum att_rc att_store_review_get(struct att_store *s, int64_t msg_id, char *state,
				 unsigned char **reasons, size_t *len, struct att_err *err)
{
	int rc;
	STMT("SELECT state, reasons FROM reviews WHERE msg_id=?");
	sqlite3_bind_int64(st, 1, msg_id);
	*reasons = NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 1);

		snprintf(state, 16, "%s", att_col_text(st, 0));
		*reasons = malloc(n ? n : 1);
		if (*reasons && n)
			memcpy(*reasons, sqlite3_column_blob(st, 1), n);
		*len = n;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return *reasons ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading the review");
}

enum att_rc att_store_review_decide(struct att_store *s, int64_t msg_id, const char *state,
				    const char *by, const unsigned char *reason, size_t len,
				    int64_t at, struct att_err *err)
{
	STMT("UPDATE reviews SET state=?, decided_by=?, decision=?, decided_at=? WHERE msg_id=?");
	att_bind_text(st, 1, state);
	att_bind_text(st, 2, by);
	sqlite3_bind_blob(st, 3, reason, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, msg_id);
	return att_store_step_done(s, st, err, "recording the review decision");
}

/* --- protected persons, neutrality terms -------------------------------------- */

enum att_rc att_store_protected_insert(struct att_store *s, const unsigned char *sealed,
				       size_t len, const char *by, int64_t at, int64_t *id,
				       struct att_err *err)
{
	STMT("INSERT INTO protected(sealed,added_by,at) VALUES(?,?,?)");
	sqlite3_bind_blob(st, 1, sealed, (int)len, SQLITE_STATIC);
	att_bind_text(st, 2, by);
	sqlite3_bind_int64(st, 3, at);
	return insert_id(s, st, id, err, "adding to the register");
}

struct prot_each_ctx {
	int (*fn)(int64_t id, const unsigned char *sealed, size_t len, const char *by,
		  int64_t at, void *arg);
	void *arg;
};

static int prot_row(sqlite3_stmt *st, void *arg)
{
	struct prot_each_ctx *c = arg;

	return c->fn(sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		     (size_t)sqlite3_column_bytes(st, 1), att_col_text(st, 2),
		     sqlite3_column_int64(st, 3), c->arg);
}

enum att_rc att_store_protected_each(struct att_store *s,
				     int (*fn)(int64_t id, const unsigned char *sealed,
					       size_t len, const char *by, int64_t at, void *arg),
				     void *arg, struct att_err *err)
{
	struct prot_each_ctx c = {fn, arg};
	STMT("SELECT id,sealed,added_by,at FROM protected ORDER BY id");
	return each(s, st, prot_row, &c, err, "reading the register");
}

/* --- rescans: the reading of sent text for a person newly registered ----- */

enum att_rc att_store_rescan_add(struct att_store *s, int64_t reg, int64_t upto,
				 const char *by, int64_t now, struct att_err *err)
{
	STMT("INSERT INTO rescans(register_id,upto,cursor,by_user,total,started,finished) "
	     /* counted on an index (a fifth of the time of the table's pages) */
	     "VALUES(?1,?2,0,?3,(SELECT count(*) FROM messages INDEXED BY messages_case "
	     "WHERE id<=?2),?4,"
	     "CASE WHEN ?2=0 THEN ?4 END)");
	sqlite3_bind_int64(st, 1, reg);
	sqlite3_bind_int64(st, 2, upto);
	att_bind_text(st, 3, by);
	sqlite3_bind_int64(st, 4, now);
	return att_store_step_done(s, st, err, "recording the rescan");
}

static void rescan_from(sqlite3_stmt *st, struct att_rescan_row *r)
{
	memset(r, 0, sizeof(*r));
	r->reg = sqlite3_column_int64(st, 0);
	r->upto = sqlite3_column_int64(st, 1);
	r->cursor = sqlite3_column_int64(st, 2);
	COPY(r->by, st, 3);
	r->held = sqlite3_column_int64(st, 4);
	r->flagged = sqlite3_column_int64(st, 5);
	r->started = sqlite3_column_int64(st, 6);
	r->finished = sqlite3_column_int64(st, 7);
	r->total = sqlite3_column_int64(st, 8);
	r->done = sqlite3_column_int64(st, 9);
}

#define RESCAN_COLS \
	"register_id,upto,cursor,by_user,held,flagged,started,coalesce(finished,0),total,done"

enum att_rc att_store_rescan_next(struct att_store *s, int64_t from, struct att_rescan_row *out,
				  struct att_err *err)
{
	int rc;
	STMT("SELECT " RESCAN_COLS " FROM rescans WHERE finished IS NULL AND register_id>=? "
	     "ORDER BY register_id LIMIT 1");
	sqlite3_bind_int64(st, 1, from);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rescan_from(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW	   ? ATT_OK
	       : rc == SQLITE_DONE ? ATT_ENOTFOUND
				   : att_store_dberr(s, err, "reading the rescans");
}

enum att_rc att_store_rescan_advance(struct att_store *s, int64_t reg, int64_t cursor,
				     int64_t done, int64_t held, int64_t flagged, int64_t finished,
				     struct att_err *err)
{
	STMT("UPDATE rescans SET cursor=?2, done=done+?6, held=held+?3, flagged=flagged+?4,"
	     " finished=CASE WHEN ?5 THEN ?5 END WHERE register_id=?1");
	sqlite3_bind_int64(st, 1, reg);
	sqlite3_bind_int64(st, 2, cursor);
	sqlite3_bind_int64(st, 3, held);
	sqlite3_bind_int64(st, 4, flagged);
	sqlite3_bind_int64(st, 5, finished);
	sqlite3_bind_int64(st, 6, done);
	return att_store_step_done(s, st, err, "recording the rescan's progress");
}

struct rescan_each_ctx {
	int (*fn)(const struct att_rescan_row *r, void *arg);
	void *arg;
};

static int rescan_each_row(sqlite3_stmt *st, void *arg)
{
	struct rescan_each_ctx *c = arg;
	struct att_rescan_row r;

	rescan_from(st, &r);
	return c->fn(&r, c->arg);
}

enum att_rc att_store_rescan_each(struct att_store *s,
				  int (*fn)(const struct att_rescan_row *r, void *arg), void *arg,
				  struct att_err *err)
{
	struct rescan_each_ctx c = {fn, arg};
	STMT("SELECT " RESCAN_COLS " FROM rescans ORDER BY register_id");
	return each(s, st, rescan_each_row, &c, err, "reading the rescans");
}

enum att_rc att_store_msg_max_id(struct att_store *s, int64_t *max, struct att_err *err)
{
	int rc;
	STMT("SELECT coalesce(max(id),0) FROM messages");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*max = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "reading the messages");
}

enum att_rc att_store_msg_each_range(struct att_store *s, int64_t after, int64_t upto,
				     size_t limit,
				     int (*fn)(const struct att_msg_row *m, void *arg),
				     void *arg, struct att_err *err)
{
	STMT("SELECT " MSG_COLS " FROM messages WHERE id>? AND id<=? ORDER BY id LIMIT ?");
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, upto);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	return msg_each(s, st, fn, arg, err);
}

enum att_rc att_store_protected_max(struct att_store *s, int64_t *max, struct att_err *err)
{
	int rc;
	STMT("SELECT coalesce(max(id),0) FROM protected");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*max = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "reading the register");
}

enum att_rc att_store_term_insert(struct att_store *s, const char *term, const char *lang,
				  const char *category, struct att_err *err)
{
	STMT("INSERT INTO neutrality_terms(term,lang,category) VALUES(?,?,?) "
	     "ON CONFLICT(term) DO UPDATE SET lang=excluded.lang, category=excluded.category");
	att_bind_text(st, 1, term);
	att_bind_text(st, 2, lang);
	att_bind_text(st, 3, category);
	return att_store_step_done(s, st, err, "adding the term");
}

enum att_rc att_store_term_delete(struct att_store *s, const char *term, bool *found,
				  struct att_err *err)
{
	enum att_rc rc;
	STMT("DELETE FROM neutrality_terms WHERE term=?");
	att_bind_text(st, 1, term);
	rc = att_store_step_done(s, st, err, "removing the term");
	*found = !rc && sqlite3_changes(sqlite3_db_handle(st)) > 0;
	return rc;
}

struct term_each_ctx {
	int (*fn)(const char *term, const char *lang, const char *category, void *arg);
	void *arg;
};

static int term_row(sqlite3_stmt *st, void *arg)
{
	struct term_each_ctx *c = arg;

	return c->fn(att_col_text(st, 0), att_col_text(st, 1), att_col_text(st, 2), c->arg);
}

enum att_rc att_store_term_each(struct att_store *s,
				int (*fn)(const char *term, const char *lang,
					  const char *category, void *arg),
				void *arg, struct att_err *err)
{
	struct term_each_ctx c = {fn, arg};
	STMT("SELECT term,lang,category FROM neutrality_terms ORDER BY category, lang, term");
	return each(s, st, term_row, &c, err, "reading neutrality terms");
}

/* --- watchlists ---------------------------------------------------------------- */

enum att_rc att_store_wl_replace(struct att_store *s, const struct att_wl_row *w,
				 int64_t *version, struct att_err *err)
{
	enum att_rc rc;
	int step;
	sqlite3_stmt *del = att_store_stmt(s, "DELETE FROM wl_entries WHERE list=?", err);
	sqlite3_stmt *gen = att_store_stmt(
		s, "UPDATE counters SET value=value+1 WHERE name='wl_generation'", err);
	STMT("INSERT INTO watchlists(name,format,version,entries,imported,sha256,imported_by) "
	     "VALUES(?1,?2,1,0,?3,?4,?5) ON CONFLICT(name) DO UPDATE SET format=?2,"
	     " version=version+1, entries=0, imported=?3, sha256=?4, imported_by=?5 "
	     "RETURNING version");
	if (!del || !gen)
		return ATT_EDB;
	att_bind_text(del, 1, w->name);
	rc = att_store_step_done(s, del, err, "replacing the list");
	if (rc)
		return rc;
	rc = att_store_step_done(s, gen, err, "replacing the list");
	if (rc)
		return rc;
	att_bind_text(st, 1, w->name);
	att_bind_text(st, 2, w->format);
	sqlite3_bind_int64(st, 3, w->imported);
	att_bind_text(st, 4, w->sha256);
	att_bind_text(st, 5, w->imported_by);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	while (step == SQLITE_ROW)
		step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? ATT_OK : att_store_dberr(s, err, "replacing the list");
}

enum att_rc att_store_wl_entry_insert(struct att_store *s, const char *list,
				      const char *entry_id, const char *kind,
				      const char *data_json, int64_t *id, struct att_err *err)
{
	STMT("INSERT INTO wl_entries(list,entry_id,kind,data) VALUES(?,?,?,?)");
	att_bind_text(st, 1, list);
	att_bind_text(st, 2, entry_id);
	att_bind_text(st, 3, kind);
	att_bind_text(st, 4, data_json);
	return insert_id(s, st, id, err, "storing a list entry");
}

enum att_rc att_store_wl_finish(struct att_store *s, const char *list, int64_t entries,
				struct att_err *err)
{
	STMT("UPDATE watchlists SET entries=? WHERE name=?");
	sqlite3_bind_int64(st, 1, entries);
	att_bind_text(st, 2, list);
	return att_store_step_done(s, st, err, "finishing the list");
}

struct wl_each_ctx {
	int (*fn)(const struct att_wl_row *w, void *arg);
	void *arg;
	struct att_wl_row row;
};

static int wl_row(sqlite3_stmt *st, void *arg)
{
	struct wl_each_ctx *c = arg;

	memset(&c->row, 0, sizeof(c->row));
	COPY(c->row.name, st, 0);
	COPY(c->row.format, st, 1);
	c->row.version = sqlite3_column_int64(st, 2);
	c->row.entries = sqlite3_column_int64(st, 3);
	c->row.imported = sqlite3_column_int64(st, 4);
	COPY(c->row.sha256, st, 5);
	COPY(c->row.imported_by, st, 6);
	return c->fn(&c->row, c->arg);
}

enum att_rc att_store_wl_each(struct att_store *s,
			      int (*fn)(const struct att_wl_row *w, void *arg), void *arg,
			      struct att_err *err)
{
	struct wl_each_ctx c;

	memset(&c, 0, sizeof(c));
	c.fn = fn;
	c.arg = arg;
	STMT("SELECT name,format,version,entries,imported,sha256,imported_by FROM watchlists "
	     "ORDER BY name");
	return each(s, st, wl_row, &c, err, "listing watchlists");
}

struct wle_each_ctx {
	int (*fn)(int64_t id, const char *list, const char *entry_id, const char *kind,
		  const char *data_json, void *arg);
	void *arg;
};

static int wle_row(sqlite3_stmt *st, void *arg)
{
	struct wle_each_ctx *c = arg;

	return c->fn(sqlite3_column_int64(st, 0), att_col_text(st, 1), att_col_text(st, 2),
		     att_col_text(st, 3), att_col_text(st, 4), c->arg);
}

enum att_rc att_store_wl_entry_each(struct att_store *s, const char *list, int64_t after,
				    int (*fn)(int64_t id, const char *list, const char *entry_id,
					      const char *kind, const char *data_json, void *arg),
				    void *arg, struct att_err *err)
{
	struct wle_each_ctx c = {fn, arg};
	STMT("SELECT id,list,entry_id,kind,data FROM wl_entries WHERE (?1 IS NULL OR list=?1) "
	     "AND id>?2 ORDER BY id");
	att_bind_text(st, 1, list);
	sqlite3_bind_int64(st, 2, after);
	return each(s, st, wle_row, &c, err, "reading list entries");
}

enum att_rc att_store_wl_entry_get(struct att_store *s, int64_t id, char *list,
				   char *entry_id, char **data_json, struct att_err *err)
{
	int rc;
	STMT("SELECT list,entry_id,data FROM wl_entries WHERE id=?");
	sqlite3_bind_int64(st, 1, id);
	*data_json = NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(list, 65, "%s", att_col_text(st, 0));
		snprintf(entry_id, 65, "%s", att_col_text(st, 1));
		*data_json = strdup(att_col_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return *data_json ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	return rc == SQLITE_DONE ? ATT_ENOTFOUND : att_store_dberr(s, err, "reading a list entry");
}

enum att_rc att_store_counter_get(struct att_store *s, const char *name, int64_t *value,
				  struct att_err *err)
{
	int rc;
	STMT("SELECT value FROM counters WHERE name=?");
	att_bind_text(st, 1, name);
	*value = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ATT_OK
						     : att_store_dberr(s, err, "reading a counter");
}

enum att_rc att_store_counter_bump(struct att_store *s, const char *name, struct att_err *err)
{
	STMT("INSERT INTO counters(name,value) VALUES(?,1) "
	     "ON CONFLICT(name) DO UPDATE SET value=value+1");
	att_bind_text(st, 1, name);
	return att_store_step_done(s, st, err, "updating a counter");
}

enum att_rc att_store_wl_generation(struct att_store *s, int64_t *gen, struct att_err *err)
{
	int rc;
	STMT("SELECT value FROM counters WHERE name='wl_generation'");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*gen = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ATT_OK : att_store_dberr(s, err, "reading list generation");
}

