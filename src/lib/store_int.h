/* Private part of the store: statement cache, migrations by component and
 * small helpers shared by the store_<area>.c files. Only store*.c include
 * this. */
#ifndef ATT_STORE_INT_H
#define ATT_STORE_INT_H

#include <sqlite3.h>

#include "attache/store.h"

/* A numbered schema step. Versions start at 1 and increase by one. */
struct att_migration {
	int version;
	const char *sql;
};

/* The schema of one area of the store, migrated independently. */
struct att_schema_component {
	const char *name;
	const struct att_migration *steps;
	size_t nsteps;
};

#define ATT_STMT_CACHE 256

struct att_store {
	sqlite3 *db;
	bool in_tx;
	bool inbox_dirty; /* a message or recipient was inserted in this tx */
	struct {
		const char *sql; /* identity of a static SQL string */
		sqlite3_stmt *stmt;
	} cache[ATT_STMT_CACHE];
};

/* Returns the prepared statement for a static SQL string (cached by address,
 * reset and with bindings cleared), or NULL with err set. */
sqlite3_stmt *att_store_stmt(struct att_store *s, const char *sql, struct att_err *err);

/* Reports an SQLite failure as ATT_EDB (ATT_EEXIST for a uniqueness
 * violation) with the context in the message. */
enum att_rc att_store_dberr(struct att_store *s, struct att_err *err, const char *ctx);

/* Binds text or NULL. */
int att_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Binds text or NULL without copying it: v must stay as it is until the
 * statement has been stepped and reset (the statement cache clears the
 * binding before the statement's next use). */
int att_bind_text_ref(sqlite3_stmt *st, int i, const char *v);

/* Column text as a const char* ("" for NULL). */
const char *att_col_text(sqlite3_stmt *st, int i);

/* Runs a statement expected to finish with SQLITE_DONE. */
enum att_rc att_store_step_done(struct att_store *s, sqlite3_stmt *st,
				struct att_err *err, const char *ctx);

/* Bumps the inbox generation (exchange area); att_store_commit calls it
 * when the transaction inserted messages or recipients. */
enum att_rc att_store_inbox_bump(struct att_store *s, struct att_err *err);

extern const struct att_schema_component att_schema_core;
extern const struct att_schema_component att_schema_registry;
extern const struct att_schema_component att_schema_exchange;
extern const struct att_schema_component att_schema_session;

#endif
