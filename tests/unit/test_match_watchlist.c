/* Tests of the watchlist parsers: UN XML, OFAC SDN CSV (sdn + alt), generic
 * CSV; malformed, hostile and oversized inputs refused with nothing emitted;
 * the real lists from ATT_TESTDATA when present. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "attache/match.h"

struct got {
	size_t n, aliases, orig, dobs, nats, docs, persons;
	char first_name[256], first_id[64], first_dob[16], first_nat[64], first_doc[64];
	char alias0[256], quality0[32];
	int fail_at; /* callback fails on this entry (1-based), 0 never */
};

static enum att_rc cb(void *ctx, const struct att_wl_entry *e)
{
	struct got *g = ctx;

	g->n++;
	if (g->fail_at && (int)g->n == g->fail_at)
		return ATT_EIO;
	if (g->n == 1) {
		snprintf(g->first_name, sizeof(g->first_name), "%s", e->name);
		snprintf(g->first_id, sizeof(g->first_id), "%s", e->id);
		if (e->ndobs)
			snprintf(g->first_dob, sizeof(g->first_dob), "%s", e->dobs[0]);
		if (e->nnationalities)
			snprintf(g->first_nat, sizeof(g->first_nat), "%s", e->nationalities[0]);
		if (e->ndocuments)
			snprintf(g->first_doc, sizeof(g->first_doc), "%s", e->documents[0]);
		if (e->naliases) {
			snprintf(g->alias0, sizeof(g->alias0), "%s", e->aliases[0].name);
			snprintf(g->quality0, sizeof(g->quality0), "%s",
				 e->aliases[0].quality ? e->aliases[0].quality : "");
		}
	}
	g->persons += e->kind == ATT_WL_PERSON;
	g->aliases += e->naliases;
	for (size_t i = 0; i < e->naliases; i++)
		g->orig += e->aliases[i].original_script;
	g->dobs += e->ndobs;
	g->nats += e->nnationalities;
	g->docs += e->ndocuments;
	return ATT_OK;
}

static const char un_ok[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<CONSOLIDATED_LIST>\n"
	" <INDIVIDUALS>\n"
	"  <INDIVIDUAL>\n"
	"   <DATAID>6908001</DATAID><REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>\n"
	"   <FIRST_NAME>ABU BAKR</FIRST_NAME><SECOND_NAME>AL-BAGHDADI</SECOND_NAME>\n"
	"   <NAME_ORIGINAL_SCRIPT>أبو بكر البغدادي</NAME_ORIGINAL_SCRIPT>\n"
	"   <NATIONALITY><VALUE>Iraq</VALUE></NATIONALITY>\n"
	"   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ibrahim Awwad</ALIAS_NAME></INDIVIDUAL_ALIAS>\n"
	"   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Duaa</ALIAS_NAME></INDIVIDUAL_ALIAS>\n"
	"   <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>\n"
	"   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1971-07-28</DATE></INDIVIDUAL_DATE_OF_BIRTH>\n"
	"   <INDIVIDUAL_DATE_OF_BIRTH><YEAR>1971</YEAR></INDIVIDUAL_DATE_OF_BIRTH>\n"
	"   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>A123</NUMBER></INDIVIDUAL_DOCUMENT>\n"
	"  </INDIVIDUAL>\n"
	" </INDIVIDUALS>\n"
	" <ENTITIES>\n"
	"  <ENTITY><DATAID>110</DATAID><FIRST_NAME>AL-QAIDA</FIRST_NAME>\n"
	"   <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>The Base</ALIAS_NAME></ENTITY_ALIAS>\n"
	"  </ENTITY>\n"
	" </ENTITIES>\n"
	"</CONSOLIDATED_LIST>\n";

static void test_un_xml(void **state)
{
	struct got g = {0};
	struct att_err err = {0};

	(void)state;
	assert_int_equal(att_wl_parse_un_xml(un_ok, strlen(un_ok), 1 << 20, cb, &g, &err), ATT_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.persons, 1);
	assert_string_equal(g.first_id, "6908001");
	assert_string_equal(g.first_name, "ABU BAKR AL-BAGHDADI");
	assert_string_equal(g.first_dob, "1971-07-28");
	assert_string_equal(g.first_nat, "Iraq");
	assert_string_equal(g.first_doc, "Passport A123");
	assert_string_equal(g.alias0, "أبو بكر البغدادي");
	assert_int_equal(g.orig, 1);
	assert_int_equal(g.aliases, 4); /* the empty alias is skipped */
	assert_int_equal(g.dobs, 2);
}

static void refused_xml(const char *xml, enum att_rc want, const char *msgpart)
{
	struct got g = {0};
	struct att_err err = {0};

	assert_int_equal(att_wl_parse_un_xml(xml, strlen(xml), 1 << 20, cb, &g, &err), want);
	assert_int_equal(g.n, 0); /* nothing half-emitted */
	if (!strstr(err.msg, msgpart))
		fail_msg("message '%s' lacks '%s'", err.msg, msgpart);
}

static void test_un_xml_refused(void **state)
{
	char *half;
	struct got g = {0};
	struct att_err err = {0};

	(void)state;
	refused_xml("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
		    "<FIRST_NAME>X</FIRST_NAME></INDIVIDUAL><INDIVIDUAL>",
		    ATT_EINVAL, "line 1");
	refused_xml("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n<CONSOLIDATED_LIST>&lol2;</CONSOLIDATED_LIST>",
		    ATT_EINVAL, "DOCTYPE");
	refused_xml("<?xml version=\"1.0\"?>\n<!DOCTYPE x SYSTEM \"http://example.com/x.dtd\">\n<x/>",
		    ATT_EINVAL, "DOCTYPE");
	refused_xml("<OTHER/>", ATT_EINVAL, "CONSOLIDATED_LIST");
	refused_xml("<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>X</FIRST_NAME>"
		    "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
		    ATT_EINVAL, "line 2: INDIVIDUAL without DATAID");
	refused_xml("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
		    "<FIRST_NAME>OK</FIRST_NAME></INDIVIDUAL>\n<INDIVIDUAL><DATAID>2</DATAID>"
		    "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
		    ATT_EINVAL, "has no name");
	refused_xml("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
		    "<FIRST_NAME>OK</FIRST_NAME><INDIVIDUAL_DATE_OF_BIRTH><DATE>last year</DATE>"
		    "</INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
		    ATT_EINVAL, "not a date");
	assert_int_equal(att_wl_parse_un_xml(un_ok, strlen(un_ok), 100, cb, &g, &err), ATT_ELIMIT);
	assert_int_equal(g.n, 0);
	/* deep nesting is refused by the parser's own limit */
	half = malloc(300000 * 3 + 64);
	assert_non_null(half);
	memcpy(half, "<CONSOLIDATED_LIST>", 19);
	for (size_t i = 0; i < 300000; i++)
		memcpy(half + 19 + 3 * i, "<a>", 3);
	half[19 + 900000] = 0;
	assert_int_equal(att_wl_parse_un_xml(half, strlen(half), 1 << 22, cb, &g, &err), ATT_EINVAL);
	assert_int_equal(g.n, 0);
	free(half);
	/* a failing callback stops the emission and its code is returned */
	g.fail_at = 1;
	assert_int_equal(att_wl_parse_un_xml(un_ok, strlen(un_ok), 1 << 20, cb, &g, &err), ATT_EIO);
	assert_int_equal(g.n, 1);
}

static const char sdn_ok[] =
	"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
	"7390,\"ALIYEV, Ilham\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
	"\"DOB 24 Dec 1961; POB Baku; nationality Azerbaijan; Passport C123.\"\r\n"
	"\x1a";
static const char alt_ok[] =
	"36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n"
	"7390,99,\"aka\",\"ALIEV, Ilham Heydar ogly\",-0- \r\n"
	"9999,100,\"aka\",\"ORPHAN\",-0- \r\n";

static enum att_rc cb_aliases(void *ctx, const struct att_wl_entry *e)
{
	char *out = ctx;

	for (size_t i = 0; i < e->naliases; i++) {
		size_t l = strlen(out);

		snprintf(out + l, 1024 - l, "%s[%s]|", e->aliases[i].name,
			 e->aliases[i].quality ? e->aliases[i].quality : "");
	}
	return ATT_OK;
}

/* One ALIAS_NAME holding several names (the UN list does this) gives one
 * alias per name, with the quality of the element. */
static void test_un_xml_alias_split(void **state)
{
	static const char xml[] =
		"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>"
		"<DATAID>1</DATAID><FIRST_NAME>QASEM</FIRST_NAME><SECOND_NAME>SOLEIMANI</SECOND_NAME>"
		"<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Qasim Soleimani; Qasem "
		"Sulaimani;  ;Kasim Sulaymani </ALIAS_NAME></INDIVIDUAL_ALIAS>"
		"<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Mohammad Sabet b) M. Javad "
		"Sabet</ALIAS_NAME></INDIVIDUAL_ALIAS>"
		"</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>";
	char out[1024] = "";
	struct att_err err = {0};

	(void)state;
	assert_int_equal(att_wl_parse_un_xml(xml, strlen(xml), 1 << 20, cb_aliases, out, &err),
			 ATT_OK);
	assert_string_equal(out, "Qasim Soleimani[Good]|Qasem Sulaimani[Good]|Kasim Sulaymani[Good]|"
				 "Mohammad Sabet[Low]|M. Javad Sabet[Low]|");
}

static void test_ofac(void **state)
{
	struct got g = {0};
	struct att_err err = {0};
	const char *bad1 = "36,\"UNTERMINATED,-0-\n";
	const char *bad2 = "x36,\"NAME\",-0-\n";

	(void)state;
	assert_int_equal(att_wl_parse_ofac_csv(sdn_ok, strlen(sdn_ok), alt_ok, strlen(alt_ok),
					       1 << 20, cb, &g, &err), ATT_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.first_name, "AEROCARIBBEAN AIRLINES");
	assert_string_equal(g.alias0, "AERO-CARIBBEAN");
	assert_string_equal(g.quality0, "aka");
	assert_int_equal(g.aliases, 2);
	assert_int_equal(g.persons, 1);
	assert_int_equal(g.dobs, 1);
	assert_int_equal(g.nats, 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(att_wl_parse_ofac_csv(bad1, strlen(bad1), NULL, 0, 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "line 1: unterminated"));
	att_err_clear(&err);
	assert_int_equal(att_wl_parse_ofac_csv(bad2, strlen(bad2), NULL, 0, 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "not a number"));
	att_err_clear(&err);
	assert_int_equal(att_wl_parse_ofac_csv(sdn_ok, strlen(sdn_ok), "1,2\n", 4, 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "alt.csv line 1"));
	assert_int_equal(att_wl_parse_ofac_csv(sdn_ok, strlen(sdn_ok), NULL, 0, 10, cb, &g, &err), ATT_ELIMIT);
	assert_int_equal(att_wl_parse_ofac_csv("1,\"\xff\",-0-\n", 10, NULL, 0, 100, cb, &g, &err), ATT_EINVAL);
	assert_int_equal(g.n, 0);
}

static void test_generic_csv(void **state)
{
	struct got g = {0};
	struct att_err err = {0};
	const char *ok = "name,aliases,dob,nationality,type,id\n"
			 "Rəşad Məmmədov,Rashad Mamedov;Рашад Мамедов,1980-05-01,AZ,person,p1\n"
			 "\"Acme, Ltd\",,,,org,o1\n";
	const char *bad_dob = "name,aliases,dob,nationality,type,id\nX,,1980-15-01,,,\n";
	const char *bad_hdr = "nom,aliases,dob,nationality,type,id\n";
	const char *bad_type = "name,aliases,dob,nationality,type,id\nX,,,,ship,\n";
	const char *bad_cols = "name,aliases,dob,nationality,type,id\nA,,,,,\nB,,\n";

	(void)state;
	assert_int_equal(att_wl_parse_csv(ok, strlen(ok), 1 << 20, cb, &g, &err), ATT_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.first_name, "Rəşad Məmmədov");
	assert_string_equal(g.first_id, "p1");
	assert_string_equal(g.first_dob, "1980-05-01");
	assert_int_equal(g.aliases, 2);
	assert_int_equal(g.persons, 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(att_wl_parse_csv(bad_dob, strlen(bad_dob), 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "line 2: dob"));
	att_err_clear(&err);
	assert_int_equal(att_wl_parse_csv(bad_hdr, strlen(bad_hdr), 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "column 1 must be 'name'"));
	att_err_clear(&err);
	assert_int_equal(att_wl_parse_csv(bad_type, strlen(bad_type), 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "not person or org"));
	att_err_clear(&err);
	assert_int_equal(att_wl_parse_csv(bad_cols, strlen(bad_cols), 1 << 20, cb, &g, &err), ATT_EINVAL);
	assert_non_null(strstr(err.msg, "line 3: 3 fields"));
	assert_int_equal(att_wl_parse_csv("", 0, 100, cb, &g, &err), ATT_EINVAL);
	assert_int_equal(att_wl_parse_csv(ok, strlen(ok), 10, cb, &g, &err), ATT_ELIMIT);
	assert_int_equal(g.n, 0);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_real_lists(void **state)
{
	const char *dir = getenv("ATT_TESTDATA");
	size_t ul, sl, al;
	char *un, *sdn, *alt;
	struct got g = {0};
	struct att_err err = {0};

	(void)state;
	if (!dir || !(un = slurp(dir, "un_consolidated.xml", &ul)))
		skip();
	assert_int_equal(att_wl_parse_un_xml(un, ul, 64u << 20, cb, &g, &err), ATT_OK);
	assert_int_equal(g.n, 730 + 273);
	assert_int_equal(g.persons, 730);
	assert_true(g.orig > 100);
	assert_true(g.dobs > 600);
	free(un);
	sdn = slurp(dir, "ofac_sdn_2019.csv", &sl);
	alt = slurp(dir, "ofac_alt_2019.csv", &al);
	assert_non_null(sdn);
	assert_non_null(alt);
	memset(&g, 0, sizeof(g));
	if (att_wl_parse_ofac_csv(sdn, sl, alt, al, 64u << 20, cb, &g, &err) != ATT_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(g.n, 7379);
	assert_true(g.aliases > 5000);
	assert_true(g.dobs > 2000);
	free(sdn);
	free(alt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_un_xml),      cmocka_unit_test(test_un_xml_refused),
		cmocka_unit_test(test_un_xml_alias_split),
		cmocka_unit_test(test_ofac),        cmocka_unit_test(test_generic_csv),
		cmocka_unit_test(test_real_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
