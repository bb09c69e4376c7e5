/* Internal helpers: bounded buffers, checked sizes, UTF-8, identifiers,
 * dates and hex. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

void att_buf_init(struct att_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void att_buf_release(struct att_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static enum att_rc buf_fail(struct att_buf *b, enum att_rc rc)
{
	att_buf_release(b);
	b->failed = true;
	return rc;
}

enum att_rc att_buf_add(struct att_buf *b, const void *p, size_t n)
{
	size_t need;

	if (b->failed)
		return ATT_ELIMIT;
	if (!att_size_add(b->len, n, &need) || !att_size_add(need, 1, &need) ||
	    (b->max && need - 1 > b->max))
		return buf_fail(b, ATT_ELIMIT);
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *d;

		while (cap < need) {
			if (!att_size_mul(cap, 2, &cap))
				return buf_fail(b, ATT_ELIMIT);
		}
		d = realloc(b->data, cap);
		if (!d)
			return buf_fail(b, ATT_ENOMEM);
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return ATT_OK;
}

enum att_rc att_buf_reserve(struct att_buf *b, size_t n)
{
	size_t len = b->len;
	enum att_rc rc;

	if (b->failed)
		return ATT_ELIMIT;
	if (b->cap > len + n)
		return ATT_OK;
	/* Grow by adding n bytes of nothing in particular, then take them back. */
	{
		char *scratch = calloc(1, n ? n : 1);

		if (!scratch)
			return ATT_ENOMEM;
		rc = att_buf_add(b, scratch, n);
		free(scratch);
	}
	if (!rc) {
		b->len = len;
		b->data[len] = '\0';
	}
	return rc;
}

enum att_rc att_buf_adds(struct att_buf *b, const char *s)
{
	return att_buf_add(b, s, strlen(s));
}

enum att_rc att_buf_addf(struct att_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return buf_fail(b, ATT_EINVAL);
	if ((size_t)n < sizeof(small))
		return att_buf_add(b, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		enum att_rc rc;

		if (!big)
			return buf_fail(b, ATT_ENOMEM);
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		rc = att_buf_add(b, big, (size_t)n);
		free(big);
		return rc;
	}
}

char *att_buf_detach(struct att_buf *b, size_t *len)
{
	char *d;

	if (b->failed)
		return NULL;
	if (!b->data && att_buf_add(b, "", 0) != ATT_OK)
		return NULL;
	d = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

bool att_size_mul(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

bool att_size_add(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return false;
	*out = a + b;
	return true;
}

size_t att_json_escape_needed(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789ABCDEF";
	char e;

	switch (c) {
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case '\b': e = 'b'; break;
	case '\f': e = 'f'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	default:
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
	esc[0] = '\\';
	esc[1] = e;
	return 2;
}

size_t att_json_quote(const char *s, size_t n, char *out)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		size_t k = att_json_escape((unsigned char)s[i], out + o);

		if (k)
			o += k;
		else
			out[o++] = s[i];
	}
	out[o++] = '"';
	return o;
}

bool att_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

/* Bytes of s[i..n) that show nothing: ASCII white space, or a Unicode
 * space, zero-width or invisible character or filler (NBSP, soft hyphen,
 * CGJ, U+2000-U+200F, U+2028/29, U+202F, U+205F-U+206F, U+3000, Hangul
 * fillers U+115F/60, U+3164, U+FFA0, U+180E, U+17B4/5, U+2800, U+FEFF, tags
 * U+E0000-U+E007F); 0 when s[i] starts something visible. */
static size_t blank_at(const unsigned char *s, size_t i, size_t n)
{
	unsigned c = s[i], c1 = i + 1 < n ? s[i + 1] : 0, c2 = i + 2 < n ? s[i + 2] : 0;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return 1;
	if (c == 0xC2 && c1 == 0xA0)
		return 2;
	if (c == 0xE2 && c1 == 0x80 && (c2 <= 0x8F || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF))
		return 3;
	if ((c == 0xC2 && c1 == 0xAD) || (c == 0xCD && c1 == 0x8F)) /* soft hyphen, CGJ */
		return 2;
	if ((c == 0xE2 && c1 == 0x81 && c2 >= 0x9F && c2 <= 0xAF) ||
	    (c == 0xE3 && ((c1 == 0x80 && c2 == 0x80) || (c1 == 0x85 && c2 == 0xA4))) ||
	    (c == 0xEF && ((c1 == 0xBB && c2 == 0xBF) || (c1 == 0xBE && c2 == 0xA0))) ||
	    (c == 0xE1 && c1 == 0x85 && (c2 == 0x9F || c2 == 0xA0)) ||
	    (c == 0xE1 && ((c1 == 0xA0 && c2 == 0x8E) || (c1 == 0x9E && (c2 == 0xB4 || c2 == 0xB5)))) ||
	    (c == 0xE2 && c1 == 0xA0 && c2 == 0x80))
		return 3;
	/* tag characters U+E0000-U+E007F */
	if (c == 0xF3 && c1 == 0xA0 && i + 3 < n && (c2 == 0x80 || c2 == 0x81))
		return 4;
	return 0;
}

enum att_rc att_check_text(struct att_err *err, const char *what, const char *s,
			   size_t max, bool optional, bool multiline)
{
	size_t n;

	if (!s || !*s) {
		if (optional)
			return ATT_OK;
		return att_fail(err, ATT_EINVAL, "%s is required", what);
	}
	n = strlen(s);
	if (n > max)
		return att_fail(err, ATT_EINVAL, "%s is too long (%zu bytes, at most %zu)",
				what, n, max);
	if (!att_utf8_valid(s, n))
		return att_fail(err, ATT_EINVAL, "%s is not valid UTF-8", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) ||
		    c == 0x7F)
			return att_fail(err, ATT_EINVAL,
					"%s contains a control character at byte %zu", what, i);
	}
	/* what is required must say something: white space alone does not */
	if (!optional) {
		size_t i = 0, k;

		while (i < n && (k = blank_at((const unsigned char *)s, i, n)) > 0)
			i += k;
		if (i == n)
			return att_fail(err, ATT_EINVAL, "%s is required (it is blank)", what);
	}
	return ATT_OK;
}

enum att_rc att_check_id(struct att_err *err, const char *what, const char *s)
{
	size_t n;

	if (!s || !*s)
		return att_fail(err, ATT_EINVAL, "%s is required", what);
	n = strlen(s);
	if (n > ATT_ID_MAX)
		return att_fail(err, ATT_EINVAL, "%s is too long (%zu bytes, at most %u)",
				what, n, ATT_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '.' || c == '_' || c == '-'));

		if (!ok)
			return att_fail(err, ATT_EINVAL,
					"%s '%.64s' is not a valid identifier (lowercase letters, "
					"digits, '.', '_', '-'; starting with a letter or digit)",
					what, att_utf8_valid(s, n) ? s : "?");
	}
	return ATT_OK;
}

bool att_field_valid(const char *s)
{
	return s && (!strcmp(s, ATT_FIELD_TERRORISM) || !strcmp(s, ATT_FIELD_ORGCRIME) ||
		     !strcmp(s, ATT_FIELD_CYBER));
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

bool att_date_parse(const char *s, int64_t *days)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y = 0, m = 0, d = 0, dim;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d > dim)
		return false;
	if (days)
		*days = days_from_civil(y, m, d);
	return true;
}

enum att_rc att_check_date(struct att_err *err, const char *what, const char *s)
{
	if (!s || !*s)
		return ATT_OK;
	if (!att_date_parse(s, NULL))
		return att_fail(err, ATT_EINVAL, "%s '%.32s' is not a valid date (YYYY-MM-DD)",
				what, att_utf8_valid(s, strlen(s)) ? s : "?");
	return ATT_OK;
}

static int64_t clock_override;

void att_clock_set(int64_t t)
{
	clock_override = t;
}

int64_t att_now(void)
{
	/* No environment override: audit timestamps must not be back-dated by
	 * whoever starts the process. */
	if (clock_override)
		return clock_override;
	return (int64_t)time(NULL);
}

void att_time_fmt(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t att_today(void)
{
	return att_now() / 86400;
}

void att_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool att_unhex(const char *hex, unsigned char *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

char *att_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool att_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *s = list; s && *s;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len == n && !strncmp(s, item, n))
			return true;
		s += len + (comma ? 1 : 0);
	}
	return false;
}
