/* Registry service: the decree's procedure and limits through the library,
 * with the audit log and the store checked after each refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"
#include "attache/registry.h"
#include "attache/users.h"
#include "node_int.h"
#include "store_core.h"

static char *dir;
static struct att_node *node;

static int setup(void **state)
{
	static const struct att_user_spec users[] = {
		{"head", "Head", "head", NULL, NULL},    {"mfa", "MFA", "mfa", NULL, NULL},
		{"pres", "President", "president", NULL, NULL},
		{"r1", "Rep One", "rep", NULL, NULL},    {"r2", "Rep Two", "rep", NULL, NULL},
		{"r3", "Rep Three", "rep", NULL, NULL},
		{"fin", "Finance", "finance", NULL, NULL},
	};
	struct att_post_spec p1 = {"p1", "state", "FR", "Paris", NULL, "terrorism", 1};
	struct att_post_spec p2 = {"p2", "org", "Europol", "The Hague", NULL,
				   "cybercrime,organized-crime", 5};
	struct att_err err = {0};
	char path[4200];
	(void)state;

	dir = att_test_tmpdir();
	snprintf(path, sizeof(path), "%s/r.db", dir);
	assert_int_equal(att_node_init(path, 2, &err), ATT_OK);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		assert_int_equal(att_user_add(node, NULL, &users[i], &err), ATT_OK);
	assert_int_equal(att_post_add(node, "head", &p1, &err), ATT_OK);
	assert_int_equal(att_post_add(node, NULL, &p2, &err), ATT_OK);
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

static uint64_t audit_size(void)
{
	uint64_t n = 0;
	assert_int_equal(att_store_audit_count(node->store, &n, NULL), ATT_OK);
	return n;
}

static int64_t walk(const char *person, const char *post, const char *field)
{
	struct att_appt_spec s = {person, post, field, NULL, NULL, NULL};
	struct att_err err = {0};
	int64_t id = 0;

	assert_int_equal(att_appt_propose(node, "head", &s, &id, &err), ATT_OK);
	assert_int_equal(att_appt_agree(node, "mfa", id, NULL, &err), ATT_OK);
	assert_int_equal(att_appt_agree(node, "pres", id, NULL, &err), ATT_OK);
	return id;
}

static void test_procedure_and_limits(void **state)
{
	struct att_err err = {0};
	json_t *j = NULL;
	char post[65], field[65];
	uint64_t before;
	int64_t a, b, c;
	(void)state;

	a = walk("r1", "p1", "terrorism");
	assert_int_equal(att_appt_active_for(node, "r1", post, field, &err), ATT_ENOTFOUND);
	assert_int_equal(att_appt_make(node, "head", a, &err), ATT_OK);
	assert_int_equal(att_appt_active_for(node, "r1", post, field, &err), ATT_OK);
	assert_string_equal(post, "p1");
	assert_string_equal(field, "terrorism");

	/* Post limit (1 at p1): refused with the limit and count, nothing written. */
	b = walk("r2", "p1", "terrorism");
	before = audit_size();
	assert_int_equal(att_appt_make(node, "head", b, &err), ATT_ELIMIT);
	assert_string_equal(err.msg, "post p1 is at its approved staffing number: 1 of 1 active "
				     "appointments");
	assert_int_equal(audit_size(), before);
	assert_int_equal(att_appt_show(node, NULL, b, (void **)&j, &err), ATT_OK);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "president-agreed");
	json_decref(j);

	/* Service limit (2). */
	att_err_clear(&err);
	c = walk("r3", "p2", "cybercrime");
	assert_int_equal(att_appt_make(node, "head", c, &err), ATT_OK);
	att_err_clear(&err);
	assert_int_equal(att_post_set_staffing(node, "head", "p1", 2, &err), ATT_OK);
	assert_int_equal(att_appt_make(node, "head", b, &err), ATT_ELIMIT);
	assert_string_equal(err.msg, "the service-wide approved staffing level is reached: 2 of 2 "
				     "active appointments");
	att_err_clear(&err);
	assert_int_equal(att_staffing_set(node, "head", 1, &err), ATT_ELIMIT);
	att_err_clear(&err);
	assert_int_equal(att_staffing_set(node, "fin", 9, &err), ATT_EDENIED);
	att_err_clear(&err);
	assert_int_equal(att_staffing_set(node, "head", 3, &err), ATT_OK);
	assert_int_equal(att_appt_make(node, "head", b, &err), ATT_OK);

	/* Ending frees the slot and ends access. */
	assert_int_equal(att_appt_end(node, "head", a, "Recall", &err), ATT_OK);
	assert_int_equal(att_appt_active_for(node, "r1", post, field, &err), ATT_ENOTFOUND);
	assert_int_equal(att_staffing_get(node, "fin", (void **)&j, &err), ATT_OK);
	assert_int_equal(json_integer_value(json_object_get(j, "used")), 2);
	json_decref(j);
}

static void test_roles_and_validation(void **state)
{
	struct att_appt_spec s = {"r1", "p2", "organized-crime", "2026-13-01", NULL, NULL};
	struct att_err err = {0};
	uint64_t before = audit_size();
	int64_t id = 0;
	(void)state;

	assert_int_equal(att_appt_propose(node, "head", &s, &id, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "not a valid date"));
	s.start = NULL;
	att_err_clear(&err);
	assert_int_equal(att_appt_propose(node, "mfa", &s, &id, &err), ATT_EDENIED);
	att_err_clear(&err);
	assert_int_equal(att_appt_propose(node, NULL, &s, &id, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "node operator"));
	att_err_clear(&err);
	s.field = "terrorism";
	assert_int_equal(att_appt_propose(node, "head", &s, &id, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "is not one of post p2's fields"));
	assert_int_equal(audit_size(), before);
	assert_int_equal(id, 0);
}

/* The newest audit entry's action, actor and object (then the listing's
 * own entry is the newest). */
static void expect_last(const char *action, const char *actor, const char *object)
{
	struct att_err err = {0};
	json_t *arr = NULL, *e;

	assert_int_equal(att_audit_list(node, NULL, 0, 1, (void **)&arr, &err), ATT_OK);
	e = json_array_get(arr, 0);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "action")), action);
	assert_string_equal(json_string_value(json_object_get(e, "actor")), actor);
	assert_string_equal(json_string_value(json_object_get(e, "object")), object);
	json_decref(arr);
}

/* Every read of the registry is audited: who read what, in one entry;
 * a refused read (role or input) leaves none. */
static void test_reads_audited(void **state)
{
	struct att_err err = {0};
	json_t *j = NULL;
	uint64_t before;
	int64_t id;
	(void)state;

	id = walk("r1", "p2", "organized-crime");
	assert_int_equal(att_post_list(node, "r1", (void **)&j, &err), ATT_OK);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
	expect_last("post.list", "r1", "posts");
	assert_int_equal(att_post_show(node, "fin", "p2", (void **)&j, &err), ATT_OK);
	assert_true(json_array_size(json_object_get(j, "appointments")) >= 1);
	json_decref(j);
	expect_last("post.read", "fin", "post/p2");
	assert_int_equal(att_appt_list(node, "mfa", "p2", NULL, (void **)&j, &err), ATT_OK);
	json_decref(j);
	expect_last("appointment.list", "mfa", "post/p2");
	assert_int_equal(att_appt_list(node, "head", NULL, "president-agreed", (void **)&j, &err),
			 ATT_OK);
	json_decref(j);
	expect_last("appointment.list", "head", "appointments");
	assert_int_equal(att_appt_show(node, "pres", id, (void **)&j, &err), ATT_OK);
	json_decref(j);
	{
		char obj[48];

		snprintf(obj, sizeof(obj), "appointment/%lld", (long long)id);
		expect_last("appointment.read", "pres", obj);
	}
	assert_int_equal(att_staffing_get(node, "r2", (void **)&j, &err), ATT_OK);
	json_decref(j);
	expect_last("staffing.read", "r2", "staffing");
	assert_int_equal(att_user_list(node, "head", (void **)&j, &err), ATT_OK);
	json_decref(j);
	expect_last("user.list", "head", "users");

	/* refused: nothing is recorded, nothing handed out */
	before = audit_size();
	j = NULL;
	assert_int_equal(att_user_list(node, "r1", (void **)&j, &err), ATT_EDENIED);
	assert_null(j);
	att_err_clear(&err);
	assert_int_equal(att_post_show(node, "r1", "nowhere", (void **)&j, &err), ATT_ENOTFOUND);
	assert_null(j);
	assert_non_null(strstr(err.msg, "no such post"));
	att_err_clear(&err);
	assert_int_equal(att_post_show(node, "r1", "../etc", (void **)&j, &err), ATT_EINVAL);
	att_err_clear(&err);
	assert_int_equal(att_appt_list(node, "r1", NULL, "bogus", (void **)&j, &err), ATT_EINVAL);
	att_err_clear(&err);
	assert_int_equal(att_appt_show(node, "r1", 999999, (void **)&j, &err), ATT_ENOTFOUND);
	assert_null(j);
	att_err_clear(&err);
	/* who may not read learns nothing of the input rules */
	assert_int_equal(att_appt_list(node, "nobody", NULL, "bogus", (void **)&j, &err),
			 ATT_EDENIED);
	att_err_clear(&err);
	assert_int_equal(att_post_show(node, "nobody", "../etc", (void **)&j, &err), ATT_EDENIED);
	assert_null(j);
	assert_int_equal(audit_size(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procedure_and_limits),
		cmocka_unit_test(test_roles_and_validation),
		cmocka_unit_test(test_reads_audited),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
