/* Sanctions lists: import, versions, re-screening, and screening of names
 * against lists and holdings. Parsing is the matching engine's (un_xml.c,
 * ofac_csv.c); storage and rules are here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/match.h"
#include "attache/watchlist.h"
#include "exchange_int.h"
#include "holdings.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

struct import_ctx {
	struct att_node *node;
	const char *list;
	int64_t count, first_id, last_id;
	struct att_err *err;
};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		if (v[i])
			json_array_append_new(a, json_string(v[i]));
	return a;
}

static enum att_rc store_entry(void *arg, const struct att_wl_entry *e)
{
	struct import_ctx *c = arg;
	json_t *d, *aliases = json_array();
	char *text;
	int64_t id = 0;
	enum att_rc rc;

	for (size_t i = 0; i < e->naliases; i++)
		json_array_append_new(aliases,
				      json_pack("{s:s,s:s?,s:b}", "name", e->aliases[i].name,
						"quality", e->aliases[i].quality, "original_script",
						e->aliases[i].original_script));
	d = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s?,s:s?}", "kind",
		      e->kind == ATT_WL_PERSON ? "person" : e->kind == ATT_WL_ORG ? "organization"
										  : "other",
		      "name", e->name, "aliases", aliases, "dobs", strings(e->dobs, e->ndobs),
		      "nationalities", strings(e->nationalities, e->nnationalities), "documents",
		      strings(e->documents, e->ndocuments), "reference", e->reference, "remarks",
		      e->remarks);
	text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	if (!text)
		return att_fail(c->err, ATT_ENOMEM, "out of memory");
	rc = att_store_wl_entry_insert(c->node->store, c->list, e->id ? e->id : "", 
				       e->kind == ATT_WL_PERSON ? "person"
				       : e->kind == ATT_WL_ORG	? "organization"
								: "other",
				       text, &id, c->err);
	free(text);
	if (rc)
		return rc;
	if (!c->first_id)
		c->first_id = id;
	c->last_id = id;
	c->count++;
	return ATT_OK;
}

/* Re-screens every held entity against the new list's entries. */
struct rescreen_ctx {
	struct att_node *node;
	int64_t first, last;
	size_t hits;
	struct att_err *err;
	enum att_rc rc;
	struct att_entity_row *rows;
	size_t n, cap;
};

static int collect(const struct att_entity_row *e, void *arg)
{
	struct rescreen_ctx *c = arg;
	unsigned char *copy;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct att_entity_row *nr = realloc(c->rows, cap * sizeof(*nr));

		if (!nr)
			return 1;
		c->rows = nr;
		c->cap = cap;
	}
	copy = malloc(e->value_len ? e->value_len : 1);
	if (!copy)
		return 1;
	memcpy(copy, e->value, e->value_len);
	c->rows[c->n] = *e;
	c->rows[c->n].value = copy;
	c->n++;
	return 0;
}

static bool in_new_list(const struct rescreen_ctx *c, uint64_t ref)
{
	int64_t id;

	if (!(ref & ATT_REF_WL))
		return false;
	id = (int64_t)(ref & ~ATT_REF_WL);
	return id >= c->first && id <= c->last;
}

static enum att_rc rescreen_one(struct rescreen_ctx *c, const struct att_entity_row *e)
{
	struct att_match_index *ix = att_holdings_index(c->node);
	struct att_match_attrs attrs;
	struct att_match_hit hits[8];
	enum att_id_type t;
	const char *name, *canon;
	uint64_t refs[8];
	size_t n = 0;
	char ad[48];
	json_t *v;
	enum att_rc rc;

	att_x_ad(ad, sizeof(ad), "entity", e->msg_id);
	v = att_x_open_json(c->node, e->value, e->value_len, ad, c->err);
	if (!v)
		return ATT_ECRYPTO;
	if (!att_entity_index_form(v, &name, &attrs, &t, &canon)) {
		json_decref(v);
		return ATT_OK;
	}
	if (name) {
		struct att_match_query q;

		memset(&q, 0, sizeof(q));
		q.name = name;
		q.len = strlen(name);
		q.attrs = attrs;
		q.explain = true;
		rc = att_match_index_query(ix, &q, hits, 8, &n, c->err);
		if (rc == ATT_EINVAL) {
			att_err_clear(c->err);
			rc = ATT_OK;
			n = 0;
		}
	} else {
		rc = att_match_index_query_id(ix, t, canon, refs, 8, &n, c->err);
		if (n > 8)
			n = 8;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		uint64_t ref = name ? hits[i].ref : refs[i];
		struct att_hit_row h;
		unsigned char *sealed = NULL;
		json_t *expl;

		if (!in_new_list(c, ref))
			continue;
		memset(&h, 0, sizeof(h));
		h.entity_id = e->id;
		h.other_ref = (int64_t)(ref & ~ATT_REF_WL);
		snprintf(h.other_kind, sizeof(h.other_kind), "watchlist");
		h.score = name ? hits[i].score : 1.0;
		h.created = att_now();
		expl = name ? att_match_expl_json(&hits[i].expl)
			    : json_pack("{s:s,s:s,s:f}", "rule", "exact", "type",
					att_id_type_name(t), "score", 1.0);
		att_x_ad(ad, sizeof(ad), "hit", e->id);
		rc = expl ? att_x_seal_json(c->node, expl, ad, &sealed, &h.expl_len, c->err)
			  : att_fail(c->err, ATT_ENOMEM, "out of memory");
		json_decref(expl);
		h.expl = sealed;
		if (!rc)
			rc = att_store_hit_insert(c->node->store, &h, c->err);
		free(sealed);
		if (!rc)
			c->hits++;
	}
	json_decref(v);
	return rc;
}

enum att_rc att_watchlist_import(struct att_node *node, const char *actor_id,
				 const char *name, const char *format, const char *data,
				 size_t len, const char *alt, size_t alt_len, void **out_json,
				 struct att_err *err)
{
	struct att_actor actor;
	struct att_wl_row w;
	struct import_ctx ic;
	struct rescreen_ctx rc_ctx;
	unsigned char digest[ATT_HASH_LEN];
	int64_t version = 0;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_actor_authz(node, actor_id, ATT_ACT_WATCHLIST_IMPORT, &actor, err);
	if (!rc)
		rc = att_check_id(err, "list name", name);
	if (rc)
		return rc;
	if (!format || (strcmp(format, "un-xml") && strcmp(format, "ofac-csv") &&
			strcmp(format, "csv")))
		return att_fail(err, ATT_EINVAL, "format must be un-xml, ofac-csv or csv");
	if (len > ATT_WL_FILE_MAX || alt_len > ATT_WL_FILE_MAX)
		return att_fail(err, ATT_ELIMIT, "the list file is too large (at most %u bytes)",
				ATT_WL_FILE_MAX);
	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "%s", name);
	snprintf(w.format, sizeof(w.format), "%s", format);
	snprintf(w.imported_by, sizeof(w.imported_by), "%s", actor.id);
	w.imported = att_now();
	att_sha256(digest, data, len, alt, alt ? alt_len : 0, NULL, 0);
	att_hex(digest, ATT_HASH_LEN, w.sha256);
	memset(&ic, 0, sizeof(ic));
	ic.node = node;
	ic.list = name;
	ic.err = err;
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_wl_replace(node->store, &w, &version, err);
	/* The parsers validate the whole input before the first entry, so a
	 * malformed file stores nothing; any later failure rolls back too. */
	if (!rc) {
		if (!strcmp(format, "un-xml"))
			rc = att_wl_parse_un_xml(data, len, ATT_WL_FILE_MAX, store_entry, &ic, err);
		else if (!strcmp(format, "ofac-csv"))
			rc = att_wl_parse_ofac_csv(data, len, alt, alt ? alt_len : 0, ATT_WL_FILE_MAX,
						   store_entry, &ic, err);
		else
			rc = att_wl_parse_csv(data, len, ATT_WL_FILE_MAX, store_entry, &ic, err);
	}
	if (!rc && ic.count == 0)
		rc = att_fail(err, ATT_EINVAL, "the file holds no list entries");
	if (!rc)
		rc = att_store_wl_finish(node->store, name, ic.count, err);
	/* Re-screen every held entity against the new version. */
	memset(&rc_ctx, 0, sizeof(rc_ctx));
	rc_ctx.node = node;
	rc_ctx.first = ic.first_id;
	rc_ctx.last = ic.last_id;
	rc_ctx.err = err;
	if (!rc)
		rc = att_holdings_sync(node, err);
	if (!rc)
		rc = att_store_entity_each_since(node->store, 0, collect, &rc_ctx, err);
	for (size_t i = 0; !rc && i < rc_ctx.n; i++)
		rc = rescreen_one(&rc_ctx, &rc_ctx.rows[i]);
	for (size_t i = 0; i < rc_ctx.n; i++)
		free((void *)rc_ctx.rows[i].value);
	free(rc_ctx.rows);
	if (!rc) {
		char obj[96];

		snprintf(obj, sizeof(obj), "watchlist/%s", name);
		rc = att_audit_json(node, &actor, "watchlist.import", obj,
				    json_pack("{s:s,s:I,s:I,s:s,s:I}", "format", format, "version",
					      (json_int_t)version, "entries", (json_int_t)ic.count,
					      "sha256", w.sha256, "rescreen_hits",
					      (json_int_t)rc_ctx.hits),
				    err);
	}
	rc = att_node_done(node, rc, err);
	if (rc)
		return rc;
	*out_json = json_pack("{s:s,s:s,s:I,s:I,s:s,s:I,s:I}", "name", name, "format", format,
			      "version", (json_int_t)version, "entries", (json_int_t)ic.count,
			      "sha256", w.sha256, "rescreened", (json_int_t)rc_ctx.n,
			      "rescreen_hits", (json_int_t)rc_ctx.hits);
	return ATT_OK;
}

static int wl_row(const struct att_wl_row *w, void *arg)
{
	char t[32];

	att_time_fmt(w->imported, t);
	json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "name", w->name,
					     "format", w->format, "version", (json_int_t)w->version,
					     "entries", (json_int_t)w->entries, "imported", t,
					     "sha256", w->sha256, "imported_by", w->imported_by));
	return 0;
}

static enum att_rc wl_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			   json_t **arr, struct att_err *err)
{
	(void)actor;
	(void)ctx;
	return att_store_wl_each(node->store, wl_row, *arr, err);
}

enum att_rc att_watchlist_list(struct att_node *node, const char *actor_id, void **out_json,
			       struct att_err *err)
{
	return att_node_list(node, actor_id, ATT_ACT_WATCHLIST_READ, "watchlist.list",
			     "watchlists", wl_fill, NULL, out_json, err);
}

/* --- screening ---------------------------------------------------------------- */

static enum att_rc screen_one(struct att_node *node, const struct access *a, const char *qname,
			      const struct att_screen_opts *opts, json_t **out,
			      struct att_err *err)
{
	struct att_match_query q;
	struct att_match_hit *hits;
	size_t limit = opts->limit ? opts->limit : 10, want, n = 0, shown = 0;
	json_t *arr = json_array();
	enum att_rc rc;

	*out = NULL;
	rc = att_check_text(err, "name", qname, ATT_NAME_INPUT_MAX, false, false);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	want = limit * 4 + 8;
	hits = calloc(want, sizeof(*hits));
	if (!hits) {
		json_decref(arr);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	memset(&q, 0, sizeof(q));
	q.name = qname;
	q.len = strlen(qname);
	q.explain = true;
	if (opts->dob && !att_match_dob_parse(opts->dob, &q.attrs.dob))
		q.attrs.dob = 0;
	q.attrs.nat = att_match_nat_key(opts->nationality);
	rc = att_match_index_query(att_holdings_index(node), &q, hits, want, &n, err);
	for (size_t i = 0; !rc && i < n && i < want && shown < limit; i++) {
		json_t *expl = att_match_expl_json(&hits[i].expl), *o = NULL;

		if (hits[i].ref & ATT_REF_WL) {
			char list[65], entry[65];
			char *data = NULL;
			json_t *d;

			if (att_store_wl_entry_get(node->store, (int64_t)(hits[i].ref & ~ATT_REF_WL),
						   list, entry, &data, NULL)) {
				json_decref(expl);
				continue;
			}
			if (opts->list && strcmp(opts->list, list)) {
				free(data);
				json_decref(expl);
				continue;
			}
			d = json_loads(data, 0, NULL);
			free(data);
			o = json_pack("{s:s,s:f,s:s,s:s,s:O,s:O,s:O,s:O,s:o}", "kind", "watchlist",
				      "score", hits[i].score, "list", list, "entry", entry, "name",
				      json_object_get(d, "name"), "entity_kind",
				      json_object_get(d, "kind"), "dobs", json_object_get(d, "dobs"),
				      "nationalities", json_object_get(d, "nationalities"),
				      "explanation", expl);
			json_decref(d);
		} else {
			struct att_entity_row e;
			struct att_msg_row m;
			bool yes = false;

			/* Holdings: never for the node operator or the overseer's
			 * screening of lists only. */
			if (opts->list || a->actor.role == ATT_ROLE_LOCAL) {
				json_decref(expl);
				continue;
			}
			if (att_store_entity_get(node->store, (int64_t)hits[i].ref, &e, NULL)) {
				json_decref(expl);
				continue;
			}
			if (strcmp(e.type, "person") && strcmp(e.type, "organization")) {
				free((void *)e.value);
				json_decref(expl);
				continue;
			}
			rc = att_store_msg_get(node->store, e.msg_id, &m, err);
			if (!rc) {
				free((void *)m.content);
				m.content = NULL;
				rc = att_x_may_read(node, a, &m, &yes, err);
			}
			if (rc) {
				free((void *)e.value);
				json_decref(expl);
				break;
			}
			/* a message held for review is not there for others, not
			 * even as a hit/no-hit */
			if (!yes && strcmp(m.status, "delivered")) {
				free((void *)e.value);
				json_decref(expl);
				continue;
			}
			if (yes) {
				char ad[48];
				json_t *v;

				att_x_ad(ad, sizeof(ad), "entity", e.msg_id);
				v = att_x_open_json(node, e.value, e.value_len, ad, err);
				o = json_pack("{s:s,s:f,s:I,s:I,s:s,s:o,s:o}", "kind", "holding",
					      "score", hits[i].score, "message", (json_int_t)m.id,
					      "case", (json_int_t)m.case_id, "unit", m.sender_unit,
					      "entity", v ? v : json_null(), "explanation", expl);
			} else {
				/* hit/no-hit: that a match exists and whom to ask */
				json_object_del(expl, "unmatched_b");
				{
					size_t k;
					json_t *p;

					json_array_foreach(json_object_get(expl, "pairs"), k, p)
						json_object_del(p, "b");
				}
				o = json_pack("{s:s,s:f,s:s,s:I,s:s,s:o}", "kind", "holding", "score",
					      hits[i].score, "unit", m.sender_unit, "case",
					      (json_int_t)m.case_id, "content", "withheld: ask the holder",
					      "explanation", expl);
			}
			free((void *)e.value);
		}
		if (o) {
			json_array_append_new(arr, o);
			shown++;
		}
	}
	free(hits);
	if (rc == ATT_EINVAL) {
		/* a query with no letters: no hits, said plainly */
		json_decref(arr);
		return rc;
	}
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = json_pack("{s:s,s:o}", "query", qname, "hits", arr);
	return ATT_OK;
}

enum att_rc att_screen(struct att_node *node, const char *actor_id, const char *const *names,
		       size_t n, const struct att_screen_opts *opts, void **out_json,
		       struct att_err *err)
{
	struct access a;
	json_t *arr;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_SCREEN, &a, err);
	if (!rc && opts->list)
		rc = att_check_id(err, "list", opts->list);
	if (!rc && opts->dob && *opts->dob) {
		uint32_t d;

		if (!att_match_dob_parse(opts->dob, &d))
			rc = att_fail(err, ATT_EINVAL, "date of birth '%.20s' is not a date",
				      att_utf8_valid(opts->dob, strlen(opts->dob)) ? opts->dob : "?");
	}
	if (!rc && opts->nationality)
		rc = att_check_text(err, "nationality", opts->nationality, 64, true, false);
	if (!rc && opts->limit > 1000)
		rc = att_fail(err, ATT_EINVAL, "limit is at most 1000");
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = att_holdings_sync(node, err);
	arr = json_array();
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *one = NULL;
		struct att_err e1 = {0};
		enum att_rc r1 = screen_one(node, &a, names[i], opts, &one, &e1);

		if (r1 == ATT_EINVAL && n > 1) {
			/* In a batch, a bad line is reported in place. */
			one = json_pack("{s:s,s:s}", "query", att_utf8_valid(names[i], strlen(names[i]))
								 ? names[i] : "",
					"error", e1.msg);
		} else if (r1) {
			rc = att_fail(err, r1, "%s", e1.msg);
			break;
		}
		json_array_append_new(arr, one);
		{
			/* Who searched whom is for the overseer's eyes: the query is
			 * sealed in the audit entry and opened only when the overseer
			 * lists the log. */
			char *sq = att_x_seal_text(node, names[i], err);

			rc = sq ? att_audit_json(node, &a.actor, "screen",
						 opts->list ? opts->list : "all",
						 json_pack("{s:s,s:I}", "query_sealed", sq, "hits",
							   (json_int_t)json_array_size(
								   json_object_get(one, "hits"))),
						 err)
				: ATT_ENOMEM;
			free(sq);
		}
	}
	return att_node_done_json(node, rc, arr, out_json, err);
}
