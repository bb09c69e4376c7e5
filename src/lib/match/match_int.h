/* Internals shared by the files of the matching engine: token views used by
 * the scorer and the index, skeletons and blocking keys. Not public. */
#ifndef ATT_MATCH_INT_H
#define ATT_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attache/match.h"

/* A token as the scorer sees it: pointers into an att_name or into the
 * index's packed record. */
struct att_tokv {
	const char *t;
	const char *sk;
	uint32_t id; /* the index's token id (records decoded by the index),
			or ATT_TOK_NOID (a query's own tokens, joins, names
			outside an index) */
	uint8_t len;
	uint8_t sklen;
	uint8_t flags;
};
#define ATT_TOK_NOID UINT32_MAX

/* Consonant skeleton of folded Latin text t[0..n) into out (>= n+1 bytes);
 * returns its length. */
size_t att_skel_latin(const char *t, size_t n, char *out);

/* Blocking keys of one token (at most ATT_TOKEN_KEYS) into keys; returns
 * how many. keys[0] is the exact key (folded text, or skeleton for Arabic
 * script), then the coarse-skeleton key, the coarse-prefix key and the
 * spelling key (consonant classes and three vowel classes). */
#define ATT_TOKEN_KEYS 4
/* kinds (may be NULL) receives the kind of each key; ATT_KEY_TYPO is the
 * query's own (index.c: exact keys of a query token's typo neighbours). */
enum { ATT_KEY_EXACT, ATT_KEY_SKELETON, ATT_KEY_PREFIX, ATT_KEY_SPELLING, ATT_KEY_TYPO };
size_t att_token_keys(const struct att_tokv *tv, uint32_t keys[ATT_TOKEN_KEYS],
		      uint8_t kinds[ATT_TOKEN_KEYS]);

/* Similarity in [0,1] of two tokens (confusion-aware edit distance); *cost
 * receives the weighted edit cost. */
double att_token_sim(const struct att_tokv *a, const struct att_tokv *b, double *cost);

/* Scores two token-view arrays (see att_match_score). */
double att_score_views(const struct att_tokv *a, size_t na, const struct att_match_attrs *aa,
		       const struct att_tokv *b, size_t nb, const struct att_match_attrs *ba,
		       struct att_match_expl *expl);

/* att_score_views, also giving the name score computed from raw token
 * similarities (no credit window): a tie-break for ranking. */
double att_score_views_rank(const struct att_tokv *a, size_t na,
			    const struct att_match_attrs *aa, const struct att_tokv *b,
			    size_t nb, const struct att_match_attrs *ba,
			    struct att_match_expl *expl, double *rank);

/* att_score_views_rank, filling expl (when not NULL) only when the score
 * is at least min: the explanation of a hit, without scoring twice. */
double att_score_views_hit(const struct att_tokv *a, size_t na,
			   const struct att_match_attrs *aa, const struct att_tokv *b, size_t nb,
			   const struct att_match_attrs *ba, double min,
			   struct att_match_expl *expl, double *rank);

/* Views of a normalised name; returns the count. */
size_t att_name_views(const struct att_name *n, struct att_tokv *v);

/* Frees the calling thread's query scratch of the index (called by
 * att_match_thread_release). */
void att_index_thread_release(void);

/* Per-query memo of token similarities (score.c), per thread: between
 * att_memo_begin() and att_memo_end() the scorer takes its token
 * similarities of (query token, candidate token) pairs from it, where the
 * first side of every att_score_views* call is the query. Exact: entries
 * compare the candidate token's bytes, which must stay valid until
 * att_memo_end(). */
#define ATT_MEMO_SIM 1u
/* What is known of one (query token, candidate token) pair. */
struct att_simval {
	uint8_t have; /* ATT_MEMO_SIM */
	double sim, cost; /* the scorer's similarity (floor CREDIT_LO) and cost */
};
struct att_memo_stats {
	uint64_t computed; /* scorer similarities computed while the memo was on */
	uint64_t hits;     /* ... taken from the memo or the pair cache */
	uint64_t entries;  /* entries created */
	uint64_t full;     /* lookups that found no room (computed, not kept) */
	uint64_t pair_hits;  /* lookups answered by the cross-query pair caches */
	uint64_t pair_evict; /* pair cache entries overwritten */
};
/* Starts a query on the index whose serial is ix_serial (0: no pair
 * cache), whose tokens have the index token ids qids[0..nq) (ATT_TOK_NOID
 * for a token the index has not); false when out of memory (then no
 * memo). */
bool att_memo_begin(uint32_t ix_serial, const uint32_t *qids, size_t nq);
void att_memo_end(void);
uint32_t att_tok_hash(const struct att_tokv *v);
/* The entry of (query token qi, candidate token v with hash h), created
 * empty when absent; NULL when the memo is off or crowded. When both
 * tokens have index ids the entry is keyed by id (h unused) and backed by
 * the cross-query pair cache of scorer similarities (per thread, bounded:
 * 131072 entries, 4 MB): filled from it on creation, values written
 * through to it. Token ids are never reused within an index and index
 * serials never within a process, so a pair cache entry is exact for as
 * long as it lives. */
struct att_simval *att_memo_get(uint8_t qi, const struct att_tokv *v, uint32_t h);
/* A new index serial (never 0 until 2^32 - 1 indexes were made; then 0:
 * no pair cache for that index). */
uint32_t att_pair_serial(void);
/* The cross-query cache of the index's cheap rerank similarity of (query
 * token qi, index token cid), apart from the scorer's (the rerank sees
 * eight times as many pairs: shared, they would push the scorer's out),
 * per thread, bounded: 131072 entries, 2 MB. No-ops and false outside a
 * query or when either side has no index id or there is no pair cache:
 * att_pair_prefetch asks for the entry's cache line ahead of use;
 * att_pair_cheap gives it when known; att_pair_put_cheap stores it. */
void att_pair_prefetch(uint8_t qi, uint32_t cid, bool sim); /* sim: the scorer's */
bool att_pair_cheap(uint8_t qi, uint32_t cid, float *v);
void att_pair_put_cheap(uint8_t qi, uint32_t cid, float v);
/* Counters of the calling thread (for tests and benchmarks). */
void att_memo_stats(struct att_memo_stats *st, bool reset);
/* Frees the calling thread's memo (called by att_match_thread_release). */
void att_score_thread_release(void);

/* FNV-1a 32-bit over the seed's four bytes and then p[0..n), finished with
 * a mix; never 0. */
uint32_t att_hash32(const void *p, size_t n, uint32_t seed);

/* For the tests: true when the index's token postings and its keys'
 * entry counts agree with its live records (index.c). */
bool att_match_index_check(struct att_match_index *ix);

/* For the tests and bench_ingest: how many of this thread's name queries
 * took each walk of stage 1 (index.c): one byte an entry, two bytes (see
 * WIDE_KEYS), or the general walk; reset when asked. */
struct att_walk_stats {
	uint64_t byte, wide, general;
};
void att_match_walk_stats(struct att_walk_stats *st, bool reset);
/* For the tests: while on, this thread's name queries take the general
 * walk, whose results the others must give too. */
void att_match_force_general(bool on);
/* For the tests: while on, this thread's names of Han characters are read
 * by ICU's Han-Latin alone, not by the table made of its rules
 * (normalize.c), which must read them alike. */
void att_name_force_icu(bool on);
/* For the tests: how many characters that table reads (0: none, all go
 * to ICU). */
size_t att_name_han_readings(void);

#endif
