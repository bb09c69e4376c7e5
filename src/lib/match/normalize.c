/* Name normalisation: NFKC + casefold, script detection per token, ICU
 * transliteration, Azerbaijani/Turkish folding, Arabic/Persian consonant
 * skeletons, patronymic and particle recognition. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/uset.h>
#include <unicode/utrans.h>

#include "attache/match.h"
#include "match_int.h"
#include "util.h"
#include "banned.h"

enum { TR_AZ, TR_RU, TR_ASCII, TR_ANY, TR_COUNT };

static const char *const tr_ids[TR_COUNT] = {
	"az_Cyrl-az/BGN", "Russian-Latin/BGN", "Latin-ASCII", "Any-Latin",
};

/* ICU transliterators are not thread-safe: one set per thread. */
static _Thread_local UTransliterator *tl_tr[TR_COUNT];

static UTransliterator *get_tr(int k)
{
	if (!tl_tr[k]) {
		UChar id[64];
		UErrorCode st = U_ZERO_ERROR;
		UParseError pe;

		u_uastrncpy(id, tr_ids[k], 63);
		id[63] = 0;
		tl_tr[k] = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
		if (U_FAILURE(st))
			tl_tr[k] = NULL;
	}
	return tl_tr[k];
}

void att_match_thread_release(void)
{
	att_index_thread_release();
	att_score_thread_release();
	for (int k = 0; k < TR_COUNT; k++) {
		if (tl_tr[k])
			utrans_close(tl_tr[k]);
		tl_tr[k] = NULL;
	}
}

uint32_t att_hash32(const void *p, size_t n, uint32_t seed)
{
	const unsigned char *s = p;
	/* The seed is hashed as four bytes before the text, not XORed into
	 * the offset basis: that would meet the text's first byte in the
	 * first step, and keys of two kinds would share values whenever
	 * their seeds and first bytes XOR alike (the exact key of "if" was
	 * the skeleton key of "aliyev"). */
	uint32_t h = 2166136261u;

	for (int i = 0; i < 4; i++) {
		h ^= (seed >> (8 * i)) & 0xffu;
		h *= 16777619u;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h ? h : 1;
}

/* Transliterates buf[0..*len) (capacity cap) in place; false on failure. */
static bool translit(int k, UChar *buf, int32_t *len, int32_t cap)
{
	UTransliterator *t = get_tr(k);
	UErrorCode st = U_ZERO_ERROR;
	int32_t limit = *len;

	if (!t)
		return false;
	utrans_transUChars(t, buf, len, cap, 0, &limit, &st);
	return U_SUCCESS(st);
}

static bool is_az_cyr(UChar32 c)
{
	switch (c) {
	case 0x04D9: case 0x0458: case 0x04BB: case 0x0493:
	case 0x049D: case 0x04E9: case 0x04AF: case 0x04B9:
	case 0x04D8: case 0x0408: case 0x04BA: case 0x0492:
	case 0x049C: case 0x04E8: case 0x04AE: case 0x04B8:
		return true;
	default:
		return false;
	}
}

/* Arabic/Persian letter → skeleton class; 0 = not a consonant (vowel
 * carriers, hamza, ayn, marks). */
static char arabic_class(UChar32 c, bool initial)
{
	switch (c) {
	case 0x0628: case 0x067E: return 'b';
	case 0x062A: case 0x0637: return 't';
	case 0x062B: case 0x0633: case 0x0635: return 's';
	case 0x062C: return 'j';
	case 0x0686: return 'C';
	case 0x062D: case 0x0647: case 0x06C1: case 0x06BE: return 'h';
	case 0x062E: return 'x';
	case 0x062F: return 'd';
	case 0x0630: case 0x0632: case 0x0636: case 0x0638: return 'z';
	case 0x0698: return 'Z';
	case 0x0631: return 'r';
	case 0x0634: return 'S';
	case 0x063A: return 'g';
	case 0x0641: return 'f';
	case 0x0642: return 'q';
	case 0x0643: case 0x06A9: return 'k';
	case 0x06AF: return 'g';
	case 0x0644: return 'l';
	case 0x0645: return 'm';
	case 0x0646: return 'n';
	/* Urdu and Pashto letters */
	case 0x0679: case 0x067C: return 't';
	case 0x0688: case 0x0689: return 'd';
	case 0x0691: case 0x0693: return 'r';
	case 0x0681: case 0x0685: return 'z';
	case 0x0696: return 'Z';
	case 0x069A: return 'S';
	case 0x06AB: return 'g';
	case 0x06BC: return 'n';
	case 0x0648: return initial ? 'v' : 0;
	default: return 0;
	}
}

size_t att_skel_latin(const char *t, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char c = t[i], k = 0;
		char d = i + 1 < n ? t[i + 1] : 0;
		size_t step = 1;

		if (c == 'd' && d == 'z' && i + 2 < n && t[i + 2] == 'h') {
			k = 'j';
			step = 3;
		} else if (d == 'h' && (c == 'k' || c == 'g' || c == 's' || c == 'c' ||
					c == 'z' || c == 't' || c == 'd' || c == 'p')) {
			static const char from[] = "kgsczt" "dp";
			static const char to[] = "xgSCZs" "zf";
			k = to[strchr(from, c) - from];
			step = 2;
		} else if (c == 't' && d == 's') {
			k = 's';
			step = 2;
		} else if (c == 'd' && d == 'j') {
			k = 'j';
			step = 2;
		} else {
			switch (c) {
			case 'a': case 'e': case 'i': case 'o': case 'u': case 'y':
				k = 0;
				break;
			case 'p': k = 'b'; break;
			case 'w': k = 'v'; break;
			/* c stays itself: j in Azerbaijani/Turkish (Cavid), s in
			 * French before e/i (Lounici), k elsewhere; the skeleton
			 * edit cost makes all three cheap */
			default: k = c; break;
			}
		}
		i += step;
		if (k && (o == 0 || out[o - 1] != k))
			out[o++] = k;
	}
	out[o] = 0;
	return o;
}

struct tokbuf {
	char t[ATT_NAME_TOKEN_MAX + 1];
	size_t len;
};

static void tb_addc(struct tokbuf *tb, char c)
{
	if (tb->len < ATT_NAME_TOKEN_MAX)
		tb->t[tb->len++] = c;
}

/* UTF-16 decoding without ICU's macros (they trip -Wsign-conversion). */
static UChar32 next_cp(const UChar *s, int32_t *i, int32_t n)
{
	UChar32 c = s[(*i)++];

	if (c >= 0xD800 && c <= 0xDBFF && *i < n && s[*i] >= 0xDC00 && s[*i] <= 0xDFFF) {
		c = 0x10000 + ((c - 0xD800) << 10) + (s[*i] - 0xDC00);
		(*i)++;
	}
	return c;
}

static UChar32 peek_cp(const UChar *s, int32_t i, int32_t n)
{
	return next_cp(s, &i, n);
}

/* Han without ICU's rule walk. Han-Latin spaces the ideographs apart,
 * then reads each by a rule [set] > reading (a few rules read one in
 * context instead), then spaces what is left: a run of ideographs that
 * each have a reading and no context rule comes out as their readings
 * joined by single spaces. ICU finds a character's rule by trying, in
 * order, all the rules that its code unit's low byte may start (hundreds
 * of sets for Han): 15-25 us a character, ten times any other script, so
 * a long body of Chinese text cost seconds inside the write transaction.
 * The readings are taken once from the installed ICU's own rules (the
 * first rule with a character wins, as in ICU); a run with any other
 * character, a context rule's or one the rules do not read, goes to ICU
 * whole. test_match_normalize checks every character of the table and
 * runs of them against Any-Latin. */
#define HAN_LO 0x2E80
#define HAN_HI 0x32000
#define HAN_NONE 0
#define HAN_UNSAFE 0xFFFFu
#define HAN_READ_MAX 8
static pthread_once_t han_once = PTHREAD_ONCE_INIT;
static uint16_t *han_idx;                  /* [c - HAN_LO]: reading + 1, or the above */
static UChar (*han_read)[HAN_READ_MAX];    /* the readings, by rule */
static uint8_t *han_rlen;
static _Thread_local bool tl_force_icu;

void att_name_force_icu(bool on)
{
	tl_force_icu = on;
}

/* s[0..n)'s ideographs are left to ICU */
static void han_unsafe(const UChar *s, int32_t n)
{
	for (int32_t i = 0; i < n;) {
		UChar32 c = next_cp(s, &i, n);

		if (c >= HAN_LO && c < HAN_HI)
			han_idx[c - HAN_LO] = HAN_UNSAFE;
	}
}

/* One rule of the reading pass: "[set] > reading;" gives the set's
 * characters that reading (those that have none yet), any other rule
 * leaves its characters to ICU. False when it cannot be read (no table is
 * made then). */
static bool han_rule(const UChar *s, int32_t n, size_t *nread)
{
	int32_t depth = 0, e = 0, r, rn = 0;
	USet *set;
	UErrorCode st = U_ZERO_ERROR;
	bool ok = n > 0 && s[0] == '[';

	/* the set: to its closing bracket (escapes skipped) */
	for (e = 0; ok && e < n; e++) {
		if (s[e] == '\\') {
			e++;
			continue;
		}
		depth += s[e] == '[' ? 1 : s[e] == ']' ? -1 : 0;
		if (depth == 0)
			break;
	}
	r = e + 4;
	ok = ok && e < n && r < n && s[e + 1] == ' ' && s[e + 2] == '>' && s[e + 3] == ' ' &&
	     s[n - 1] == ';' && *nread < HAN_UNSAFE - 1;
	for (int32_t i = r; ok && i < n - 1;) {
		UChar32 c;

		c = next_cp(s, &i, n - 1);
		ok = u_isalpha(c) || u_charType(c) == U_NON_SPACING_MARK;
		rn = i - r;
	}
	ok = ok && rn > 0 && rn < HAN_READ_MAX;
	if (!ok) {
		/* a rule in context, "{key} after > reading": its key is
		 * read otherwise; any other rule: all of its characters */
		int32_t a = 0, b = 0;

		while (a < n && s[a] != '{')
			a++;
		for (b = a; b < n && s[b] != '}'; b++)
			;
		if (b < n)
			han_unsafe(s + a + 1, b - a - 1);
		else
			han_unsafe(s, n);
		return true;
	}
	set = uset_openEmpty();
	if (!set)
		return false;
	uset_applyPattern(set, s, e + 1, 0, &st);
	if (U_FAILURE(st)) {
		uset_close(set);
		han_unsafe(s, n);
		return true;
	}
	memcpy(han_read[*nread], s + r, (size_t)rn * sizeof(UChar));
	han_rlen[*nread] = (uint8_t)rn;
	(*nread)++;
	for (int32_t k = 0; k < uset_getItemCount(set); k++) {
		UChar32 lo, hi;
		UChar str[64];
		int32_t sn;

		st = U_ZERO_ERROR;
		sn = uset_getItem(set, k, &lo, &hi, str, 64, &st);
		if (sn != 0) {
			/* a string: its characters are read together */
			if (U_SUCCESS(st))
				han_unsafe(str, sn);
			else
				ok = false;
			continue;
		}
		for (UChar32 c = lo < HAN_LO ? HAN_LO : lo; c <= hi && c < HAN_HI; c++)
			if (han_idx[c - HAN_LO] == HAN_NONE)
				han_idx[c - HAN_LO] = (uint16_t)*nread;
	}
	uset_close(set);
	return ok;
}

static bool han_join(const UChar *u, int32_t n, UChar *out, int32_t *len, int32_t cap);
static void append_cp(UChar *s, int32_t *n, UChar32 c);

/* How many characters the table reads. */
static size_t han_count(void)
{
	size_t k = 0;

	for (size_t c = 0; han_idx && c < HAN_HI - HAN_LO; c++)
		k += han_idx[c] != HAN_NONE && han_idx[c] != HAN_UNSAFE;
	return k;
}

/* The table and ICU's t read a sample of its characters alike. */
static bool han_agrees(UTransliterator *t)
{
	enum { SAMPLE = 256 };
	UChar in[2 * SAMPLE], a[8 * SAMPLE], b[8 * SAMPLE];
	int32_t n = 0, na = 0, nb, limit;
	size_t have = han_count(), k = 0;
	UErrorCode st = U_ZERO_ERROR;

	for (size_t c = 0; c < HAN_HI - HAN_LO && n < 2 * SAMPLE - 1; c++) {
		if (han_idx[c] == HAN_NONE || han_idx[c] == HAN_UNSAFE ||
		    k++ % (have / SAMPLE + 1) != 0)
			continue;
		/* a character no word holds (a radical) is left out */
		if (!u_isalpha((UChar32)(c + HAN_LO)))
			continue;
		append_cp(in, &n, (UChar32)(c + HAN_LO));
	}
	if (n == 0 || !han_join(in, n, a, &na, 8 * SAMPLE))
		return false;
	memcpy(b, in, (size_t)n * sizeof(UChar));
	nb = limit = n;
	utrans_transUChars(t, b, &nb, 8 * SAMPLE, 0, &limit, &st);
	return U_SUCCESS(st) && na == nb && !memcmp(a, b, (size_t)na * sizeof(UChar));
}

static void han_build(void)
{
	UChar id[16];
	UErrorCode st = U_ZERO_ERROR;
	UParseError pe;
	UTransliterator *t;
	UChar *rules = NULL;
	int32_t n, pass = 0;
	size_t nread = 0;
	bool ok;

	u_uastrcpy(id, "Han-Latin");
	t = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
	if (U_FAILURE(st))
		return;
	n = utrans_toRules(t, false, NULL, 0, &st);
	st = U_ZERO_ERROR;
	rules = n > 0 ? malloc(((size_t)n + 1) * sizeof(UChar)) : NULL;
	han_idx = calloc(HAN_HI - HAN_LO, sizeof(*han_idx));
	han_read = calloc((size_t)n / 4 + 1, sizeof(*han_read));
	han_rlen = calloc((size_t)n / 4 + 1, 1);
	ok = rules && han_idx && han_read && han_rlen;
	if (ok)
		utrans_toRules(t, false, rules, n + 1, &st);
	ok = ok && U_SUCCESS(st);
	/* the reading pass: the rules after "::Han-Spacedhan();", up to
	 * the next "::" */
	for (int32_t i = 0; ok && i < n;) {
		int32_t e = i;

		while (e < n && rules[e] != '\n')
			e++;
		if (e - i >= 2 && rules[i] == ':' && rules[i + 1] == ':')
			pass++;
		else if (pass == 1)
			ok = han_rule(rules + i, e - i, &nread);
		else
			ok = pass > 1 || e == i; /* nothing before the spacing */
		i = e + 1;
	}
	free(rules);
	/* read as ICU reads: 256 characters spread over the table, as one
	 * word (a later ICU whose rules this does not understand gets no
	 * table) */
	ok = ok && nread > 0 && han_agrees(t);
	utrans_close(t);
	if (!ok) {
		free(han_idx);
		free(han_read);
		free(han_rlen);
		han_idx = NULL;
		han_read = NULL;
		han_rlen = NULL;
	}
}

size_t att_name_han_readings(void)
{
	pthread_once(&han_once, han_build);
	return han_count();
}

/* u[0..n) as Han-Latin reads it into out (capacity cap), when every
 * character has a reading of its own; false, with out untouched, to leave
 * it to ICU. */
static bool han_fast(const UChar *u, int32_t n, UChar *out, int32_t *len, int32_t cap)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t first = 0;

	/* the table is made at the first Han word, not at a Greek one */
	if (tl_force_icu || n == 0 || uscript_getScript(next_cp(u, &first, n), &st) != USCRIPT_HAN)
		return false;
	pthread_once(&han_once, han_build);
	return han_idx && han_join(u, n, out, len, cap);
}

/* u[0..n) by the table, when it reads every character (the table made) */
static bool han_join(const UChar *u, int32_t n, UChar *out, int32_t *len, int32_t cap)
{
	int32_t o = 0;

	/* all of it read, within cap, before out is written */
	for (int32_t i = 0; i < n;) {
		UChar32 c = next_cp(u, &i, n);
		uint16_t v = c >= HAN_LO && c < HAN_HI ? han_idx[c - HAN_LO] : HAN_NONE;

		if (v == HAN_NONE || v == HAN_UNSAFE)
			return false;
		o += (o > 0) + han_rlen[v - 1];
		if (o > cap)
			return false;
	}
	o = 0;
	for (int32_t i = 0; i < n;) {
		UChar32 c = next_cp(u, &i, n);
		uint16_t v = han_idx[c - HAN_LO];

		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, han_read[v - 1], han_rlen[v - 1] * sizeof(UChar));
		o += han_rlen[v - 1];
	}
	*len = o;
	return true;
}

static void append_cp(UChar *s, int32_t *n, UChar32 c)
{
	if (c < 0x10000) {
		s[(*n)++] = (UChar)c;
	} else {
		c -= 0x10000;
		s[(*n)++] = (UChar)(0xD800 + (c >> 10));
		s[(*n)++] = (UChar)(0xDC00 + (c & 0x3FF));
	}
}

/* Folds Latin UTF-16 text (already casefolded) into ASCII [a-z0-9]. */
static void fold_latin(const UChar *u, int32_t n, bool az, struct tokbuf *tb)
{
	UChar rest[256];
	int32_t rn = 0;
	bool nonascii = false;

	/* First pass: the letters with a fixed folding; the rest to ICU. */
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		const char *rep = NULL;

		c = next_cp(u, &i, n);
		switch (c) {
		case 0x0259: rep = "a"; break;  /* ə */
		case 0x0131: rep = "i"; break;  /* ı */
		case 0x015F: case 0x0219: rep = "sh"; break; /* ş ș */
		case 0x00E7: rep = "ch"; break; /* ç */
		case 0x011F: rep = "g"; break;  /* ğ */
		case 0x00F6: rep = "o"; break;  /* ö */
		case 0x00FC: rep = "u"; break;  /* ü */
		case 'x': rep = az ? "kh" : "x"; break;
		case 0x02B9: case 0x02BA: case 0x02BC: case 0x02BB: case 0x2019:
		case 0x2018: case '\'': case 0x00B7: case 0x0060: case 0x00B4:
			rep = "";
			break;
		default:
			break;
		}
		if (rep) {
			for (const char *p = rep; *p && rn < 255; p++)
				rest[rn++] = (UChar)*p;
			continue;
		}
		if (c >= 0x80) {
			if (u_charType(c) == U_NON_SPACING_MARK)
				continue;
			nonascii = true;
		}
		if (rn + 2 < 255)
			append_cp(rest, &rn, c);
	}
	if (nonascii) {
		/* Latin-ASCII for the common case without ICU's transliterator
		 * (which serialises threads on a global mutex): decompose, drop
		 * the marks, map the few letters that do not decompose; the
		 * transliterator only for what is left. */
		UChar tmp[512];
		UErrorCode st = U_ZERO_ERROR;
		const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
		int32_t tn = U_SUCCESS(st) ? unorm2_normalize(nfd, rest, rn, tmp, 512, &st) : 0;
		bool left = false;

		if (U_SUCCESS(st)) {
			rn = 0;
			for (int32_t i = 0; i < tn && rn < 250;) {
				UChar32 c = next_cp(tmp, &i, tn);
				const char *rep = NULL;

				switch (c) {
				case 0x00DF: rep = "ss"; break;
				case 0x00E6: rep = "ae"; break;
				case 0x0153: rep = "oe"; break;
				case 0x00F8: rep = "o"; break;
				case 0x0142: rep = "l"; break;
				case 0x0111: case 0x00F0: rep = "d"; break;
				case 0x00FE: rep = "th"; break;
				case 0x0131: rep = "i"; break;
				case 0x0259: rep = "a"; break;
				default: break;
				}
				if (rep) {
					for (const char *p = rep; *p; p++)
						rest[rn++] = (UChar)*p;
					continue;
				}
				if (c >= 0x80 && u_charType(c) == U_NON_SPACING_MARK)
					continue;
				if (c >= 0x80)
					left = true;
				if (rn + 2 < 255)
					append_cp(rest, &rn, c);
			}
		}
		if (left) {
			int32_t len = rn;

			if (!translit(TR_ASCII, rest, &len, 255))
				len = rn;
			rn = len;
		}
	}
	for (int32_t i = 0; i < rn; i++) {
		UChar c = rest[i];

		if (c >= 'A' && c <= 'Z')
			c = (UChar)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			tb_addc(tb, (char)c);
	}
}

/* A suffix with its length (every token of every name is classified: the
 * lengths are not counted again each time). */
struct suffix {
	const char *s;
	size_t n;
};
#define SUF(x) {x, sizeof(x) - 1}

static bool has_suffix(const char *t, size_t n, const struct suffix *suf, size_t minstem)
{
	return n >= suf->n + minstem && t[n - 1] == suf->s[suf->n - 1] &&
	       memcmp(t + n - suf->n, suf->s, suf->n) == 0;
}

static bool is_marker(const char *t, size_t n)
{
	static const char *const m[] = {"oglu", "ogly", "ogli", "ogl", "kizi", "qizi",
					"gizi", "kyzy", "qyzy", "gyzy", NULL};

	if (n < 3 || n > 4 || !strchr("okqg", t[0]))
		return false;
	for (size_t i = 0; m[i]; i++)
		if (strcmp(t, m[i]) == 0)
			return true;
	return false;
}

/* Particles, titles and legal forms: words that are never the name. */
static const char *particles[] = {
	"al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "bin", "ibn", "bint", "ben",
	"binti", "ould", "abu", "van", "von", "der", "de", "da", "di", "du", "la", "le", "del",
	"dos", "das", "y", "abd", "abdul", "abdel", "abdal", "abdur", "abder", "abdus", "abdou",
	"abdoul", "ur", "ud", "u", "mohd", "md", "abou", "abo", "abul", "ed", "es", "ush", "wuld",
	"walad", "bani", "beni",
	/* titles: present on one side only, never the name */
	"dr", "mr", "mrs", "ms", "mme", "prof", "general", "gen",
	"colonel", "col", "commandant", "captain", "capt", "major",
	"sheikh", "shaykh", "sheik", "shaikh", "haji", "hajji",
	"mullah", "mulla", "maulana", "mawlana", "mufti", "imam",
	"jr", "sr",
	/* legal forms of organisations */
	"ltd", "llc", "inc", "corp", "co", "gmbh", "plc", "ooo",
	"oao", "zao", "pao", "ao", "jsc", "ojsc", "cjsc", "pjsc",
	"srl", "sarl", "ltda", "lda", "limited", "fze", "fzco", "bv",
	"ag", "sa", "sas", "spa", "cv", "rl", "ca", "eirl",
	"sde", "sc", "nv", "kg", "ab", "oy", "pt", "tbk"};
#define NPARTICLES (sizeof(particles) / sizeof(particles[0]))
static pthread_once_t particles_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted once, then searched by halves: every token of every name is
 * looked up (a walk of the list was a tenth of normalising a name). */
static void particles_sort(void)
{
	qsort(particles, NPARTICLES, sizeof(particles[0]), cmp_str);
}

static bool is_particle(const char *t, size_t n)
{
	if (n > 10) /* the longest, commandant */
		return false;
	pthread_once(&particles_once, particles_sort);
	return bsearch(&t, particles, NPARTICLES, sizeof(particles[0]), cmp_str) != NULL;
}

static uint8_t classify(struct att_name_token *tk)
{
	static const struct suffix patro[] = {SUF("ovich"), SUF("evich"), SUF("ovna"),
					      SUF("evna"),  SUF("ichna"), SUF("ovic"),
					      SUF("evic")};
	static const struct suffix fam[] = {
		SUF("ov"),   SUF("ev"),   SUF("ova"),    SUF("eva"),  SUF("yev"),
		SUF("yeva"), SUF("sky"),  SUF("ski"),    SUF("skaya"), SUF("enko"),
		SUF("yan"),  SUF("ian"),  SUF("zade"),   SUF("zadeh"), SUF("li"),
		SUF("lu"),   SUF("ly"),   SUF("lou"),    SUF("oglu"), SUF("in"),
		SUF("ina"),  SUF("shvili"), SUF("dze"),  SUF("uk"),   SUF("chuk")};
	uint8_t f = 0;

	if (tk->flags & ATT_TOK_SKELETON)
		return 0;
	for (size_t i = 0; i < sizeof(patro) / sizeof(patro[0]); i++) {
		if (has_suffix(tk->text, tk->len, &patro[i], 3)) {
			tk->len = (uint8_t)(tk->len - patro[i].n);
			tk->text[tk->len] = 0;
			return ATT_TOK_PATRONYMIC;
		}
	}
	for (size_t i = 0; !f && i < sizeof(fam) / sizeof(fam[0]); i++)
		if (has_suffix(tk->text, tk->len, &fam[i], 3))
			f |= ATT_TOK_FAMILY;
	if (tk->len == 1)
		f |= ATT_TOK_INITIAL;
	if (is_particle(tk->text, tk->len))
		f |= ATT_TOK_PARTICLE;
	return f;
}

/* One raw token u[0..n) (casefolded UTF-16) into *tk; false when it folds to
 * nothing. */
static bool make_token(const UChar *u, int32_t n, struct att_name_token *tk)
{
	int ncyr = 0, nar = 0, nlat = 0, noth = 0;
	bool az = false, azlat = false;
	struct tokbuf tb = {.len = 0};

	memset(tk, 0, sizeof(*tk));
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		UErrorCode st = U_ZERO_ERROR;
		UScriptCode sc;

		c = next_cp(u, &i, n);
		if (c < 0x80) {
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
				nlat++;
			continue;
		}
		sc = uscript_getScript(c, &st);
		if (sc == USCRIPT_CYRILLIC) {
			ncyr++;
			az = az || is_az_cyr(c);
		} else if (sc == USCRIPT_ARABIC) {
			nar++;
		} else if (sc == USCRIPT_LATIN) {
			nlat++;
			if (c == 0x0259 || c == 0x0131 || c == 0x011F)
				azlat = true;
		} else if (sc != USCRIPT_INHERITED && sc != USCRIPT_COMMON) {
			noth++;
		}
	}
	if (nar > 0 && nar >= ncyr && nar >= nlat) {
		size_t o = 0;
		bool first = true;

		tk->script = ATT_SCRIPT_ARABIC;
		tk->flags = ATT_TOK_SKELETON;
		int32_t i = 0;

		/* the article al- written together with the noun */
		if (n > 3 && u[0] == 0x0627 && u[1] == 0x0644)
			i = 2;
		while (i < n) {
			UChar32 c;
			char k;

			c = next_cp(u, &i, n);
			k = arabic_class(c, first);
			/* waw is a consonant before a vowel letter or another waw */
			if (c == 0x0648 && !k && i < n &&
			    (u[i] == 0x0627 || u[i] == 0x06CC || u[i] == 0x064A || u[i] == 0x0648))
				k = 'v';
			/* ... and at the start of a word joined after the article
			 * (عبدالولی: abd-al-Wali) or after an initial ayn (عوض) */
			if (c == 0x0648 && !k && i >= 3 && u[i - 2] == 0x0644 && u[i - 3] == 0x0627)
				k = 'v';
			if (c == 0x0648 && !k && i == 2 && u[0] == 0x0639)
				k = 'v';
			if (u_isalpha(c))
				first = false;
			if (k && o < ATT_NAME_TOKEN_MAX && (o == 0 || tk->skel[o - 1] != k))
				tk->skel[o++] = k;
		}
		if (o == 0)
			return false;
		tk->sklen = (uint8_t)o;
		memcpy(tk->text, tk->skel, o + 1);
		tk->len = tk->sklen;
		/* abd, bin/ibn, abu */
		if (strcmp(tk->skel, "bd") == 0 || strcmp(tk->skel, "bn") == 0 ||
		    strcmp(tk->skel, "b") == 0)
			tk->flags |= ATT_TOK_PARTICLE;
		return true;
	}
	if (ncyr > 0 || noth > 0) {
		UChar buf[512];
		int32_t len = n < 128 ? n : 128;
		int k = ncyr >= noth ? (az ? TR_AZ : TR_RU) : TR_ANY;

		memcpy(buf, u, (size_t)len * sizeof(UChar));
		tk->script = (uint8_t)(k == TR_AZ ? ATT_SCRIPT_AZ_CYRILLIC :
				       k == TR_RU ? ATT_SCRIPT_CYRILLIC : ATT_SCRIPT_OTHER);
		if (!(k == TR_ANY && han_fast(u, len, buf, &len, 500)) &&
		    !translit(k, buf, &len, 500))
			return false;
		/* Russian BGN writes "e" after consonants where Azerbaijani
		 * spelling has "ə"; the fold below treats both as the same. */
		fold_latin(buf, len, k == TR_AZ, &tb);
	} else {
		bool xaz = azlat || (n > 1 && u[0] == 'x' && u[1] != 'x');

		tk->script = ATT_SCRIPT_LATIN;
		fold_latin(u, n, xaz, &tb);
	}
	if (tb.len == 0)
		return false;
	memcpy(tk->text, tb.t, tb.len);
	tk->text[tb.len] = 0;
	tk->len = (uint8_t)tb.len;
	tk->flags = classify(tk);
	tk->sklen = (uint8_t)att_skel_latin(tk->text, tk->len, tk->skel);
	return true;
}

static bool is_word_char(UChar32 c)
{
	int8_t t;

	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') || c == '\'';
	if (c == 0x2019 || c == 0x02BC || c == 0x02BB || c == 0x02B9)
		return true;
	t = u_charType(c);
	return u_isalpha(c) || u_isdigit(c) || t == U_NON_SPACING_MARK ||
	       t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK ||
	       t == U_MODIFIER_LETTER;
}

enum att_rc att_name_normalize(const char *s, size_t len, struct att_name *out,
			       struct att_err *err)
{
	UChar src[ATT_NAME_INPUT_MAX + 1];
	UChar dst[4 * ATT_NAME_INPUT_MAX];
	int32_t sn = 0, dn;
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfkc;

	memset(out, 0, offsetof(struct att_name, tok));
	out->ntok = 0;
	if (!s)
		return att_fail(err, ATT_EINVAL, "name is missing");
	if (len > ATT_NAME_INPUT_MAX)
		return att_fail(err, ATT_ELIMIT, "name is longer than %u bytes",
				ATT_NAME_INPUT_MAX);
	if (!att_utf8_valid(s, len))
		return att_fail(err, ATT_EINVAL, "name is not valid UTF-8");
	u_strFromUTF8(src, (int32_t)ATT_NAME_INPUT_MAX + 1, &sn, s, (int32_t)len, &st);
	if (U_FAILURE(st))
		return att_fail(err, ATT_EINVAL, "name is not valid UTF-8");
	nfkc = unorm2_getNFKCCasefoldInstance(&st);
	if (U_FAILURE(st))
		return att_fail(err, ATT_EINVAL, "ICU normaliser unavailable");
	dn = unorm2_normalize(nfkc, src, sn, dst, (int32_t)(sizeof(dst) / sizeof(dst[0])), &st);
	if (U_FAILURE(st))
		return att_fail(err, ATT_ELIMIT, "name expands beyond the limit");

	for (int32_t i = 0; i < dn;) {
		int32_t start, end;
		UChar32 c;
		struct att_name_token tk;

		c = peek_cp(dst, i, dn);
		if (!is_word_char(c)) {
			(void)next_cp(dst, &i, dn);
			continue;
		}
		start = i;
		while (i < dn) {
			int32_t j = i;

			c = next_cp(dst, &j, dn);
			if (!is_word_char(c))
				break;
			i = j;
		}
		end = i;
		/* dotted abbreviations are one word: S.A. → sa, C.V. → cv
		 * (a legal form, not two initials); "J. Smith" stays */
		if (end - start == 1 && end + 2 < dn && dst[end] == '.' &&
		    is_word_char(dst[end + 1]) && dst[end + 1] != '\'' &&
		    (end + 2 == dn || !is_word_char(dst[end + 2]))) {
			UChar ab[ATT_NAME_TOKEN_MAX];
			int32_t an = 0;

			ab[an++] = dst[start];
			while (an < (int32_t)ATT_NAME_TOKEN_MAX && i + 1 < dn && dst[i] == '.' &&
			       is_word_char(dst[i + 1]) && dst[i + 1] != '\'' &&
			       (i + 2 == dn || !is_word_char(dst[i + 2]))) {
				ab[an++] = dst[i + 1];
				i += 2;
			}
			if (i < dn && dst[i] == '.')
				i++;
			if (!make_token(ab, an, &tk))
				continue;
		} else if (!make_token(dst + start, end - start, &tk)) {
			continue;
		}
		if (is_marker(tk.text, tk.len) && out->ntok > 0) {
			struct att_name_token *p = &out->tok[out->ntok - 1];

			p->flags = (uint8_t)((p->flags & ~ATT_TOK_FAMILY) | ATT_TOK_PATRONYMIC);
			continue;
		}
		if (out->ntok == ATT_NAME_MAX_TOKENS) {
			out->truncated = true;
			break;
		}
		out->tok[out->ntok++] = tk;
	}
	if (out->ntok == 0)
		return att_fail(err, ATT_EINVAL, "name has no letters");
	return ATT_OK;
}

size_t att_name_format(const struct att_name *n, char *buf, size_t size)
{
	size_t need = 0;

	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < n->ntok; i++) {
		const char *t = n->tok[i].text;
		size_t l = n->tok[i].len;

		if (i) {
			if (need + 1 < size) {
				buf[need] = ' ';
				buf[need + 1] = 0;
			}
			need++;
		}
		if (need + l < size) {
			memcpy(buf + need, t, l);
			buf[need + l] = 0;
		}
		need += l;
	}
	return need;
}

size_t att_name_views(const struct att_name *n, struct att_tokv *v)
{
	for (size_t i = 0; i < n->ntok; i++) {
		v[i].t = n->tok[i].text;
		v[i].sk = n->tok[i].skel;
		v[i].len = n->tok[i].len;
		v[i].sklen = n->tok[i].sklen;
		v[i].flags = n->tok[i].flags;
		v[i].id = ATT_TOK_NOID;
	}
	return n->ntok;
}
