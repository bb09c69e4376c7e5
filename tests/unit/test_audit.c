/* Audit log: RFC 6962 known answers, signed heads, and detection of every
 * kind of tampering with the database file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "testutil.h"
#include "node_int.h"
#include "store_int.h"
#include "util.h"

static char *dir;
static int counter;

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

/* RFC 6962 test vectors (certificate-transparency's merkle tests). */
static void test_rfc6962_roots(void **state)
{
	static const char *const leaves_hex[] = {"", "00", "10", "2021", "3031", "40414243",
						 "5051525354555657",
						 "606162636465666768696a6b6c6d6e6f"};
	static const char *const roots[] = {
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	unsigned char bufs[8][16], root[32];
	const void *data[8];
	size_t lens[8];
	char hex[65];
	(void)state;

	for (size_t i = 0; i < 8; i++) {
		lens[i] = strlen(leaves_hex[i]) / 2;
		assert_true(att_unhex(leaves_hex[i], bufs[i], lens[i]));
		data[i] = bufs[i];
	}
	for (size_t n = 1; n <= 8; n++) {
		att_audit_mth(data, lens, n, root);
		att_hex(root, 32, hex);
		assert_string_equal(hex, roots[n - 1]);
	}
	att_audit_mth(NULL, NULL, 0, root);
	att_hex(root, 32, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* A node with n entries written in transactions of `batch`. */
static const char *make_node(size_t n, size_t batch)
{
	static char path[4096];
	struct att_node *node = NULL;
	struct att_err err = {0};

	snprintf(path, sizeof(path), "%s/n%d.db", dir, counter++);
	assert_int_equal(att_node_init(path, 5, &err), ATT_OK);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	for (size_t i = 0; i < n;) {
		assert_int_equal(att_node_begin(node, &err), ATT_OK);
		for (size_t k = 0; k < batch && i < n; k++, i++) {
			char obj[32];

			snprintf(obj, sizeof(obj), "thing/%zu", i);
			assert_int_equal(att_audit_append(node, NULL, "test.write", obj,
							  "{\"tab\":\"a\\tb\"}", &err),
					 ATT_OK);
		}
		assert_int_equal(att_node_commit(node, &err), ATT_OK);
	}
	att_node_close(node);
	return path;
}

static enum att_rc verify(const char *path, struct att_audit_report *rep, struct att_err *err)
{
	struct att_node *node = NULL;
	enum att_rc rc;

	att_err_clear(err);
	assert_int_equal(att_node_open(path, &node, err), ATT_OK);
	rc = att_audit_verify(node, rep, err);
	att_node_close(node);
	return rc;
}

/* Runs SQL on the file directly, as an attacker with the file would. */
static void tamper(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db,
			 "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
			 "DROP TRIGGER audit_heads_no_update; DROP TRIGGER audit_heads_no_delete;",
			 NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s", msg);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static void test_verify_intact(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p;
	(void)state;

	for (size_t batch = 1; batch <= 7; batch += 3) {
		p = make_node(37, batch);
		assert_int_equal(verify(p, &rep, &err), ATT_OK);
		assert_true(rep.ok);
		assert_int_equal(rep.entries, 38); /* + node.init */
		assert_int_equal(rep.heads, 1 + (37 + batch - 1) / batch);
	}
}

static void test_leaf_altered(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	(void)state;

	tamper(p, "UPDATE audit_log SET data=CAST(replace(CAST(data AS TEXT),'thing/7','thing/8') AS BLOB) WHERE idx=8");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_entry, 8);
	assert_string_equal(err.msg,
			    "audit entry 8 was altered (its content does not match its leaf hash)");
}

static void test_leaf_and_hash_rewritten(void **state)
{
	/* An attacker who rewrites data and its leaf hash is caught by the
	 * interior nodes or the signed head. */
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	unsigned char leaf[32];
	const char *data = "5\t1\tsystem\tsystem\ttest.write\tthing/X\t{}";
	char sql[512], hex[65];
	(void)state;

	{
		unsigned char zero = 0;
		att_sha256(leaf, &zero, 1, data, strlen(data), NULL, 0);
	}
	att_hex(leaf, 32, hex);
	snprintf(sql, sizeof(sql), "UPDATE audit_log SET data=CAST('%s' AS BLOB), leaf=x'%s' "
				   "WHERE idx=5", "5\t1\tsystem\tsystem\ttest.write\tthing/X\t{}", hex);
	/* Tabs inside SQL string literal are fine. */
	tamper(p, sql);
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_true(rep.bad_entry >= 5);
	assert_false(rep.ok);
}

static void test_node_altered(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	(void)state;

	/* idx 7 completes levels 1..3. */
	tamper(p, "UPDATE audit_log SET nodes=zeroblob(96) WHERE idx=7");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_entry, 7);
	assert_string_equal(err.msg, "audit entry 7: a stored tree node was altered");
}

static void test_head_altered(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	(void)state;

	tamper(p, "UPDATE audit_heads SET sig=zeroblob(64) WHERE size=9");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_head, 9);
	assert_non_null(strstr(err.msg, "signature of the tree head at size 9"));

	p = make_node(20, 4);
	tamper(p, "UPDATE audit_heads SET root=zeroblob(32) WHERE size=13");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_head, 13);

	p = make_node(20, 4);
	tamper(p, "UPDATE audit_heads SET ts=ts+1 WHERE size=5");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_head, 5);
}

static void test_reordered(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	(void)state;

	tamper(p, "UPDATE audit_log SET idx=1000 WHERE idx=3;"
		  "UPDATE audit_log SET idx=3 WHERE idx=4;"
		  "UPDATE audit_log SET idx=4 WHERE idx=1000;");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_entry, 3);
	assert_non_null(strstr(err.msg, "out of order"));
}

static void test_removed(void **state)
{
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(20, 4);
	(void)state;

	tamper(p, "DELETE FROM audit_log WHERE idx=11");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_entry, 11);
	assert_non_null(strstr(err.msg, "audit entry 11 is missing"));

	p = make_node(20, 4);
	tamper(p, "DELETE FROM audit_log WHERE idx=20");
	assert_int_equal(verify(p, &rep, &err), ATT_ETAMPER);
	assert_int_equal(rep.bad_entry, 20);
	assert_non_null(strstr(err.msg, "missing"));
}

static void test_wrong_key(void **state)
{
	struct att_node *node = NULL;
	struct att_err err = {0};
	char p[4200], other[4200], kp[4300];
	(void)state;

	snprintf(p, sizeof(p), "%s", make_node(3, 1));

	/* The key file of another node does not open this database. */
	snprintf(other, sizeof(other), "%s", make_node(1, 1));
	snprintf(kp, sizeof(kp), "%s.key", p);
	{
		char cmd[9000];
		snprintf(cmd, sizeof(cmd), "cp '%s.key' '%s'", other, kp);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(att_node_open(p, &node, &err), ATT_ECRYPTO);
	assert_non_null(strstr(err.msg, "does not belong"));
	/* A key file readable by others is refused. */
	chmod(kp, 0644);
	att_err_clear(&err);
	assert_int_equal(att_node_open(other, &node, &err), ATT_OK);
	att_node_close(node);
	{
		char okp[4300];
		snprintf(okp, sizeof(okp), "%s.key", other);
		chmod(okp, 0640);
		att_err_clear(&err);
		assert_int_equal(att_node_open(other, &node, &err), ATT_ECRYPTO);
		assert_non_null(strstr(err.msg, "0600"));
	}
}

static void test_rollback_restores_frontier(void **state)
{
	struct att_node *node = NULL;
	struct att_audit_report rep;
	struct att_err err = {0};
	const char *p = make_node(5, 1);
	(void)state;

	assert_int_equal(att_node_open(p, &node, &err), ATT_OK);
	assert_int_equal(att_node_begin(node, &err), ATT_OK);
	assert_int_equal(att_audit_append(node, NULL, "x", "y", NULL, &err), ATT_OK);
	att_node_rollback(node);
	assert_int_equal(att_node_begin(node, &err), ATT_OK);
	assert_int_equal(att_audit_append(node, NULL, "x", "z", NULL, &err), ATT_OK);
	assert_int_equal(att_node_commit(node, &err), ATT_OK);
	/* Two connections to one file: appends from both stay one valid log. */
	{
		struct att_node *b = NULL;

		assert_int_equal(att_node_open(p, &b, &err), ATT_OK);
		assert_int_equal(att_node_begin(b, &err), ATT_OK);
		assert_int_equal(att_audit_append(b, NULL, "x", "from-b", NULL, &err), ATT_OK);
		assert_int_equal(att_node_commit(b, &err), ATT_OK);
		att_node_close(b);
	}
	assert_int_equal(att_node_begin(node, &err), ATT_OK);
	assert_int_equal(att_audit_append(node, NULL, "x", "from-a", NULL, &err), ATT_OK);
	assert_int_equal(att_node_commit(node, &err), ATT_OK);
	assert_int_equal(att_audit_verify(node, &rep, &err), ATT_OK);
	assert_int_equal(rep.entries, 9);
	att_node_close(node);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6962_roots),
		cmocka_unit_test(test_verify_intact),
		cmocka_unit_test(test_leaf_altered),
		cmocka_unit_test(test_leaf_and_hash_rewritten),
		cmocka_unit_test(test_node_altered),
		cmocka_unit_test(test_head_altered),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_rollback_restores_frontier),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
