/* Identifier canonicalisation and validation: phone (E.164), IBAN, email,
 * IP and CIDR, domain and URL, Bitcoin and Ethereum wallets, document
 * numbers. Every refusal says why. */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>
#include <sodium.h>

#include "attache/match.h"
#include "match_int.h"
#include "util.h"
#include "banned.h"

static const char *const type_names[ATT_ID__COUNT] = {
	"phone", "iban", "email", "ip", "cidr", "domain", "url", "btc", "eth", "document",
};

bool att_id_type_parse(const char *s, enum att_id_type *t)
{
	for (int i = 0; s && i < ATT_ID__COUNT; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum att_id_type)i;
			return true;
		}
	return false;
}

const char *att_id_type_name(enum att_id_type t)
{
	return (unsigned)t < ATT_ID__COUNT ? type_names[t] : "?";
}

static enum att_rc put(char *out, size_t outsz, const char *s, struct att_err *err)
{
	size_t n = strlen(s);

	if (n + 1 > outsz)
		return att_fail(err, ATT_ELIMIT, "canonical form is too long");
	memcpy(out, s, n + 1);
	return ATT_OK;
}

/* ----------------------------------------------------------------- phone -- */

struct country {
	const char cc[3];
	const char code[4];
	const char trunk[2];
	uint8_t nmin, nmax;
};

static const struct country countries[] = {
	{"AZ", "994", "0", 9, 9},  {"RU", "7", "8", 10, 10},  {"TR", "90", "0", 10, 10},
	{"GE", "995", "0", 9, 9},  {"IR", "98", "0", 10, 10}, {"UA", "380", "0", 9, 9},
	{"GB", "44", "0", 9, 10},  {"DE", "49", "0", 6, 13},  {"FR", "33", "0", 9, 9},
	{"US", "1", "1", 10, 10},
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static enum att_rc canon_phone(const char *in, size_t len, const struct att_id_opts *o,
			       char *out, size_t outsz, struct att_err *err)
{
	char d[32];
	size_t nd = 0;
	bool plus = false;
	const char *dc = o && o->default_country ? o->default_country : "AZ";
	const struct country *c = NULL;
	char buf[40];

	for (size_t i = 0; i < len; i++) {
		char ch = in[i];

		if (ch >= '0' && ch <= '9') {
			if (nd >= sizeof(d) - 1)
				return att_fail(err, ATT_EINVAL, "phone number has too many digits");
			d[nd++] = ch;
		} else if (ch == '+' && nd == 0 && !plus) {
			plus = true;
		} else if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')' &&
			   ch != '/') {
			return att_fail(err, ATT_EINVAL,
					"phone number has an unexpected character '%c'", ch);
		}
	}
	d[nd] = 0;
	if (nd == 0)
		return att_fail(err, ATT_EINVAL, "phone number has no digits");
	for (size_t i = 0; i < NCOUNTRIES; i++)
		if (strcasecmp(dc, countries[i].cc) == 0)
			c = &countries[i];
	if (!plus) {
		if (strncmp(d, "00", 2) == 0) {
			memmove(d, d + 2, nd - 1);
			nd -= 2;
			plus = true;
		} else if (c && strcmp(c->cc, "US") == 0 && strncmp(d, "011", 3) == 0) {
			memmove(d, d + 3, nd - 2);
			nd -= 3;
			plus = true;
		} else if (c && strcmp(c->cc, "RU") == 0 && strncmp(d, "810", 3) == 0) {
			memmove(d, d + 3, nd - 2);
			nd -= 3;
			plus = true;
		}
	}
	if (plus) {
		const struct country *k = NULL;
		const char *nsn;

		for (size_t i = 0; i < NCOUNTRIES; i++) {
			size_t l = strlen(countries[i].code);

			if (strncmp(d, countries[i].code, l) == 0 &&
			    (!k || strlen(k->code) < l))
				k = &countries[i];
		}
		if (d[0] == '0')
			return att_fail(err, ATT_EINVAL, "country code cannot start with 0");
		if (k) {
			size_t l = strlen(k->code), nn;

			nsn = d + l;
			/* "+44 (0)20 ..." : a trunk 0 written after the code */
			if (nsn[0] == '0' && strcmp(k->cc, "US") != 0 && strcmp(k->cc, "RU") != 0)
				nsn++;
			nn = strlen(nsn);
			if (nn < k->nmin || nn > k->nmax) {
				char range[16];

				if (k->nmin == k->nmax)
					snprintf(range, sizeof(range), "%u", k->nmin);
				else
					snprintf(range, sizeof(range), "%u-%u", k->nmin, k->nmax);
				return att_fail(err, ATT_EINVAL,
						"phone number for %s must have %s digits after +%s, not %zu",
						k->cc, range, k->code, nn);
			}
			snprintf(buf, sizeof(buf), "+%s%s", k->code, nsn);
			if (strcmp(k->cc, "US") == 0 && (nsn[0] < '2'))
				return att_fail(err, ATT_EINVAL, "US area code cannot start with %c", nsn[0]);
		} else {
			if (nd < 8 || nd > 15)
				return att_fail(err, ATT_EINVAL,
						"international number must have 8 to 15 digits, not %zu", nd);
			snprintf(buf, sizeof(buf), "+%s", d);
		}
		return put(out, outsz, buf, err);
	}
	if (!c)
		return att_fail(err, ATT_EINVAL,
				"no national phone format for default country '%s' (AZ RU TR GE IR UA GB DE FR US); use +code",
				dc);
	{
		const char *nsn = d;
		size_t nn;

		if (strcmp(c->cc, "US") == 0) {
			if (nd == 11 && d[0] == '1')
				nsn++;
		} else if (d[0] == c->trunk[0]) {
			nsn++;
		} else if (strcmp(c->cc, "GE") != 0 && strcmp(c->cc, "RU") != 0 &&
			   nd > c->nmin) {
			return att_fail(err, ATT_EINVAL,
					"national number for %s must start with trunk prefix %s or +%s",
					c->cc, c->trunk, c->code);
		}
		if (strcmp(c->cc, "RU") == 0 && nd == 11 && d[0] == '7')
			nsn++;
		nn = strlen(nsn);
		if (nn < c->nmin || nn > c->nmax)
			return att_fail(err, ATT_EINVAL,
					"national number for %s must have %u digits after the trunk prefix, not %zu",
					c->cc, c->nmin, nn);
		if (strcmp(c->cc, "US") == 0 && nsn[0] < '2')
			return att_fail(err, ATT_EINVAL, "US area code cannot start with %c", nsn[0]);
		snprintf(buf, sizeof(buf), "+%s%s", c->code, nsn);
		return put(out, outsz, buf, err);
	}
}

/* ------------------------------------------------------------------ iban -- */

static const struct {
	char cc[3];
	uint8_t len;
} iban_len[] = {
	{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
	{"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
	{"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
	{"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
	{"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21},
	{"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30},
	{"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
	{"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
	{"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23},
	{"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
	{"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24},
	{"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26},
	{"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

static enum att_rc canon_iban(const char *in, size_t len, char *out, size_t outsz,
			      struct att_err *err)
{
	char s[40];
	size_t n = 0;
	unsigned rem = 0;
	int want = -1;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '-')
			continue;
		if (!isalnum((unsigned char)c))
			return att_fail(err, ATT_EINVAL, "IBAN has an unexpected character '%c'", c);
		if (n >= 34)
			return att_fail(err, ATT_EINVAL, "IBAN is longer than 34 characters");
		s[n++] = (char)toupper((unsigned char)c);
	}
	s[n] = 0;
	if (n < 5 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
		return att_fail(err, ATT_EINVAL,
				"IBAN must start with a country code and two check digits");
	for (size_t i = 0; i < sizeof(iban_len) / sizeof(iban_len[0]); i++)
		if (memcmp(iban_len[i].cc, s, 2) == 0)
			want = iban_len[i].len;
	if (want < 0)
		return att_fail(err, ATT_EINVAL, "IBAN country %.2s is not an IBAN country", s);
	if ((size_t)want != n)
		return att_fail(err, ATT_EINVAL, "IBAN for %.2s must have %d characters, not %zu",
				s, want, n);
	for (size_t k = 0; k < n; k++) {
		char c = s[(k + 4) % n];

		if (isdigit((unsigned char)c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
	}
	if (rem != 1)
		return att_fail(err, ATT_EINVAL, "IBAN check digits are wrong (mod-97 check failed)");
	return put(out, outsz, s, err);
}

/* ------------------------------------------------------- domain and URL -- */

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_init(void)
{
	psl = psl_builtin();
	if (!psl)
		psl = psl_latest(NULL);
}

/* Host name → lowercase A-labels, validated. */
/* True when every label of s is plain ASCII letters, digits and hyphens
 * and none has hyphens in its third and fourth places. */
static bool ldh_plain(const char *s, size_t len)
{
	for (size_t st = 0, i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			char c = s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				return false;
			continue;
		}
		if (i - st >= 4 && s[st + 2] == '-' && s[st + 3] == '-')
			return false;
		st = i + 1;
	}
	return true;
}

static enum att_rc host_canon(const char *in, size_t len, char *out, size_t outsz,
			      struct att_err *err)
{
	char tmp[300];
	char *a = NULL;
	int rc;
	size_t n, lab = 0, nlabels = 1;
	bool alldigit = true;

	if (len == 0)
		return att_fail(err, ATT_EINVAL, "domain is empty");
	if (len >= sizeof(tmp))
		return att_fail(err, ATT_EINVAL, "domain is longer than 253 characters");
	memcpy(tmp, in, len);
	tmp[len] = 0;
	if (len > 1 && tmp[len - 1] == '.')
		tmp[--len] = 0;
	if (!att_utf8_valid(tmp, len))
		return att_fail(err, ATT_EINVAL, "domain is not valid UTF-8");
	/* Letters, digits, dots and hyphens only, no label of the form
	 * "??--" (A-labels, reserved): IDNA leaves such a name as it is, so
	 * it is copied (and lower-cased below) without the library's work,
	 * most of a message's canonicalisation time. */
	if (ldh_plain(tmp, len))
		rc = (a = strdup(tmp)) ? IDN2_OK : IDN2_MALLOC;
	else
		rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&a,
				    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc == IDN2_MALLOC)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (rc != IDN2_OK) {
		rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&a,
				    IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
		if (rc != IDN2_OK)
			return att_fail(err, ATT_EINVAL, "domain '%s' is not a valid IDNA name: %s",
					tmp, idn2_strerror(rc));
	}
	n = strlen(a);
	for (size_t i = 0; i <= n; i++) {
		char c = a[i];

		if (c == '.' || c == 0) {
			if (lab == 0 || lab > 63 || a[i - 1] == '-') {
				idn2_free(a);
				return att_fail(err, ATT_EINVAL,
						"domain '%s' has an empty, too long or badly ended label", tmp);
			}
			if (c == '.') {
				nlabels++;
				alldigit = true;
			}
			lab = 0;
			continue;
		}
		a[i] = c = (char)tolower((unsigned char)c);
		if (!(isalnum((unsigned char)c) || (c == '-' && lab > 0)) ) {
			idn2_free(a);
			return att_fail(err, ATT_EINVAL, "domain '%s' has an invalid character", tmp);
		}
		if (!isdigit((unsigned char)c))
			alldigit = false;
		lab++;
	}
	if (nlabels < 2 || alldigit || n > 253) {
		idn2_free(a);
		return att_fail(err, ATT_EINVAL, "'%s' is not a domain name (needs a name and a top-level domain)", tmp);
	}
	if (n + 1 > outsz) {
		idn2_free(a);
		return att_fail(err, ATT_ELIMIT, "domain is too long");
	}
	memcpy(out, a, n + 1);
	idn2_free(a);
	return ATT_OK;
}

static enum att_rc canon_domain(const char *in, size_t len, char *out, size_t outsz,
				struct att_err *err)
{
	char host[300];
	const char *reg;
	enum att_rc rc;

	if ((rc = host_canon(in, len, host, sizeof(host), err)) != ATT_OK)
		return rc;
	pthread_once(&psl_once, psl_init);
	if (!psl)
		return put(out, outsz, host, err);
	if (psl_is_public_suffix(psl, host))
		return att_fail(err, ATT_EINVAL, "'%s' is a public suffix, not a registrable domain",
				host);
	reg = psl_registrable_domain(psl, host);
	return put(out, outsz, reg ? reg : host, err);
}

static enum att_rc canon_ip(const char *in, size_t len, char *out, size_t outsz,
			    struct att_err *err);

static enum att_rc canon_url(const char *in, size_t len, char *out, size_t outsz,
			     struct att_err *err)
{
	size_t i = 0, hs, he;
	const char *p;

	for (size_t k = 0; k < len; k++)
		if ((unsigned char)in[k] <= ' ')
			return att_fail(err, ATT_EINVAL, "URL contains whitespace or control characters");
	p = memchr(in, ':', len);
	if (p && (size_t)(p - in) + 2 < len && p[1] == '/' && p[2] == '/') {
		for (const char *q = in; q < p; q++)
			if (!isalnum((unsigned char)*q) && *q != '+' && *q != '-' && *q != '.')
				return att_fail(err, ATT_EINVAL, "URL scheme is malformed");
		if (p == in)
			return att_fail(err, ATT_EINVAL, "URL scheme is empty");
		i = (size_t)(p - in) + 3;
	}
	hs = i;
	while (i < len && in[i] != '/' && in[i] != '?' && in[i] != '#')
		i++;
	he = i;
	/* userinfo */
	for (size_t k = he; k-- > hs;)
		if (in[k] == '@') {
			hs = k + 1;
			break;
		}
	if (hs < he && in[hs] == '[') {
		const char *rb = memchr(in + hs, ']', he - hs);

		if (!rb)
			return att_fail(err, ATT_EINVAL, "URL has an unterminated IPv6 literal");
		return canon_ip(in + hs + 1, (size_t)(rb - in) - hs - 1, out, outsz, err);
	}
	for (size_t k = hs; k < he; k++)
		if (in[k] == ':') {
			for (size_t q = k + 1; q < he; q++)
				if (!isdigit((unsigned char)in[q]))
					return att_fail(err, ATT_EINVAL, "URL port is not a number");
			he = k;
			break;
		}
	if (hs == he)
		return att_fail(err, ATT_EINVAL, "URL has no host");
	{
		struct in_addr a4;
		char h[64];

		if (he - hs < sizeof(h)) {
			memcpy(h, in + hs, he - hs);
			h[he - hs] = 0;
			if (inet_pton(AF_INET, h, &a4) == 1)
				return canon_ip(h, he - hs, out, outsz, err);
		}
	}
	return canon_domain(in + hs, he - hs, out, outsz, err);
}

/* ------------------------------------------------------------ IP / CIDR -- */

static enum att_rc canon_ip(const char *in, size_t len, char *out, size_t outsz,
			    struct att_err *err)
{
	char tmp[64], res[INET6_ADDRSTRLEN];
	unsigned char a[16];

	if (len == 0 || len >= sizeof(tmp))
		return att_fail(err, ATT_EINVAL, "IP address is empty or too long");
	memcpy(tmp, in, len);
	tmp[len] = 0;
	if (inet_pton(AF_INET, tmp, a) == 1) {
		inet_ntop(AF_INET, a, res, sizeof(res));
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(a, mapped, 12) == 0)
			inet_ntop(AF_INET, a + 12, res, sizeof(res));
		else
			inet_ntop(AF_INET6, a, res, sizeof(res));
	} else {
		return att_fail(err, ATT_EINVAL, "'%s' is not an IPv4 or IPv6 address", tmp);
	}
	return put(out, outsz, res, err);
}

static enum att_rc canon_cidr(const char *in, size_t len, char *out, size_t outsz,
			      struct att_err *err)
{
	char tmp[64], res[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
	unsigned char a[16];
	const char *slash;
	unsigned plen = 0, maxlen;
	int af;
	size_t nb;

	if (len == 0 || len >= sizeof(tmp))
		return att_fail(err, ATT_EINVAL, "CIDR is empty or too long");
	memcpy(tmp, in, len);
	tmp[len] = 0;
	slash = strchr(tmp, '/');
	if (!slash || !slash[1] || strlen(slash + 1) > 3)
		return att_fail(err, ATT_EINVAL, "CIDR must be ADDRESS/PREFIX-LENGTH");
	for (const char *p = slash + 1; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return att_fail(err, ATT_EINVAL, "CIDR prefix length is not a number");
		plen = plen * 10 + (unsigned)(*p - '0');
	}
	tmp[slash - tmp] = 0;
	if (inet_pton(AF_INET, tmp, a) == 1) {
		af = AF_INET;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		af = AF_INET6;
		maxlen = 128;
	} else {
		return att_fail(err, ATT_EINVAL, "'%s' is not an IPv4 or IPv6 address", tmp);
	}
	if (plen > maxlen)
		return att_fail(err, ATT_EINVAL, "CIDR prefix length %u exceeds %u", plen, maxlen);
	nb = maxlen / 8;
	for (size_t i = 0; i < nb; i++) {
		unsigned bit = (unsigned)i * 8;

		if (bit >= plen)
			a[i] = 0;
		else if (bit + 8 > plen)
			a[i] &= (unsigned char)(0xff << (8 - (plen - bit)));
	}
	inet_ntop(af, a, res, sizeof(res));
	snprintf(buf, sizeof(buf), "%s/%u", res, plen);
	return put(out, outsz, buf, err);
}

/* ----------------------------------------------------------------- email -- */

static enum att_rc canon_email(const char *in, size_t len, char *out, size_t outsz,
			       struct att_err *err)
{
	const char *at = NULL;
	char local[80], dom[300], buf[400];
	size_t ln;
	enum att_rc rc;

	for (size_t i = 0; i < len; i++)
		if (in[i] == '@')
			at = in + i;
	if (!at)
		return att_fail(err, ATT_EINVAL, "email address has no '@'");
	ln = (size_t)(at - in);
	if (ln == 0 || ln > 64)
		return att_fail(err, ATT_EINVAL, "email local part must have 1 to 64 characters");
	for (size_t i = 0; i < ln; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80)
			continue;
		if (!isalnum(c) && !strchr("!#$%&'*+/=?^_`{|}~.-", c))
			return att_fail(err, ATT_EINVAL, "email local part has an invalid character '%c'", c);
		if (c == '.' && (i == 0 || i + 1 == ln || in[i + 1] == '.'))
			return att_fail(err, ATT_EINVAL, "email local part has a misplaced dot");
		local[i] = (char)tolower(c);
	}
	for (size_t i = 0; i < ln; i++)
		if ((unsigned char)in[i] >= 0x80)
			local[i] = in[i];
	local[ln] = 0;
	if (!att_utf8_valid(local, ln))
		return att_fail(err, ATT_EINVAL, "email local part is not valid UTF-8");
	if ((rc = host_canon(at + 1, len - ln - 1, dom, sizeof(dom), err)) != ATT_OK)
		return rc;
	if (ln + strlen(dom) + 1 > 254)
		return att_fail(err, ATT_EINVAL, "email address is longer than 254 characters");
	snprintf(buf, sizeof(buf), "%s@%s", local, dom);
	return put(out, outsz, buf, err);
}

/* ------------------------------------------------------------------- BTC -- */

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static enum att_rc btc_base58(const char *s, size_t n, char *out, size_t outsz,
			      struct att_err *err)
{
	unsigned char bin[25] = {0}, h1[32], h2[32];
	char buf[64];

	if (n < 26 || n > 35)
		return att_fail(err, ATT_EINVAL, "Bitcoin base58 address must have 26 to 35 characters");
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(b58, s[i]);
		unsigned carry;

		if (!p || !s[i])
			return att_fail(err, ATT_EINVAL, "Bitcoin address has a non-base58 character '%c'", s[i]);
		carry = (unsigned)(p - b58);
		for (size_t k = 25; k-- > 0;) {
			carry += 58u * bin[k];
			bin[k] = (unsigned char)(carry & 0xff);
			carry >>= 8;
		}
		if (carry)
			return att_fail(err, ATT_EINVAL, "Bitcoin address decodes to more than 25 bytes");
	}
	/* leading '1's are leading zero bytes */
	{
		size_t ones = 0, zeros = 0;

		while (ones < n && s[ones] == '1')
			ones++;
		while (zeros < 25 && bin[zeros] == 0)
			zeros++;
		if (ones != zeros && !(zeros > ones))
			return att_fail(err, ATT_EINVAL, "Bitcoin address has a wrong length");
	}
	crypto_hash_sha256(h1, bin, 21);
	crypto_hash_sha256(h2, h1, 32);
	if (memcmp(h2, bin + 21, 4) != 0)
		return att_fail(err, ATT_EINVAL, "Bitcoin address checksum is wrong");
	if (bin[0] != 0x00 && bin[0] != 0x05 && bin[0] != 0x6f && bin[0] != 0xc4)
		return att_fail(err, ATT_EINVAL, "Bitcoin address version 0x%02x is unknown", bin[0]);
	memcpy(buf, s, n);
	buf[n] = 0;
	return put(out, outsz, buf, err);
}

static uint32_t polymod(const unsigned char *v, size_t n)
{
	static const uint32_t g[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;

		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (int k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= g[k];
	}
	return chk;
}

static enum att_rc btc_bech32(const char *s, size_t n, char *out, size_t outsz,
			      struct att_err *err)
{
	char low[100];
	unsigned char v[200];
	size_t sep = 0, nv = 0, hrp, nd;
	bool lower = false, upper = false;
	uint32_t pm;
	unsigned acc = 0, bits = 0, plen = 0;

	if (n > 90)
		return att_fail(err, ATT_EINVAL, "bech32 address is longer than 90 characters");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			lower = true;
		if (c >= 'A' && c <= 'Z')
			upper = true;
		low[i] = (char)tolower((unsigned char)c);
		if (low[i] == '1')
			sep = i;
	}
	low[n] = 0;
	if (lower && upper)
		return att_fail(err, ATT_EINVAL, "bech32 address mixes upper and lower case");
	hrp = sep;
	if (!((hrp == 2 && (memcmp(low, "bc", 2) == 0 || memcmp(low, "tb", 2) == 0)) ||
	      (hrp == 4 && memcmp(low, "bcrt", 4) == 0)))
		return att_fail(err, ATT_EINVAL, "bech32 address must start with bc1 or tb1");
	nd = n - sep - 1;
	if (nd < 6 + 1)
		return att_fail(err, ATT_EINVAL, "bech32 address is too short");
	for (size_t i = 0; i < hrp; i++)
		v[nv++] = (unsigned char)(low[i] >> 5);
	v[nv++] = 0;
	for (size_t i = 0; i < hrp; i++)
		v[nv++] = (unsigned char)(low[i] & 31);
	for (size_t i = sep + 1; i < n; i++) {
		const char *p = strchr(b32, low[i]);

		if (!p || !low[i])
			return att_fail(err, ATT_EINVAL, "bech32 address has an invalid character '%c'", s[i]);
		v[nv++] = (unsigned char)(p - b32);
	}
	pm = polymod(v, nv);
	{
		unsigned ver = v[2 * hrp + 1];
		const unsigned char *d = v + 2 * hrp + 2;
		size_t dn = nd - 1 - 6;

		if (ver > 16)
			return att_fail(err, ATT_EINVAL, "bech32 witness version %u is invalid", ver);
		if ((ver == 0 && pm != 1) || (ver > 0 && pm != 0x2bc830a3))
			return att_fail(err, ATT_EINVAL, "bech32 checksum is wrong (%s expected for witness v%u)",
					ver == 0 ? "bech32" : "bech32m", ver);
		for (size_t i = 0; i < dn; i++) {
			acc = (acc << 5) | d[i];
			bits += 5;
			if (bits >= 8) {
				bits -= 8;
				plen++;
			}
			acc &= 0xff;
		}
		if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
			return att_fail(err, ATT_EINVAL, "bech32 witness program has bad padding");
		if (plen < 2 || plen > 40 || (ver == 0 && plen != 20 && plen != 32))
			return att_fail(err, ATT_EINVAL, "bech32 witness program length %u is invalid", plen);
	}
	return put(out, outsz, low, err);
}

static enum att_rc canon_btc(const char *in, size_t len, char *out, size_t outsz,
			     struct att_err *err)
{
	while (len && (*in == ' '))
		in++, len--;
	while (len && in[len - 1] == ' ')
		len--;
	if (len > 3 && (strncasecmp(in, "bc1", 3) == 0 || strncasecmp(in, "tb1", 3) == 0 ||
			strncasecmp(in, "bcrt1", 5) == 0))
		return btc_bech32(in, len, out, outsz, err);
	return btc_base58(in, len, out, outsz, err);
}

/* ------------------------------------------------------------ Keccak-256 -- */

static const uint64_t keccak_rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
static const unsigned keccak_rot[25] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static uint64_t rol(uint64_t x, unsigned n)
{
	return n ? (x << n) | (x >> (64 - n)) : x;
}

static void keccakf(uint64_t st[25])
{
	for (int r = 0; r < 24; r++) {
		uint64_t c[5], d, b[25];

		for (int x = 0; x < 5; x++)
			c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
		for (int x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				st[y + x] ^= d;
		}
		/* rho and pi: B[y][2x+3y] = rot(A[x][y]) */
		for (int x = 0; x < 5; x++)
			for (int y = 0; y < 5; y++)
				b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(st[x + 5 * y], keccak_rot[x + 5 * y]);
		for (int y = 0; y < 25; y += 5)
			for (int x = 0; x < 5; x++)
				st[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
		st[0] ^= keccak_rc[r];
	}
}

void att_keccak256(const void *data, size_t len, unsigned char out[32])
{
	uint64_t st[25] = {0};
	unsigned char block[136];
	const unsigned char *p = data;
	const size_t rate = 136;

	while (len >= rate) {
		for (size_t i = 0; i < rate / 8; i++) {
			uint64_t w = 0;

			for (int k = 7; k >= 0; k--)
				w = (w << 8) | p[i * 8 + (size_t)k];
			st[i] ^= w;
		}
		keccakf(st);
		p += rate;
		len -= rate;
	}
	memset(block, 0, sizeof(block));
	if (len)
		memcpy(block, p, len);
	block[len] ^= 0x01;
	block[rate - 1] ^= 0x80;
	for (size_t i = 0; i < rate / 8; i++) {
		uint64_t w = 0;

		for (int k = 7; k >= 0; k--)
			w = (w << 8) | block[i * 8 + (size_t)k];
		st[i] ^= w;
	}
	keccakf(st);
	for (size_t i = 0; i < 32; i++)
		out[i] = (unsigned char)(st[i / 8] >> (8 * (i % 8)));
}

static enum att_rc canon_eth(const char *in, size_t len, char *out, size_t outsz,
			     struct att_err *err)
{
	char low[41], res[43];
	unsigned char h[32];
	bool hasl = false, hasu = false;

	if (len != 42 || in[0] != '0' || (in[1] != 'x' && in[1] != 'X'))
		return att_fail(err, ATT_EINVAL, "Ethereum address must be 0x followed by 40 hex digits");
	for (size_t i = 0; i < 40; i++) {
		char c = in[i + 2];

		if (!isxdigit((unsigned char)c))
			return att_fail(err, ATT_EINVAL, "Ethereum address has a non-hex character '%c'", c);
		if (c >= 'a' && c <= 'f')
			hasl = true;
		if (c >= 'A' && c <= 'F')
			hasu = true;
		low[i] = (char)tolower((unsigned char)c);
	}
	low[40] = 0;
	att_keccak256(low, 40, h);
	res[0] = '0';
	res[1] = 'x';
	for (size_t i = 0; i < 40; i++) {
		unsigned nib = (i % 2) ? (h[i / 2] & 0xf) : (h[i / 2] >> 4);
		char c = low[i];

		if (c >= 'a' && nib >= 8)
			c = (char)toupper((unsigned char)c);
		res[i + 2] = c;
	}
	res[42] = 0;
	if (hasl && hasu && memcmp(res + 2, in + 2, 40) != 0)
		return att_fail(err, ATT_EINVAL, "Ethereum address fails its EIP-55 checksum (mixed case)");
	return put(out, outsz, res, err);
}

/* -------------------------------------------------------------- document -- */

static enum att_rc canon_document(const char *in, size_t len, char *out, size_t outsz,
				  struct att_err *err)
{
	char buf[64];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '-' || c == '/' || c == '.')
			continue;
		if (!isalnum((unsigned char)c))
			return att_fail(err, ATT_EINVAL,
					"document number may contain only letters A-Z and digits, not '%c'", c);
		if (n >= 30)
			return att_fail(err, ATT_EINVAL, "document number is longer than 30 characters");
		buf[n++] = (char)toupper((unsigned char)c);
	}
	buf[n] = 0;
	if (n < 3)
		return att_fail(err, ATT_EINVAL, "document number must have at least 3 letters or digits");
	return put(out, outsz, buf, err);
}

enum att_rc att_id_canon(enum att_id_type t, const char *in, size_t len,
			 const struct att_id_opts *opts, char *out, size_t outsz,
			 struct att_err *err)
{
	if (outsz)
		out[0] = 0;
	if (!in)
		return att_fail(err, ATT_EINVAL, "identifier is missing");
	if (len > ATT_ID_INPUT_MAX)
		return att_fail(err, ATT_ELIMIT, "identifier is longer than %u bytes", ATT_ID_INPUT_MAX);
	if (memchr(in, 0, len))
		return att_fail(err, ATT_EINVAL, "identifier contains a NUL byte");
	while (len && isspace((unsigned char)*in))
		in++, len--;
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0)
		return att_fail(err, ATT_EINVAL, "%s is empty", att_id_type_name(t));
	switch (t) {
	case ATT_ID_PHONE: return canon_phone(in, len, opts, out, outsz, err);
	case ATT_ID_IBAN: return canon_iban(in, len, out, outsz, err);
	case ATT_ID_EMAIL: return canon_email(in, len, out, outsz, err);
	case ATT_ID_IP: return canon_ip(in, len, out, outsz, err);
	case ATT_ID_CIDR: return canon_cidr(in, len, out, outsz, err);
	case ATT_ID_DOMAIN: return canon_domain(in, len, out, outsz, err);
	case ATT_ID_URL: return canon_url(in, len, out, outsz, err);
	case ATT_ID_BTC: return canon_btc(in, len, out, outsz, err);
	case ATT_ID_ETH: return canon_eth(in, len, out, outsz, err);
	case ATT_ID_DOCUMENT: return canon_document(in, len, out, outsz, err);
	default: return att_fail(err, ATT_EINVAL, "unknown identifier type");
	}
}
