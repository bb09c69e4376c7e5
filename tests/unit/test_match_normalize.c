/* Tests of the name normaliser: NFKC + casefold, transliteration of
 * Azerbaijani and Russian Cyrillic, Arabic/Persian skeletons, folding,
 * patronymics, limits. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "attache/match.h"
#include "match/match_int.h"

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

/* s read by the table of Han readings and by ICU alone: the same tokens */
static void same_both_ways(const char *s, size_t len)
{
	struct att_name a, b;
	struct att_err ea = {0}, eb = {0};
	enum att_rc ra, rb;

	ra = att_name_normalize(s, len, &a, &ea);
	att_name_force_icu(true);
	rb = att_name_normalize(s, len, &b, &eb);
	att_name_force_icu(false);
	if (ra != rb || (ra == ATT_OK && (a.ntok != b.ntok || a.truncated != b.truncated ||
					  memcmp(a.tok, b.tok, a.ntok * sizeof(a.tok[0])) != 0)))
		fail_msg("the Han table and ICU differ on '%.*s'", (int)len, s);
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* A random ideograph: mostly the common block, some of extension A and B,
 * and the characters that Han-Latin reads in context (藏文 zàng wén, 重庆
 * chóng qìng, 沈阳 shěn yáng, 秘鲁 bì lǔ), which the table leaves to ICU. */
static uint32_t ideograph(unsigned long long *r)
{
	static const uint32_t ctx[] = {0x85CF, 0x6587, 0x91CD, 0x5E86,
				       0x6C88, 0x9633, 0x79D8, 0x9C81};

	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	switch (*r % 16) {
	case 0:
		return ctx[*r / 16 % 8];
	case 1:
		return 0x3400 + (uint32_t)(*r / 16 % 0x19C0);
	case 2:
		return 0x20000 + (uint32_t)(*r / 16 % 0xA6E0);
	default:
		return 0x4E00 + (uint32_t)(*r / 16 % 0x51A0);
	}
}

/* Han-Latin's reading of each ideograph comes from a table made of its
 * rules (ICU takes 15-25 us a character to find one): every character the
 * table reads, and runs of them, give the tokens ICU gives. */
static void test_han_table(void **state)
{
	char buf[1100];
	unsigned long long r = 0x9E3779B97F4A7C15ull;

	(void)state;
	/* the table was made (ICU 72 reads 44,090 characters) */
	assert_true(att_name_han_readings() > 20000);
	/* every code point of its range, 12 to a name */
	for (uint32_t c = 0x2E80; c < 0x32000;) {
		size_t len = 0;

		for (int k = 0; k < 12 && c < 0x32000; c++) {
			if ((c >= 0xD800 && c <= 0xDFFF) || (c >= 0xFDD0 && c <= 0xFDEF) ||
			    (c & 0xFFFE) == 0xFFFE)
				continue;
			len += put_utf8(buf + len, c);
			buf[len++] = ' ';
			k++;
		}
		same_both_ways(buf, len);
	}
	/* runs of up to six, read whole (a token keeps 40 letters), and
	 * runs around the 500 code units a token may take */
	for (int i = 0; i < 3000; i++) {
		size_t len = 0, n = i < 2500 ? 1 + (size_t)i % 6 : 70 + (size_t)i % 59;

		for (size_t k = 0; k < n; k++)
			len += put_utf8(buf + len, ideograph(&r));
		same_both_ways(buf, len);
	}
	/* read to exactly the 500 code units a token may take (ICU: just
	 * fits), and one more ideograph (over: no token) */
	{
		static const char at500[] =
			"釆壁暜驟珰饹螧嵩礱権訦鷴鶃獔鞰嵓佛栤懃疧癉劦渪臹尔疥鑢倌夥堻栋鳫苽傧楊壭氠狱桖"
			"靑輛瑽靅躞駑惵深鬭笚膴狔獣噚拾坜摯媤鶿晻旉矺傆蒵峷猭濿查配铱刻語蘌颸口險钊曘暛"
			"憷鏲驏嚋襕努變銲褙頮扱熔翷豫鐚蚬正楇墬蕈岔依妃餲垩吼伕偓髆柭裮繽締唽蜈椵秧钒緧"
			"攀廀鉘墔邸僄亮饤渧槵";
		char more[sizeof(at500) + 3];

		same_both_ways(at500, strlen(at500));
		memcpy(more, at500, strlen(at500));
		memcpy(more + strlen(at500), "口", 3);
		same_both_ways(more, strlen(at500) + 3);
	}
	/* with other words, and mixed in one */
	same_both_ways("毛泽东 Mao Zedong", strlen("毛泽东 Mao Zedong"));
	same_both_ways("毛Zedong 藏文 重庆人", strlen("毛Zedong 藏文 重庆人"));
	expect("毛泽东", "maozedong");
	expect("習近平", "xijinping");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_azerbaijani_latin), cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_nfkc_casefold),     cmocka_unit_test(test_arabic_skeleton),
		cmocka_unit_test(test_patronymic),        cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_abbreviations_particles),
		cmocka_unit_test(test_han_table),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	att_match_thread_release();
	return rc;
}
