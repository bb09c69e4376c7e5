/* Safeguards: mandate, neutrality screen, protected persons, handling codes.
 * Every rule that keeps the network to its mandate is here. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unicode/uchar.h>
#include <unicode/ucasemap.h>
#include <unicode/utf8.h>
#include <idn2.h>

#include "attache/match.h"
#include "attache/registry.h"
#include "holdings.h"
#include "policy.h"
#include "store_core.h"
#include "store_exchange.h"
#include "store_registry.h"
#include "util.h"
#include "banned.h"

unsigned att_field_bit(const char *field)
{
	if (!field)
		return 0;
	if (!strcmp(field, ATT_FIELD_TERRORISM))
		return 1u;
	if (!strcmp(field, ATT_FIELD_ORGCRIME))
		return 2u;
	if (!strcmp(field, ATT_FIELD_CYBER))
		return 4u;
	return 0;
}

enum att_rc att_policy_mandate(struct att_node *node, const struct att_actor *actor,
			       struct att_mandate *m, struct att_err *err)
{
	memset(m, 0, sizeof(*m));
	switch (actor->role) {
	case ATT_ROLE_DESK:
		snprintf(m->unit, sizeof(m->unit), "%s", actor->unit);
		m->fields = att_field_bit(strncmp(actor->unit, "hq/", 3) ? NULL : actor->unit + 3);
		return ATT_OK;
	case ATT_ROLE_PARTNER:
		snprintf(m->unit, sizeof(m->unit), "%s", actor->unit);
		m->fields = 7u;
		return ATT_OK;
	case ATT_ROLE_REP: {
		char post[ATT_ID_MAX + 1], field[ATT_ID_MAX + 1];
		enum att_rc rc = att_appt_active_for(node, actor->id, post, field, err);

		if (rc == ATT_ENOTFOUND)
			return att_fail(err, ATT_EDENIED,
					"denied: %s has no active appointment; a representative "
					"exchanges only while appointed",
					actor->id);
		if (rc)
			return rc;
		snprintf(m->unit, sizeof(m->unit), "post/%s", post);
		m->fields = att_field_bit(field);
		return ATT_OK;
	}
	default:
		return ATT_OK;
	}
}

enum att_rc att_policy_addressable(struct att_node *node, const char *unit, const char *field,
				   struct att_err *err)
{
	const char *shown = unit && att_utf8_valid(unit, strlen(unit)) ? unit : "?";

	if (!unit || strlen(unit) > 2 * ATT_ID_MAX + 1)
		return att_fail(err, ATT_EINVAL, "a recipient unit is missing or too long");
	if (!strncmp(unit, "hq/", 3)) {
		if (!att_field_valid(unit + 3))
			return att_fail(err, ATT_EINVAL,
					"unit %.80s is not addressable (hq/terrorism, "
					"hq/organized-crime or hq/cybercrime)",
					shown);
		if (strcmp(unit + 3, field))
			return att_fail(err, ATT_EINVAL,
					"unit %s handles %s, not %s: it is not addressable for this "
					"message",
					unit, unit + 3, field);
		return ATT_OK;
	}
	if (!strncmp(unit, "post/", 5)) {
		struct att_post_row p;
		enum att_rc rc;

		if (att_check_id(NULL, "post", unit + 5))
			return att_fail(err, ATT_EINVAL, "unit %.80s is not addressable", shown);
		rc = att_store_post_get(node->store, unit + 5, &p, err);
		if (rc == ATT_ENOTFOUND)
			return att_fail(err, ATT_EINVAL, "unit %s is not addressable: no such post",
					unit);
		if (rc)
			return rc;
		if (!att_list_has(p.fields, field))
			return att_fail(err, ATT_EINVAL,
					"unit %s is not addressable for %s: the post's fields are %s",
					unit, field, p.fields);
		return ATT_OK;
	}
	if (!strncmp(unit, "partner/", 8)) {
		bool found = false;
		enum att_rc rc;

		if (att_check_id(NULL, "partner", unit + 8))
			return att_fail(err, ATT_EINVAL, "unit %.80s is not addressable", shown);
		rc = att_store_unit_exists(node->store, unit, &found, err);
		if (rc)
			return rc;
		if (!found)
			return att_fail(err, ATT_EINVAL,
					"unit %s is not addressable: no partner agency has that unit",
					unit);
		return ATT_OK;
	}
	return att_fail(err, ATT_EINVAL,
			"unit %.80s is not addressable (hq/<field>, post/<id> or partner/<id>)",
			shown);
}

/* --- neutrality screen ------------------------------------------------------ */

struct term {
	char *folded;
	size_t len;
	bool prefix;
	char lang[8];
	char category[32];
	char shown[128];
};

struct term_cache {
	int64_t gen;
	uint64_t checked_epoch; /* the transaction in which gen was last checked */
	struct term *terms;
	size_t n, cap;
	/* Terms by their first folded byte: first[b] is the head of a chain
	 * through next[], in term order (SIZE_MAX ends it). */
	size_t first[256];
	size_t *next;
	UCaseMap *cm; /* opened once: opening costs more than folding a text */
	bool *found;  /* per term, for one text */
};

static struct term_cache *cache_of(struct att_node *node);

/* Unicode default case folding of n bytes of UTF-8 (NULL when the text is
 * not valid or memory is short). ASCII text is folded here: on ASCII the
 * default folding is exactly A-Z to a-z. */
static char *fold(struct term_cache *c, const char *s, size_t n, size_t *outlen)
{
	UErrorCode st = U_ZERO_ERROR;
	size_t cap = 3 * n + 16, i;
	char *out;
	int32_t len;

	if (n > INT32_MAX / 4)
		return NULL;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (i = 0; i < n && !((unsigned char)s[i] & 0x80u); i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	if (i == n) {
		out[n] = '\0';
		*outlen = n;
		return out;
	}
	if (!c->cm)
		c->cm = ucasemap_open("", U_FOLD_CASE_DEFAULT, &st);
	if (U_FAILURE(st) || !c->cm) {
		free(out);
		return NULL;
	}
	len = ucasemap_utf8FoldCase(c->cm, out, (int32_t)cap, s, (int32_t)n, &st);
	if (U_FAILURE(st) || len < 0 || (size_t)len >= cap) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*outlen = (size_t)len;
	return out;
}

static int load_term(const char *term, const char *lang, const char *category, void *arg)
{
	struct term_cache *c = arg;
	size_t n = strlen(term), flen = 0;
	struct term *t;
	bool prefix = n > 1 && term[n - 1] == '*';
	char *f;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 128;
		struct term *nt = realloc(c->terms, cap * sizeof(*nt));

		if (!nt)
			return 1;
		c->terms = nt;
		c->cap = cap;
	}
	f = fold(c, term, prefix ? n - 1 : n, &flen);
	if (!f || !flen) {
		free(f);
		return 0;
	}
	t = &c->terms[c->n++];
	t->folded = f;
	t->len = flen;
	t->prefix = prefix;
	snprintf(t->lang, sizeof(t->lang), "%s", lang);
	snprintf(t->category, sizeof(t->category), "%s", category);
	snprintf(t->shown, sizeof(t->shown), "%s", term);
	return 0;
}

static void cache_clear(struct term_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->terms[i].folded);
	c->n = 0;
}

/* Chains the loaded terms by first byte, keeping term order in each chain. */
static enum att_rc cache_index(struct term_cache *c, struct att_err *err)
{
	size_t last[256];

	free(c->next);
	free(c->found);
	c->next = malloc((c->n ? c->n : 1) * sizeof(*c->next));
	c->found = malloc((c->n ? c->n : 1) * sizeof(*c->found));
	if (!c->next || !c->found)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	for (size_t b = 0; b < 256; b++)
		c->first[b] = last[b] = SIZE_MAX;
	for (size_t k = 0; k < c->n; k++) {
		unsigned char b = (unsigned char)c->terms[k].folded[0];

		c->next[k] = SIZE_MAX;
		if (last[b] == SIZE_MAX)
			c->first[b] = k;
		else
			c->next[last[b]] = k;
		last[b] = k;
	}
	return ATT_OK;
}

void att_policy_cache_free(struct att_node *node)
{
	struct term_cache *c = node->policy_cache;

	if (!c)
		return;
	cache_clear(c);
	free(c->terms);
	free(c->next);
	free(c->found);
	ucasemap_close(c->cm);
	free(c);
	node->policy_cache = NULL;
}

static struct term_cache *cache_of(struct att_node *node)
{
	if (!node->policy_cache) {
		struct term_cache *c = calloc(1, sizeof(*c));

		if (c)
			c->gen = -1;
		node->policy_cache = c;
	}
	return node->policy_cache;
}

/* Is the byte before position i (or after i+len) a letter or digit? Non-ASCII
 * bytes count as letters: the terms and texts are words of Latin, Cyrillic
 * and Azerbaijani scripts. */
static bool wordish(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       (c >= 'A' && c <= 'Z');
}

enum att_rc att_policy_neutrality(struct att_node *node, const char *text, const char *where,
				  void *reasons, struct att_err *err)
{
	struct term_cache *c = cache_of(node);
	int64_t gen = 0;
	size_t flen = 0;
	char *ft;
	enum att_rc rc;

	if (!c)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (!text || !*text)
		return ATT_OK;
	/* Within one transaction the terms cannot change under us: check the
	 * generation once per transaction, not per text. */
	if (c->checked_epoch == node->tx_epoch && c->gen >= 0)
		gen = c->gen;
	else if ((rc = att_store_counter_get(node->store, "terms_gen", &gen, err)) != ATT_OK)
		return rc;
	c->checked_epoch = node->tx_epoch;
	if (gen != c->gen) {
		cache_clear(c);
		c->gen = -1;
		rc = att_store_term_each(node->store, load_term, c, err);
		if (!rc)
			rc = cache_index(c, err);
		if (rc)
			return rc;
		c->gen = gen;
	}
	ft = fold(c, text, strlen(text), &flen);
	if (!ft)
		return att_fail(err, ATT_EINVAL, "the %s could not be screened (not valid UTF-8?)",
				where);
	/* A term is found where it starts a word (and, unless it is a stem,
	 * ends one): only word starts are tried, and there only the terms that
	 * begin with that byte. */
	memset(c->found, 0, c->n * sizeof(*c->found));
	for (size_t i = 0; i < flen; i++) {
		if (i > 0 && wordish((unsigned char)ft[i - 1]))
			continue;
		for (size_t k = c->first[(unsigned char)ft[i]]; k != SIZE_MAX; k = c->next[k]) {
			const struct term *t = &c->terms[k];

			if (c->found[k] || t->len > flen - i || memcmp(ft + i, t->folded, t->len))
				continue;
			if (t->prefix || i + t->len >= flen || !wordish((unsigned char)ft[i + t->len]))
				c->found[k] = true;
		}
	}
	/* Reasons in term order, one per term. */
	for (size_t k = 0; k < c->n; k++) {
		const struct term *t = &c->terms[k];

		if (c->found[k])
			json_array_append_new(reasons,
					      json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "neutrality",
							"category", t->category, "term", t->shown,
							"lang", t->lang, "where", where));
	}
	free(ft);
	return ATT_OK;
}

/* --- protected persons ------------------------------------------------------- */

/* A register entry is matched a little below the engine's threshold: a held
 * message costs a review, a missed one costs a person's safety. */
#define PROTECT_THRESHOLD (ATT_MATCH_THRESHOLD - 0.06)

#define PROTECT_HITS 8u

/* The register entries name (normalised in norm, or NULL; dob or NULL)
 * matches, into hits[0..*n). A name with nothing to match is no hit. */
static enum att_rc register_query(struct att_node *node, const char *name,
				  const struct att_name *norm, const char *dob,
				  struct att_match_hit hits[PROTECT_HITS], size_t *n,
				  struct att_err *err)
{
	struct att_match_query q;
	enum att_rc rc;

	*n = 0;
	memset(&q, 0, sizeof(q));
	q.name = name;
	q.len = strlen(name);
	q.norm = norm;
	q.min_score = PROTECT_THRESHOLD;
	if (dob && !att_match_dob_parse(dob, &q.attrs.dob))
		q.attrs.dob = 0;
	rc = att_holdings_query_protected(node, &q, hits, PROTECT_HITS, n, err);
	if (rc == ATT_EINVAL) {
		att_err_clear(err);
		*n = 0;
		return ATT_OK;
	}
	if (*n > PROTECT_HITS)
		*n = PROTECT_HITS;
	return rc;
}

enum att_rc att_policy_protected(struct att_node *node, const char *name,
				 const struct att_name *norm, const char *dob,
				 size_t entity_index, void *reasons, struct att_err *err)
{
	struct att_match_hit hits[PROTECT_HITS];
	size_t n;
	enum att_rc rc = register_query(node, name, norm, dob, hits, &n, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(reasons,
				      json_pack("{s:s,s:I,s:I,s:f}", "kind", "protected-person",
						"entity", (json_int_t)entity_index, "register",
						(json_int_t)hits[i].ref, "score", hits[i].score));
	return ATT_OK;
}

struct holdings_found {
	struct att_node *node;
	int64_t *ids;
	size_t n, cap;
	bool oom;
};

static void holding_found(uint64_t ref, double score, void *arg)
{
	struct holdings_found *f = arg;
	struct att_entity_home h;

	(void)score;
	/* entities of messages only (not watchlist entries), and of those
	 * the names: the check at sending reads persons and organizations */
	if ((ref & ATT_REF_WL) || f->oom)
		return;
	if (att_holdings_home(f->node, (int64_t)ref, &h) && h.kind != ATT_EK_PERSON &&
	    h.kind != ATT_EK_ORGANIZATION)
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		int64_t *g = realloc(f->ids, cap * sizeof(*g));

		if (!g) {
			f->oom = true;
			return;
		}
		f->ids = g;
		f->cap = cap;
	}
	f->ids[f->n++] = (int64_t)ref;
}

enum att_rc att_policy_protected_holdings(struct att_node *node, const char *name,
					  const char *dob, int64_t **ids, size_t *n,
					  struct att_err *err)
{
	struct holdings_found f = {node, NULL, 0, 0, false};
	struct att_match_query q;
	struct att_match_hit one;
	size_t k = 0;
	enum att_rc rc;

	*ids = NULL;
	*n = 0;
	memset(&q, 0, sizeof(q));
	q.name = name;
	q.len = strlen(name);
	q.min_score = PROTECT_THRESHOLD;
	if (dob && !att_match_dob_parse(dob, &q.attrs.dob))
		q.attrs.dob = 0;
	/* every name the keys reach, however common its words: the check at
	 * sending reads a small register whole, this reads the holdings */
	q.exhaustive = true;
	q.each = holding_found;
	q.each_arg = &f;
	rc = att_match_index_query(att_holdings_index(node), &q, &one, 1, &k, err);
	/* its scratch is sized for every candidate (tens of MB for a common
	 * name in millions): not kept for the thread's next query */
	att_match_thread_release();
	if (rc == ATT_EINVAL) {
		att_err_clear(err);
		rc = ATT_OK;
		f.n = 0;
	}
	if (!rc && f.oom)
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	if (rc) {
		free(f.ids);
		return rc;
	}
	*ids = f.ids;
	*n = f.n;
	return ATT_OK;
}

/* Free text is read as a stream of name tokens: words (runs of letters in
 * any script, see word_char; one longer than TEXT_WORD_MAX bytes is cut
 * into pieces) are normalised TEXT_BATCH_WORDS at a time, as names are, and each
 * token is weighed against the register as it comes. Runs of up to
 * TEXT_RUN_MAX tokens ending in the new one are queried as names when they
 * could be one (see run_worth); a run already queried is not queried again.
 * A field needing more than TEXT_QUERIES_MAX queries holds the message
 * unchecked: text made to cost the node its time is for the overseer too. */
#define TEXT_WORD_MAX 160u
#define TEXT_BATCH_WORDS 8u
#define TEXT_RUN_MAX 6u
#define TEXT_QUERIES_MAX 256u
#define TEXT_SEEN 1024u /* a power of two, over TEXT_QUERIES_MAX */

struct word {
	const char *s;
	size_t len;
};

struct text_scan {
	struct att_node *node;
	const char *where;
	json_t *reasons;
	json_t *found; /* register ids reported, as keys */
	struct att_name_token ring[TEXT_RUN_MAX];
	enum att_token_level lv[TEXT_RUN_MAX];
	size_t ntok; /* tokens so far; token j is at ring[j % TEXT_RUN_MAX] */
	uint64_t seen[TEXT_SEEN]; /* runs queried, by hash (0: free) */
	size_t queries;
	bool over;
};

/* Whether code point c is part of a word: letters, digits and combining
 * marks; apostrophes (O'Brien); and invisible format characters, which
 * normalising deletes (Sahib U+200B Nasirli is then one word, which
 * scan_glued takes apart). Every other character, in any script (spaces,
 * dashes, hyphens, quotes, ellipses, symbols), ends a word. */
static bool word_char(UChar32 c)
{
	int8_t t;

	if (c < 0)
		return false; /* not UTF-8 (the text was checked: never) */
	if (c < 0x80)
		return isalnum(c) || c == '\'';
	if (c == 0x2019 || c == 0x02BC)
		return true;
	t = (int8_t)u_charType(c);
	return u_isalnum(c) || t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK ||
	       t == U_ENCLOSING_MARK || t == U_FORMAT_CHAR;
}

/* The next word of the NUL-terminated UTF-8 text at *p: a run of word
 * characters of at most TEXT_WORD_MAX bytes (a longer run goes on as the
 * next word); false at the end. */
static bool next_word(const char **p, struct word *w)
{
	const uint8_t *s = (const uint8_t *)*p;
	int32_t i = 0, start = -1, at;
	UChar32 c;

	for (;;) {
		at = i;
		U8_NEXT(s, i, -1, c);
		if (c == 0 || (start >= 0 && (!word_char(c) || i - start > (int32_t)TEXT_WORD_MAX)))
			break;
		if (c > 0 && start < 0 && word_char(c))
			start = at;
	}
	if (start < 0) {
		*p = (const char *)s + at;
		return false;
	}
	w->s = (const char *)s + start;
	w->len = (size_t)(at - start);
	*p = (const char *)s + at;
	return true;
}

static bool token_has_letter(const struct att_name_token *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (!isdigit((unsigned char)t->text[i]))
			return true;
	return t->len == 0 && t->sklen > 0;
}

/* Whether the run of k tokens ending in the newest could be a registered
 * name: one token the register holds as it is (a name of one word); or
 * both ends counting (held, or an initial) and, inside, two tokens held at
 * least nearly, or one held exactly beside an initial (S. Nasirli). A
 * lone near token is not enough, and a word under four letters is never
 * near: short common words share the coarse keys of short names ("the"
 * those of a given name of the benchmark's). */
static bool run_worth(const struct text_scan *sc, size_t k)
{
	size_t held = 0, exact = 0, initials = 0;

	for (size_t i = 0; i < k; i++) {
		size_t j = (sc->ntok - 1 - i) % TEXT_RUN_MAX;
		bool init = sc->ring[j].flags & ATT_TOK_INITIAL;

		if ((i == 0 || i == k - 1) && sc->lv[j] == ATT_TOKEN_NONE && !init)
			return false;
		held += sc->lv[j] != ATT_TOKEN_NONE;
		exact += sc->lv[j] == ATT_TOKEN_EXACT;
		initials += init;
	}
	if (k == 1)
		return exact == 1 && !initials;
	return held >= 2 || (exact >= 1 && initials >= 1);
}

/* Remembers the run's hash; false when it was queried already. */
static bool run_new(struct text_scan *sc, const struct att_name *run)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < run->ntok; i++) {
		for (size_t c = 0; c < run->tok[i].len; c++)
			h = (h ^ (unsigned char)run->tok[i].text[c]) * 1099511628211ull;
		for (size_t c = 0; c < run->tok[i].sklen; c++)
			h = (h ^ (unsigned char)run->tok[i].skel[c]) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	h |= 1;
	for (size_t i = h & (TEXT_SEEN - 1);; i = (i + 1) & (TEXT_SEEN - 1)) {
		if (sc->seen[i] == h)
			return false;
		if (!sc->seen[i]) {
			sc->seen[i] = h;
			return true;
		}
	}
}

static enum att_rc query_run(struct text_scan *sc, const struct att_name *run,
			     struct att_err *err)
{
	struct att_match_hit hits[PROTECT_HITS];
	char text[TEXT_RUN_MAX * (ATT_NAME_TOKEN_MAX + 1) + 1];
	size_t n;
	enum att_rc rc;

	att_name_format(run, text, sizeof(text));
	rc = register_query(sc->node, text, run, NULL, hits, &n, err);
	for (size_t i = 0; !rc && i < n; i++) {
		char key[24];

		snprintf(key, sizeof(key), "%llu", (unsigned long long)hits[i].ref);
		if (json_object_get(sc->found, key))
			continue;
		if (json_object_set_new(sc->found, key, json_true()) ||
		    json_array_append_new(sc->reasons,
					  json_pack("{s:s,s:s,s:I,s:f}", "kind", "protected-person",
						    "where", sc->where, "register",
						    (json_int_t)hits[i].ref, "score", hits[i].score)))
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
	}
	return rc;
}

static enum att_rc scan_token(struct text_scan *sc, const struct att_name_token *t,
			      struct att_err *err);

/* A token the register does not hold may be a name written as one word
 * (#SahibNasirli, or its words joined by an invisible character): when it
 * splits into two texts of which the register holds one as it is and the
 * other at least nearly, the two are read as a name of their own, then the
 * stream goes on. */
static enum att_rc scan_glued(struct text_scan *sc, const struct att_name_token *t,
			      struct att_err *err)
{
	enum { PART_MIN = 3 };
	struct att_name_token ring[TEXT_RUN_MAX];
	enum att_token_level lv[TEXT_RUN_MAX];

	for (size_t i = PART_MIN; i + PART_MIN <= t->len; i++) {
		char two[ATT_NAME_TOKEN_MAX + 2];
		struct att_name nm;
		const char *a = t->text, *b = t->text + i;
		size_t na = i, nb = t->len - i, saved = sc->ntok;
		enum att_rc rc;

		if (att_holdings_protected_text(sc->node, a, na, false) == ATT_TOKEN_EXACT) {
			if (att_holdings_protected_text(sc->node, b, nb, true) == ATT_TOKEN_NONE)
				continue;
		} else if (att_holdings_protected_text(sc->node, b, nb, false) != ATT_TOKEN_EXACT ||
			   att_holdings_protected_text(sc->node, a, na, true) == ATT_TOKEN_NONE) {
			continue;
		}
		snprintf(two, sizeof(two), "%.*s %s", (int)i, t->text, t->text + i);
		if (att_name_normalize(two, strlen(two), &nm, err) != ATT_OK || nm.ntok != 2) {
			att_err_clear(err);
			continue;
		}
		/* the two on their own, not joined to the tokens before, which
		 * the stream then goes on from */
		memcpy(ring, sc->ring, sizeof(ring));
		memcpy(lv, sc->lv, sizeof(lv));
		sc->ntok = 0;
		rc = scan_token(sc, &nm.tok[0], err);
		if (!rc)
			rc = scan_token(sc, &nm.tok[1], err);
		sc->ntok = saved;
		memcpy(sc->ring, ring, sizeof(ring));
		memcpy(sc->lv, lv, sizeof(lv));
		if (rc)
			return rc;
	}
	return ATT_OK;
}

/* Takes the next token of the text and queries the runs it ends. */
static enum att_rc scan_token(struct text_scan *sc, const struct att_name_token *t,
			      struct att_err *err)
{
	enum att_token_level level;
	enum att_rc rc = ATT_OK;

	if (sc->over || !token_has_letter(t))
		return ATT_OK; /* numbers are no part of a name */
	level = att_holdings_protected_token(sc->node, t);
	/* a near match of a word of three letters is a coincidence ("the") */
	if (level == ATT_TOKEN_NEAR && !(t->flags & ATT_TOK_SKELETON) && t->len < 4)
		level = ATT_TOKEN_NONE;
	if (level == ATT_TOKEN_NONE && !(t->flags & ATT_TOK_SKELETON) && t->len >= 6) {
		rc = scan_glued(sc, t, err);
		if (rc)
			return rc;
	}
	sc->ring[sc->ntok % TEXT_RUN_MAX] = *t;
	sc->lv[sc->ntok % TEXT_RUN_MAX] = level;
	sc->ntok++;
	for (size_t k = 1; !rc && k <= TEXT_RUN_MAX && k <= sc->ntok; k++) {
		struct att_name run;

		if (!run_worth(sc, k))
			continue;
		/* the head only: the tokens past k are never read (a whole
		 * name zeroed for each of six runs was most of this loop) */
		memset(&run, 0, offsetof(struct att_name, tok));
		run.ntok = k;
		for (size_t i = 0; i < k; i++)
			run.tok[i] = sc->ring[(sc->ntok - k + i) % TEXT_RUN_MAX];
		if (!run_new(sc, &run))
			continue;
		if (sc->queries == TEXT_QUERIES_MAX) {
			sc->over = true;
			break;
		}
		sc->queries++;
		rc = query_run(sc, &run, err);
	}
	return rc;
}

/* Normalises the words w[0..nw) as one name and scans its tokens. When they
 * do not fit a name's room (ATT_NAME_INPUT_MAX bytes, ATT_NAME_MAX_TOKENS
 * tokens), each word on its own, and a word of too many parts part by
 * part. */
static enum att_rc scan_words(struct text_scan *sc, const struct word *w, size_t nw,
			      struct att_err *err)
{
	char buf[TEXT_BATCH_WORDS * (TEXT_WORD_MAX + 1)];
	struct att_name nm;
	size_t len = 0;
	enum att_rc rc;

	for (size_t i = 0; i < nw; i++) {
		memcpy(buf + len, w[i].s, w[i].len);
		len += w[i].len;
		buf[len++] = ' ';
	}
	rc = att_name_normalize(buf, len - 1, &nm, err);
	if (rc == ATT_EINVAL) {
		att_err_clear(err); /* no letters: no name here */
		return ATT_OK;
	}
	if (rc && rc != ATT_ELIMIT)
		return rc;
	if (rc == ATT_ELIMIT || nm.truncated) {
		bool limit = rc == ATT_ELIMIT;
		struct word part[TEXT_BATCH_WORDS];
		const char *p = w->s, *end = w->s + w->len;
		size_t np = 0, parts = 0;

		att_err_clear(err);
		rc = ATT_OK;
		if (nw > 1) {
			for (size_t i = 0; !rc && i < nw; i++)
				rc = scan_words(sc, &w[i], 1, err);
			return rc;
		}
		/* one word: its parts between hyphens and apostrophes */
		for (const char *q = p; q < end; q++)
			parts += *q == '-' || *q == '\'';
		if (parts > 0) {
			while (!rc && p <= end) {
				const char *q = p;

				while (q < end && *q != '-' && *q != '\'')
					q++;
				if (q > p) {
					part[np].s = p;
					part[np++].len = (size_t)(q - p);
				}
				if (np && (np == TEXT_BATCH_WORDS || q == end)) {
					rc = scan_words(sc, part, np, err);
					np = 0;
				}
				p = q + 1;
			}
			return rc;
		}
		if (limit)
			return ATT_OK; /* one part, too long for a name */
		/* else the tokens that fitted */
	}
	for (size_t i = 0; !rc && i < nm.ntok; i++)
		rc = scan_token(sc, &nm.tok[i], err);
	return rc;
}

enum att_rc att_policy_screen_text(struct att_node *node, const char *text, const char *where,
				   void *reasons, struct att_err *err)
{
	enum att_rc rc = att_policy_protected_text(node, text, where, reasons, err);

	return rc ? rc : att_policy_neutrality(node, text, where, reasons, err);
}

enum att_rc att_policy_protected_text(struct att_node *node, const char *text, const char *where,
				      void *reasons, struct att_err *err)
{
	struct text_scan *sc;
	struct word w[TEXT_BATCH_WORDS];
	const char *p = text;
	size_t nw = 0;
	bool more = true;
	enum att_rc rc = ATT_OK;

	if (!text || !*text || !att_holdings_protected_any(node))
		return ATT_OK;
	sc = calloc(1, sizeof(*sc));
	if (!sc || !(sc->found = json_object())) {
		free(sc);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	sc->node = node;
	sc->where = where;
	sc->reasons = reasons;
	while (!rc && more && !sc->over) {
		nw = 0;
		while (nw < TEXT_BATCH_WORDS && (more = next_word(&p, &w[nw])))
			nw++;
		if (nw)
			rc = scan_words(sc, w, nw, err);
	}
	if (!rc && sc->over &&
	    json_array_append_new(reasons, json_pack("{s:s,s:s,s:I}", "kind",
						     "protected-unchecked", "where", where,
						     "queries", (json_int_t)TEXT_QUERIES_MAX)))
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	json_decref(sc->found);
	free(sc);
	return rc;
}

/* The word before text[*end) (scanning back: a run of word characters,
 * cut into pieces of at most TEXT_WORD_MAX bytes from its end); false at
 * the start. */
static bool prev_word(const char *text, size_t *end, struct word *w)
{
	const uint8_t *s = (const uint8_t *)text;
	int32_t i = (int32_t)*end, stop, j;
	UChar32 c;

	for (; i > 0; i = j) {
		j = i;
		U8_PREV(s, 0, j, c);
		if (c >= 0 && word_char(c))
			break;
	}
	*end = (size_t)i;
	if (i == 0)
		return false;
	stop = i;
	for (; i > 0; i = j) {
		j = i;
		U8_PREV(s, 0, j, c);
		if (c < 0 || !word_char(c) || stop - j > (int32_t)TEXT_WORD_MAX)
			break;
	}
	w->s = text + i;
	w->len = (size_t)(stop - i);
	*end = (size_t)i;
	return true;
}

/* Whether the word gives a name token, as the field's own scan reads it:
 * digits, apostrophes, zero-width characters, Hangul fillers or tatweels
 * alone give none and take no place among a seam's six words. */
static bool word_is_token(const struct word *w)
{
	struct att_name nm;
	struct att_err ignored = {0};
	bool ascii = true, letter = false;

	for (size_t i = 0; i < w->len; i++) {
		unsigned char c = (unsigned char)w->s[i];

		ascii = ascii && c < 0x80;
		letter = letter || isalpha(c);
	}
	if (ascii)
		return letter;
	return att_name_normalize(w->s, w->len, &nm, &ignored) == ATT_OK && nm.ntok > 0;
}

/* Appends to b (room: TEXT_RUN_MAX words and spaces) the first (head) or
 * the last TEXT_RUN_MAX words of text that give tokens, each followed by a
 * space; the last are found from the end, so that a long field is not
 * read whole. */
static size_t seam_words(const char *text, bool head, char *b, bool *cut)
{
	struct word w[TEXT_RUN_MAX], x;
	const char *p = text;
	size_t k = 0, n = 0, end = strlen(text);

	*cut = false;
	while (k < TEXT_RUN_MAX && (head ? next_word(&p, &x) : prev_word(text, &end, &x)))
		if (word_is_token(&x)) {
			/* a piece of a longer word (cut at TEXT_WORD_MAX bytes, on
			 * a character's edge): not cut where the field's own scan
			 * cut it, so what it reads can differ */
			*cut = *cut || x.len + 4 > TEXT_WORD_MAX;
			w[k++] = x;
		}
	for (size_t i = 0; i < k; i++) {
		const struct word *y = &w[head ? i : k - 1 - i];

		memcpy(b + n, y->s, y->len);
		n += y->len;
		b[n++] = ' ';
	}
	return n;
}

/* Whether the words text[0..len) of a seam's side could end a run the
 * text check queries (see run_worth): a token the register holds at least
 * nearly, or an initial. A name cut across two fields has one at each of
 * the run's ends, so a pair with a side without one has nothing the two
 * fields on their own do not show (a word glued of two names is read on
 * its own, see scan_glued). When in doubt (no room, no memory), true. */
static bool side_could_end_run(struct att_node *node, const char *text, size_t len)
{
	struct att_name nm;
	struct att_err err = {0};
	enum att_rc rc;

	if (!len)
		return false;
	rc = att_name_normalize(text, len - 1, &nm, &err);
	if (rc == ATT_EINVAL)
		return false; /* no letters: no name */
	if (rc || nm.truncated)
		return true;
	for (size_t i = 0; i < nm.ntok; i++) {
		const struct att_name_token *t = &nm.tok[i];

		if (!token_has_letter(t))
			continue;
		if ((t->flags & ATT_TOK_INITIAL) ||
		    att_holdings_protected_token(node, t) != ATT_TOKEN_NONE)
			return true;
	}
	return false;
}

static bool is_protected_person(const json_t *r)
{
	const char *k = json_string_value(json_object_get(r, "kind"));

	return k && !strcmp(k, "protected-person");
}

static bool reason_has_register(const json_t *reasons, json_int_t reg)
{
	const json_t *r;
	size_t i;

	json_array_foreach(reasons, i, r)
		if (is_protected_person(r) &&
		    json_integer_value(json_object_get(r, "register")) == reg)
			return true;
	return false;
}

#define SEAM_FIELDS 16u
#define SEAM_SIDE (TEXT_RUN_MAX * (TEXT_WORD_MAX + 1))

struct seam_sides {
	char tails[SEAM_FIELDS][SEAM_SIDE], heads[SEAM_FIELDS][SEAM_SIDE];
	char buf[2 * SEAM_SIDE + 1];
};

enum att_rc att_policy_protected_seams(struct att_node *node, const char *const *texts,
				       const char *const *wheres, size_t n, void *reasons,
				       struct att_err *err)
{
	/* each field's last and first words, read once (a field walked for
	 * each pair it is in was most of the check's time) */
	struct seam_sides *sd;
	size_t tl[SEAM_FIELDS], hl[SEAM_FIELDS];
	bool tcut[SEAM_FIELDS] = {false}, hcut[SEAM_FIELDS] = {false};
	bool tend[SEAM_FIELDS], hend[SEAM_FIELDS];
	enum att_rc rc = ATT_OK;

	if (n > SEAM_FIELDS)
		return att_fail(err, ATT_EINVAL, "too many fields");
	if (!att_holdings_protected_any(node))
		return ATT_OK;
	if (!(sd = malloc(sizeof(*sd))))
		return att_fail(err, ATT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		/* the first field is never a later one, the last never an earlier */
		tl[i] = i + 1 < n && texts[i] ? seam_words(texts[i], false, sd->tails[i], &tcut[i])
					      : 0;
		hl[i] = i > 0 && texts[i] ? seam_words(texts[i], true, sd->heads[i], &hcut[i]) : 0;
		/* whether the side could end a run, each side normalised once
		 * (not once for each pair it is in) */
		tend[i] = tl[i] && side_could_end_run(node, sd->tails[i], tl[i]);
		hend[i] = hl[i] && side_could_end_run(node, sd->heads[i], hl[i]);
	}
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = i + 1; !rc && j < n; j++) {
			json_t *found, *r;
			char where[64];
			size_t k;

			if (!tl[i] || !hl[j])
				continue; /* an empty side: the other field alone, read already */
			/* a name across the two has a run's end on each side; a
			 * side with a piece of a long word is read whatever the
			 * other holds (the piece is not the one its field read) */
			if (!(tend[i] && hend[j]) && !tcut[i] && !hcut[j])
				continue;
			if (!(found = json_array())) {
				rc = att_fail(err, ATT_ENOMEM, "out of memory");
				break;
			}
			memcpy(sd->buf, sd->tails[i], tl[i]);
			memcpy(sd->buf + tl[i], sd->heads[j], hl[j]);
			sd->buf[tl[i] + hl[j]] = '\0';
			snprintf(where, sizeof(where), "%s+%s", wheres[i], wheres[j]);
			rc = att_policy_protected_text(node, sd->buf, where, found, err);
			json_array_foreach(found, k, r) {
				if (rc)
					break;
				if (is_protected_person(r) &&
				    reason_has_register(reasons,
							json_integer_value(json_object_get(r, "register"))))
					continue;
				if (json_array_append(reasons, r))
					rc = att_fail(err, ATT_ENOMEM, "out of memory");
			}
			json_decref(found);
		}
	free(sd);
	return rc;
}

/* Appends the percent-decoded copy of s (+ as a space) to b; false when it
 * decodes to nothing new or not to UTF-8. */
static bool percent_decoded(const char *s, struct att_buf *b)
{
	size_t at = b->len;
	bool changed = false;

	for (const char *p = s; *p; p++) {
		char c = *p;

		if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};

			c = (char)strtol(hex, NULL, 16);
			p += 2;
			changed = true;
		} else if (c == '+') {
			c = ' ';
			changed = true;
		}
		if (c && att_buf_add(b, &c, 1))
			return false;
	}
	if (!changed || !att_utf8_valid(b->data + at, b->len - at)) {
		b->len = at;
		return false;
	}
	return true;
}

/* Appends the Unicode form of each xn-- label of s (an address's host). */
static void idn_labels(const char *s, struct att_buf *b)
{
	for (const char *p = strstr(s, "xn--"); p; p = strstr(p + 4, "xn--")) {
		char label[64];
		size_t n = 0;
		char *u = NULL;

		while (n + 1 < sizeof(label) && (isalnum((unsigned char)p[n]) || p[n] == '-'))
			n++;
		memcpy(label, p, n);
		label[n] = '\0';
		if (idn2_to_unicode_8z8z(label, &u, 0) == IDN2_OK && u &&
		    att_utf8_valid(u, strlen(u)) && !att_buf_adds(b, u) && att_buf_add(b, "\n", 1))
			b->len -= strlen(u); /* no room: over the limit anyway */
		free(u);
	}
}

#define ADDR_TEXT_MAX (64u * 1024u)

enum att_rc att_policy_protected_addresses(struct att_node *node, const char *const *values,
					   size_t n, void *reasons, struct att_err *err)
{
	struct att_buf b;
	enum att_rc rc = ATT_OK;
	bool over = false;

	if (!n || !att_holdings_protected_any(node))
		return ATT_OK;
	att_buf_init(&b, ADDR_TEXT_MAX * 4);
	for (size_t i = 0; i < n && !over; i++) {
		/* as sent (a URL's path and query, a sub-domain), percent-decoded,
		 * and an IDN host in its own script */
		if (att_buf_adds(&b, values[i]) || att_buf_add(&b, "\n", 1)) {
			over = true;
			break;
		}
		if ((strchr(values[i], '%') || strchr(values[i], '+')) &&
		    percent_decoded(values[i], &b) && att_buf_add(&b, "\n", 1)) {
			over = true;
			break;
		}
		idn_labels(values[i], &b);
		over = b.len > ADDR_TEXT_MAX;
	}
	if (over) {
		/* addresses made to cost the check its time: for the overseer */
		if (json_array_append_new(reasons,
					  json_pack("{s:s,s:s,s:I}", "kind", "protected-unchecked",
						    "where", "entities", "bytes",
						    (json_int_t)ADDR_TEXT_MAX)))
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
	} else if (b.len) {
		if (att_buf_add(&b, "", 1))
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
		else
			rc = att_policy_protected_text(node, b.data, "entities", reasons, err);
	}
	att_buf_release(&b);
	return rc;
}

/* --- handling codes ------------------------------------------------------- */

bool att_handling_valid(const char *h)
{
	return h && h[0] == 'H' && h[1] >= '0' && h[1] <= '3' && !h[2];
}

bool att_policy_passes_on(const char *handling, bool is_provider, bool permitted)
{
	return strcmp(handling, "H2") || is_provider || permitted;
}

enum att_rc att_policy_may_forward(const char *handling, bool is_provider, bool permitted,
				   int64_t msg_id, const char *unit, struct att_err *err)
{
	if (att_policy_passes_on(handling, is_provider, permitted))
		return ATT_OK;
	return att_fail(err, ATT_EDENIED,
			"denied: message %lld is H2 (not to be passed on without the provider's "
			"permission) and the provider has not permitted passing it to %s",
			(long long)msg_id, unit);
}

enum att_rc att_policy_may_export(const char *handling, bool is_provider, bool permitted,
				  int64_t msg_id, struct att_err *err)
{
	if (strcmp(handling, "H1") || is_provider || permitted)
		return ATT_OK;
	return att_fail(err, ATT_EDENIED,
			"denied: message %lld is H1 (not to be used in judicial proceedings "
			"without the provider's permission) and the provider has not permitted it",
			(long long)msg_id);
}
