/* JSON text of a reply, written straight into one growing buffer: the
 * server's hot path (an inbox page is ~15 KB) spent a fifth of its time in
 * jansson's callback-driven json_dumps. Output is the same bytes as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server.h"
#include "util.h"
#include "banned.h"

#define REPLY_MAX (256u * 1024u * 1024u)
#define DEPTH_MAX 64u

/* Appends n bytes: a copy when there is room (the common case, thousands of
 * times per page), the bounded buffer's own growth otherwise. */
static inline void put(struct att_buf *b, const char *p, size_t n)
{
	if (!b->failed && b->data && n < b->cap - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	(void)!att_buf_add(b, p, n);
}

static void put_string(struct att_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			elen = 6;
		}
		put(b, esc, elen);
	}
	put(b, s + run, n - run);
	put(b, "\"", 1);
}

static void put_value(struct att_buf *b, const json_t *v, size_t depth)
{
	if (depth > DEPTH_MAX) {
		b->failed = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;
		bool first = true;

		put(b, "{", 1);
		json_object_foreach((json_t *)v, k, m) {
			if (!first)
				put(b, ",", 1);
			first = false;
			put_string(b, k, strlen(k));
			put(b, ":", 1);
			put_value(b, m, depth + 1);
		}
		put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);

		put(b, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				put(b, ",", 1);
			put_value(b, json_array_get(v, i), depth + 1);
		}
		put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		char num[32];
		int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));

		put(b, num, n > 0 ? (size_t)n : 0);
		break;
	}
	case JSON_REAL: {
		/* Rare in replies: jansson's own formatting, to stay identical. */
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		if (!t)
			b->failed = true;
		else
			(void)!att_buf_adds(b, t);
		free(t);
		break;
	}
	case JSON_TRUE:
		put(b, "true", 4);
		break;
	case JSON_FALSE:
		put(b, "false", 5);
		break;
	case JSON_NULL:
		put(b, "null", 4);
		break;
	}
}

char *srv_json_text(const void *v, size_t *len)
{
	struct att_buf b;
	char *s;

	*len = 0;
	if (!v)
		return NULL;
	att_buf_init(&b, REPLY_MAX);
	/* Room for a typical page at once, instead of a dozen doublings. */
	if (json_is_object((const json_t *)v) || json_is_array((const json_t *)v))
		(void)!att_buf_reserve(&b, 16384);
	put_value(&b, v, 0);
	if (b.failed) {
		att_buf_release(&b);
		return NULL;
	}
	s = att_buf_detach(&b, len);
	return s;
}
