/* Name scoring: confusion-aware weighted edit distance per token, order-free
 * optimal token alignment, tolerance for missing middle names and
 * patronymics, date-of-birth and nationality adjustments, explanations. */
#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/match.h"
#include "match_int.h"
#include "util.h"
#include "banned.h"

/* ------------------------------------------------------------ edit costs -- */

struct rule {
	const char *x, *y;
	float cost;
};

/* Multi-letter confusions of transliteration, both directions. */
static const struct rule rules[] = {
	{"dzh", "c", 0.2f}, {"dzh", "j", 0.2f}, {"dj", "j", 0.2f}, {"dj", "c", 0.2f},
	{"dzh", "dj", 0.15f}, {"zh", "j", 0.3f}, {"dzh", "g", 0.4f},
	{"kh", "h", 0.25f}, {"kh", "x", 0.15f}, {"kh", "k", 0.35f}, {"kh", "q", 0.4f},
	{"ks", "x", 0.2f}, {"gh", "g", 0.2f}, {"gh", "q", 0.25f}, {"gh", "h", 0.3f},
	{"ts", "c", 0.2f}, {"ts", "s", 0.4f}, {"tz", "ts", 0.2f}, {"ch", "c", 0.3f},
	{"sh", "s", 0.5f}, {"sch", "sh", 0.2f}, {"tch", "ch", 0.2f}, {"tsch", "ch", 0.2f},
	{"ou", "u", 0.15f}, {"oo", "u", 0.15f}, {"ee", "i", 0.2f}, {"ye", "e", 0.2f},
	{"yu", "u", 0.3f}, {"yu", "iu", 0.2f}, {"ya", "a", 0.3f}, {"ya", "ia", 0.2f},
	{"yo", "o", 0.3f}, {"ph", "f", 0.2f}, {"iy", "i", 0.2f}, {"ey", "ei", 0.15f},
	{"ay", "ai", 0.15f}, {"ck", "k", 0.2f}, {"ie", "i", 0.3f}, {"iy", "y", 0.2f},
	{"zh", "g", 0.4f}, {"th", "t", 0.3f}, {"th", "s", 0.4f}, {"dh", "d", 0.3f},
	{"dh", "z", 0.4f}, {"ei", "i", 0.3f}, {"ey", "i", 0.3f}, {"yi", "i", 0.2f},
	{"sh", "S", 0.1f}, {"ch", "C", 0.1f}, {"zh", "Z", 0.1f},
	{"ts", "z", 0.3f}, {"aw", "au", 0.15f}, {"ow", "ou", 0.15f}, {"ay", "ei", 0.3f},
	{"ai", "ei", 0.3f}, {"ou", "o", 0.3f}, {"ei", "e", 0.3f}, {"dh", "th", 0.3f},
	{"ch", "sh", 0.3f}, {"ch", "j", 0.35f},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

struct drule {
	const char *x, *y;
	uint8_t lx, ly;
	float cost;
};

/* rules indexed by (first letter of x, first letter of y) */
static struct drule drules[2 * NRULES];
static uint16_t rstart[128][128], rcount[128][128];
static float subc[128][128];
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* Rows a single edit step can advance: the longest rule side (tsch) or a
 * transposition. */
static size_t max_step = 2;

static bool vowel(int c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static void setsub(const char *grp, float c)
{
	for (const char *p = grp; *p; p++)
		for (const char *q = grp; *q; q++)
			if (*p != *q && subc[(int)*p][(int)*q] > c)
				subc[(int)*p][(int)*q] = c;
}

static void init_tables(void)
{
	size_t n = 0;

	for (int i = 0; i < 128; i++)
		for (int j = 0; j < 128; j++)
			subc[i][j] = i == j ? 0.0f : 1.0f;
	setsub("aeiouy", 0.6f);
	setsub("ae", 0.25f);
	setsub("iy", 0.2f);
	setsub("ei", 0.35f);
	setsub("ou", 0.3f);
	setsub("gqkhx", 0.4f);
	setsub("gq", 0.2f);
	setsub("kq", 0.2f);
	setsub("gh", 0.35f);
	setsub("hx", 0.25f);
	setsub("cj", 0.2f);
	setsub("Cc", 0.3f);
	setsub("Cj", 0.3f);
	setsub("Zj", 0.3f);
	setsub("Zz", 0.4f);
	setsub("Ss", 0.5f);
	setsub("sz", 0.4f);
	setsub("dz", 0.4f);
	setsub("vw", 0.2f);
	setsub("fv", 0.4f);
	setsub("bv", 0.5f);
	setsub("bp", 0.4f);
	setsub("dt", 0.4f);
	setsub("ck", 0.4f);
	setsub("cs", 0.35f);
	setsub("gj", 0.4f); /* Egyptian g for jim: Ragab / Rajab */
	setsub("CS", 0.3f);
	setsub("yj", 0.4f);
	setsub("mn", 0.8f);
	setsub("uw", 0.35f);
	setsub("iy", 0.2f);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < NRULES; i++) {
			const char *x = pass ? rules[i].y : rules[i].x;
			const char *y = pass ? rules[i].x : rules[i].y;

			drules[n].x = x;
			drules[n].y = y;
			drules[n].lx = (uint8_t)strlen(x);
			drules[n].ly = (uint8_t)strlen(y);
			drules[n].cost = rules[i].cost;
			n++;
		}
	}
	/* sort by (x[0], y[0]) with insertion sort: n is small */
	for (size_t i = 1; i < n; i++) {
		struct drule r = drules[i];
		size_t j = i;
		int key = r.x[0] * 128 + r.y[0];

		while (j > 0 && drules[j - 1].x[0] * 128 + drules[j - 1].y[0] > key) {
			drules[j] = drules[j - 1];
			j--;
		}
		drules[j] = r;
	}
	for (size_t i = 0; i < n; i++) {
		int a = drules[i].x[0], b = drules[i].y[0];

		if (rcount[a][b] == 0)
			rstart[a][b] = (uint16_t)i;
		rcount[a][b]++;
		if (drules[i].lx > max_step)
			max_step = drules[i].lx;
	}
}

static float indel(const char *s, size_t n, size_t i)
{
	int c = (unsigned char)s[i];

	if ((i > 0 && s[i - 1] == s[i]) || (i + 1 < n && s[i + 1] == s[i]))
		return 0.2f;
	if (c == 'y')
		return 0.3f;
	if (vowel(c))
		return 0.5f;
	if (c == 'h')
		return 0.5f;
	if (c == 'w' || c == 'v')
		return 0.6f;
	return 1.0f;
}

#define TMAX (ATT_NAME_TOKEN_MAX + 1)

/* Weighted edit distance between a[0..na) and b[0..nb), computed forward
 * (each final cell relaxes the cells it reaches). With lim < 1e8 it stops
 * early once every way to the end costs more than lim and returns a lower
 * bound of the distance (> lim): when row i starts, the rows above are
 * final and every path still has to pass through a cell of row i or jump
 * over it (a rule or a transposition, tracked in jump[]), so the smallest
 * such value bounds the rest. */
static float edit_cost_lim(const char *a, size_t na, const char *b, size_t nb, float lim)
{
	float d[TMAX][TMAX], ia[TMAX], ib[TMAX], jump[TMAX + 4];

	for (size_t i = 0; i < na; i++)
		ia[i] = indel(a, na, i);
	for (size_t j = 0; j < nb; j++)
		ib[j] = indel(b, nb, j);
	d[0][0] = 0;
	for (size_t i = 1; i <= na; i++)
		d[i][0] = d[i - 1][0] + ia[i - 1];
	for (size_t j = 1; j <= nb; j++)
		d[0][j] = d[0][j - 1] + ib[j - 1];
	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++)
			d[i][j] = 1e9f;
	for (size_t i = 0; i < na + 4; i++)
		jump[i] = 1e9f;
	for (size_t i = 0; i <= na; i++) {
		if (lim < 1e8f && i > 0) {
			float lb = 1e9f;

			for (size_t j = 0; j <= nb; j++)
				lb = d[i][j] < lb ? d[i][j] : lb;
			for (size_t r = i + 1; r < i + max_step && r <= na; r++)
				lb = jump[r] < lb ? jump[r] : lb;
			if (lb > lim)
				return lb;
		}
		for (size_t j = 0; j <= nb; j++) {
			float cur = d[i][j];
			int ca, cb;

			if (i < na && j < nb) {
				ca = a[i] & 0x7f;
				cb = b[j] & 0x7f;
				if (cur + subc[ca][cb] < d[i + 1][j + 1])
					d[i + 1][j + 1] = cur + subc[ca][cb];
				/* transposition */
				if (i + 1 < na && j + 1 < nb && a[i] == b[j + 1] &&
				    a[i + 1] == b[j] && a[i] != b[j] &&
				    cur + 0.5f < d[i + 2][j + 2]) {
					d[i + 2][j + 2] = cur + 0.5f;
					if (cur + 0.5f < jump[i + 2])
						jump[i + 2] = cur + 0.5f;
				}
				for (uint16_t k = 0; k < rcount[ca][cb]; k++) {
					const struct drule *r = &drules[rstart[ca][cb] + k];
					size_t q;

					if (i + r->lx > na || j + r->ly > nb ||
					    !(cur + r->cost < d[i + r->lx][j + r->ly]))
						continue;
					for (q = 1; q < r->lx && a[i + q] == r->x[q]; q++)
						;
					if (q < r->lx)
						continue;
					for (q = 1; q < r->ly && b[j + q] == r->y[q]; q++)
						;
					if (q < r->ly)
						continue;
					d[i + r->lx][j + r->ly] = cur + r->cost;
					if (r->lx > 1 && cur + r->cost < jump[i + r->lx])
						jump[i + r->lx] = cur + r->cost;
				}
			}
			if (i < na && cur + ia[i] < d[i + 1][j])
				d[i + 1][j] = cur + ia[i];
			if (j < nb && cur + ib[j] < d[i][j + 1])
				d[i][j + 1] = cur + ib[j];
		}
	}
	return d[na][nb];
}

static float edit_cost(const char *a, size_t na, const char *b, size_t nb)
{
	return edit_cost_lim(a, na, b, nb, 1e9f);
}

/* Forms of a Latin token's skeleton to try against an Arabic-script one:
 * as is; without a leading article written together (Alnaimi, Elsseid:
 * Arabic drops al- before the skeleton); without the article inside
 * abd-al-/abdul-/abdel- (Abdelkader / عبد القادر). */
static size_t skel_forms(const struct att_tokv *v, const char *f[5], size_t n[5])
{
	size_t k = 0;
	const char *t = v->t;

	f[k] = v->sk;
	n[k++] = v->sklen;
	if (v->flags & ATT_TOK_SKELETON)
		return k;
	if (v->len >= 5 && (t[0] == 'a' || t[0] == 'e' || t[0] == 'u') && t[1] == 'l' &&
	    v->sklen >= 3 && v->sk[0] == 'l') {
		f[k] = v->sk + 1;
		n[k++] = v->sklen - 1u;
	}
	/* abdul / abdur / abdel alone: the article assimilated into abd */
	if (v->len >= 4 && v->len <= 6 && memcmp(t, "abd", 3) == 0 && vowel(t[3]) &&
	    v->sklen == 3 && memcmp(v->sk, "bd", 2) == 0) {
		f[k] = v->sk;
		n[k++] = 2;
	}
	/* bin-al- / ibn-al- written together: Binalshibh / بن الشيبة */
	if (v->len >= 7 && (memcmp(t, "bin", 3) == 0 || memcmp(t, "ben", 3) == 0 ||
			    memcmp(t, "ibn", 3) == 0) &&
	    vowel(t[3]) && t[4] == 'l' && v->sklen >= 4 && memcmp(v->sk, "bnl", 3) == 0) {
		static _Thread_local char bbuf[TMAX];

		bbuf[0] = 'b';
		bbuf[1] = 'n';
		memcpy(bbuf + 2, v->sk + 3, v->sklen - 3u);
		f[k] = bbuf;
		n[k++] = v->sklen - 1u;
	}
	if (v->len >= 7 && memcmp(t, "abd", 3) == 0 && vowel(t[3]) && t[4] == 'l' &&
	    v->sklen >= 4 && memcmp(v->sk, "bdl", 3) == 0) {
		static _Thread_local char buf[TMAX];

		buf[0] = 'b';
		buf[1] = 'd';
		memcpy(buf + 2, v->sk + 3, v->sklen - 3u);
		f[k] = buf;
		n[k++] = v->sklen - 1u;
	}
	return k;
}

/* Skeleton edit cost: the cheapest over the forms of both sides; a final h
 * (ta marbuta, -ah / -eh) is optional. *m receives the longer length of the
 * chosen pair. */
static float skel_cost(const struct att_tokv *a, const struct att_tokv *b, size_t *m)
{
	const char *fa[5], *fb[5];
	size_t na[5], nb[5], ka = skel_forms(a, fa, na), kb = skel_forms(b, fb, nb);

	*m = 1;
	float best = 1e9f;

	for (size_t i = 0; i < ka; i++)
		for (size_t j = 0; j < kb; j++)
			for (unsigned h = 0; h < 4; h++) {
				size_t x = na[i], y = nb[j];
				float c;

				if (h & 1) {
					if (x < 2 || fa[i][x - 1] != 'h')
						continue;
					x--;
				}
				if (h & 2) {
					if (y < 2 || fb[j][y - 1] != 'h')
						continue;
					y--;
				}
				c = edit_cost(fa[i], x, fb[j], y);
				if (c < best) {
					best = c;
					*m = x > y ? x : y;
				}
			}
	return best;
}

/* Token similarity; with floor > 0 a similarity below floor may be given
 * as 0 (with *costp a lower bound of the cost), which lets the edit
 * distance stop early: the scorer gives no credit below CREDIT_LO, so what
 * such a pair scores exactly is never used. */
static double token_sim(const struct att_tokv *a, const struct att_tokv *b, double floor,
			double *costp)
{
	float cost;
	size_t m;
	double sim;

	pthread_once(&once, init_tables);
	if ((a->flags | b->flags) & ATT_TOK_SKELETON) {
		if (a->sklen == 0 || b->sklen == 0) {
			*costp = 1;
			return 0;
		}
		cost = skel_cost(a, b, &m);
		/* skeletons carry no vowels: one edit weighs less than in text */
		sim = 1.0 - (double)cost / (double)(m + 1);
		if (sim < 0)
			sim = 0;
		sim *= 0.98;
		if (m <= 1 && sim > 0.92)
			sim = 0.92;
		*costp = cost;
		return sim;
	}
	if (a->len == b->len && memcmp(a->t, b->t, a->len) == 0) {
		*costp = 0;
		return 1;
	}
	/* a particle is not a short spelling of a name: al / Ali */
	if ((a->flags ^ b->flags) & ATT_TOK_PARTICLE) {
		*costp = a->len > b->len ? a->len : b->len;
		return 0;
	}
	if ((a->flags | b->flags) & ATT_TOK_INITIAL) {
		*costp = a->t[0] == b->t[0] ? 0.1 : 1;
		return a->t[0] == b->t[0] ? 0.9 : 0;
	}
	m = a->len > b->len ? a->len : b->len;
	if (floor > 0) {
		float lim = (float)((1.0 - floor) * (double)m) + 1e-3f;

		cost = edit_cost_lim(a->t, a->len, b->t, b->len, lim);
		if (cost > lim) {
			*costp = cost;
			return 0;
		}
	} else {
		cost = edit_cost(a->t, a->len, b->t, b->len);
	}
	/* a different first letter (outside the confusions) is strong evidence
	 * of a different name: Bush / Habash; not when one side only has a
	 * letter more in front (Taganda / Ntaganda) */
	if (a->t[0] != b->t[0] && a->len >= 3 && b->len >= 3 && a->t[1] != b->t[0] &&
	    a->t[0] != b->t[1] && subc[a->t[0] & 0x7f][b->t[0] & 0x7f] >= 0.6f)
		cost += 0.5f * subc[a->t[0] & 0x7f][b->t[0] & 0x7f];
	sim = 1.0 - (double)cost / (double)m;
	*costp = cost;
	return sim < 0 ? 0 : sim;
}

double att_token_sim(const struct att_tokv *a, const struct att_tokv *b, double *costp)
{
	return token_sim(a, b, 0, costp);
}

/* Similarities credited by the scorer: 0 below CREDIT_LO, 1 above CREDIT_HI
 * (see credit()). */
#ifndef CREDIT_LO
#define CREDIT_LO 0.70
#define CREDIT_HI 0.86
#endif

/* ------------------------------------------------------ per-query memo -- */

/* A query compares its few tokens with the tokens of up to 8 x verify_max
 * candidates, and on names made of common tokens the same pairs recur from
 * candidate to candidate (Mammadov against every Mammadova). The memo keeps,
 * per thread and for the current query only, the cheap rerank similarity
 * and the scorer's similarity of (query token index, candidate token
 * content). Entries hold pointers to the candidate token's bytes (the
 * index's arena, stable under the read lock the query holds) and compare
 * the bytes on lookup, so a hit is exact, never a hash collision. A new
 * query invalidates every entry by bumping a generation number. */
struct memo_ent {
	uint32_t gen;
	uint32_t h; /* the candidate token's hash, or its id (by id) */
	const char *t, *sk;
	uint8_t qi, len, sklen, flags;
	bool byid; /* keyed by (qi, candidate token id) */
	struct att_simval v;
};

#define MEMO_SIZE 1024u /* power of two: the scorer's pairs of one query (the rerank keeps its own) */
#define MEMO_PROBES 8u
static _Thread_local struct memo_ent *tl_memo;
static _Thread_local uint32_t tl_memo_gen;
static _Thread_local bool tl_memo_on;
static _Thread_local struct att_memo_stats tl_memo_stats;

/* Cross-query pair cache: per thread, PAIR_SIZE entries of 32 bytes in
 * sets of two (one cache line), keyed by (index serial, query token id,
 * candidate token id), holding the scorer's similarity. Within an index a
 * token id names one (text, skeleton, flags) forever, and serials are
 * never reused, so a hit is exact; a full set evicts one entry (its values
 * are computed again when needed). The memo above stays the per-query
 * front: a pair is looked up here once per query, when the memo first
 * sees it. The cheap rerank similarities have their own such cache, of
 * 16-byte entries in sets of four. */
struct pair_ent {
	uint32_t ix, q, c; /* ix 0: empty */
	float cost;
	double sim;
	uint64_t pad;
};
#define PAIR_SIZE 131072u /* power of two: 131072 x 32 B = 4 MB per thread */
#define PAIR_WAYS 2u
struct cheap_ent {
	uint32_t ix, q, c; /* ix 0: empty */
	float v;
};
#define CHEAP_SIZE 131072u /* power of two: 131072 x 16 B = 2 MB per thread */
#define CHEAP_WAYS 4u
static _Thread_local struct pair_ent *tl_pair;
static _Thread_local struct cheap_ent *tl_cheap;
static _Thread_local uint32_t tl_pair_ix;
static _Thread_local uint32_t tl_qid[ATT_NAME_MAX_TOKENS];
static _Atomic uint32_t pair_serials;

uint32_t att_pair_serial(void)
{
	uint32_t s = ++pair_serials;

	return s == UINT32_MAX ? 0 : s;
}

bool att_memo_begin(uint32_t ix_serial, const uint32_t *qids, size_t nq)
{
	if (!tl_memo) {
		tl_memo = calloc(MEMO_SIZE, sizeof(*tl_memo));
		if (!tl_memo)
			return false;
		tl_memo_gen = 0;
	}
	if (++tl_memo_gen == 0) {
		memset(tl_memo, 0, MEMO_SIZE * sizeof(*tl_memo));
		tl_memo_gen = 1;
	}
	if (ix_serial && !tl_pair) {
		tl_pair = aligned_alloc(64, PAIR_SIZE * sizeof(*tl_pair));
		if (tl_pair)
			memset(tl_pair, 0, PAIR_SIZE * sizeof(*tl_pair));
	}
	if (ix_serial && tl_pair && !tl_cheap) {
		tl_cheap = aligned_alloc(64, CHEAP_SIZE * sizeof(*tl_cheap));
		if (tl_cheap)
			memset(tl_cheap, 0, CHEAP_SIZE * sizeof(*tl_cheap));
	}
	tl_pair_ix = tl_pair && tl_cheap ? ix_serial : 0;
	for (size_t i = 0; i < ATT_NAME_MAX_TOKENS; i++)
		tl_qid[i] = qids && i < nq && tl_pair_ix ? qids[i] : ATT_TOK_NOID;
	tl_memo_on = true;
	return true;
}

void att_memo_end(void)
{
	tl_memo_on = false;
	tl_pair_ix = 0;
}

void att_memo_stats(struct att_memo_stats *st, bool reset)
{
	*st = tl_memo_stats;
	if (reset)
		memset(&tl_memo_stats, 0, sizeof(tl_memo_stats));
}

void att_score_thread_release(void)
{
	free(tl_memo);
	free(tl_pair);
	free(tl_cheap);
	tl_memo = NULL;
	tl_pair = NULL;
	tl_cheap = NULL;
	tl_memo_gen = 0;
	tl_memo_on = false;
	tl_pair_ix = 0;
}

uint32_t att_tok_hash(const struct att_tokv *v)
{
	return att_hash32(v->t, v->len, (uint32_t)v->flags << 8 | v->sklen);
}

static uint32_t pair_hash(uint32_t qid, uint32_t cid)
{
	uint32_t h = (qid * 0x9E3779B1u) ^ (cid * 0x85EBCA6Bu) ^ (tl_pair_ix * 0xC2B2AE35u);

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 13;
	return h;
}

static struct pair_ent *pair_set(uint32_t qid, uint32_t cid)
{
	return &tl_pair[pair_hash(qid, cid) & (PAIR_SIZE - 1) & ~(PAIR_WAYS - 1)];
}

static struct pair_ent *pair_find(uint32_t qid, uint32_t cid)
{
	struct pair_ent *p = pair_set(qid, cid);

	for (uint32_t w = 0; w < PAIR_WAYS; w++)
		if (p[w].q == qid && p[w].c == cid && p[w].ix == tl_pair_ix)
			return &p[w];
	return NULL;
}

/* Stores the scorer's similarity the memo entry e (by id) knows into the
 * pair cache, evicting the older of a full set. */
static void pair_put(const struct memo_ent *e)
{
	uint32_t qid = tl_qid[e->qi], cid = e->h;
	struct pair_ent *p = pair_find(qid, cid);

	if (!p) {
		struct pair_ent *s = pair_set(qid, cid);

		p = s[0].ix == 0 ? &s[0] : s[1].ix == 0 ? &s[1] : NULL;
		if (!p) {
			/* evict the older: the second way moves to the first */
			s[0] = s[1];
			p = &s[1];
			tl_memo_stats.pair_evict++;
		}
		p->ix = tl_pair_ix;
		p->q = qid;
		p->c = cid;
		p->pad = 0;
	}
	p->sim = e->v.sim;
	p->cost = (float)e->v.cost;
}

static bool pair_on(uint8_t qi, uint32_t cid)
{
	return tl_memo_on && tl_pair_ix && cid != ATT_TOK_NOID && qi < ATT_NAME_MAX_TOKENS &&
	       tl_qid[qi] != ATT_TOK_NOID;
}

static struct cheap_ent *cheap_set(uint8_t qi, uint32_t cid)
{
	uint32_t h = pair_hash(tl_qid[qi], cid);

	return &tl_cheap[h & (CHEAP_SIZE - 1) & ~(CHEAP_WAYS - 1)];
}

void att_pair_prefetch(uint8_t qi, uint32_t cid, bool sim)
{
	if (pair_on(qi, cid))
		__builtin_prefetch(sim ? (const void *)pair_set(tl_qid[qi], cid)
				       : (const void *)cheap_set(qi, cid));
}

bool att_pair_cheap(uint8_t qi, uint32_t cid, float *v)
{
	const struct cheap_ent *s;
	uint32_t qid;

	if (!pair_on(qi, cid))
		return false;
	s = cheap_set(qi, cid);
	qid = tl_qid[qi];
	for (uint32_t w = 0; w < CHEAP_WAYS; w++)
		if (s[w].q == qid && s[w].c == cid && s[w].ix == tl_pair_ix) {
			tl_memo_stats.pair_hits++;
			*v = s[w].v;
			return true;
		}
	return false;
}

void att_pair_put_cheap(uint8_t qi, uint32_t cid, float v)
{
	struct cheap_ent *s;
	uint32_t w;

	if (!pair_on(qi, cid))
		return;
	/* the newest in way 0: a full set drops its oldest, the last way */
	s = cheap_set(qi, cid);
	for (w = 0; w + 1 < CHEAP_WAYS && s[w].ix != 0; w++)
		;
	if (s[w].ix != 0)
		tl_memo_stats.pair_evict++;
	memmove(&s[1], &s[0], w * sizeof(*s));
	s[0].ix = tl_pair_ix;
	s[0].q = tl_qid[qi];
	s[0].c = cid;
	s[0].v = v;
}

struct att_simval *att_memo_get(uint8_t qi, const struct att_tokv *v, uint32_t h)
{
	bool byid = v->id != ATT_TOK_NOID && qi < ATT_NAME_MAX_TOKENS &&
		    tl_qid[qi] != ATT_TOK_NOID;
	uint32_t k;

	if (!tl_memo_on)
		return NULL;
	if (byid)
		h = v->id;
	k = (h ^ (uint32_t)qi * 0x9E3779B1u) * 0x85EBCA6Bu;
	k ^= k >> 16;
	for (uint32_t p = 0; p < MEMO_PROBES; p++) {
		struct memo_ent *e = &tl_memo[(k + p) & (MEMO_SIZE - 1)];

		if (e->gen != tl_memo_gen) {
			e->gen = tl_memo_gen;
			e->h = h;
			e->qi = qi;
			e->byid = byid;
			e->t = v->t;
			e->sk = v->sk;
			e->len = v->len;
			e->sklen = v->sklen;
			e->flags = v->flags;
			e->v.have = 0;
			tl_memo_stats.entries++;
			if (byid) {
				const struct pair_ent *pe = pair_find(tl_qid[qi], v->id);

				if (pe) {
					tl_memo_stats.pair_hits++;
					e->v.have = ATT_MEMO_SIM;
					e->v.sim = pe->sim;
					e->v.cost = pe->cost;
				}
			}
			return &e->v;
		}
		if (byid) {
			if (e->byid && e->h == h && e->qi == qi)
				return &e->v;
			continue;
		}
		if (!e->byid && e->h == h && e->qi == qi && e->len == v->len &&
		    e->sklen == v->sklen && e->flags == v->flags &&
		    (e->t == v->t || memcmp(e->t, v->t, v->len) == 0) &&
		    (e->sk == v->sk || memcmp(e->sk, v->sk, v->sklen) == 0))
			return &e->v;
	}
	tl_memo_stats.full++;
	return NULL; /* crowded: computed, not kept */
}

static struct memo_ent *memo_of(struct att_simval *v)
{
	return (struct memo_ent *)(void *)((char *)v - offsetof(struct memo_ent, v));
}

/* The scorer's similarity of query token qi (a) and candidate token b,
 * from the memo (and through it the pair cache) when the query is being
 * run. The cost is kept as a float: only explanations read it, as a
 * float. */
static double memo_sim(uint8_t qi, const struct att_tokv *a, const struct att_tokv *b,
		       uint32_t hb, double *cost)
{
	struct att_simval *e = att_memo_get(qi, b, hb);
	double s;

	if (e && (e->have & ATT_MEMO_SIM)) {
		tl_memo_stats.hits++;
		*cost = e->cost;
		return e->sim;
	}
	tl_memo_stats.computed++;
	s = token_sim(a, b, CREDIT_LO, cost);
	*cost = (float)*cost;
	if (e) {
		e->sim = s;
		e->cost = *cost;
		e->have |= ATT_MEMO_SIM;
		if (memo_of(e)->byid)
			pair_put(memo_of(e));
	}
	return s;
}

/* ------------------------------------------------------------- alignment -- */

static double tok_weight(uint8_t f)
{
	if (f & ATT_TOK_PARTICLE)
		return 0.3;
	if (f & ATT_TOK_INITIAL)
		return 0.5;
	if (f & ATT_TOK_PATRONYMIC)
		return 0.7;
	if (f & ATT_TOK_FAMILY)
		return 1.2;
	return 1.0;
}

/* Token similarity → credit: names are categorical, so a token either is
 * the same name spelled differently (credit 1) or another name (0). */
static double credit(double s)
{
	double t = (s - CREDIT_LO) / (CREDIT_HI - CREDIT_LO);

	return t < 0 ? 0 : t > 1 ? 1 : t;
}

#define NT ATT_NAME_MAX_TOKENS

struct align {
	int8_t pa[NT]; /* partner in b of a[i], or -1 */
	int8_t pb[NT];
};

/* Optimal assignment maximising sum of gain[i][j] (gain >= 0). Exact over
 * subsets of the smaller side when it has at most 7 tokens, greedy beyond. */
static void assign(double gain[NT][NT], size_t na, size_t nb, struct align *al)
{
	bool swap = na < nb;
	size_t nl = swap ? nb : na, ns = swap ? na : nb;

	for (size_t i = 0; i < NT; i++)
		al->pa[i] = al->pb[i] = -1;
	if (ns == 0)
		return;
	if (ns <= 7) {
		/* best[i][mask]: best gain using large-side tokens >= i */
		static _Thread_local double best[NT + 1][128];
		static _Thread_local int8_t choice[NT + 1][128];
		size_t full = (size_t)1 << ns;

		for (size_t m = 0; m < full; m++)
			best[nl][m] = 0;
		for (size_t i = nl; i-- > 0;) {
			for (size_t m = 0; m < full; m++) {
				double bv = best[i + 1][m];
				int8_t bc = -1;

				for (size_t j = 0; j < ns; j++) {
					double g;

					if (m & ((size_t)1 << j))
						continue;
					g = swap ? gain[j][i] : gain[i][j];
					if (g <= 0)
						continue;
					g += best[i + 1][m | ((size_t)1 << j)];
					if (g > bv + 1e-12) {
						bv = g;
						bc = (int8_t)j;
					}
				}
				best[i][m] = bv;
				choice[i][m] = bc;
			}
		}
		for (size_t i = 0, m = 0; i < nl; i++) {
			int8_t j = choice[i][m];

			if (j < 0)
				continue;
			m |= (size_t)1 << j;
			if (swap) {
				al->pa[j] = (int8_t)i;
				al->pb[i] = j;
			} else {
				al->pa[i] = j;
				al->pb[j] = (int8_t)i;
			}
		}
		return;
	}
	for (;;) {
		double bv = 0;
		int bi = -1, bj = -1;

		for (size_t i = 0; i < na; i++) {
			if (al->pa[i] >= 0)
				continue;
			for (size_t j = 0; j < nb; j++)
				if (al->pb[j] < 0 && gain[i][j] > bv + 1e-12) {
					bv = gain[i][j];
					bi = (int)i;
					bj = (int)j;
				}
		}
		if (bi < 0)
			break;
		al->pa[bi] = (int8_t)bj;
		al->pb[bj] = (int8_t)bi;
	}
}

static int dob_year(uint32_t d)
{
	return (int)(d / 10000);
}

static void adjust(const struct att_match_attrs *aa, const struct att_match_attrs *ba,
		   float *dob_adj, float *nat_adj)
{
	*dob_adj = *nat_adj = 0;
	if (!aa || !ba)
		return;
	if (aa->dob && ba->dob) {
		int dy = abs(dob_year(aa->dob) - dob_year(ba->dob));

		if (dy == 0) {
			bool fa = aa->dob % 10000 != 0, fb = ba->dob % 10000 != 0;

			if (fa && fb)
				*dob_adj = aa->dob == ba->dob ? 0.06f : -0.02f;
			else
				*dob_adj = 0.03f;
		} else {
			*dob_adj = dy == 1 ? -0.03f : -0.12f;
		}
	}
	if (aa->nat && ba->nat)
		*nat_adj = aa->nat == ba->nat ? 0.02f : -0.04f;
}

/* One side of a comparison: its token views, some of them joins of
 * adjacent input tokens (Abd al-Hamid as one token against Abdulhamid). */
struct side {
	struct att_tokv v[NT];
	double w[NT];       /* weight; a join weighs what its parts weighed */
	uint8_t first[NT];  /* first input token covered */
	uint8_t cnt[NT];    /* input tokens covered */
	size_t n;
	unsigned merges;
	char text[NT][TMAX], skel[NT][TMAX];
};

static void side_init(struct side *s, const struct att_tokv *v, size_t n)
{
	s->n = n;
	s->merges = 0;
	for (size_t i = 0; i < n; i++) {
		s->v[i] = v[i];
		s->w[i] = tok_weight(v[i].flags);
		s->first[i] = (uint8_t)i;
		s->cnt[i] = 1;
	}
}

/* Articles that sit between two parts of one name: abd AL rahman, bin AL
 * shibh, abu EL yazid. */
static bool article(const struct att_tokv *v)
{
	static const char *const art[] = {"al", "el", "ul", "ad", "ed", "ud", "ar", "er", "ur",
					  "as", "es", "us", "ash", "ush", "at", "az", "an", NULL};

	if (v->len > 3 || (v->flags & ATT_TOK_SKELETON))
		return false;
	for (size_t i = 0; art[i]; i++)
		if (v->len == strlen(art[i]) && memcmp(v->t, art[i], v->len) == 0)
			return true;
	return false;
}

/* Joins s->v[j .. j+g) into *out (text/skel in tb/sb); false when the join
 * would be longer than a token may be. */
static bool join(const struct side *s, size_t j, size_t g, struct att_tokv *out, char *tb,
		 char *sb)
{
	bool skel = false;
	size_t tl = 0, sl = 0;

	for (size_t k = j; k < j + g; k++)
		skel = skel || (s->v[k].flags & ATT_TOK_SKELETON);
	for (size_t k = j; k < j + g; k++) {
		const struct att_tokv *v = &s->v[k];

		if (skel) {
			for (size_t i = 0; i < v->sklen; i++) {
				if (sl && sb[sl - 1] == v->sk[i])
					continue;
				if (sl >= ATT_NAME_TOKEN_MAX)
					return false;
				sb[sl++] = v->sk[i];
			}
		} else {
			if (tl + v->len > ATT_NAME_TOKEN_MAX)
				return false;
			memcpy(tb + tl, v->t, v->len);
			tl += v->len;
		}
	}
	if (skel) {
		sb[sl] = 0;
		memcpy(tb, sb, sl + 1);
		tl = sl;
	} else {
		tb[tl] = 0;
		sl = att_skel_latin(tb, tl, sb);
	}
	if (tl == 0)
		return false;
	out->t = tb;
	out->sk = sb;
	out->len = (uint8_t)tl;
	out->sklen = (uint8_t)sl;
	out->id = ATT_TOK_NOID;
	out->flags = (uint8_t)((skel ? ATT_TOK_SKELETON : 0) |
			       (s->v[j + g - 1].flags & ATT_TOK_FAMILY));
	return true;
}

/* Replaces v[j .. j+g) of s by the join already in *jv (text in the
 * caller's buffers, copied here). */
static void side_merge(struct side *s, size_t j, size_t g, const struct att_tokv *jv)
{
	double w = 0;
	size_t cnt = 0;

	for (size_t k = j; k < j + g; k++) {
		w += s->w[k];
		cnt += s->cnt[k];
	}
	memcpy(s->text[j], jv->t, jv->len + 1u);
	memcpy(s->skel[j], jv->sk, jv->sklen + 1u);
	s->v[j] = *jv;
	s->v[j].t = s->text[j];
	s->v[j].sk = s->skel[j];
	s->w[j] = w;
	s->cnt[j] = (uint8_t)cnt;
	for (size_t k = j + 1; k + g - 1 < s->n; k++) {
		size_t from = k + g - 1;

		s->v[k] = s->v[from];
		s->w[k] = s->w[from];
		s->first[k] = s->first[from];
		s->cnt[k] = s->cnt[from];
		if (s->v[from].t == s->text[from]) {
			memcpy(s->text[k], s->text[from], sizeof(s->text[k]));
			memcpy(s->skel[k], s->skel[from], sizeof(s->skel[k]));
			s->v[k].t = s->text[k];
			s->v[k].sk = s->skel[k];
		}
	}
	s->n -= g - 1;
	s->merges++;
}

/* Weight left to a name token missing on one side when the other side is
 * a subset of this one (a middle name; a family-like token). */
#ifndef MISSING_MIDDLE
#define MISSING_MIDDLE 0.1
#define MISSING_FAMILY 0.3
#endif

/* Cost of one join, taken off the name score: joined and split spellings
 * are the same name, but an exact token match is stronger evidence. */
#define JOIN_COST 0.02

/* Name score of two sides (before attributes), filling expl's name part
 * when not NULL. */
static double name_score(const struct side *A, const struct side *B,
			 struct att_match_expl *expl, double *raw)
{
	const struct att_tokv *a = A->v, *b = B->v;
	size_t na = A->n, nb = B->n;
	double sim[NT][NT], cost[NT][NT], gain[NT][NT];
	double wa[NT], wb[NT], W = 0, N = 0, NR = 0, ns;
	uint32_t hb[NT];
	struct align al;
	uint16_t told[2] = {0, 0};

	for (size_t i = 0; i < na; i++)
		wa[i] = A->w[i];
	for (size_t j = 0; j < nb; j++)
		wb[j] = B->w[j];
	for (size_t j = 0; j < nb; j++)
		hb[j] = tl_memo_on && B->cnt[j] == 1 && b[j].id == ATT_TOK_NOID ? att_tok_hash(&b[j])
										 : 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			/* a query token against a candidate token (no join):
			 * the memo; otherwise computed (no credit below
			 * CREDIT_LO: the exact value there is never used) */
			if (tl_memo_on && A->cnt[i] == 1 && B->cnt[j] == 1)
				sim[i][j] = memo_sim(A->first[i], &a[i], &b[j], hb[j], &cost[i][j]);
			else
				sim[i][j] = token_sim(&a[i], &b[j], CREDIT_LO, &cost[i][j]);
			gain[i][j] = credit(sim[i][j]) * (wa[i] + wb[j]) / 2;
		}
	assign(gain, na, nb, &al);

	/* Tolerance: patronymics and particles missing on one side cost
	 * little; so do missing middle names when every name token of the
	 * other side (at least two) is matched: one name is a subset of the
	 * other (Arabic nasab chains miss several). Decided per side, so the
	 * rule is symmetric. */
	for (int k = 0; k < 2; k++) {
		const struct att_tokv *X = k ? b : a, *Y = k ? a : b;
		const int8_t *px = k ? al.pb : al.pa, *py = k ? al.pa : al.pb;
		double *wx = k ? wb : wa;
		size_t nx = k ? nb : na, ny = k ? na : nb, matched = 0;
		bool covered = true;

		/* only name-to-name pairs count: a patronymic matched to a
		 * given name is the father, not the person (Igor Arkadyevich
		 * Rotenberg / Arkady Rotenberg) */
		for (size_t j = 0; j < ny; j++) {
			uint8_t f = (uint8_t)(Y[j].flags | (py[j] >= 0 ? X[py[j]].flags : 0));

			if (py[j] >= 0 && !(f & (ATT_TOK_PATRONYMIC | ATT_TOK_PARTICLE)))
				matched++;
			else if (py[j] < 0 && !(Y[j].flags & (ATT_TOK_PATRONYMIC | ATT_TOK_PARTICLE)))
				covered = false;
		}
		covered = covered && matched >= 2;
		for (size_t i = 0; i < nx; i++) {
			if (px[i] >= 0)
				continue;
			if (X[i].flags & (ATT_TOK_PATRONYMIC | ATT_TOK_PARTICLE)) {
				wx[i] *= 0.2;
				told[k] |= (uint16_t)(1u << i);
			} else if (covered) {
				wx[i] *= (X[i].flags & ATT_TOK_FAMILY) ? MISSING_FAMILY : MISSING_MIDDLE;
				told[k] |= (uint16_t)(1u << i);
			}
		}
	}
	for (size_t i = 0; i < na; i++)
		W += wa[i];
	for (size_t j = 0; j < nb; j++)
		W += wb[j];
	for (size_t i = 0; i < na; i++)
		if (al.pa[i] >= 0) {
			size_t j = (size_t)al.pa[i];

			N += credit(sim[i][j]) * (wa[i] + wb[j]) / 2;
			NR += sim[i][j] * (wa[i] + wb[j]) / 2;
		}
	ns = W - N > 1e-9 ? N / (W - N) : (N > 0 ? 1.0 : 0.0);
	if (ns > 1)
		ns = 1;
	/* the same with raw similarities: ranks names the credit window
	 * makes equal (Roloturk before Roleturk for Roloturk) */
	if (raw) {
		*raw = W - NR > 1e-9 ? NR / (W - NR) : (NR > 0 ? 1.0 : 0.0);
		if (*raw > 1)
			*raw = 1;
		*raw -= JOIN_COST * (double)(A->merges + B->merges);
	}
	ns -= JOIN_COST * (double)(A->merges + B->merges);
	if (ns < 0)
		ns = 0;

	if (expl) {
		memset(expl, 0, sizeof(*expl));
		for (int k = 0; k < 2; k++) {
			const struct side *S = k ? B : A;
			struct att_name_token *T = k ? expl->b : expl->a;

			for (size_t i = 0; i < S->n; i++) {
				const struct att_tokv *v = &S->v[i];
				struct att_name_token *t = &T[i];

				/* a join is shown with its parts: abd+al+rahman */
				if (S->cnt[i] > 1)
					(k ? &expl->joined_b : &expl->joined_a)[0] |= (uint16_t)(1u << i);
				memcpy(t->text, v->t, v->len);
				memcpy(t->skel, v->sk, v->sklen);
				t->len = v->len;
				t->sklen = v->sklen;
				t->flags = v->flags;
			}
		}
		expl->na = na;
		expl->nb = nb;
		for (size_t i = 0; i < na; i++) {
			if (al.pa[i] >= 0) {
				struct att_match_pair_expl *p = &expl->pairs[expl->npairs++];

				p->a = (uint8_t)i;
				p->b = (uint8_t)al.pa[i];
				p->sim = (float)sim[i][p->b];
				p->cost = (float)cost[i][p->b];
			} else {
				expl->unmatched_a |= (uint16_t)(1u << i);
			}
		}
		for (size_t j = 0; j < nb; j++)
			if (al.pb[j] < 0)
				expl->unmatched_b |= (uint16_t)(1u << j);
		expl->tolerated_a = told[0];
		expl->tolerated_b = told[1];
		expl->tolerated = na >= nb ? told[0] : told[1];
		expl->name_score = (float)ns;
	}
	return ns;
}

/* Worth scoring the join jv against the other side: some token there has
 * a similar length and is similar enough to count. */
static bool join_promising(const struct att_tokv *jv, const size_t longest[2],
			   const struct side *O)
{
	for (size_t i = 0; i < O->n; i++) {
		const struct att_tokv *o = &O->v[i];
		bool sk = (jv->flags | o->flags) & ATT_TOK_SKELETON;
		size_t x = sk ? jv->sklen : jv->len, y = sk ? o->sklen : o->len;
		size_t d = x > y ? x - y : y - x, lim = (x > y ? x : y) / 3;
		double c;

		if (o->flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL))
			continue;
		if (d > (lim > 2 ? lim : 2))
			continue;
		/* the partner must be longer than any part by more than a
		 * letter: a join explains letters, it does not pad a token
		 * (Jong / Yo Jong) */
		if (y <= (sk ? longest[1] : longest[0] + 1))
			continue;
		if (token_sim(jv, o, CREDIT_LO + 0.05, &c) >= CREDIT_LO + 0.05)
			return true;
	}
	return false;
}

/* join_promising's length test before the join is made (that costs a
 * skeleton): for text tokens, on both sides, a join is as long as its
 * parts together. False only when no token of O can pass it. */
static bool join_may_promise(const struct side *S, size_t j, size_t g, const size_t longest[2],
			     const struct side *O)
{
	size_t x = 0;

	for (size_t k = j; k < j + g; k++) {
		if (S->v[k].flags & ATT_TOK_SKELETON)
			return true;
		x += S->v[k].len;
	}
	for (size_t i = 0; i < O->n; i++) {
		const struct att_tokv *o = &O->v[i];
		size_t y = o->len, d = x > y ? x - y : y - x, lim = (x > y ? x : y) / 3;

		if (o->flags & ATT_TOK_SKELETON)
			return true;
		if (o->flags & (ATT_TOK_PARTICLE | ATT_TOK_INITIAL))
			continue;
		if (d <= (lim > 2 ? lim : 2) && y > longest[0] + 1)
			return true;
	}
	return false;
}

/* Greedy search for joins of adjacent tokens (two, or three with an
 * article in the middle) on either side that raise the name score; at most
 * three rounds. */
static double best_joins(struct side *A, struct side *B, double *raw)
{
	double best = name_score(A, B, NULL, raw);

	for (int round = 0; round < 3 && best < 1.0 - 1e-9; round++) {
		struct side *bs = NULL;
		size_t bj = 0, bg = 0;
		double bv = best;
		struct att_tokv bjv;
		char btb[TMAX], bsb[TMAX];

		for (int k = 0; k < 2; k++) {
			struct side *S = k ? B : A, *O = k ? A : B;

			for (size_t j = 0; j + 1 < S->n; j++) {
				for (size_t g = 2; g <= 3 && j + g <= S->n; g++) {
					struct att_tokv jv;
					char tb[TMAX], sb[TMAX];
					struct side trial;
					double v;

					if (g == 3 && !article(&S->v[j + 1]))
						continue;
					size_t longest[2] = {0, 0}; /* text, skeleton */

					for (size_t q = j; q < j + g; q++) {
						if (S->v[q].len > longest[0])
							longest[0] = S->v[q].len;
						if (S->v[q].sklen > longest[1])
							longest[1] = S->v[q].sklen;
					}
					if (!join_may_promise(S, j, g, longest, O) ||
					    !join(S, j, g, &jv, tb, sb) || !join_promising(&jv, longest, O))
						continue;
					trial = *S;
					side_merge(&trial, j, g, &jv);
					double r;

					v = k ? name_score(A, &trial, NULL, &r) :
						name_score(&trial, B, NULL, &r);
					if (v > bv + 1e-9) {
						if (raw)
							*raw = r;
						bv = v;
						bs = S;
						bj = j;
						bg = g;
						bjv = jv;
						memcpy(btb, tb, sizeof(btb));
						memcpy(bsb, sb, sizeof(bsb));
					}
				}
			}
		}
		if (!bs)
			break;
		bjv.t = btb;
		bjv.sk = bsb;
		side_merge(bs, bj, bg, &bjv);
		best = bv;
	}
	return best;
}

double att_score_views(const struct att_tokv *a, size_t na, const struct att_match_attrs *aa,
		       const struct att_tokv *b, size_t nb, const struct att_match_attrs *ba,
		       struct att_match_expl *expl)
{
	return att_score_views_rank(a, na, aa, b, nb, ba, expl, NULL);
}

double att_score_views_hit(const struct att_tokv *a, size_t na,
			   const struct att_match_attrs *aa, const struct att_tokv *b, size_t nb,
			   const struct att_match_attrs *ba, double min,
			   struct att_match_expl *expl, double *rank)
{
	struct side A, B;
	float dadj, nadj;
	double score, ns, raw = 0;

	side_init(&A, a, na);
	side_init(&B, b, nb);
	ns = best_joins(&A, &B, &raw);
	if (rank)
		*rank = raw;
	adjust(aa, ba, &dadj, &nadj);
	score = ns;
	if (ns > 0.3)
		score += dadj + nadj;
	score = score < 0 ? 0 : score > 1 ? 1 : score;
	if (expl && score >= min) {
		(void)name_score(&A, &B, expl, NULL);
		expl->dob_adj = ns > 0.3 ? dadj : 0;
		expl->nat_adj = ns > 0.3 ? nadj : 0;
		expl->score = (float)score;
	}
	return score;
}

double att_score_views_rank(const struct att_tokv *a, size_t na,
			    const struct att_match_attrs *aa, const struct att_tokv *b,
			    size_t nb, const struct att_match_attrs *ba,
			    struct att_match_expl *expl, double *rank)
{
	return att_score_views_hit(a, na, aa, b, nb, ba, -1.0, expl, rank);
}

double att_match_score(const struct att_name *a, const struct att_match_attrs *aa,
		       const struct att_name *b, const struct att_match_attrs *ba,
		       struct att_match_expl *expl)
{
	struct att_tokv va[NT], vb[NT];
	size_t na = att_name_views(a, va), nb = att_name_views(b, vb);

	return att_score_views(va, na, aa, vb, nb, ba, expl);
}

enum att_rc att_match_pair(const char *a, const char *b, double *score, bool *match,
			   struct att_match_expl *expl, struct att_err *err)
{
	struct att_name na, nb;
	enum att_rc rc;

	if (!a || !b)
		return att_fail(err, ATT_EINVAL, "two names are needed");
	if ((rc = att_name_normalize(a, strlen(a), &na, err)) != ATT_OK)
		return rc;
	if ((rc = att_name_normalize(b, strlen(b), &nb, err)) != ATT_OK)
		return rc;
	*score = att_match_score(&na, NULL, &nb, NULL, expl);
	if (match)
		*match = *score >= ATT_MATCH_THRESHOLD;
	return ATT_OK;
}

/* ----------------------------------------------------------- attributes -- */

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};

static bool digits(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

static int month_of(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (tolower((unsigned char)s[0]) == months[m][0] &&
		    tolower((unsigned char)s[1]) == months[m][1] &&
		    tolower((unsigned char)s[2]) == months[m][2])
			return m + 1;
	return 0;
}

bool att_match_dob_parse(const char *s, uint32_t *dob)
{
	unsigned y = 0, m = 0, d = 0;
	size_t n;

	if (!s)
		return false;
	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	if (n == 4 && digits(s, 4, &y)) {
	} else if (n == 7 && s[4] == '-' && digits(s, 4, &y) && digits(s + 5, 2, &m)) {
	} else if (n == 10 && s[4] == '-' && s[7] == '-' && digits(s, 4, &y) &&
		   digits(s + 5, 2, &m) && digits(s + 8, 2, &d)) {
	} else if (n == 10 && s[2] == '.' && s[5] == '.' && digits(s, 2, &d) &&
		   digits(s + 3, 2, &m) && digits(s + 6, 4, &y)) {
	} else if (n == 11 && s[2] == ' ' && s[6] == ' ' && digits(s, 2, &d) &&
		   (m = (unsigned)month_of(s + 3)) != 0 && digits(s + 7, 4, &y)) {
	} else if (n == 8 && s[3] == ' ' && (m = (unsigned)month_of(s)) != 0 &&
		   digits(s + 4, 4, &y)) {
	} else {
		return false;
	}
	if (y < 1800 || y > 2200 || m > 12 || d > 31 || (d && !m))
		return false;
	*dob = y * 10000 + m * 100 + d;
	return true;
}

static const char *const countries[][2] = {
	{"azerbaijan", "az"}, {"russia", "ru"}, {"russianfederation", "ru"},
	{"turkey", "tr"}, {"turkiye", "tr"}, {"georgia", "ge"}, {"iran", "ir"},
	{"iranislamicrepublicof", "ir"}, {"islamicrepublicofiran", "ir"},
	{"ukraine", "ua"}, {"unitedkingdom", "gb"}, {"uk", "gb"},
	{"unitedkingdomofgreatbritainandnorthernireland", "gb"}, {"germany", "de"},
	{"france", "fr"}, {"unitedstates", "us"}, {"unitedstatesofamerica", "us"},
	{"usa", "us"}, {"afghanistan", "af"}, {"iraq", "iq"}, {"syria", "sy"},
	{"syrianarabrepublic", "sy"}, {"pakistan", "pk"}, {"saudiarabia", "sa"},
	{"yemen", "ye"}, {"somalia", "so"}, {"libya", "ly"}, {"sudan", "sd"},
	{"egypt", "eg"}, {"jordan", "jo"}, {"lebanon", "lb"}, {"kuwait", "kw"},
	{"qatar", "qa"}, {"armenia", "am"}, {"kazakhstan", "kz"}, {"uzbekistan", "uz"},
	{"tajikistan", "tj"}, {"kyrgyzstan", "kg"}, {"turkmenistan", "tm"},
	{"belarus", "by"}, {"china", "cn"}, {"india", "in"}, {"indonesia", "id"},
	{"philippines", "ph"}, {"mali", "ml"}, {"nigeria", "ng"}, {"algeria", "dz"},
	{"tunisia", "tn"}, {"morocco", "ma"}, {"democraticpeoplesrepublicofkorea", "kp"},
	{"northkorea", "kp"}, {"cuba", "cu"}, {"venezuela", "ve"}, {"mexico", "mx"},
	{"colombia", "co"}, {"unitedarabemirates", "ae"}, {"bahrain", "bh"},
	{"oman", "om"}, {"israel", "il"}, {"palestine", "ps"}, {"bangladesh", "bd"},
	{"malaysia", "my"}, {"kenya", "ke"}, {"ethiopia", "et"}, {"eritrea", "er"},
	{"democraticrepublicofthecongo", "cd"}, {"centralafricanrepublic", "cf"},
	{"southsudan", "ss"}, {"italy", "it"}, {"spain", "es"}, {"netherlands", "nl"},
	{"belgium", "be"}, {"sweden", "se"}, {"norway", "no"}, {"poland", "pl"},
	{"canada", "ca"}, {"australia", "au"}, {"moldova", "md"}, {"lithuania", "lt"},
	{"latvia", "lv"}, {"estonia", "ee"}, {"kosovo", "xk"}, {"serbia", "rs"},
};

uint32_t att_match_nat_key(const char *s)
{
	char buf[64];
	size_t n = 0;

	if (!s)
		return 0;
	for (; *s && n < sizeof(buf) - 1; s++)
		if (isalpha((unsigned char)*s))
			buf[n++] = (char)tolower((unsigned char)*s);
	buf[n] = 0;
	if (n == 0)
		return 0;
	if (n > 2) {
		for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++)
			if (strcmp(buf, countries[i][0]) == 0) {
				memcpy(buf, countries[i][1], 3);
				n = 2;
				break;
			}
	}
	return att_hash32(buf, n, 0x6e6174u);
}

/* --------------------------------------------------------- explanations -- */

static void addf(struct att_buf *b, const char *fmt, ...) ATT_PRINTF(2, 3);
static void addf(struct att_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (att_buf_adds(b, tmp) != ATT_OK)
		return; /* the buffer stays failed; checked at the end */
}

size_t att_match_expl_text(const struct att_match_expl *e, char *buf, size_t size)
{
	struct att_buf b;
	size_t n;

	att_buf_init(&b, 8192);
	for (size_t k = 0; k < e->npairs; k++) {
		const struct att_match_pair_expl *p = &e->pairs[k];

		addf(&b, "%s%s%s%s%s%s %.2f", k ? "; " : "", e->a[p->a].text,
		     (e->joined_a >> p->a) & 1 ? "(joined)" : "", p->sim >= 0.999f ? "=" : "~",
		     e->b[p->b].text, (e->joined_b >> p->b) & 1 ? "(joined)" : "", (double)p->sim);
	}
	for (size_t i = 0; i < e->na; i++)
		if (e->unmatched_a & (1u << i))
			addf(&b, "; unmatched %s", e->a[i].text);
	for (size_t j = 0; j < e->nb; j++)
		if (e->unmatched_b & (1u << j))
			addf(&b, "; unmatched %s", e->b[j].text);
	if (e->tolerated_a | e->tolerated_b)
		addf(&b, "%s", " (tolerated: missing middle name/patronymic)");
	if (e->dob_adj != 0)
		addf(&b, "; dob %+.2f", (double)e->dob_adj);
	if (e->nat_adj != 0)
		addf(&b, "; nationality %+.2f", (double)e->nat_adj);
	if (att_buf_addf(&b, "; score %.2f", (double)e->score) != ATT_OK) {
		if (size)
			buf[0] = 0;
		return 0;
	}
	n = b.len;
	if (size) {
		size_t c = n < size ? n : size - 1;

		memcpy(buf, b.data, c);
		buf[c] = 0;
	}
	att_buf_release(&b);
	return n;
}

/* A bounded writer that counts what it could not write. */
struct jw {
	char *p;
	size_t n, size;
};

static void jw_put(struct jw *w, const char *s, size_t n)
{
	if (w->n < w->size) {
		size_t room = w->size - w->n;

		memcpy(w->p + w->n, s, n < room ? n : room);
	}
	w->n += n;
}

static void jw_lit(struct jw *w, const char *s)
{
	jw_put(w, s, strlen(s));
}

/* A token's text (at most ATT_NAME_TOKEN_MAX bytes) as a JSON string. */
static void jw_str(struct jw *w, const char *s)
{
	char q[6 * ATT_NAME_TOKEN_MAX + 2];
	size_t n = strlen(s);

	jw_put(w, q, att_json_quote(s, n < ATT_NAME_TOKEN_MAX ? n : ATT_NAME_TOKEN_MAX, q));
}

/* v, a multiple of 10^-places as round(x * 10^places) / 10^places makes it
 * (the double nearest that decimal): its decimal, trailing zeros dropped,
 * one digit kept after the point. That decimal reads back as v. */
static bool jw_rounded(struct jw *w, double v, int places)
{
	double scale = places == 3 ? 1e3 : 1e4;
	long long k;
	char t[32];
	size_t n = 0;

	if (!isfinite(v) || fabs(v) > 1e12)
		return false;
	k = llround(v * scale);
	if (k < 0 || (k == 0 && signbit(v)))
		t[n++] = '-';
	{
		unsigned long long m = (unsigned long long)(k < 0 ? -k : k);
		unsigned long long ip = m / (unsigned long long)scale;
		unsigned long long fp = m % (unsigned long long)scale;
		char d[24];
		size_t nd = 0;

		do {
			d[nd++] = (char)('0' + ip % 10);
			ip /= 10;
		} while (ip);
		while (nd)
			t[n++] = d[--nd];
		t[n++] = '.';
		for (int i = places - 1; i >= 0; i--) {
			d[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		nd = (size_t)places;
		while (nd > 1 && d[nd - 1] == '0')
			nd--;
		memcpy(t + n, d, nd);
		n += nd;
	}
	jw_put(w, t, n);
	return true;
}

/* Any double as json_dumps writes it: %.17g, ".0" added to an integer. */
static bool jw_real(struct jw *w, double v)
{
	char t[40];
	int n;

	if (!isfinite(v))
		return false;
	n = snprintf(t, sizeof(t), "%.17g", v);
	if (n <= 0 || (size_t)n >= sizeof(t) - 2)
		return false;
	if (!strpbrk(t, ".eE")) {
		t[n++] = '.';
		t[n++] = '0';
	}
	jw_put(w, t, (size_t)n);
	return true;
}

/* The texts of tokens t[0..n) whose bit is set in mask, comma-separated
 * JSON strings (one side's unmatched tokens). */
static void jw_unmatched(struct jw *w, const struct att_name_token *t, size_t n, uint16_t mask)
{
	bool first = true;

	for (size_t i = 0; i < n; i++)
		if (mask & (1u << i)) {
			if (!first)
				jw_lit(w, ",");
			first = false;
			jw_str(w, t[i].text);
		}
}

size_t att_match_expl_json_text(const struct att_match_expl *e, char *buf, size_t size)
{
	struct jw w = {buf, 0, size};
	bool ok;

	jw_lit(&w, "{\"score\":");
	ok = jw_rounded(&w, round((double)e->score * 1e4) / 1e4, 4);
	jw_lit(&w, ",\"name_score\":");
	ok = ok && jw_rounded(&w, round((double)e->name_score * 1e4) / 1e4, 4);
	jw_lit(&w, ",\"pairs\":[");
	for (size_t k = 0; ok && k < e->npairs; k++) {
		const struct att_match_pair_expl *p = &e->pairs[k];
		bool joined = ((e->joined_a >> p->a) | (e->joined_b >> p->b)) & 1;

		jw_lit(&w, k ? ",{\"a\":" : "{\"a\":");
		jw_str(&w, e->a[p->a].text);
		jw_lit(&w, ",\"b\":");
		jw_str(&w, e->b[p->b].text);
		jw_lit(&w, ",\"sim\":");
		ok = jw_rounded(&w, round((double)p->sim * 1000) / 1000, 3);
		jw_lit(&w, ",\"cost\":");
		ok = ok && jw_rounded(&w, round((double)p->cost * 1000) / 1000, 3);
		jw_lit(&w, joined ? ",\"joined\":true}" : ",\"joined\":false}");
	}
	jw_lit(&w, "],\"unmatched_a\":[");
	jw_unmatched(&w, e->a, e->na, e->unmatched_a);
	jw_lit(&w, "],\"unmatched_b\":[");
	jw_unmatched(&w, e->b, e->nb, e->unmatched_b);
	jw_lit(&w, (e->tolerated_a | e->tolerated_b) ? "],\"tolerated\":true,\"dob_adj\":"
						     : "],\"tolerated\":false,\"dob_adj\":");
	ok = ok && jw_real(&w, (double)e->dob_adj);
	jw_lit(&w, ",\"nat_adj\":");
	ok = ok && jw_real(&w, (double)e->nat_adj);
	jw_lit(&w, "}");
	if (!ok) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	if (size)
		buf[w.n < size ? w.n : size - 1] = '\0';
	return w.n;
}

struct json_t *att_match_expl_json(const struct att_match_expl *e)
{
	json_t *o = json_object(), *pairs = json_array(), *ua = json_array(),
	       *ub = json_array();
	bool ok = o && pairs && ua && ub;

	for (size_t k = 0; ok && k < e->npairs; k++) {
		const struct att_match_pair_expl *p = &e->pairs[k];
		json_t *pj = json_pack("{s:s,s:s,s:f,s:f,s:b}", "a", e->a[p->a].text, "b",
				       e->b[p->b].text, "sim",
				       round((double)p->sim * 1000) / 1000, "cost",
				       round((double)p->cost * 1000) / 1000, "joined",
				       (int)(((e->joined_a >> p->a) | (e->joined_b >> p->b)) & 1));

		ok = pj && json_array_append_new(pairs, pj) == 0;
	}
	for (size_t i = 0; ok && i < e->na; i++)
		if (e->unmatched_a & (1u << i))
			ok = json_array_append_new(ua, json_string(e->a[i].text)) == 0;
	for (size_t j = 0; ok && j < e->nb; j++)
		if (e->unmatched_b & (1u << j))
			ok = json_array_append_new(ub, json_string(e->b[j].text)) == 0;
	if (ok) {
		ok = json_object_set_new(o, "score", json_real(round((double)e->score * 1e4) / 1e4)) == 0 &&
		     json_object_set_new(o, "name_score",
					 json_real(round((double)e->name_score * 1e4) / 1e4)) == 0 &&
		     json_object_set_new(o, "pairs", pairs) == 0 &&
		     json_object_set_new(o, "unmatched_a", ua) == 0 &&
		     json_object_set_new(o, "unmatched_b", ub) == 0 &&
		     json_object_set_new(o, "tolerated", json_boolean((e->tolerated_a | e->tolerated_b) != 0)) == 0 &&
		     json_object_set_new(o, "dob_adj", json_real((double)e->dob_adj)) == 0 &&
		     json_object_set_new(o, "nat_adj", json_real((double)e->nat_adj)) == 0;
		if (ok)
			return o;
		json_decref(o);
		return NULL;
	}
	json_decref(o);
	json_decref(pairs);
	json_decref(ua);
	json_decref(ub);
	return NULL;
}
