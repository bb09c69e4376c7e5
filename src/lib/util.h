/* Internal helpers of libattache: bounded growable buffers, overflow-checked
 * sizes, UTF-8 and identifier validation, dates, hex. Not a public header. */
#ifndef ATT_UTIL_H
#define ATT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attache/common.h"

/* A growable byte buffer with a hard maximum; on any failure it frees its
 * memory and stays failed, so a sequence of appends needs one check. */
struct att_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool failed;
};

void att_buf_init(struct att_buf *b, size_t max);
void att_buf_release(struct att_buf *b);
enum att_rc att_buf_add(struct att_buf *b, const void *p, size_t n) ATT_WUR;
enum att_rc att_buf_adds(struct att_buf *b, const char *s) ATT_WUR;
/* Makes room for n more bytes without adding any. */
enum att_rc att_buf_reserve(struct att_buf *b, size_t n) ATT_WUR;
enum att_rc att_buf_addf(struct att_buf *b, const char *fmt, ...) ATT_PRINTF(2, 3) ATT_WUR;
/* Returns a NUL-terminated string owned by the caller (buffer is reset). */
char *att_buf_detach(struct att_buf *b, size_t *len);

/* a*b and a+b, false when they overflow size_t. */
bool att_size_mul(size_t a, size_t b, size_t *out);
bool att_size_add(size_t a, size_t b, size_t *out);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool att_utf8_valid(const char *s, size_t n);

/* JSON strings as jansson writes them (compact, UTF-8 and '/' kept): the
 * escape of byte c into esc (\" \\ \b \f \n \r \t, other control
 * bytes \u00XX in upper case), its length, 0 when c needs none. Inline:
 * asked of every byte of a reply. */
size_t att_json_escape_needed(unsigned char c, char esc[6]);
static inline size_t att_json_escape(unsigned char c, char esc[6])
{
	return c >= 0x20 && c != '"' && c != '\\' ? 0 : att_json_escape_needed(c, esc);
}
/* s[0..n) quoted and escaped into out, which has room for 6 n + 2 bytes;
 * returns the length written (no NUL). */
size_t att_json_quote(const char *s, size_t n, char *out);

/* Checks a free-text value: present (unless optional), valid UTF-8, at most
 * max bytes, no control characters other than \n and \t when multiline. */
enum att_rc att_check_text(struct att_err *err, const char *what, const char *s,
			   size_t max, bool optional, bool multiline) ATT_WUR;

/* Checks an identifier: 1..ATT_ID_MAX of [a-z0-9], then [a-z0-9._-]. */
enum att_rc att_check_id(struct att_err *err, const char *what, const char *s) ATT_WUR;

/* True when s is one of the three fields of the decree. */
bool att_field_valid(const char *s);

/* Parses a calendar date YYYY-MM-DD (a real date); sets *days to days since
 * 1970-01-01. */
bool att_date_parse(const char *s, int64_t *days);
/* Checks an optional date argument, with a message naming `what`. */
enum att_rc att_check_date(struct att_err *err, const char *what, const char *s) ATT_WUR;

/* Current time in seconds, and a time as "YYYY-MM-DDTHH:MM:SSZ" into out
 * (>= 21 bytes). */
int64_t att_now(void);
void att_time_fmt(int64_t t, char out[32]);
/* Sets the clock (0: the real one again). Only the demo uses it, to lay
 * down a history of traffic that is days old; not thread-safe. */
void att_clock_set(int64_t t);
/* Today's date as days since epoch. */
int64_t att_today(void);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void att_hex(const unsigned char *p, size_t n, char *out);
/* Parses exactly n bytes of hex; false on anything else. */
bool att_unhex(const char *hex, unsigned char *out, size_t n);

/* True when the comma-separated list contains item exactly. */
bool att_list_has(const char *list, const char *item);

/* strdup that returns NULL for NULL. */
char *att_strdup(const char *s);

#endif
