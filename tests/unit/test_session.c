/* API tokens through the library: a token verified once (and kept by the
 * node's cache of verified tokens) stops working at once when it is revoked,
 * when its user is changed by another connection, and when it expires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "attache/node.h"
#include "attache/session.h"
#include "attache/users.h"

static char *dir;
static char path[4200];
static struct att_node *node, *clone;

static int setup(void **state)
{
	static const struct att_user_spec users[] = {
		{"admin", "Administrator", "admin", NULL, NULL},
		{"partner-a", "Partner A", "partner", "partner/a", NULL},
		{"partner-b", "Partner B", "partner", "partner/b", NULL},
	};
	struct att_err err = {0};
	(void)state;

	dir = att_test_tmpdir();
	snprintf(path, sizeof(path), "%s/s.db", dir);
	assert_int_equal(att_node_init(path, 5, &err), ATT_OK);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		assert_int_equal(att_user_add(node, NULL, &users[i], &err), ATT_OK);
	assert_int_equal(att_node_clone(node, &clone, &err), ATT_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	att_node_close(clone);
	att_node_close(node);
	att_test_rmdir(dir);
	free(dir);
	return 0;
}

static enum att_rc check(struct att_node *n, const char *secret, struct att_principal *who,
			 struct att_err *err)
{
	memset(err, 0, sizeof(*err));
	return att_token_check(n, secret, who, err);
}

/* A new token for user, checked once (so kept by clone's cache). */
static void token_for(const char *user, int64_t ttl, char secret[ATT_TOKEN_LEN], int64_t *id)
{
	struct att_principal who;
	struct att_err err = {0};

	assert_int_equal(att_token_create(node, "admin", user, "feed", ttl, secret, id, &err),
			 ATT_OK);
	assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
	assert_string_equal(who.user, user);
}

/* Runs sql on a connection of its own, as another process would. */
static void other_process(const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_revoked_at_once(void **state)
{
	char secret[ATT_TOKEN_LEN];
	struct att_principal who;
	struct att_err err = {0};
	int64_t id = 0;
	(void)state;

	token_for("partner-a", 0, secret, &id);
	/* Verified on both nodes, twice: the second time from the cache. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
		assert_string_equal(who.user, "partner-a");
		assert_string_equal(who.role, "partner");
		assert_string_equal(who.unit, "partner/a");
		assert_true(who.is_token);
		assert_int_equal(check(node, secret, &who, &err), ATT_OK);
	}
	/* Revoked on one node: refused on the other at once. */
	assert_int_equal(att_token_revoke(node, "admin", id, &err), ATT_OK);
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "revoked"));
	assert_string_equal(who.user, "");
	assert_int_equal(check(node, secret, &who, &err), ATT_EDENIED);
	/* A token that never existed, and a malformed one. */
	secret[10] = secret[10] == 'a' ? 'b' : 'a';
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
	assert_int_equal(check(clone, "att_nope", &who, &err), ATT_EDENIED);
}

static void test_other_process_changes(void **state)
{
	char secret[ATT_TOKEN_LEN];
	struct att_principal who;
	struct att_err err = {0};
	int64_t id = 0;
	(void)state;

	token_for("partner-b", 0, secret, &id);
	assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
	/* The user disabled by another connection: refused at once. */
	other_process("UPDATE users SET disabled=1 WHERE id='partner-b'");
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "disabled"));
	other_process("UPDATE users SET disabled=0 WHERE id='partner-b'");
	assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
	/* Revoked by another connection, behind the library's back. */
	other_process("UPDATE api_tokens SET revoked=1");
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "revoked"));
	/* Deleted outright. */
	other_process("UPDATE api_tokens SET revoked=0");
	assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
	other_process("DELETE FROM api_tokens");
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
}

static void test_expired_at_once(void **state)
{
	char secret[ATT_TOKEN_LEN];
	struct att_principal who;
	struct att_err err = {0};
	int64_t id = 0;
	(void)state;

	/* expiry is in whole seconds: a token of 1 s, checked at once, could
	 * already have expired when its second ended in between (a flake under
	 * load); 2 s leaves at least one */
	token_for("partner-a", 2, secret, &id);
	assert_int_equal(check(clone, secret, &who, &err), ATT_OK);
	assert_true(who.expires > 0);
	sleep(3);
	assert_int_equal(check(clone, secret, &who, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "expired"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoked_at_once),
		cmocka_unit_test(test_other_process_changes),
		cmocka_unit_test(test_expired_at_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
