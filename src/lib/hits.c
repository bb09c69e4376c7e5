/* Hits, hit/no-hit style: each side learns that its own entity matched and
 * who holds the other record; the other record's content only when it may
 * read it anyway. Computed from the index through the same need-to-know
 * check as every read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "exchange_int.h"
#include "holdings.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

#define HITS_LIST_MAX 500

struct side {
	bool ok;           /* the entity exists */
	bool readable;     /* the actor may read its message */
	bool delivered;    /* its message is delivered (not held for review) */
	int64_t msg_id, case_id;
	char field[32];
	char unit[130];    /* the holder: the sender unit of its message */
	json_t *value;     /* the entity, opened */
};

static void side_release(struct side *s)
{
	json_decref(s->value);
	s->value = NULL;
}

static enum att_rc load_side(struct att_node *node, const struct access *a, int64_t entity_id,
			     struct side *s, struct att_err *err)
{
	struct att_entity_row e;
	struct att_msg_row m = {0};
	char ad[48];
	enum att_rc rc;

	memset(s, 0, sizeof(*s));
	rc = att_store_entity_get(node->store, entity_id, &e, err);
	if (rc == ATT_ENOTFOUND) {
		att_err_clear(err);
		return ATT_OK;
	}
	if (rc)
		return rc;
	rc = att_store_msg_get(node->store, e.msg_id, &m, err);
	if (rc) {
		free((void *)e.value);
		return rc;
	}
	free((void *)m.content);
	m.content = NULL;
	s->ok = true;
	s->delivered = !strcmp(m.status, "delivered");
	s->msg_id = m.id;
	s->case_id = m.case_id;
	snprintf(s->field, sizeof(s->field), "%s", m.field);
	snprintf(s->unit, sizeof(s->unit), "%s", m.sender_unit);
	rc = att_x_may_read(node, a, &m, &s->readable, err);
	if (!rc && s->readable) {
		att_x_ad(ad, sizeof(ad), "entity", e.msg_id);
		s->value = att_x_open_json(node, e.value, e.value_len, ad, err);
		if (!s->value)
			rc = ATT_ECRYPTO;
	}
	free((void *)e.value);
	return rc;
}

/* The watchlist entry as shown: public data. */
static json_t *wl_json(struct att_node *node, int64_t id, struct att_err *err)
{
	char list[65], entry[65];
	char *data = NULL;
	json_t *d, *o;

	if (att_store_wl_entry_get(node->store, id, list, entry, &data, err))
		return NULL;
	d = json_loads(data, 0, NULL);
	free(data);
	o = json_pack("{s:s,s:s,s:O,s:O}", "list", list, "entry", entry, "name",
		      d ? json_object_get(d, "name") : json_null(), "kind",
		      d ? json_object_get(d, "kind") : json_null());
	json_decref(d);
	return o;
}

/* The explanation as the viewer may see it: the other side's tokens only when
 * the viewer may read the other record. */
static json_t *redact(json_t *expl, bool mine_is_a, bool other_readable)
{
	json_t *pairs, *p;
	size_t i;

	if (!expl || other_readable)
		return expl;
	json_object_del(expl, mine_is_a ? "unmatched_b" : "unmatched_a");
	pairs = json_object_get(expl, "pairs");
	json_array_foreach(pairs, i, p)
		json_object_del(p, mine_is_a ? "b" : "a");
	return expl;
}

struct hit_list_ctx {
	struct att_hit_row *rows;
	size_t n, cap;
};

static int hit_row(const struct att_hit_row *h, void *arg)
{
	struct hit_list_ctx *c = arg;
	unsigned char *copy;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct att_hit_row *nr = realloc(c->rows, cap * sizeof(*nr));

		if (!nr)
			return 1;
		c->rows = nr;
		c->cap = cap;
	}
	copy = malloc(h->expl_len ? h->expl_len : 1);
	if (!copy)
		return 1;
	memcpy(copy, h->expl, h->expl_len);
	c->rows[c->n] = *h;
	c->rows[c->n].expl = copy;
	c->n++;
	return 0;
}

static json_t *entity_view(const struct side *s)
{
	json_t *v = s->value ? json_deep_copy(s->value) : json_object();

	json_object_set_new(v, "message", json_integer(s->msg_id));
	json_object_set_new(v, "case", json_integer(s->case_id));
	json_object_set_new(v, "field", json_string(s->field));
	json_object_set_new(v, "unit", json_string(s->unit));
	return v;
}

enum att_rc att_hits(struct att_node *node, const char *actor_id, void **out_json,
		     struct att_err *err)
{
	struct access a;
	struct hit_list_ctx c = {NULL, 0, 0};
	json_t *arr;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_HITS_READ, &a, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	arr = json_array();
	/* Newest first; the store narrows to hits touching the actor's own
	 * traffic, the need-to-know check below decides each one. */
	rc = att_store_hit_each(node->store,
				a.actor.role == ATT_ROLE_OVERSEER ? NULL : a.actor.id, a.m.unit, 0,
				2 * HITS_LIST_MAX, hit_row, &c, err);
	for (size_t i = 0; !rc && i < c.n && json_array_size(arr) < HITS_LIST_MAX; i++) {
		struct att_hit_row *h = &c.rows[i];
		struct side sa, sb;
		bool wl = !strcmp(h->other_kind, "watchlist");
		json_t *o, *expl;
		char ad[48];

		rc = load_side(node, &a, h->entity_id, &sa, err);
		if (rc)
			break;
		memset(&sb, 0, sizeof(sb));
		if (!wl) {
			rc = load_side(node, &a, h->other_ref, &sb, err);
			if (rc) {
				side_release(&sa);
				break;
			}
		}
		/* Which side is the viewer's? A hit of a message held for
		 * review (again, after delivery) is not shown until its
		 * release: only the overseer sees it. */
		if (!sa.ok || (!sa.readable && !(sb.ok && sb.readable)) ||
		    (a.actor.role != ATT_ROLE_OVERSEER &&
		     (!sa.delivered || (!wl && sb.ok && !sb.delivered)))) {
			side_release(&sa);
			side_release(&sb);
			continue;
		}
		att_x_ad(ad, sizeof(ad), "hit", h->entity_id);
		expl = att_x_open_json(node, h->expl, h->expl_len, ad, err);
		if (sa.readable) {
			o = json_pack("{s:I,s:f,s:o,s:o}", "id", (json_int_t)h->id, "score", h->score,
				      "created", att_x_time(h->created), "mine", entity_view(&sa));
			if (wl) {
				json_t *w = wl_json(node, h->other_ref, err);

				json_object_set_new(o, "other",
						    json_pack("{s:s,s:o}", "kind", "watchlist",
							      "entry", w ? w : json_null()));
				json_object_set_new(o, "explanation", expl ? expl : json_null());
			} else {
				json_t *other = json_pack("{s:s,s:s,s:I,s:s}", "kind", "entity", "unit",
							  sb.unit, "case", (json_int_t)sb.case_id,
							  "how_to_ask",
							  "send a request to the holder's unit citing "
							  "this hit; content is shared only if the "
							  "holder agrees");

				if (sb.readable) {
					json_object_set_new(other, "message", json_integer(sb.msg_id));
					json_object_set(other, "entity", sb.value);
				}
				json_object_set_new(o, "other", other);
				json_object_set_new(o, "explanation",
						    expl ? redact(expl, true, sb.readable) : json_null());
			}
		} else {
			/* The viewer holds the older record that a newer message matched. */
			json_t *other = json_pack("{s:s,s:s,s:I,s:s}", "kind", "entity", "unit",
						  sa.unit, "case", (json_int_t)sa.case_id, "how_to_ask",
						  "the other holder may ask you; you may ask them by a "
						  "request to their unit citing this hit");

			o = json_pack("{s:I,s:f,s:o,s:o,s:o,s:o}", "id", (json_int_t)h->id, "score",
				      h->score, "created", att_x_time(h->created), "mine",
				      entity_view(&sb), "other", other, "explanation",
				      expl ? redact(expl, false, false) : json_null());
		}
		json_array_append_new(arr, o);
		side_release(&sa);
		side_release(&sb);
	}
	for (size_t i = 0; i < c.n; i++)
		free((void *)c.rows[i].expl);
	free(c.rows);
	return att_node_list_done(node, &a.actor, "hits.read", "hits", rc, arr, out_json, err);
}
