/* Oversight: the register of protected persons, the review queue of held
 * messages with the overseer's release or rejection, and the neutrality
 * terms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/match.h"
#include "exchange_int.h"
#include "holdings.h"
#include "policy.h"
#include "store_core.h"
#include "store_exchange.h"
#include "util.h"
#include "banned.h"

static const char *const categories[] = {"refugee", "asylum-holder", "journalist",
					 "human-rights-defender", "political-emigrant",
					 "emigrant", "other"};

void att_protect_result_release(struct att_protect_result *res)
{
	if (!res)
		return;
	free(res->held);
	free(res->flagged);
	memset(res, 0, sizeof(*res));
}

static json_t *ids_json(const int64_t *ids, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(ids[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

void *att_protect_result_json(int64_t id, const struct att_protect_result *res)
{
	return json_pack("{s:I,s:o,s:o}", "id", (json_int_t)id, "held",
			 ids_json(res->held, res->nheld), "flagged",
			 ids_json(res->flagged, res->nflagged));
}

static enum att_rc push_id(int64_t **ids, size_t *n, int64_t id, struct att_err *err)
{
	int64_t *g = realloc(*ids, (*n + 1) * sizeof(**ids));

	if (!g)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	g[(*n)++] = id;
	*ids = g;
	return ATT_OK;
}

/* The position of entity ent among its message's entities (a send's
 * reasons count from 1). */
struct ent_pos {
	int64_t ent;
	size_t i;
	bool found;
};

static int ent_pos_row(const struct att_entity_row *e, void *arg)
{
	struct ent_pos *p = arg;

	if (e->id == p->ent) {
		p->found = true;
		return 1;
	}
	p->i++;
	return 0;
}

/* Whether entity ent is a name (a person's or an organization's) that the
 * check at sending finds on the register as entry reg: the same rule, after
 * the fact. Appends the reason
 * to reasons and sets *msg to its message when it is. */
static enum att_rc confirm_entity(struct att_node *node, int64_t ent, int64_t reg,
				  json_t *reasons, int64_t *msg, struct att_err *err)
{
	struct att_entity_row e;
	struct ent_pos pos = {ent, 0, false};
	json_t *v, *found = json_array(), *r;
	char ad[48];
	size_t i;
	enum att_rc rc = found ? att_store_entity_get(node->store, ent, &e, err)
			       : att_fail(err, ATT_ENOMEM, "out of memory");

	*msg = 0;
	if (rc == ATT_ENOTFOUND) {
		att_err_clear(err);
		json_decref(found);
		return ATT_OK;
	}
	if (rc) {
		json_decref(found);
		return rc;
	}
	if (strcmp(e.type, "person") && strcmp(e.type, "organization")) {
		free((void *)e.value);
		json_decref(found);
		return ATT_OK;
	}
	att_x_ad(ad, sizeof(ad), "entity", e.msg_id);
	v = att_x_open_json(node, e.value, e.value_len, ad, err);
	free((void *)e.value);
	if (!v) {
		json_decref(found);
		return ATT_ECRYPTO;
	}
	rc = att_store_entity_each_of(node->store, e.msg_id, ent_pos_row, &pos, err);
	if (!rc && pos.found && att_x_jstr(v, "name"))
		rc = att_policy_protected(node, att_x_jstr(v, "name"), NULL, att_x_jstr(v, "dob"),
					  pos.i + 1, found, err);
	json_decref(v);
	json_array_foreach(found, i, r) {
		if (rc || json_integer_value(json_object_get(r, "register")) != reg)
			continue;
		if (json_array_append(reasons, r))
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
		*msg = e.msg_id;
	}
	json_decref(found);
	return rc;
}

/* Whether reason r says nothing known does not: one of the same kind
 * naming the same register entry (a rescan's unchecked and unreadable
 * reasons name the entries it looked for: a place that could not be read
 * for one person is reported again for the next), or, without an entry
 * (at sending), for the same place. */
static bool reason_known(const json_t *known, const json_t *r)
{
	const char *kind = att_x_jstr(r, "kind"), *where = att_x_jstr(r, "where");
	const json_t *reg = json_object_get(r, "register"), *k;
	size_t i;

	json_array_foreach(known, i, k) {
		const char *kk = att_x_jstr(k, "kind"), *kw = att_x_jstr(k, "where");

		if (!kind || !kk || strcmp(kind, kk))
			continue;
		if (reg ? json_integer_value(json_object_get(k, "register")) ==
				  json_integer_value(reg)
			: (!where && !kw) || (where && kw && !strcmp(where, kw)))
			return true;
	}
	return false;
}

/* Holds message msg again for reasons (those its review does not have
 * already: a message the overseer released after a hold for this entry is
 * not held for it again, nor is a held one's reason for it added twice;
 * an unchecked place is reported once): a delivered one leaves
 * its recipients (each keeps its state for the release) and matching; a
 * held one still in the queue gets the reasons added. Others are left. */
static enum att_rc hold_again(struct att_node *node, const struct att_actor *actor,
			      int64_t msg, int64_t reg, json_t *reasons,
			      struct att_protect_result *res, json_t *added, bool unseen,
			      struct att_err *err)
{
	struct att_msg_row m = {0};
	unsigned char *sealed = NULL, *sr = NULL;
	size_t len = 0, srlen = 0, i;
	char ad[48], state[16] = "", obj[48];
	bool delivered, reviewed;
	json_t *known = NULL, *fresh = NULL, *r;
	enum att_rc rc = att_store_msg_get(node->store, msg, &m, err);

	if (rc)
		return rc;
	free((void *)m.content);
	delivered = !strcmp(m.status, "delivered");
	if (!delivered && strcmp(m.status, "held"))
		return ATT_OK;
	att_x_ad(ad, sizeof(ad), "review", msg);
	rc = att_store_review_get(node->store, msg, state, &sr, &srlen, err);
	reviewed = rc == ATT_OK;
	if (rc == ATT_ENOTFOUND) {
		att_err_clear(err);
		rc = ATT_OK;
	}
	if (!rc && reviewed && !(known = att_x_open_json(node, sr, srlen, ad, err))) {
		/* a damaged review knows nothing: the reasons found now make
		 * the message's review (a held one's lost reasons with it) */
		att_err_clear(err);
		known = json_array();
		if (!known)
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
	}
	free(sr);
	/* a held message is in the queue (pending) or left alone */
	if (!rc && !delivered && (!reviewed || strcmp(state, "pending")))
		goto out;
	if (!rc && !(fresh = json_array()))
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	json_array_foreach(reasons, i, r) {
		if (rc)
			break;
		/* (what was added since, unseen, the overseer has not read) */
		if (!unseen && reason_known(known, r))
			continue;
		if (delivered)
			json_object_set_new(r, "after_delivery", json_true());
		if (json_array_append(fresh, r))
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
	}
	if (rc || !json_array_size(fresh))
		goto out;
	/* a delivered message's review is new (a decision before stays in the
	 * audit log); a held one's gets the reasons added */
	if (!delivered && json_array_extend(known, fresh))
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	if (!rc)
		rc = att_x_seal_json(node, delivered ? fresh : known, ad, &sealed, &len, err);
	if (!rc)
		rc = att_store_review_hold(node->store, msg, sealed, len, err);
	free(sealed);
	if (!rc && delivered)
		rc = att_store_msg_set_status(node->store, msg, "held", err);
	if (!rc && delivered)
		rc = att_store_recip_hold_all(node->store, msg, att_now(), err);
	if (!rc && delivered)
		rc = att_store_release_add(node->store, msg, true, err);
	/* one audit entry for each register entry the new reasons name (in
	 * their order), so that each entry's holds are its own */
	snprintf(obj, sizeof(obj), "message/%lld", (long long)msg);
	json_array_foreach(fresh, i, r) {
		json_int_t rr = json_integer_value(json_object_get(r, "register"));
		bool seen = false;

		if (rc)
			break;
		for (size_t k = 0; k < i; k++)
			seen = seen || json_integer_value(json_object_get(
					       json_array_get(fresh, k), "register")) == rr;
		if (!seen)
			rc = att_audit_json(node, actor, delivered ? "review.hold" : "review.reason",
					    obj,
					    json_pack("{s:s,s:I}", "reason", att_x_jstr(r, "kind"),
						      "register", (json_int_t)(rr ? rr : reg)),
					    err);
	}
	if (!rc)
		rc = delivered ? push_id(&res->held, &res->nheld, msg, err)
			       : push_id(&res->flagged, &res->nflagged, msg, err);
	if (!rc && added && json_array_extend(added, fresh))
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
out:
	json_decref(known);
	json_decref(fresh);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ids of the entities of messages held for review, which are not in the
 * index (a held message is not matched). */
struct held_ents {
	struct att_node *node;
	int64_t *ids;
	size_t n;
	enum att_rc rc;
	struct att_err *err;
};

static int held_ent_row(const struct att_entity_row *e, void *arg)
{
	struct held_ents *h = arg;

	if (strcmp(e->type, "person") && strcmp(e->type, "organization"))
		return 0;
	h->rc = push_id(&h->ids, &h->n, e->id, h->err);
	return h->rc != ATT_OK;
}

static int held_msg_row(const struct att_msg_row *m, void *arg)
{
	struct held_ents *h = arg;

	/* the statement of this walk is busy: the message ids first */
	h->rc = push_id(&h->ids, &h->n, m->id, h->err);
	return h->rc != ATT_OK;
}

static enum att_rc held_entities(struct att_node *node, int64_t **ids, size_t *n,
				 struct att_err *err)
{
	struct held_ents h = {node, NULL, 0, ATT_OK, err};
	int64_t *msgs;
	size_t nm;
	enum att_rc rc = att_store_msg_each_status(node->store, "held", held_msg_row, &h, err);

	if (!rc)
		rc = h.rc;
	msgs = h.ids;
	nm = h.n;
	h.ids = *ids;
	h.n = *n;
	for (size_t i = 0; !rc && i < nm; i++) {
		rc = att_store_entity_each_of(node->store, msgs[i], held_ent_row, &h, err);
		if (!rc)
			rc = h.rc;
	}
	free(msgs);
	*ids = h.ids;
	*n = h.n;
	return rc;
}

/* Looks for the person newly on the register (entry reg) in what is already
 * sent and holds each message that names them, as if it were sent now: the
 * delivered ones the index finds, and those held for review. */
static enum att_rc rescreen(struct att_node *node, const struct att_actor *actor, int64_t reg,
			    const struct att_protect_spec *spec, struct att_protect_result *res,
			    struct att_err *err)
{
	int64_t *ents = NULL, cur = 0;
	size_t n = 0;
	json_t *reasons = json_array();
	enum att_rc rc = reasons ? att_policy_protected_holdings(node, spec->name,
								  spec->dob && *spec->dob ? spec->dob
											  : NULL,
								  &ents, &n, err)
				 : att_fail(err, ATT_ENOMEM, "out of memory");

	if (!rc)
		rc = held_entities(node, &ents, &n, err);
	/* entity ids grow with message ids: in order, a message's are together */
	if (n)
		qsort(ents, n, sizeof(*ents), cmp_i64);
	for (size_t i = 0; !rc && i <= n; i++) {
		int64_t msg = 0;
		json_t *one = i < n ? json_array() : NULL;

		if (i < n && !one) {
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
			break;
		}
		if (i < n && (i == 0 || ents[i] != ents[i - 1]))
			rc = confirm_entity(node, ents[i], reg, one, &msg, err);
		if (!rc && cur && (i == n || (msg && msg != cur))) {
			rc = hold_again(node, actor, cur, reg, reasons, res, NULL, false, err);
			json_array_clear(reasons);
			cur = 0;
		}
		if (!rc && msg) {
			cur = msg;
			if (json_array_extend(reasons, one))
				rc = att_fail(err, ATT_ENOMEM, "out of memory");
		}
		json_decref(one);
	}
	json_decref(reasons);
	free(ents);
	return rc;
}

enum att_rc att_protect_add(struct att_node *node, const char *actor_id,
			    const struct att_protect_spec *spec, int64_t *id,
			    struct att_protect_result *res, struct att_err *err)
{
	struct att_protect_result mine;
	struct att_actor actor;
	struct att_name norm;
	unsigned char *sealed = NULL;
	size_t len = 0;
	uint32_t dob;
	json_t *v;
	bool known = false;
	int64_t upto = 0;
	enum att_rc rc;

	*id = 0;
	memset(&mine, 0, sizeof(mine));
	if (res)
		memset(res, 0, sizeof(*res));
	rc = att_actor_authz(node, actor_id, ATT_ACT_PROTECT_ADD, &actor, err);
	if (!rc)
		rc = att_check_text(err, "name", spec->name, 300, false, false);
	if (!rc)
		rc = att_check_text(err, "reason", spec->reason, 2000, true, true);
	if (rc)
		return rc;
	rc = att_name_normalize(spec->name, strlen(spec->name), &norm, err);
	if (rc)
		return rc == ATT_ELIMIT ? ATT_EINVAL : rc;
	if (spec->dob && *spec->dob && !att_match_dob_parse(spec->dob, &dob))
		return att_fail(err, ATT_EINVAL, "date of birth '%.20s' is not a date (YYYY-MM-DD)",
				att_utf8_valid(spec->dob, strlen(spec->dob)) ? spec->dob : "?");
	for (size_t i = 0; spec->category && i < sizeof(categories) / sizeof(categories[0]); i++)
		known |= !strcmp(spec->category, categories[i]);
	if (spec->category && !known)
		return att_fail(err, ATT_EINVAL,
				"unknown category (refugee, asylum-holder, journalist, "
				"human-rights-defender, political-emigrant, emigrant, other)");
	v = json_pack("{s:s,s:s?,s:s,s:s?}", "name", spec->name, "dob",
		      spec->dob && *spec->dob ? spec->dob : NULL, "category",
		      spec->category ? spec->category : "other", "reason",
		      spec->reason && *spec->reason ? spec->reason : NULL);
	if (!v)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_node_begin(node, err);
	if (!rc)
		rc = att_holdings_sync(node, err);
	if (!rc)
		rc = att_x_seal_json(node, v, "protected", &sealed, &len, err);
	if (!rc)
		rc = att_store_protected_insert(node->store, sealed, len, actor.id, att_now(), id,
						err);
	if (!rc)
		rc = att_holdings_add_protected(node, *id, v, err);
	if (!rc)
		rc = rescreen(node, &actor, *id, spec, &mine, err);
	if (!rc)
		rc = att_store_msg_max_id(node->store, &upto, err);
	if (!rc)
		rc = att_store_rescan_add(node->store, *id, upto, actor.id, att_now(), err);
	if (!rc) {
		char obj[48];

		/* The audit names the entry, never the person. */
		snprintf(obj, sizeof(obj), "protected/%lld", (long long)*id);
		rc = att_audit_json(node, &actor, "protected.add", obj,
				    json_pack("{s:s,s:I,s:I}", "category",
					      spec->category ? spec->category : "other", "held",
					      (json_int_t)mine.nheld, "flagged",
					      (json_int_t)mine.nflagged),
				    err);
	}
	free(sealed);
	json_decref(v);
	rc = att_node_done(node, rc, err);
	if (rc)
		*id = 0;
	if (!rc && res)
		*res = mine;
	else
		att_protect_result_release(&mine);
	return rc;
}

/* --- the rescan of sent text ---------------------------------------------- */

/* A step of att_protect_rescan (one transaction, the write lock held) reads
 * at most RESCAN_STEP messages, stops taking more once it holds
 * RESCAN_BYTES of their content, and stops reading once RESCAN_STEP_MS
 * have passed (checked between messages): the text check of one crafted
 * message can take seconds (ICU's transliteration of a body of long CJK
 * words), and many of them must not keep the lock for minutes. Ordinary
 * traffic: 256 messages, some tens of milliseconds. */
#define RESCAN_STEP 256u
#define RESCAN_BYTES (1u << 20)
#define RESCAN_STEP_MS 250

/* A message of a step, copied out of the walk (whose statement is busy). */
struct rescan_msg {
	int64_t id, case_id;
	size_t walked; /* rows walked up to and with it */
	unsigned char *content;
	size_t len;
};

struct rescan_batch {
	struct rescan_msg *m;
	size_t n, cap;
	size_t walked; /* rows walked, the rejected ones too */
	int64_t last;  /* the last of them */
	size_t bytes;  /* content copied */
	bool full;     /* stopped at RESCAN_BYTES */
	bool oom;
};

static int rescan_collect(const struct att_msg_row *m, void *arg)
{
	struct rescan_batch *b = arg;
	struct rescan_msg *r;

	b->walked++;
	b->last = m->id;
	if (strcmp(m->status, "delivered") && strcmp(m->status, "held"))
		return 0; /* rejected: no one will see it */
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct rescan_msg *g = realloc(b->m, cap * sizeof(*g));

		if (!g) {
			b->oom = true;
			return 1;
		}
		b->m = g;
		b->cap = cap;
	}
	r = &b->m[b->n];
	r->id = m->id;
	r->case_id = m->case_id;
	r->walked = b->walked;
	r->len = m->content_len;
	r->content = malloc(m->content_len ? m->content_len : 1);
	if (!r->content) {
		b->oom = true;
		return 1;
	}
	memcpy(r->content, m->content, m->content_len);
	b->n++;
	b->bytes += m->content_len;
	b->full = b->bytes >= RESCAN_BYTES;
	return b->full;
}

/* The addresses among a message's entities, opened (kept in vals). */
struct rescan_addr {
	struct att_node *node;
	json_t *vals;
	enum att_rc rc;
	struct att_err *err;
};

static int rescan_addr_row(const struct att_entity_row *e, void *arg)
{
	struct rescan_addr *a = arg;
	enum att_id_type t;
	char ad[48];
	json_t *v;

	if (!att_id_type_parse(e->type, &t) || !att_x_is_address(t))
		return 0;
	att_x_ad(ad, sizeof(ad), "entity", e->msg_id);
	v = att_x_open_json(a->node, e->value, e->value_len, ad, a->err);
	if (!v) {
		a->rc = ATT_ECRYPTO;
		return 1;
	}
	if (json_array_append_new(a->vals, v)) {
		a->rc = att_fail(a->err, ATT_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

/* The check at sending, narrowed to the entry in scope, of message m's
 * text and addresses: reasons appended. */
/* The case of the messages a step reads (mostly a few cases: read once
 * each in a row), opened; readable false when its texts are damaged. */
struct rescan_case {
	int64_t id; /* 0: none yet */
	bool readable;
	struct att_case_row c;
};

static enum att_rc rescan_message(struct att_node *node, const struct rescan_msg *m,
				  struct rescan_case *cached, json_t *reasons, struct att_err *err)
{
	struct rescan_addr a = {node, json_array(), ATT_OK, err};
	struct att_x_texts t;
	char ad[48];
	json_t *c, *v;
	size_t i;
	enum att_rc rc;

	att_x_ad(ad, sizeof(ad), "message", m->id);
	c = att_x_open_json(node, m->content, m->len, ad, err);
	if (!c || !a.vals) {
		json_decref(c);
		json_decref(a.vals);
		return c ? att_fail(err, ATT_ENOMEM, "out of memory") : ATT_ECRYPTO;
	}
	rc = att_store_entity_each_of(node->store, m->id, rescan_addr_row, &a, err);
	if (!rc)
		rc = a.rc;
	memset(&t, 0, sizeof(t));
	t.purpose = att_x_jstr(c, "purpose");
	t.subject = att_x_jstr(c, "subject");
	t.body = att_x_jstr(c, "body");
	t.htext = att_x_jstr(c, "handling_text");
	t.legal = att_x_jstr(c, "legal_basis");
	t.pres = json_object_get(c, "preservation");
	/* its case's title and purpose, as at sending (a case whose texts
	 * are damaged shows them to no one: read without them) */
	if (!rc && cached->id != m->case_id) {
		enum att_rc crc = att_x_case_get(node, m->case_id, &cached->c, err);

		if (crc == ATT_ETAMPER || crc == ATT_ECRYPTO)
			att_err_clear(err);
		else
			rc = crc;
		cached->id = rc ? 0 : m->case_id;
		cached->readable = !crc;
	}
	if (!rc && cached->readable) {
		t.case_title = cached->c.title;
		t.case_purpose = cached->c.purpose;
	}
	json_array_foreach(a.vals, i, v)
		if (t.naddr < ATT_MSG_ENTITIES_MAX && att_x_jstr(v, "value"))
			t.addr[t.naddr++] = att_x_jstr(v, "value");
	if (!rc)
		rc = att_x_protected_texts(node, &t, reasons, err);
	json_decref(a.vals);
	json_decref(c);
	return rc;
}

enum att_rc att_x_hold_again(struct att_node *node, const struct att_actor *actor, int64_t msg,
			     json_t *reasons, struct att_err *err)
{
	struct att_protect_result res = {NULL, 0, NULL, 0};
	enum att_rc rc = hold_again(node, actor, msg, 0, reasons, &res, NULL, true, err);

	att_protect_result_release(&res);
	return rc;
}

/* The jobs a step works on together: the oldest unfinished one, and every
 * other at the same place (the same cursor and end: persons registered
 * together, or the entries migration 9 gave jobs), so that a message is
 * opened and its text normalised once for all of them. */
#define RESCAN_GROUP 256u

struct rescan_group {
	struct rescan_case cs; /* the last messages' case */
	struct att_rescan_row j[RESCAN_GROUP];
	int64_t held[RESCAN_GROUP], flagged[RESCAN_GROUP];
	size_t n;
	int64_t from; /* jobs of entries before it are left out (one failed) */
	struct att_node *node;
	struct att_err *err;
	enum att_rc rc;
};

static int group_row(const struct att_rescan_row *r, void *arg)
{
	struct rescan_group *g = arg;

	if (!r->finished && r->reg != g->j[0].reg && r->reg >= g->from &&
	    r->cursor == g->j[0].cursor && r->upto == g->j[0].upto && g->n < RESCAN_GROUP)
		g->j[g->n++] = *r;
	return 0;
}

/* Adds the group's entries to the node's scope. */
static int group_entry(int64_t id, const unsigned char *sealed, size_t len, const char *by,
		       int64_t at, void *arg)
{
	struct rescan_group *g = arg;
	json_t *v;

	(void)by;
	(void)at;
	for (size_t k = 0; k < g->n; k++) {
		if (g->j[k].reg != id)
			continue;
		v = att_x_open_json(g->node, sealed, len, "protected", g->err);
		g->rc = v ? att_holdings_protected_scope_add(g->node, id, v, g->err) : ATT_ECRYPTO;
		json_decref(v);
		return g->rc != ATT_OK;
	}
	return 0;
}

static void rescan_state(const struct att_rescan_row *j, struct att_rescan_state *st)
{
	st->reg = j->reg;
	st->total = j->total;
	st->read = j->done;
	st->held = j->held;
	st->flagged = j->flagged;
	st->finished = j->finished != 0;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One step of the oldest unfinished job whose entry is from or later, with
 * the jobs at its place (see RESCAN_GROUP), in the open transaction (see
 * RESCAN_STEP). */
static enum att_rc rescan_step(struct att_node *node, const struct att_actor *actor, int64_t from,
			       size_t step, struct att_rescan_state *st,
			       struct att_protect_result *res, struct att_err *err)
{
	struct rescan_group *g = calloc(1, sizeof(*g));
	struct rescan_batch b = {NULL, 0, 0, 0, 0, 0, false, false};
	struct att_protect_result mine = {NULL, 0, NULL, 0};
	struct timespec t0;
	int64_t cursor, upto;
	size_t done, i = 0;
	enum att_rc rc = g ? att_store_rescan_next(node->store, from, &g->j[0], err)
			   : att_fail(err, ATT_ENOMEM, "out of memory");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rc == ATT_ENOTFOUND) {
		att_err_clear(err);
		free(g);
		return ATT_OK; /* nothing left: st stays zero */
	}
	if (rc) {
		free(g);
		return rc;
	}
	g->n = 1;
	g->from = from;
	g->node = node;
	g->err = err;
	upto = g->j[0].upto;
	rc = att_store_rescan_each(node->store, group_row, g, err);
	att_holdings_protected_unscope(node);
	if (!rc)
		rc = att_store_protected_each(node->store, group_entry, g, err);
	if (!rc)
		rc = g->rc;
	if (!rc)
		rc = att_store_msg_each_range(node->store, g->j[0].cursor, upto, step,
					      rescan_collect, &b, err);
	if (!rc && b.oom)
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	/* entries gone from the register have nothing to find */
	for (i = 0; !rc && node->prot_scope && i < b.n; i++) {
		size_t nheld = mine.nheld, nflagged = mine.nflagged;
		json_t *reasons, *added;

		if (i > 0 && ms_since(&t0) >= RESCAN_STEP_MS)
			break; /* the rest at the next step */
		reasons = json_array();
		added = json_array();
		rc = reasons && added ? rescan_message(node, &b.m[i], &g->cs, reasons, err)
				      : att_fail(err, ATT_ENOMEM, "out of memory");
		if (rc == ATT_ECRYPTO) {
			/* a damaged message cannot be read for the persons: the
			 * overseer sees it, the job goes on */
			att_err_clear(err);
			rc = json_array_append_new(reasons,
						   json_pack("{s:s,s:s}", "kind",
							     "protected-unreadable", "where",
							     "content"))
				     ? att_fail(err, ATT_ENOMEM, "out of memory")
				     : ATT_OK;
		}
		if (!rc && json_array_size(reasons)) {
			json_t *r;
			size_t x;

			/* a place not read (unchecked, unreadable) was not read
			 * for these entries: it says so for them (for the
			 * oldest: a group is one registration) */
			json_array_foreach(reasons, x, r)
				if (!json_object_get(r, "register"))
					json_object_set_new(r, "register",
							    json_integer(g->j[0].reg));
			rc = hold_again(node, actor, b.m[i].id, g->j[0].reg, reasons, &mine, added,
					false, err);
		}
		/* each job counts the messages held or flagged for its entry
		 * (an unread place: for the oldest) */
		for (size_t k = 0; !rc && json_array_size(added) && k < g->n; k++) {
			const json_t *r;
			size_t x;
			bool mine_k = false;

			json_array_foreach(added, x, r) {
				json_int_t rr = json_integer_value(json_object_get(r, "register"));

				mine_k = mine_k || rr == g->j[k].reg;
			}
			g->held[k] += mine_k && mine.nheld > nheld;
			g->flagged[k] += mine_k && mine.nflagged > nflagged;
		}
		json_decref(reasons);
		json_decref(added);
	}
	att_holdings_protected_unscope(node);
	/* read: up to the last message taken; all the walk went through when
	 * it was not cut short (by count or bytes), then to the end */
	if (i > 0 && i < b.n) {
		cursor = b.m[i - 1].id;
		done = b.m[i - 1].walked;
	} else if (b.full || b.walked == step) {
		cursor = b.last;
		done = b.walked;
	} else {
		cursor = upto;
		done = b.walked;
	}
	for (size_t k = 0; !rc && k < g->n; k++) {
		struct att_rescan_row *jk = &g->j[k];

		rc = att_store_rescan_advance(node->store, jk->reg, cursor, (int64_t)done,
					      g->held[k], g->flagged[k],
					      cursor >= upto ? att_now() : 0, err);
		jk->cursor = cursor;
		jk->done += (int64_t)done;
		jk->held += g->held[k];
		jk->flagged += g->flagged[k];
		jk->finished = cursor >= upto;
		if (!rc && cursor >= upto) {
			char obj[48];

			snprintf(obj, sizeof(obj), "protected/%lld", (long long)jk->reg);
			rc = att_audit_json(node, actor, "protected.rescan", obj,
					    json_pack("{s:I,s:I,s:I}", "messages",
						      (json_int_t)jk->done, "held",
						      (json_int_t)jk->held, "flagged",
						      (json_int_t)jk->flagged),
					    err);
		}
	}
	for (size_t k = 0; !rc && res && k < mine.nheld; k++)
		rc = push_id(&res->held, &res->nheld, mine.held[k], err);
	for (size_t k = 0; !rc && res && k < mine.nflagged; k++)
		rc = push_id(&res->flagged, &res->nflagged, mine.flagged[k], err);
	if (!rc)
		rescan_state(&g->j[0], st);
	att_protect_result_release(&mine);
	for (size_t k = 0; k < b.n; k++)
		free(b.m[k].content);
	free(b.m);
	free(g);
	return rc;
}

enum att_rc att_protect_rescan_step(struct att_node *node, const char *actor_id, int64_t from,
				    size_t step, struct att_rescan_state *state,
				    struct att_protect_result *res, struct att_err *err)
{
	struct att_actor actor;
	size_t nheld = res ? res->nheld : 0, nflagged = res ? res->nflagged : 0;
	enum att_rc rc;

	memset(state, 0, sizeof(*state));
	rc = att_actor_authz(node, actor_id, ATT_ACT_PROTECT_ADD, &actor, err);
	if (rc)
		return rc;
	rc = att_node_begin(node, err);
	if (!rc)
		rc = att_holdings_sync(node, err);
	if (!rc)
		rc = rescan_step(node, &actor, from, step ? step : RESCAN_STEP, state, res, err);
	rc = att_node_done(node, rc, err);
	if (rc) {
		memset(state, 0, sizeof(*state));
		if (res) { /* what this step added did not happen */
			res->nheld = nheld;
			res->nflagged = nflagged;
		}
	}
	return rc;
}

enum att_rc att_protect_rescan(struct att_node *node, const char *actor_id, int64_t budget_ms,
			       void (*progress)(const struct att_rescan_state *st, void *arg),
			       void *arg, struct att_protect_result *res, bool *finished,
			       struct att_err *err)
{
	struct att_err first = {0};
	struct att_actor actor;
	struct timespec t0;
	int64_t from = 0;
	size_t steps = 0; /* at least one, whatever the budget */
	bool left = false;
	/* refused at once, whether or not there is a job left */
	enum att_rc arc = att_actor_authz(node, actor_id, ATT_ACT_PROTECT_ADD, &actor, err);

	if (finished)
		*finished = false;
	if (arc)
		return arc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct att_rescan_state st;
		char by[65];
		int64_t reg = 0;
		enum att_rc rc = att_protect_rescan_pending(node, from, &reg, by, err);

		if (rc == ATT_ENOTFOUND) {
			att_err_clear(err);
			break;
		}
		if (!rc && steps && budget_ms > 0 && ms_since(&t0) >= budget_ms) {
			left = true; /* a job left for later */
			break;
		}
		steps++;
		if (!rc)
			rc = att_protect_rescan_step(node, actor_id, reg, RESCAN_STEP, &st, res, err);
		if (rc == ATT_EDENIED || rc == ATT_ENOTFOUND || !reg)
			return rc; /* the actor may not, or nothing can be read */
		if (rc) {
			/* the others go on; this job's error is the answer */
			if (!first.rc)
				first = *err;
			att_err_clear(err);
			from = reg + 1;
			continue;
		}
		if (progress)
			progress(&st, arg);
	}
	if (finished)
		*finished = !left && !first.rc;
	if (first.rc)
		*err = first;
	return first.rc;
}

enum att_rc att_protect_rescan_pending(struct att_node *node, int64_t from, int64_t *reg,
				       char *by, struct att_err *err)
{
	struct att_rescan_row j;
	enum att_rc rc = att_node_begin_read(node, err);

	if (rc)
		return rc;
	rc = att_store_rescan_next(node->store, from, &j, err);
	if (!rc) {
		*reg = j.reg;
		snprintf(by, 65, "%s", j.by);
	}
	if (rc == ATT_ENOTFOUND) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_done(node, rc, err);
}

struct prot_list_ctx {
	struct att_node *node;
	json_t *arr;
	struct att_err *err;
	enum att_rc rc;
	size_t at;
};

static int prot_row(int64_t id, const unsigned char *sealed, size_t len, const char *by,
		    int64_t at, void *arg)
{
	struct prot_list_ctx *c = arg;
	json_t *v = att_x_open_json(c->node, sealed, len, "protected", c->err);

	if (!v) {
		c->rc = ATT_ECRYPTO;
		return 1;
	}
	json_object_set_new(v, "id", json_integer(id));
	json_object_set_new(v, "added_by", json_string(by));
	json_object_set_new(v, "added", att_x_time(at));
	json_array_append_new(c->arr, v);
	return 0;
}

/* Each entry's rescan (both walks in id order: c->at follows them). */
static int rescan_row(const struct att_rescan_row *r, void *arg)
{
	struct prot_list_ctx *c = arg;
	struct att_rescan_state st;

	while (c->at < json_array_size(c->arr) &&
	       json_integer_value(json_object_get(json_array_get(c->arr, c->at), "id")) < r->reg)
		c->at++;
	if (c->at == json_array_size(c->arr))
		return 1;
	if (json_integer_value(json_object_get(json_array_get(c->arr, c->at), "id")) != r->reg)
		return 0;
	rescan_state(r, &st);
	if (json_object_set_new(json_array_get(c->arr, c->at), "rescan",
				json_pack("{s:I,s:I,s:I,s:I,s:o}", "read", (json_int_t)st.read,
					  "of", (json_int_t)st.total, "held", (json_int_t)st.held,
					  "flagged", (json_int_t)st.flagged, "finished",
					  r->finished ? att_x_time(r->finished) : json_null()))) {
		c->rc = att_fail(c->err, ATT_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

enum att_rc att_protect_list(struct att_node *node, const char *actor_id, void **out_json,
			     struct att_err *err)
{
	struct att_actor actor;
	struct prot_list_ctx c = {node, NULL, err, ATT_OK, 0};
	enum att_rc rc;

	*out_json = NULL;
	rc = att_actor_authz(node, actor_id, ATT_ACT_PROTECT_READ, &actor, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	c.arr = json_array();
	rc = att_store_protected_each(node->store, prot_row, &c, err);
	if (!rc)
		rc = c.rc;
	if (!rc)
		rc = att_store_rescan_each(node->store, rescan_row, &c, err);
	if (!rc)
		rc = c.rc;
	return att_node_list_done(node, &actor, "protected.read", "protected", rc, c.arr, out_json,
				  err);
}

/* --- review queue ------------------------------------------------------------------ */

struct held_ctx {
	int64_t *ids;
	size_t n, cap;
};

static int held_row(const struct att_msg_row *m, void *arg)
{
	struct held_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		int64_t *n = realloc(c->ids, cap * sizeof(*n));

		if (!n)
			return 1;
		c->ids = n;
		c->cap = cap;
	}
	c->ids[c->n++] = m->id;
	return c->n >= 1000;
}

enum att_rc att_review_list(struct att_node *node, const char *actor_id, void **out_json,
			    struct att_err *err)
{
	struct att_actor actor;
	struct held_ctx h = {NULL, 0, 0};
	json_t *arr;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_actor_authz(node, actor_id, ATT_ACT_REVIEW_READ, &actor, err);
	if (!rc)
		rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	arr = json_array();
	rc = att_store_msg_each_status(node->store, "held", held_row, &h, err);
	for (size_t i = 0; !rc && i < h.n; i++) {
		struct att_msg_row m;
		unsigned char *sr = NULL;
		size_t srlen = 0;
		char state[16], ad[48];
		json_t *content, *reasons;

		rc = att_store_msg_get(node->store, h.ids[i], &m, err);
		if (rc)
			break;
		att_x_ad(ad, sizeof(ad), "message", m.id);
		content = att_x_open_json(node, m.content, m.content_len, ad, err);
		free((void *)m.content);
		/* a damaged message is listed all the same (the rescan holds
		 * one it cannot read), its text unreadable */
		if (!content)
			att_err_clear(err);
		rc = att_store_review_get(node->store, m.id, state, &sr, &srlen, err);
		if (rc) {
			json_decref(content);
			free(sr);
			break;
		}
		att_x_ad(ad, sizeof(ad), "review", m.id);
		reasons = att_x_open_json(node, sr, srlen, ad, err);
		if (!reasons)
			att_err_clear(err);
		free(sr);
		json_array_append_new(
			arr, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:O?,s:O?,s:o,s:o,s:b}", "id",
				       (json_int_t)m.id, "case", (json_int_t)m.case_id, "type", m.type,
				       "sender", m.sender, "sender_unit", m.sender_unit, "field",
				       m.field, "subject", json_object_get(content, "subject"),
				       "purpose", json_object_get(content, "purpose"), "created",
				       att_x_time(m.created), "reasons",
				       reasons ? reasons : json_array(), "unreadable", !content));
		json_decref(content);
	}
	free(h.ids);
	return att_node_list_done(node, &actor, "review.read", "reviews", rc, arr, out_json, err);
}

static enum att_rc decide(struct att_node *node, const char *actor_id, int64_t id,
			  const char *reason, bool release, struct att_err *err)
{
	struct att_actor actor;
	struct att_msg_row m = {0};
	unsigned char *sealed = NULL, *sr = NULL;
	size_t len = 0, srlen = 0;
	char state[16] = "", ad[48];
	size_t hits = 0;
	bool again = false;
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_REVIEW_DECIDE, &actor, err);
	if (!rc)
		rc = att_check_text(err, "reason", reason, 2000, false, true);
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_holdings_sync(node, err);
	if (!rc) {
		rc = att_store_msg_get(node->store, id, &m, err);
		if (rc == ATT_ENOTFOUND)
			rc = att_fail(err, ATT_ENOTFOUND, "no such message %lld", (long long)id);
		else if (!rc)
			free((void *)m.content);
	}
	if (!rc && strcmp(m.status, "held"))
		rc = att_fail(err, ATT_ECONFLICT, "message %lld is %s, not held for review",
			      (long long)id, m.status);
	if (!rc)
		rc = att_store_review_get(node->store, id, state, &sr, &srlen, err);
	if (!rc && release) {
		/* held again after delivery: its hits from then stand */
		json_t *rs, *r;
		size_t i;

		att_x_ad(ad, sizeof(ad), "review", id);
		rs = att_x_open_json(node, sr, srlen, ad, err);
		if (!rs)
			rc = ATT_ECRYPTO;
		json_array_foreach(rs, i, r)
			again = again || json_is_true(json_object_get(r, "after_delivery"));
		json_decref(rs);
	}
	free(sr);
	if (!rc) {
		json_t *r = json_pack("{s:s}", "reason", reason);

		att_x_ad(ad, sizeof(ad), "decision", id);
		rc = att_x_seal_json(node, r, ad, &sealed, &len, err);
		json_decref(r);
	}
	if (!rc)
		rc = att_store_review_decide(node->store, id, release ? "released" : "rejected",
					     actor.id, sealed, len, att_now(), err);
	if (!rc)
		rc = att_store_msg_set_status(node->store, id, release ? "delivered" : "rejected",
					      err);
	if (!rc)
		rc = release ? att_store_recip_restore_all(node->store, id, att_now(), err)
			     : att_store_recip_set_all(node->store, id, "rejected", att_now(), err);
	if (!rc && release)
		rc = att_store_release_add(node->store, id, false, err);
	if (!rc && release)
		rc = att_x_match_message(node, id, again, &hits, err);
	if (!rc) {
		/* the reason names whom the message named: sealed in the log,
		 * opened only in the overseer's view of it */
		char obj[48], *rs = att_x_seal_text(node, reason, err);

		snprintf(obj, sizeof(obj), "message/%lld", (long long)id);
		rc = rs ? att_audit_json(node, &actor, release ? "review.release" : "review.reject",
					 obj,
					 json_pack("{s:s,s:I}", "reason_sealed", rs, "hits",
						   (json_int_t)hits),
					 err)
			: ATT_ENOMEM;
		free(rs);
	}
	free(sealed);
	return att_node_done(node, rc, err);
}

enum att_rc att_review_release(struct att_node *node, const char *actor_id, int64_t id,
			       const char *reason, struct att_err *err)
{
	return decide(node, actor_id, id, reason, true, err);
}

enum att_rc att_review_reject(struct att_node *node, const char *actor_id, int64_t id,
			      const char *reason, struct att_err *err)
{
	return decide(node, actor_id, id, reason, false, err);
}

/* --- neutrality terms ------------------------------------------------------------- */

static int term_row(const char *term, const char *lang, const char *category, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s}", "term", term, "lang", lang,
					     "category", category));
	return 0;
}

static enum att_rc term_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **arr, struct att_err *err)
{
	(void)actor;
	(void)ctx;
	return att_store_term_each(node->store, term_row, *arr, err);
}

enum att_rc att_neutrality_list(struct att_node *node, const char *actor_id, void **out_json,
				struct att_err *err)
{
	return att_node_list(node, actor_id, ATT_ACT_NEUTRALITY_READ, "neutrality.read",
			     "neutrality", term_fill, NULL, out_json, err);
}

enum att_rc att_neutrality_add(struct att_node *node, const char *actor_id, const char *term,
			       const char *lang, const char *category, struct att_err *err)
{
	static const char *const langs[] = {"az", "ru", "en"};
	struct att_actor actor;
	bool known = false;
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_NEUTRALITY_EDIT, &actor, err);
	if (!rc)
		rc = att_check_text(err, "term", term, 100, false, false);
	if (!rc)
		rc = att_check_id(err, "category", category);
	if (rc)
		return rc;
	for (size_t i = 0; lang && i < 3; i++)
		known |= !strcmp(lang, langs[i]);
	if (!known)
		return att_fail(err, ATT_EINVAL, "language must be az, ru or en");
	if (strlen(term) < 3 || (term[strlen(term) - 1] == '*' && strlen(term) < 4))
		return att_fail(err, ATT_EINVAL, "a term needs at least three letters");
	rc = att_node_begin(node, err);
	if (!rc)
		rc = att_store_term_insert(node->store, term, lang, category, err);
	if (!rc)
		rc = att_store_counter_bump(node->store, "terms_gen", err);
	if (!rc)
		rc = att_audit_json(node, &actor, "neutrality.add", "neutrality",
				    json_pack("{s:s,s:s,s:s}", "term", term, "lang", lang,
					      "category", category),
				    err);
	return att_node_done(node, rc, err);
}

enum att_rc att_neutrality_remove(struct att_node *node, const char *actor_id,
				  const char *term, struct att_err *err)
{
	struct att_actor actor;
	bool found = false;
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_NEUTRALITY_EDIT, &actor, err);
	if (!rc)
		rc = att_check_text(err, "term", term, 100, false, false);
	if (!rc)
		rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_term_delete(node->store, term, &found, err);
	if (!rc && !found)
		rc = att_fail(err, ATT_ENOTFOUND, "no such term '%s'", term);
	if (!rc)
		rc = att_store_counter_bump(node->store, "terms_gen", err);
	if (!rc)
		rc = att_audit_json(node, &actor, "neutrality.remove", "neutrality",
				    json_pack("{s:s}", "term", term), err);
	return att_node_done(node, rc, err);
}
