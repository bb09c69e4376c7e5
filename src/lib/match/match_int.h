/* Internals shared by the files of the matching engine: token views used by
 * the scorer and the index, skeletons and blocking keys. Not public. */
#ifndef ATT_MATCH_INT_H
#define ATT_MATCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attache/match.h"

/* A token as the scorer sees it: pointers into an att_name or into the
 * index's packed record. */
struct att_tokv {
	const char *t;
	const char *sk;
	uint8_t len;
	uint8_t sklen;
	uint8_t flags;
};

/* Consonant skeleton of folded Latin text t[0..n) into out (>= n+1 bytes);
 * returns its length. */
size_t att_skel_latin(const char *t, size_t n, char *out);

/* Blocking keys of one token (at most ATT_TOKEN_KEYS) into keys; returns
 * how many. keys[0] is the exact key (folded text, or skeleton for Arabic
 * script), then the coarse-skeleton key and the coarse-prefix key. */
#define ATT_TOKEN_KEYS 3
size_t att_token_keys(const struct att_tokv *tv, uint32_t keys[ATT_TOKEN_KEYS]);

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

/* Views of a normalised name; returns the count. */
size_t att_name_views(const struct att_name *n, struct att_tokv *v);

/* Frees the calling thread's query scratch of the index (called by
 * att_match_thread_release). */
void att_index_thread_release(void);

/* FNV-1a 32-bit, never 0. */
uint32_t att_hash32(const void *p, size_t n, uint32_t seed);

#endif
