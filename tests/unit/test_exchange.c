/* Exchange and safeguards through the library: the neutrality screen's word
 * rules in three languages, the protected-persons check across scripts, the
 * mandate, handling codes, group commit with one refused message, and
 * content sealed at rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "testutil.h"
#include "attache/exchange.h"
#include "attache/registry.h"
#include "attache/users.h"
#include "holdings.h"
#include "node_int.h"
#include "policy.h"
#include "store_int.h"

static char *dir;
static char path[4200];
static struct att_node *node;
static int64_t case_id;

static int setup(void **state)
{
	static const struct att_user_spec users[] = {
		{"head", "Head", "head", NULL, NULL},
		{"mfa", "MFA", "mfa", NULL, NULL},
		{"pres", "President", "president", NULL, NULL},
		{"desk", "CT desk", "desk", "hq/terrorism", NULL},
		{"rep", "Rep", "rep", NULL, NULL},
		{"idle", "Rep without post", "rep", NULL, NULL},
		{"over", "Overseer", "overseer", NULL, NULL},
	};
	struct att_post_spec post = {"fr", "state", "FR", "Paris", NULL, "terrorism", 2};
	struct att_appt_spec appt = {"rep", "fr", "terrorism", NULL, NULL, NULL};
	struct att_case_spec cs = {"terrorism", "Threats", "Protect the mission", "Decree", NULL, NULL};
	struct att_err err = {0};
	int64_t id;
	(void)state;

	dir = att_test_tmpdir();
	snprintf(path, sizeof(path), "%s/x.db", dir);
	assert_int_equal(att_node_init(path, 5, &err), ATT_OK);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		assert_int_equal(att_user_add(node, NULL, &users[i], &err), ATT_OK);
	assert_int_equal(att_post_add(node, "head", &post, &err), ATT_OK);
	assert_int_equal(att_appt_propose(node, "head", &appt, &id, &err), ATT_OK);
	assert_int_equal(att_appt_agree(node, "mfa", id, NULL, &err), ATT_OK);
	assert_int_equal(att_appt_agree(node, "pres", id, NULL, &err), ATT_OK);
	assert_int_equal(att_appt_make(node, "head", id, &err), ATT_OK);
	assert_int_equal(att_case_open(node, "rep", &cs, &case_id, &err), ATT_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	att_node_close(node);
	att_test_rmdir(dir);
	free(dir);
	return 0;
}

/* Screens one text; returns the terms found, comma-separated. */
static const char *screen(const char *text)
{
	static char out[512];
	struct att_err err = {0};
	json_t *reasons = json_array(), *r;
	size_t i, used = 0;

	assert_int_equal(att_node_begin(node, &err), ATT_OK);
	assert_int_equal(att_policy_neutrality(node, text, "body", reasons, &err), ATT_OK);
	att_node_rollback(node);
	out[0] = '\0';
	json_array_foreach(reasons, i, r)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? "," : "",
					 json_string_value(json_object_get(r, "category")));
	json_decref(reasons);
	return out;
}

static void test_neutrality_words(void **state)
{
	(void)state;
	assert_string_equal(screen("The suspect bought explosives."), "");
	/* stems match word beginnings, in any case */
	assert_string_equal(screen("Members of the Opposition met."), "political");
	assert_string_equal(screen("Митинг оппозиции в Баку"), "political,protest");
	assert_string_equal(screen("Müxalifət fəalları toplaşdı"), "political,protest");
	/* a stem inside another word does not match */
	assert_string_equal(screen("He used a proxy to oppose... nothing"), "");
	assert_string_equal(screen("reprotesting"), "");
	/* a whole-word term does not match as a prefix */
	assert_string_equal(screen("The racecar left"), "");
	assert_string_equal(screen("race"), "ethnicity");
	assert_string_equal(screen("dinner at eight"), "");
}

static void test_neutrality_terms_are_data(void **state)
{
	struct att_err err = {0};
	(void)state;

	assert_string_equal(screen("the diaspora gathered"), "");
	assert_int_equal(att_neutrality_add(node, "desk", "diaspora*", "en", "emigration", &err),
			 ATT_EDENIED);
	att_err_clear(&err);
	assert_int_equal(att_neutrality_add(node, "over", "diaspora*", "en", "emigration", &err),
			 ATT_OK);
	assert_string_equal(screen("the diaspora gathered"), "emigration");
	assert_int_equal(att_neutrality_remove(node, "over", "diaspora*", &err), ATT_OK);
	assert_string_equal(screen("the diaspora gathered"), "");
}

static char *message(const char *person, const char *body)
{
	json_t *m = json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:[{s:s,s:s}]}", "case",
			      (json_int_t)case_id, "type", "information", "to", "hq/terrorism",
			      "field", "terrorism", "handling", "H0", "source", "B", "information",
			      2, "purpose", "Threat assessment", "subject", "A contact", "body", body,
			      "entities", "type", "person", "name", person);
	char *s = json_dumps(m, JSON_COMPACT);

	json_decref(m);
	return s;
}

static void test_protected_across_scripts(void **state)
{
	struct att_protect_spec p = {"Günel Səfərova", NULL, "journalist", NULL};
	const char *spellings[] = {"Gunel Safarova", "Гюнель Сафарова", "Safarova Gunel"};
	struct att_send_result res;
	struct att_err err = {0};
	int64_t id;
	(void)state;

	assert_int_equal(att_protect_add(node, "over", &p, &id, &err), ATT_OK);
	for (size_t i = 0; i < 3; i++) {
		char *m = message(spellings[i], "Seen near the mission.");

		assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
		if (!res.held)
			fail_msg("'%s' was not held", spellings[i]);
		assert_string_equal(json_string_value(json_object_get(
					    json_array_get(res.reasons, 0), "kind")),
				    "protected-person");
		att_send_result_release(&res);
		free(m);
	}
	{
		char *m = message("Gulnara Safarli", "Seen near the mission.");

		assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
		assert_false(res.held);
		att_send_result_release(&res);
		free(m);
	}
}

static void test_mandate(void **state)
{
	struct att_send_result res;
	struct att_err err = {0};
	char *m = message("Someone Else", "Seen.");
	(void)state;

	assert_int_equal(att_msg_send(node, "idle", m, strlen(m), &res, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "no active appointment"));
	att_err_clear(&err);
	assert_int_equal(att_msg_send(node, "over", m, strlen(m), &res, &err), ATT_EDENIED);
	free(m);
}

static void test_handling_rules(void **state)
{
	struct att_err err = {0};
	(void)state;

	assert_int_equal(att_policy_may_forward("H2", false, false, 7, "post/x", &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "H2"));
	assert_int_equal(att_policy_may_forward("H2", false, true, 7, "post/x", NULL), ATT_OK);
	assert_int_equal(att_policy_may_forward("H2", true, false, 7, "post/x", NULL), ATT_OK);
	assert_int_equal(att_policy_may_forward("H1", false, false, 7, "post/x", NULL), ATT_OK);
	assert_int_equal(att_policy_may_export("H1", false, false, 7, NULL), ATT_EDENIED);
	assert_int_equal(att_policy_may_export("H1", false, true, 7, NULL), ATT_OK);
	assert_true(att_handling_valid("H3"));
	assert_false(att_handling_valid("H4"));
	assert_false(att_handling_valid("h0"));
}

static void test_group_commit(void **state)
{
	struct att_case_spec cs = {"terrorism", "Other", "Another case", "Decree", NULL, NULL};
	int64_t first_case = case_id, other_case = 0;
	char *good1, *good2;

	good1 = message("Rashad Mammadli", "First.");
	/* the same person in another case, sent in the same batch */
	assert_int_equal(att_case_open(node, "rep", &cs, &other_case, NULL), ATT_OK);
	case_id = other_case;
	good2 = message("Rashad Mammadli", "Second.");
	case_id = first_case;
	const char *bad = "{\"case\":1,\"type\":\"information\"}";
	const char *actors[3] = {"rep", "rep", "rep"};
	const char *texts[3] = {good1, bad, good2};
	size_t lens[3] = {strlen(good1), strlen(bad), strlen(good2)};
	struct att_send_result res[3];
	enum att_rc rcs[3];
	struct att_err errs[3], err = {0};

	(void)state;
	memset(res, 0, sizeof(res));
	assert_int_equal(att_msg_send_many(node, actors, texts, lens, 3, res, rcs, errs, &err),
			 ATT_OK);
	assert_int_equal(rcs[0], ATT_OK);
	assert_int_equal(rcs[1], ATT_EINVAL);
	assert_int_equal(rcs[2], ATT_OK);
	assert_int_equal(res[1].id, 0);
	assert_int_equal(res[2].id, res[0].id + 1);
	/* the second message of the batch hits the first (another case) */
	assert_int_equal(res[2].hits, 1);
	assert_int_equal(res[0].hits, 0);
	for (int i = 0; i < 3; i++)
		att_send_result_release(&res[i]);
	free(good1);
	free(good2);
}

/* A message that fails half-stored (here: its entities refused by the
 * database) inside a batch: the batch is done again with a savepoint around
 * each message, so only that message is gone; the others are stored once,
 * indexed once, audited once. */
static void test_group_commit_torn(void **state)
{
	struct att_case_spec cs = {"terrorism", "Other", "A third case", "Decree", NULL, NULL};
	int64_t first_case = case_id, other_case = 0, seq = 0, audit_before = 0, n = 0;
	char *a = message("Vusal Garayev", "First."), *b = message("Elnur Hasanli", "Second.");
	char *c = message("Anar Mirzayev", "Third."), *d;
	const char *actors[3] = {"rep", "rep", "rep"};
	const char *texts[3] = {a, b, c};
	size_t lens[3] = {strlen(a), strlen(b), strlen(c)};
	struct att_send_result res[3], one;
	struct att_audit_report rep;
	enum att_rc rcs[3];
	struct att_err errs[3], err = {0};
	sqlite3_stmt *st;
	char sql[256];
	(void)state;

	assert_int_equal(sqlite3_prepare_v2(node->store->db,
					    "SELECT (SELECT seq FROM sqlite_sequence WHERE name='messages'),"
					    " (SELECT count(*) FROM audit_log)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	seq = sqlite3_column_int64(st, 0);
	audit_before = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TRIGGER refuse_b BEFORE INSERT ON main.entities WHEN NEW.msg_id=%lld "
		 "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
		 (long long)seq + 2);
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	memset(res, 0, sizeof(res));
	assert_int_equal(att_msg_send_many(node, actors, texts, lens, 3, res, rcs, errs, &err),
			 ATT_OK);
	assert_int_equal(sqlite3_exec(node->store->db, "DROP TRIGGER temp.refuse_b", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(rcs[0], ATT_OK);
	assert_int_equal(rcs[1], ATT_EDB);
	assert_non_null(strstr(errs[1].msg, "injected failure"));
	assert_int_equal(rcs[2], ATT_OK);
	assert_int_equal(res[0].id, seq + 1);
	assert_int_equal(res[1].id, 0);
	assert_int_equal(res[2].id, seq + 3);
	/* nothing of the second message; the others once each, audited once */
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM messages WHERE id>%lld),"
		 " (SELECT count(*) FROM entities WHERE msg_id>%lld),"
		 " (SELECT count(*) FROM recipients WHERE msg_id>%lld),"
		 " (SELECT count(*) FROM audit_log) - %lld",
		 (long long)seq, (long long)seq, (long long)seq, (long long)audit_before);
	assert_int_equal(sqlite3_prepare_v2(node->store->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 2);
	assert_int_equal(sqlite3_column_int64(st, 1), 2);
	assert_int_equal(sqlite3_column_int64(st, 2), 2);
	assert_int_equal(sqlite3_column_int64(st, 3), 2);
	sqlite3_finalize(st);
	for (int i = 0; i < 3; i++)
		att_send_result_release(&res[i]);
	/* the index holds the first message's person once, the second's not */
	assert_int_equal(att_case_open(node, "rep", &cs, &other_case, NULL), ATT_OK);
	case_id = other_case;
	d = message("Vusal Garayev", "Again.");
	assert_int_equal(att_msg_send(node, "rep", d, strlen(d), &one, &err), ATT_OK);
	n = (int64_t)one.hits;
	att_send_result_release(&one);
	free(d);
	assert_int_equal(n, 1);
	d = message("Elnur Hasanli", "Again.");
	assert_int_equal(att_msg_send(node, "rep", d, strlen(d), &one, &err), ATT_OK);
	assert_int_equal(one.hits, 0);
	att_send_result_release(&one);
	free(d);
	case_id = first_case;
	assert_int_equal(att_audit_verify(node, &rep, &err), ATT_OK);
	assert_true(rep.ok);
	free(a);
	free(b);
	free(c);
}

static void test_sealed_at_rest(void **state)
{
	char *m = message("Tural Nasibli", "The courier carries zebra-striped suitcases.");
	struct att_send_result res;
	struct att_err err = {0};
	sqlite3_stmt *st;
	int found = 0;
	(void)state;

	assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
	free(m);
	assert_int_equal(sqlite3_prepare_v2(node->store->db,
					    "SELECT count(*) FROM messages WHERE instr(content,"
					    " CAST('zebra' AS BLOB)) > 0 UNION ALL SELECT count(*) FROM "
					    "entities WHERE instr(value, CAST('Nasibli' AS BLOB)) > 0",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		found += sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(found, 0);
	/* a changed byte of the sealed content is detected, not shown */
	{
		json_t *j = NULL;
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "UPDATE messages SET content = zeroblob(length(content)) WHERE id=%lld",
			 (long long)res.id);
		assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(att_msg_show(node, "rep", res.id, (void **)&j, &err), ATT_ECRYPTO);
		assert_null(j);
	}
}

/* The inbox page cache never shows a stale page. */
static void test_inbox_cache(void **state)
{
	struct att_send_result res;
	struct att_err err = {0};
	json_t *a = NULL, *b = NULL, *c = NULL;
	char *m = message("Kamran Rzayev", "Fresh news.");
	(void)state;

	assert_int_equal(att_inbox(node, "desk", 0, 10, (void **)&a, &err), ATT_OK);
	assert_int_equal(att_inbox(node, "desk", 0, 10, (void **)&b, &err), ATT_OK);
	/* the second read is served from the cache: the very same items */
	assert_ptr_equal(json_object_get(a, "items"), json_object_get(b, "items"));
	assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
	free(m);
	assert_int_equal(att_inbox(node, "desk", 0, 10, (void **)&c, &err), ATT_OK);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(c, "items"), 0), "id")),
			 res.id);
	json_decref(c);
	/* a change of state is shown too */
	assert_int_equal(att_msg_ack(node, "desk", res.id, &err), ATT_OK);
	assert_int_equal(att_inbox(node, "desk", 0, 10, (void **)&c, &err), ATT_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(c, "items"), 0), "my_state")),
			    "acknowledged");
	/* and another reader never gets this reader's page */
	json_decref(a);
	assert_int_equal(att_inbox(node, "rep", 0, 10, (void **)&a, &err), ATT_OK);
	assert_ptr_not_equal(json_object_get(a, "items"), json_object_get(c, "items"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	att_send_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neutrality_words),
		cmocka_unit_test(test_neutrality_terms_are_data),
		cmocka_unit_test(test_protected_across_scripts),
		cmocka_unit_test(test_mandate),
		cmocka_unit_test(test_handling_rules),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_group_commit_torn),
		cmocka_unit_test(test_inbox_cache),
		cmocka_unit_test(test_sealed_at_rest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
