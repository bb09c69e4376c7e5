/* Safeguards: mandate, neutrality screen, protected persons, handling codes.
 * Every rule that keeps the network to its mandate is here. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <unicode/ucasemap.h>

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

enum att_rc att_policy_protected(struct att_node *node, const char *name,
				 const struct att_name *norm, const char *dob,
				 size_t entity_index, void *reasons, struct att_err *err)
{
	struct att_match_query q;
	struct att_match_hit hits[8];
	size_t n = 0;
	enum att_rc rc;

	memset(&q, 0, sizeof(q));
	q.name = name;
	q.len = strlen(name);
	q.norm = norm;
	q.min_score = PROTECT_THRESHOLD;
	if (dob && !att_match_dob_parse(dob, &q.attrs.dob))
		q.attrs.dob = 0;
	rc = att_holdings_query_protected(node, &q, hits, 8, &n, err);
	if (rc == ATT_EINVAL) {
		att_err_clear(err);
		return ATT_OK;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < n && i < 8; i++)
		json_array_append_new(reasons,
				      json_pack("{s:s,s:I,s:I,s:f}", "kind", "protected-person",
						"entity", (json_int_t)entity_index, "register",
						(json_int_t)hits[i].ref, "score", hits[i].score));
	return ATT_OK;
}

/* Free text is read in chunks of TEXT_CHUNK_WORDS words, each starting
 * TEXT_CHUNK_STEP words after the last, so that every run of up to
 * TEXT_NAME_WORDS words lies whole in one chunk; a word longer than
 * TEXT_WORD_MAX bytes is no name's and is left out. */
#define TEXT_NAME_WORDS 4u
#define TEXT_CHUNK_WORDS 8u
#define TEXT_CHUNK_STEP (TEXT_CHUNK_WORDS - TEXT_NAME_WORDS + 1)
#define TEXT_WORD_MAX 160u

struct word {
	const char *s;
	size_t len;
};

/* The next word of text at *p (bytes other than ASCII spaces and
 * punctuation; apostrophes and hyphens stay, as in O'Brien or
 * Mammadli-Aliyeva); false at the end. */
static bool next_word(const char **p, struct word *w)
{
	const unsigned char *s = (const unsigned char *)*p;

	for (;;) {
		while (*s && *s < 0x80 && !isalnum(*s))
			s++;
		if (!*s) {
			*p = (const char *)s;
			return false;
		}
		w->s = (const char *)s;
		while (*s && (*s >= 0x80 || isalnum(*s) || *s == '\'' || *s == '-'))
			s++;
		w->len = (size_t)((const char *)s - w->s);
		if (w->len <= TEXT_WORD_MAX) {
			*p = (const char *)s;
			return true;
		}
	}
}

/* Queries the runs of one to TEXT_NAME_WORDS tokens of nm that could be a
 * registered name: one token the register holds as it is (a name of one
 * word), or two or more tokens it holds as they are or nearly. A single
 * near token is not enough: short common words share the coarse keys of
 * short names ("the" those of a given name), and no name of two words
 * matches one of them. Appends each entry found (not yet in seen). */
static enum att_rc protected_runs(struct att_node *node, const struct att_name *nm,
				  const char *where, json_t *reasons, json_t *seen,
				  struct att_err *err)
{
	enum att_token_level lv[ATT_NAME_MAX_TOKENS];
	size_t known = 0;

	for (size_t i = 0; i < nm->ntok; i++) {
		lv[i] = att_holdings_protected_token(node, &nm->tok[i]);
		known += lv[i] != ATT_TOKEN_NONE;
	}
	for (size_t a = 0; known && a < nm->ntok; a++) {
		size_t near = 0;

		for (size_t k = 1; k <= TEXT_NAME_WORDS && a + k <= nm->ntok; k++) {
			struct att_name run = {0};
			struct att_match_query q;
			struct att_match_hit hits[8];
			char text[ATT_NAME_MAX_TOKENS * (ATT_NAME_TOKEN_MAX + 1) + 1];
			size_t n = 0;
			enum att_rc rc;

			near += lv[a + k - 1] != ATT_TOKEN_NONE;
			if (k == 1 ? lv[a] != ATT_TOKEN_EXACT : near < 2)
				continue;
			run.ntok = k;
			memcpy(run.tok, nm->tok + a, k * sizeof(run.tok[0]));
			att_name_format(&run, text, sizeof(text));
			memset(&q, 0, sizeof(q));
			q.name = text;
			q.len = strlen(text);
			q.norm = &run;
			q.min_score = PROTECT_THRESHOLD;
			rc = att_holdings_query_protected(node, &q, hits, 8, &n, err);
			if (rc == ATT_EINVAL) {
				att_err_clear(err);
				continue;
			}
			if (rc)
				return rc;
			for (size_t i = 0; i < n && i < 8; i++) {
				char key[24];

				snprintf(key, sizeof(key), "%llu", (unsigned long long)hits[i].ref);
				if (json_object_get(seen, key))
					continue;
				json_object_set_new(seen, key, json_true());
				json_array_append_new(reasons,
						      json_pack("{s:s,s:s,s:I,s:f}", "kind",
								"protected-person", "where", where,
								"register", (json_int_t)hits[i].ref,
								"score", hits[i].score));
			}
		}
	}
	return ATT_OK;
}

/* Normalises the words w[0..nw) as one name and queries its runs. *whole
 * is false when it did not fit a name's room (more than ATT_NAME_INPUT_MAX
 * bytes, or tokens dropped past ATT_NAME_MAX_TOKENS): the caller reads the
 * words again in smaller runs. */
static enum att_rc check_words(struct att_node *node, const struct word *w, size_t nw,
			       const char *where, json_t *reasons, json_t *seen, bool *whole,
			       struct att_err *err)
{
	char buf[TEXT_CHUNK_WORDS * (TEXT_WORD_MAX + 1)];
	struct att_name nm;
	size_t len = 0;
	enum att_rc rc;

	*whole = true;
	for (size_t i = 0; i < nw; i++) {
		memcpy(buf + len, w[i].s, w[i].len);
		len += w[i].len;
		buf[len++] = ' ';
	}
	rc = att_name_normalize(buf, len - 1, &nm, err);
	if (rc == ATT_EINVAL || rc == ATT_ELIMIT) {
		/* no letters (no name here), or too long for one name */
		att_err_clear(err);
		*whole = rc == ATT_EINVAL;
		return ATT_OK;
	}
	if (rc)
		return rc;
	*whole = !nm.truncated;
	return protected_runs(node, &nm, where, reasons, seen, err);
}

enum att_rc att_policy_protected_text(struct att_node *node, const char *text, const char *where,
				      void *reasons, struct att_err *err)
{
	struct word w[TEXT_CHUNK_WORDS];
	const char *p = text;
	size_t nw = 0;
	bool more = true, whole;
	json_t *seen;
	enum att_rc rc = ATT_OK;

	if (!text || !*text || !att_holdings_protected_any(node))
		return ATT_OK;
	seen = json_object();
	if (!seen)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	while (!rc && more) {
		while (nw < TEXT_CHUNK_WORDS && (more = next_word(&p, &w[nw])))
			nw++;
		if (nw == 0)
			break;
		rc = check_words(node, w, nw, where, reasons, seen, &whole, err);
		/* long words, or words of many tokens: every run of up to
		 * TEXT_NAME_WORDS words on its own (each fits a name's room) */
		for (size_t i = 0; !rc && !whole && i < nw; i++) {
			bool fits;

			rc = check_words(node, w + i, nw - i < TEXT_NAME_WORDS ? nw - i : TEXT_NAME_WORDS,
					 where, reasons, seen, &fits, err);
		}
		if (!more || nw < TEXT_CHUNK_WORDS)
			break;
		/* the last TEXT_NAME_WORDS - 1 words begin the next chunk */
		memmove(w, w + TEXT_CHUNK_STEP, (nw - TEXT_CHUNK_STEP) * sizeof(w[0]));
		nw -= TEXT_CHUNK_STEP;
	}
	json_decref(seen);
	return rc;
}

/* --- handling codes ------------------------------------------------------- */

bool att_handling_valid(const char *h)
{
	return h && h[0] == 'H' && h[1] >= '0' && h[1] <= '3' && !h[2];
}

enum att_rc att_policy_may_forward(const char *handling, bool is_provider, bool permitted,
				   int64_t msg_id, const char *unit, struct att_err *err)
{
	if (strcmp(handling, "H2") || is_provider || permitted)
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
