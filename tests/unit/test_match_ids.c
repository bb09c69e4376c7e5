/* Tests of identifier canonicalisation: valid and invalid vectors for every
 * type, published IBAN / wallet examples, Keccak-256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "attache/match.h"

static void ok(enum att_id_type t, const char *in, const char *want)
{
	char out[ATT_ID_CANON_MAX];
	struct att_err err = {0};
	enum att_rc rc = att_id_canon(t, in, strlen(in), NULL, out, sizeof(out), &err);

	if (rc != ATT_OK)
		fail_msg("%s '%s' refused: %s", att_id_type_name(t), in, err.msg);
	if (strcmp(out, want) != 0)
		fail_msg("%s '%s' = '%s', want '%s'", att_id_type_name(t), in, out, want);
}

static void bad(enum att_id_type t, const char *in, const char *msgpart)
{
	char out[ATT_ID_CANON_MAX];
	struct att_err err = {0};

	if (att_id_canon(t, in, strlen(in), NULL, out, sizeof(out), &err) == ATT_OK)
		fail_msg("%s '%s' accepted as '%s'", att_id_type_name(t), in, out);
	if (!strstr(err.msg, msgpart))
		fail_msg("%s '%s': message '%s' lacks '%s'", att_id_type_name(t), in, err.msg, msgpart);
}

static void test_phone(void **state)
{
	struct att_id_opts o = {0};
	char out[64];
	struct att_err err = {0};
	static const struct {
		const char *cc, *in, *want;
	} nat[] = {
		{"AZ", "(050) 123-45-67", "+994501234567"}, {"AZ", "012 498 00 00", "+994124980000"},
		{"RU", "8 (495) 123-45-67", "+74951234567"}, {"RU", "8 912 345 67 89", "+79123456789"},
		{"TR", "0212 555 12 34", "+902125551234"},  {"GE", "555 12 34 56", "+995555123456"},
		{"IR", "021 8888 1234", "+982188881234"},   {"UA", "044 123 4567", "+380441234567"},
		{"GB", "020 7946 0958", "+442079460958"},    {"DE", "030 1234567", "+49301234567"},
		{"FR", "01 23 45 67 89", "+33123456789"},    {"US", "(202) 555-0123", "+12025550123"},
		{"US", "1 202 555 0123", "+12025550123"},
	};

	(void)state;
	ok(ATT_ID_PHONE, "+994 50 123 45 67", "+994501234567");
	ok(ATT_ID_PHONE, "00994501234567", "+994501234567");
	ok(ATT_ID_PHONE, "+44 (0)20 7946 0958", "+442079460958");
	ok(ATT_ID_PHONE, "+7 495 123-45-67", "+74951234567");
	ok(ATT_ID_PHONE, "+86 10 1234 5678", "+861012345678"); /* not in table: length only */
	for (size_t i = 0; i < sizeof(nat) / sizeof(nat[0]); i++) {
		o.default_country = nat[i].cc;
		att_err_clear(&err);
		if (att_id_canon(ATT_ID_PHONE, nat[i].in, strlen(nat[i].in), &o, out, sizeof(out), &err))
			fail_msg("%s %s: %s", nat[i].cc, nat[i].in, err.msg);
		assert_string_equal(out, nat[i].want);
	}
	bad(ATT_ID_PHONE, "+994 50 123 45", "must have 9 digits");
	bad(ATT_ID_PHONE, "050-123-45-6x", "unexpected character 'x'");
	bad(ATT_ID_PHONE, "123", "must have 9 digits");
	bad(ATT_ID_PHONE, "+1 055 555 0123", "area code");
	bad(ATT_ID_PHONE, "", "empty");
	o.default_country = "ZZ";
	assert_int_equal(att_id_canon(ATT_ID_PHONE, "0501234567", 10, &o, out, sizeof(out), &err),
			 ATT_EINVAL);
}

static void test_iban(void **state)
{
	(void)state;
	ok(ATT_ID_IBAN, "GB82WEST12345698765432", "GB82WEST12345698765432");
	ok(ATT_ID_IBAN, "gb82 west 1234 5698 7654 32", "GB82WEST12345698765432");
	ok(ATT_ID_IBAN, "DE89370400440532013000", "DE89370400440532013000");
	ok(ATT_ID_IBAN, "AZ21NABZ00000000137010001944", "AZ21NABZ00000000137010001944");
	ok(ATT_ID_IBAN, "FR1420041010050500013M02606", "FR1420041010050500013M02606");
	bad(ATT_ID_IBAN, "GB82WEST12345698765433", "mod-97");
	bad(ATT_ID_IBAN, "GB82WEST1234569876543", "must have 22 characters");
	bad(ATT_ID_IBAN, "ZZ82WEST12345698765432", "not an IBAN country");
	bad(ATT_ID_IBAN, "GB82-WEST-1234#", "unexpected character");
}

static void test_email_domain_url(void **state)
{
	(void)state;
	ok(ATT_ID_EMAIL, "Foo.Bar@Example.COM", "foo.bar@example.com");
	ok(ATT_ID_EMAIL, "user@bücher.de", "user@xn--bcher-kva.de");
	bad(ATT_ID_EMAIL, "no-at-sign", "no '@'");
	bad(ATT_ID_EMAIL, "a..b@example.com", "misplaced dot");
	bad(ATT_ID_EMAIL, "a b@example.com", "invalid character");
	bad(ATT_ID_EMAIL, "user@localhost", "not a domain name");
	ok(ATT_ID_DOMAIN, "WWW.BBC.CO.UK.", "bbc.co.uk");
	ok(ATT_ID_DOMAIN, "mail.example.com", "example.com");
	ok(ATT_ID_DOMAIN, "президент.рф", "xn--d1abbgf6aiiy.xn--p1ai");
	bad(ATT_ID_DOMAIN, "co.uk", "public suffix");
	bad(ATT_ID_DOMAIN, "exa mple.com", "");
	bad(ATT_ID_DOMAIN, "-bad-.com", "");
	ok(ATT_ID_URL, "https://user:pw@www.Example.com:8443/a?b#c", "example.com");
	ok(ATT_ID_URL, "www.example.org/path", "example.org");
	ok(ATT_ID_URL, "http://192.0.2.7:8080/x", "192.0.2.7");
	ok(ATT_ID_URL, "http://[2001:db8::1]/", "2001:db8::1");
	bad(ATT_ID_URL, "http:///nohost", "no host");
	bad(ATT_ID_URL, "http://example.com:80x/", "port");
}

static void test_ip_cidr(void **state)
{
	(void)state;
	ok(ATT_ID_IP, "192.0.2.1", "192.0.2.1");
	ok(ATT_ID_IP, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	ok(ATT_ID_IP, "::ffff:192.0.2.1", "192.0.2.1");
	bad(ATT_ID_IP, "256.1.1.1", "not an IPv4 or IPv6");
	bad(ATT_ID_IP, "1.2.3", "not an IPv4 or IPv6");
	ok(ATT_ID_CIDR, "10.1.2.3/8", "10.0.0.0/8");
	ok(ATT_ID_CIDR, "192.0.2.0/24", "192.0.2.0/24");
	ok(ATT_ID_CIDR, "2001:db8:abcd::/32", "2001:db8::/32");
	bad(ATT_ID_CIDR, "10.0.0.0/33", "exceeds 32");
	bad(ATT_ID_CIDR, "10.0.0.0", "ADDRESS/PREFIX");
	bad(ATT_ID_CIDR, "10.0.0.0/x", "not a number");
}

static void test_wallets(void **state)
{
	unsigned char h[32];
	char hex[65];

	(void)state;
	ok(ATT_ID_BTC, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
	ok(ATT_ID_BTC, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
	ok(ATT_ID_BTC, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
	   "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
	ok(ATT_ID_BTC, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
	   "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
	ok(ATT_ID_BTC, "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
	   "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297");
	bad(ATT_ID_BTC, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "checksum");
	bad(ATT_ID_BTC, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0", "non-base58");
	bad(ATT_ID_BTC, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", "checksum");
	bad(ATT_ID_BTC, "bc1qAr0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "mixes");
	ok(ATT_ID_ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	   "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	ok(ATT_ID_ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
	   "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	ok(ATT_ID_ETH, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	   "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
	bad(ATT_ID_ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55");
	bad(ATT_ID_ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "40 hex");
	bad(ATT_ID_ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "non-hex");
	/* Keccak-256 of the empty string */
	att_keccak256("", 0, h);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	assert_string_equal(hex, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

static void test_document(void **state)
{
	enum att_id_type t;

	(void)state;
	ok(ATT_ID_DOCUMENT, "c 1234567", "C1234567");
	ok(ATT_ID_DOCUMENT, "AA-12/34.56", "AA123456");
	bad(ATT_ID_DOCUMENT, "12#4", "only letters");
	bad(ATT_ID_DOCUMENT, "1-2", "at least 3");
	assert_true(att_id_type_parse("iban", &t));
	assert_int_equal(t, ATT_ID_IBAN);
	assert_false(att_id_type_parse("passport", &t));
	assert_string_equal(att_id_type_name(ATT_ID_DOCUMENT), "document");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone),   cmocka_unit_test(test_iban),
		cmocka_unit_test(test_email_domain_url), cmocka_unit_test(test_ip_cidr),
		cmocka_unit_test(test_wallets), cmocka_unit_test(test_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
