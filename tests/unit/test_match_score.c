/* Tests of the name scorer: the same-person cases of the issue, the
 * must-not-merge cases, symmetry, order independence, bounds, attribute
 * adjustments and explanations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"
#include "attache/match.h"

static double score_of(const char *a, const char *b)
{
	double s;
	bool m;
	struct att_err err = {0};

	assert_int_equal(att_match_pair(a, b, &s, &m, NULL, &err), ATT_OK);
	assert_true(m == (s >= ATT_MATCH_THRESHOLD));
	return s;
}

static void must_match(const char *a, const char *b)
{
	double s = score_of(a, b);

	if (s < ATT_MATCH_THRESHOLD)
		fail_msg("'%s' vs '%s' scored %.3f, below the threshold", a, b, s);
}

static void must_not_match(const char *a, const char *b)
{
	double s = score_of(a, b);

	if (s >= ATT_MATCH_THRESHOLD)
		fail_msg("'%s' vs '%s' scored %.3f, above the threshold", a, b, s);
}

static void all_match(const char *const *v)
{
	for (size_t i = 0; v[i]; i++)
		for (size_t j = 0; v[j]; j++)
			must_match(v[i], v[j]);
}

static void test_spellings(void **state)
{
	static const char *const aliyev[] = {"Əliyev", "Aliyev", "Aliev", "Алиев", "Әлијев", NULL};
	static const char *const mammadov[] = {"Məmmədov", "Mammadov", "Mamedov", "Мамедов", NULL};
	static const char *const huseynov[] = {"Hüseynov", "Huseynov", "Guseynov", "Гусейнов", NULL};
	static const char *const qasimov[] = {"Qasımov", "Gasimov", "Gasymov", "Гасымов", NULL};
	static const char *const cafarov[] = {"Cəfərov", "Jafarov", "Djafarov", "Джафаров", NULL};
	static const char *const full[] = {"Rəşad Məmmədov", "Rashad Mammadov", "Rashad Mamedov",
					   "Рашад Мамедов", "Mamedov Rashad", NULL};

	(void)state;
	all_match(aliyev);
	all_match(mammadov);
	all_match(huseynov);
	all_match(qasimov);
	all_match(cafarov);
	all_match(full);
}

static void test_structure(void **state)
{
	(void)state;
	must_match("Ilham Aliyev", "Aliyev Ilham");                 /* order */
	must_match("ALIYEV, Ilham", "Ilham Aliyev");
	must_match("Ilham Heydar oğlu Aliyev", "Ilham Aliyev");     /* patronymic one side */
	must_match("Ильхам Гейдарович Алиев", "Ilham Aliyev");
	must_match("Mehriban Arif qızı Əliyeva", "Mehriban Aliyeva");
	must_match("Ilham Heydar Aliyev", "Ilham Aliyev");          /* missing middle name */
	must_match("Ilham Heydar oglu Aliyev", "Ильхам Гейдарович Алиев");
	must_match("Rashad Mammadov", "Rashad Mammadv");            /* one typo */
	must_match("Ramil Safarov", "Ramil Safarof");
	must_match("Osama bin Laden", "Usama bin Ladin");
	must_match("محمد حسین", "Mohammad Hossein");                 /* Persian ↔ Latin */
	must_match("حسن روحانی", "Hassan Rouhani");
	must_match("Muhammad Ali", "Mohammed Ali");
}

static void expect_score(const char *a, const char *b, double want)
{
	double s = score_of(a, b), r = score_of(b, a);

	if (s < want - 5e-4 || s > want + 5e-4)
		fail_msg("'%s' vs '%s' scored %.4f, want %.4f", a, b, s, want);
	if (s < r - 1e-9 || s > r + 1e-9)
		fail_msg("asymmetric: '%s' / '%s': %.6f vs %.6f", a, b, s, r);
}

/* Joined and split tokens, articles, particles and titles, Arabic script
 * against Latin (issue 3, list categories). */
static void test_joins_and_particles(void **state)
{
	struct att_match_expl ex;
	double s;
	bool m;
	char text[512];
	json_t *j;
	struct att_err err = {0};

	(void)state;
	/* one token against two or three adjacent ones, 0.02 per join */
	expect_score("Abdulhamid Khalil", "Abd al-Hamid Khalil", 0.98);
	expect_score("Alqaida", "Al Qaida", 0.98);
	expect_score("Hassan Dahir Aweys", "حسن ظاهرعويس", 0.98);
	expect_score("Abdelkader Laagoub", "عبد القادر لاغوب", 0.98);
	expect_score("Ramzi Binalshibh", "رمزي بن الشيبة", 0.98);
	/* abdur/abdul as abd; the article inside a Latin token; c as s */
	expect_score("Abdur Rehman", "عبد الرحمن", 1.0);
	expect_score("Djamel Lounici", "جمال لونيسي", 1.0);
	/* a letter more in front is not a different first letter */
	expect_score("Bosco Ntaganda", "Bosco Taganda", 1.0);
	expect_score("Jo Yong Chol", "Cho Yong Chol", 1.0);
	/* titles weigh like particles; nasab chains missing on one side */
	expect_score("Dr. Ayman al-Zawahiri", "Ayman al-Zawahiri", 0.9746);
	expect_score("Kamal ben Maoeldi ben Hassan al-Hamraoui", "Hamraoui Kamel", 0.8403);
	/* must not merge: a join does not pad a token (Jong / Yo+Jong); the
	 * father's name is not the person's given name; a particle is not a
	 * short name; a legal form is not two initials */
	expect_score("Kim Jong Man", "Kim Yo Jong", 0.5);
	expect_score("Igor Arkadyevich Rotenberg", "Arkady Rotenberg", 0.6491);
	expect_score("Al-Ali, Adnan", "Al-Jubbah, Adnan", 0.3939);
	expect_score("Salim S.A.", "Hamdan, Salim Ahmad Salim", 0.2463);

	assert_int_equal(att_match_pair("Abdulhamid Khalil", "Abd al-Hamid Khalil", &s, &m, &ex,
					&err), ATT_OK);
	assert_true(m);
	assert_int_equal(ex.nb, 2); /* abd+al+hamid is one token of b */
	assert_int_equal(ex.joined_a, 0);
	assert_int_equal(ex.joined_b, 1);
	att_match_expl_text(&ex, text, sizeof(text));
	assert_string_equal(text, "abdulhamid~abdalhamid(joined) 0.94; khalil=khalil 1.00; score 0.98");
	j = att_match_expl_json(&ex);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "pairs"), 0),
						 "joined")));
	assert_true(json_is_false(json_object_get(json_array_get(json_object_get(j, "pairs"), 1),
						  "joined")));
	json_decref(j);
	/* tolerated tokens per side */
	assert_int_equal(att_match_pair("Ilham Heydar Aliyev", "Ilham Aliyev", &s, &m, &ex, &err),
			 ATT_OK);
	assert_int_equal(ex.tolerated_a, 2);
	assert_int_equal(ex.tolerated_b, 0);
	assert_int_equal(ex.tolerated, 2);
}

static void test_must_not_merge(void **state)
{
	(void)state;
	must_not_match("Ilham Aliyev", "Ilqar Aliyev");
	must_not_match("George Bush", "George Habash");
	must_not_match("Ilham Aliyev", "Ilqar Mammadov");
	must_not_match("Tural Aliyev", "Tural Alizada");
	must_not_match("Rashad Mammadov", "Rauf Mahmudov");
	must_not_match("Anna Petrova", "Anna Ivanova");
}

static void test_properties(void **state)
{
	static const char *const names[] = {
		"Ilham Aliyev", "Ilqar Aliyev", "Aliyev Ilham Heydar oglu", "George Bush",
		"George Habash", "Мамедов Рашад", "Rashad Mammadov", "محمد حسین",
		"Mohammad Hossein Hosseini", "J. Smith", "John Smith", "Jon Smyth",
		"Al-Baghdadi", "Abu Bakr al-Baghdadi", "a b c d e f g h i j k l m n",
	};
	size_t n = sizeof(names) / sizeof(names[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_true(score_of(names[i], names[i]) == 1.0);
		for (size_t j = 0; j < n; j++) {
			double a = score_of(names[i], names[j]), b = score_of(names[j], names[i]);

			assert_true(a >= 0.0 && a <= 1.0);
			if (a < b - 1e-9 || a > b + 1e-9)
				fail_msg("asymmetric: %s / %s: %f vs %f", names[i], names[j], a, b);
		}
	}
	/* order independence */
	assert_true(score_of("Abu Bakr al-Baghdadi", "Rashad Mammadov") ==
		    score_of("al-Baghdadi Bakr Abu", "Mammadov Rashad"));
	assert_true(score_of("Ilham Heydar Aliyev", "Ilqar Aliyev") ==
		    score_of("Aliyev Heydar Ilham", "Aliyev Ilqar"));
}

static void test_attributes(void **state)
{
	struct att_name a, b;
	struct att_err err = {0};
	struct att_match_attrs x = {0}, y = {0};
	double base, s;

	(void)state;
	assert_int_equal(att_name_normalize("Ilham Aliyev", 12, &a, &err), ATT_OK);
	assert_int_equal(att_name_normalize("Ilham Heydar Aliyev", 19, &b, &err), ATT_OK);
	base = att_match_score(&a, NULL, &b, NULL, NULL);
	assert_true(att_match_dob_parse("1961-12-24", &x.dob));
	assert_int_equal(x.dob, 19611224);
	assert_true(att_match_dob_parse("24 Dec 1961", &y.dob));
	assert_int_equal(y.dob, 19611224);
	s = att_match_score(&a, &x, &b, &y, NULL);
	assert_true(s > base);
	assert_true(att_match_dob_parse("1975", &y.dob));
	assert_int_equal(y.dob, 19750000);
	s = att_match_score(&a, &x, &b, &y, NULL);
	assert_true(s < base - 0.1);
	assert_false(att_match_dob_parse("1961-13-01", &y.dob));
	assert_false(att_match_dob_parse("yesterday", &y.dob));
	assert_int_equal(att_match_nat_key("Azerbaijan"), att_match_nat_key("AZ"));
	assert_int_equal(att_match_nat_key("az"), att_match_nat_key("AZ"));
	assert_int_not_equal(att_match_nat_key("RU"), att_match_nat_key("AZ"));
	assert_int_equal(att_match_nat_key(""), 0);
	x.dob = y.dob = 0;
	x.nat = att_match_nat_key("AZ");
	y.nat = att_match_nat_key("Russia");
	assert_true(att_match_score(&a, &x, &b, &y, NULL) < base);
}

static void test_explanation(void **state)
{
	struct att_match_expl ex;
	double s;
	bool m;
	char text[512];
	json_t *j;
	struct att_err err = {0};

	(void)state;
	assert_int_equal(att_match_pair("Ilham Aliyev", "Ilqar Aliyev", &s, &m, &ex, &err), ATT_OK);
	assert_false(m);
	assert_int_equal(ex.npairs, 2);
	att_match_expl_text(&ex, text, sizeof(text));
	assert_non_null(strstr(text, "ilham~ilqar"));
	assert_non_null(strstr(text, "aliyev=aliyev 1.00"));
	j = att_match_expl_json(&ex);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "pairs")), 2);
	assert_true(json_real_value(json_object_get(j, "score")) < ATT_MATCH_THRESHOLD);
	json_decref(j);
	assert_int_equal(att_match_pair("Ilham Heydar Aliyev", "Ilham Aliyev", &s, &m, &ex, &err), ATT_OK);
	att_match_expl_text(&ex, text, sizeof(text));
	assert_non_null(strstr(text, "unmatched heydar"));
	assert_non_null(strstr(text, "tolerated"));
}

/* The explanation written directly is the JSON att_match_expl_json builds:
 * the same text, the rounded numbers excepted, which read back as the same
 * doubles (json_equal compares them exactly). */
static void assert_expl_text_is_json(const struct att_match_expl *ex)
{
	char text[4096], small[16];
	size_t n = att_match_expl_json_text(ex, text, sizeof(text));
	json_t *built = att_match_expl_json(ex), *read;
	json_error_t jerr;
	char *dumped;

	assert_true(n > 0 && n < sizeof(text));
	assert_int_equal(strlen(text), n);
	read = json_loads(text, 0, &jerr);
	assert_non_null(read);
	assert_non_null(built);
	assert_true(json_equal(read, built));
	/* member order and escaping as json_dumps: equal once both are dumped */
	dumped = json_dumps(built, JSON_COMPACT);
	{
		char *again = json_dumps(read, JSON_COMPACT);

		assert_string_equal(again, dumped);
		free(again);
	}
	free(dumped);
	/* a short buffer: the length needed, cut and terminated */
	assert_int_equal(att_match_expl_json_text(ex, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, text, sizeof(small) - 1);
	json_decref(read);
	json_decref(built);
}

static void test_explanation_json_text(void **state)
{
	static const char *const pairs[][2] = {
		{"Ilham Aliyev", "Ilqar Aliyev"},      {"Ilham Heydar Aliyev", "Ilham Aliyev"},
		{"Abd al-Hamid Nasser", "Abdulhamid Nasser"}, {"Мамедов Эльчин", "Elchin Mammadov"},
		{"Cəfərov Rəşad", "Jafarov Rashad Oglu"}, {"John", "Jon Smyth"},
	};
	struct att_match_expl ex;
	struct att_err err = {0};
	double s;
	bool m;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_equal(att_match_pair(pairs[i][0], pairs[i][1], &s, &m, &ex, &err), ATT_OK);
		assert_expl_text_is_json(&ex);
	}
	/* escaping: quote, backslash, control characters, UTF-8; negative and
	 * zero adjustments, a cost of 0.0005 rounded to 0.001 */
	snprintf(ex.a[0].text, sizeof(ex.a[0].text), "%s", "a\"b\\c\n\x01\x1f\tə");
	snprintf(ex.b[0].text, sizeof(ex.b[0].text), "%s", "/\r\b\f");
	ex.npairs = 1;
	ex.pairs[0].a = 0;
	ex.pairs[0].b = 0;
	ex.pairs[0].sim = 0.9995f;
	ex.pairs[0].cost = 0.0005f;
	ex.na = ex.nb = 1;
	ex.unmatched_a = 1;
	ex.unmatched_b = 1;
	ex.score = 0.0f;
	ex.name_score = 1.0f;
	ex.dob_adj = -0.15f;
	ex.nat_adj = 0.0f;
	assert_expl_text_is_json(&ex);
	ex.score = -0.0f;
	assert_expl_text_is_json(&ex);
	{
		/* the strings escaped byte for byte as jansson escapes them */
		char text[1024];
		json_t *ja = json_string(ex.a[0].text), *jb = json_string(ex.b[0].text);
		char *da = json_dumps(ja, JSON_ENCODE_ANY), *db = json_dumps(jb, JSON_ENCODE_ANY);

		assert_true(att_match_expl_json_text(&ex, text, sizeof(text)) > 0);
		assert_non_null(strstr(text, da));
		assert_non_null(strstr(text, db));
		assert_non_null(strstr(text, "\\u0001\\u001F"));
		free(da);
		free(db);
		json_decref(ja);
		json_decref(jb);
	}
	{
		/* the rounded numbers with their digits only */
		char text[1024];

		assert_true(att_match_expl_json_text(&ex, text, sizeof(text)) > 0);
		assert_non_null(strstr(text, "\"sim\":0.999,\"cost\":0.001,"));
		assert_non_null(strstr(text, "\"score\":-0.0,\"name_score\":1.0,"));
		ex.dob_adj = INFINITY;
		assert_int_equal(att_match_expl_json_text(&ex, NULL, 0), 0);
		assert_int_equal(att_match_expl_json_text(&ex, text, sizeof(text)), 0);
		assert_string_equal(text, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explanation_json_text),
		cmocka_unit_test(test_spellings),   cmocka_unit_test(test_structure),
		cmocka_unit_test(test_must_not_merge), cmocka_unit_test(test_properties),
		cmocka_unit_test(test_attributes),  cmocka_unit_test(test_explanation),
		cmocka_unit_test(test_joins_and_particles),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	att_match_thread_release();
	return rc;
}
