/* The in-memory match index: blocking keys → the interned tokens that have
 * them, tokens → postings of entry numbers (values, never pairs), packed
 * normalised names for verification by the scorer, refs → entries, and
 * exact identifier postings with CIDR containment. One rwlock: queries
 * share it, changes take it exclusively. */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache/match.h"
#include "match_int.h"
#include "util.h"
#include "banned.h"

#define NONE UINT32_MAX
#define DEFAULT_CAP 4000u
#define DEFAULT_VERIFY 16u
#define DENSE_MAX (1u << 21) /* see tl_dense */
#define HARD_CAP 60000u

/* --------------------------------------------------------- blocking keys -- */

static char coarse(char c)
{
	switch (c) {
	case 'g': case 'q': case 'k': case 'h': case 'x': return 'K';
	case 'j': case 'C': case 'Z': case 'c': return 'J';
	case 'z': return 's';
	case 'd': return 't';
	case 'p': return 'b';
	case 'v': case 'w': return 'f';
	case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': return 'a';
	default: return c;
	}
}

/* Spelling form of a folded Latin token: the consonant classes of the
 * coarse skeleton (g q k h x; c j ch dj dzh zh; s z ts th; d t; b p; v f w
 * ph; sh apart) with the vowels kept in three classes (a e, i y, o u),
 * doubles collapsed. Transliterations of one name share it (Mammadov /
 * Mamedov, Qasimov / Gasymov, Jafarov / Djafarov / Cafarov, Huseynov /
 * Guseynov, Maxaov / Makhaov) while its vowels keep it much rarer than
 * the skeleton, whose postings of common consonant patterns are too long
 * to seed. */
static size_t spell_form(const char *t, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = t[i], nx = i + 1 < n ? t[i + 1] : 0, k;

		if (c == 'd' && nx == 'z' && i + 2 < n && t[i + 2] == 'h') {
			k = 'J';
			i += 2;
		} else if ((c == 'd' && nx == 'j') || (c == 'z' && nx == 'h') ||
			   (c == 'c' && nx == 'h')) {
			k = 'J';
			i++;
		} else if (c == 't' && (nx == 'h' || nx == 's')) {
			k = 's';
			i++;
		} else if ((c == 'p' && nx == 'h') || (c == 's' && nx == 'h')) {
			k = c == 'p' ? 'f' : 'S';
			i++;
		} else if (c == 'e') {
			k = 'a';
		} else if (c == 'y') {
			k = 'i';
		} else if (c == 'u') {
			k = 'o';
		} else {
			k = coarse(c);
			if (k == 'a') /* a vowel: a, i, o stay */
				k = c;
		}
		if (o == 0 || out[o - 1] != k)
			out[o++] = k;
	}
	return o;
}

size_t att_token_keys(const struct att_tokv *tv, uint32_t keys[ATT_TOKEN_KEYS],
		      uint8_t kinds[ATT_TOKEN_KEYS])
{
	uint8_t kd[ATT_TOKEN_KEYS];
	char k[ATT_NAME_TOKEN_MAX + 2];
	size_t n = 0, nk = 0;

	if (tv->flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL))
		return 0;
	if (!kinds)
		kinds = kd;
	/* exact: rare, so most queries seed from it (the same name written
	 * the same way, in any order, with or without middle names) */
	kinds[nk] = ATT_KEY_EXACT;
	if (tv->flags & ATT_TOK_SKELETON)
		keys[nk++] = att_hash32(tv->sk, tv->sklen, 5);
	else
		keys[nk++] = att_hash32(tv->t, tv->len, 4);
	for (size_t i = 0; i < tv->sklen; i++) {
		char c = coarse(tv->sk[i]);

		if (n == 0 || k[n - 1] != c)
			k[n++] = c;
	}
	if (n > 0) {
		kinds[nk] = ATT_KEY_SKELETON;
		keys[nk++] = att_hash32(k, n, 1);
	}
	if (!(tv->flags & ATT_TOK_SKELETON) && tv->len >= 4) {
		n = 0;
		for (size_t i = 0; i < tv->len && n < 4; i++) {
			char c = coarse(tv->t[i]);

			if (n == 0 || k[n - 1] != c)
				k[n++] = c;
		}
		if (n >= 3) {
			kinds[nk] = ATT_KEY_PREFIX;
			keys[nk++] = att_hash32(k, n, 3);
		}
	}
	if (!(tv->flags & ATT_TOK_SKELETON) && tv->len >= 3) {
		n = spell_form(tv->t, tv->len, k);
		kinds[nk] = ATT_KEY_SPELLING;
		keys[nk++] = att_hash32(k, n, 6);
	}
	return nk;
}

/* Exact keys of a query token's single-typo neighbours: two adjacent
 * letters swapped (fashasison / fahsasison: a swap that breaks a digraph
 * changes every other key) or one letter dropped (the query has one too
 * many). Asked of the query only, so the index stores nothing for them;
 * most neighbours are not names and are not found. Returns how many
 * (at most ATT_TYPO_KEYS); none for tokens under 4 letters, whose
 * neighbours are mostly other short names. */
#define ATT_TYPO_KEYS (2 * ATT_NAME_TOKEN_MAX)

/* The consonants of s[0..n) by coarse class, doubles collapsed, into o:
 * what the skeleton key sees of a Latin token. */
static size_t cons_form(const char *s, size_t n, char *o)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		char c = coarse(s[i]);

		if (c != 'a' && (m == 0 || o[m - 1] != c))
			o[m++] = c;
	}
	return m;
}

/* True when b[0..nb) has the consonant form f[0..nf): a neighbour that
 * the token's skeleton key reaches (mammadova / mammadov). */
static bool same_cons(const char *b, size_t nb, const char *f, size_t nf)
{
	char o[ATT_NAME_TOKEN_MAX + 1];

	return cons_form(b, nb, o) == nf && memcmp(o, f, nf) == 0;
}

static size_t typo_keys(const struct att_tokv *tv, bool skel_seeds,
			uint32_t keys[ATT_TYPO_KEYS])
{
	bool sk = tv->flags & ATT_TOK_SKELETON;
	const char *s = sk ? tv->sk : tv->t;
	size_t n = sk ? tv->sklen : tv->len, nk = 0;
	uint32_t seed = sk ? 5 : 4; /* as the exact key */
	char b[ATT_NAME_TOKEN_MAX + 1], f[ATT_NAME_TOKEN_MAX + 1];
	size_t nf;

	if ((tv->flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL)) || n < 4 || n > ATT_NAME_TOKEN_MAX)
		return 0;
	memcpy(b, s, n);
	/* when the skeleton key seeds, a neighbour it reaches adds nothing */
	skel_seeds = skel_seeds && !sk;
	nf = skel_seeds ? cons_form(s, n, f) : 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] == s[i + 1])
			continue;
		b[i] = s[i + 1];
		b[i + 1] = s[i];
		if (!skel_seeds || !same_cons(b, n, f, nf))
			keys[nk++] = att_hash32(b, n, seed);
		b[i] = s[i];
		b[i + 1] = s[i + 1];
	}
	for (size_t i = 0; n > 4 && i < n; i++) {
		if (i > 0 && s[i] == s[i - 1])
			continue; /* the same string as dropping s[i - 1] */
		memcpy(b, s, i);
		memcpy(b + i, s + i + 1, n - i - 1);
		if (!skel_seeds || !same_cons(b, n - 1, f, nf))
			keys[nk++] = att_hash32(b, n - 1, seed);
	}
	return nk;
}

/* -------------------------------------------------------------- postings -- */

/* A list of 32-bit ids: two inline while cap is 0, else on the heap. */
struct idlist {
	uint32_t len;
	uint32_t cap; /* 0: inline */
	union {
		uint32_t *p;
		uint32_t in[2];
	} u;
};

/* A blocking key: the ids of the tokens that have it (each once, in the
 * order they were interned; never removed, as tokens are not), and how
 * many live entries have it (one of their tokens does), which the query's
 * caps and weights are decided on. An entry holds a key once however many
 * of its tokens give it. */
struct plist {
	uint32_t key;  /* 0 = empty slot */
	uint32_t nent; /* live entries with the key */
	struct idlist toks;
};

/* The postings of one token (an idlist): the entries holding it (each
 * once, in no order once some were removed). Only tokens with blocking
 * keys (not particles, not initials) have any. */

struct entry {
	uint64_t ref;
	uint64_t off;  /* into the arena; UINT64_MAX when free */
	uint32_t next; /* next entry of the same ref, or next free */
	uint32_t pad;
};

struct refslot {
	uint64_t ref;
	uint32_t head;   /* first entry, NONE */
	uint32_t idhead; /* first idlink, NONE */
};

struct idnode {
	char *key; /* "type:canon" */
	uint64_t *refs;
	uint32_t n, cap;
	uint32_t hash;
};

struct idlink {
	uint32_t node;
	uint32_t next;
};

/* One interned token. Its bytes never move within ttb's allocation order
 * (offsets are stable) and an id is never reused: a token stays in the
 * table after the last name using it is removed (the table holds the
 * distinct tokens ever added). */
struct ttok {
	uint32_t off; /* text at ttb + off, skeleton right after */
	uint32_t hash;
	uint8_t len, sklen, flags, pad;
};

struct att_match_index {
	pthread_rwlock_t lock;
	size_t cap_postings, verify_max, dense_max;

	struct plist *pl;
	size_t pl_size, pl_used;

	struct entry *ent;
	size_t nent, ent_cap, live;
	uint32_t free_ent;

	unsigned char *arena;
	size_t arena_len, arena_cap, arena_dead;

	struct refslot *rs;
	size_t rs_size, rs_used;

	uint32_t *idh; /* open addressing → idnode index + 1, 0 empty */
	size_t idh_size;
	struct idnode *idn;
	size_t nidn, idn_cap;
	struct idlink *idl;
	size_t nidl, idl_cap;
	uint32_t free_idl;
	/* token table: every distinct (text, skeleton, flags) of the names
	 * added, interned to a 32-bit id; records hold ids */
	struct ttok *tt;
	size_t ntt, tt_cap;
	struct idlist *tp; /* per token id: its postings */
	size_t tp_cap;
	uint32_t *tth; /* open addressing → token id + 1, 0 empty */
	size_t tth_size;
	char *ttb; /* token bytes: text then skeleton */
	size_t ttb_len, ttb_cap;
	uint32_t serial; /* of the pair cache (att_pair_serial) */
	uint64_t cidr4_lens;    /* bit n: a v4 range of length n exists */
	uint64_t cidr6_lens[3]; /* same for v6 */
	size_t postings_bytes; /* heap of the keys' token lists and the tokens' postings */
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *np;

	if (need <= *cap)
		return true;
	nc = *cap ? *cap : 16;
	while (nc < need)
		nc = nc + nc / 2 + 16;
	if (!att_size_mul(nc, elem, &(size_t){0}))
		return false;
	np = realloc(*p, nc * elem);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

enum att_rc att_match_index_new(struct att_match_index **out,
				const struct att_match_index_opts *opts, struct att_err *err)
{
	struct att_match_index *ix = calloc(1, sizeof(*ix));

	*out = NULL;
	if (!ix)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (pthread_rwlock_init(&ix->lock, NULL) != 0) {
		free(ix);
		return att_fail(err, ATT_ENOMEM, "cannot create the index lock");
	}
	ix->cap_postings = opts && opts->posting_cap ? opts->posting_cap : 0;
	ix->verify_max = opts && opts->verify_max ? opts->verify_max : DEFAULT_VERIFY;
	ix->dense_max = opts && opts->dense_max && opts->dense_max < DENSE_MAX ? opts->dense_max
									       : DENSE_MAX;
	ix->free_ent = NONE;
	ix->free_idl = NONE;
	ix->serial = att_pair_serial();
	*out = ix;
	return ATT_OK;
}

void att_match_index_free(struct att_match_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->pl_size; i++)
		if (ix->pl[i].key && ix->pl[i].toks.cap)
			free(ix->pl[i].toks.u.p);
	for (size_t i = 0; i < ix->ntt; i++)
		if (ix->tp[i].cap)
			free(ix->tp[i].u.p);
	free(ix->tp);
	for (size_t i = 0; i < ix->nidn; i++) {
		free(ix->idn[i].key);
		free(ix->idn[i].refs);
	}
	free(ix->pl);
	free(ix->ent);
	free(ix->arena);
	free(ix->rs);
	free(ix->idh);
	free(ix->idn);
	free(ix->idl);
	free(ix->tt);
	free(ix->tth);
	free(ix->ttb);
	pthread_rwlock_destroy(&ix->lock);
	free(ix);
}

static struct plist *pl_find(const struct att_match_index *ix, uint32_t key)
{
	size_t mask = ix->pl_size - 1;

	if (!ix->pl_size)
		return NULL;
	for (size_t i = key & mask;; i = (i + 1) & mask) {
		if (ix->pl[i].key == key)
			return &ix->pl[i];
		if (ix->pl[i].key == 0)
			return NULL;
	}
}

static bool pl_rehash(struct att_match_index *ix)
{
	size_t ns = ix->pl_size ? ix->pl_size * 2 : 1024;
	struct plist *np = calloc(ns, sizeof(*np));

	if (!np)
		return false;
	for (size_t i = 0; i < ix->pl_size; i++) {
		struct plist *o = &ix->pl[i];
		size_t j;

		if (!o->key)
			continue;
		for (j = o->key & (ns - 1); np[j].key; j = (j + 1) & (ns - 1))
			;
		np[j] = *o;
	}
	free(ix->pl);
	ix->pl = np;
	ix->pl_size = ns;
	return true;
}

static uint32_t *list_ids_mut(struct idlist *l)
{
	return l->cap ? l->u.p : l->u.in;
}

static const uint32_t *list_ids(const struct idlist *l)
{
	return l->cap ? l->u.p : l->u.in;
}

/* Appends id to the list unless it is its last id already (one name may
 * hold a token twice, a token give a key twice: their ids come in a row). */
static bool ids_add(struct att_match_index *ix, struct idlist *l, uint32_t id)
{
	if (l->len && list_ids(l)[l->len - 1] == id)
		return true;
	if (l->cap == 0 && l->len < 2) {
		l->u.in[l->len++] = id;
		return true;
	}
	if (l->cap == 0) {
		uint32_t *n = malloc(4 * sizeof(uint32_t));

		if (!n)
			return false;
		n[0] = l->u.in[0];
		n[1] = l->u.in[1];
		l->u.p = n;
		l->cap = 4;
		ix->postings_bytes += 4 * sizeof(uint32_t);
	} else if (l->len == l->cap) {
		uint32_t nc;
		uint32_t *n;

		if (l->cap > UINT32_MAX / 3 * 2)
			return false;
		nc = l->cap + l->cap / 2;
		n = realloc(l->u.p, (size_t)nc * sizeof(uint32_t));
		if (!n)
			return false;
		ix->postings_bytes += (size_t)(nc - l->cap) * sizeof(uint32_t);
		l->u.p = n;
		l->cap = nc;
	}
	l->u.p[l->len++] = id;
	return true;
}

/* Removes id from the list (order not kept). */
static void ids_del(struct idlist *l, uint32_t id)
{
	uint32_t *a = list_ids_mut(l);

	for (uint32_t i = 0; i < l->len; i++)
		if (a[i] == id) {
			a[i] = a[--l->len];
			return;
		}
}

/* The list of key, made when new. */
static struct plist *pl_get(struct att_match_index *ix, uint32_t key)
{
	struct plist *p = pl_find(ix, key);

	if (!p) {
		size_t j;

		if ((ix->pl_used + 1) * 10 > ix->pl_size * 7 && !pl_rehash(ix))
			return NULL;
		for (j = key & (ix->pl_size - 1); ix->pl[j].key; j = (j + 1) & (ix->pl_size - 1))
			;
		p = &ix->pl[j];
		memset(p, 0, sizeof(*p));
		p->key = key;
		ix->pl_used++;
	}
	return p;
}

/* ------------------------------------------------------------------- refs -- */

static struct refslot *ref_find(const struct att_match_index *ix, uint64_t ref)
{
	size_t mask = ix->rs_size - 1;

	if (!ix->rs_size)
		return NULL;
	for (size_t i = mix64(ref) & mask;; i = (i + 1) & mask) {
		struct refslot *s = &ix->rs[i];

		if (s->head == NONE && s->idhead == NONE)
			return NULL;
		if (s->ref == ref)
			return s;
	}
}

static bool ref_rehash(struct att_match_index *ix)
{
	size_t ns = ix->rs_size ? ix->rs_size * 2 : 1024;
	struct refslot *n = malloc(ns * sizeof(*n));

	if (!n)
		return false;
	for (size_t i = 0; i < ns; i++)
		n[i].head = n[i].idhead = NONE;
	for (size_t i = 0; i < ix->rs_size; i++) {
		struct refslot *o = &ix->rs[i];
		size_t j;

		if (o->head == NONE && o->idhead == NONE)
			continue;
		for (j = mix64(o->ref) & (ns - 1); n[j].head != NONE || n[j].idhead != NONE;
		     j = (j + 1) & (ns - 1))
			;
		n[j] = *o;
	}
	free(ix->rs);
	ix->rs = n;
	ix->rs_size = ns;
	return true;
}

static struct refslot *ref_get(struct att_match_index *ix, uint64_t ref)
{
	struct refslot *s = ref_find(ix, ref);
	size_t j;

	if (s)
		return s;
	if ((ix->rs_used + 1) * 10 > ix->rs_size * 7 && !ref_rehash(ix))
		return NULL;
	for (j = mix64(ref) & (ix->rs_size - 1);
	     ix->rs[j].head != NONE || ix->rs[j].idhead != NONE; j = (j + 1) & (ix->rs_size - 1))
		;
	ix->rs[j].ref = ref;
	ix->rs_used++;
	return &ix->rs[j];
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void ref_delete(struct att_match_index *ix, struct refslot *s)
{
	size_t mask = ix->rs_size - 1, i = (size_t)(s - ix->rs), j = i;

	ix->rs[i].head = ix->rs[i].idhead = NONE;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (ix->rs[j].head == NONE && ix->rs[j].idhead == NONE)
			break;
		k = mix64(ix->rs[j].ref) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			ix->rs[i] = ix->rs[j];
			ix->rs[j].head = ix->rs[j].idhead = NONE;
			i = j;
		}
	}
	ix->rs_used--;
}

/* ----------------------------------------------------------------- names -- */

static uint32_t tok_hash(const struct att_tokv *v)
{
	uint32_t h = att_hash32(v->t, v->len, (uint32_t)v->flags << 8 | v->sklen);

	return h ^ (att_hash32(v->sk, v->sklen, 9) * 0x9E3779B1u);
}

static bool tok_eq(const struct att_match_index *ix, const struct ttok *t,
		   const struct att_tokv *v)
{
	const char *b = ix->ttb + t->off;

	return t->len == v->len && t->sklen == v->sklen && t->flags == v->flags &&
	       memcmp(b, v->t, v->len) == 0 && memcmp(b + t->len, v->sk, v->sklen) == 0;
}

/* The id of token v, or NONE when the index has never had it. */
static uint32_t tok_find(const struct att_match_index *ix, const struct att_tokv *v, uint32_t h)
{
	size_t mask = ix->tth_size - 1;

	if (!ix->tth_size)
		return NONE;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t x = ix->tth[i];

		if (x == 0)
			return NONE;
		if (ix->tt[x - 1].hash == h && tok_eq(ix, &ix->tt[x - 1], v))
			return x - 1;
	}
}

static bool tok_rehash(struct att_match_index *ix)
{
	size_t ns = ix->tth_size ? ix->tth_size * 2 : 1024;
	uint32_t *n = calloc(ns, sizeof(*n));

	if (!n)
		return false;
	for (size_t i = 0; i < ix->ntt; i++) {
		size_t j;

		for (j = ix->tt[i].hash & (ns - 1); n[j]; j = (j + 1) & (ns - 1))
			;
		n[j] = (uint32_t)i + 1;
	}
	free(ix->tth);
	ix->tth = n;
	ix->tth_size = ns;
	return true;
}

/* The id of token v, added when new (and to the token lists of its
 * blocking keys); NONE when out of memory or full. */
static uint32_t tok_intern(struct att_match_index *ix, const struct att_tokv *v)
{
	uint32_t h = tok_hash(v), id = tok_find(ix, v, h);
	size_t need = (size_t)v->len + v->sklen, j, nk;
	uint32_t keys[ATT_TOKEN_KEYS];
	struct plist *pk[ATT_TOKEN_KEYS];
	struct ttok *t;

	if (id != NONE)
		return id;
	if (ix->ntt >= NONE - 1 || ix->ttb_len + need > UINT32_MAX)
		return NONE;
	if ((ix->ntt + 1) * 10 > ix->tth_size * 7 && !tok_rehash(ix))
		return NONE;
	if (!grow((void **)&ix->tt, &ix->tt_cap, ix->ntt + 1, sizeof(struct ttok)) ||
	    !grow((void **)&ix->tp, &ix->tp_cap, ix->ntt + 1, sizeof(struct idlist)) ||
	    !grow((void **)&ix->ttb, &ix->ttb_cap, ix->ttb_len + need, 1))
		return NONE;
	id = (uint32_t)ix->ntt;
	/* its keys' lists first (all made before any is changed: a rehash
	 * moves them), so that out of memory leaves id in none of them */
	nk = att_token_keys(v, keys, NULL);
	for (size_t k = 0; k < nk; k++)
		if (!pl_get(ix, keys[k]))
			return NONE;
	for (size_t k = 0; k < nk; k++) {
		pk[k] = pl_find(ix, keys[k]);
		if (!ids_add(ix, &pk[k]->toks, id)) {
			/* the keys before hold id last (or twice the same key) */
			for (size_t b = 0; b < k; b++)
				if (pk[b]->toks.len && list_ids(&pk[b]->toks)[pk[b]->toks.len - 1] == id)
					pk[b]->toks.len--;
			return NONE;
		}
	}
	ix->ntt++;
	memset(&ix->tp[id], 0, sizeof(ix->tp[id]));
	t = &ix->tt[id];
	t->off = (uint32_t)ix->ttb_len;
	t->hash = h;
	t->len = v->len;
	t->sklen = v->sklen;
	t->flags = v->flags;
	t->pad = 0;
	memcpy(ix->ttb + ix->ttb_len, v->t, v->len);
	memcpy(ix->ttb + ix->ttb_len + v->len, v->sk, v->sklen);
	ix->ttb_len += need;
	for (j = h & (ix->tth_size - 1); ix->tth[j]; j = (j + 1) & (ix->tth_size - 1))
		;
	ix->tth[j] = id + 1;
	return id;
}

/* A record: dob (4), nationality key (4), token count (1), token ids (4
 * each, unaligned). */
#define REC_HEAD 9u

static uint32_t record_id(const unsigned char *r, size_t i)
{
	uint32_t id;

	memcpy(&id, r + REC_HEAD + 4 * i, 4);
	return id;
}

static size_t record_views(const struct att_match_index *ix, const unsigned char *r,
			   struct att_tokv *v, struct att_match_attrs *attrs)
{
	size_t n;

	memcpy(&attrs->dob, r, 4);
	memcpy(&attrs->nat, r + 4, 4);
	n = r[8];
	for (size_t i = 0; i < n; i++) {
		uint32_t id = record_id(r, i);
		const struct ttok *t = &ix->tt[id];

		v[i].id = id;
		v[i].flags = t->flags;
		v[i].len = t->len;
		v[i].sklen = t->sklen;
		v[i].t = ix->ttb + t->off;
		v[i].sk = v[i].t + t->len;
	}
	return n;
}

static void tok_view(const struct att_match_index *ix, uint32_t id, struct att_tokv *v)
{
	const struct ttok *t = &ix->tt[id];

	v->id = id;
	v->flags = t->flags;
	v->len = t->len;
	v->sklen = t->sklen;
	v->t = ix->ttb + t->off;
	v->sk = v->t + t->len;
}

/* Counts an entry whose tokens are v[0..nv) in (dir 1) or out of (dir -1)
 * the entry counts of its keys, each key once. */
static void count_keys(struct att_match_index *ix, const struct att_tokv *v, size_t nv, int dir)
{
	uint32_t all[ATT_NAME_MAX_TOKENS * ATT_TOKEN_KEYS];
	size_t na = 0;

	for (size_t i = 0; i < nv; i++) {
		uint32_t keys[ATT_TOKEN_KEYS];
		size_t nk = att_token_keys(&v[i], keys, NULL);

		for (size_t k = 0; k < nk; k++) {
			bool dup = false;
			struct plist *p;

			for (size_t j = 0; j < na && !dup; j++)
				dup = all[j] == keys[k];
			if (dup)
				continue;
			all[na++] = keys[k];
			/* interned with the token, so present */
			if ((p = pl_find(ix, keys[k])) != NULL)
				p->nent = dir > 0 ? p->nent + 1 : p->nent - 1;
		}
	}
}

static enum att_rc add_locked(struct att_match_index *ix, uint64_t ref,
			      const struct att_name *nm, const struct att_match_attrs *attrs,
			      struct att_err *err)
{
	size_t need = REC_HEAD + 4 * nm->ntok, off;
	uint32_t id, tid[ATT_NAME_MAX_TOKENS];
	struct entry *e;
	struct refslot *rs;
	unsigned char *r;
	struct att_tokv v[ATT_NAME_MAX_TOKENS];
	size_t nv;
	uint32_t zero = 0;

	if (ix->nent >= NONE - 1 && ix->free_ent == NONE)
		return att_fail(err, ATT_ELIMIT, "index is full");
	nv = att_name_views(nm, v);
	for (size_t i = 0; i < nv; i++)
		if ((tid[i] = tok_intern(ix, &v[i])) == NONE)
			return att_fail(err, ATT_ENOMEM, "out of memory");
	if (!grow((void **)&ix->arena, &ix->arena_cap, ix->arena_len + need, 1))
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (ix->free_ent == NONE &&
	    !grow((void **)&ix->ent, &ix->ent_cap, ix->nent + 1, sizeof(struct entry)))
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rs = ref_get(ix, ref);
	if (!rs)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	off = ix->arena_len;
	r = ix->arena + off;
	memcpy(r, attrs ? &attrs->dob : &zero, 4);
	memcpy(r + 4, attrs ? &attrs->nat : &zero, 4);
	r[8] = (unsigned char)nm->ntok;
	memcpy(r + REC_HEAD, tid, 4 * nv);
	ix->arena_len += need;
	if (ix->free_ent != NONE) {
		id = ix->free_ent;
		ix->free_ent = ix->ent[id].next;
	} else {
		id = (uint32_t)ix->nent++;
	}
	e = &ix->ent[id];
	e->ref = ref;
	e->off = off;
	e->next = rs->head;
	rs->head = id;
	ix->live++;
	/* counted first: an entry left half in its tokens' postings by a
	 * failure is live, and its removal uncounts it */
	count_keys(ix, v, nv, 1);
	for (size_t i = 0; i < nv; i++)
		if (!(v[i].flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL)) &&
		    !ids_add(ix, &ix->tp[tid[i]], id))
			return att_fail(err, ATT_ENOMEM, "out of memory");
	return ATT_OK;
}

enum att_rc att_match_index_add_norm(struct att_match_index *ix, uint64_t ref,
				     const struct att_name *name,
				     const struct att_match_attrs *attrs, struct att_err *err)
{
	enum att_rc rc;

	if (name->ntok == 0)
		return att_fail(err, ATT_EINVAL, "name has no tokens");
	pthread_rwlock_wrlock(&ix->lock);
	rc = add_locked(ix, ref, name, attrs, err);
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

enum att_rc att_match_index_add(struct att_match_index *ix, uint64_t ref, const char *name,
				size_t len, const struct att_match_attrs *attrs,
				struct att_err *err)
{
	struct att_name nm;
	enum att_rc rc = att_name_normalize(name, len, &nm, err);

	if (rc != ATT_OK)
		return rc;
	return att_match_index_add_norm(ix, ref, &nm, attrs, err);
}

static size_t remove_names_locked(struct att_match_index *ix, struct refslot *rs)
{
	size_t n = 0;
	uint32_t id = rs->head;

	while (id != NONE) {
		struct entry *e = &ix->ent[id];
		uint32_t next = e->next;
		struct att_tokv v[ATT_NAME_MAX_TOKENS];
		struct att_match_attrs a;
		size_t nv = record_views(ix, ix->arena + e->off, v, &a);
		size_t bytes = REC_HEAD + 4 * nv;

		for (size_t i = 0; i < nv; i++)
			if (!(v[i].flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL)))
				ids_del(&ix->tp[v[i].id], id);
		count_keys(ix, v, nv, -1);
		ix->arena_dead += bytes;
		e->off = UINT64_MAX;
		e->next = ix->free_ent;
		ix->free_ent = id;
		ix->live--;
		n++;
		id = next;
	}
	rs->head = NONE;
	return n;
}

static size_t remove_ids_locked(struct att_match_index *ix, struct refslot *rs);

size_t att_match_index_remove(struct att_match_index *ix, uint64_t ref)
{
	struct refslot *rs;
	size_t n = 0;

	pthread_rwlock_wrlock(&ix->lock);
	rs = ref_find(ix, ref);
	if (rs) {
		n = remove_names_locked(ix, rs);
		n += remove_ids_locked(ix, rs);
		ref_delete(ix, rs);
	}
	pthread_rwlock_unlock(&ix->lock);
	return n;
}

enum att_rc att_match_index_update(struct att_match_index *ix, uint64_t ref, const char *name,
				   size_t len, const struct att_match_attrs *attrs,
				   struct att_err *err)
{
	struct att_name nm;
	struct refslot *rs;
	enum att_rc rc = att_name_normalize(name, len, &nm, err);

	if (rc != ATT_OK)
		return rc;
	pthread_rwlock_wrlock(&ix->lock);
	rs = ref_find(ix, ref);
	if (rs) {
		remove_names_locked(ix, rs);
		/* a slot with neither names nor identifiers reads as empty:
		 * freed now, so that an add failing before it takes a slot
		 * again leaves no hole in a probe chain */
		if (rs->idhead == NONE)
			ref_delete(ix, rs);
	}
	rc = add_locked(ix, ref, &nm, attrs, err);
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

/* Whether a token with key p (as its exact key) has the text (or, for an
 * Arabic-script token, the skeleton) t[0..n): keys are 32-bit hashes, and
 * keys of different kinds can share a value (until att_hash32 hashed its
 * seed, the exact key of "if" was the skeleton key of "aliyev"). */
static bool key_has_text(const struct att_match_index *ix, const struct plist *p, const char *t,
			 size_t n, bool skeleton)
{
	const uint32_t *ids = list_ids(&p->toks);

	for (size_t i = 0; i < p->toks.len; i++) {
		const struct ttok *tt = &ix->tt[ids[i]];
		const char *b = ix->ttb + tt->off;

		if (skeleton ? tt->sklen == n && memcmp(b + tt->len, t, n) == 0
			     : tt->len == n && memcmp(b, t, n) == 0)
			return true;
	}
	return false;
}

enum att_token_level att_match_index_token_level(struct att_match_index *ix,
						 const struct att_name_token *t)
{
	struct att_tokv v = {t->text, t->skel, ATT_TOK_NOID, t->len, t->sklen, t->flags};
	uint32_t keys[ATT_TOKEN_KEYS];
	uint8_t kinds[ATT_TOKEN_KEYS];
	size_t nk = att_token_keys(&v, keys, kinds);
	enum att_token_level level = ATT_TOKEN_NONE;

	pthread_rwlock_rdlock(&ix->lock);
	for (size_t k = 0; k < nk && level != ATT_TOKEN_EXACT; k++) {
		const struct plist *p;

		if (kinds[k] == ATT_KEY_PREFIX)
			continue;
		p = pl_find(ix, keys[k]);
		if (!p || p->nent == 0)
			continue;
		if (kinds[k] != ATT_KEY_EXACT)
			level = ATT_TOKEN_NEAR;
		else if (t->flags & ATT_TOK_SKELETON ? key_has_text(ix, p, t->skel, t->sklen, true)
						     : key_has_text(ix, p, t->text, t->len, false))
			level = ATT_TOKEN_EXACT;
	}
	pthread_rwlock_unlock(&ix->lock);
	return level;
}

enum att_token_level att_match_index_text_level(struct att_match_index *ix, const char *t,
						size_t len, bool near)
{
	struct att_name_token tok;
	const struct plist *p;
	bool found;

	if (len == 0 || len > ATT_NAME_TOKEN_MAX)
		return ATT_TOKEN_NONE;
	if (near) {
		memset(&tok, 0, sizeof(tok));
		memcpy(tok.text, t, len);
		tok.len = (uint8_t)len;
		tok.sklen = (uint8_t)att_skel_latin(t, len, tok.skel);
		return att_match_index_token_level(ix, &tok);
	}
	pthread_rwlock_rdlock(&ix->lock);
	p = pl_find(ix, att_hash32(t, len, 4)); /* att_token_keys' exact key */
	found = p && p->nent > 0 && key_has_text(ix, p, t, len, false);
	pthread_rwlock_unlock(&ix->lock);
	return found ? ATT_TOKEN_EXACT : ATT_TOKEN_NONE;
}

size_t att_match_index_count(struct att_match_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = ix->live;
	pthread_rwlock_unlock(&ix->lock);
	return n;
}

size_t att_match_index_overhead(struct att_match_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = ix->pl_size * sizeof(struct plist) + ix->postings_bytes +
	    ix->tp_cap * sizeof(struct idlist) +
	    ix->ent_cap * sizeof(struct entry) + ix->rs_size * sizeof(struct refslot) +
	    ix->idh_size * sizeof(uint32_t) + ix->idn_cap * sizeof(struct idnode) +
	    ix->idl_cap * sizeof(struct idlink) + (ix->arena_cap - ix->arena_len) +
	    ix->arena_dead + ix->tt_cap * sizeof(struct ttok) + ix->tth_size * sizeof(uint32_t) +
	    (ix->ttb_cap - ix->ttb_len);
	pthread_rwlock_unlock(&ix->lock);
	return n;
}

/* For the tests (match_int.h): true when the token postings and the keys'
 * entry counts agree with the live records: every token with keys lists exactly the live
 * entries holding it, each once; every key counts exactly the live entries
 * holding one of its tokens; the tokens of a key are distinct and have it. */
bool att_match_index_check(struct att_match_index *ix)
{
	uint32_t *seen = NULL, stamp = 0;
	bool ok = true;

	pthread_rwlock_rdlock(&ix->lock);
	if (ix->nent && !(seen = calloc(ix->nent, sizeof(*seen))))
		ok = false;
	/* each live entry in the postings of its tokens with keys */
	for (size_t e = 0; ok && e < ix->nent; e++) {
		const unsigned char *r;

		if (ix->ent[e].off == UINT64_MAX)
			continue;
		r = ix->arena + ix->ent[e].off;
		for (size_t i = 0; ok && i < r[8]; i++) {
			uint32_t t = record_id(r, i);
			const uint32_t *ids = list_ids(&ix->tp[t]);
			size_t k = 0;

			if (ix->tt[t].flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL))
				continue;
			for (uint32_t j = 0; j < ix->tp[t].len; j++)
				k += ids[j] == e;
			ok = k == 1;
		}
	}
	/* token postings: live entries holding the token, each once */
	for (size_t t = 0; ok && t < ix->ntt; t++) {
		const uint32_t *ids = list_ids(&ix->tp[t]);

		stamp++;
		for (uint32_t j = 0; ok && j < ix->tp[t].len; j++) {
			uint32_t e = ids[j];
			const unsigned char *r;
			bool has = false;

			ok = e < ix->nent && ix->ent[e].off != UINT64_MAX && seen[e] != stamp;
			if (!ok)
				break;
			seen[e] = stamp;
			r = ix->arena + ix->ent[e].off;
			for (size_t i = 0; i < r[8]; i++)
				has = has || record_id(r, i) == t;
			ok = has;
		}
	}
	/* keys: distinct tokens that have the key; entries counted once */
	for (size_t k = 0; ok && k < ix->pl_size; k++) {
		const struct plist *p = &ix->pl[k];
		const uint32_t *toks = list_ids(&p->toks);
		uint32_t n = 0;

		if (!p->key)
			continue;
		stamp++;
		for (uint32_t j = 0; ok && j < p->toks.len; j++) {
			struct att_tokv v;
			uint32_t keys[ATT_TOKEN_KEYS];
			size_t nk;
			bool has = false;

			for (uint32_t i = 0; i < j; i++)
				ok = ok && toks[i] != toks[j];
			tok_view(ix, toks[j], &v);
			nk = att_token_keys(&v, keys, NULL);
			for (size_t i = 0; i < nk; i++)
				has = has || keys[i] == p->key;
			ok = ok && has;
			for (uint32_t i = 0; ok && i < ix->tp[toks[j]].len; i++) {
				uint32_t e = list_ids(&ix->tp[toks[j]])[i];

				n += seen[e] != stamp;
				seen[e] = stamp;
			}
		}
		ok = ok && n == p->nent;
	}
	pthread_rwlock_unlock(&ix->lock);
	free(seen);
	return ok;
}

/* ----------------------------------------------------------------- query -- */

/* A query runs in three stages, each on fewer candidates:
 * 1. blocking: the postings of the query's rarer keys (at most cap each)
 *    give candidates, each with a pre-score from the set of keys it shares
 *    with the query: per query token, its weight times the likeness its
 *    best key present promises (see level_est);
 * 2. the 8 x verify_max best by pre-score (2 more per hit asked for beyond
 *    verify_max) get a cheap token-level score from their
 *    packed record (exact token, same skeleton, shared bigrams), weighted by
 *    how rare each query token is; common tokens (over the cap, never
 *    unioned) are counted here, by looking at the candidate itself;
 * 3. the verify_max best of those get the full scorer; when more hits are
 *    asked for, further batches of verify_max (up to as many candidates as
 *    hits asked for) while the last batch found a hit.
 * All scratch memory is per thread and reused: no allocation once warm. */

#define RERANK_PER_VERIFY 8u
#define VERIFY_HARD 4096u
#define SEED_MAX 20000u
#define WEIGHT_MAX 60000u

struct cand {
	uint32_t id;
	union {
		float w;      /* pre-score */
		uint32_t mlo; /* in stage 1's walk: its (token, level) bits 0..31 */
	};
	union {
		float fine;   /* cheap token-level score */
		uint32_t mhi; /* in stage 1's walk: its (token, level) bits 32..63 */
	};
};

/* Per-thread scratch: an open-addressing map entry id → candidate index
 * (slots cleared after each query by walking the candidate list). */
struct slot {
	uint32_t id;
	uint32_t ci;
};
static _Thread_local struct slot *tl_map;
static _Thread_local size_t tl_map_size;
static _Thread_local struct cand *tl_cand;
static _Thread_local size_t tl_cand_cap;
/* Up to DENSE_MAX entries, the map is a dense array entry id → candidate
 * index + 1 (0: not a candidate): no hashing, no probing, and posting
 * lists (ascending ids, mostly) walk it forward, which the hardware
 * prefetches. 4 bytes per entry per querying thread (8 MB at most). */
static _Thread_local uint32_t *tl_dense;
static _Thread_local size_t tl_dense_size;

/* With at most MASK_KEYS (token, level) bits in use (nearly every query;
 * see level_est), stage 1 keeps one byte per entry instead: the set of
 * those bits its postings give it (0: not a candidate), plus the
 * candidates' ids in a list. A quarter of the memory the walk scatters
 * into, so it stays in cache; the pre-score is a function of the set (at
 * most 256 of them), and the best candidates are chosen by counting sets,
 * not by a heap over all. */
#define MASK_KEYS 8u
static _Thread_local uint8_t *tl_mask;
static _Thread_local size_t tl_mask_size;
/* Up to WIDE_KEYS bits, two bytes an entry (a name of three tokens whose
 * surnames reach keys of all four levels has nine or more: in
 * bench_ingest's preload, 0 to 100k held, while its given names' keys are
 * under the cap and seed, a quarter of the name queries, which took the
 * general walk before). The pre-score depends on each token's best level
 * only, so a token of L bits has L + 1 states (none, or its best level);
 * when the product of those over the query's tokens is at most 256, the
 * combination (a mixed-radix number) takes the place of the one-byte set
 * in select_masked. Each token's bits are laid out within one byte of the
 * two, so that the combination is the sum of a lookup in each byte. The
 * rest (more bits, more combinations) takes the general walk. Its map is
 * 4 MB at most per querying thread (2 bytes x DENSE_MAX). */
#define WIDE_KEYS 16u
static _Thread_local uint16_t *tl_mask16;
static _Thread_local size_t tl_mask16_size;
struct wide {
	uint8_t code[2][256]; /* a byte's part of the combination, per value */
	uint16_t rep[256];    /* per combination: a set with each token's best bit */
	unsigned ncode;
};
/* Which walk this thread's queries took; the tests' switch to the general
 * walk (match_int.h). */
static _Thread_local struct att_walk_stats tl_walks;
static _Thread_local bool tl_force_general;
static _Thread_local uint32_t *tl_cid;
static _Thread_local size_t tl_cid_cap;
/* Stage 2: the distinct tokens of the candidates (by token id, in an open
 * addressing table stamped with a generation, so never cleared), each
 * with its cheap similarity to every query token once known. */
struct tslot {
	uint32_t id;
	uint32_t gen;
	uint16_t have; /* bit i: x[i] known */
	float x[ATT_NAME_MAX_TOKENS];
};
static _Thread_local struct tslot *tl_tok;
static _Thread_local size_t tl_tok_cap, tl_tok_size; /* allocated, this query's */
static _Thread_local uint32_t tl_tok_gen;
/* Stage 1 walks the postings of the tokens its keys reach (see plan_walk),
 * each once, with the bits of every key in use that has it: tl_tw holds
 * them, tl_twi the place of a token's in tl_tw (open addressing on the
 * token id, stamped with tl_twi_gen, so never cleared; a few hundred
 * tokens a query at most, so it stays in cache where a table by token id
 * would miss on each). */
struct twalk {
	uint32_t tok;
	uint32_t seed;  /* its first seed postings make candidates */
	uint32_t weigh; /* a weighing key reaches it: the rest of them weigh */
	uint64_t bits;  /* (token, level) bits of the keys in use that have it */
};
struct twslot {
	uint32_t gen;
	uint32_t tok;
	uint32_t wi;
};
static _Thread_local struct twalk *tl_tw;
static _Thread_local size_t tl_tw_cap;
static _Thread_local struct twslot *tl_twi;
static _Thread_local size_t tl_twi_cap, tl_twi_size; /* allocated, this query's */
static _Thread_local uint32_t tl_twi_gen;

void att_index_thread_release(void)
{
	free(tl_map);
	free(tl_cand);
	free(tl_dense);
	free(tl_mask);
	free(tl_mask16);
	free(tl_cid);
	free(tl_tok);
	free(tl_tw);
	free(tl_twi);
	tl_tw = NULL;
	tl_twi = NULL;
	tl_tw_cap = tl_twi_cap = tl_twi_size = 0;
	tl_twi_gen = 0;
	tl_map = NULL;
	tl_cand = NULL;
	tl_dense = NULL;
	tl_mask = NULL;
	tl_mask16 = NULL;
	tl_mask16_size = 0;
	tl_cid = NULL;
	tl_tok = NULL;
	tl_map_size = tl_cand_cap = tl_dense_size = tl_mask_size = tl_cid_cap = tl_tok_cap = tl_tok_size = 0;
	tl_tok_gen = 0;
}

void att_match_walk_stats(struct att_walk_stats *st, bool reset)
{
	*st = tl_walks;
	if (reset)
		memset(&tl_walks, 0, sizeof(tl_walks));
}

void att_match_force_general(bool on)
{
	tl_force_general = on;
}

/* A per-thread map of at least n entries of elem bytes (*size of them, at
 * most DENSE_MAX), zero where not yet used: grown, new room cleared. The
 * maps are used only for an index of at most dense_max entries, which
 * att_match_index_new keeps at or under DENSE_MAX, so the cap never cuts
 * one short. */
static bool map_scratch(void **map, size_t *size, size_t n, size_t elem)
{
	if (n > *size) {
		size_t ns = n + n / 2 + 1024;
		unsigned char *d;

		if (ns > DENSE_MAX)
			ns = DENSE_MAX;
		d = realloc(*map, ns * elem);
		if (!d)
			return false;
		memset(d + *size * elem, 0, (ns - *size) * elem);
		*map = d;
		*size = ns;
	}
	return true;
}

static bool mask_scratch(size_t n, size_t ncand, bool wide)
{
	if (wide ? !map_scratch((void **)&tl_mask16, &tl_mask16_size, n, sizeof(*tl_mask16))
		 : !map_scratch((void **)&tl_mask, &tl_mask_size, n, 1))
		return false;
	/* ids, then one byte per id (select_masked) */
	ncand = ncand + ncand / 4 + 1;
	if (ncand > tl_cid_cap) {
		uint32_t *c = realloc(tl_cid, ncand * sizeof(*c));

		if (!c)
			return false;
		tl_cid = c;
		tl_cid_cap = ncand;
	}
	return true;
}

/* A per-thread open-addressing table of slots stamped with a generation
 * (each slot holds the one it was made in): *size, a power of two of at
 * least 2 n slots, of the allocation *tab (*cap slots of elem bytes, grown
 * when too small), and a new generation, so that every slot reads as empty
 * without clearing. A slot of an earlier query has an older generation: a
 * smaller table this time (fewer cache lines) stays exact. */
static bool stamped_table(void **tab, size_t *cap, size_t *size, uint32_t *gen, size_t n,
			  size_t elem)
{
	size_t ns = 256;

	while (ns < 2 * n)
		ns *= 2;
	if (ns > *cap) {
		void *t = calloc(ns, elem);

		if (!t)
			return false;
		free(*tab);
		*tab = t;
		*cap = ns;
		*gen = 0;
	}
	if (++*gen == 0) {
		memset(*tab, 0, *cap * elem);
		*gen = 1;
	}
	*size = ns;
	return true;
}

/* A table of at least 2 n token slots (a power of two). */
static bool tok_scratch(size_t n)
{
	return stamped_table((void **)&tl_tok, &tl_tok_cap, &tl_tok_size, &tl_tok_gen, n,
			     sizeof(*tl_tok));
}

/* The slot of token id, made when new (*fresh). */
static struct tslot *tok_slot(uint32_t id, bool *fresh)
{
	size_t mask = tl_tok_size - 1;

	*fresh = false;
	for (size_t i = (id * 2654435761u) & mask;; i = (i + 1) & mask) {
		struct tslot *t = &tl_tok[i];

		if (t->gen != tl_tok_gen) {
			t->gen = tl_tok_gen;
			t->id = id;
			t->have = 0;
			*fresh = true;
			return t;
		}
		if (t->id == id)
			return t;
	}
}

static bool dense_scratch(size_t n)
{
	return map_scratch((void **)&tl_dense, &tl_dense_size, n, sizeof(*tl_dense));
}

static bool scratch(size_t map_size, size_t ncand)
{
	if (map_size > tl_map_size) {
		struct slot *m = realloc(tl_map, map_size * sizeof(*m));

		if (!m)
			return false;
		memset(m, 0xff, map_size * sizeof(*m));
		tl_map = m;
		tl_map_size = map_size;
	}
	if (ncand > tl_cand_cap) {
		struct cand *c = realloc(tl_cand, ncand * sizeof(*c));

		if (!c)
			return false;
		tl_cand = c;
		tl_cand_cap = ncand;
	}
	return true;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct att_match_hit *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? 1 : -1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* Candidate order: larger key first, then id (deterministic). */
static bool cand_before(const struct cand *x, const struct cand *y, bool fine)
{
	float a = fine ? x->fine : x->w, b = fine ? y->fine : y->w;

	if (a != b)
		return a > b;
	if (fine && x->w != y->w)
		return x->w > y->w;
	return x->id < y->id;
}

/* Min-heap (worst candidate at the root) of h[0..k). */
static void sift_down(struct cand *h, size_t k, size_t i, bool fine)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cand t;

		if (l < k && cand_before(&h[m], &h[l], fine))
			m = l;
		if (r < k && cand_before(&h[m], &h[r], fine))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Sorts c[0..n) best first in place (heapsort: no allocation, unlike
 * qsort). */
static void sort_best_first(struct cand *c, size_t n, bool fine)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(c, n, i, fine);
	for (size_t k = n; k-- > 1;) {
		struct cand t = c[0];

		c[0] = c[k];
		c[k] = t;
		sift_down(c, k, 0, fine);
	}
}

/* Moves the k best of c[0..n) to the front (in no order): O(n log k). */
static void select_top(struct cand *c, size_t n, size_t k, bool fine)
{
	if (k == 0 || k >= n)
		return;
	for (size_t i = k / 2; i-- > 0;)
		sift_down(c, k, i, fine);
	for (size_t i = k; i < n; i++)
		if (cand_before(&c[i], &c[0], fine)) {
			c[0] = c[i];
			sift_down(c, k, 0, fine);
		}
}

struct qkey {
	uint32_t key;
	uint8_t tok;  /* query token */
	uint8_t use;  /* 0 no, 1 seed candidates, 2 only weigh them */
	bool typo;    /* a typo neighbour's exact key: only ever seeds */
	uint8_t kd;   /* kind of key (ATT_KEY_*) */
	uint8_t bit;  /* in use: the bit of its (token, level) */
	const struct plist *p;
};

/* Typo neighbours kept per query token: those the index has, with at
 * most cap / TYPO_DIV postings (a guess, so a smaller budget than a key of
 * the query's own). */
#define TYPO_KEEP 6u
#define TYPO_DIV 4u
/* an exhaustive query: every neighbour the index has, insertions too */
#define TYPO_KEEP_ALL 64u
#define INS_KEYS (26u * (ATT_NAME_TOKEN_MAX + 1))

static _Thread_local struct qkey tl_qk_all[(ATT_TOKEN_KEYS + TYPO_KEEP_ALL) *
					    ATT_NAME_MAX_TOKENS];
static _Thread_local uint32_t tl_tk_all[ATT_TYPO_KEYS + INS_KEYS];

/* Exact keys of the Latin token's neighbours with one letter more: what a
 * query for them reaches through typo_keys' dropped letter. */
static size_t ins_keys(const struct att_tokv *tv, uint32_t *keys)
{
	char b[ATT_NAME_TOKEN_MAX + 1];
	size_t n = tv->len, nk = 0;

	if ((tv->flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL | ATT_TOK_SKELETON)) || n < 4 ||
	    n >= ATT_NAME_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++)
		for (char c = 'a'; c <= 'z'; c++) {
			memcpy(b, tv->t, i);
			b[i] = c;
			memcpy(b + i + 1, tv->t + i, n - i);
			keys[nk++] = att_hash32(b, n + 1, 4);
		}
	return nk;
}

/* Stage 1's pre-score of a candidate, from the set of the query's keys it
 * holds: per query token, the token's weight (qw: its rarity) times the
 * likeness the best of its keys present promises (level_est, below),
 * summed over the query's tokens. A token counts once, however many of
 * its keys match: a candidate near every token of the query ranks above
 * one that is the same as two of them and lacks the third. (Summing the
 * keys' weights instead let a crowd of namesakes sharing the exact given
 * name and one surname push the true variants out of the rerank: on
 * bench_match_speed --dump --ingest 100000 20000 it found 27 092 hits of
 * the 33 837 a rerank eight times wider finds; this finds 29 741 at the
 * same width.) Kinds promising the same likeness share a level; a
 * candidate's set of keys is kept as its set of (token, level) pairs, one
 * bit each: all the pre-score needs, and at most 12 x 4 bits, so no key of
 * a long name is ever left out. */
enum { LVL_EXACT, LVL_NEAR, LVL_TYPO, LVL_PREFIX, LVLS };
static const uint8_t key_level[] = {LVL_EXACT, LVL_NEAR, LVL_PREFIX, LVL_NEAR, LVL_TYPO};
static const float level_est[LVLS] = {1.0f, 0.9f, 0.8f, 0.6f};
#define PRE_BITS (ATT_NAME_MAX_TOKENS * LVLS)
_Static_assert(PRE_BITS <= 64, "a candidate's set of (token, level) is 64 bits");

struct prescore {
	size_t nq;
	float qw[ATT_NAME_MAX_TOKENS];
	uint8_t tok[PRE_BITS];
	float est[PRE_BITS];
};

static float pre_score(const struct prescore *ps, uint64_t m)
{
	float best[ATT_NAME_MAX_TOKENS] = {0}, w = 0;

	for (; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctzll(m);

		if (ps->est[b] > best[ps->tok[b]])
			best[ps->tok[b]] = ps->est[b];
	}
	for (size_t i = 0; i < ps->nq; i++)
		w += ps->qw[i] * best[i];
	return w;
}

static int cmp_qkey(const void *a, const void *b)
{
	const struct qkey *x = a, *y = b;
	uint32_t lx = x->p ? x->p->nent : 0, ly = y->p ? y->p->nent : 0;

	return lx < ly ? -1 : lx > ly;
}

/* Consonant classes of transliteration (g q k, c j, s z, d t ...); vowels
 * stay themselves: vowels tell synthetic and real namesakes apart. */
static char cclass_tab[128];
static pthread_once_t cclass_once = PTHREAD_ONCE_INIT;

static void cclass_init(void)
{
	for (int c = 0; c < 128; c++) {
		char k = coarse((char)c);

		cclass_tab[c] = k == 'a' ? (char)c : k;
	}
}

/* Dice coefficient of the letter-class bigrams of two short strings. */
static float bigram_dice(const char *a, size_t na, const char *b, size_t nb)
{
	bool used[ATT_NAME_TOKEN_MAX];
	char x[ATT_NAME_TOKEN_MAX], y[ATT_NAME_TOKEN_MAX];
	size_t common = 0;

	if (na < 2 || nb < 2)
		return 0;
	for (size_t i = 0; i < na; i++)
		x[i] = cclass_tab[a[i] & 0x7f];
	for (size_t j = 0; j < nb; j++)
		y[j] = cclass_tab[b[j] & 0x7f];
	a = x;
	b = y;
	memset(used, 0, nb - 1);
	for (size_t i = 0; i + 1 < na; i++)
		for (size_t j = 0; j + 1 < nb; j++)
			if (!used[j] && a[i] == b[j] && a[i + 1] == b[j + 1]) {
				used[j] = true;
				common++;
				break;
			}
	return (float)(2 * common) / (float)(na + nb - 2);
}

/* Cheap token similarity for reranking: exact 1, otherwise shared bigrams
 * plus a bonus for the same skeleton. */
static float cheap_sim(const struct att_tokv *q, const struct att_tokv *c)
{
	bool sk = (q->flags | c->flags) & ATT_TOK_SKELETON;
	bool same_sk = q->sklen == c->sklen && memcmp(q->sk, c->sk, q->sklen) == 0;

	if (!sk && q->len == c->len && memcmp(q->t, c->t, q->len) == 0)
		return 1.0f;
	if (sk)
		return same_sk ? 0.9f : 0.6f * bigram_dice(q->sk, q->sklen, c->sk, c->sklen);
	return (same_sk ? 0.3f : 0.0f) + 0.6f * bigram_dice(q->t, q->len, c->t, c->len);
}

/* Stage 1's plan: the tokens the keys in use reach (those with postings),
 * each once in tl_tw with the bits of all those keys, in the order first
 * reached. An entry's set of (token, level) bits is then the union over
 * its tokens of theirs: the set of the keys in use it has, as walking
 * each key's own postings gave it, with each entry visited once per token
 * instead of once per key (a token's exact, skeleton, spelling and prefix
 * keys hold mostly the same entries). A token that a seed key reaches
 * seeds: its entries are that key's. The one key that may hold more than
 * seed_max entries (the fallback seed of a query whose keys are all
 * common) seeds from its tokens in order until seed_max of their postings
 * are taken; the rest of their postings are not walked, as the rest of the
 * key's were not (so which of its entries seed differs from the key's
 * first seed_max, which was a choice as arbitrary), unless a weighing key
 * reaches the token too. Weighing keys (at most weight_max entries each)
 * weigh all their entries. The plan reads
 * only the keys' token lists (a token's postings are read once, in the
 * walk: at 1M names a query reaches a hundred tokens or more, each a
 * cache miss). Returns the number of tokens, *total a bound on the
 * candidates (the seed keys' entries); 0 and *total SIZE_MAX when out of
 * memory. */
static size_t plan_walk(const struct att_match_index *ix, const struct qkey *qk, size_t nk,
			size_t seed_max, size_t *total)
{
	size_t bound = 0, nw = 0;

	*total = 0;
	for (size_t k = 0; k < nk; k++) {
		if (qk[k].use)
			bound += qk[k].p->toks.len;
		if (qk[k].use == 1)
			*total += qk[k].p->nent < seed_max ? qk[k].p->nent : seed_max;
	}
	if (bound > tl_tw_cap) {
		size_t nc = bound + bound / 2 + 64;
		struct twalk *w = realloc(tl_tw, nc * sizeof(*w));

		if (!w)
			goto nomem;
		tl_tw = w;
		tl_tw_cap = nc;
	}
	if (!stamped_table((void **)&tl_twi, &tl_twi_cap, &tl_twi_size, &tl_twi_gen, bound,
			   sizeof(*tl_twi)))
		goto nomem;
	/* a large index's tokens are scattered: all their postings heads
	 * asked for first, so that the misses overlap */
	for (size_t k = 0; k < nk; k++) {
		const uint32_t *toks = qk[k].use ? list_ids(&qk[k].p->toks) : NULL;

		for (uint32_t j = 0; toks && j < qk[k].p->toks.len; j++)
			__builtin_prefetch(&ix->tp[toks[j]]);
	}
	for (size_t k = 0; k < nk; k++) {
		const struct plist *p = qk[k].p;
		const uint32_t *toks;
		uint64_t bit;
		bool trunc;
		size_t budget = seed_max;

		if (!qk[k].use)
			continue;
		toks = list_ids(&p->toks);
		bit = 1ULL << qk[k].bit;
		trunc = qk[k].use == 1 && p->nent > seed_max;
		for (uint32_t j = 0; j < p->toks.len; j++) {
			uint32_t tok = toks[j];
			size_t mask = tl_twi_size - 1, h = (tok * 2654435761u) & mask;
			struct twslot *s;
			struct twalk *w;

			while (tl_twi[h].gen == tl_twi_gen && tl_twi[h].tok != tok)
				h = (h + 1) & mask;
			s = &tl_twi[h];
			if (s->gen != tl_twi_gen) {
				s->gen = tl_twi_gen;
				s->tok = tok;
				s->wi = (uint32_t)nw;
				tl_tw[nw].tok = tok;
				tl_tw[nw].seed = 0;
				tl_tw[nw].weigh = 0;
				tl_tw[nw++].bits = 0;
			}
			w = &tl_tw[s->wi];
			w->bits |= bit;
			w->weigh |= qk[k].use == 2;
			if (qk[k].use == 1) {
				/* UINT32_MAX: all its postings */
				uint32_t sl = UINT32_MAX;

				if (trunc) {
					uint32_t len = ix->tp[tok].len;

					sl = len < budget ? len : (uint32_t)budget;
					budget -= sl;
				}
				if (sl > w->seed)
					w->seed = sl;
			}
		}
	}
	return nw;
nomem:
	*total = SIZE_MAX;
	return 0;
}

/* Stage 1 with key masks (see MASK_KEYS, WIDE_KEYS) over the nw tokens of
 * plan_walk, into the map d of one T per entry: the seeding postings make
 * candidates, then the weighing ones mark only those there. Returns the
 * number of candidates, their ids in tl_cid. One definition for the two
 * widths of map. */
#define DEFINE_WALK_MASKED(name, T)                                                          \
	static size_t name(const struct att_match_index *ix, size_t nw, T *d)                \
	{                                                                                    \
		uint32_t *cl = tl_cid;                                                       \
		size_t ncand = 0;                                                            \
                                                                                             \
		for (size_t w = 0; w < nw; w++) {                                            \
			const struct idlist *tp = &ix->tp[tl_tw[w].tok];                     \
			const uint32_t *ids = list_ids(tp);                                  \
			size_t len = tl_tw[w].seed < tp->len ? tl_tw[w].seed : tp->len;      \
			T bit = (T)tl_tw[w].bits;                                            \
                                                                                             \
			/* the postings of a token ahead (its head is in cache) */           \
			if (w + 4 < nw)                                                      \
				__builtin_prefetch(list_ids(&ix->tp[tl_tw[w + 4].tok]));     \
			/* no branch either: whether an entry is new is a coin toss,         \
			 * and without mispredictions the loads of many postings are         \
			 * in flight at once */                                              \
			for (size_t i = 0; i < len; i++) {                                   \
				uint32_t id = ids[i];                                        \
				T m = d[id];                                                 \
                                                                                             \
				cl[ncand] = id;                                              \
				ncand += m == 0;                                             \
				d[id] = (T)(m | bit);                                        \
			}                                                                    \
		}                                                                            \
		for (size_t w = 0; w < nw; w++) {                                            \
			const struct idlist *tp = &ix->tp[tl_tw[w].tok];                     \
			const uint32_t *ids = list_ids(tp);                                  \
			T bit = (T)tl_tw[w].bits;                                            \
                                                                                             \
			/* no branch: about half of these are candidates */                  \
			for (size_t i = tl_tw[w].seed; tl_tw[w].weigh && i < tp->len; i++) { \
				uint32_t id = ids[i];                                        \
				T m = d[id];                                                 \
                                                                                             \
				d[id] = (T)(m | (m ? bit : 0));                              \
			}                                                                    \
		}                                                                            \
		return ncand;                                                                \
	}
DEFINE_WALK_MASKED(walk_masked, uint8_t)
DEFINE_WALK_MASKED(walk_masked16, uint16_t)

/* Moves the k smallest of the distinct a[0..n) to the front (quickselect,
 * three-way partition). */
static void qselect_ids(uint32_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (k > lo && k < hi && hi - lo > 1) {
		uint32_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1], p, t;
		size_t lt = lo, i = lo, gt = hi;

		p = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
		while (i < gt) {
			if (a[i] < p) {
				t = a[lt];
				a[lt++] = a[i];
				a[i++] = t;
			} else if (a[i] > p) {
				t = a[--gt];
				a[gt] = a[i];
				a[i] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k <= gt)
			return;
		else
			lo = gt;
	}
}

/* The same, for many ids (a tie of thousands of candidates, all seen
 * through one key): they are split by their top 8 bits first, and only
 * the part holding the k-th is selected among. */
static void select_ids(uint32_t *a, size_t n, size_t k)
{
	uint32_t cnt[256] = {0}, all = 0, t;
	size_t below = 0, lo, hi;
	unsigned shift = 0, b;

	if (k == 0 || k >= n)
		return;
	for (size_t i = 0; i < n; i++)
		all |= a[i];
	while (shift < 32 && (all >> shift) > 255)
		shift++;
	for (size_t i = 0; i < n; i++)
		cnt[a[i] >> shift]++;
	for (b = 0; below + cnt[b] < k; b++)
		below += cnt[b];
	/* a[0..below): parts before b; then part b; then the rest */
	lo = 0;
	for (size_t i = 0; i < n; i++)
		if ((a[i] >> shift) < b) {
			t = a[lo];
			a[lo++] = a[i];
			a[i] = t;
		}
	hi = lo;
	for (size_t i = lo; i < n; i++)
		if ((a[i] >> shift) == b) {
			t = a[hi];
			a[hi++] = a[i];
			a[i] = t;
		}
	qselect_ids(a + lo, hi - lo, k - below);
}

/* The keep best of the ncand candidates in tl_cid by pre-score wt[mask]
 * (ties: the lower id), the same set select_top picks, into tl_cand with
 * their pre-scores; clears the masks. With wd, the masks are in tl_mask16
 * and wt is by combination (see struct wide). Returns how many. */
static size_t select_masked(size_t ncand, const float *wt, size_t keep,
			    const struct wide *wd)
{
	uint8_t *d = tl_mask;
	uint16_t *d16 = tl_mask16;
	uint32_t *cl = tl_cid;
	uint32_t cnt[1u << MASK_KEYS] = {0};
	uint8_t ord[1u << MASK_KEYS], side[1u << MASK_KEYS];
	size_t nord = 0, above = 0, out = 0, nb = 0, need;
	/* each candidate's set (or with wd, its combination) next to its id
	 * (cl[ncand..2 ncand) as bytes), the map cleared on the way */
	uint8_t *mk = (uint8_t *)(cl + ncand);
	float wb = 0;

	if (wd) {
		for (size_t c = 0; c < ncand; c++) {
			uint16_t m = d16[cl[c]];

			mk[c] = (uint8_t)(wd->code[0][m & 0xff] + wd->code[1][m >> 8]);
			d16[cl[c]] = 0;
		}
	} else {
		for (size_t c = 0; c < ncand; c++) {
			mk[c] = d[cl[c]];
			d[cl[c]] = 0;
		}
	}
	if (ncand <= keep) {
		for (size_t c = 0; c < ncand; c++) {
			tl_cand[c].id = cl[c];
			tl_cand[c].w = wt[mk[c]];
			tl_cand[c].fine = 0;
		}
		return ncand;
	}
	/* counted in four tables, so that runs of one set do not wait on
	 * each other's increments */
	{
		uint32_t part[3][1u << MASK_KEYS] = {{0}};
		size_t c = 0;

		for (; c + 4 <= ncand; c += 4) {
			cnt[mk[c]]++;
			part[0][mk[c + 1]]++;
			part[1][mk[c + 2]]++;
			part[2][mk[c + 3]]++;
		}
		for (; c < ncand; c++)
			cnt[mk[c]]++;
		for (unsigned m = 0; m < (1u << MASK_KEYS); m++)
			cnt[m] += part[0][m] + part[1][m] + part[2][m];
	}
	/* the masks present, by pre-score descending */
	for (unsigned m = 1; m < (1u << MASK_KEYS); m++) {
		size_t j = nord;

		if (!cnt[m])
			continue;
		nord++;
		while (j > 0 && wt[ord[j - 1]] < wt[m]) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = (uint8_t)m;
	}
	/* the pre-score wb of the last one kept: above it all are kept */
	for (size_t i = 0; i < nord;) {
		float v = wt[ord[i]];
		size_t g = 0, j = i;

		while (j < nord && wt[ord[j]] == v)
			g += cnt[ord[j++]];
		if (above + g >= keep) {
			wb = v;
			break;
		}
		above += g;
		i = j;
	}
	/* each set's side of wb as two flags (1: above, 2: the tie), so
	 * that the pass below compares no floats */
	for (unsigned m = 0; m < (1u << MASK_KEYS); m++)
		side[m] = (uint8_t)(cnt[m] ? (wt[m] > wb) | (wt[m] == wb) << 1 : 0);
	/* no branches: which way a candidate goes is unpredictable. Two
	 * stores a candidate: the ones above into tl_cand with their set
	 * (it has room for one more than kept), the tie's ids in place
	 * (cl[nb], nb <= c); the pre-scores of the few above after */
	for (size_t c = 0; c < ncand; c++) {
		uint32_t id = cl[c];
		uint8_t m = mk[c], sd = side[m];

		tl_cand[out].id = id;
		tl_cand[out].mlo = m;
		out += sd & 1;
		cl[nb] = id;
		nb += sd >> 1;
	}
	for (size_t c = 0; c < out; c++) {
		tl_cand[c].w = wt[tl_cand[c].mlo];
		tl_cand[c].fine = 0;
	}
	need = keep - out;
	select_ids(cl, nb, need);
	for (size_t c = 0; c < need; c++) {
		tl_cand[out].id = cl[c];
		tl_cand[out].w = wb;
		tl_cand[out++].fine = 0;
	}
	return out;
}

/* Stage 2: cheap_score of the candidates tl_cand[0..ncand) (entries
 * removed: -1e9), with each distinct candidate token compared once per
 * query token, its similarities from the pair cache asked for all at once
 * (the misses overlap). False when out of memory. */
static bool rerank_cheap(const struct att_match_index *ix, const struct att_tokv *qv,
			 size_t nq, const float *qw, size_t ncand)
{
	size_t ntok = 0;

	for (size_t c = 0; c < ncand; c++) {
		uint64_t off = ix->ent[tl_cand[c].id].off;

		if (off != UINT64_MAX)
			ntok += ix->arena[off + 8];
	}
	if (!tok_scratch(ntok))
		return false;
	for (size_t c = 0; c < ncand; c++) {
		uint64_t off = ix->ent[tl_cand[c].id].off;
		const unsigned char *r = ix->arena + off;
		bool fresh;

		if (off == UINT64_MAX)
			continue;
		for (size_t j = 0; j < r[8]; j++) {
			uint32_t id = record_id(r, j);

			(void)tok_slot(id, &fresh);
			for (size_t i = 0; fresh && i < nq; i++)
				if (qw[i] > 0)
					att_pair_prefetch((uint8_t)i, id, false);
		}
	}
	for (size_t c = 0; c < ncand; c++) {
		uint64_t off = ix->ent[tl_cand[c].id].off;
		const unsigned char *r = ix->arena + off;
		struct tslot *ts[ATT_NAME_MAX_TOKENS];
		size_t nv;
		float s = 0;
		bool fresh;

		if (off == UINT64_MAX) {
			tl_cand[c].fine = -1e9f;
			continue;
		}
		nv = r[8];
		for (size_t j = 0; j < nv; j++)
			ts[j] = tok_slot(record_id(r, j), &fresh);
		for (size_t i = 0; i < nq; i++) {
			float best = 0;

			if (qw[i] <= 0)
				continue;
			for (size_t j = 0; j < nv && best < 1.0f; j++) {
				struct tslot *t = ts[j];

				if (!((t->have >> i) & 1)) {
					float x;

					if (!att_pair_cheap((uint8_t)i, t->id, &x)) {
						struct att_tokv cv;

						tok_view(ix, t->id, &cv);
						x = cheap_sim(&qv[i], &cv);
						att_pair_put_cheap((uint8_t)i, t->id, x);
					}
					t->x[i] = x;
					t->have |= (uint16_t)(1u << i);
				}
				if (t->x[i] > best)
					best = t->x[i];
			}
			s += best * qw[i];
		}
		/* tokens the candidate has and the query has not */
		if (nv > nq)
			s -= 0.05f * (float)(nv - nq);
		tl_cand[c].fine = s;
	}
	return true;
}

/* The two-byte walk's plan (see WIDE_KEYS) for the nused bits laid out in
 * token order in ps: moves each token's bits so that none crosses from the
 * first byte to the second (qk's bits and ps with them; *nused becomes the
 * bits' extent), and fills wd. False (nothing changed) when they do not
 * fit in two bytes or have more than 256 combinations. */
static bool wide_plan(struct qkey *qk, size_t nk, struct prescore *ps, size_t *nused,
		      struct wide *wd)
{
	uint8_t start[ATT_NAME_MAX_TOKENS] = {0}, len[ATT_NAME_MAX_TOKENS] = {0};
	uint8_t to[PRE_BITS], ns[ATT_NAME_MAX_TOKENS];
	unsigned radix[ATT_NAME_MAX_TOKENS], prod = 1, pos = 0;
	struct prescore np = *ps;

	for (size_t b = 0; b < *nused; b++)
		if (len[ps->tok[b]]++ == 0)
			start[ps->tok[b]] = (uint8_t)b;
	for (size_t t = 0; t < ps->nq; t++) {
		if (!len[t])
			continue;
		if (pos < 8 && pos + len[t] > 8)
			pos = 8;
		ns[t] = (uint8_t)pos;
		for (unsigned k = 0; k < len[t]; k++)
			to[start[t] + k] = (uint8_t)(pos + k);
		pos += len[t];
		radix[t] = prod;
		prod *= len[t] + 1u;
		if (pos > WIDE_KEYS || prod > 256)
			return false;
	}
	/* bits of one token are in level order: the lowest set is its best */
	memset(np.est, 0, sizeof(np.est));
	memset(np.tok, 0, sizeof(np.tok));
	for (size_t b = 0; b < *nused; b++) {
		np.tok[to[b]] = ps->tok[b];
		np.est[to[b]] = ps->est[b];
	}
	for (size_t k = 0; k < nk; k++)
		if (qk[k].use)
			qk[k].bit = to[qk[k].bit];
	/* each token adds its state times its radix to its byte's part */
	memset(wd->code, 0, sizeof(wd->code));
	for (size_t t = 0; t < ps->nq; t++)
		for (unsigned v = 1; len[t] && v < 256; v++) {
			unsigned seg = (v >> (ns[t] % 8)) & ((1u << len[t]) - 1);
			uint8_t *c = &wd->code[ns[t] / 8][v];

			if (seg)
				*c = (uint8_t)(*c + (1u + (unsigned)__builtin_ctz(seg)) * radix[t]);
		}
	for (unsigned c = 0; c < prod; c++) {
		uint16_t m = 0;

		for (size_t t = 0; t < ps->nq; t++) {
			unsigned i = len[t] ? c / radix[t] % (len[t] + 1u) : 0;

			if (i)
				m = (uint16_t)(m | 1u << (ns[t] + i - 1));
		}
		wd->rep[c] = m;
	}
	wd->ncode = prod;
	*ps = np;
	*nused = pos;
	return true;
}

enum att_rc att_match_index_query(struct att_match_index *ix, const struct att_match_query *q,
				  struct att_match_hit *hits, size_t max, size_t *n,
				  struct att_err *err)
{
	struct att_name qn;
	const struct att_name *nm = q->norm;
	struct att_tokv qv[ATT_NAME_MAX_TOKENS];
	struct qkey qk_few[(ATT_TOKEN_KEYS + TYPO_KEEP) * ATT_NAME_MAX_TOKENS];
	/* an exhaustive query's many keys live in the thread's arrays, so that
	 * the stack of every other query stays as small as it was */
	struct qkey *qk = q->exhaustive ? tl_qk_all : qk_few;
	float qw[ATT_NAME_MAX_TOKENS];
	uint32_t qid[ATT_NAME_MAX_TOKENS];
	struct prescore ps;
	size_t nq, nk = 0, total = 0, msize, ncand = 0, nh = 0, nseed = 0;
	size_t cap, seed_max, weight_max, nused = 0, ntw;
	/* verified: at least as many as the hits asked for, so that a crowd
	 * of namesakes scoring as high as the name sought cannot push it
	 * out before the scorer has seen it */
	size_t verify = max > ix->verify_max ? (max < VERIFY_HARD ? max : VERIFY_HARD)
					     : ix->verify_max;
	/* reranked: RERANK_PER_VERIFY per verify_max, two per hit beyond */
	size_t rerank = RERANK_PER_VERIFY * ix->verify_max + 2 * (verify - ix->verify_max);
	double minsc = q->min_score > 0 ? q->min_score : ATT_MATCH_THRESHOLD;
	double lognames;
	uint64_t explained = 0; /* bit h: hits[h].expl is from the scoring */
	bool dense, masked, wide, general;
	struct wide wd;
	enum att_rc rc;

	*n = 0;
	if (!nm) {
		if ((rc = att_name_normalize(q->name, q->len, &qn, err)) != ATT_OK)
			return rc;
		nm = &qn;
	}
	nq = att_name_views(nm, qv);
	pthread_once(&cclass_once, cclass_init);
	pthread_rwlock_rdlock(&ix->lock);
	/* token similarities memoised for this query (under the read lock:
	 * the memo points into the arena); without memory, computed */
	/* the query's tokens the index knows: their similarities to the
	 * candidates' tokens are cached across queries */
	for (size_t i = 0; i < nq; i++)
		qid[i] = tok_find(ix, &qv[i], tok_hash(&qv[i]));
	(void)att_memo_begin(ix->serial, qid, nq);
	lognames = log((double)(ix->live + 2));
	/* Limits grow with the index (a posting list's length does too): at
	 * 1M names cap 4 000, seeds 20 000, weighing 60 000; at 10M ten
	 * times that. A caller's posting_cap fixes the cap. */
	cap = ix->cap_postings ? ix->cap_postings : ix->live / 250;
	cap = cap > DEFAULT_CAP ? cap : DEFAULT_CAP;
	seed_max = ix->live / 50 > SEED_MAX ? ix->live / 50 : SEED_MAX;
	weight_max = ix->live / 16 > WEIGHT_MAX ? ix->live / 16 : WEIGHT_MAX;
	if (q->exhaustive) {
		/* every key seeds with all its postings; all are verified */
		cap = seed_max = SIZE_MAX;
		rerank = verify = SIZE_MAX;
	}
	for (size_t i = 0; i < nq; i++) {
		uint32_t keys[ATT_TOKEN_KEYS + TYPO_KEEP_ALL], tk_few[ATT_TYPO_KEYS];
		uint32_t *tk = q->exhaustive ? tl_tk_all : tk_few;
		uint8_t kinds[ATT_TOKEN_KEYS + TYPO_KEEP_ALL];
		size_t keep = q->exhaustive ? TYPO_KEEP_ALL : TYPO_KEEP;
		size_t c = att_token_keys(&qv[i], keys, kinds), nt = 0;
		float tf = (qv[i].flags & ATT_TOK_PATRONYMIC) ? 0.5f : 1.0f;

		/* after the exact key, the typo neighbours the index has */
		if (c > 0) {
			const struct plist *sp =
				c > 1 && kinds[1] == ATT_KEY_SKELETON ? pl_find(ix, keys[1]) : NULL;
			size_t nn = typo_keys(&qv[i],
					      !q->exhaustive && sp && sp->nent && sp->nent <= cap, tk);

			if (q->exhaustive)
				nn += ins_keys(&qv[i], tk + nn);
			for (size_t k = 0; k < nn && nt < keep; k++) {
				const struct plist *p = pl_find(ix, tk[k]);

				if (p && p->nent && p->nent <= cap / TYPO_DIV)
					tk[nt++] = tk[k];
			}
			memmove(keys + 1 + nt, keys + 1, (c - 1) * sizeof(keys[0]));
			memmove(kinds + 1 + nt, kinds + 1, c - 1);
			memcpy(keys + 1, tk, nt * sizeof(keys[0]));
			memset(kinds + 1, ATT_KEY_TYPO, nt);
			c += nt;
		}
		qw[i] = 0;
		for (size_t k = 0; k < c; k++) {
			bool dup = false;

			for (size_t j = 0; j < nk; j++)
				dup = dup || qk[j].key == keys[k];
			if (dup)
				continue;
			qk[nk].key = keys[k];
			qk[nk].tok = (uint8_t)i;
			qk[nk].typo = kinds[k] == ATT_KEY_TYPO;
			qk[nk].kd = kinds[k];
			qk[nk].p = pl_find(ix, keys[k]);
			/* the token's rarity: idf of its most specific key
			 * that exists, so a common given name counts less
			 * than a rare surname in the rerank */
			if (qw[i] == 0 && qk[nk].p && qk[nk].p->nent)
				qw[i] = tf * (float)(log((double)(ix->live + 2) /
							 (double)(qk[nk].p->nent + 1)) /
						     lognames + 0.1);
			nk++;
		}
		if (qw[i] == 0 && c > 0)
			qw[i] = tf; /* unseen: as rare as can be */
	}
	qsort(qk, nk, sizeof(qk[0]), cmp_qkey);
	/* Seed keys: all with at most cap postings; when there are none, the
	 * rarest (up to SEED_MAX of its postings). Keys after the seeds with
	 * up to WEIGHT_MAX postings only add weight to candidates already
	 * there (an intersection: a common given name ranks the candidates
	 * of a rare surname, it does not add its own). */
	{
		uint16_t seen = 0; /* query tokens that already have a key in use */

		for (size_t k = 0; k < nk; k++) {
			size_t len = qk[k].p ? qk[k].p->nent : 0;

			qk[k].use = 0;
			if (!len)
				continue;
			if (qk[k].typo) {
				/* rare (kept so): seeds; never the fallback
				 * seed nor a token's weighing key */
				qk[k].use = 1;
				continue;
			}
			if (len <= cap || nseed == 0) {
				qk[k].use = 1;
				nseed++;
			} else if (len <= weight_max && !((seen >> qk[k].tok) & 1)) {
				/* one weighing key per token: its rarest */
				qk[k].use = 2;
			}
			seen |= (uint16_t)(1u << qk[k].tok);
		}
	}
	/* a bit per (token, level) some key in use has, in token order; the
	 * keys of one token and level share it */
	ps.nq = nq;
	memcpy(ps.qw, qw, nq * sizeof(qw[0]));
	for (size_t i = 0; i < nq; i++)
		for (unsigned l = 0; l < LVLS; l++) {
			bool any = false;

			for (size_t k = 0; k < nk; k++)
				if (qk[k].use && qk[k].tok == i && key_level[qk[k].kd] == l) {
					qk[k].bit = (uint8_t)nused;
					any = true;
				}
			if (any) {
				ps.tok[nused] = (uint8_t)i;
				ps.est[nused++] = level_est[l];
			}
		}
	dense = ix->nent <= ix->dense_max;
	masked = dense && nused <= MASK_KEYS && !tl_force_general;
	wide = dense && !masked && nused <= WIDE_KEYS && !tl_force_general &&
	       wide_plan(qk, nk, &ps, &nused, &wd);
	general = !masked && !wide;
	tl_walks.byte += masked;
	tl_walks.wide += wide;
	tl_walks.general += general;
	ntw = plan_walk(ix, qk, nk, seed_max, &total);
	if (total == SIZE_MAX) {
		att_memo_end();
		pthread_rwlock_unlock(&ix->lock);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	for (msize = 1024; !dense && msize < 2 * total; msize *= 2)
		;
	if (!scratch(dense ? 0 : msize, total + 1) ||
	    (masked || wide ? !mask_scratch(ix->nent, total + 1, wide)
			    : dense && !dense_scratch(ix->nent))) {
		att_memo_end();
		pthread_rwlock_unlock(&ix->lock);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	if (masked) {
		float wt[1u << MASK_KEYS];

		ncand = walk_masked(ix, ntw, tl_mask);
		for (unsigned m = 0; m < (1u << nused); m++)
			wt[m] = pre_score(&ps, m);
		ncand = select_masked(ncand, wt, rerank, NULL);
	} else if (wide) {
		float wt[1u << MASK_KEYS];

		ncand = walk_masked16(ix, ntw, tl_mask16);
		for (unsigned c = 0; c < wd.ncode; c++)
			wt[c] = pre_score(&ps, wd.rep[c]);
		ncand = select_masked(ncand, wt, rerank, &wd);
	}
	/* the general walk (more than MASK_KEYS bits, or an index too large
	 * for a dense map): as walk_masked, into tl_cand's bit sets */
	for (size_t pass = 0; pass < 2 && general; pass++)
		for (size_t w = 0; w < ntw; w++) {
			const struct idlist *tp = &ix->tp[tl_tw[w].tok];
			const uint32_t *ids = list_ids(tp);
			size_t sl = tl_tw[w].seed < tp->len ? tl_tw[w].seed : tp->len;
			size_t from = pass ? sl : 0;
			size_t to = pass ? (tl_tw[w].weigh ? tp->len : sl) : sl;
			bool seed = pass == 0;
			uint32_t lo = (uint32_t)tl_tw[w].bits, hi = (uint32_t)(tl_tw[w].bits >> 32);

			if (dense) {
				uint32_t *d = tl_dense;

				for (size_t i = from; i < to; i++) {
					uint32_t id = ids[i], ci = d[id];

					if (ci == 0) {
						if (!seed)
							continue;
						d[id] = ci = (uint32_t)++ncand;
						tl_cand[ci - 1].id = id;
						tl_cand[ci - 1].mlo = 0;
						tl_cand[ci - 1].mhi = 0;
					}
					tl_cand[ci - 1].mlo |= lo;
					tl_cand[ci - 1].mhi |= hi;
				}
				continue;
			}
			for (size_t i = from; i < to; i++) {
				uint32_t id = ids[i];
				size_t h = (id * 2654435761u) & (msize - 1);

				while (tl_map[h].id != NONE && tl_map[h].id != id)
					h = (h + 1) & (msize - 1);
				if (tl_map[h].id == NONE) {
					if (!seed)
						continue;
					tl_map[h].id = id;
					tl_map[h].ci = (uint32_t)ncand;
					tl_cand[ncand].id = id;
					tl_cand[ncand].mlo = 0;
					tl_cand[ncand].mhi = 0;
					ncand++;
				}
				tl_cand[tl_map[h].ci].mlo |= lo;
				tl_cand[tl_map[h].ci].mhi |= hi;
			}
		}
	/* clear the map slots used (cheaper than clearing the map) */
	for (size_t c = 0; dense && general && c < ncand; c++)
		tl_dense[tl_cand[c].id] = 0;
	for (size_t c = 0; !dense && c < ncand; c++) {
		size_t h = (tl_cand[c].id * 2654435761u) & (msize - 1);

		while (tl_map[h].id != tl_cand[c].id)
			h = (h + 1) & (msize - 1);
		tl_map[h].id = NONE;
	}
	/* Backward-shift is not needed: every slot of this query is cleared,
	 * so no probe chain of a later query crosses a stale slot. */
	for (size_t c = 0; general && c < ncand; c++) {
		uint64_t m = (uint64_t)tl_cand[c].mhi << 32 | tl_cand[c].mlo;

		tl_cand[c].w = pre_score(&ps, m);
		tl_cand[c].fine = 0;
	}
	if (ncand > rerank) {
		select_top(tl_cand, ncand, rerank, false);
		ncand = rerank;
	}
	/* the candidates' entries and records are scattered: ask for all of
	 * them first, so that the cache misses overlap */
	for (size_t c = 0; c < ncand; c++)
		__builtin_prefetch(&ix->ent[tl_cand[c].id]);
	for (size_t c = 0; c < ncand; c++) {
		uint64_t off = ix->ent[tl_cand[c].id].off;

		if (off != UINT64_MAX)
			__builtin_prefetch(ix->arena + off);
	}
	if (!rerank_cheap(ix, qv, nq, qw, ncand)) {
		att_memo_end();
		pthread_rwlock_unlock(&ix->lock);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	if (ncand > verify) {
		select_top(tl_cand, ncand, verify, true);
		ncand = verify;
	}
	/* beyond the first verify_max, in batches of verify_max by cheap
	 * score, for as long as the last batch found a hit: a crowd is
	 * followed as deep as the hits asked for, a query without one costs
	 * what it did */
	if (ncand > ix->verify_max)
		sort_best_first(tl_cand, ncand, true);
	/* the scorer's similarities of the first batch's tokens: their pair
	 * cache lines asked for at once */
	for (size_t c = 0; c < ncand && c < ix->verify_max; c++) {
		uint64_t off = ix->ent[tl_cand[c].id].off;
		const unsigned char *r = ix->arena + off;

		for (size_t j = 0; off != UINT64_MAX && j < r[8]; j++)
			for (size_t i = 0; i < nq; i++)
				att_pair_prefetch((uint8_t)i, record_id(r, j), true);
	}
	for (size_t c = 0, batch_end = ix->verify_max, batch_hit = 0; c < ncand; c++) {
		const struct entry *e = &ix->ent[tl_cand[c].id];
		struct att_tokv v[ATT_NAME_MAX_TOKENS];
		struct att_match_attrs a;
		size_t nv;
		struct att_match_expl ex;
		double s, rank;
		bool dup = false, single = false;
		size_t put;

		if (c == batch_end) {
			if (!batch_hit && !q->exhaustive)
				break;
			batch_hit = 0;
			batch_end += ix->verify_max;
		}
		if (e->off == UINT64_MAX)
			continue;
		nv = record_views(ix, ix->arena + e->off, v, &a);
		s = att_score_views_hit(qv, nq, &q->attrs, v, nv, &a, minsc,
					q->explain ? &ex : NULL, &rank);
		if (s < minsc)
			continue;
		if (q->each)
			q->each(e->ref, s, q->each_arg);
		/* the explanation of this scoring is the hit's when the ref
		 * has no other name (else the best of its names is explained
		 * below, as it is without q->explain's shortcut) */
		if (q->explain) {
			const struct refslot *rs = ref_find(ix, e->ref);

			single = rs && rs->head == tl_cand[c].id && e->next == NONE;
		}
		batch_hit = 1;
		for (size_t h = 0; h < nh; h++)
			if (hits[h].ref == e->ref) {
				dup = true;
				if (h < 64)
					explained &= ~(1ULL << h);
				if (s > hits[h].score || (s == hits[h].score && rank > hits[h].rank)) {
					hits[h].score = s;
					hits[h].rank = rank;
				}
			}
		if (dup)
			continue;
		if (nh < max) {
			put = nh++;
		} else if (max) {
			struct att_match_hit nw = {.ref = e->ref, .score = s, .rank = rank};
			size_t worst = 0;

			for (size_t h = 1; h < nh; h++)
				if (cmp_hit(&hits[h], &hits[worst]) > 0)
					worst = h;
			/* in the order of the result (the ref last): which of
			 * names scoring the same stay does not depend on the
			 * order the candidates come in */
			if (cmp_hit(&nw, &hits[worst]) >= 0)
				continue;
			put = worst;
		} else {
			continue;
		}
		hits[put].ref = e->ref;
		hits[put].score = s;
		hits[put].rank = rank;
		if (put < 64) {
			explained &= ~(1ULL << put);
			if (single) {
				hits[put].expl = ex;
				explained |= 1ULL << put;
			}
		}
	}
	if (q->explain) {
		/* the explanation of each hit's best name, where the scoring
		 * above did not give it */
		for (size_t h = 0; h < nh; h++) {
			const struct refslot *rs;
			double best = -1;

			if (h < 64 && ((explained >> h) & 1))
				continue;
			rs = ref_find(ix, hits[h].ref);

			for (uint32_t id = rs ? rs->head : NONE; id != NONE; id = ix->ent[id].next) {
				struct att_tokv v[ATT_NAME_MAX_TOKENS];
				struct att_match_attrs a;
				struct att_match_expl ex;
				size_t nv = record_views(ix, ix->arena + ix->ent[id].off, v, &a);
				double s = att_score_views(qv, nq, &q->attrs, v, nv, &a, &ex);

				if (s > best) {
					best = s;
					hits[h].expl = ex;
				}
			}
		}
	}
	qsort(hits, nh, sizeof(*hits), cmp_hit);
	att_memo_end();
	pthread_rwlock_unlock(&ix->lock);
	*n = nh;
	return ATT_OK;
}

/* ----------------------------------------------------------- identifiers -- */

static uint32_t id_hash(const char *k)
{
	return att_hash32(k, strlen(k), 7);
}

static struct idnode *id_find(const struct att_match_index *ix, const char *key, uint32_t h)
{
	size_t mask = ix->idh_size - 1;

	if (!ix->idh_size)
		return NULL;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t v = ix->idh[i];

		if (v == 0)
			return NULL;
		if (ix->idn[v - 1].hash == h && strcmp(ix->idn[v - 1].key, key) == 0)
			return &ix->idn[v - 1];
	}
}

static bool id_rehash(struct att_match_index *ix)
{
	size_t ns = ix->idh_size ? ix->idh_size * 2 : 1024;
	uint32_t *n = calloc(ns, sizeof(*n));

	if (!n)
		return false;
	for (size_t i = 0; i < ix->nidn; i++) {
		size_t j;

		for (j = ix->idn[i].hash & (ns - 1); n[j]; j = (j + 1) & (ns - 1))
			;
		n[j] = (uint32_t)i + 1;
	}
	free(ix->idh);
	ix->idh = n;
	ix->idh_size = ns;
	return true;
}

static bool make_key(enum att_id_type type, const char *canon, char *key, size_t size)
{
	int w = snprintf(key, size, "%s:%s", att_id_type_name(type), canon);

	return w > 0 && (size_t)w < size;
}

static void note_cidr(struct att_match_index *ix, const char *canon)
{
	const char *slash = strchr(canon, '/');
	unsigned len;

	if (!slash)
		return;
	len = (unsigned)strtoul(slash + 1, NULL, 10);
	if (strchr(canon, ':')) {
		if (len <= 128)
			ix->cidr6_lens[len / 64] |= 1ULL << (len % 64);
	} else if (len <= 32) {
		ix->cidr4_lens |= 1ULL << len;
	}
}

enum att_rc att_match_index_add_id(struct att_match_index *ix, uint64_t ref,
				   enum att_id_type type, const char *canon, struct att_err *err)
{
	char key[ATT_ID_CANON_MAX + 16];
	struct idnode *nd;
	struct refslot *rs;
	uint32_t h, nodei;
	enum att_rc rc = ATT_OK;

	if (!canon || !make_key(type, canon, key, sizeof(key)))
		return att_fail(err, ATT_EINVAL, "identifier is missing or too long");
	h = id_hash(key);
	pthread_rwlock_wrlock(&ix->lock);
	nd = id_find(ix, key, h);
	if (!nd) {
		size_t j;

		if ((ix->nidn + 1) * 10 > ix->idh_size * 7 && !id_rehash(ix))
			goto oom;
		if (!grow((void **)&ix->idn, &ix->idn_cap, ix->nidn + 1, sizeof(struct idnode)))
			goto oom;
		nd = &ix->idn[ix->nidn];
		memset(nd, 0, sizeof(*nd));
		nd->key = att_strdup(key);
		if (!nd->key)
			goto oom;
		nd->hash = h;
		for (j = h & (ix->idh_size - 1); ix->idh[j]; j = (j + 1) & (ix->idh_size - 1))
			;
		ix->idh[j] = (uint32_t)++ix->nidn;
		if (type == ATT_ID_CIDR)
			note_cidr(ix, canon);
	}
	for (uint32_t i = 0; i < nd->n; i++)
		if (nd->refs[i] == ref)
			goto out; /* already there */
	nodei = (uint32_t)(nd - ix->idn);
	if (nd->n == nd->cap) {
		size_t cap = nd->cap;

		if (!grow((void **)&nd->refs, &cap, (size_t)nd->n + 1, sizeof(uint64_t)))
			goto oom;
		nd->cap = (uint32_t)cap;
	}
	rs = ref_get(ix, ref);
	if (!rs)
		goto oom;
	if (ix->free_idl == NONE &&
	    !grow((void **)&ix->idl, &ix->idl_cap, ix->nidl + 1, sizeof(struct idlink)))
		goto oom;
	{
		uint32_t l;

		if (ix->free_idl != NONE) {
			l = ix->free_idl;
			ix->free_idl = ix->idl[l].next;
		} else {
			l = (uint32_t)ix->nidl++;
		}
		ix->idl[l].node = nodei;
		ix->idl[l].next = rs->idhead;
		rs->idhead = l;
	}
	nd->refs[nd->n++] = ref;
	goto out;
oom:
	rc = att_fail(err, ATT_ENOMEM, "out of memory");
out:
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

static size_t remove_ids_locked(struct att_match_index *ix, struct refslot *rs)
{
	size_t n = 0;
	uint32_t l = rs->idhead;

	while (l != NONE) {
		struct idnode *nd = &ix->idn[ix->idl[l].node];
		uint32_t next = ix->idl[l].next;

		for (uint32_t i = 0; i < nd->n; i++)
			if (nd->refs[i] == rs->ref) {
				nd->refs[i] = nd->refs[--nd->n];
				n++;
				break;
			}
		ix->idl[l].next = ix->free_idl;
		ix->free_idl = l;
		l = next;
	}
	rs->idhead = NONE;
	return n;
}

static void collect(const struct idnode *nd, uint64_t *refs, size_t max, size_t *n)
{
	if (!nd)
		return;
	for (uint32_t i = 0; i < nd->n; i++) {
		bool dup = false;

		for (size_t k = 0; k < *n && k < max; k++)
			dup = dup || refs[k] == nd->refs[i];
		if (dup)
			continue;
		if (*n < max)
			refs[*n] = nd->refs[i];
		(*n)++;
	}
}

enum att_rc att_match_index_query_id(struct att_match_index *ix, enum att_id_type type,
				     const char *canon, uint64_t *refs, size_t max, size_t *n,
				     struct att_err *err)
{
	char key[ATT_ID_CANON_MAX + 16];

	*n = 0;
	if (!canon || !make_key(type, canon, key, sizeof(key)))
		return att_fail(err, ATT_EINVAL, "identifier is missing or too long");
	pthread_rwlock_rdlock(&ix->lock);
	collect(id_find(ix, key, id_hash(key)), refs, max, n);
	if (type == ATT_ID_IP && (ix->cidr4_lens || ix->cidr6_lens[0] || ix->cidr6_lens[1] ||
				  ix->cidr6_lens[2])) {
		unsigned char a[16], m[16];
		bool v6 = strchr(canon, ':') != NULL;
		unsigned maxlen = v6 ? 128 : 32;

		if (inet_pton(v6 ? AF_INET6 : AF_INET, canon, a) == 1) {
			for (unsigned len = 0; len <= maxlen; len++) {
				char addr[INET6_ADDRSTRLEN], ck[ATT_ID_CANON_MAX];
				bool used = v6 ? (ix->cidr6_lens[len / 64] >> (len % 64)) & 1
					       : (ix->cidr4_lens >> len) & 1;

				if (!used)
					continue;
				memcpy(m, a, 16);
				for (unsigned i = 0; i < maxlen / 8; i++) {
					unsigned bit = i * 8;

					if (bit >= len)
						m[i] = 0;
					else if (bit + 8 > len)
						m[i] &= (unsigned char)(0xff << (8 - (len - bit)));
				}
				inet_ntop(v6 ? AF_INET6 : AF_INET, m, addr, sizeof(addr));
				snprintf(ck, sizeof(ck), "cidr:%s/%u", addr, len);
				collect(id_find(ix, ck, id_hash(ck)), refs, max, n);
			}
		}
	}
	pthread_rwlock_unlock(&ix->lock);
	return ATT_OK;
}
