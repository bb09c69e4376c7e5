/* Exchange and safeguards through the library: the neutrality screen's word
 * rules in three languages, the protected-persons check across scripts, the
 * mandate, handling codes, group commit with one refused message, batches
 * sent in phases as they would be one by one, and content sealed at rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "testutil.h"
#include "attache/exchange.h"
#include "attache/registry.h"
#include "attache/users.h"
#include "attache/watchlist.h"
#include "holdings.h"
#include "node_int.h"
#include "policy.h"
#include "store_exchange.h"
#include "store_int.h"
#include "util.h"

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

	assert_int_equal(att_protect_add(node, "over", &p, &id, NULL, &err), ATT_OK);
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

/* Sends a message whose member is value; the member what of its first
 * hold reason ("" when it was not held). */
static const char *first_reason(const char *member, const char *value, const char *what)
{
	static char out[64];
	char *text = message("Kamran Aliyev", "Nothing.");
	json_t *m = json_loads(text, 0, NULL);
	struct att_send_result res;
	struct att_err err = {0};
	const char *v;

	free(text);
	json_object_set_new(m, member, json_string(value));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_int_equal(att_msg_send(node, "rep", text, strlen(text), &res, &err), ATT_OK);
	v = json_string_value(json_object_get(json_array_get(res.reasons, 0), what));
	snprintf(out, sizeof(out), "%s", res.held && v ? v : "");
	att_send_result_release(&res);
	free(text);
	return out;
}

static char *message_to(int64_t c, const char *to, int64_t reply_to, const char *ents);

/* Sends a preservation request of case c to Europol with these facts and
 * data (as cydesk); where its first hold reason is ("" when not held). */
static const char *preservation_where(int64_t c, const char *facts, const char *data)
{
	static char out[64];
	json_t *m = json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,"
			      "s:s,s:b}}",
			      "case", (json_int_t)c, "type", "preservation", "to",
			      "partner/europol", "field", "cybercrime", "handling", "H0", "source",
			      "A", "information", 1, "purpose", "Preserve logs", "subject",
			      "Preservation", "preservation", "authority", "SSS cyber unit",
			      "offence", "Illegal access", "facts", facts, "data", data,
			      "custodian", "A provider", "necessity", "Logs kept 30 days",
			      "mlat_intent", 1);
	char *text = json_dumps(m, JSON_COMPACT);
	struct att_send_result res;
	struct att_err err = {0};
	const char *v;

	json_decref(m);
	assert_int_equal(att_msg_send(node, "cydesk", text, strlen(text), &res, &err), ATT_OK);
	v = json_string_value(json_object_get(json_array_get(res.reasons, 0), "where"));
	snprintf(out, sizeof(out), "%s", res.held && v ? v : "");
	att_send_result_release(&res);
	free(text);
	return out;
}

/* Sends a message with entities ents (a JSON list); its first hold
 * reason's entity ("entity N") or where ("" when it was not held). */
static const char *entity_reason(const char *ents)
{
	static char out[64];
	char *text = message_to(case_id, "hq/terrorism", 0, ents);
	struct att_send_result res;
	struct att_err err = {0};
	json_t *r;

	assert_int_equal(att_msg_send(node, "rep", text, strlen(text), &res, &err), ATT_OK);
	r = json_array_get(res.reasons, 0);
	out[0] = '\0';
	if (res.held && json_object_get(r, "entity"))
		snprintf(out, sizeof(out), "entity %lld",
			 (long long)json_integer_value(json_object_get(r, "entity")));
	else if (res.held)
		snprintf(out, sizeof(out), "%s", json_string_value(json_object_get(r, "where")));
	att_send_result_release(&res);
	free(text);
	return out;
}

/* Sends a message with these purpose, subject and body; where its first
 * hold reason is ("" when it was not held). */
static const char *across(const char *purpose, const char *subject, const char *body)
{
	static char out[64];
	char *text = message("Kamran Aliyev", body);
	json_t *m = json_loads(text, 0, NULL);
	struct att_send_result res;
	struct att_err err = {0};
	const char *v;

	free(text);
	json_object_set_new(m, "purpose", json_string(purpose));
	json_object_set_new(m, "subject", json_string(subject));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_int_equal(att_msg_send(node, "rep", text, strlen(text), &res, &err), ATT_OK);
	v = json_string_value(json_object_get(json_array_get(res.reasons, 0), "where"));
	snprintf(out, sizeof(out), "%s", res.held && v ? v : "");
	att_send_result_release(&res);
	free(text);
	return out;
}

/* Whether body holds the message for a protected person named in it. */
static bool held_in_body(const char *body)
{
	return !strcmp(first_reason("body", body, "where"), "body");
}

/* Whether a body of n bytes c followed by tail holds the message. */
static bool held_after(char c, size_t n, const char *tail)
{
	char body[4096];

	assert_true(n + strlen(tail) < sizeof(body));
	memset(body, c, n);
	snprintf(body + n, sizeof(body) - n, "%s", tail);
	return held_in_body(body);
}

/* A protected person named in the text, not as an entity, is held too: in
 * any script and order, wherever the name falls among the words, next to
 * words too long to be names; text that only shares a given name is not. */
static void test_protected_in_text(void **state)
{
	struct att_protect_spec p = {"Sahib Nəsirli", NULL, "political-emigrant", NULL};
	const char *filler = "the suspect was seen near the mission with a companion on";
	struct att_err err = {0};
	char body[4096];
	int64_t id;
	(void)state;

	assert_int_equal(att_protect_add(node, "over", &p, &id, NULL, &err), ATT_OK);
	assert_true(held_in_body("He met Sahib Nasirli at the cafe."));
	assert_true(held_in_body("Встреча с Сахиб Насирли в кафе."));
	assert_true(held_in_body("Contact: Nasirli, Sahib (see above)."));
	assert_true(held_in_body("Sahib Nəsirli"));
	/* every place in a long text, across the batches of words */
	for (int at = 0; at <= 12; at++) {
		int n = snprintf(body, sizeof(body), "%.*s", at * 4, "w01 w02 w03 w04 w05 w06 w07 "
								    "w08 w09 w10 w11 w12 ");

		snprintf(body + n, sizeof(body) - (size_t)n, "Sahib Nasirli %s %s", filler, filler);
		if (!held_in_body(body))
			fail_msg("not held with the name after %d words: %s", at, body);
	}
	/* a word too long to be a name does not shield the one beside it */
	assert_true(held_after('x', 2000, " Sahib Nasirli"));
	/* nor long words around it, nor a word of more parts than a name has
	 * tokens before it */
	{
		size_t n = 0;

		for (int i = 0; i < 6; i++) {
			memset(body + n, 'y', 150);
			n += 150;
			body[n++] = ' ';
		}
		snprintf(body + n, sizeof(body) - n, "Sahib Nasirli ");
		n += strlen(body + n);
		memset(body + n, 'z', 150);
		body[n + 150] = '\0';
		assert_true(held_in_body(body));
	}
	assert_true(held_in_body("w0 w1 w2 w3 w4 ab-cd-ef-gh-ij-kl-mn-op-qr-st-uv-wx Sahib Nasirli"));
	/* initials, markup and filler between the names, glued punctuation */
	assert_true(held_in_body("Met S. Nasirli today."));
	assert_true(held_in_body("Sahib 1 2 3 Nasirli"));
	assert_true(held_in_body("<b>Sahib</b>&nbsp;<b>Nasirli</b>"));
	assert_true(held_in_body("a b c d Sahib \u2014 \u2014 \u2014 Nasirli"));
	assert_true(held_in_body("Sahib \u2014 \u2014 \u2014 \u2014 \u2014 \u2014 \u2014 Nasirli"));
	memset(body, '-', 200);
	memcpy(body, "Sahib Nasirli", 13);
	body[200] = '\0';
	assert_true(held_in_body(body));
	/* words joined by separators of other scripts, and a name after a
	 * long run of letters */
	assert_true(held_in_body("w\u2013w\u2013w\u2013w\u2013w\u2013w\u2013w\u2013w\u2013w\u2013w\u2013w"
				 "\u2013Sahib\u2013Nasirli"));
	assert_true(held_in_body("w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w\u00a0w"
				 "\u00a0Nasirli\u2026Sahib"));
	assert_true(held_after('a', 148, "-Sahib-Nasirli"));
	assert_true(held_after('a', 300, " Sahib\u00a0Nasirli"));
	/* a name written as one word */
	assert_true(held_in_body("Follow #SahibNasirli on the channel"));
	assert_true(held_in_body("SAHIBNASIRLY"));
	assert_true(held_in_body("Sahib\u200bNasirli was there"));
	assert_false(held_in_body("Internationalization of administration, thereafter."));
	assert_false(held_in_body("Sahib came; later a man called Kamal left."));
	assert_false(held_in_body(filler));
	/* text made to need more queries than a field may cost is held
	 * unchecked, for the overseer to read */
	{
		size_t n = 0;

		for (char x = 'a'; x <= 'z'; x++)
			for (char y = 'a'; y <= 'l'; y++)
				n += (size_t)snprintf(body + n, sizeof(body) - n, "%c. %c. Sahib ", x, y);
		assert_string_equal(first_reason("body", body, "kind"), "protected-unchecked");
	}
	/* the subject and the purpose are read too */
	assert_string_equal(first_reason("subject", "Meeting of Nasirli Sahib", "where"), "subject");
	assert_string_equal(first_reason("purpose", "Locate Sahib Nasirli", "where"), "purpose");
	/* and a name cut across two fields, in reading order */
	assert_string_equal(across("Threat assessment", "Meeting with Sahib",
				   "Nasirli confirmed the plan."),
			    "subject+body");
	assert_string_equal(across("Locate Nasirli", "A contact", "Sahib, it seems, left."),
			    "purpose+body");
	assert_string_equal(across("Threat assessment", "Meeting with Sahib",
				   "Kamal confirmed the plan."),
			    "");
	/* every other field of free text, and names in entities that are not
	 * persons: an organization's, an address's */
	assert_string_equal(first_reason("handling_text", "Do not contact Sahib Nasirli", "where"),
			    "handling_text");
	assert_string_equal(first_reason("legal_basis", "Locate Sahib Nasirli", "where"),
			    "legal_basis");
	assert_string_equal(entity_reason("[{\"type\":\"organization\",\"name\":"
					  "\"Sahib Nasirli\"}]"),
			    "entity 1");
	assert_string_equal(entity_reason("[{\"type\":\"phone\",\"value\":\"+33612345678\"},"
					  "{\"type\":\"email\",\"value\":"
					  "\"sahib.nasirli@example.org\"}]"),
			    "entities");
	/* addresses as sent: a URL's path and query, a sub-domain, an IDN
	 * host, a name cut across two addresses */
	assert_string_equal(entity_reason("[{\"type\":\"url\",\"value\":"
					  "\"https://www.facebook.com/sahib.nasirli\"}]"),
			    "entities");
	assert_string_equal(entity_reason("[{\"type\":\"url\",\"value\":"
					  "\"https://example.org/find?who=Sahib%20Nasirli\"}]"),
			    "entities");
	assert_string_equal(entity_reason("[{\"type\":\"domain\",\"value\":"
					  "\"sahib.nasirli.example.com\"}]"),
			    "entities");
	assert_string_equal(entity_reason("[{\"type\":\"domain\",\"value\":"
					  "\"xn----7sbbc8adaxp6adg0c.az\"}]"),
			    "entities");
	assert_string_equal(entity_reason("[{\"type\":\"email\",\"value\":\"sahib@mail.az\"},"
					  "{\"type\":\"domain\",\"value\":\"nasirli.org\"}]"),
			    "entities");
	assert_string_equal(entity_reason("[{\"type\":\"email\",\"value\":"
					  "\"kamal.rzayev@example.org\"}]"),
			    "");
	/* a preservation request's elements */
	{
		static const struct att_user_spec cy = {"cydesk", "Cyber desk", "desk",
							"hq/cybercrime", NULL};
		static const struct att_user_spec ep = {"ep", "Europol", "partner",
							"partner/europol", NULL};
		struct att_case_spec cs = {"cybercrime", "Intrusions", "Trace intruders",
					   "Budapest Convention", NULL, NULL};
		int64_t cc;

		assert_int_equal(att_user_add(node, NULL, &cy, &err), ATT_OK);
		assert_int_equal(att_user_add(node, NULL, &ep, &err), ATT_OK);
		assert_int_equal(att_case_open(node, "cydesk", &cs, &cc, &err), ATT_OK);
		assert_string_equal(preservation_where(cc, "The account of Sahib Nasirli was used.",
						       "Logs"),
				    "preservation.facts");
		/* a name cut across two elements */
		assert_string_equal(preservation_where(cc, "The account was opened by Sahib",
						       "Nasirli and two others: their logs"),
				    "preservation.facts+preservation.data");
	}
	/* a name glued inside a word too long for one piece, at a field's
	 * end: the field's own scan cuts the word from its start (through the
	 * name), the seam's from its end (the name whole); the seam is read
	 * although no word of its side is the register's as it is */
	{
		char subj[400];
		size_t n = (size_t)snprintf(subj, sizeof(subj), "Report on the visitor ");

		memset(subj + n, '\'', 154);
		memcpy(subj + n + 154, "sahibnasirli", 12);
		memset(subj + n + 166, '\'', 148);
		subj[n + 314] = '\0';
		assert_string_equal(across("Threat assessment", subj, "Seen near the mission."),
				    "subject+body");
	}
	/* letters that normalise to nothing take no place either */
	assert_string_equal(across("Report a contact of Sahib", "A contact",
				   "\u3164 \u3164 \u3164 \u3164 \u3164 \u3164 \u0640 \u0640 "
				   "Nasirli was seen."),
			    "purpose+body");
	/* words without a letter take no place in the six, as in a field */
	assert_string_equal(across("Threat assessment", "Meeting with Sahib 1 2 3 4 5 6",
				   "Nasirli confirmed the plan."),
			    "subject+body");
	assert_string_equal(across("Threat assessment", "Meeting with Sahib ​ ​ ​ "
				   "​ ​ ​ ' ' '",
				   "1 2 3 4 5 6 Nasirli confirmed."),
			    "subject+body");
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

/* A message of case c to one unit, information or (reply_to not 0) a reply,
 * naming the entities of the JSON array text ents (may be NULL). */
static char *message_to(int64_t c, const char *to, int64_t reply_to, const char *ents)
{
	json_t *m = json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "case", (json_int_t)c,
			      "type", reply_to ? "reply" : "information", "to", to, "field",
			      "terrorism", "handling", "H0", "source", "B", "information", 2,
			      "purpose", "Threat assessment", "subject", "A contact", "body",
			      "Seen near the mission.");
	char *s;

	if (reply_to)
		json_object_set_new(m, "in_reply_to", json_integer(reply_to));
	if (ents)
		json_object_set_new(m, "entities", json_loads(ents, 0, NULL));
	s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return s;
}

/* A person and an IBAN, for message_to. */
static char *person_iban(const char *person, const char *iban)
{
	char *s = malloc(256);

	assert_non_null(s);
	snprintf(s, 256,
		 "[{\"type\":\"person\",\"name\":\"%s\"},{\"type\":\"iban\",\"value\":\"%s\"}]",
		 person, iban);
	return s;
}

static int64_t new_case(const char *title)
{
	struct att_case_spec cs = {"terrorism", "Other", title, "Decree", NULL, NULL};
	int64_t id = 0;

	assert_int_equal(att_case_open(node, "rep", &cs, &id, NULL), ATT_OK);
	return id;
}

static int64_t next_message_id(void)
{
	sqlite3_stmt *st;
	int64_t seq;

	assert_int_equal(sqlite3_prepare_v2(node->store->db,
					    "SELECT seq FROM sqlite_sequence WHERE name='messages'",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq + 1;
}

/* Sends texts[0..n) as one batch (message i by actors[i]), asserting that
 * the batch ran; each message's outcome is in res, rcs and errs. */
static void send_batch(const char **actors, char **texts, size_t n, struct att_send_result *res,
		       enum att_rc *rcs, struct att_err *errs)
{
	size_t lens[128];
	struct att_err err = {0};

	assert_true(n <= sizeof(lens) / sizeof(lens[0]));
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(texts[i]);
	assert_int_equal(att_msg_send_many(node, actors, (const char *const *)texts, lens, n, res,
					   rcs, errs, &err),
			 ATT_OK);
}

/* Within one batch the queries run before the writes: the later messages
 * still find the entities of the earlier ones (another case each: hits), the
 * same hits as when the three are sent one by one. */
static void test_batch_hits_as_one_by_one(void **state)
{
	static const char *const batch_names[3] = {"Elshan Guliyev", "Elşən Quliyev",
						   "Эльшан Гулиев"};
	static const char *const single_names[3] = {"Vugar Huseynov", "Vüqar Hüseynov",
						    "Вугар Гусейнов"};
	const char *actors[3] = {"rep", "rep", "rep"};
	char *texts[3];
	size_t batch_hits = 0, single_hits = 0;
	struct att_send_result res[3], one;
	enum att_rc rcs[3];
	struct att_err errs[3], err = {0};
	(void)state;

	for (int i = 0; i < 3; i++) {
		char *ents = person_iban(batch_names[i], "GB82 WEST 1234 5698 7654 32");

		texts[i] = message_to(new_case("Batch"), "hq/terrorism", 0, ents);
		free(ents);
	}
	memset(res, 0, sizeof(res));
	send_batch(actors, texts, 3, res, rcs, errs);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rcs[i], ATT_OK);
		assert_false(res[i].held);
		/* the person and the IBAN of each earlier message */
		assert_int_equal(res[i].hits, 2 * (size_t)i);
		assert_int_equal(res[i].id, res[0].id + i);
		batch_hits += res[i].hits;
		att_send_result_release(&res[i]);
		free(texts[i]);
	}
	for (int i = 0; i < 3; i++) {
		char *ents = person_iban(single_names[i], "DE89 3704 0044 0532 0130 00");
		char *m = message_to(new_case("One by one"), "hq/terrorism", 0, ents);

		assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &one, &err), ATT_OK);
		assert_int_equal(one.hits, 2 * (size_t)i);
		single_hits += one.hits;
		att_send_result_release(&one);
		free(ents);
		free(m);
	}
	assert_int_equal(batch_hits, 6);
	assert_int_equal(single_hits, batch_hits);
}

/* A held message in a batch takes its ids but is not matched nor indexed:
 * the message after it finds only the one before it. */
static void test_batch_held_not_matched(void **state)
{
	const char *ents[3] = {
		"[{\"type\":\"person\",\"name\":\"Nijat Abbasov\"}]",
		"[{\"type\":\"person\",\"name\":\"Gunel Safarova\"},"
		"{\"type\":\"person\",\"name\":\"Nicat Abbasov\"}]",
		"[{\"type\":\"person\",\"name\":\"Ниджат Аббасов\"}]",
	};
	const char *actors[3] = {"rep", "rep", "rep"};
	char *texts[3];
	struct att_send_result res[3];
	enum att_rc rcs[3];
	struct att_err errs[3];
	sqlite3_stmt *st;
	(void)state;

	for (int i = 0; i < 3; i++) {
		texts[i] = message_to(new_case("Held"), "hq/terrorism", 0, ents[i]);
	}
	send_batch(actors, texts, 3, res, rcs, errs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rcs[i], ATT_OK);
	assert_false(res[0].held);
	assert_true(res[1].held);
	assert_false(res[2].held);
	assert_int_equal(res[1].id, res[0].id + 1);
	assert_int_equal(res[2].id, res[0].id + 2);
	assert_int_equal(res[0].hits, 0);
	assert_int_equal(res[1].hits, 0);
	assert_int_equal(res[2].hits, 1);
	/* entity ids dense across the three, in batch order */
	assert_int_equal(sqlite3_prepare_v2(node->store->db,
					    "SELECT min(id), max(id), count(*), min(msg_id) FROM "
					    "entities WHERE msg_id>=?1 AND msg_id<=?1+2",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, res[0].id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 2), 4);
	assert_int_equal(sqlite3_column_int64(st, 1) - sqlite3_column_int64(st, 0), 3);
	sqlite3_finalize(st);
	for (int i = 0; i < 3; i++) {
		att_send_result_release(&res[i]);
		free(texts[i]);
	}
}

/* A message whose checks read what an earlier message of the same batch
 * writes: a party to the case only through that message's recipients, or a
 * reply to it by its predicted id. Both are sent as when sent one by one;
 * a reply to an id no message has yet is refused and takes no id. */
static void test_batch_reads_own_writes(void **state)
{
	int64_t c = new_case("Thread"), first;
	char *alone = message_to(c, "post/fr", 0, NULL), *texts[5];
	const char *actors[5] = {"rep", "desk", "desk", "desk", "rep"};
	struct att_send_result res[5], one;
	enum att_rc rcs[5];
	struct att_err errs[5], err = {0};
	sqlite3_stmt *st;
	(void)state;

	/* the desk is not a party to the new case yet */
	assert_int_equal(att_msg_send(node, "desk", alone, strlen(alone), &one, &err), ATT_EDENIED);
	att_err_clear(&err);
	free(alone);
	first = next_message_id();
	texts[0] = message_to(c, "hq/terrorism", 0, NULL);
	texts[1] = message_to(c, "post/fr", 0, NULL);
	texts[2] = message_to(c, "post/fr", first, NULL);
	texts[3] = message_to(c, "post/fr", first + 4, NULL);
	texts[4] = message_to(c, "hq/terrorism", 0, NULL);
	send_batch(actors, texts, 5, res, rcs, errs);
	assert_int_equal(rcs[0], ATT_OK);
	assert_int_equal(rcs[1], ATT_OK);
	assert_int_equal(rcs[2], ATT_OK);
	assert_int_equal(rcs[3], ATT_EINVAL);
	assert_non_null(strstr(errs[3].msg, "no such message"));
	assert_int_equal(rcs[4], ATT_OK);
	assert_int_equal(res[0].id, first);
	assert_int_equal(res[1].id, first + 1);
	assert_int_equal(res[2].id, first + 2);
	assert_int_equal(res[3].id, 0);
	assert_int_equal(res[4].id, first + 3);
	/* the reply marked the first message answered for the desk's unit */
	assert_int_equal(sqlite3_prepare_v2(node->store->db,
					    "SELECT state FROM recipients WHERE msg_id=? AND "
					    "unit='hq/terrorism'",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, first);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "answered");
	sqlite3_finalize(st);
	for (int i = 0; i < 5; i++) {
		att_send_result_release(&res[i]);
		free(texts[i]);
	}
	/* in a case the desk is a party to already: only the reply waits */
	first = next_message_id();
	texts[0] = message_to(case_id, "hq/terrorism", 0, NULL);
	texts[1] = message_to(case_id, "post/fr", first, NULL);
	send_batch(actors, texts, 2, res, rcs, errs);
	assert_int_equal(rcs[0], ATT_OK);
	assert_int_equal(rcs[1], ATT_OK);
	assert_int_equal(res[0].id, first);
	assert_int_equal(res[1].id, first + 1);
	for (int i = 0; i < 2; i++) {
		att_send_result_release(&res[i]);
		free(texts[i]);
	}
}

/* A batch longer than one phase (64 messages) that tears in its second:
 * the first 64, already written, are rolled back with the rest and the batch
 * is sent again one by one; only the failed message is missing. */
static void test_batch_torn_late(void **state)
{
	enum { N = 70, BAD = 66 };
	const char *actors[N];
	char *texts[N], sql[256];
	struct att_send_result res[N];
	enum att_rc rcs[N];
	struct att_err errs[N], err = {0};
	int64_t first = next_message_id();
	size_t names = att_match_index_count(att_holdings_index(node));
	sqlite3_stmt *st;
	(void)state;

	for (int i = 0; i < N; i++) {
		char ents[160];

		snprintf(ents, sizeof(ents),
			 "[{\"type\":\"document\",\"value\":\"TL%06d\"},"
			 "{\"type\":\"person\",\"name\":\"Tornlate Kam%c%cov\"}]",
			 i, "bdfgklmnpr"[i % 10], "aeiouyr"[i / 10]);
		actors[i] = "rep";
		texts[i] = message_to(case_id, "hq/terrorism", 0, ents);
	}
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TRIGGER refuse_late BEFORE INSERT ON main.entities WHEN "
		 "NEW.msg_id=%lld BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
		 (long long)(first + BAD));
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	send_batch(actors, texts, N, res, rcs, errs);
	assert_int_equal(sqlite3_exec(node->store->db, "DROP TRIGGER temp.refuse_late", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	for (int i = 0; i < N; i++) {
		if (i == BAD) {
			assert_int_equal(rcs[i], ATT_EDB);
			assert_int_equal(res[i].id, 0);
		} else {
			assert_int_equal(rcs[i], ATT_OK);
			/* the failed message's id is skipped, not reused */
			assert_int_equal(res[i].id, first + i);
		}
		att_send_result_release(&res[i]);
		free(texts[i]);
	}
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM messages WHERE id>=%lld),"
		 " (SELECT count(*) FROM entities WHERE msg_id>=%lld)",
		 (long long)first, (long long)first);
	assert_int_equal(sqlite3_prepare_v2(node->store->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), N - 1);
	assert_int_equal(sqlite3_column_int64(st, 1), 2 * (N - 1));
	sqlite3_finalize(st);
	/* the index as the rows: the first attempt's additions were undone
	 * with its transaction (the batch again takes the same entity ids, so
	 * a stale name would be a second name of a ref; a stale document of
	 * the failed message would be found) */
	assert_int_equal(att_match_index_count(att_holdings_index(node)), names + N - 1);
	for (int i = 0; i < N; i++) {
		char doc[16], canon[ATT_ID_CANON_MAX + 1];
		uint64_t refs[4];
		size_t n = 0;

		snprintf(doc, sizeof(doc), "TL%06d", i);
		assert_int_equal(att_id_canon(ATT_ID_DOCUMENT, doc, strlen(doc), NULL, canon,
					      sizeof(canon), &err),
				 ATT_OK);
		assert_int_equal(att_match_index_query_id(att_holdings_index(node), ATT_ID_DOCUMENT,
							  canon, refs, 4, &n, &err),
				 ATT_OK);
		assert_int_equal(n, i == BAD ? 0 : 1);
	}
	/* the homes the hit filter reads as the rows: the failed message's
	 * entities have none */
	snprintf(sql, sizeof(sql),
		 "SELECT min(id), max(id), count(*) FROM entities WHERE msg_id>=%lld",
		 (long long)first);
	assert_int_equal(sqlite3_prepare_v2(node->store->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	{
		int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
		int64_t rows = sqlite3_column_int64(st, 2), known = 0;

		sqlite3_finalize(st);
		for (int64_t id = lo; id <= hi + 4; id++) {
			struct att_entity_home h;
			int64_t msg = 0, cas = 0;
			char type[16];

			if (!att_holdings_home(node, id, &h))
				continue;
			known++;
			assert_int_equal(att_store_entity_meta(node->store, id, &msg, &cas, type, &err),
					 ATT_OK);
			assert_int_equal(h.msg_id, msg);
			assert_int_equal(h.case_id, cas);
			assert_int_equal(h.kind, att_entity_kind_of(type));
		}
		assert_int_equal(known, rows);
	}
}

/* Sends ents (a JSON array) in case c; returns the hits recorded. */
static size_t send_hits(int64_t c, const char *ents)
{
	char *m = message_to(c, "hq/terrorism", 0, ents);
	struct att_send_result res;
	struct att_err err = {0};
	size_t hits;

	assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
	hits = res.hits;
	att_send_result_release(&res);
	free(m);
	return hits;
}

/* The hit filter (not the same case, not a person against an organization)
 * reads the other entity's home from the index's memory: the same hits
 * whether the home was remembered when its message was sent or loaded from
 * the store by a process that opens the file afterwards. */
static void test_hit_filter_homes(void **state)
{
	const char *both = "[{\"type\":\"person\",\"name\":\"Rashad Karimov\"},"
			   "{\"type\":\"organization\",\"name\":\"Rashad Karimov\"},"
			   "{\"type\":\"iban\",\"value\":\"GB29 NWBK 6016 1331 9268 19\"}]";
	const char *person = "[{\"type\":\"person\",\"name\":\"Rashad Karimov\"},"
			     "{\"type\":\"iban\",\"value\":\"GB29NWBK60161331926819\"}]";
	const char *org = "[{\"type\":\"organization\",\"name\":\"Rashad Karimov\"}]";
	int64_t a = new_case("Homes A"), b = new_case("Homes B"), c = new_case("Homes C");
	struct att_entity_home h;
	struct att_err err = {0};
	(void)state;

	assert_int_equal(send_hits(a, both), 0);
	/* the same case: its own thread, no hit */
	assert_int_equal(send_hits(a, person), 0);
	/* person against both persons of case A, IBAN against both IBANs */
	assert_int_equal(send_hits(b, person), 4);
	/* the organization against case A's organization only */
	assert_int_equal(send_hits(c, org), 1);
	/* case B's person is in its own case now: again A's four */
	assert_int_equal(send_hits(b, person), 4);
	/* another process: every home loaded from the store; B: A's two
	 * persons and IBANs (the fresh B messages are the same case, C's
	 * organization not a person) */
	att_node_close(node);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	assert_int_equal(send_hits(b, person), 4);
	/* C: A's organization (C's own earlier one is the same case) */
	assert_int_equal(send_hits(c, org), 1);
	/* A: the three B messages' persons and IBANs */
	assert_int_equal(send_hits(a, person), 6);
	/* every entity's home loaded, with its message's case */
	{
		sqlite3_stmt *st;
		size_t rows = 0, known = 0;

		assert_int_equal(sqlite3_prepare_v2(node->store->db,
						    "SELECT e.id, e.msg_id, m.case_id, e.type FROM "
						    "entities e JOIN messages m ON m.id=e.msg_id "
						    "WHERE m.status='delivered'",
						    -1, &st, NULL),
				 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			rows++;
			if (!att_holdings_home(node, sqlite3_column_int64(st, 0), &h))
				continue;
			known++;
			assert_int_equal(h.msg_id, sqlite3_column_int64(st, 1));
			assert_int_equal(h.case_id, sqlite3_column_int64(st, 2));
			assert_int_equal(h.kind,
					 att_entity_kind_of((const char *)sqlite3_column_text(st, 3)));
		}
		sqlite3_finalize(st);
		assert_true(rows > 0);
		assert_int_equal(known, rows);
	}
}

/* Sends ents in case c as rep; the message's id, its hits in *hits. */
static int64_t send_in(int64_t c, const char *ents, size_t *hits)
{
	char *m = message_to(c, "hq/terrorism", 0, ents);
	struct att_send_result res;
	struct att_err err = {0};
	int64_t id;

	assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
	assert_false(res.held);
	id = res.id;
	if (hits)
		*hits = res.hits;
	att_send_result_release(&res);
	free(m);
	return id;
}

static int64_t count_rows(struct att_node *n, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Whether actor's hits show a hit touching case c. */
static bool hit_in_case(const char *actor, int64_t c)
{
	json_t *h = NULL, *x;
	struct att_err err = {0};
	bool found = false;
	size_t i;

	assert_int_equal(att_hits(node, actor, (void **)&h, &err), ATT_OK);
	json_array_foreach(h, i, x)
		found = found ||
			json_integer_value(json_object_get(json_object_get(x, "mine"), "case")) == c ||
			json_integer_value(json_object_get(json_object_get(x, "other"), "case")) == c;
	json_decref(h);
	return found;
}

/* The state of the first recipient of msg, as its sender sees it. */
static const char *recipient_state(int64_t msg)
{
	static char out[32];
	json_t *m = NULL;
	struct att_err err = {0};

	assert_int_equal(att_msg_show(node, "rep", msg, (void **)&m, &err), ATT_OK);
	snprintf(out, sizeof(out), "%s",
		 json_string_value(json_object_get(
			 json_array_get(json_object_get(m, "to"), 0), "state")));
	json_decref(m);
	return out;
}

/* A person put on the register after messages naming them were delivered:
 * those messages are held again, as if sent now (out of the recipients'
 * reach and of matching, their hits hidden, in every process), until the
 * overseer decides; a release gives each recipient back its state and
 * records only the hits that are new. A message already held gets the
 * person added to its reasons. */
static void test_protect_after_delivery(void **state)
{
	const char *iban = "GB33BUKB20201555555555";
	int64_t a = new_case("After A"), b = new_case("After B"), c = new_case("After C");
	int64_t d = new_case("After D");
	char *ea = person_iban("R\u0259\u015fad Qafarzad\u0259", iban);
	char *eb = person_iban("Vusal Huseynli", iban), *ec = person_iban("Elnur Valiyev", iban);
	struct att_protect_spec p = {"\u0420\u0430\u0448\u0430\u0434 \u0413\u0430\u0444\u0430"
				     "\u0440\u0437\u0430\u0434\u0435",
				     NULL, "journalist", NULL};
	struct att_protect_spec p2 = {"Rashad Gafarzadeh", NULL, "journalist", NULL};
	struct att_protect_result pr;
	struct att_err err = {0};
	struct att_node *other = NULL;
	json_t *j = NULL;
	int64_t ma, mb, mc, reg, hits_before, held_now;
	size_t hits;
	(void)state;

	ma = send_in(a, ea, &hits);
	mb = send_in(b, eb, &hits);
	assert_int_equal(hits, 1); /* the IBAN, against A */
	assert_int_equal(att_msg_ack(node, "desk", ma, &err), ATT_OK);
	assert_true(hit_in_case("desk", a));
	/* another process, its index loaded before the register changes */
	assert_int_equal(att_node_open(path, &other, &err), ATT_OK);
	assert_int_equal(att_inbox(other, "desk", 0, 5, (void **)&j, &err), ATT_OK);
	json_decref(j);

	assert_int_equal(att_protect_add(node, "over", &p, &reg, &pr, &err), ATT_OK);
	assert_int_equal(pr.nheld, 1);
	assert_int_equal(pr.held[0], ma);
	assert_int_equal(pr.nflagged, 0);
	att_protect_result_release(&pr);
	/* gone from the recipient, shown to its sender as held */
	assert_int_equal(att_msg_show(node, "desk", ma, (void **)&j, &err), ATT_EDENIED);
	att_err_clear(&err);
	assert_string_equal(recipient_state(ma), "held");
	assert_int_equal(att_inbox(node, "desk", 0, 500, (void **)&j, &err), ATT_OK);
	{
		json_t *x;
		size_t i;

		json_array_foreach(json_object_get(j, "items"), i, x)
			assert_int_not_equal(json_integer_value(json_object_get(x, "id")), ma);
	}
	json_decref(j);
	assert_false(hit_in_case("desk", a));
	assert_int_equal(att_review_list(node, "over", (void **)&j, &err), ATT_OK);
	{
		json_t *x, *r;
		size_t i;
		bool seen = false;

		json_array_foreach(j, i, x) {
			if (json_integer_value(json_object_get(x, "id")) != ma)
				continue;
			r = json_array_get(json_object_get(x, "reasons"), 0);
			assert_string_equal(json_string_value(json_object_get(r, "kind")),
					    "protected-person");
			assert_true(json_is_true(json_object_get(r, "after_delivery")));
			assert_int_equal(json_integer_value(json_object_get(r, "register")), reg);
			seen = true;
		}
		assert_true(seen);
	}
	json_decref(j);
	/* out of matching here and in the other process: C's IBAN hits B only */
	mc = send_in(c, ec, &hits);
	assert_int_equal(hits, 1);
	{
		char *m = message_to(d, "hq/terrorism", 0, ec);
		struct att_send_result res;

		assert_int_equal(att_msg_send(other, "rep", m, strlen(m), &res, &err), ATT_OK);
		/* B's IBAN, C's IBAN and person; not A */
		assert_int_equal(res.hits, 3);
		att_send_result_release(&res);
		free(m);
	}
	/* the release: the recipient's state back, the IBAN hits with C and
	 * the other process's message new, the one with B not written twice */
	hits_before = count_rows(node, "SELECT count(*) FROM hits");
	assert_int_equal(att_review_release(node, "over", ma, "Victim, not target", &err), ATT_OK);
	assert_string_equal(recipient_state(ma), "acknowledged");
	assert_int_equal(count_rows(node, "SELECT count(*) FROM hits"), hits_before + 2);
	assert_true(hit_in_case("desk", a));
	(void)mb;
	(void)mc;
	/* a second spelling on the register: A is held again (its decided
	 * review back in the queue), a message held when sent gets the reason */
	{
		char *m = message_to(d, "hq/terrorism", 0, ea);
		struct att_send_result res;

		assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
		assert_true(res.held);
		held_now = res.id;
		att_send_result_release(&res);
		free(m);
	}
	assert_int_equal(att_protect_add(other, "over", &p2, &reg, &pr, &err), ATT_OK);
	assert_int_equal(pr.nheld, 1);
	assert_int_equal(pr.held[0], ma);
	assert_int_equal(pr.nflagged, 1);
	assert_int_equal(pr.flagged[0], held_now);
	att_protect_result_release(&pr);
	assert_string_equal(recipient_state(ma), "held");
	assert_int_equal(att_review_reject(node, "over", ma, "Target is the journalist", &err),
			 ATT_OK);
	assert_string_equal(recipient_state(ma), "rejected");
	{
		struct att_audit_report rep;

		assert_int_equal(att_audit_verify(node, &rep, &err), ATT_OK);
	}
	att_node_close(other);
	free(ea);
	free(eb);
	free(ec);
}

/* The first person entity of message msg. */
static int64_t person_of(int64_t msg)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
		 "SELECT min(id) FROM entities WHERE msg_id=%lld AND type='person'",
		 (long long)msg);
	return count_rows(node, sql);
}

/* A name whose words are each held thousands of times (a crowd of Elchin
 * Aliyevs and Rauf Mammadovs on a list): the search for a newly protected
 * Elchin Mammadov still finds the delivered message naming him, as the
 * check at sending does (no key of the name is left out for being common). */
static void test_protect_after_delivery_crowd(void **state)
{
	struct att_protect_spec p = {"Elchin Mammadov", NULL, "journalist", NULL};
	struct att_protect_result pr;
	struct att_err err = {0};
	size_t cap = 4200 * 64, len = 0, hits;
	char *csv = malloc(cap);
	json_t *sum = NULL;
	int64_t c = new_case("Crowd"), msg, reg;
	bool found = false;
	(void)state;

	assert_non_null(csv);
	len += (size_t)snprintf(csv + len, cap - len, "name,aliases,dob,nationality,type,id\n");
	for (int i = 0; i < 4200; i++)
		len += (size_t)snprintf(csv + len, cap - len,
					"Elchin Aliyev,,,,person,A%d\nRauf Mammadov,,,,person,B%d\n", i,
					i);
	assert_int_equal(att_watchlist_import(node, "desk", "crowd", "csv", csv, len, NULL, 0,
					      (void **)&sum, &err),
			 ATT_OK);
	json_decref(sum);
	free(csv);
	msg = send_in(c, "[{\"type\":\"person\",\"name\":\"\u042d\u043b\u044c\u0447\u0438\u043d "
			 "\u041c\u0430\u043c\u0435\u0434\u043e\u0432\"}]",
		      &hits);
	assert_int_equal(att_protect_add(node, "over", &p, &reg, &pr, &err), ATT_OK);
	for (size_t i = 0; i < pr.nheld; i++)
		found = found || pr.held[i] == msg;
	assert_true(found);
	att_protect_result_release(&pr);
}

/* The search of what is held finds what the check at sending would hold,
 * typos either way: a held name with a letter more (reached at sending by
 * dropping one) and one with a letter less. */
static void test_protect_after_delivery_typos(void **state)
{
	struct att_protect_spec p = {"Ramin Isayilov", NULL, "journalist", NULL};
	struct att_protect_result pr;
	struct att_err err = {0};
	int64_t c = new_case("Typos"), more, less, reg;
	size_t got = 0;
	(void)state;

	more = send_in(c, "[{\"type\":\"person\",\"name\":\"Radmin Ismayilov\"}]", NULL);
	less = send_in(c, "[{\"type\":\"person\",\"name\":\"Ramin Isayilovv\"}]", NULL);
	assert_int_equal(att_protect_add(node, "over", &p, &reg, &pr, &err), ATT_OK);
	for (size_t i = 0; i < pr.nheld; i++)
		got += pr.held[i] == more || pr.held[i] == less;
	assert_int_equal(got, 2);
	att_protect_result_release(&pr);
	/* an organization of the name is held again too */
	{
		struct att_protect_spec p2 = {"Zarifa Mirzayeva", NULL, "journalist", NULL};
		int64_t org = send_in(c, "[{\"type\":\"organization\",\"name\":"
					 "\"Zarifa Mirzayeva\"}]",
				      NULL);

		assert_int_equal(att_protect_add(node, "over", &p2, &reg, &pr, &err), ATT_OK);
		assert_int_equal(pr.nheld, 1);
		assert_int_equal(pr.held[0], org);
		att_protect_result_release(&pr);
	}
	/* as the check at sending does */
	{
		char *m = message_to(c, "hq/terrorism", 0,
				     "[{\"type\":\"person\",\"name\":\"Radmin Ismayilov\"}]");
		struct att_send_result res;

		assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
		assert_true(res.held);
		att_send_result_release(&res);
		free(m);
	}
}

/* Sends as rep a message of case c with entities ents (or NULL) and, when
 * member is given, that member set to text; its id, and whether it was
 * held in *held. */
static int64_t send_with(int64_t c, const char *ents, const char *member, const char *text,
			 bool *held)
{
	char *t = message_to(c, "hq/terrorism", 0, ents);
	json_t *m = json_loads(t, 0, NULL);
	struct att_send_result res;
	struct att_err err = {0};
	int64_t id;

	free(t);
	if (member)
		json_object_set_new(m, member, json_string(text));
	t = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_int_equal(att_msg_send(node, "rep", t, strlen(t), &res, &err), ATT_OK);
	id = res.id;
	*held = res.held;
	att_send_result_release(&res);
	free(t);
	return id;
}

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The rescan: a person put on the register is looked for in the text of
 * every message sent before (fields and addresses), in steps that each
 * commit and resume after a crash; delivered messages found are held again,
 * held ones get the reason once, others stay delivered. */
static void test_protect_rescan(void **state)
{
	struct att_protect_spec p = {"\u041d\u0443\u0440\u043b\u0430\u043d "
				     "\u0410\u0431\u0434\u0443\u043b\u043b\u0430\u0435\u0432",
				     NULL, "journalist", NULL};
	struct att_protect_result pr = {NULL, 0, NULL, 0};
	struct att_rescan_state st;
	struct att_err err = {0};
	int64_t c = new_case("Rescan"), m1, m2, m3, m4, m5, m6, reg, pend;
	char by[65];
	json_t *j = NULL, *x;
	size_t i;
	bool held, seen = false;
	(void)state;

	/* the jobs earlier tests left (their entries' rescans) run first */
	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, NULL, NULL, &err), ATT_OK);
	m1 = send_with(c, "[{\"type\":\"phone\",\"value\":\"+994501234567\"}]", "body",
		       "We met Nurlan Abdullayev at the consulate on Monday.", &held);
	assert_false(held);
	m2 = send_with(c, NULL, NULL, NULL, &held);
	assert_false(held);
	m3 = send_with(c, "[{\"type\":\"email\",\"value\":\"nurlan.abdullayev@mail.az\"}]", NULL,
		       NULL, &held);
	assert_false(held);
	/* held when sent (the neutrality screen) and naming him in its subject */
	m4 = send_with(c, NULL, "subject", "Nurlan Abdullayev at the opposition protest", &held);
	assert_true(held);
	/* named as a person and in the text: held again once, for his entity */
	m6 = send_with(c, "[{\"type\":\"person\",\"name\":\"Nurlan Abdullayev\"}]", "body",
		       "Nurlan Abdullayev again.", &held);
	assert_false(held);
	assert_int_equal(att_msg_ack(node, "desk", m1, &err), ATT_OK);

	assert_int_equal(att_protect_add(node, "over", &p, &reg, &pr, &err), ATT_OK);
	assert_int_equal(pr.nheld, 1); /* the one entity that names him */
	assert_int_equal(pr.held[0], m6);
	assert_int_equal(pr.nflagged, 0);
	att_protect_result_release(&pr);
	/* the job waits; a representative may not run it */
	assert_int_equal(att_protect_rescan_pending(node, 0, &pend, by, &err), ATT_OK);
	assert_int_equal(pend, reg);
	assert_string_equal(by, "over");
	assert_int_equal(att_protect_rescan_step(node, "rep", 0, 1, &st, &pr, &err), ATT_EDENIED);
	att_err_clear(&err);
	/* steps of one message until m1 is read, then the process dies */
	for (int64_t k = 1; !pr.nheld; k++) {
		assert_int_equal(att_protect_rescan_step(node, "over", 0, 1, &st, &pr, &err), ATT_OK);
		assert_int_equal(st.reg, reg);
		assert_false(st.finished);
		assert_int_equal(st.read, k);
		assert_true(st.total > k);
	}
	assert_int_equal(pr.nheld, 1);
	assert_int_equal(pr.held[0], m1);
	assert_string_equal(recipient_state(m2), "delivered");
	att_node_close(node);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	/* resumed where it stopped */
	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, NULL, &err), ATT_OK);
	assert_int_equal(pr.nheld, 2);
	assert_true(has_id(pr.held, pr.nheld, m3));
	assert_false(has_id(pr.held, pr.nheld, m2));
	assert_int_equal(pr.nflagged, 1);
	assert_int_equal(pr.flagged[0], m4);
	att_protect_result_release(&pr);
	assert_string_equal(recipient_state(m1), "held");
	assert_string_equal(recipient_state(m2), "delivered");
	assert_int_equal(att_msg_show(node, "desk", m1, (void **)&j, &err), ATT_EDENIED);
	att_err_clear(&err);
	assert_int_equal(att_protect_rescan_pending(node, 0, &pend, by, &err), ATT_ENOTFOUND);
	att_err_clear(&err);
	/* the reasons: where, after delivery; the held one's reason once */
	assert_int_equal(att_review_list(node, "over", (void **)&j, &err), ATT_OK);
	json_array_foreach(j, i, x) {
		int64_t id = json_integer_value(json_object_get(x, "id"));
		json_t *r = json_object_get(x, "reasons"), *y;
		size_t k, named = 0;

		json_array_foreach(r, k, y)
			named += json_integer_value(json_object_get(y, "register")) == reg;
		if (id == m1) {
			y = json_array_get(r, 0);
			assert_string_equal(json_string_value(json_object_get(y, "where")), "body");
			assert_true(json_is_true(json_object_get(y, "after_delivery")));
			seen = true;
		}
		if (id == m3)
			assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0),
									  "where")),
					    "entities");
		if (id == m1 || id == m3 || id == m4 || id == m6)
			assert_int_equal(named, 1);
		if (id == m6)
			assert_null(json_object_get(json_array_get(r, 0), "where"));
	}
	assert_true(seen);
	json_decref(j);
	/* the register shows the job finished; nothing is left to do */
	assert_int_equal(att_protect_list(node, "over", (void **)&j, &err), ATT_OK);
	json_array_foreach(j, i, x)
		if (json_integer_value(json_object_get(x, "id")) == reg) {
			json_t *r = json_object_get(x, "rescan");

			assert_int_equal(json_integer_value(json_object_get(r, "held")), 2);
			assert_int_equal(json_integer_value(json_object_get(r, "flagged")), 1);
			assert_false(json_is_null(json_object_get(r, "finished")));
			assert_int_equal(json_integer_value(json_object_get(r, "read")),
					 json_integer_value(json_object_get(r, "of")));
		}
	json_decref(j);
	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, NULL, &err), ATT_OK);
	assert_int_equal(pr.nheld + pr.nflagged, 0);
	/* a message sent after the registration is checked when sent */
	m5 = send_with(c, NULL, "body", "Abdullayev Nurlan called again.", &held);
	assert_true(held);
	(void)m5;
	{
		struct att_audit_report rep;

		assert_int_equal(att_audit_verify(node, &rep, &err), ATT_OK);
	}
}

/* A member of register entry reg's rescan, as the register lists it (-1
 * when the entry has none). */
static int64_t rescan_of(int64_t reg, const char *key)
{
	struct att_err err = {0};
	json_t *l = NULL, *x;
	int64_t v = -1;
	size_t i;

	assert_int_equal(att_protect_list(node, "over", (void **)&l, &err), ATT_OK);
	json_array_foreach(l, i, x)
		if (json_integer_value(json_object_get(x, "id")) == reg)
			v = json_integer_value(json_object_get(json_object_get(x, "rescan"), key));
	json_decref(l);
	return v;
}

/* The rescan's edges: a message the overseer released after a hold for the
 * new entry is not held for it again; a message whose stored content cannot
 * be opened is held as unreadable and the job goes on; a place that could
 * not be read (too many addresses) is reported again for each person
 * registered later, a release for an earlier one notwithstanding (the new
 * person may be named there). */
static void test_protect_rescan_edges(void **state)
{
	struct att_protect_spec p1 = {"Zaur Rzayev", NULL, "journalist", NULL};
	struct att_protect_spec p2 = {"Aynur Hasanova", NULL, "refugee", NULL};
	struct att_protect_result pr = {NULL, 0, NULL, 0};
	struct att_err err = {0};
	int64_t c = new_case("Rescan edges"), m1, m2, m3, reg1, reg2, pend;
	char by[65], *urls, sql[128];
	json_t *j = NULL, *x, *a = json_array();
	size_t i, unchecked = 0;
	bool held;
	(void)state;

	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, NULL, NULL, &err), ATT_OK);
	m1 = send_with(c, "[{\"type\":\"person\",\"name\":\"Zaur Rzayev\"}]", "body",
		       "Zaur Rzayev called again.", &held);
	assert_false(held);
	m2 = send_with(c, NULL, "body", "Nothing here.", &held);
	assert_false(held);
	snprintf(sql, sizeof(sql), "UPDATE messages SET content=X'00112233' WHERE id=%lld",
		 (long long)m2);
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 50; i++) {
		char u[1600];
		int n = snprintf(u, sizeof(u), "https://example.org/p/%zu/", i);

		memset(u + n, 'a', 1500);
		u[n + 1500] = '\0';
		json_array_append_new(a, json_pack("{s:s,s:s}", "type", "url", "value", u));
	}
	urls = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	m3 = send_with(c, urls, NULL, NULL, &held);
	free(urls);
	assert_true(held); /* too many addresses to read: unchecked */

	assert_int_equal(att_protect_add(node, "over", &p1, &reg1, &pr, &err), ATT_OK);
	assert_int_equal(pr.nheld, 1);
	assert_int_equal(pr.held[0], m1);
	att_protect_result_release(&pr);
	/* the overseer releases m1 before the text is read */
	assert_int_equal(att_review_release(node, "over", m1, "A witness", &err), ATT_OK);
	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, NULL, &err), ATT_OK);
	assert_false(has_id(pr.held, pr.nheld, m1));
	assert_string_equal(recipient_state(m1), "delivered");
	assert_true(has_id(pr.held, pr.nheld, m2)); /* unreadable */
	assert_true(has_id(pr.flagged, pr.nflagged, m3)); /* not read for him either */
	att_protect_result_release(&pr);
	assert_int_equal(att_protect_rescan_pending(node, 0, &pend, by, &err), ATT_ENOTFOUND);
	att_err_clear(&err);
	/* the overseer reads m3 and releases it; a second person may be named
	 * in its addresses: held again, for her */
	assert_int_equal(att_review_release(node, "over", m3, "Names nobody", &err), ATT_OK);
	assert_int_equal(att_protect_add(node, "over", &p2, &reg2, &pr, &err), ATT_OK);
	assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, NULL, &err), ATT_OK);
	assert_false(has_id(pr.held, pr.nheld, m1));
	assert_true(has_id(pr.flagged, pr.nflagged, m2));
	assert_true(has_id(pr.held, pr.nheld, m3));
	att_protect_result_release(&pr);
	assert_int_equal(att_review_list(node, "over", (void **)&j, &err), ATT_OK);
	json_array_foreach(j, i, x) {
		json_t *r = json_object_get(x, "reasons"), *y;
		int64_t id = json_integer_value(json_object_get(x, "id"));
		size_t k;

		if (id == m2)
			assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0),
									 "kind")),
					    "protected-unreadable");
		json_array_foreach(r, k, y)
			unchecked += id == m3 &&
				     !strcmp(json_string_value(json_object_get(y, "kind")),
					     "protected-unchecked") &&
				     json_integer_value(json_object_get(y, "register")) == reg2;
	}
	json_decref(j);
	assert_int_equal(unchecked, 1);
	/* a step takes at most a mebibyte of content: sixteen bodies of
	 * 100 kB take two steps at least */
	{
		struct att_protect_spec p3 = {"Nazim Babayev", NULL, "journalist", NULL};
		bool done = false;
		char *body = malloc(100001);
		int64_t reg3;

		assert_non_null(body);
		for (i = 0; i < 100000; i++)
			body[i] = "the visitor came again "[i % 23];
		body[100000] = '\0';
		for (i = 0; i < 16; i++)
			(void)send_with(c, NULL, "body", body, &held);
		free(body);
		/* and m3's review damaged: it knows nothing, the job goes on */
		snprintf(sql, sizeof(sql), "UPDATE reviews SET reasons=X'00112233' WHERE msg_id=%lld",
			 (long long)m3);
		assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(att_protect_add(node, "over", &p3, &reg3, NULL, &err), ATT_OK);
		/* a millisecond's budget: one step of a mebibyte, the rest left */
		assert_int_equal(att_protect_rescan(node, "over", 1, NULL, NULL, &pr, &done, &err),
				 ATT_OK);
		assert_false(done);
		assert_true(rescan_of(reg3, "read") > 0);
		assert_true(rescan_of(reg3, "read") < rescan_of(reg3, "of"));
		assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, &done, &err),
				 ATT_OK);
		assert_true(done);
		assert_int_equal(rescan_of(reg3, "read"), rescan_of(reg3, "of"));
		assert_true(has_id(pr.flagged, pr.nflagged, m3));
		att_protect_result_release(&pr);
	}
	/* two persons registered together are read for together: one walk,
	 * each job advanced and counted on its own */
	{
		struct att_protect_spec p4 = {"Tofiq Guliyev", NULL, "journalist", NULL};
		struct att_protect_spec p5 = {"Samira Huseynli", NULL, "refugee", NULL};
		struct att_rescan_state st;
		int64_t m4, m5, m45, reg4, reg5, audited = 0;
		json_t *log = NULL, *e;

		m4 = send_with(c, NULL, "body", "Tofiq Guliyev called.", &held);
		m5 = send_with(c, NULL, "body", "Samira Huseynli called.", &held);
		m45 = send_with(c, NULL, "body", "Tofiq Guliyev met Samira Huseynli.", &held);
		assert_false(held);
		assert_int_equal(att_protect_add(node, "over", &p4, &reg4, NULL, &err), ATT_OK);
		assert_int_equal(att_protect_add(node, "over", &p5, &reg5, NULL, &err), ATT_OK);
		assert_int_equal(att_protect_rescan_step(node, "over", 0, 0, &st, &pr, &err),
				 ATT_OK);
		assert_int_equal(st.reg, reg4);
		/* advanced together */
		assert_int_equal(rescan_of(reg4, "read"), rescan_of(reg5, "read"));
		assert_true(rescan_of(reg4, "read") > 0);
		assert_int_equal(att_protect_rescan(node, "over", 0, NULL, NULL, &pr, NULL, &err), ATT_OK);
		assert_true(has_id(pr.held, pr.nheld, m4));
		assert_true(has_id(pr.held, pr.nheld, m5));
		assert_true(has_id(pr.held, pr.nheld, m45));
		att_protect_result_release(&pr);
		assert_int_equal(rescan_of(reg4, "held"), 2);
		assert_int_equal(rescan_of(reg5, "held"), 2);
		/* the message naming both is audited as held for each */
		assert_int_equal(att_audit_list(node, "over", 0, 100, (void **)&log, &err), ATT_OK);
		json_array_foreach(log, i, e) {
			char obj[48];
			int64_t rr = json_integer_value(
				json_object_get(json_object_get(e, "detail"), "register"));

			snprintf(obj, sizeof(obj), "message/%lld", (long long)m45);
			if (!strcmp(json_string_value(json_object_get(e, "action")), "review.hold") &&
			    !strcmp(json_string_value(json_object_get(e, "object")), obj))
				audited |= rr == reg4 ? 1 : rr == reg5 ? 2 : 4;
		}
		json_decref(log);
		assert_int_equal(audited, 3);
	}
	(void)reg2;
}

/* Threads share the match index: one whose read began before a release and
 * a later hold again must not, by syncing late, put the held message's
 * entities back (the releases seen only move forward). */
static void test_sync_never_goes_back(void **state)
{
	struct att_protect_spec p1 = {"Zaur Hasanli", NULL, "journalist", NULL};
	struct att_protect_spec p2 = {"Zaur Hasanly", NULL, "journalist", NULL};
	struct att_node *older = NULL, *old = NULL;
	struct att_entity_home h;
	struct att_err err = {0};
	int64_t c = new_case("Sync"), msg, reg, me, rel;
	char *m = message_to(c, "hq/terrorism", 0, "[{\"type\":\"person\",\"name\":\"Zaur Hasanli\"}]");
	struct att_send_result res;
	(void)state;

	assert_int_equal(att_protect_add(node, "over", &p1, &reg, NULL, &err), ATT_OK);
	assert_int_equal(att_msg_send(node, "rep", m, strlen(m), &res, &err), ATT_OK);
	assert_true(res.held);
	msg = res.id;
	att_send_result_release(&res);
	free(m);
	me = person_of(msg);
	assert_int_equal(att_node_clone(node, &older, &err), ATT_OK);
	assert_int_equal(att_node_clone(node, &old, &err), ATT_OK);
	/* a read from before the release */
	assert_int_equal(att_node_begin_read(older, &err), ATT_OK);
	assert_int_equal(att_store_entity_watermark(older->store, &me, &rel, &err), ATT_OK);
	me = person_of(msg);
	assert_int_equal(att_review_release(node, "over", msg, "A witness", &err), ATT_OK);
	/* a read from between the release and the hold again */
	assert_int_equal(att_node_begin_read(old, &err), ATT_OK);
	assert_int_equal(att_store_entity_watermark(old->store, &reg, &rel, &err), ATT_OK);
	assert_int_equal(att_protect_add(node, "over", &p2, &reg, NULL, &err), ATT_OK);
	assert_string_equal(recipient_state(msg), "held");
	/* a write takes the withdrawal in */
	(void)send_in(c, "[{\"type\":\"person\",\"name\":\"Someone Unrelated\"}]", NULL);
	assert_false(att_holdings_home(node, me, &h));
	/* the late readers sync: the oldest, then the one that saw the release */
	assert_int_equal(att_holdings_sync(older, &err), ATT_OK);
	assert_int_equal(att_holdings_sync(old, &err), ATT_OK);
	assert_false(att_holdings_home(node, me, &h));
	att_node_rollback(older);
	att_node_rollback(old);
	att_node_close(older);
	att_node_close(old);
}

/* A list import that fails after loading its entries into the shared index
 * (its re-screening meets a damaged entity) leaves none of them there: the
 * rolled-back generation is loaded again. */
static void test_import_rolled_back(void **state)
{
	static const char csv[] = "name,aliases,dob,nationality,type,id\n"
				  "Qudrat Zulfugarzade,,,,person,R1\n";
	int64_t c = new_case("Rolled back"), msg, ent;
	struct att_match_query q;
	struct att_match_hit hit;
	struct att_err err = {0};
	json_t *sum = NULL;
	sqlite3_stmt *st;
	void *saved;
	int saved_len;
	size_t n = 9;
	char sql[160];
	(void)state;

	msg = send_in(c, "[{\"type\":\"person\",\"name\":\"Tofig Rzaquliyev\"}]", NULL);
	ent = person_of(msg);
	snprintf(sql, sizeof(sql), "SELECT value FROM entities WHERE id=%lld", (long long)ent);
	assert_int_equal(sqlite3_prepare_v2(node->store->db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	saved_len = sqlite3_column_bytes(st, 0);
	saved = malloc((size_t)saved_len);
	assert_non_null(saved);
	memcpy(saved, sqlite3_column_blob(st, 0), (size_t)saved_len);
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "UPDATE entities SET value=zeroblob(length(value)) WHERE id=%lld",
		 (long long)ent);
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(att_watchlist_import(node, "desk", "rolled", "csv", csv,
						  sizeof(csv) - 1, NULL, 0, (void **)&sum, &err),
			     ATT_OK);
	att_err_clear(&err);
	json_decref(sum);
	snprintf(sql, sizeof(sql), "UPDATE entities SET value=?1 WHERE id=%lld", (long long)ent);
	assert_int_equal(sqlite3_prepare_v2(node->store->db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, saved, saved_len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	free(saved);
	assert_int_equal(att_node_begin(node, &err), ATT_OK);
	assert_int_equal(att_holdings_sync(node, &err), ATT_OK);
	memset(&q, 0, sizeof(q));
	q.name = "Qudrat Zulfugarzade";
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_query(att_holdings_index(node), &q, &hit, 1, &n, &err),
			 ATT_OK);
	att_node_rollback(node);
	assert_int_equal(n, 0);
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

/* A case's title, purpose and legal basis are sealed; a case from before
 * they were (its texts in clear) is sealed when the node is next opened;
 * a damaged seal is detected, not shown. */
static void test_case_sealed(void **state)
{
	struct att_case_spec cs = {"terrorism", "Okapi watch", "Follow the okapi couriers",
				   "Decree of the okapi", NULL, NULL};
	struct att_err err = {0};
	json_t *j = NULL, *c;
	char sql[256];
	int64_t id;
	(void)state;

	assert_int_equal(att_case_open(node, "rep", &cs, &id, &err), ATT_OK);
	assert_int_equal(count_rows(node, "SELECT count(*) FROM cases WHERE instr(title||purpose||"
				     "legal_basis||CAST(sealed AS TEXT), 'okapi') > 0"),
			 0);
	assert_int_equal(att_case_show(node, "rep", id, (void **)&j, &err), ATT_OK);
	c = json_object_get(j, "case") ? json_object_get(j, "case") : j;
	assert_string_equal(json_string_value(json_object_get(c, "title")), "Okapi watch");
	assert_string_equal(json_string_value(json_object_get(c, "legal_basis")),
			    "Decree of the okapi");
	json_decref(j);
	/* as a node before schema 10 left it (no "cases_sealed" either) */
	snprintf(sql, sizeof(sql),
		 "UPDATE cases SET title='Old okapi', purpose='Old purpose', "
		 "legal_basis='Old basis', sealed=NULL WHERE id=%lld;"
		 "DELETE FROM meta WHERE key='cases_sealed'",
		 (long long)id);
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	att_node_close(node);
	assert_int_equal(att_node_open(path, &node, &err), ATT_OK);
	assert_int_equal(count_rows(node, "SELECT count(*) FROM cases WHERE sealed IS NULL OR "
				     "instr(title||purpose||legal_basis, 'Old') > 0"),
			 0);
	assert_int_equal(att_case_show(node, "rep", id, (void **)&j, &err), ATT_OK);
	c = json_object_get(j, "case") ? json_object_get(j, "case") : j;
	assert_string_equal(json_string_value(json_object_get(c, "title")), "Old okapi");
	json_decref(j);
	/* a changed byte */
	snprintf(sql, sizeof(sql), "UPDATE cases SET sealed=zeroblob(length(sealed)) WHERE id=%lld",
		 (long long)id);
	assert_int_equal(sqlite3_exec(node->store->db, sql, NULL, NULL, NULL), SQLITE_OK);
	j = NULL;
	assert_int_equal(att_case_show(node, "rep", id, (void **)&j, &err), ATT_ECRYPTO);
	assert_null(j);
	att_err_clear(&err);
	/* the list still lists the others, and this one as unreadable */
	assert_int_equal(att_case_list(node, "rep", (void **)&j, &err), ATT_OK);
	{
		json_t *items = json_is_array(j) ? j : json_object_get(j, "items"), *v;
		size_t i, unreadable = 0, others = 0;

		json_array_foreach(items, i, v) {
			if (json_integer_value(json_object_get(v, "id")) == id)
				unreadable += json_is_true(json_object_get(v, "unreadable"));
			else
				others++;
		}
		assert_int_equal(unreadable, 1);
		assert_true(others >= 1);
	}
	json_decref(j);
}

/* The roles an actor's overdue list gives preservation orders, as
 * "role/days_left" joined by spaces. */
static const char *preservation_roles(const char *actor)
{
	static char out[128];
	struct att_err err = {0};
	json_t *list = NULL, *v;
	size_t i, o = 0;

	out[0] = '\0';
	assert_int_equal(att_overdue(node, actor, (void **)&list, &err), ATT_OK);
	json_array_foreach(list, i, v)
		if (json_object_get(v, "preserve_until"))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s/%lld", o ? " " : "",
					      json_string_value(json_object_get(v, "role")),
					      (long long)json_integer_value(
						      json_object_get(v, "days_left")));
	json_decref(list);
	return out;
}

/* A preservation order is in the overdue lists of both sides from 14 days
 * before it ends to 14 days after. */
static void test_preservation_ending(void **state)
{
	static const struct att_user_spec cy = {"cyber2", "Cyber desk", "desk", "hq/cybercrime",
						NULL};
	static const struct att_user_spec ip = {"interpol2", "Interpol", "partner",
						"partner/interpol2", NULL};
	struct att_case_spec cs = {"cybercrime", "Intrusions", "Trace intruders",
				   "Budapest Convention", NULL, NULL};
	struct att_send_result res;
	struct att_err err = {0};
	int64_t cc, t0 = att_now();
	json_t *m;
	char *text;
	(void)state;

	assert_int_equal(att_user_add(node, NULL, &cy, &err), ATT_OK);
	assert_int_equal(att_user_add(node, NULL, &ip, &err), ATT_OK);
	assert_int_equal(att_case_open(node, "cyber2", &cs, &cc, &err), ATT_OK);
	m = json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:b,"
		      "s:i}}",
		      "case", (json_int_t)cc, "type", "preservation", "to", "partner/interpol2",
		      "field", "cybercrime", "handling", "H0", "source", "A", "information", 1,
		      "purpose", "Preserve logs", "subject", "Preservation", "preservation",
		      "authority", "SSS cyber unit", "offence", "Illegal access", "facts",
		      "Logins from one address", "data", "Access logs", "custodian", "A provider",
		      "necessity", "Logs kept 30 days", "mlat_intent", 1, "days", 60);
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_int_equal(att_msg_send(node, "cyber2", text, strlen(text), &res, &err), ATT_OK);
	free(text);
	att_send_result_release(&res);
	assert_string_equal(preservation_roles("cyber2"), "");
	att_clock_set(t0 + 50 * 86400 + 3600);
	assert_string_equal(preservation_roles("cyber2"), "preservation-ending/9");
	assert_string_equal(preservation_roles("interpol2"), "preservation-to-keep/9");
	assert_string_equal(preservation_roles("over"), "preservation-oversight/9");
	assert_string_equal(preservation_roles("desk"), "");
	att_clock_set(t0 + 61 * 86400);
	assert_string_equal(preservation_roles("cyber2"), "preservation-ended/-1");
	att_clock_set(t0 + 75 * 86400);
	assert_string_equal(preservation_roles("cyber2"), "");
	att_clock_set(0);
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
		cmocka_unit_test(test_protected_in_text),
		cmocka_unit_test(test_mandate),
		cmocka_unit_test(test_handling_rules),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_group_commit_torn),
		cmocka_unit_test(test_batch_hits_as_one_by_one),
		cmocka_unit_test(test_batch_held_not_matched),
		cmocka_unit_test(test_batch_reads_own_writes),
		cmocka_unit_test(test_batch_torn_late),
		cmocka_unit_test(test_hit_filter_homes),
		cmocka_unit_test(test_protect_after_delivery),
		cmocka_unit_test(test_protect_after_delivery_crowd),
		cmocka_unit_test(test_protect_after_delivery_typos),
		cmocka_unit_test(test_protect_rescan),
		cmocka_unit_test(test_protect_rescan_edges),
		cmocka_unit_test(test_sync_never_goes_back),
		cmocka_unit_test(test_import_rolled_back),
		cmocka_unit_test(test_inbox_cache),
		cmocka_unit_test(test_sealed_at_rest),
		cmocka_unit_test(test_case_sealed),
		cmocka_unit_test(test_preservation_ending),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
