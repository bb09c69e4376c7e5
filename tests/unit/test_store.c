/* Store: durability settings, migrations, transactions, refusal to clobber. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "testutil.h"
#include "store_core.h"
#include "store_int.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = att_test_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	att_test_rmdir(dir);
	free(dir);
	return 0;
}

static const char *pragma(struct att_store *s, const char *sql)
{
	static char buf[64];
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void test_open_settings(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	char schema[128];
	struct stat st;
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "a.db"), true, &s, &err), ATT_OK);
	assert_string_equal(pragma(s, "PRAGMA journal_mode"), "wal");
	assert_string_equal(pragma(s, "PRAGMA synchronous"), "2"); /* FULL */
	assert_string_equal(pragma(s, "PRAGMA foreign_keys"), "1");
	assert_int_equal(att_store_schema(s, schema, sizeof(schema), &err), ATT_OK);
	assert_non_null(strstr(schema, "core=1"));
	assert_non_null(strstr(schema, "registry=1"));
	att_store_close(s);
	assert_int_equal(stat(att_test_path(dir, "a.db"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_create_refuses_existing(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "b.db"), true, &s, &err), ATT_OK);
	att_store_close(s);
	assert_int_equal(att_store_open(att_test_path(dir, "b.db"), true, &s, &err), ATT_EEXIST);
	assert_null(s);
	assert_non_null(strstr(err.msg, "exists already"));
	att_err_clear(&err);
	assert_int_equal(att_store_open(att_test_path(dir, "none.db"), false, &s, &err),
			 ATT_ENOTFOUND);
}

static void test_migrations_idempotent(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "c.db"), true, &s, &err), ATT_OK);
	att_store_close(s);
	/* Reopening applies nothing twice. */
	assert_int_equal(att_store_open(att_test_path(dir, "c.db"), false, &s, &err), ATT_OK);
	assert_string_equal(pragma(s, "SELECT count(*) FROM schema_version WHERE version=1"),
			    pragma(s, "SELECT count(*) FROM schema_version"));
	/* A database from a newer program is refused. */
	assert_int_equal(sqlite3_exec(s->db, "UPDATE schema_version SET version=99 WHERE "
					     "component='registry'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	att_store_close(s);
	assert_int_equal(att_store_open(att_test_path(dir, "c.db"), false, &s, &err), ATT_EDB);
	assert_non_null(strstr(err.msg, "newer"));
}

static void test_transactions(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	char v[32];
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "d.db"), true, &s, &err), ATT_OK);
	assert_int_equal(att_store_begin(s, &err), ATT_OK);
	assert_int_equal(att_store_meta_set(s, "k", "rolled", &err), ATT_OK);
	att_store_rollback(s);
	assert_int_equal(att_store_meta_get(s, "k", v, sizeof(v), &err), ATT_ENOTFOUND);
	assert_int_equal(att_store_begin(s, &err), ATT_OK);
	assert_int_equal(att_store_begin(s, &err), ATT_EDB); /* no nesting */
	att_err_clear(&err);
	assert_int_equal(att_store_meta_set(s, "k", "kept", &err), ATT_OK);
	assert_int_equal(att_store_commit(s, &err), ATT_OK);
	att_store_close(s);
	assert_int_equal(att_store_open(att_test_path(dir, "d.db"), false, &s, &err), ATT_OK);
	assert_int_equal(att_store_meta_get(s, "k", v, sizeof(v), &err), ATT_OK);
	assert_string_equal(v, "kept");
	att_store_close(s);
}

static void test_bound_parameters(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	const char *evil = "x'); DROP TABLE users; --";
	char v[64];
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "e.db"), true, &s, &err), ATT_OK);
	assert_int_equal(att_store_begin(s, &err), ATT_OK);
	assert_int_equal(att_store_meta_set(s, evil, evil, &err), ATT_OK);
	assert_int_equal(att_store_commit(s, &err), ATT_OK);
	assert_int_equal(att_store_meta_get(s, evil, v, sizeof(v), &err), ATT_OK);
	assert_string_equal(v, evil);
	assert_string_equal(pragma(s, "SELECT count(*) FROM sqlite_master WHERE name='users'"), "1");
	att_store_close(s);
}

static void test_audit_append_only(void **state)
{
	struct att_store *s = NULL;
	struct att_err err = {0};
	unsigned char h[32] = {1};
	(void)state;

	assert_int_equal(att_store_open(att_test_path(dir, "f.db"), true, &s, &err), ATT_OK);
	assert_int_equal(att_store_begin(s, &err), ATT_OK);
	assert_int_equal(att_store_audit_insert(s, 0, "0\tx", 3, h, NULL, 0, &err), ATT_OK);
	assert_int_equal(att_store_commit(s, &err), ATT_OK);
	assert_int_not_equal(sqlite3_exec(s->db, "UPDATE audit_log SET data='y'", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s->db, "DELETE FROM audit_log", NULL, NULL, NULL),
			     SQLITE_OK);
	att_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_settings),
		cmocka_unit_test(test_create_refuses_existing),
		cmocka_unit_test(test_migrations_idempotent),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_bound_parameters),
		cmocka_unit_test(test_audit_append_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
