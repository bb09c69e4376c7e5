/* Sanctions lists and screening: importing the UN Security Council
 * consolidated list (XML), OFAC SDN (legacy CSV) and a generic CSV as
 * versioned lists, re-screening every held entity when a list changes, and
 * screening a name against the lists and the node's holdings. */
#ifndef ATTACHE_WATCHLIST_H
#define ATTACHE_WATCHLIST_H

#include "attache/common.h"

struct att_node;

/* Largest list file accepted. */
#define ATT_WL_FILE_MAX (64u * 1024u * 1024u)

/* Imports (or atomically replaces) list `name` from data[0..len) in format
 * "un-xml", "ofac-csv" (alt: the aliases file, may be NULL) or "csv". The
 * whole file is validated before anything is stored: malformed input leaves
 * the previous version intact. Then every entity the node holds is screened
 * against the new list. *out_json receives {name, format, version, entries,
 * sha256, rescreen_hits}. */
enum att_rc att_watchlist_import(struct att_node *node, const char *actor_id,
				 const char *name, const char *format, const char *data,
				 size_t len, const char *alt, size_t alt_len, void **out_json,
				 struct att_err *err) ATT_WUR;

/* The lists with their versions. */
enum att_rc att_watchlist_list(struct att_node *node, const char *actor_id, void **out_json,
			       struct att_err *err) ATT_WUR;

struct att_screen_opts {
	const char *list;        /* only this list (NULL: all lists and holdings) */
	const char *dob;         /* optional */
	const char *nationality; /* optional */
	size_t limit;            /* 0: 10 */
};

/* Screens names[0..n) (one query each) against the lists and against the
 * entities the node holds (those the actor may read shown in full, others as
 * hit/no-hit with the holder's unit). *out_json is an array with one object
 * per query: {query, hits: [{kind, score, list|unit, ..., explanation}]}.
 * One transaction, one audit entry per query. */
enum att_rc att_screen(struct att_node *node, const char *actor_id, const char *const *names,
		       size_t n, const struct att_screen_opts *opts, void **out_json,
		       struct att_err *err) ATT_WUR;

#endif
