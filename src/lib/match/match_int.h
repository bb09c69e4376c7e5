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

/* Blocking keys of one token (at most 2) into keys; returns how many. */
size_t att_token_keys(const struct att_tokv *tv, uint32_t keys[2]);

/* Similarity in [0,1] of two tokens (confusion-aware edit distance); *cost
 * receives the weighted edit cost. */
double att_token_sim(const struct att_tokv *a, const struct att_tokv *b, double *cost);

/* Scores two token-view arrays (see att_match_score). */
double att_score_views(const struct att_tokv *a, size_t na, const struct att_match_attrs *aa,
		       const struct att_tokv *b, size_t nb, const struct att_match_attrs *ba,
		       struct att_match_expl *expl);

/* Views of a normalised name; returns the count. */
size_t att_name_views(const struct att_name *n, struct att_tokv *v);

/* FNV-1a 32-bit, never 0. */
uint32_t att_hash32(const void *p, size_t n, uint32_t seed);

#endif
