/* Authorization: the role table and the object rules, exhaustively. */
#include <string.h>

#include "testutil.h"
#include "attache/authz.h"

static struct att_actor actor(enum att_role r, const char *id)
{
	struct att_actor a;

	memset(&a, 0, sizeof(a));
	a.role = r;
	strncpy(a.id, id, sizeof(a.id) - 1);
	return a;
}

static void test_role_names(void **state)
{
	(void)state;
	for (int r = ATT_ROLE_HEAD; r <= ATT_ROLE_ADMIN; r++)
		assert_int_equal(att_role_parse(att_role_name((enum att_role)r)), r);
	assert_int_equal(att_role_parse("local"), ATT_ROLE_NONE);
	assert_int_equal(att_role_parse("HEAD"), ATT_ROLE_NONE);
	assert_int_equal(att_role_parse(""), ATT_ROLE_NONE);
	assert_int_equal(att_role_parse(NULL), ATT_ROLE_NONE);
}

/* The expected matrix: for each action, the roles allowed (in role order
 * head mfa president desk rep partner overseer finance admin local). */
static const struct {
	enum att_action act;
	const char *allowed; /* 10 chars, 'y' or '.' */
} matrix[] = {
	{ATT_ACT_USER_ADD, "........yy"},      {ATT_ACT_USER_LIST, "y.....y.yy"},
	{ATT_ACT_POST_ADD, "y........y"},      {ATT_ACT_POST_READ, "yyyyy.yyyy"},
	{ATT_ACT_POST_STAFFING, "y........."}, {ATT_ACT_STAFFING_SET, "y........."},
	{ATT_ACT_STAFFING_READ, "yyyyy.yyyy"}, {ATT_ACT_APPT_PROPOSE, "y........."},
	{ATT_ACT_APPT_AGREE, ".yy......."},    {ATT_ACT_APPT_REFUSE, ".yy......."},
	{ATT_ACT_APPT_MAKE, "y........."},     {ATT_ACT_APPT_END, "y........."},
	{ATT_ACT_APPT_READ, "yyyyy.yyyy"},     {ATT_ACT_AUDIT_READ, "......y.yy"},
	{ATT_ACT_AUDIT_VERIFY, "......y.yy"},
	{ATT_ACT_CASE_OPEN, "...yyy...."},    {ATT_ACT_CASE_READ, "...yyyy..."},
	{ATT_ACT_CASE_GRANT, "...yyy...."},   {ATT_ACT_MSG_SEND, "...yyy...."},
	{ATT_ACT_MSG_READ, "...yyyy..."},     {ATT_ACT_MSG_ACK, "...yyy...."},
	{ATT_ACT_MSG_FORWARD, "...yyy...."},  {ATT_ACT_MSG_PERMIT, "...yyy...."},
	{ATT_ACT_MSG_EXPORT, "...yyy...."},   {ATT_ACT_HITS_READ, "...yyyy..."},
	{ATT_ACT_OVERDUE_READ, "y..yyyy..."}, {ATT_ACT_SCREEN, "...yy.y..y"},
	{ATT_ACT_PROTECT_ADD, "......y..."},  {ATT_ACT_PROTECT_READ, "......y..."},
	{ATT_ACT_REVIEW_READ, "......y..."},  {ATT_ACT_REVIEW_DECIDE, "......y..."},
	{ATT_ACT_NEUTRALITY_READ, "......y..y"}, {ATT_ACT_NEUTRALITY_EDIT, "......y..."},
	{ATT_ACT_WATCHLIST_IMPORT, "...y....yy"}, {ATT_ACT_WATCHLIST_READ, "yyyyy.yyyy"},
	{ATT_ACT_TOKEN_CREATE, "........yy"}, {ATT_ACT_TOKEN_REVOKE, "........yy"},
};

static void test_matrix(void **state)
{
	(void)state;
	assert_int_equal(sizeof(matrix) / sizeof(matrix[0]), ATT_ACT__COUNT);
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		for (int r = ATT_ROLE_HEAD; r <= ATT_ROLE_LOCAL; r++) {
			struct att_actor a = actor((enum att_role)r, "someone");
			struct att_err err = {0};
			enum att_rc want = matrix[i].allowed[r - 1] == 'y' ? ATT_OK : ATT_EDENIED;

			if (att_authz(&a, matrix[i].act, NULL, &err) != want)
				fail_msg("action %s role %s: expected %s", att_action_name(matrix[i].act),
					 att_role_name((enum att_role)r), att_rc_name(want));
			if (want == ATT_EDENIED)
				assert_non_null(strstr(err.msg, "denied"));
		}
	}
}

static void test_no_self_approval(void **state)
{
	struct att_actor mfa = actor(ATT_ROLE_MFA, "mfa1");
	struct att_authz_ctx ctx = {"proposed", "mfa1", "rep1"};
	struct att_err err = {0};
	(void)state;

	assert_int_equal(att_authz(&mfa, ATT_ACT_APPT_AGREE, &ctx, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "own proposal"));
	ctx.appt_proposer = "head1";
	att_err_clear(&err);
	assert_int_equal(att_authz(&mfa, ATT_ACT_APPT_AGREE, &ctx, &err), ATT_OK);
	/* The appointee takes no step in their own appointment. */
	ctx.appt_person = "mfa1";
	assert_int_equal(att_authz(&mfa, ATT_ACT_APPT_REFUSE, &ctx, &err), ATT_EDENIED);
	assert_non_null(strstr(err.msg, "appointee"));
}

static void test_no_actor(void **state)
{
	struct att_err err = {0};
	(void)state;
	assert_int_equal(att_authz(NULL, ATT_ACT_POST_READ, NULL, &err), ATT_EDENIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_no_self_approval),
		cmocka_unit_test(test_no_actor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
