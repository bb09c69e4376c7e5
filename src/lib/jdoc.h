/* A read-only JSON document for the message form: parsed in one pass into
 * one arena, several times cheaper than a jansson tree, and accepting
 * exactly what json_loadb(JSON_REJECT_DUPLICATES) accepts (what the fast
 * reader does not take on is handed to jansson, whose verdict and error
 * message stand). Not a public header. */
#ifndef ATT_JDOC_H
#define ATT_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attache/common.h"

enum att_jtype {
	ATT_J_NULL,
	ATT_J_TRUE,
	ATT_J_FALSE,
	ATT_J_INT,
	ATT_J_REAL,
	ATT_J_STR,
	ATT_J_ARR,
	ATT_J_OBJ,
};

/* One value. Strings are NUL-terminated (JSON text with \u0000 is refused,
 * as jansson refuses it); members of an object carry their name in key. */
struct att_jv {
	enum att_jtype type;
	size_t n;              /* members or elements */
	const char *key;       /* the member's name, or NULL */
	const char *s;         /* a string's value */
	size_t len;            /* its length */
	int64_t i;             /* an integer */
	double r;              /* a real */
	struct att_jv *kids;   /* first member or element */
	struct att_jv *next;   /* next sibling */
};

struct att_jdoc;

/* Parses text[0..len) (an object or an array at the top, like json_loadb
 * without JSON_DECODE_ANY, duplicate member names refused). On failure
 * returns ATT_EINVAL (or ATT_ENOMEM) with jansson's account of the error
 * in *jerr. The document owns every value; free it with att_jdoc_free. */
enum att_rc att_jdoc_parse(const char *text, size_t len, struct att_jdoc **out,
			   json_error_t *jerr) ATT_WUR;
void att_jdoc_free(struct att_jdoc *d);
const struct att_jv *att_jdoc_root(const struct att_jdoc *d);

/* The member named key of an object (NULL when v is not an object or has
 * none). */
const struct att_jv *att_jv_get(const struct att_jv *v, const char *key);
/* A string's value, or NULL when v is NULL or not a string. */
const char *att_jv_str(const struct att_jv *v);
/* Nesting depth: 0 for a scalar, 1 + the deepest child for a container. */
size_t att_jv_depth(const struct att_jv *v);
/* A jansson copy of v (for the rare value that is passed on as JSON), or
 * NULL when memory is short. */
json_t *att_jv_json(const struct att_jv *v);

#endif
