/* JSON text of a reply, written straight into one growing buffer: the
 * server's hot path (an inbox page is ~15 KB) spent a fifth of its time in
 * jansson's callback-driven json_dumps. Output is the same bytes as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server.h"
#include "util.h"
#include "banned.h"

#define REPLY_MAX (256u * 1024u * 1024u)
#define DEPTH_MAX 64u
#define REPLY_FIRST 16384u
/* Texts of shared values kept (a few inbox pages of the busiest readers). */
#define MEMO_SLOTS 32u
#define MEMO_TEXT_MAX (1024u * 1024u)

/* The text of a value the library shares between requests and never
 * changes (an inbox page from its page cache), with a reference to it: while
 * the reference is held the pointer cannot be reused by another value, so
 * the pointer names the text. */
struct memo {
	json_t *v;
	char *text;
	size_t len;
};

static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static struct memo memo[MEMO_SLOTS];
static size_t memo_next;

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
	size_t run = 0;

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char esc[6];
		size_t elen = att_json_escape((unsigned char)s[i], esc);

		if (!elen)
			continue;
		put(b, s + run, i - run);
		put(b, esc, elen);
		run = i + 1;
	}
	put(b, s + run, n - run);
	put(b, "\"", 1);
}

/* Integers as jansson writes them ("%" JSON_INTEGER_FORMAT), without the
 * cost of printf: a page holds hundreds. */
static void put_int(struct att_buf *b, json_int_t v)
{
	char num[24];
	size_t i = sizeof(num);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		num[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		num[--i] = '-';
	put(b, num + i, sizeof(num) - i);
}

static void put_value(struct att_buf *b, const json_t *v, size_t depth,
		      const json_t *shared);

/* Appends the text of shared, from the memo when it was written before. */
static void put_shared(struct att_buf *b, const json_t *v, size_t depth)
{
	struct att_buf t;
	struct memo old = {NULL, NULL, 0};
	char *text;
	size_t len = 0;
	bool found = false;

	pthread_mutex_lock(&memo_mu);
	for (size_t i = 0; i < MEMO_SLOTS; i++) {
		if (memo[i].v == v) {
			put(b, memo[i].text, memo[i].len);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&memo_mu);
	if (found)
		return;
	att_buf_init(&t, MEMO_TEXT_MAX);
	put_value(&t, v, depth, NULL);
	if (t.failed || !t.data) {
		/* Too large to keep, or out of memory: written in place. */
		att_buf_release(&t);
		put_value(b, v, depth, NULL);
		return;
	}
	put(b, t.data, t.len);
	text = att_buf_detach(&t, &len);
	pthread_mutex_lock(&memo_mu);
	for (size_t i = 0; i < MEMO_SLOTS && !found; i++)
		found = memo[i].v == v;
	if (text && !found) {
		struct memo *m = &memo[memo_next++ % MEMO_SLOTS];

		old = *m;
		m->v = json_incref((json_t *)v);
		m->text = text;
		m->len = len;
		text = NULL;
	}
	pthread_mutex_unlock(&memo_mu);
	free(text);
	/* Outside the lock: the last reference to a page frees all of it. */
	json_decref(old.v);
	free(old.text);
}

static void put_value(struct att_buf *b, const json_t *v, size_t depth,
		      const json_t *shared)
{
	if (v == shared) {
		put_shared(b, v, depth);
		return;
	}
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
			put_value(b, m, depth + 1, shared);
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
			put_value(b, json_array_get(v, i), depth + 1, shared);
		}
		put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(b, json_integer_value(v));
		break;
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
	return srv_json_text_shared(v, NULL, len);
}

char *srv_json_text_shared(const void *v, const void *shared, size_t *len)
{
	struct att_buf b;
	char *s;

	*len = 0;
	if (!v)
		return NULL;
	att_buf_init(&b, REPLY_MAX);
	/* Room for a typical page at once, instead of a dozen doublings (and
	 * without att_buf_reserve's zeroed scratch copy: this is per reply). */
	if (json_is_object((const json_t *)v) || json_is_array((const json_t *)v)) {
		b.data = malloc(REPLY_FIRST);
		if (b.data) {
			b.cap = REPLY_FIRST;
			b.data[0] = '\0';
		}
	}
	put_value(&b, v, 0, shared);
	if (b.failed) {
		att_buf_release(&b);
		return NULL;
	}
	s = att_buf_detach(&b, len);
	return s;
}

void srv_json_memo_release(void)
{
	pthread_mutex_lock(&memo_mu);
	for (size_t i = 0; i < MEMO_SLOTS; i++) {
		json_decref(memo[i].v);
		free(memo[i].text);
		memo[i].v = NULL;
		memo[i].text = NULL;
		memo[i].len = 0;
	}
	memo_next = 0;
	pthread_mutex_unlock(&memo_mu);
}
