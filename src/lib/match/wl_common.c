/* Shared parts of the watchlist parsers: collecting entries before emitting
 * them, and an RFC 4180 CSV reader with line numbers for errors. */
#include <stdlib.h>
#include <string.h>

#include "wl_int.h"
#include "util.h"
#include "banned.h"

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *np;

	if (need <= *cap)
		return true;
	nc = *cap ? *cap * 2 : 4;
	while (nc < need)
		nc *= 2;
	if (!att_size_mul(nc, elem, &(size_t){0}))
		return false;
	np = realloc(*p, nc * elem);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

struct wl_item *wl_new_item(struct wl_list *l)
{
	if (!grow((void **)&l->items, &l->cap, l->n + 1, sizeof(struct wl_item)))
		return NULL;
	memset(&l->items[l->n], 0, sizeof(struct wl_item));
	return &l->items[l->n++];
}

bool wl_set(char **dst, const char *s, size_t n)
{
	char *d;

	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	d = malloc(n + 1);
	if (!d)
		return false;
	memcpy(d, s, n);
	d[n] = 0;
	free(*dst);
	*dst = d;
	return true;
}

bool wl_add_alias(struct wl_item *it, const char *name, size_t n, const char *quality,
		  bool original)
{
	struct att_wl_name *a;
	char *nm = NULL, *q = NULL;

	if (!wl_set(&nm, name, n))
		return false;
	if (!nm[0]) {
		free(nm);
		return true;
	}
	if (quality && quality[0] && !wl_set(&q, quality, strlen(quality))) {
		free(nm);
		return false;
	}
	if (!grow((void **)&it->aliases, &it->cap_aliases, it->naliases + 1, sizeof(*a))) {
		free(nm);
		free(q);
		return false;
	}
	a = &it->aliases[it->naliases++];
	a->name = nm;
	a->quality = q;
	a->original_script = original;
	return true;
}

bool wl_add_str(char ***arr, size_t *cnt, size_t *cap, const char *s, size_t n)
{
	char *v = NULL;

	if (!wl_set(&v, s, n))
		return false;
	if (!v[0]) {
		free(v);
		return true;
	}
	for (size_t i = 0; i < *cnt; i++)
		if (strcmp((*arr)[i], v) == 0) {
			free(v);
			return true;
		}
	if (!grow((void **)arr, cap, *cnt + 1, sizeof(char *))) {
		free(v);
		return false;
	}
	(*arr)[(*cnt)++] = v;
	return true;
}

enum att_rc wl_emit(const struct wl_list *l, att_wl_cb cb, void *ctx)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct wl_item *it = &l->items[i];
		struct att_wl_entry e = {
			.id = it->id,
			.reference = it->reference,
			.kind = it->kind,
			.name = it->name,
			.aliases = it->aliases,
			.naliases = it->naliases,
			.dobs = (const char *const *)it->dobs,
			.ndobs = it->ndobs,
			.nationalities = (const char *const *)it->nats,
			.nnationalities = it->nnats,
			.documents = (const char *const *)it->docs,
			.ndocuments = it->ndocs,
			.remarks = it->remarks,
		};
		enum att_rc rc = cb(ctx, &e);

		if (rc != ATT_OK)
			return rc;
	}
	return ATT_OK;
}

static void free_strs(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void wl_free(struct wl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct wl_item *it = &l->items[i];

		free(it->id);
		free(it->reference);
		free(it->name);
		free(it->remarks);
		for (size_t k = 0; k < it->naliases; k++) {
			free((char *)it->aliases[k].name);
			free((char *)it->aliases[k].quality);
		}
		free(it->aliases);
		free_strs(it->dobs, it->ndobs);
		free_strs(it->nats, it->nnats);
		free_strs(it->docs, it->ndocs);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void csv_init(struct csv *c, const char *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	c->line = 1;
}

void csv_release(struct csv *c)
{
	free(c->scratch);
	free(c->fields);
	memset(c, 0, sizeof(*c));
}

int csv_next(struct csv *c, const char *what, struct att_err *err)
{
	size_t o = 0, need, nstart[1024], nf = 0;
	bool fieldstart = true;

	/* skip blank lines and the legacy end-of-file marker (Ctrl-Z) */
	while (c->pos < c->len && (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r' ||
				   c->buf[c->pos] == 0x1a)) {
		if (c->buf[c->pos] == '\n')
			c->line++;
		c->pos++;
	}
	if (c->pos >= c->len)
		return 0;
	c->rec_line = c->line;
	if (!att_size_add(c->len - c->pos, 2048, &need) ||
	    !grow((void **)&c->scratch, &c->scap, need, 1)) {
		att_fail(err, ATT_ENOMEM, "out of memory");
		return -1;
	}
	nstart[nf++] = 0;
	while (c->pos < c->len) {
		char ch = c->buf[c->pos];

		if (fieldstart && ch == '"') {
			c->pos++;
			for (;;) {
				if (c->pos >= c->len) {
					att_fail(err, ATT_EINVAL, "%s line %zu: unterminated quoted field",
						 what, c->rec_line);
					return -1;
				}
				ch = c->buf[c->pos++];
				if (ch == '"') {
					if (c->pos < c->len && c->buf[c->pos] == '"') {
						c->scratch[o++] = '"';
						c->pos++;
						continue;
					}
					break;
				}
				if (ch == '\n')
					c->line++;
				c->scratch[o++] = ch;
			}
			fieldstart = false;
			/* tolerate spaces between the closing quote and the comma */
			while (c->pos < c->len && c->buf[c->pos] == ' ')
				c->pos++;
			if (c->pos < c->len && c->buf[c->pos] != ',' && c->buf[c->pos] != '\n' &&
			    c->buf[c->pos] != '\r') {
				att_fail(err, ATT_EINVAL, "%s line %zu: text after a closing quote",
					 what, c->line);
				return -1;
			}
			continue;
		}
		c->pos++;
		if (ch == ',') {
			c->scratch[o++] = 0;
			if (nf >= 1024) {
				att_fail(err, ATT_EINVAL, "%s line %zu: more than 1024 fields", what,
					 c->line);
				return -1;
			}
			nstart[nf++] = o;
			fieldstart = true;
			continue;
		}
		if (ch == '\n' || ch == '\r') {
			if (ch == '\r' && c->pos < c->len && c->buf[c->pos] == '\n')
				c->pos++;
			c->line++;
			break;
		}
		if (ch == 0) {
			att_fail(err, ATT_EINVAL, "%s line %zu: NUL byte", what, c->line);
			return -1;
		}
		c->scratch[o++] = ch;
		fieldstart = false;
	}
	c->scratch[o++] = 0;
	if (!grow((void **)&c->fields, &c->fcap, nf, sizeof(char *))) {
		att_fail(err, ATT_ENOMEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nf; i++)
		c->fields[i] = c->scratch + nstart[i];
	c->nf = nf;
	return 1;
}
