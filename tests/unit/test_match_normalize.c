/* Tests of the name normaliser: NFKC + casefold, transliteration of
 * Azerbaijani and Russian Cyrillic, Arabic/Persian skeletons, folding,
 * patronymics, limits. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "attache/match.h"

static void expect(const char *in, const char *want)
{
	struct att_name n;
	struct att_err err = {0};
	char buf[512];

	assert_int_equal(att_name_normalize(in, strlen(in), &n, &err), ATT_OK);
	att_name_format(&n, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("normalize(%s) = '%s', want '%s'", in, buf, want);
}

static void test_azerbaijani_latin(void **state)
{
	(void)state;
	expect("Əliyev", "aliyev");
	expect("Məmmədov", "mammadov");
	expect("Hüseynov", "huseynov");
	expect("Qasımov", "qasimov");
	expect("Cəfərov", "cafarov");
	expect("İsmayıl Xəlilov", "ismayil khalilov");
	expect("Çingiz Ağayev", "chingiz agayev");
	expect("Şövkət Ələkbərova", "shovkat alakbarova");
	expect("Gülşən Öztürk", "gulshan ozturk");
}

static void test_cyrillic(void **state)
{
	(void)state;
	expect("Алиев", "aliyev");
	expect("Мамедов", "mamedov");
	expect("Гусейнов", "guseynov");
	expect("Гасымов", "gasymov");
	expect("Джафаров", "dzhafarov");
	/* Azerbaijani Cyrillic (has ә/ј) goes through az_Cyrl-az/BGN */
	expect("Әлијев", "aliyev");
	expect("Мәммәдов", "mammadov");
	expect("Владимир Путин", "vladimir putin");
}

static void test_nfkc_casefold(void **state)
{
	(void)state;
	expect("ＡＬＩＹＥＶ", "aliyev"); /* fullwidth */
	expect("ALIYEV, Ilham", "aliyev ilham");
	expect("Straße", "strasse");
	expect("José Müller-Lüdenscheidt", "jose muller ludenscheidt");
	expect("O'Brien", "obrien");
	expect("  many   spaces\t", "many spaces");
}

static void test_arabic_skeleton(void **state)
{
	struct att_name n;
	struct att_err err = {0};

	(void)state;
	expect("محمد", "mhmd");
	expect("حسن روحانی", "hsn rhn");
	expect("علی", "l");
	expect("خامنه", "xmnh");
	expect("وحید", "vhd"); /* initial waw is a consonant */
	expect("پژمان", "bZmn");
	assert_int_equal(att_name_normalize("محمد", strlen("محمد"), &n, &err), ATT_OK);
	assert_true(n.tok[0].flags & ATT_TOK_SKELETON);
	assert_int_equal(n.tok[0].script, ATT_SCRIPT_ARABIC);
	/* the Latin side gets the same kind of skeleton */
	assert_int_equal(att_name_normalize("Mohammad", 8, &n, &err), ATT_OK);
	assert_string_equal(n.tok[0].skel, "mhmd");
	assert_int_equal(att_name_normalize("Hosseyn", 7, &n, &err), ATT_OK);
	assert_string_equal(n.tok[0].skel, "hsn");
}

/* Dotted abbreviations are one token; titles and legal forms are
 * particles; the Arabic article before a short noun; waw after the article
 * or an initial ayn; Urdu and Pashto letters. */
static void test_abbreviations_particles(void **state)
{
	struct att_name n;
	struct att_err err = {0};
	const char *s = "Dr. Salim Trading S.A. de C.V.";

	(void)state;
	expect("SALIM S.A.", "salim sa");
	expect("H.L.P. Ltd", "hlp ltd");
	expect("J. Smith", "j smith");
	expect("U.S.A", "usa");
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_int_equal(n.ntok, 6);
	assert_true(n.tok[0].flags & ATT_TOK_PARTICLE);  /* dr */
	assert_false(n.tok[1].flags & ATT_TOK_PARTICLE); /* salim */
	assert_true(n.tok[3].flags & ATT_TOK_PARTICLE);  /* sa */
	assert_true(n.tok[5].flags & ATT_TOK_PARTICLE);  /* cv */
	expect("عبد الحق", "bd hq");
	expect("عبدالولی", "bdlvl");
	expect("عوض", "vz");
	expect("ځدران", "zdrn");
	expect("ٹوپی", "tb");
	/* Latin c keeps its own class in the skeleton (j, s or k by language) */
	assert_int_equal(att_name_normalize("Lounici", 7, &n, &err), ATT_OK);
	assert_string_equal(n.tok[0].skel, "lnc");
}

static void test_patronymic(void **state)
{
	struct att_name n;
	struct att_err err = {0};
	const char *s = "Ilham Heydar oğlu Aliyev";

	(void)state;
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_int_equal(n.ntok, 3);
	assert_string_equal(n.tok[1].text, "heydar");
	assert_true(n.tok[1].flags & ATT_TOK_PATRONYMIC);
	assert_true(n.tok[2].flags & ATT_TOK_FAMILY);
	s = "Mehriban Arif qızı Əliyeva";
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_int_equal(n.ntok, 3);
	assert_true(n.tok[1].flags & ATT_TOK_PATRONYMIC);
	s = "Ильхам Гейдарович Алиев";
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_string_equal(n.tok[1].text, "geydar"); /* stem kept */
	assert_true(n.tok[1].flags & ATT_TOK_PATRONYMIC);
	s = "Анна Сергеевна";
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_string_equal(n.tok[1].text, "sergey");
	assert_true(n.tok[1].flags & ATT_TOK_PATRONYMIC);
	expect("Али оглы Гасанов", "ali gasanov");
	s = "Usama bin Ladin";
	assert_int_equal(att_name_normalize(s, strlen(s), &n, &err), ATT_OK);
	assert_true(n.tok[1].flags & ATT_TOK_PARTICLE);
}

static void test_refusals(void **state)
{
	struct att_name n;
	struct att_err err = {0};
	char big[ATT_NAME_INPUT_MAX + 2];

	(void)state;
	assert_int_equal(att_name_normalize("\xff\xfe", 2, &n, &err), ATT_EINVAL);
	assert_string_equal(err.msg, "name is not valid UTF-8");
	att_err_clear(&err);
	assert_int_equal(att_name_normalize("!!! ---", 7, &n, &err), ATT_EINVAL);
	assert_string_equal(err.msg, "name has no letters");
	memset(big, 'a', sizeof(big));
	assert_int_equal(att_name_normalize(big, sizeof(big), &n, &err), ATT_ELIMIT);
	assert_int_equal(att_name_normalize("a b c d e f g h i j k l m n", 27, &n, &err), ATT_OK);
	assert_int_equal(n.ntok, ATT_NAME_MAX_TOKENS);
	assert_true(n.truncated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_azerbaijani_latin), cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_nfkc_casefold),     cmocka_unit_test(test_arabic_skeleton),
		cmocka_unit_test(test_patronymic),        cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_abbreviations_particles),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	att_match_thread_release();
	return rc;
}
