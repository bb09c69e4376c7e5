/* Reading and passing on messages: inbox, show, acknowledge, forward (H2),
 * permit, export for judicial use (H1), overdue requests, case threads and
 * grants. Every read is audited, and so is every refused read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/exchange.h"
#include "exchange_int.h"
#include "holdings.h"
#include "policy.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

static bool parse_unit_ok(const char *u)
{
	return u && strlen(u) <= 2 * ATT_ID_MAX + 1 && att_utf8_valid(u, strlen(u));
}

static json_t *recipients_json(struct att_node *node, int64_t msg_id, struct att_err *err);

struct recip_ctx {
	json_t *arr;
};

static int recip_row(const struct att_recip_row *r, void *arg)
{
	struct recip_ctx *c = arg;

	json_array_append_new(c->arr, json_pack("{s:s,s:s,s:o,s:s?}", "unit", r->unit, "state",
						r->state, "updated", att_x_time(r->updated), "via",
						r->via[0] ? r->via : NULL));
	return 0;
}

static json_t *recipients_json(struct att_node *node, int64_t msg_id, struct att_err *err)
{
	struct recip_ctx c = {json_array()};

	if (att_store_recip_each(node->store, msg_id, recip_row, &c, err)) {
		json_decref(c.arr);
		return NULL;
	}
	return c.arr;
}

static bool overdue(const struct att_msg_row *m, int64_t now)
{
	return m->deadline && m->deadline < now && !strcmp(m->status, "delivered") &&
	       (!strcmp(m->type, "request") || !strcmp(m->type, "preservation"));
}

/* Overdue as the overdue list has it: past its deadline and, for a
 * recipient unit (my_state: its state), not answered by it; for anyone
 * else, not answered by every recipient. */
static bool overdue_for(struct att_node *node, const struct att_msg_row *m, const char *my_state,
			int64_t now)
{
	bool pending = true;

	if (!overdue(m, now))
		return false;
	if (my_state)
		return strcmp(my_state, "answered") != 0;
	if (att_store_msg_unanswered(node->store, m->id, &pending, NULL))
		return true;
	return pending;
}

/* The subject of a message: sealed alone since schema 3, else from the
 * content. */
static json_t *subject_of(struct att_node *node, const struct att_msg_row *m,
			  struct att_err *err)
{
	char ad[48];
	json_t *content, *subject;

	if (m->subject && m->subject_len) {
		unsigned char *pt = NULL;
		size_t len = 0;

		att_x_ad(ad, sizeof(ad), "subject", m->id);
		if (att_keys_open(node->keys, m->subject, m->subject_len, ad, &pt, &len, err))
			return NULL;
		subject = json_stringn((const char *)pt, len);
		free(pt);
		return subject;
	}
	if (!m->content) {
		struct att_msg_row full;

		if (att_store_msg_get(node->store, m->id, &full, err))
			return NULL;
		subject = subject_of(node, &full, err);
		free((void *)full.content);
		free((void *)full.subject);
		return subject;
	}
	att_x_ad(ad, sizeof(ad), "message", m->id);
	content = att_x_open_json(node, m->content, m->content_len, ad, err);
	if (!content)
		return NULL;
	subject = json_incref(json_object_get(content, "subject"));
	json_decref(content);
	return subject;
}

/* The summary of a message for lists. */
static json_t *summary_json(struct att_node *node, const struct att_msg_row *m,
			    const char *my_unit, struct att_err *err)
{
	struct att_recip_row r;
	const char *state = m->my_state[0] ? m->my_state : NULL;
	json_t *subject = subject_of(node, m, err);

	if (!subject)
		return NULL;
	/* Inbox rows (no content) carry the state from the page query already. */
	if (!state && m->content && my_unit && *my_unit &&
	    att_store_recip_get(node->store, m->id, my_unit, &r, NULL) == ATT_OK)
		state = r.state;
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:b,s:s,s:o,s:o,s:s?}", "id",
			 (json_int_t)m->id, "case", (json_int_t)m->case_id, "type", m->type,
			 "sender", m->sender, "sender_unit", m->sender_unit, "field", m->field,
			 "handling", m->handling, "priority", m->priority, "deadline",
			 att_x_time(m->deadline), "overdue", overdue_for(node, m, state, att_now()),
			 "status", m->status, "subject", subject, "created", att_x_time(m->created),
			 "my_state", state);
}

/* Message rows gathered from a store walk (content dropped or copied), so
 * that the walk's statement is finished before other queries run. */
struct msg_vec {
	struct att_msg_row *rows;
	size_t n, cap;
};

static bool msg_vec_push(struct msg_vec *v, const struct att_msg_row *m, bool with_content)
{
	unsigned char *copy = NULL;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 32;
		struct att_msg_row *nr = realloc(v->rows, cap * sizeof(*nr));

		if (!nr)
			return false;
		v->rows = nr;
		v->cap = cap;
	}
	v->rows[v->n] = *m;
	v->rows[v->n].content = NULL;
	v->rows[v->n].subject = NULL;
	if (with_content && m->content) {
		copy = malloc(m->content_len ? m->content_len : 1);
		if (!copy)
			return false;
		memcpy(copy, m->content, m->content_len);
		v->rows[v->n].content = copy;
	}
	if (with_content && m->subject) {
		copy = malloc(m->subject_len ? m->subject_len : 1);
		if (!copy) {
			free((void *)v->rows[v->n].content);
			return false;
		}
		memcpy(copy, m->subject, m->subject_len);
		v->rows[v->n].subject = copy;
	}
	v->n++;
	return true;
}

static void msg_vec_release(struct msg_vec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free((void *)v->rows[i].content);
		free((void *)v->rows[i].subject);
	}
	free(v->rows);
	v->rows = NULL;
	v->n = v->cap = 0;
}

/* --- inbox ------------------------------------------------------------------ */

struct inbox_ctx {
	struct att_node *node;
	struct access *a;
	struct att_err *err;
	enum att_rc rc;
	struct msg_vec v;
};

static int inbox_row(const struct att_msg_row *m, void *arg)
{
	struct inbox_ctx *c = arg;

	/* A representative sees only the field of their appointment. */
	if (c->a->actor.role == ATT_ROLE_REP && strcmp(m->sender, c->a->actor.id) &&
	    !(c->a->m.fields & att_field_bit(m->field)))
		return 0;
	if (!msg_vec_push(&c->v, m, true)) {
		c->rc = att_fail(c->err, ATT_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

/* Builds an inbox page: items (overdue first, then newest first), the
 * cursor of the next page (JSON null at the end), and until when the page
 * holds (the earliest deadline on it still to pass). */
static enum att_rc build_inbox(struct att_node *node, struct access *a, int64_t before,
			       size_t limit, int64_t now, json_t **items, json_t **next,
			       int64_t *valid_until, struct att_err *err)
{
	struct inbox_ctx c;
	json_t *over = json_array(), *rest = json_array();
	int64_t min_id = 0;
	enum att_rc rc;

	memset(&c, 0, sizeof(c));
	c.node = node;
	c.a = a;
	c.err = err;
	*valid_until = INT64_MAX;
	rc = att_store_msg_each_for(node->store, a->actor.id, a->m.unit, before, limit, inbox_row,
				    &c, err);
	if (!rc)
		rc = c.rc;
	for (size_t i = 0; !rc && i < c.v.n; i++) {
		const struct att_msg_row *m = &c.v.rows[i];
		json_t *o = summary_json(node, m, a->m.unit, err);

		if (!o) {
			rc = ATT_ECRYPTO;
			break;
		}
		json_array_append_new(json_is_true(json_object_get(o, "overdue")) ? over : rest, o);
		if (m->deadline > now && m->deadline < *valid_until)
			*valid_until = m->deadline;
		if (!min_id || m->id < min_id)
			min_id = m->id;
	}
	json_array_extend(over, rest);
	json_decref(rest);
	/* The cursor is the smallest id seen: the next page is older. */
	*next = !rc && c.v.n == limit && c.v.n ? json_integer(min_id) : json_null();
	msg_vec_release(&c.v);
	if (rc) {
		json_decref(over);
		json_decref(*next);
		return rc;
	}
	*items = over;
	return ATT_OK;
}

enum att_rc att_inbox(struct att_node *node, const char *actor_id, int64_t before,
		      size_t limit, void **out_json, struct att_err *err)
{
	struct access a;
	json_t *items = NULL, *next = NULL;
	int64_t now = att_now(), gen = 0, valid_until;
	char key[320];
	bool cacheable;
	enum att_rc rc;

	*out_json = NULL;
	if (limit == 0 || limit > 500)
		limit = limit ? 500 : 50;
	/* Who may read is decided in the read's own snapshot: one transaction
	 * for the access check, the page and its audit entry. */
	rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_READ, &a, err);
	if (rc)
		return att_node_done(node, rc, err);
	if (a.actor.role == ATT_ROLE_OVERSEER)
		rc = att_fail(err, ATT_EDENIED,
			      "denied: the overseer has no inbox; use the review queue and the "
			      "audit log");
	/* A page is reused while nothing it shows has changed (the store's
	 * inbox generation) and no deadline on it has passed. Access was
	 * decided above, for this request; the page is keyed by who reads it
	 * with what mandate. */
	{
		int kn = snprintf(key, sizeof(key), "%s|%s|%u|%lld|%zu", a.actor.id, a.m.unit,
				  a.m.fields, (long long)before, limit);

		cacheable = kn > 0 && (size_t)kn < sizeof(key);
	}
	if (!rc)
		rc = att_store_counter_get(node->store, "inbox_gen", &gen, err);
	if (!rc && !(cacheable && att_holdings_inbox_get(node, key, gen, now, (void **)&items,
							  (void **)&next))) {
		rc = build_inbox(node, &a, before, limit, now, &items, &next, &valid_until, err);
		if (!rc && cacheable)
			att_holdings_inbox_put(node, key, gen, valid_until, items, next);
	}
	if (!rc)
		rc = att_audit_json(node, &a.actor, "inbox.read", a.m.unit[0] ? a.m.unit : "inbox",
				    json_pack("{s:I}", "count", (json_int_t)json_array_size(items)),
				    err);
	rc = att_node_done(node, rc, err);
	if (rc) {
		json_decref(items);
		json_decref(next);
		return rc;
	}
	/* The items may be shared with the cache: callers change only the
	 * top-level object. */
	*out_json = json_pack("{s:o,s:o}", "items", items, "next_cursor", next);
	return *out_json ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
}

/* --- show ------------------------------------------------------------------------ */

/* Loads a message and checks need-to-know; a refused read is audited (and
 * committed) before the refusal is returned. */
static enum att_rc load_readable(struct att_node *node, const struct access *a, int64_t id,
				 const char *action, struct att_msg_row *m, struct att_err *err)
{
	bool yes = false;
	enum att_rc rc = att_store_msg_get(node->store, id, m, err);

	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_ENOTFOUND, "no such message %lld", (long long)id);
	if (rc)
		return rc;
	rc = att_x_may_read(node, a, m, &yes, err);
	if (!rc && !yes) {
		char obj[48];
		struct att_err ignored = {0};

		free((void *)m->content);
		m->content = NULL;
		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		/* The refused attempt is recorded: commit it, then refuse. */
		if (!att_audit_json(node, &a->actor, "access.denied", obj,
				    json_pack("{s:s}", "action", action), &ignored)) {
			if (att_node_commit(node, &ignored))
				att_err_clear(&ignored); /* the refusal stands either way */
		} else {
			att_node_rollback(node);
		}
		return att_fail(err, ATT_EDENIED,
				"denied: %s is not a party to message %lld (need to know)",
				a->actor.id, (long long)id);
	}
	if (rc) {
		free((void *)m->content);
		m->content = NULL;
	}
	return rc;
}

struct list_ctx {
	struct att_node *node;
	json_t *arr;
	struct att_err *err;
	enum att_rc rc;
	int64_t msg_id;
};

static int entity_row(const struct att_entity_row *e, void *arg)
{
	struct list_ctx *c = arg;
	char ad[48];
	json_t *v;

	att_x_ad(ad, sizeof(ad), "entity", e->msg_id);
	v = att_x_open_json(c->node, e->value, e->value_len, ad, c->err);
	if (!v) {
		c->rc = ATT_ECRYPTO;
		return 1;
	}
	json_object_set_new(v, "id", json_integer(e->id));
	json_array_append_new(c->arr, v);
	return 0;
}

/* An attachment's name and media type are stored sealed (a prefix no
 * clear one could have, then base64), bound to its message: a file's name
 * says as much as its content. Those stored before (in clear) are read as
 * they are: a clear name never has a '/', a clear media type never a
 * space. */
#define NAME_SEALED "/sealed:"
#define MIME_SEALED "sealed "

static char *seal_meta(struct att_node *node, int64_t msg_id, const char *what,
		       const char *prefix, const char *value, struct att_err *err)
{
	char ad[48];

	att_x_ad(ad, sizeof(ad), what, msg_id);
	return att_x_seal_b64(node, value, ad, prefix, err);
}

/* The stored value opened into out (size n); false when it is damaged. */
static bool open_meta(struct att_node *node, int64_t msg_id, const char *what,
		      const char *prefix, const char *stored, char *out, size_t n)
{
	unsigned char bin[ATT_ATTACH_NAME_STORED], *pt = NULL;
	size_t blen = 0, plen = 0, np = strlen(prefix);
	char ad[48];
	bool ok;

	if (strncmp(stored, prefix, np)) {
		snprintf(out, n, "%s", stored);
		return true;
	}
	att_x_ad(ad, sizeof(ad), what, msg_id);
	ok = !sodium_base642bin(bin, sizeof(bin), stored + np, strlen(stored + np), NULL, &blen,
				NULL, sodium_base64_VARIANT_ORIGINAL) &&
	     !att_keys_open(node->keys, bin, blen, ad, &pt, &plen, NULL) && plen < n;
	if (ok) {
		memcpy(out, pt, plen);
		out[plen] = '\0';
	}
	free(pt);
	return ok;
}

static int attach_row(int64_t id, const char *name, const char *mime, int64_t size, void *arg)
{
	struct list_ctx *c = arg;
	char open[256], type[128];

	if (!open_meta(c->node, c->msg_id, "attachment-name", NAME_SEALED, name, open,
		       sizeof(open)) ||
	    !open_meta(c->node, c->msg_id, "attachment-mime", MIME_SEALED, mime, type,
		       sizeof(type))) {
		c->rc = att_fail(c->err, ATT_ETAMPER, "the name of attachment %lld is damaged",
				 (long long)id);
		return 1;
	}
	json_array_append_new(c->arr, json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)id, "name",
						open, "mime", type, "size", (json_int_t)size));
	return 0;
}

static int thread_row(const struct att_msg_row *m, void *arg)
{
	struct msg_vec *v = arg;

	/* content is not needed for the check */
	return !msg_vec_push(v, m, false) || v->n >= 500;
}

/* The messages of the case that the actor may read, as summaries. */
static json_t *thread_json(struct att_node *node, const struct access *a, int64_t case_id,
			   struct att_err *err)
{
	struct msg_vec v = {NULL, 0, 0};
	json_t *arr = json_array();

	if (att_store_msg_each_in_case(node->store, case_id, thread_row, &v, err)) {
		msg_vec_release(&v);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < v.n; i++) {
		struct att_msg_row full;
		bool yes = false;
		json_t *o;

		if (att_x_may_read(node, a, &v.rows[i], &yes, err) || !yes)
			continue;
		if (att_store_msg_get(node->store, v.rows[i].id, &full, err))
			continue;
		o = summary_json(node, &full, a->m.unit, err);
		free((void *)full.content);
		if (o)
			json_array_append_new(arr, o);
	}
	msg_vec_release(&v);
	return arr;
}

static json_t *message_json(struct att_node *node, const struct access *a,
			    const struct att_msg_row *m, struct att_err *err)
{
	struct list_ctx lc = {node, NULL, err, ATT_OK, m->id};
	char ad[48], eval[3] = {m->source[0], (char)('0' + m->information), 0};
	json_t *content, *o, *ents, *atts, *to, *thread;
	struct att_recip_row r;
	bool mine;

	att_x_ad(ad, sizeof(ad), "message", m->id);
	content = att_x_open_json(node, m->content, m->content_len, ad, err);
	if (!content)
		return NULL;
	lc.arr = ents = json_array();
	if (att_store_entity_each_of(node->store, m->id, entity_row, &lc, err) || lc.rc) {
		json_decref(content);
		json_decref(ents);
		return NULL;
	}
	lc.arr = atts = json_array();
	if (att_store_attach_each(node->store, m->id, attach_row, &lc, err) || lc.rc) {
		json_decref(content);
		json_decref(ents);
		json_decref(atts);
		return NULL;
	}
	to = recipients_json(node, m->id, err);
	thread = thread_json(node, a, m->case_id, err);
	mine = a->m.unit[0] && att_store_recip_get(node->store, m->id, a->m.unit, &r, NULL) == ATT_OK;
	o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:I,s:s,s:s,s:o,s:b,s:o,s:s,s:o,"
		      "s:O,s:O,s:O,s:O,s:o,s:o,s:o,s:o}",
		      "id", (json_int_t)m->id, "case", (json_int_t)m->case_id, "type", m->type,
		      "sender", m->sender, "sender_unit", m->sender_unit, "field", m->field,
		      "handling", m->handling, "handling_text",
		      json_object_get(content, "handling_text")
			      ? json_object_get(content, "handling_text")
			      : json_null(),
		      "source", m->source, "information", (json_int_t)m->information,
		      "evaluation", eval, "priority", m->priority, "deadline",
		      att_x_time(m->deadline), "overdue",
		      overdue_for(node, m, mine ? r.state : NULL, att_now()), "in_reply_to",
		      m->in_reply_to ? json_integer(m->in_reply_to) : json_null(), "status",
		      m->status, "created", att_x_time(m->created), "purpose",
		      json_object_get(content, "purpose"), "subject",
		      json_object_get(content, "subject"), "body", json_object_get(content, "body"),
		      "legal_basis",
		      json_object_get(content, "legal_basis") ? json_object_get(content, "legal_basis")
							      : json_null(),
		      "entities", ents, "attachments", atts, "to", to ? to : json_array(),
		      "thread", thread ? thread : json_array());
	if (o && json_object_get(content, "preservation")) {
		json_t *p = json_deep_copy(json_object_get(content, "preservation"));

		json_object_set_new(p, "until", att_x_time(m->preserve_until));
		json_object_set_new(o, "preservation", p);
	}
	if (o && strcmp(m->status, "delivered")) {
		char state[16] = "";
		unsigned char *sr = NULL;
		size_t srlen = 0;

		if (att_store_review_get(node->store, m->id, state, &sr, &srlen, NULL) == ATT_OK) {
			char rad[48];
			json_t *reasons;

			att_x_ad(rad, sizeof(rad), "review", m->id);
			reasons = att_x_open_json(node, sr, srlen, rad, err);
			json_object_set_new(o, "review",
					    json_pack("{s:s,s:o}", "state", state, "reasons",
						      reasons ? reasons : json_array()));
			free(sr);
		}
	}
	json_decref(content);
	return o;
}

enum att_rc att_msg_show(struct att_node *node, const char *actor_id, int64_t id,
			 void **out_json, struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	json_t *o = NULL;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_READ, &a, err);
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = load_readable(node, &a, id, "message.read", &m, err);
	if (rc == ATT_EDENIED)
		return rc; /* audited and committed */
	/* read by the unit first, so that what it is shown says so */
	if (!rc && a.m.unit[0]) {
		struct att_recip_row r;

		if (att_store_recip_get(node->store, id, a.m.unit, &r, NULL) == ATT_OK &&
		    !strcmp(r.state, "delivered"))
			rc = att_store_recip_set(node->store, id, a.m.unit, "read", att_now(), err);
	}
	if (!rc) {
		o = message_json(node, &a, &m, err);
		if (!o)
			rc = err && err->rc ? err->rc : ATT_ENOMEM;
	}
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "message.read", obj, NULL, err);
	}
	free((void *)m.content);
	return att_node_done_json(node, rc, o, out_json, err);
}

/* --- ack, forward, permit, export ------------------------------------------------ */

enum att_rc att_msg_ack(struct att_node *node, const char *actor_id, int64_t id,
			struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	struct att_recip_row r;
	enum att_rc rc;

	rc = att_x_access(node, actor_id, ATT_ACT_MSG_ACK, &a, err);
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = load_readable(node, &a, id, "message.ack", &m, err);
	if (rc == ATT_EDENIED)
		return rc;
	free((void *)m.content);
	if (!rc) {
		rc = att_store_recip_get(node->store, id, a.m.unit, &r, err);
		if (rc == ATT_ENOTFOUND)
			rc = att_fail(err, ATT_ECONFLICT,
				      "%s is not a recipient of message %lld; only a recipient "
				      "acknowledges",
				      a.m.unit, (long long)id);
	}
	if (!rc && (!strcmp(r.state, "acknowledged") || !strcmp(r.state, "answered")))
		rc = att_fail(err, ATT_ECONFLICT, "message %lld is already %s by %s",
			      (long long)id, r.state, a.m.unit);
	if (!rc)
		rc = att_store_recip_set(node->store, id, a.m.unit, "acknowledged", att_now(), err);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "message.ack", obj,
				    json_pack("{s:s}", "unit", a.m.unit), err);
	}
	return att_node_done(node, rc, err);
}

enum att_rc att_msg_forward(struct att_node *node, const char *actor_id, int64_t id,
			    const char *unit, struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	bool permitted = false, provider;
	enum att_rc rc;

	rc = att_x_access(node, actor_id, ATT_ACT_MSG_FORWARD, &a, err);
	if (!rc && !parse_unit_ok(unit))
		rc = att_fail(err, ATT_EINVAL, "the unit to forward to is missing or malformed");
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = load_readable(node, &a, id, "message.forward", &m, err);
	if (rc == ATT_EDENIED)
		return rc;
	free((void *)m.content);
	if (!rc && strcmp(m.status, "delivered"))
		rc = att_fail(err, ATT_ECONFLICT, "message %lld is %s and cannot be passed on",
			      (long long)id, m.status);
	if (!rc)
		rc = att_policy_addressable(node, unit, m.field, err);
	provider = !strcmp(m.sender_unit, a.m.unit) || !strcmp(m.sender, a.actor.id);
	if (!rc)
		rc = att_store_permit_has(node->store, id, unit, &permitted, err);
	if (!rc)
		rc = att_policy_may_forward(m.handling, provider, permitted, id, unit, err);
	if (!rc) {
		struct att_recip_row r;

		memset(&r, 0, sizeof(r));
		r.msg_id = id;
		snprintf(r.unit, sizeof(r.unit), "%s", unit);
		snprintf(r.state, sizeof(r.state), "delivered");
		r.updated = att_now();
		snprintf(r.via, sizeof(r.via), "%s", a.actor.id);
		rc = att_store_recip_insert(node->store, &r, err);
		if (rc == ATT_EEXIST) {
			att_err_clear(err);
			rc = att_fail(err, ATT_ECONFLICT, "message %lld already reached %s",
				      (long long)id, unit);
		}
	}
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "message.forward", obj,
				    json_pack("{s:s,s:s,s:b}", "to", unit, "handling", m.handling,
					      "permitted", permitted),
				    err);
	}
	return att_node_done(node, rc, err);
}

enum att_rc att_msg_permit(struct att_node *node, const char *actor_id, int64_t id,
			   const char *target, struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	enum att_rc rc;

	rc = att_x_access(node, actor_id, ATT_ACT_MSG_PERMIT, &a, err);
	if (!rc && !parse_unit_ok(target))
		rc = att_fail(err, ATT_EINVAL, "the permitted unit is missing or malformed");
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_msg_get(node->store, id, &m, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such message %lld", (long long)id);
	if (!rc) {
		free((void *)m.content);
		if (strcmp(m.sender_unit, a.m.unit) && strcmp(m.sender, a.actor.id))
			rc = att_fail(err, ATT_EDENIED,
				      "denied: only the provider of message %lld (%s) can give "
				      "permission",
				      (long long)id, m.sender_unit);
	}
	if (!rc && strcmp(target, "judicial"))
		rc = att_policy_addressable(node, target, m.field, err);
	if (!rc)
		rc = att_store_permit_insert(node->store, id, target, a.actor.id, att_now(), err);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "message.permit", obj,
				    json_pack("{s:s,s:s}", "to", target, "handling", m.handling),
				    err);
	}
	return att_node_done(node, rc, err);
}

enum att_rc att_msg_export(struct att_node *node, const char *actor_id, int64_t id,
			   void **out_json, struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	bool permitted = false, provider;
	json_t *o = NULL;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_EXPORT, &a, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = load_readable(node, &a, id, "message.export", &m, err);
	if (rc == ATT_EDENIED)
		return rc;
	provider = !rc && (!strcmp(m.sender_unit, a.m.unit) || !strcmp(m.sender, a.actor.id));
	if (!rc)
		rc = att_store_permit_has(node->store, id, "judicial", &permitted, err);
	if (!rc)
		rc = att_policy_may_export(m.handling, provider, permitted, id, err);
	if (!rc) {
		o = message_json(node, &a, &m, err);
		if (!o)
			rc = ATT_ENOMEM;
		/* the message alone: its case's other messages are the
		 * reader's working view, not what the provider let go to
		 * court (an H1 one's subject among them) */
		if (o)
			json_object_del(o, "thread");
		if (o)
			json_object_set_new(o, "export",
					    json_pack("{s:s,s:s,s:o}", "purpose", "judicial",
						      "by", a.actor.id, "at", att_x_time(att_now())));
	}
	free((void *)m.content);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "message.export", obj,
				    json_pack("{s:s,s:s}", "purpose", "judicial", "handling",
					      m.handling),
				    err);
	}
	return att_node_done_json(node, rc, o, out_json, err);
}

/* --- overdue ------------------------------------------------------------------- */

/* A preservation order is listed from 14 days before it ends to 14 after. */
#define PRESERVE_WARN (14 * 86400)

static int overdue_row(const struct att_msg_row *m, void *arg)
{
	struct msg_vec *v = arg;

	return !msg_vec_push(v, m, false) || v->n >= 10000;
}

/* How the actor stands to message m in the overdue list: a member of a
 * recipient unit (a representative only within their appointment's
 * fields; *state its unit's state), of the sender's side, or the head or
 * the overseer, who see every entry for escalation and oversight (the
 * list shows no content). */
struct overdue_party {
	bool recipient, sender, oversight;
	char state[16];
};

static struct overdue_party overdue_party(struct att_node *node, const struct access *a,
					  const struct att_msg_row *m)
{
	struct overdue_party p = {false, false, false, ""};
	struct att_recip_row r;

	if (a->m.unit[0] && att_store_recip_get(node->store, m->id, a->m.unit, &r, NULL) == ATT_OK &&
	    (a->actor.role != ATT_ROLE_REP || (a->m.fields & att_field_bit(m->field)))) {
		p.recipient = true;
		snprintf(p.state, sizeof(p.state), "%s", r.state);
	}
	p.sender = !strcmp(m->sender, a->actor.id) ||
		   (a->m.unit[0] && !strcmp(m->sender_unit, a->m.unit));
	p.oversight = a->actor.role == ATT_ROLE_HEAD || a->actor.role == ATT_ROLE_OVERSEER;
	return p;
}

/* An entry of the overdue list: what every entry shows of its message. */
static json_t *overdue_entry(const struct att_msg_row *m)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)m->id, "case",
			 (json_int_t)m->case_id, "type", m->type, "priority", m->priority,
			 "sender_unit", m->sender_unit, "field", m->field);
}

enum att_rc att_overdue(struct att_node *node, const char *actor_id, void **out_json,
			struct att_err *err)
{
	struct access a;
	struct msg_vec v = {NULL, 0, 0};
	json_t *arr;
	int64_t now = att_now();
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_OVERDUE_READ, &a, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	arr = json_array();
	rc = att_store_msg_each_overdue(node->store, now, overdue_row, &v, err);
	for (size_t i = 0; !rc && i < v.n; i++) {
		const struct att_msg_row *m = &v.rows[i];
		struct overdue_party p = overdue_party(node, &a, m);
		bool to_answer = p.recipient && strcmp(p.state, "answered");
		int64_t period = !strcmp(m->priority, "immediate") ? ATT_DEADLINE_IMMEDIATE
				 : !strcmp(m->priority, "urgent")  ? ATT_DEADLINE_URGENT
								   : ATT_DEADLINE_ROUTINE;
		int64_t late = now - m->deadline;
		json_t *o;

		if (!to_answer && !p.sender && !p.oversight)
			continue;
		o = overdue_entry(m);
		json_object_set_new(o, "deadline", att_x_time(m->deadline));
		json_object_set_new(o, "hours_late", json_integer(late / 3600));
		json_object_set_new(o, "escalated", json_boolean(late > period));
		json_object_set_new(o, "role", json_string(to_answer  ? "to-answer"
							   : p.sender ? "awaiting-answer"
								      : "oversight"));
		json_array_append_new(arr, o);
	}
	msg_vec_release(&v);
	/* preservation orders that end within PRESERVE_WARN (or ended within
	 * as long): the requesting side must send its request for mutual
	 * assistance, or ask for more time, before the data may be deleted */
	if (!rc)
		rc = att_store_msg_each_preserve_ending(node->store, now - PRESERVE_WARN,
							now + PRESERVE_WARN, overdue_row, &v, err);
	for (size_t i = 0; !rc && i < v.n; i++) {
		const struct att_msg_row *m = &v.rows[i];
		struct overdue_party p = overdue_party(node, &a, m);
		int64_t left = m->preserve_until - now;
		json_t *o;

		if (!p.recipient && !p.sender && !p.oversight)
			continue;
		o = overdue_entry(m);
		json_object_set_new(o, "preserve_until", att_x_time(m->preserve_until));
		json_object_set_new(o, "days_left", json_integer(left >= 0 ? left / 86400
									: -((-left + 86399) / 86400)));
		json_object_set_new(o, "role",
				    json_string(left < 0	? "preservation-ended"
						: p.sender	? "preservation-ending"
						: p.recipient ? "preservation-to-keep"
								: "preservation-oversight"));
		json_array_append_new(arr, o);
	}
	msg_vec_release(&v);
	return att_node_list_done(node, &a.actor, "overdue.read", "overdue", rc, arr, out_json,
				  err);
}

/* --- case thread, grants ----------------------------------------------------------- */

enum att_rc att_case_show(struct att_node *node, const char *actor_id, int64_t id,
			  void **out_json, struct att_err *err)
{
	struct access a;
	struct att_case_row c;
	bool yes = false;
	json_t *o = NULL;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_CASE_READ, &a, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = att_x_case_get(node, id, &c, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such case %lld", (long long)id);
	if (!rc)
		rc = att_x_may_use_case(node, &a, &c, &yes, err);
	if (!rc && !yes) {
		char obj[48];
		struct att_err ignored = {0};

		snprintf(obj, sizeof(obj), "case/%lld", (long long)id);
		if (!att_audit_json(node, &a.actor, "access.denied", obj,
				    json_pack("{s:s}", "action", "case.read"), &ignored)) {
			if (att_node_commit(node, &ignored))
				att_err_clear(&ignored); /* the refusal stands either way */
		} else {
			att_node_rollback(node);
		}
		return att_fail(err, ATT_EDENIED, "denied: %s is not a party to case %lld",
				a.actor.id, (long long)id);
	}
	if (!rc) {
		o = att_x_case_json(&c);
		json_object_set_new(o, "messages", thread_json(node, &a, id, err));
	}
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "case/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "case.read", obj, NULL, err);
	}
	return att_node_done_json(node, rc, o, out_json, err);
}

/* A grant shows the case's title and purpose: when the checks every
 * message of the case goes through find something in them (its messages
 * are held for that), the case is not passed on. */
static enum att_rc case_passes_on(struct att_node *node, const struct att_case_row *c,
				  struct att_err *err)
{
	json_t *reasons = json_array();
	enum att_rc rc = reasons ? att_holdings_sync(node, err)
				 : att_fail(err, ATT_ENOMEM, "out of memory");

	/* read as at sending: the same texts, the same checks */
	if (!rc) {
		struct att_x_texts t;

		memset(&t, 0, sizeof(t));
		t.case_title = c->title;
		t.case_purpose = c->purpose;
		rc = att_x_protected_texts(node, &t, reasons, err);
	}
	if (!rc)
		rc = att_x_case_neutrality(node, c, reasons, err);
	if (!rc && json_array_size(reasons))
		rc = att_fail(err, ATT_EDENIED,
			      "denied: the title or purpose of case %lld holds its messages for "
			      "review (a protected person or the neutrality screen); it is not "
			      "passed on by a grant",
			      (long long)c->id);
	json_decref(reasons);
	return rc;
}

enum att_rc att_case_grant(struct att_node *node, const char *actor_id, int64_t id,
			   const char *grantee, struct att_err *err)
{
	struct access a;
	struct att_case_row c;
	enum att_rc rc;

	rc = att_x_access(node, actor_id, ATT_ACT_CASE_GRANT, &a, err);
	if (!rc && !parse_unit_ok(grantee))
		rc = att_fail(err, ATT_EINVAL, "the grantee is missing or malformed");
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_x_case_get(node, id, &c, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such case %lld", (long long)id);
	if (!rc && strcmp(c.owner_unit, a.m.unit))
		rc = att_fail(err, ATT_EDENIED, "denied: only the owner unit of case %lld (%s) grants "
						"access",
			      (long long)id, c.owner_unit);
	if (!rc && strchr(grantee, '/'))
		rc = att_policy_addressable(node, grantee, c.field, err);
	if (!rc && !strchr(grantee, '/')) {
		struct att_user_row u;

		rc = att_store_user_get(node->store, grantee, &u, err);
		if (rc == ATT_ENOTFOUND)
			rc = att_fail(err, ATT_EINVAL, "no such user '%s'", grantee);
	}
	if (!rc)
		rc = case_passes_on(node, &c, err);
	if (!rc)
		rc = att_store_case_grant(node->store, id, grantee, a.actor.id, att_now(), err);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "case/%lld", (long long)id);
		rc = att_audit_json(node, &a.actor, "case.grant", obj,
				    json_pack("{s:s}", "to", grantee), err);
	}
	return att_node_done(node, rc, err);
}

/* --- attachments --------------------------------------------------------------- */

static enum att_rc check_file_name(const char *name, const char *mime, struct att_err *err)
{
	enum att_rc rc = att_check_text(err, "attachment name", name, 200, false, false);

	if (rc)
		return rc;
	if (strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".") || !strcmp(name, ".."))
		return att_fail(err, ATT_EINVAL, "an attachment name is a plain file name, no path");
	rc = att_check_text(err, "media type", mime, 100, false, false);
	if (!rc) {
		/* type/subtype of RFC 6838's restricted names, nothing else */
		size_t slashes = 0;
		bool ok = *mime != '/';

		for (const char *p = mime; ok && *p; p++) {
			slashes += *p == '/';
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || (*p && strchr("!#$&^_.+-/", *p));
		}
		if (!ok || slashes != 1 || mime[strlen(mime) - 1] == '/')
			rc = att_fail(err, ATT_EINVAL, "media type '%.60s' is not type/subtype",
				      att_utf8_valid(mime, strlen(mime)) ? mime : "?");
	}
	return rc;
}

/* An attachment's name, and its content when it is text, go through the
 * checks a message's text goes through (the protected-persons register,
 * the neutrality screen); what they find holds the message, delivered
 * or released before as much as one still held: a file added after a
 * release is not a way round the review. The media type is read too. Text
 * is UTF-8 (NUL bytes read as spaces), at most ATTACH_TEXT_MAX of it (more
 * holds the message unread); a binary file (a PDF, a scan, another
 * encoding) is not read. */
#define ATTACH_TEXT_MAX (1024u * 1024u)

/* Valid UTF-8 once NUL bytes are taken as spaces. */
static bool utf8_valid_nul(const void *data, size_t len)
{
	const char *p = data, *end = p + len;

	while (p < end) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		if (!att_utf8_valid(p, n))
			return false;
		p += n + (z != NULL);
	}
	return true;
}

static enum att_rc screen_attachment(struct att_node *node, const struct att_actor *actor,
				     int64_t msg_id, const char *name, const char *mime,
				     const void *data, size_t len, struct att_err *err)
{
	json_t *reasons = json_array();
	char *text = NULL;
	enum att_rc rc = reasons ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");

	if (!rc)
		rc = att_policy_screen_text(node, name, "attachment.name", reasons, err);
	if (!rc && mime)
		rc = att_policy_screen_text(node, mime, "attachment.mime", reasons, err);
	/* text: UTF-8 (NUL bytes read as spaces); more than ATTACH_TEXT_MAX
	 * of it is held unread, as a field too costly to read is */
	if (!rc && utf8_valid_nul(data, len)) {
		if (len > ATTACH_TEXT_MAX) {
			if (json_array_append_new(reasons,
						  json_pack("{s:s,s:s,s:I}", "kind",
							    "protected-unchecked", "where",
							    "attachment", "bytes", (json_int_t)len)))
				rc = att_fail(err, ATT_ENOMEM, "out of memory");
		} else {
			text = malloc(len + 1);
			if (!text)
				rc = att_fail(err, ATT_ENOMEM, "out of memory");
		}
		if (text) {
			for (size_t i = 0; i < len; i++)
				text[i] = ((const char *)data)[i] ? ((const char *)data)[i] : ' ';
			text[len] = '\0';
			rc = att_policy_screen_text(node, text, "attachment", reasons, err);
			sodium_memzero(text, len);
			free(text);
		}
	}
	if (!rc && json_array_size(reasons))
		rc = att_x_hold_again(node, actor, msg_id, reasons, err);
	json_decref(reasons);
	return rc;
}

enum att_rc att_msg_attach(struct att_node *node, const char *actor_id, int64_t msg_id,
			   const char *name, const char *mime, const void *data, size_t len,
			   int64_t *id, struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	unsigned char *sealed = NULL;
	size_t slen = 0;
	char ad[48];
	enum att_rc rc;

	*id = 0;
	if (len > ATT_ATTACH_MAX)
		return att_fail(err, ATT_ELIMIT, "the attachment is too large (%zu bytes, at most %u)",
				len, ATT_ATTACH_MAX);
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_SEND, &a, err);
	if (!rc)
		rc = check_file_name(name, mime ? mime : "application/octet-stream", err);
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	/* the register as it is now, for the file's screening */
	rc = att_holdings_sync(node, err);
	if (!rc)
		rc = att_store_msg_get(node->store, msg_id, &m, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such message %lld", (long long)msg_id);
	if (!rc) {
		free((void *)m.content);
		if (strcmp(m.sender, a.actor.id))
			rc = att_fail(err, ATT_EDENIED,
				      "denied: only the sender of message %lld attaches files to it",
				      (long long)msg_id);
		else if (!strcmp(m.status, "rejected"))
			rc = att_fail(err, ATT_ECONFLICT, "message %lld was rejected",
				      (long long)msg_id);
	}
	att_x_ad(ad, sizeof(ad), "attachment", msg_id);
	if (!rc)
		rc = att_keys_seal(node->keys, data, len, ad, &sealed, &slen, err);
	if (!rc) {
		char *sn = seal_meta(node, msg_id, "attachment-name", NAME_SEALED, name, err);
		char *sm = sn ? seal_meta(node, msg_id, "attachment-mime", MIME_SEALED,
					  mime ? mime : "application/octet-stream", err)
			      : NULL;

		rc = sn && sm ? att_store_attach_insert(node->store, msg_id, sn, sm, (int64_t)len,
							sealed, slen, id, err)
			      : ATT_ENOMEM;
		free(sn);
		free(sm);
	}
	free(sealed);
	if (!rc)
		rc = screen_attachment(node, &a.actor, msg_id, name, mime, data, len, err);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)msg_id);
		rc = att_audit_json(node, &a.actor, "message.attach", obj,
				    json_pack("{s:I,s:I}", "attachment", (json_int_t)*id, "size",
					      (json_int_t)len),
				    err);
	}
	rc = att_node_done(node, rc, err);
	if (rc)
		*id = 0;
	return rc;
}

enum att_rc att_msg_attachment(struct att_node *node, const char *actor_id, int64_t msg_id,
			       int64_t att_id, char *name, char *mime, void **data, size_t *len,
			       struct att_err *err)
{
	struct access a;
	struct att_msg_row m = {0};
	unsigned char *sealed = NULL, *pt = NULL;
	size_t slen = 0;
	char ad[48];
	enum att_rc rc;

	*data = NULL;
	*len = 0;
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_READ, &a, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = load_readable(node, &a, msg_id, "attachment.read", &m, err);
	if (rc == ATT_EDENIED)
		return rc;
	if (!rc)
		free((void *)m.content);
	if (!rc) {
		char stored[ATT_ATTACH_NAME_STORED], stored_mime[ATT_ATTACH_NAME_STORED];

		rc = att_store_attach_get(node->store, msg_id, att_id, stored, stored_mime, &sealed,
					  &slen, err);
		if (rc == ATT_ENOTFOUND)
			rc = att_fail(err, ATT_ENOTFOUND, "message %lld has no attachment %lld",
				      (long long)msg_id, (long long)att_id);
		if (!rc && (!open_meta(node, msg_id, "attachment-name", NAME_SEALED, stored, name,
				       256) ||
			    !open_meta(node, msg_id, "attachment-mime", MIME_SEALED, stored_mime,
				       mime, 128)))
			rc = att_fail(err, ATT_ETAMPER, "the name of attachment %lld is damaged",
				      (long long)att_id);
	}
	att_x_ad(ad, sizeof(ad), "attachment", msg_id);
	if (!rc)
		rc = att_keys_open(node->keys, sealed, slen, ad, &pt, len, err);
	free(sealed);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)msg_id);
		rc = att_audit_json(node, &a.actor, "attachment.read", obj,
				    json_pack("{s:I}", "attachment", (json_int_t)att_id), err);
	}
	rc = att_node_done(node, rc, err);
	if (rc) {
		free(pt);
		*len = 0;
		return rc;
	}
	*data = pt;
	return ATT_OK;
}
