/* The store: one SQLite file per node (WAL, synchronous=FULL, foreign keys),
 * numbered schema migrations applied at open, prepared statements only.
 * The store is the only code that speaks SQL; the functions for each area
 * (registry, audit, exchange, ...) are declared in src/lib/store_<area>.h. */
#ifndef ATTACHE_STORE_H
#define ATTACHE_STORE_H

#include "attache/common.h"

struct att_store;

/* Opens the database at path. With create, the file must not exist and is
 * made; without, it must exist. Applies pending migrations in one
 * transaction. On success *out owns the connection (one thread at a time). */
enum att_rc att_store_open(const char *path, bool create, struct att_store **out,
			   struct att_err *err) ATT_WUR;

/* Closes the connection (checkpointing the WAL). NULL is fine. */
void att_store_close(struct att_store *s);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE);
 * commit makes it durable (fsync with synchronous=FULL) or fails. Rollback is
 * always safe to call, also when no transaction is open. */
enum att_rc att_store_begin(struct att_store *s, struct att_err *err) ATT_WUR;
/* A read transaction: one consistent snapshot, no write lock. */
enum att_rc att_store_begin_read(struct att_store *s, struct att_err *err) ATT_WUR;
enum att_rc att_store_commit(struct att_store *s, struct att_err *err) ATT_WUR;
void att_store_rollback(struct att_store *s);
bool att_store_in_tx(const struct att_store *s);

/* A savepoint inside the open transaction (one level): work after it can be
 * undone alone with att_store_rollback_to; release ends it either way. */
enum att_rc att_store_savepoint(struct att_store *s, struct att_err *err) ATT_WUR;
void att_store_rollback_to(struct att_store *s);
enum att_rc att_store_release_savepoint(struct att_store *s, struct att_err *err) ATT_WUR;

/* The schema version of each component, as applied, "core=1 registry=1 ...". */
enum att_rc att_store_schema(struct att_store *s, char *out, size_t outlen,
			     struct att_err *err) ATT_WUR;

#endif
