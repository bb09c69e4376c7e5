/* A read-only JSON document for the message form, see jdoc.h. The fast
 * reader takes on the common shapes (no reals, no surrogate escapes, at
 * most JDOC_DEPTH levels, small objects); anything else, valid or not, goes
 * to jansson, so what is accepted and every error message are jansson's. */
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "util.h"
#include "banned.h"

#define JDOC_DEPTH 32      /* deeper documents go to jansson */
#define JDOC_MEMBERS 64    /* so are objects with more members (duplicates are sought pairwise) */
#define JDOC_BLOCK 64      /* values per arena block */

struct block {
	struct block *next;
	size_t used;
	struct att_jv v[JDOC_BLOCK];
};

struct att_jdoc {
	struct att_jv *root;
	struct block *blocks;
	char *str;       /* strings, unescaped, each NUL-terminated */
	size_t str_used, str_cap;
};

static struct att_jv *new_value(struct att_jdoc *d, enum att_jtype t)
{
	struct block *b = d->blocks;
	struct att_jv *v;

	if (!b || b->used == JDOC_BLOCK) {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->next = d->blocks;
		b->used = 0;
		d->blocks = b;
	}
	v = &b->v[b->used++];
	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

/* --- the fast reader ------------------------------------------------------- */

struct reader {
	const char *p, *end;
	struct att_jdoc *d;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/* A string at r->p (its opening quote); the value goes to the string
 * arena, which has room for every string of the text. */
static bool read_string(struct reader *r, const char **s, size_t *len)
{
	struct att_jdoc *d = r->d;
	char *o = d->str + d->str_used;

	if (r->p >= r->end || *r->p != '"')
		return false;
	r->p++;
	*s = o;
	for (;;) {
		unsigned char c;

		if (r->p >= r->end)
			return false;
		c = (unsigned char)*r->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (r->p >= r->end)
			return false;
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			char hex[5];
			unsigned char two[2];
			unsigned cp;

			if (r->end - r->p < 4)
				return false;
			memcpy(hex, r->p, 4);
			hex[4] = '\0';
			if (!att_unhex(hex, two, 2))
				return false;
			cp = (unsigned)two[0] << 8 | two[1];
			r->p += 4;
			/* NUL and surrogates (pairs or not) are jansson's to judge */
			if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
				return false;
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xC0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = (char)(0xE0 | cp >> 12);
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default:
			return false;
		}
	}
	*len = (size_t)(o - *s);
	*o++ = '\0';
	d->str_used = (size_t)(o - d->str);
	return true;
}

/* An integer of at most 18 digits (a real, or a longer number, is
 * jansson's). */
static bool read_number(struct reader *r, int64_t *out)
{
	bool neg = false;
	int64_t v = 0;
	size_t digits = 0;

	if (*r->p == '-') {
		neg = true;
		r->p++;
	}
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return false;
	if (*r->p == '0' && r->p + 1 < r->end && r->p[1] >= '0' && r->p[1] <= '9')
		return false;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (++digits > 18)
			return false;
		v = v * 10 + (*r->p++ - '0');
	}
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
		return false;
	*out = neg ? -v : v;
	return true;
}

static struct att_jv *read_value(struct reader *r);

static bool has_member(const struct att_jv *first, const char *key)
{
	for (const struct att_jv *m = first; m; m = m->next)
		if (!strcmp(m->key, key))
			return true;
	return false;
}

static struct att_jv *read_container(struct reader *r, bool object)
{
	struct att_jv *c = new_value(r->d, object ? ATT_J_OBJ : ATT_J_ARR), **tail;
	char close = object ? '}' : ']';

	if (!c || ++r->depth > JDOC_DEPTH)
		return NULL;
	tail = &c->kids;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return c;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0;
		struct att_jv *v;

		if (object) {
			if (!read_string(r, &key, &klen) || c->n >= JDOC_MEMBERS ||
			    strlen(key) != klen || has_member(c->kids, key))
				return NULL;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return NULL;
			r->p++;
			skip_ws(r);
		}
		v = read_value(r);
		if (!v)
			return NULL;
		v->key = key;
		*tail = v;
		tail = &v->next;
		c->n++;
		skip_ws(r);
		if (r->p >= r->end)
			return NULL;
		if (*r->p == close) {
			r->p++;
			r->depth--;
			return c;
		}
		if (*r->p != ',')
			return NULL;
		r->p++;
		skip_ws(r);
	}
}

static struct att_jv *read_value(struct reader *r)
{
	struct att_jv *v;

	if (r->p >= r->end)
		return NULL;
	switch (*r->p) {
	case '{':
		return read_container(r, true);
	case '[':
		return read_container(r, false);
	case '"': {
		const char *s;
		size_t len;

		v = new_value(r->d, ATT_J_STR);
		if (!v || !read_string(r, &s, &len) || strlen(s) != len)
			return NULL;
		v->s = s;
		v->len = len;
		return v;
	}
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = {"true", "false", "null"};
		static const enum att_jtype types[] = {ATT_J_TRUE, ATT_J_FALSE, ATT_J_NULL};
		int k = *r->p == 't' ? 0 : *r->p == 'f' ? 1 : 2;
		size_t n = strlen(lit[k]);

		if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit[k], n))
			return NULL;
		r->p += n;
		return new_value(r->d, types[k]);
	}
	default:
		v = new_value(r->d, ATT_J_INT);
		if (!v || !read_number(r, &v->i))
			return NULL;
		return v;
	}
}

/* --- from jansson ------------------------------------------------------------ */

static const char *copy_str(struct att_jdoc *d, const char *s, size_t len)
{
	char *o;

	if (d->str_cap - d->str_used < len + 1) {
		/* another arena for what does not fit (the first stays in use) */
		struct block *b = malloc(sizeof(*b) + len + 1);

		if (!b)
			return NULL;
		b->next = d->blocks;
		b->used = JDOC_BLOCK;
		d->blocks = b;
		o = (char *)(b + 1);
	} else {
		o = d->str + d->str_used;
		d->str_used += len + 1;
	}
	memcpy(o, s, len);
	o[len] = '\0';
	return o;
}

static struct att_jv *from_json(struct att_jdoc *d, const json_t *j)
{
	struct att_jv *v, **tail;

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;

		v = new_value(d, ATT_J_OBJ);
		if (!v)
			return NULL;
		tail = &v->kids;
		json_object_foreach((json_t *)j, k, x) {
			struct att_jv *m = from_json(d, x);

			if (!m || !(m->key = copy_str(d, k, strlen(k))))
				return NULL;
			*tail = m;
			tail = &m->next;
			v->n++;
		}
		return v;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;

		v = new_value(d, ATT_J_ARR);
		if (!v)
			return NULL;
		tail = &v->kids;
		json_array_foreach(j, i, x) {
			struct att_jv *e = from_json(d, x);

			if (!e)
				return NULL;
			*tail = e;
			tail = &e->next;
			v->n++;
		}
		return v;
	}
	case JSON_STRING:
		v = new_value(d, ATT_J_STR);
		if (!v)
			return NULL;
		v->len = json_string_length(j);
		v->s = copy_str(d, json_string_value(j), v->len);
		return v->s ? v : NULL;
	case JSON_INTEGER:
		v = new_value(d, ATT_J_INT);
		if (v)
			v->i = (int64_t)json_integer_value(j);
		return v;
	case JSON_REAL:
		v = new_value(d, ATT_J_REAL);
		if (v)
			v->r = json_real_value(j);
		return v;
	case JSON_TRUE:
		return new_value(d, ATT_J_TRUE);
	case JSON_FALSE:
		return new_value(d, ATT_J_FALSE);
	default:
		return new_value(d, ATT_J_NULL);
	}
}

static void reset(struct att_jdoc *d)
{
	while (d->blocks) {
		struct block *b = d->blocks;

		d->blocks = b->next;
		free(b);
	}
	d->root = NULL;
	d->str_used = 0;
}

enum att_rc att_jdoc_parse(const char *text, size_t len, struct att_jdoc **out,
			   json_error_t *jerr)
{
	struct att_jdoc *d = calloc(1, sizeof(*d));
	struct reader r;
	json_t *j;

	*out = NULL;
	if (!d || len > SIZE_MAX - 1)
		goto nomem;
	d->str_cap = len + 1;
	d->str = malloc(d->str_cap);
	if (!d->str)
		goto nomem;
	r.p = text;
	r.end = text + len;
	r.d = d;
	r.depth = 0;
	skip_ws(&r);
	if (att_utf8_valid(text, len) && r.p < r.end && (*r.p == '{' || *r.p == '[')) {
		d->root = read_value(&r);
		skip_ws(&r);
		if (d->root && r.p == r.end) {
			*out = d;
			return ATT_OK;
		}
	}
	/* Not a shape the fast reader takes on: jansson decides. */
	reset(d);
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
	if (!j) {
		att_jdoc_free(d);
		return ATT_EINVAL;
	}
	d->root = from_json(d, j);
	json_decref(j);
	if (!d->root)
		goto nomem;
	*out = d;
	return ATT_OK;
nomem:
	att_jdoc_free(d);
	if (jerr) {
		memset(jerr, 0, sizeof(*jerr));
		memcpy(jerr->text, "out of memory", sizeof("out of memory"));
	}
	return ATT_ENOMEM;
}

void att_jdoc_free(struct att_jdoc *d)
{
	if (!d)
		return;
	reset(d);
	free(d->str);
	free(d);
}

const struct att_jv *att_jdoc_root(const struct att_jdoc *d)
{
	return d->root;
}

const struct att_jv *att_jv_get(const struct att_jv *v, const char *key)
{
	if (!v || v->type != ATT_J_OBJ)
		return NULL;
	for (const struct att_jv *m = v->kids; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

const char *att_jv_str(const struct att_jv *v)
{
	return v && v->type == ATT_J_STR ? v->s : NULL;
}

size_t att_jv_depth(const struct att_jv *v)
{
	size_t d = 0;

	if (v->type != ATT_J_OBJ && v->type != ATT_J_ARR)
		return 0;
	for (const struct att_jv *k = v->kids; k; k = k->next) {
		size_t c = att_jv_depth(k);

		if (c > d)
			d = c;
	}
	return d + 1;
}

json_t *att_jv_json(const struct att_jv *v)
{
	json_t *j;

	switch (v->type) {
	case ATT_J_OBJ:
		j = json_object();
		for (const struct att_jv *k = v->kids; j && k; k = k->next)
			if (json_object_set_new(j, k->key, att_jv_json(k))) {
				json_decref(j);
				return NULL;
			}
		return j;
	case ATT_J_ARR:
		j = json_array();
		for (const struct att_jv *k = v->kids; j && k; k = k->next)
			if (json_array_append_new(j, att_jv_json(k))) {
				json_decref(j);
				return NULL;
			}
		return j;
	case ATT_J_STR:
		return json_stringn(v->s, v->len);
	case ATT_J_INT:
		return json_integer((json_int_t)v->i);
	case ATT_J_REAL:
		return json_real(v->r);
	case ATT_J_TRUE:
		return json_true();
	case ATT_J_FALSE:
		return json_false();
	default:
		return json_null();
	}
}
