/* Internals of the watchlist parsers: entries collected completely before
 * the first callback, and a small RFC 4180 CSV reader. Not public. */
#ifndef ATT_WL_INT_H
#define ATT_WL_INT_H

#include <stddef.h>

#include "attache/match.h"

/* One collected entry; every string is owned. */
struct wl_item {
	char *id, *reference, *name, *remarks;
	enum att_wl_kind kind;
	struct att_wl_name *aliases;
	size_t naliases, cap_aliases;
	char **dobs, **nats, **docs;
	size_t ndobs, nnats, ndocs, cap_dobs, cap_nats, cap_docs;
};

struct wl_list {
	struct wl_item *items;
	size_t n, cap;
};

/* Appends a zeroed item; NULL when out of memory. */
struct wl_item *wl_new_item(struct wl_list *l);
/* strndup into *dst (replacing), trimming spaces; false when out of memory. */
bool wl_set(char **dst, const char *s, size_t n);
bool wl_add_alias(struct wl_item *it, const char *name, size_t n, const char *quality,
		  bool original);
/* Appends s[0..n) to one of the string arrays (dobs, nats, docs). */
bool wl_add_str(char ***arr, size_t *cnt, size_t *cap, const char *s, size_t n);
/* Calls cb for every item; stops at the first failure. */
enum att_rc wl_emit(const struct wl_list *l, att_wl_cb cb, void *ctx);
void wl_free(struct wl_list *l);

/* CSV reader over buf[0..len): fields of one record, unquoted, as
 * NUL-terminated strings in an internal buffer. */
struct csv {
	const char *buf;
	size_t len, pos;
	size_t line;      /* current line (1-based) */
	size_t rec_line;  /* line where the current record starts */
	char *scratch;    /* unquoted text of the record */
	size_t scap;
	char **fields;
	size_t nf, fcap;
};

void csv_init(struct csv *c, const char *buf, size_t len);
/* Reads the next record: 1 = got one, 0 = end, -1 = malformed (err set). */
int csv_next(struct csv *c, const char *what, struct att_err *err);
void csv_release(struct csv *c);

#endif
