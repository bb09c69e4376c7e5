/* The exchange: cases, messages, delivery with need-to-know, handling codes,
 * deadlines, hits and the review of held messages. The safeguards' rules are
 * in policy.c; the match indexes in holdings.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/exchange.h"
#include "attache/match.h"
#include "holdings.h"
#include "jdoc.h"
#include "node_int.h"
#include "policy.h"
#include "store_core.h"
#include "store_exchange.h"
#include "store_registry.h"
#include "exchange_int.h"
#include "util.h"
#include "banned.h"

#define HITS_PER_ENTITY 16

/* --- small helpers ---------------------------------------------------------- */

enum att_rc att_x_seal_json(struct att_node *node, const json_t *v, const char *ad,
			     unsigned char **out, size_t *len, struct att_err *err)
{
	char *text = json_dumps(v, JSON_COMPACT);
	enum att_rc rc;

	if (!text)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_keys_seal(node->keys, (const unsigned char *)text, strlen(text), ad, out, len,
			   err);
	sodium_memzero(text, strlen(text));
	free(text);
	return rc;
}

char *att_x_seal_b64(struct att_node *node, const char *text, const char *ad, const char *prefix,
		     struct att_err *err)
{
	unsigned char *sealed = NULL;
	size_t len = 0, b64len, np = strlen(prefix);
	char *out;

	if (att_keys_seal(node->keys, (const unsigned char *)text, strlen(text), ad, &sealed, &len,
			  err))
		return NULL;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	out = malloc(np + b64len);
	if (out) {
		memcpy(out, prefix, np);
		sodium_bin2base64(out + np, b64len, sealed, len, sodium_base64_VARIANT_ORIGINAL);
	} else {
		att_fail(err, ATT_ENOMEM, "out of memory");
	}
	free(sealed);
	return out;
}

char *att_x_seal_text(struct att_node *node, const char *text, struct att_err *err)
{
	return att_x_seal_b64(node, text, "audit", "", err);
}

json_t *att_x_open_json(struct att_node *node, const unsigned char *blob, size_t len,
			 const char *ad, struct att_err *err)
{
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	json_t *v;

	if (att_keys_open(node->keys, blob, len, ad, &pt, &ptlen, err))
		return NULL;
	v = json_loadb((const char *)pt, ptlen, 0, NULL);
	sodium_memzero(pt, ptlen);
	free(pt);
	if (!v)
		att_fail(err, ATT_ETAMPER, "stored content (%s) is damaged", ad);
	return v;
}

/* snprintf(ad, n, "%s<sep>%lld", what, id), without the cost of printf:
 * every sealed record needs one. */
static void ref_text(char *ad, size_t n, const char *what, char sep, int64_t id)
{
	char digits[24];
	size_t nd = 0, w = strlen(what), o = 0;
	uint64_t u = id < 0 ? (uint64_t)0 - (uint64_t)id : (uint64_t)id;

	do {
		digits[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (id < 0)
		digits[nd++] = '-';
	if (!n)
		return;
	for (size_t i = 0; i < w && o + 1 < n; i++)
		ad[o++] = what[i];
	if (o + 1 < n)
		ad[o++] = sep;
	while (nd && o + 1 < n)
		ad[o++] = digits[--nd];
	ad[o] = '\0';
}

void att_x_ad(char *ad, size_t n, const char *what, int64_t id)
{
	ref_text(ad, n, what, ':', id);
}

/* snprintf(dst, n, "%s", src) for the hot path: a bounded copy. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

static void fmt_time(int64_t t, char out[32])
{
	if (t)
		att_time_fmt(t, out);
	else
		out[0] = '\0';
}

json_t *att_x_time(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	att_time_fmt(t, buf);
	return json_string(buf);
}

/* A refused read by a known user (a role that may not, a representative
 * whose appointment has ended) is recorded: in the read's transaction,
 * which keeps what it recorded when it fails, or in one of its own; the
 * refusal stands whatever becomes of the record. */
static void audit_refused(struct att_node *node, const struct att_actor *actor,
			  enum att_action act, const struct att_err *why)
{
	struct att_err ignored = {0};
	bool own = !node->read_tx;

	if (own && att_node_begin(node, &ignored))
		return;
	if (att_audit_json(node, actor, "access.denied", att_action_name(act),
			   json_pack("{s:s,s:s}", "action", att_action_name(act), "why", why->msg),
			   &ignored) ||
	    (own && att_node_commit(node, &ignored)))
		if (own)
			att_node_rollback(node);
}

enum att_rc att_x_access(struct att_node *node, const char *actor_id,
			       enum att_action act, struct access *a, struct att_err *err)
{
	struct access *cached = node->access_cache;
	bool in_tx = att_store_in_tx(node->store);
	enum att_rc rc;

	/* Inside one transaction the actor and their appointment cannot change
	 * under us (the write lock is held): reuse what was resolved. */
	if (in_tx && cached && node->access_epoch == node->tx_epoch && actor_id &&
	    !strcmp(cached->actor.id, actor_id)) {
		a->actor = cached->actor;
		a->m = cached->m;
		return att_authz(&a->actor, act, NULL, err);
	}
	rc = att_actor_load(node, actor_id, &a->actor, err);
	if (rc)
		return rc;
	rc = att_authz(&a->actor, act, NULL, err);
	if (!rc)
		rc = att_policy_mandate(node, &a->actor, &a->m, err);
	/* (a write's transaction is the caller's to commit: not there) */
	if (rc == ATT_EDENIED && (!in_tx || node->read_tx) && att_action_reads_exchange(act))
		audit_refused(node, &a->actor, act, err);
	if (!rc && in_tx) {
		if (!cached)
			cached = node->access_cache = malloc(sizeof(*cached));
		if (cached) {
			*cached = *a;
			node->access_epoch = node->tx_epoch;
		}
	}
	return rc;
}

/* Need-to-know: the sender, a member of a recipient unit (a representative
 * only within the field of their appointment), a holder of a grant on the
 * case (for an H2 message, only with the provider's permission for the
 * holder's unit, as a forward would need), or the overseer. Held and
 * rejected messages: sender and overseer. */
enum att_rc att_x_may_read(struct att_node *node, const struct access *a,
			    const struct att_msg_row *m, bool *yes, struct att_err *err)
{
	struct att_recip_row r;
	enum att_rc rc;

	*yes = false;
	if (a->actor.role == ATT_ROLE_OVERSEER || !strcmp(m->sender, a->actor.id)) {
		*yes = true;
		return ATT_OK;
	}
	if (strcmp(m->status, "delivered"))
		return ATT_OK;
	if (a->actor.role == ATT_ROLE_REP && !(a->m.fields & att_field_bit(m->field)))
		return ATT_OK;
	if (a->m.unit[0]) {
		rc = att_store_recip_get(node->store, m->id, a->m.unit, &r, err);
		if (rc == ATT_OK) {
			*yes = true;
			return ATT_OK;
		}
		if (rc != ATT_ENOTFOUND)
			return rc;
	}
	rc = att_store_case_granted(node->store, m->case_id, a->actor.id, a->m.unit, yes, err);
	if (!rc && *yes) {
		const char *grantee = a->m.unit[0] ? a->m.unit : a->actor.id;
		bool provider = !strcmp(m->sender_unit, grantee), permitted = false;

		if (!att_policy_passes_on(m->handling, provider, false)) {
			rc = att_store_permit_has(node->store, m->id, grantee, &permitted, err);
			*yes = !rc && att_policy_passes_on(m->handling, provider, permitted);
		}
	}
	return rc;
}

/* --- cases ------------------------------------------------------------------ */

enum att_rc att_x_may_use_case(struct att_node *node, const struct access *a,
				const struct att_case_row *c, bool *yes, struct att_err *err)
{
	*yes = a->actor.role == ATT_ROLE_OVERSEER || !strcmp(c->owner_unit, a->m.unit);
	if (*yes || !a->m.unit[0])
		return ATT_OK;
	if (a->actor.role == ATT_ROLE_REP && !(a->m.fields & att_field_bit(c->field)))
		return ATT_OK;
	{
		enum att_rc rc = att_store_case_has_recipient(node->store, c->id, a->m.unit, yes,
							      err);
		if (rc || *yes)
			return rc;
	}
	return att_store_case_granted(node->store, c->id, a->actor.id, a->m.unit, yes, err);
}

/* --- a case's sealed texts ----------------------------------------------------- */

enum att_rc att_x_case_unseal(struct att_node *node, struct att_case_row *c, struct att_err *err)
{
	char ad[48];
	json_t *v;
	const char *t, *p, *l;

	if (!c->sealed_len)
		return ATT_OK;
	att_x_ad(ad, sizeof(ad), "case", c->id);
	v = att_x_open_json(node, c->sealed, c->sealed_len, ad, err);
	if (!v)
		return err && err->rc ? err->rc : ATT_ECRYPTO;
	t = att_x_jstr(v, "title");
	p = att_x_jstr(v, "purpose");
	l = att_x_jstr(v, "legal_basis");
	if (!t || !p || !l) {
		json_decref(v);
		return att_fail(err, ATT_ETAMPER, "stored content (%s) is damaged", ad);
	}
	snprintf(c->title, sizeof(c->title), "%s", t);
	snprintf(c->purpose, sizeof(c->purpose), "%s", p);
	snprintf(c->legal_basis, sizeof(c->legal_basis), "%s", l);
	json_decref(v);
	return ATT_OK;
}

enum att_rc att_x_case_get(struct att_node *node, int64_t id, struct att_case_row *c,
			   struct att_err *err)
{
	enum att_rc rc = att_store_case_get(node->store, id, c, err);

	return rc ? rc : att_x_case_unseal(node, c, err);
}

enum att_rc att_x_case_neutrality(struct att_node *node, const struct att_case_row *c,
				  json_t *reasons, struct att_err *err)
{
	enum att_rc rc = att_policy_neutrality(node, c->title, "case.title", reasons, err);

	return rc ? rc : att_policy_neutrality(node, c->purpose, "case.purpose", reasons, err);
}

/* Seals c's title, purpose and legal basis into its row. */
static enum att_rc case_seal(struct att_node *node, const struct att_case_row *c,
			     struct att_err *err)
{
	char ad[48];
	unsigned char *blob = NULL;
	size_t len = 0;
	json_t *v = json_pack("{s:s,s:s,s:s}", "title", c->title, "purpose", c->purpose,
			      "legal_basis", c->legal_basis);
	enum att_rc rc;

	if (!v)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	att_x_ad(ad, sizeof(ad), "case", c->id);
	rc = att_x_seal_json(node, v, ad, &blob, &len, err);
	json_decref(v);
	if (!rc && len > ATT_CASE_SEALED_MAX)
		rc = att_fail(err, ATT_ELIMIT, "the case's texts are too long to seal");
	if (!rc)
		rc = att_store_case_seal(node->store, c->id, blob, len, err);
	free(blob);
	return rc;
}

struct clear_cases {
	int64_t *ids;
	size_t n, cap;
	bool oom;
};

static int clear_case_row(const struct att_case_row *c, void *arg)
{
	struct clear_cases *x = arg;

	if (c->sealed_len || !c->title[0])
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		int64_t *g = realloc(x->ids, cap * sizeof(*g));

		if (!g) {
			x->oom = true;
			return 1;
		}
		x->ids = g;
		x->cap = cap;
	}
	x->ids[x->n++] = c->id;
	return 0;
}

enum att_rc att_x_cases_seal(struct att_node *node, struct att_err *err)
{
	struct clear_cases x = {NULL, 0, 0, false};
	char done[4];
	bool any = false;
	enum att_rc rc;

	/* once done, a node never writes a case in clear again: every later
	 * open reads one key and goes on */
	if (att_store_meta_get(node->store, "cases_sealed", done, sizeof(done), NULL) == ATT_OK)
		return ATT_OK;
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_cases_in_clear(node->store, &any, err);
	if (!rc && any)
		rc = att_store_case_each(node->store, clear_case_row, &x, err);
	if (!rc && x.oom)
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < x.n; i++) {
		struct att_case_row *c = malloc(sizeof(*c));

		rc = c ? att_store_case_get(node->store, x.ids[i], c, err)
		       : att_fail(err, ATT_ENOMEM, "out of memory");
		if (!rc)
			rc = case_seal(node, c, err);
		free(c);
	}
	free(x.ids);
	if (!rc)
		rc = att_store_meta_set(node->store, "cases_sealed", "1", err);
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
}

enum att_rc att_case_open(struct att_node *node, const char *actor_id,
			  const struct att_case_spec *spec, int64_t *id, struct att_err *err)
{
	struct access a;
	struct att_case_row c;
	enum att_rc rc;
	int64_t review;

	*id = 0;
	rc = att_x_access(node, actor_id, ATT_ACT_CASE_OPEN, &a, err);
	if (rc)
		return rc;
	if (!att_field_valid(spec->field))
		return att_fail(err, ATT_EINVAL,
				"unknown field '%.40s' (terrorism, organized-crime, cybercrime)",
				spec->field && att_utf8_valid(spec->field, strlen(spec->field))
					? spec->field
					: "");
	if (!(a.m.fields & att_field_bit(spec->field)))
		return att_fail(err, ATT_EDENIED,
				"denied: %s is outside the mandate of %s (%s)", spec->field,
				a.actor.id, a.m.unit);
	rc = att_check_text(err, "title", spec->title, 500, false, false);
	if (!rc)
		rc = att_check_text(err, "purpose", spec->purpose, 1000, false, true);
	if (!rc)
		rc = att_check_text(err, "legal basis", spec->legal_basis, 1000, false, true);
	if (!rc)
		rc = att_check_text(err, "sub-area", spec->subarea, 120, true, false);
	if (!rc)
		rc = att_check_date(err, "review date", spec->review_date);
	if (rc)
		return rc;
	memset(&c, 0, sizeof(c));
	snprintf(c.field, sizeof(c.field), "%s", spec->field);
	snprintf(c.subarea, sizeof(c.subarea), "%s", spec->subarea ? spec->subarea : "");
	snprintf(c.title, sizeof(c.title), "%s", spec->title);
	snprintf(c.owner_unit, sizeof(c.owner_unit), "%s", a.m.unit);
	snprintf(c.owner_user, sizeof(c.owner_user), "%s", a.actor.id);
	snprintf(c.status, sizeof(c.status), "open");
	snprintf(c.purpose, sizeof(c.purpose), "%s", spec->purpose);
	snprintf(c.legal_basis, sizeof(c.legal_basis), "%s", spec->legal_basis);
	if (spec->review_date && *spec->review_date) {
		att_date_parse(spec->review_date, &review);
		if (review <= att_today())
			return att_fail(err, ATT_EINVAL, "the review date %s is not in the future",
					spec->review_date);
		snprintf(c.review_date, sizeof(c.review_date), "%s", spec->review_date);
	} else {
		char t[32];

		att_time_fmt(att_now() + 365 * 86400, t);
		snprintf(c.review_date, sizeof(c.review_date), "%.10s", t);
	}
	c.created = att_now();
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	{
		/* its texts only sealed: in clear they would be in the file */
		struct att_case_row *bare = malloc(sizeof(*bare));

		rc = bare ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
		if (!rc) {
			*bare = c;
			bare->title[0] = bare->purpose[0] = bare->legal_basis[0] = '\0';
			rc = att_store_case_insert(node->store, bare, id, err);
			free(bare);
		}
	}
	if (!rc) {
		c.id = *id;
		rc = case_seal(node, &c, err);
	}
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "case/%lld", (long long)*id);
		rc = att_audit_json(node, &a.actor, "case.open", obj,
				    json_pack("{s:s,s:s,s:s}", "field", c.field, "unit",
					      c.owner_unit, "review", c.review_date),
				    err);
	}
	rc = att_node_done(node, rc, err);
	if (rc)
		*id = 0;
	return rc;
}

json_t *att_x_case_json(const struct att_case_row *c)
{
	char t[32];

	fmt_time(c->created, t);
	return json_pack("{s:I,s:s,s:s?,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)c->id,
			 "field", c->field, "subarea", c->subarea[0] ? c->subarea : NULL, "title",
			 c->title, "owner_unit", c->owner_unit, "owner", c->owner_user, "status",
			 c->status, "purpose", c->purpose, "legal_basis", c->legal_basis,
			 "review_date", c->review_date, "created", t);
}

struct case_list_ctx {
	struct att_node *node;
	struct access *a;
	json_t *arr;
	struct att_err *err;
	enum att_rc rc;
};

static int case_list_row(const struct att_case_row *c, void *arg)
{
	struct case_list_ctx *x = arg;
	bool yes = false;

	x->rc = att_x_may_use_case(x->node, x->a, c, &yes, x->err);
	if (x->rc)
		return 1;
	if (yes) {
		/* opened only for who may read it */
		struct att_case_row *o = malloc(sizeof(*o));

		x->rc = o ? ATT_OK : att_fail(x->err, ATT_ENOMEM, "out of memory");
		if (o) {
			json_t *v;

			*o = *c;
			/* a damaged one is listed as such, not the end of the list */
			if (att_x_case_unseal(x->node, o, x->err)) {
				att_err_clear(x->err);
				o->title[0] = o->purpose[0] = o->legal_basis[0] = '\0';
				v = att_x_case_json(o);
				json_object_set_new(v, "unreadable", json_true());
			} else {
				v = att_x_case_json(o);
			}
			json_array_append_new(x->arr, v);
			free(o);
		}
		if (x->rc)
			return 1;
	}
	return json_array_size(x->arr) >= 1000;
}

enum att_rc att_case_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err)
{
	struct access a;
	struct case_list_ctx x = {node, &a, NULL, err, ATT_OK};
	enum att_rc rc;

	*out_json = NULL;
	rc = att_x_access(node, actor_id, ATT_ACT_CASE_READ, &a, err);
	if (rc)
		return rc;
	x.arr = json_array();
	rc = att_node_begin_read(node, err);
	if (rc) {
		json_decref(x.arr);
		return rc;
	}
	rc = att_store_case_each(node->store, case_list_row, &x, err);
	if (!rc)
		rc = x.rc;
	return att_node_list_done(node, &a.actor, "case.list", "cases", rc, x.arr, out_json, err);
}

/* --- message validation ------------------------------------------------------ */

static const char *const msg_types[] = {"request", "reply", "information", "alert",
					"preservation"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

const char *att_x_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A member's string value, or NULL. */
static const char *jstr(const struct att_jv *o, const char *key)
{
	return att_jv_str(att_jv_get(o, key));
}

/* Checks a JSON member is absent or a string. */
static enum att_rc opt_string(const struct att_jv *o, const char *key, const char **out,
			      struct att_err *err)
{
	const struct att_jv *v = att_jv_get(o, key);

	*out = NULL;
	if (!v || v->type == ATT_J_NULL)
		return ATT_OK;
	if (v->type != ATT_J_STR)
		return att_fail(err, ATT_EINVAL, "'%s' must be a string", key);
	*out = v->s;
	return ATT_OK;
}

/* A member of obj not among known[0..n) is refused: a misspelt one
 * ("priorty") would otherwise be dropped and its default taken. */
static enum att_rc only_known(const struct att_jv *obj, const char *const *known, size_t n,
			      const char *where, struct att_err *err)
{
	for (const struct att_jv *m = obj->kids; m; m = m->next) {
		bool found = false;

		for (size_t i = 0; !found && i < n; i++)
			found = !strcmp(m->key, known[i]);
		if (!found)
			return att_fail(err, ATT_EINVAL, "unknown member '%.40s' in %s",
					att_utf8_valid(m->key, strlen(m->key)) ? m->key : "?",
					where);
	}
	return ATT_OK;
}

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]Z" into seconds. */
static bool parse_deadline(const char *s, int64_t *t)
{
	int64_t days;
	char date[11];
	unsigned hh = 0, mm = 0, ss = 0;
	size_t n = strlen(s);

	if (n < 10)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!att_date_parse(date, &days))
		return false;
	if (n == 10) {
		*t = days * 86400 + 86399; /* end of that day */
		return true;
	}
	if (s[10] != 'T' || (n != 17 && n != 20) || s[n - 1] != 'Z')
		return false;
	for (size_t i = 11; i < n - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || ((i == 13 || i == 16) && s[i] == ':')))
			return false;
	hh = (unsigned)((s[11] - '0') * 10 + (s[12] - '0'));
	mm = (unsigned)((s[14] - '0') * 10 + (s[15] - '0'));
	if (n == 20)
		ss = (unsigned)((s[17] - '0') * 10 + (s[18] - '0'));
	if (hh > 23 || mm > 59 || ss > 59)
		return false;
	*t = days * 86400 + hh * 3600 + mm * 60 + ss;
	return true;
}

/* --- stored forms ------------------------------------------------------------ */

/* Makes room for n more bytes (and a NUL) in b, within its maximum. */
static enum att_rc text_room(struct att_buf *b, size_t n)
{
	size_t need;
	char *d;

	if (b->failed)
		return ATT_ELIMIT;
	if (!att_size_add(b->len, n, &need) || !att_size_add(need, 1, &need) ||
	    (b->max && need - 1 > b->max))
		return ATT_ELIMIT;
	if (need <= b->cap)
		return ATT_OK;
	if (b->cap <= SIZE_MAX / 2 && need < 2 * b->cap)
		need = 2 * b->cap;
	d = realloc(b->data, need);
	if (!d)
		return ATT_ENOMEM;
	b->data = d;
	b->cap = need;
	return ATT_OK;
}

/* Appends s as a JSON string the way jansson writes one (att_json_quote),
 * so the stored forms read back exactly as before. */
static enum att_rc text_str(struct att_buf *b, const char *s)
{
	size_t n = strlen(s);
	enum att_rc rc = n > SIZE_MAX / 8 ? ATT_ELIMIT : text_room(b, 6 * n + 2);

	if (rc)
		return rc;
	b->len += att_json_quote(s, n, b->data + b->len);
	b->data[b->len] = '\0';
	return ATT_OK;
}

/* Appends "<sep>\"key\":" (key needs no escaping) and the string value. */
static enum att_rc text_member(struct att_buf *b, bool first, const char *key,
			       const char *value)
{
	size_t kl = strlen(key);
	enum att_rc rc = text_room(b, kl + 4);

	if (rc)
		return rc;
	b->data[b->len++] = first ? '{' : ',';
	b->data[b->len++] = '"';
	memcpy(b->data + b->len, key, kl);
	b->len += kl;
	b->data[b->len++] = '"';
	b->data[b->len++] = ':';
	return text_str(b, value);
}

/* One hit a query found: the other ref, the score and, for a name, the
 * explanation as JSON text (a few hundred bytes: what is kept of the
 * index's 2 KB explanation). */
struct kept_hit {
	uint64_t ref;
	double score;
	char *expl;
	size_t expl_len;
};

/* What the query of one new entity found, kept from the query to the writing
 * of its hit rows (a batch runs all its queries before all its writes),
 * allocated to the number found. */
struct found {
	struct kept_hit *hits;
	size_t n;
};

static void found_release(struct found *fd)
{
	for (size_t i = 0; fd->hits && i < fd->n; i++)
		if (fd->hits[i].expl) {
			/* the names of both sides */
			sodium_memzero(fd->hits[i].expl, fd->hits[i].expl_len);
			free(fd->hits[i].expl);
		}
	free(fd->hits);
	memset(fd, 0, sizeof(*fd));
}

/* Keeps n name hits from the index's: ref, score, explanation text. */
static enum att_rc keep_name_hits(const struct att_match_hit *hits, size_t n, struct found *fd,
				  struct att_err *err)
{
	fd->hits = calloc(n, sizeof(*fd->hits));
	if (!fd->hits)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char small[2048];
		size_t el = att_match_expl_json_text(&hits[i].expl, small, sizeof(small));
		char *t = el ? malloc(el + 1) : NULL;

		if (t && el < sizeof(small))
			memcpy(t, small, el + 1);
		else if (t)
			att_match_expl_json_text(&hits[i].expl, t, el + 1);
		sodium_memzero(small, sizeof(small));
		if (!el || !t) {
			free(t);
			fd->n = i;
			found_release(fd);
			return el ? att_fail(err, ATT_ENOMEM, "out of memory")
				  : att_fail(err, ATT_EINVAL, "a hit's score is not a number");
		}
		fd->hits[i].ref = hits[i].ref;
		fd->hits[i].score = hits[i].score;
		fd->hits[i].expl = t;
		fd->hits[i].expl_len = el;
	}
	fd->n = n;
	return ATT_OK;
}

/* One entity of a message being sent: checked, in the form the index takes,
 * where its stored JSON text lies in the message's buffer, and what its
 * query found. Strings point into the parsed message. */
struct send_ent {
	const char *type;
	const char *value; /* an identifier's value as sent */
	const char *dob; /* a person's date of birth as sent */
	struct att_name *norm; /* a name, normalised once (form.norm) */
	struct att_entity_form form;
	char canon[ATT_ID_CANON_MAX + 2];
	size_t off, len;
	struct found found;
};

/* One entity, validated and canonicalised; its stored JSON form is appended
 * to text. */
static enum att_rc check_entity(const struct att_jv *e, size_t i, struct send_ent *se,
				struct att_buf *text, struct att_err *err)
{
	const char *type, *value;
	char what[64];
	enum att_rc rc;

	memset(&se->form, 0, sizeof(se->form));
	se->off = text->len;
	if (e->type != ATT_J_OBJ)
		return att_fail(err, ATT_EINVAL, "entity %zu must be an object", i + 1);
	type = jstr(e, "type");
	if (!type)
		return att_fail(err, ATT_EINVAL, "entity %zu has no type", i + 1);
	se->type = type;
	{
		/* a person or organization has a name, an identifier a value */
		static const char *const named[] = {"type", "name", "dob", "nationality"};
		static const char *const valued[] = {"type", "value"};
		bool is_named = !strcmp(type, "person") || !strcmp(type, "organization");
		char where[32];

		snprintf(where, sizeof(where), "entity %zu (%.20s)", i + 1,
			 att_utf8_valid(type, strlen(type)) ? type : "?");
		rc = is_named ? only_known(e, named, 4, where, err)
			      : only_known(e, valued, 2, where, err);
		if (rc)
			return rc;
	}
	/* what names the entity in a refusal (made when one is needed) */
#define WHAT() (snprintf(what, sizeof(what), "entity %zu (%.20s)", i + 1, type), what)
	if (!strcmp(type, "person") || !strcmp(type, "organization")) {
		const char *name, *dob = NULL, *nat = NULL;
		uint32_t d = 0;

		name = jstr(e, "name");
		if (!name)
			return att_fail(err, ATT_EINVAL, "%s needs a name", WHAT());
		rc = att_check_text(err, WHAT(), name, 300, false, false);
		if (rc)
			return rc;
		se->norm = malloc(sizeof(*se->norm));
		if (!se->norm)
			return att_fail(err, ATT_ENOMEM, "out of memory");
		rc = att_name_normalize(name, strlen(name), se->norm, err);
		if (rc)
			return rc == ATT_ELIMIT ? ATT_EINVAL : rc;
		if (opt_string(e, "dob", &dob, err) || opt_string(e, "nationality", &nat, err))
			return ATT_EINVAL;
		if (dob && *dob && !att_match_dob_parse(dob, &d))
			return att_fail(err, ATT_EINVAL, "%s: date of birth '%.20s' is not a date",
					WHAT(), att_utf8_valid(dob, strlen(dob)) ? dob : "?");
		if (nat && att_check_text(err, "nationality", nat, 64, true, false))
			return ATT_EINVAL;
		se->dob = dob;
		if (dob && !*dob)
			dob = NULL;
		if (nat && !*nat)
			nat = NULL;
		se->form.name = name;
		se->form.norm = se->norm;
		se->form.attrs.dob = dob ? d : 0;
		se->form.attrs.nat = att_match_nat_key(nat);
		rc = text_member(text, true, "type", type);
		if (!rc)
			rc = text_member(text, false, "name", name);
		if (!rc && dob)
			rc = text_member(text, false, "dob", dob);
		if (!rc && nat)
			rc = text_member(text, false, "nationality", nat);
	} else {
		enum att_id_type t;
		struct att_err e2 = {0};
		bool vehicle = !strcmp(type, "vehicle");

		value = jstr(e, "value");
		if (!value)
			return att_fail(err, ATT_EINVAL, "%s needs a value", WHAT());
		if (!vehicle && !att_id_type_parse(type, &t))
			return att_fail(err, ATT_EINVAL,
					"entity %zu has unknown type '%.20s' (person, organization, "
					"phone, iban, email, ip, cidr, domain, url, btc, eth, "
					"document, vehicle)",
					i + 1, att_utf8_valid(type, strlen(type)) ? type : "?");
		if (vehicle)
			t = ATT_ID_DOCUMENT;
		if (strlen(value) > ATT_ID_INPUT_MAX)
			return att_fail(err, ATT_EINVAL, "%s: value is too long", WHAT());
		se->canon[0] = 'V';
		se->canon[1] = ':';
		if (att_id_canon(t, value, strlen(value), NULL, vehicle ? se->canon + 2 : se->canon,
				 ATT_ID_CANON_MAX, &e2))
			return att_fail(err, ATT_EINVAL, "%s: %s", WHAT(), e2.msg);
		/* as the index reads it back (att_entity_index_form) */
		se->form.canon = se->canon;
		se->value = value;
		se->form.idtype = t == ATT_ID_URL ? ATT_ID_DOMAIN : t;
		rc = text_member(text, true, "type", type);
		if (!rc)
			rc = text_member(text, false, "value", value);
		if (!rc)
			rc = text_member(text, false, "canon", se->canon);
	}
	if (!rc)
		rc = att_buf_add(text, "}", 1);
	if (rc)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	se->len = text->len - se->off;
	return ATT_OK;
#undef WHAT
}

static const char *const preservation_fields[] = {"authority", "offence", "facts", "data",
						  "custodian", "necessity"};

bool att_x_is_address(enum att_id_type t)
{
	return t == ATT_ID_EMAIL || t == ATT_ID_DOMAIN || t == ATT_ID_URL;
}

enum att_rc att_x_protected_texts(struct att_node *node, const struct att_x_texts *t,
				  json_t *reasons, struct att_err *err)
{
	/* free text: the fields, then a preservation request's elements (in
	 * att_preservation_fields' order), and names cut across two */
	const char *texts[7 + 8], *wheres[7 + 8];
	char pw[8][32];
	size_t nt = 7;
	/* the addresses, read as one text (one query budget) */
	enum att_rc rc = att_policy_protected_addresses(node, t->addr, t->naddr, reasons, err);

	texts[0] = t->purpose, wheres[0] = "purpose";
	texts[1] = t->subject, wheres[1] = "subject";
	texts[2] = t->body, wheres[2] = "body";
	texts[3] = t->htext, wheres[3] = "handling_text";
	texts[4] = t->legal, wheres[4] = "legal_basis";
	texts[5] = t->case_title, wheres[5] = "case.title";
	texts[6] = t->case_purpose, wheres[6] = "case.purpose";
	for (size_t i = 0; t->pres && i < sizeof(preservation_fields) / sizeof(preservation_fields[0]) &&
			   nt < sizeof(texts) / sizeof(texts[0]);
	     i++) {
		const char *pv = json_string_value(json_object_get(t->pres, preservation_fields[i]));

		if (!pv)
			continue;
		snprintf(pw[nt - 7], sizeof(pw[0]), "preservation.%s", preservation_fields[i]);
		texts[nt] = pv;
		wheres[nt] = pw[nt - 7];
		nt++;
	}
	for (size_t i = 0; !rc && i < nt; i++)
		rc = att_policy_protected_text(node, texts[i], wheres[i], reasons, err);
	if (!rc)
		rc = att_policy_protected_seams(node, texts, wheres, nt, reasons, err);
	return rc;
}

static enum att_rc check_preservation(const struct att_jv *p, json_t **out, int64_t *days,
				      struct att_err *err)
{
	const struct att_jv *v;
	json_t *o;

	*out = NULL;
	if (!p || p->type != ATT_J_OBJ)
		return att_fail(err, ATT_EINVAL,
				"a preservation request needs 'preservation' with the elements of "
				"Budapest Convention art. 29(2): authority, offence, facts, data, "
				"custodian, necessity, mlat_intent");
	{
		static const char *const known[] = {"authority", "offence",   "facts",
						    "data",      "custodian", "necessity",
						    "mlat_intent", "days"};

		if (only_known(p, known, sizeof(known) / sizeof(known[0]), "'preservation'", err))
			return ATT_EINVAL;
	}
	o = json_object();
	for (size_t i = 0; i < sizeof(preservation_fields) / sizeof(preservation_fields[0]); i++) {
		const char *s = jstr(p, preservation_fields[i]);
		char what[64];

		snprintf(what, sizeof(what), "preservation.%s", preservation_fields[i]);
		if (att_check_text(err, what, s, 4000, false, true)) {
			json_decref(o);
			return ATT_EINVAL;
		}
		json_object_set_new(o, preservation_fields[i], json_string(s));
	}
	v = att_jv_get(p, "mlat_intent");
	if (!v || v->type != ATT_J_TRUE) {
		json_decref(o);
		return att_fail(err, ATT_EINVAL,
				"preservation.mlat_intent must be true: art. 29(2)(f) requires the "
				"intention to submit a request for mutual assistance");
	}
	json_object_set_new(o, "mlat_intent", json_true());
	v = att_jv_get(p, "days");
	*days = 90;
	if (v) {
		if (v->type != ATT_J_INT || v->i < ATT_PRESERVE_MIN_DAYS ||
		    v->i > ATT_PRESERVE_MAX_DAYS) {
			json_decref(o);
			return att_fail(err, ATT_EINVAL,
					"preservation.days must be a whole number from %d (art. 29(3)) "
					"to %d",
					ATT_PRESERVE_MIN_DAYS, ATT_PRESERVE_MAX_DAYS);
		}
		*days = v->i;
	}
	json_object_set_new(o, "days", json_integer(*days));
	*out = o;
	return ATT_OK;
}

/* --- sending -------------------------------------------------------------------- */

/* Seals text[0..len) bound to "what:id". */
static enum att_rc seal_text(struct att_node *node, const char *text, size_t len,
			     const char *what, int64_t id, unsigned char **out, size_t *outlen,
			     struct att_err *err)
{
	char ad[48];

	att_x_ad(ad, sizeof(ad), what, id);
	return att_keys_seal(node->keys, (const unsigned char *)text, len, ad, out, outlen, err);
}

/* Queries the index for one new entity and keeps what it found in *fd, then
 * adds the entity to the index, so that the next query (of this message or
 * the next) sees it. Changes only memory; the index addition is undone with
 * the transaction. */
static enum att_rc match_query(struct att_node *node, int64_t entity_id,
			       const struct att_entity_home *home,
			       const struct att_entity_form *f, struct found *fd,
			       struct att_err *err)
{
	struct att_match_index *ix = att_holdings_index(node);
	size_t n = 0;
	enum att_rc rc = ATT_OK;
	/* a name is normalised once, for the query and for the index */
	struct att_entity_form nf = *f;
	struct att_name *nm = NULL;

	memset(fd, 0, sizeof(*fd));
	if (f->name) {
		struct att_match_query q;
		struct att_match_hit *hits = malloc(HITS_PER_ENTITY * sizeof(*hits));

		nm = f->norm ? NULL : malloc(sizeof(*nm));
		if (!hits || (!f->norm && !nm)) {
			free(hits);
			free(nm);
			return att_fail(err, ATT_ENOMEM, "out of memory");
		}
		memset(&q, 0, sizeof(q));
		q.name = f->name;
		q.len = strlen(f->name);
		q.attrs = f->attrs;
		q.explain = true;
		rc = f->norm ? ATT_OK : att_name_normalize(q.name, q.len, nm, err);
		if (!rc) {
			q.norm = nf.norm = f->norm ? f->norm : nm;
			rc = att_match_index_query(ix, &q, hits, HITS_PER_ENTITY, &n, err);
		}
		if (rc == ATT_EINVAL) {
			att_err_clear(err);
			rc = ATT_OK;
			n = 0;
		}
		if (!rc && n)
			rc = keep_name_hits(hits, n, fd, err);
		sodium_memzero(hits, n * sizeof(*hits));
		free(hits);
		n = fd->n;
	} else {
		uint64_t refs[HITS_PER_ENTITY];

		rc = att_match_index_query_id(ix, f->idtype, f->canon, refs, HITS_PER_ENTITY, &n,
					      err);
		if (n > HITS_PER_ENTITY)
			n = HITS_PER_ENTITY;
		if (!rc && n) {
			fd->hits = calloc(n, sizeof(*fd->hits));
			if (!fd->hits)
				rc = att_fail(err, ATT_ENOMEM, "out of memory");
			for (size_t i = 0; !rc && i < n; i++) {
				fd->hits[i].ref = refs[i];
				fd->hits[i].score = 1.0;
			}
		}
	}
	if (!rc) {
		fd->n = n;
		rc = att_holdings_add_form(node, entity_id, home, &nf, err);
	}
	free(nm);
	if (rc)
		found_release(fd);
	return rc;
}

/* The other entity's home: from the index's memory, else its row (then
 * ATT_ENOTFOUND when it is gone). */
static enum att_rc other_home(struct att_node *node, int64_t id, struct att_entity_home *h,
			      struct att_err *err)
{
	char type[16];
	enum att_rc rc;

	if (att_holdings_home(node, id, h))
		return ATT_OK;
	rc = att_store_entity_meta(node->store, id, &h->msg_id, &h->case_id, type, err);
	h->kind = rc ? ATT_EK_UNKNOWN : att_entity_kind_of(type);
	return rc;
}

/* Records the hits of one new entity (entity_id at home) from what its query
 * found; *hits counts them. Hits are stored for both holders; content is
 * never copied. Where the index does not know the other entity's home, its
 * row is read, so the messages before this one must be written. */
static enum att_rc record_hits(struct att_node *node, const struct att_entity_home *home,
			       int64_t entity_id, const struct att_entity_form *f,
			       const struct found *fd, bool again, size_t *hits,
			       struct att_err *err)
{
	enum att_rc rc = ATT_OK;
	bool this_name = home->kind == ATT_EK_PERSON || home->kind == ATT_EK_ORGANIZATION;

	for (size_t i = 0; !rc && i < fd->n; i++) {
		uint64_t ref = fd->hits[i].ref;
		struct att_hit_row h;
		unsigned char *sealed = NULL;

		memset(&h, 0, sizeof(h));
		if (ref & ATT_REF_WL) {
			snprintf(h.other_kind, sizeof(h.other_kind), "watchlist");
			h.other_ref = (int64_t)(ref & ~ATT_REF_WL);
		} else {
			struct att_entity_home other;
			bool other_name;

			rc = other_home(node, (int64_t)ref, &other, err);
			if (rc == ATT_ENOTFOUND) {
				att_err_clear(err);
				rc = ATT_OK;
				continue;
			}
			if (rc)
				break;
			/* Not a hit: the same case (its own thread), or a person
			 * against an organization, or a name against an
			 * identifier. */
			other_name = other.kind == ATT_EK_PERSON || other.kind == ATT_EK_ORGANIZATION;
			if (other.msg_id == home->msg_id || other.case_id == home->case_id ||
			    ((other_name || this_name) && other.kind != home->kind))
				continue;
			snprintf(h.other_kind, sizeof(h.other_kind), "entity");
			h.other_ref = (int64_t)ref;
		}
		if (again) {
			bool had = false;

			rc = att_store_hit_exists(node->store, entity_id, h.other_kind, h.other_ref,
						  &had, err);
			if (rc)
				break;
			if (had)
				continue;
		}
		h.entity_id = entity_id;
		h.score = fd->hits[i].score;
		h.created = att_now();
		if (fd->hits[i].expl) {
			/* a name's explanation, written as JSON when its query
			 * ran (keep_name_hits) */
			rc = seal_text(node, fd->hits[i].expl, fd->hits[i].expl_len, "hit", entity_id,
				       &sealed, &h.expl_len, err);
		} else {
			/* the explanation of an exact match, as json_pack wrote it */
			char expl[96];
			int el = snprintf(expl, sizeof(expl),
					  "{\"rule\":\"exact\",\"type\":\"%s\",\"score\":1.0}",
					  att_id_type_name(f->idtype));

			rc = seal_text(node, expl, (size_t)el, "hit", entity_id, &sealed, &h.expl_len,
				       err);
		}
		h.expl = sealed;
		if (!rc)
			rc = att_store_hit_insert(node->store, &h, err);
		free(sealed);
		if (!rc)
			(*hits)++;
	}
	return rc;
}

/* Matches one new entity against everything held, records its hits and
 * adds it to the index: the query and the writes of one entity together. */
static enum att_rc match_entity(struct att_node *node, const struct att_entity_home *home,
				int64_t entity_id, const struct att_entity_form *f, bool again,
				size_t *hits, struct att_err *err)
{
	struct found fd;
	enum att_rc rc = match_query(node, entity_id, home, f, &fd, err);

	if (!rc)
		rc = record_hits(node, home, entity_id, f, &fd, again, hits, err);
	found_release(&fd);
	return rc;
}

/* Collects the entity rows of a message first (the walk's statement must be
 * finished before hits are written). */
struct ent_list {
	struct att_entity_row *rows;
	size_t n, cap;
};

static int collect_entity(const struct att_entity_row *e, void *arg)
{
	struct ent_list *l = arg;
	unsigned char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct att_entity_row *nr = realloc(l->rows, cap * sizeof(*nr));

		if (!nr)
			return 1;
		l->rows = nr;
		l->cap = cap;
	}
	copy = malloc(e->value_len ? e->value_len : 1);
	if (!copy)
		return 1;
	memcpy(copy, e->value, e->value_len);
	l->rows[l->n] = *e;
	l->rows[l->n].value = copy;
	l->n++;
	return 0;
}

static void ent_list_free(struct ent_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->rows[i].value);
	free(l->rows);
}

enum att_rc att_x_match_message(struct att_node *node, int64_t msg_id, bool again,
				size_t *hits, struct att_err *err)
{
	struct ent_list l = {NULL, 0, 0};
	struct att_msg_row m = {0};
	enum att_rc rc = att_store_msg_get(node->store, msg_id, &m, err);

	*hits = 0;
	free((void *)m.content);
	if (!rc)
		rc = att_store_entity_each_of(node->store, msg_id, collect_entity, &l, err);
	for (size_t i = 0; !rc && i < l.n; i++) {
		const struct att_entity_row *e = &l.rows[i];
		struct att_entity_form f;
		char ad[48];
		json_t *v;

		att_x_ad(ad, sizeof(ad), "entity", e->msg_id);
		v = att_x_open_json(node, e->value, e->value_len, ad, err);
		if (!v) {
			rc = ATT_ETAMPER;
			break;
		}
		if (att_entity_form_of(v, &f)) {
			struct att_entity_home home = {e->msg_id, m.case_id,
						       att_entity_kind_of(att_x_jstr(v, "type"))};

			rc = match_entity(node, &home, e->id, &f, again, hits, err);
		}
		json_decref(v);
	}
	ent_list_free(&l);
	return rc;
}

static int64_t default_deadline(const char *priority, int64_t now)
{
	if (!strcmp(priority, "immediate"))
		return now + ATT_DEADLINE_IMMEDIATE;
	if (!strcmp(priority, "urgent"))
		return now + ATT_DEADLINE_URGENT;
	return now + ATT_DEADLINE_ROUTINE;
}

/* The case a batch sends to, remembered for the rest of the transaction
 * (sending changes no case) with the last actor found to be a party to it:
 * being a party only grows while messages are sent, and a message rolled
 * back was checked before it wrote anything. */
struct case_memo {
	uint64_t epoch;
	struct att_case_row c;
	char party[ATT_ID_MAX + 1];
	char party_unit[2 * ATT_ID_MAX + 2];
};

static enum att_rc case_for_send(struct att_node *node, const struct access *a, int64_t id,
				 const struct att_case_row **out, bool *party,
				 struct att_err *err)
{
	struct case_memo *cm = node->case_memo;
	enum att_rc rc;

	*party = false;
	if (!cm) {
		cm = node->case_memo = calloc(1, sizeof(*cm));
		if (!cm)
			return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	if (cm->epoch != node->tx_epoch || cm->c.id != id || !att_store_in_tx(node->store)) {
		cm->epoch = 0;
		cm->party[0] = '\0';
		rc = att_x_case_get(node, id, &cm->c, err);
		if (rc)
			return rc;
		cm->epoch = node->tx_epoch;
	}
	*out = &cm->c;
	if (cm->party[0] && !strcmp(cm->party, a->actor.id) && !strcmp(cm->party_unit, a->m.unit)) {
		*party = true;
		return ATT_OK;
	}
	rc = att_x_may_use_case(node, a, &cm->c, party, err);
	if (!rc && *party) {
		snprintf(cm->party, sizeof(cm->party), "%s", a->actor.id);
		snprintf(cm->party_unit, sizeof(cm->party_unit), "%s", a->m.unit);
	}
	return rc;
}

/* Sending goes in three phases: prepare() checks a message and applies the
 * safeguards (reads only); match_outgoing() gives it its ids and runs the
 * cross-match query of each entity, adding each to the index (memory only);
 * write_outgoing() writes it all. A batch runs each phase for many messages
 * before the next phase, so that its queries run back to back while the
 * index is in the caches (the writes, sealing and audit of a message evict
 * it); a single message, or a batch redone with savepoints, goes through
 * the three one message at a time. */

/* A message between its checks and its storing. */
struct outgoing {
	struct access a;
	struct att_jdoc *in;
	const struct att_jv *to;
	json_t *pres, *reasons;
	const char *type, *field, *handling, *htext, *source, *priority, *purpose, *subject;
	const char *body, *legal;
	int64_t case_id, reply_to, info, now, deadline, preserve_until;
	int64_t id, first_ent; /* taken by match_outgoing */
	struct send_ent *ents;
	size_t nents;
	struct att_buf text; /* the entities' stored forms */
	size_t len;          /* of the message as sent */
	bool held;
};

static void outgoing_release(struct outgoing *o)
{
	for (size_t i = 0; o->ents && i < o->nents; i++) {
		free(o->ents[i].norm);
		found_release(&o->ents[i].found);
	}
	att_jdoc_free(o->in);
	json_decref(o->pres);
	json_decref(o->reasons);
	free(o->ents);
	if (o->text.data)
		sodium_memzero(o->text.data, o->text.len);
	att_buf_release(&o->text);
	memset(o, 0, sizeof(*o));
}

/* The next message and entity ids, read once per transaction (the write lock
 * is held, so nobody else takes ids meanwhile; ids of a message rolled back
 * in a batch are simply skipped). */
static enum att_rc next_ids(struct att_node *node, struct att_err *err)
{
	enum att_rc rc;

	if (node->next_msg_epoch != node->tx_epoch) {
		rc = att_store_next_id(node->store, "messages", &node->next_msg_id, err);
		if (rc)
			return rc;
		node->next_msg_epoch = node->tx_epoch;
	}
	if (node->next_ent_epoch != node->tx_epoch) {
		rc = att_store_next_id(node->store, "entities", &node->next_ent_id, err);
		if (rc)
			return rc;
		node->next_ent_epoch = node->tx_epoch;
	}
	return ATT_OK;
}

/* Checks one message and applies the safeguards: reads only, so a refusal
 * leaves nothing to undo. unwritten: messages before this one in the batch
 * are checked but not written yet; then *wait is set when the message may
 * need what they write (it is refused for now, as not a party to the case or
 * replying to a message it cannot find yet): the caller writes them and
 * checks it again. */
static enum att_rc prepare(struct att_node *node, const char *actor_id, const char *text,
			   size_t len, bool unwritten, struct outgoing *o, bool *wait,
			   struct att_err *err)
{
	static const char *const priorities[] = {"immediate", "urgent", "routine"};
	static const char *const sources[] = {"A", "B", "C", "X"};
	const struct att_case_row *c = NULL;
	const struct att_jv *in, *ents, *v;
	json_error_t jerr;
	int64_t pdays = 0;
	bool case_ok = false;
	enum att_rc rc;
	size_t i;

	memset(o, 0, sizeof(*o));
	*wait = false;
	o->now = att_now();
	o->len = len;
	att_buf_init(&o->text, 16u * ATT_MSG_MAX);
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_SEND, &o->a, err);
	if (rc)
		return rc;
	if (len > ATT_MSG_MAX)
		return att_fail(err, ATT_ELIMIT, "the message is too large (%zu bytes, at most %u)",
				len, ATT_MSG_MAX);
	if (!att_utf8_valid(text, len))
		return att_fail(err, ATT_EINVAL, "the message is not valid UTF-8");
	rc = att_jdoc_parse(text, len, &o->in, &jerr);
	if (rc == ATT_ENOMEM)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (rc)
		return att_fail(err, ATT_EINVAL, "the message is not valid JSON: %s (line %d)",
				jerr.text, jerr.line);
	in = att_jdoc_root(o->in);
	if (in->type != ATT_J_OBJ)
		return att_fail(err, ATT_EINVAL, "the message must be a JSON object");
	if (att_jv_depth(in) > ATT_MSG_DEPTH_MAX)
		return att_fail(err, ATT_EINVAL,
				"the message is nested too deeply (at most %d levels)",
				ATT_MSG_DEPTH_MAX);
	{
		static const char *const known[] = {
			"case",	   "type",    "to",      "field",	  "handling",    "handling_text",
			"source",  "information", "priority", "deadline", "purpose", "subject",
			"body",	   "entities", "in_reply_to", "preservation", "legal_basis"};

		rc = only_known(in, known, sizeof(known) / sizeof(known[0]), "the message", err);
		if (rc)
			return rc;
	}
	/* required scalar members */
	o->type = jstr(in, "type");
	o->field = jstr(in, "field");
	o->handling = jstr(in, "handling");
	o->source = jstr(in, "source");
	o->priority = jstr(in, "priority");
	o->purpose = jstr(in, "purpose");
	o->subject = jstr(in, "subject");
	o->body = jstr(in, "body");
	v = att_jv_get(in, "case");
	if (!v || v->type != ATT_J_INT || v->i <= 0)
		return att_fail(err, ATT_EINVAL, "'case' must be the number of an open case");
	o->case_id = v->i;
	if (!in_list(o->type, msg_types, 5))
		return att_fail(err, ATT_EINVAL,
				"'type' must be request, reply, information, alert or preservation");
	if (!att_field_valid(o->field))
		return att_fail(err, ATT_EINVAL,
				"'field' must be terrorism, organized-crime or cybercrime");
	if (!(o->a.m.fields & att_field_bit(o->field)))
		return att_fail(err, ATT_EDENIED,
				"denied: the field %s is outside the mandate of %s (%s)", o->field,
				o->a.actor.id, o->a.m.unit);
	if (!att_handling_valid(o->handling))
		return att_fail(err, ATT_EINVAL, "'handling' must be H0, H1, H2 or H3");
	if (opt_string(in, "handling_text", &o->htext, err) ||
	    att_check_text(err, "handling_text", o->htext, 1000, strcmp(o->handling, "H3") != 0,
			   true))
		return ATT_EINVAL;
	if (!in_list(o->source, sources, 4))
		return att_fail(err, ATT_EINVAL, "'source' must be A, B, C or X");
	v = att_jv_get(in, "information");
	if (!v || v->type != ATT_J_INT || v->i < 1 || v->i > 4)
		return att_fail(err, ATT_EINVAL, "'information' must be 1, 2, 3 or 4");
	o->info = v->i;
	if (!o->priority)
		o->priority = "routine";
	if (!in_list(o->priority, priorities, 3))
		return att_fail(err, ATT_EINVAL, "'priority' must be immediate, urgent or routine");
	if (att_check_text(err, "purpose", o->purpose, 2000, false, true) ||
	    att_check_text(err, "subject", o->subject, 500, false, false) ||
	    att_check_text(err, "body", o->body, ATT_MSG_BODY_MAX, !strcmp(o->type, "preservation"),
			   true))
		return ATT_EINVAL;
	{
		const char *deadline_s = NULL;

		if (opt_string(in, "legal_basis", &o->legal, err) ||
		    att_check_text(err, "legal_basis", o->legal, 1000, true, true) ||
		    opt_string(in, "deadline", &deadline_s, err))
			return ATT_EINVAL;
		if (deadline_s && *deadline_s) {
			if (!parse_deadline(deadline_s, &o->deadline))
				return att_fail(err, ATT_EINVAL,
						"'deadline' '%.32s' is not a date YYYY-MM-DD or "
						"YYYY-MM-DDTHH:MM:SSZ within the years 1900-2200",
						att_utf8_valid(deadline_s, strlen(deadline_s))
							? deadline_s
							: "?");
			if (o->deadline <= o->now)
				return att_fail(err, ATT_EINVAL, "'deadline' %s has passed", deadline_s);
			/* no later than the priority's own period (an immediate
			 * request due in 2199 is not immediate), a routine one
			 * within a year */
			if (strcmp(o->priority, "routine") &&
			    o->deadline > default_deadline(o->priority, o->now) +
						  (strlen(deadline_s) == 10 ? 86399 : 0))
				return att_fail(err, ATT_EINVAL,
						"'deadline' %s is later than an %s request allows "
						"(%s); a later one is routine",
						deadline_s, o->priority,
						!strcmp(o->priority, "immediate") ? "8 hours" : "3 days");
			if (o->deadline > o->now + 366 * 86400)
				return att_fail(err, ATT_EINVAL,
						"'deadline' %s is more than a year away", deadline_s);
		} else if (!strcmp(o->type, "request") || !strcmp(o->type, "preservation")) {
			o->deadline = default_deadline(o->priority, o->now);
		}
	}
	if (!strcmp(o->type, "preservation")) {
		if (strcmp(o->field, ATT_FIELD_CYBER))
			return att_fail(err, ATT_EINVAL,
					"a preservation request (Budapest Convention art. 29) is for "
					"stored computer data: its field is cybercrime");
		rc = check_preservation(att_jv_get(in, "preservation"), &o->pres, &pdays, err);
		if (rc)
			return rc;
		o->preserve_until = o->now + pdays * 86400;
	} else if (att_jv_get(in, "preservation") &&
		   att_jv_get(in, "preservation")->type != ATT_J_NULL) {
		return att_fail(err, ATT_EINVAL,
				"'preservation' belongs only to a preservation request");
	}
	/* the case */
	rc = case_for_send(node, &o->a, o->case_id, &c, &case_ok, err);
	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_EINVAL, "no such case %lld", (long long)o->case_id);
	if (rc)
		return rc == ATT_ENOMEM ? rc : ATT_EDB;
	if (strcmp(c->field, o->field))
		return att_fail(err, ATT_EINVAL, "case %lld is in %s, not %s", (long long)o->case_id,
				c->field, o->field);
	if (strcmp(c->status, "open"))
		return att_fail(err, ATT_EINVAL, "case %lld is %s", (long long)o->case_id,
				c->status);
	if (!case_ok) {
		/* an earlier message of the batch may address the sender's unit */
		*wait = unwritten;
		return att_fail(err, ATT_EDENIED, "denied: %s (%s) is not a party to case %lld",
				o->a.actor.id, o->a.m.unit, (long long)o->case_id);
	}
	/* in reply to */
	v = att_jv_get(in, "in_reply_to");
	if (v && v->type != ATT_J_NULL) {
		struct att_msg_row orig;
		bool readable = false;

		if (v->type != ATT_J_INT || v->i <= 0)
			return att_fail(err, ATT_EINVAL, "'in_reply_to' must be a message number");
		o->reply_to = v->i;
		if (unwritten) {
			/* A caller predicting ids may reply to a message of the
			 * same batch: the unwritten ones take the next ids. */
			rc = next_ids(node, err);
			if (rc)
				return rc;
			if (o->reply_to >= node->next_msg_id) {
				*wait = true;
				return att_fail(err, ATT_EINVAL, "message %lld is not written yet",
						(long long)o->reply_to);
			}
		}
		rc = att_store_msg_get(node->store, o->reply_to, &orig, err);
		if (rc == ATT_ENOTFOUND)
			return att_fail(err, ATT_EINVAL, "no such message %lld to reply to",
					(long long)o->reply_to);
		if (rc)
			return rc;
		free((void *)orig.content);
		rc = att_x_may_read(node, &o->a, &orig, &readable, err);
		if (rc)
			return rc;
		if (!readable)
			return att_fail(err, ATT_EDENIED, "denied: %s may not read message %lld",
					o->a.actor.id, (long long)o->reply_to);
		if (orig.case_id != o->case_id)
			return att_fail(err, ATT_EINVAL, "message %lld belongs to case %lld, not %lld",
					(long long)o->reply_to, (long long)orig.case_id,
					(long long)o->case_id);
	} else if (!strcmp(o->type, "reply")) {
		return att_fail(err, ATT_EINVAL, "a reply needs 'in_reply_to'");
	}
	/* recipients */
	o->to = att_jv_get(in, "to");
	if (!o->to || o->to->type != ATT_J_ARR || o->to->n == 0 ||
	    o->to->n > ATT_MSG_RECIPIENTS_MAX)
		return att_fail(err, ATT_EINVAL, "'to' must be a list of 1 to %u units",
				ATT_MSG_RECIPIENTS_MAX);
	for (v = o->to->kids; v; v = v->next) {
		const char *u = att_jv_str(v);

		if (!u)
			return att_fail(err, ATT_EINVAL, "'to' must list units as strings");
		if (!strcmp(u, o->a.m.unit))
			return att_fail(err, ATT_EINVAL,
					"a message is not addressed to its sender's own unit");
		rc = att_policy_addressable(node, u, o->field, err);
		if (rc)
			return rc == ATT_EDB || rc == ATT_ENOMEM ? rc : ATT_EINVAL;
		for (const struct att_jv *k = o->to->kids; k != v; k = k->next)
			if (!strcmp(u, k->s))
				return att_fail(err, ATT_EINVAL, "unit %s is listed twice", u);
	}
	/* entities */
	ents = att_jv_get(in, "entities");
	if (ents && ents->type != ATT_J_NULL &&
	    (ents->type != ATT_J_ARR || ents->n > ATT_MSG_ENTITIES_MAX))
		return att_fail(err, ATT_EINVAL, "'entities' must be a list of at most %u entities",
				ATT_MSG_ENTITIES_MAX);
	o->reasons = json_array();
	o->nents = ents && ents->type == ATT_J_ARR ? ents->n : 0;
	/* The stored forms are no longer than the message escaped: room for
	 * them at once. */
	if (text_room(&o->text, 6 * len + 256))
		return att_fail(err, ATT_ENOMEM, "out of memory");
	o->ents = calloc(o->nents + 1, sizeof(*o->ents));
	if (!o->reasons || !o->ents)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	i = 0;
	for (v = o->nents ? ents->kids : NULL; v; v = v->next, i++) {
		rc = check_entity(v, i, &o->ents[i], &o->text, err);
		if (rc)
			return rc;
	}
	/* safeguards: protected persons (as entities, a person's name or an
	 * organization's, or in an address's text; then named in any field of
	 * free text, or cut across two), then the neutrality screen */
	for (i = 0; !rc && i < o->nents; i++) {
		const struct send_ent *se = &o->ents[i];

		if (se->form.name)
			rc = att_policy_protected(node, se->form.name, se->norm, se->dob, i + 1,
						  o->reasons, err);
	}
	if (!rc) {
		struct att_x_texts t = {o->purpose, o->subject,	  o->body, o->htext, o->legal,
					o->pres,    c->title, c->purpose, {NULL},  0};

		/* the addresses as sent */
		for (i = 0; i < o->nents && t.naddr < ATT_MSG_ENTITIES_MAX; i++) {
			const struct send_ent *se = &o->ents[i];

			if (se->value && !se->form.name && att_x_is_address(se->form.idtype))
				t.addr[t.naddr++] = se->value;
		}
		rc = att_x_protected_texts(node, &t, o->reasons, err);
	}
	if (!rc)
		rc = att_policy_neutrality(node, o->purpose, "purpose", o->reasons, err);
	if (!rc)
		rc = att_policy_neutrality(node, o->subject, "subject", o->reasons, err);
	if (!rc)
		rc = att_policy_neutrality(node, o->body, "body", o->reasons, err);
	/* the case's title and purpose travel with each of its messages */
	if (!rc)
		rc = att_x_case_neutrality(node, c, o->reasons, err);
	if (rc)
		return rc;
	o->held = json_array_size(o->reasons) > 0;
	return ATT_OK;
}

/* The content's stored form: the members json_pack gave it, in its order. */
static enum att_rc content_text(const struct outgoing *o, struct att_buf *b)
{
	enum att_rc rc = text_member(b, true, "purpose", o->purpose);

	if (!rc)
		rc = text_member(b, false, "subject", o->subject);
	if (!rc)
		rc = text_member(b, false, "body", o->body ? o->body : "");
	if (!rc && o->htext && *o->htext)
		rc = text_member(b, false, "handling_text", o->htext);
	if (!rc && o->legal && *o->legal)
		rc = text_member(b, false, "legal_basis", o->legal);
	if (!rc && o->pres) {
		char *p = json_dumps(o->pres, JSON_COMPACT);

		rc = p ? att_buf_adds(b, ",\"preservation\":") : ATT_ENOMEM;
		if (!rc)
			rc = att_buf_adds(b, p);
		if (p) {
			sodium_memzero(p, strlen(p));
			free(p);
		}
	}
	return rc ? rc : att_buf_add(b, "}", 1);
}

/* The audit detail of a send, as json_dumps with sorted keys wrote it. */
static enum att_rc send_detail(const struct outgoing *o, size_t hits, struct att_buf *b)
{
	enum att_rc rc = att_buf_addf(b, "{\"case\":%lld,\"entities\":%zu,",
				      (long long)o->case_id, o->nents);
	const struct att_jv *v;

	if (!rc)
		rc = att_buf_adds(b, "\"field\":");
	if (!rc)
		rc = text_str(b, o->field);
	if (!rc)
		rc = att_buf_adds(b, ",\"handling\":");
	if (!rc)
		rc = text_str(b, o->handling);
	if (!rc)
		rc = att_buf_addf(b, ",\"held\":%s,\"hits\":%zu,\"to\":[", o->held ? "true" : "false",
				  hits);
	for (v = o->to->kids; v; v = v->next) {
		if (!rc && v != o->to->kids)
			rc = att_buf_add(b, ",", 1);
		if (!rc)
			rc = text_str(b, v->s);
	}
	if (!rc)
		rc = att_buf_adds(b, "],\"type\":");
	if (!rc)
		rc = text_str(b, o->type);
	return rc ? rc : att_buf_add(b, "}", 1);
}

/* Phase 2 of sending a checked message: its message and entity ids, in
 * order, then, unless it is held, the query of each entity against
 * everything held (the entities of the messages before it in the batch and
 * its own earlier ones included), each entity added to the index after its
 * query. What was found is kept in o for write_outgoing. Changes only memory
 * (the index, undone with the transaction). */
static enum att_rc match_outgoing(struct att_node *node, struct outgoing *o,
				  struct att_err *err)
{
	enum att_rc rc = next_ids(node, err);

	if (rc)
		return rc;
	o->id = node->next_msg_id++;
	o->first_ent = node->next_ent_id;
	node->next_ent_id += (int64_t)o->nents;
	for (size_t i = 0; !o->held && !rc && i < o->nents; i++) {
		struct att_entity_home home = {o->id, o->case_id, att_entity_kind_of(o->ents[i].type)};

		rc = match_query(node, o->first_ent + (int64_t)i, &home, &o->ents[i].form,
				 &o->ents[i].found, err);
	}
	return rc;
}

/* Phase 3: writes a matched message: sealed content, recipients, entities,
 * the review or the hits found in phase 2, and the audit entry. The messages
 * before it in the batch must be written (its hits are checked against their
 * rows). A failure here has written part of the message: the caller undoes
 * it. */
static enum att_rc write_outgoing(struct att_node *node, struct outgoing *o,
				  struct att_send_result *res, struct att_err *err)
{
	struct att_msg_row m;
	struct att_entity_row *rows = NULL;
	unsigned char **sealed_ents = NULL;
	unsigned char *sealed = NULL, *sealed_subject = NULL;
	struct att_buf b;
	enum att_rc rc;
	size_t i;
	const struct att_jv *v;

	memset(&m, 0, sizeof(m));
	att_buf_init(&b, 16u * ATT_MSG_MAX);
	m.id = o->id;
	rc = text_room(&b, 6 * o->len + 256);
	if (!rc)
		rc = content_text(o, &b);
	if (rc) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
		goto out;
	}
	rc = seal_text(node, b.data, b.len, "message", m.id, &sealed, &m.content_len, err);
	sodium_memzero(b.data, b.len);
	if (!rc)
		rc = seal_text(node, o->subject, strlen(o->subject), "subject", m.id,
			       &sealed_subject, &m.subject_len, err);
	if (rc)
		goto out;
	m.content = sealed;
	m.subject = sealed_subject;
	m.case_id = o->case_id;
	copy_str(m.type, sizeof(m.type), o->type);
	copy_str(m.sender, sizeof(m.sender), o->a.actor.id);
	copy_str(m.sender_unit, sizeof(m.sender_unit), o->a.m.unit);
	copy_str(m.field, sizeof(m.field), o->field);
	copy_str(m.handling, sizeof(m.handling), o->handling);
	copy_str(m.source, sizeof(m.source), o->source);
	m.information = (int)o->info;
	copy_str(m.priority, sizeof(m.priority), o->priority);
	m.deadline = o->deadline;
	m.preserve_until = o->preserve_until;
	m.in_reply_to = o->reply_to;
	copy_str(m.status, sizeof(m.status), o->held ? "held" : "delivered");
	m.created = o->now;
	rc = att_store_msg_insert(node->store, &m, &res->id, err);
	if (rc)
		goto out;
	for (v = o->to->kids; v; v = v->next) {
		struct att_recip_row r;

		memset(&r, 0, sizeof(r));
		r.msg_id = res->id;
		copy_str(r.unit, sizeof(r.unit), v->s);
		copy_str(r.state, sizeof(r.state), o->held ? "held" : "delivered");
		r.updated = o->now;
		rc = att_store_recip_insert(node->store, &r, err);
		if (rc)
			goto out;
	}
	rows = calloc(o->nents + 1, sizeof(*rows));
	sealed_ents = calloc(o->nents + 1, sizeof(*sealed_ents));
	if (!rows || !sealed_ents) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nents && !rc; i++) {
		const struct send_ent *se = &o->ents[i];

		rows[i].id = o->first_ent + (int64_t)i;
		rows[i].msg_id = res->id;
		copy_str(rows[i].type, sizeof(rows[i].type), se->type);
		rc = seal_text(node, o->text.data + se->off, se->len, "entity", res->id,
			       &sealed_ents[i], &rows[i].value_len, err);
		rows[i].value = sealed_ents[i];
	}
	if (!rc)
		rc = att_store_entity_insert_many(node->store, rows, o->nents, err);
	if (!rc && o->reply_to)
		rc = att_store_recip_set(node->store, o->reply_to, o->a.m.unit, "answered", o->now,
					 err);
	if (rc)
		goto out;
	if (o->held) {
		unsigned char *sr = NULL;
		size_t srlen = 0;
		char ad[48];

		att_x_ad(ad, sizeof(ad), "review", res->id);
		rc = att_x_seal_json(node, o->reasons, ad, &sr, &srlen, err);
		if (!rc)
			rc = att_store_review_insert(node->store, res->id, sr, srlen, err);
		free(sr);
	} else {
		for (i = 0; !rc && i < o->nents; i++) {
			const struct send_ent *se = &o->ents[i];
			struct att_entity_home home = {res->id, o->case_id,
						       att_entity_kind_of(se->type)};

			rc = record_hits(node, &home, rows[i].id, &se->form, &se->found, false,
					 &res->hits, err);
		}
	}
	if (!rc) {
		char obj[48];

		b.len = 0;
		ref_text(obj, sizeof(obj), "message", '/', res->id);
		rc = send_detail(o, res->hits, &b);
		if (rc)
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
		else
			rc = att_audit_append(node, &o->a.actor, "message.send", obj, b.data, err);
	}
	if (!rc) {
		res->held = o->held;
		if (o->held) {
			res->reasons = o->reasons;
			o->reasons = NULL;
		}
	}
out:
	for (i = 0; sealed_ents && i < o->nents; i++)
		free(sealed_ents[i]);
	free(sealed_ents);
	free(rows);
	free(sealed_subject);
	free(sealed);
	att_buf_release(&b);
	if (rc) {
		res->id = 0;
		res->hits = 0;
		res->held = false;
	}
	return rc;
}

/* Phases 2 and 3 for one checked message. */
static enum att_rc store(struct att_node *node, struct outgoing *o,
			 struct att_send_result *res, struct att_err *err)
{
	enum att_rc rc = match_outgoing(node, o, err);

	return rc ? rc : write_outgoing(node, o, res, err);
}

enum att_rc att_msg_send(struct att_node *node, const char *actor_id, const char *json,
			 size_t len, struct att_send_result *res, struct att_err *err)
{
	struct outgoing o;
	bool wait;
	enum att_rc rc;

	memset(res, 0, sizeof(*res));
	rc = att_node_begin(node, err);
	if (!rc)
		rc = att_holdings_sync(node, err);
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	rc = prepare(node, actor_id, json, len, false, &o, &wait, err);
	if (!rc)
		rc = store(node, &o, res, err);
	outgoing_release(&o);
	rc = att_node_done(node, rc, err);
	if (rc)
		att_send_result_release(res);
	return rc;
}

/* Checked messages of a batch wait for their queries and writes in a window,
 * their outgoing forms and their queries' kept hits held in memory together:
 * a window closes at PHASE_MSGS messages, or with the message that brings
 * it to PHASE_BYTES bytes of text or PHASE_ENTS entities (at most 16 kept
 * hits each, a few hundred bytes a hit). */
#define PHASE_MSGS 64u
#define PHASE_BYTES (4u * ATT_MSG_MAX)
#define PHASE_ENTS 1024u

/* Whether a message refused as not a party to its case (o) becomes one
 * through a checked message of the window that is not written yet: one in
 * the same case addressed to the sender's unit (the only way a send makes
 * a party). A reply refused for now (o->reply_to set) always may. */
static bool may_need_window(const struct outgoing *o, const struct outgoing *win, size_t k,
			    const enum att_rc *rcs)
{
	if (o->reply_to)
		return true;
	for (size_t j = 0; j < k; j++) {
		if (rcs[j] || win[j].case_id != o->case_id)
			continue;
		for (const struct att_jv *v = win[j].to ? win[j].to->kids : NULL; v; v = v->next)
			if (v->s && !strcmp(v->s, o->a.m.unit))
				return true;
	}
	return false;
}

/* Phases 2 and 3 for the messages o[0..k) of a batch (res, rcs and errs in
 * step; a message refused in phase 1 has its outgoing form released and is
 * skipped): all the queries, then all the writes, each in batch order. A
 * failure leaves the transaction torn (*torn). Releases every o[i]. */
static void flush_phases(struct att_node *node, struct outgoing *o, size_t k,
			 struct att_send_result *res, enum att_rc *rcs, struct att_err *errs,
			 bool *torn)
{
	size_t i;

	for (i = 0; i < k && !*torn; i++)
		if (!rcs[i] && (rcs[i] = match_outgoing(node, &o[i], &errs[i])) != ATT_OK)
			*torn = true;
	for (i = 0; i < k && !*torn; i++)
		if (!rcs[i] && (rcs[i] = write_outgoing(node, &o[i], &res[i], &errs[i])) != ATT_OK)
			*torn = true;
	for (i = 0; i < k; i++)
		outgoing_release(&o[i]);
}

/* Sends the messages of a batch in the open transaction, in phases (see
 * struct outgoing): each is checked, then the checked ones are matched
 * together, then written together, up to PHASE_MSGS at a time. A message is
 * checked before anything is written for it, so one refused leaves nothing
 * behind; one that may need what the messages before it write (prepare's
 * wait) has them written first and is checked again. Any failure in phase 2
 * or 3 (the database, memory) leaves part of the batch behind: that makes
 * *torn true, and the caller starts again with send_each. */
static enum att_rc send_phased(struct att_node *node, const char *const *actor_ids,
			       const char *const *jsons, const size_t *lens, size_t n,
			       struct att_send_result *res, enum att_rc *rcs,
			       struct att_err *errs, bool *torn, struct att_err *err)
{
	size_t cap = n < PHASE_MSGS ? n : PHASE_MSGS;
	struct outgoing *o = calloc(cap ? cap : 1, sizeof(*o));
	/* message i is o[i - first]; ready of them are checked and wait for
	 * phases 2 and 3, with bytes of text */
	size_t first = 0, ready = 0, bytes = 0, ents = 0;

	/* all of them: the caller releases every result after a torn batch */
	memset(res, 0, n * sizeof(*res));
	if (!o)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !*torn; i++) {
		bool wait = false;

		att_err_clear(&errs[i]);
		rcs[i] = prepare(node, actor_ids[i], jsons[i], lens[i], ready > 0, &o[i - first],
				 &wait, &errs[i]);
		if (rcs[i] && wait &&
		    may_need_window(&o[i - first], o, i - first, rcs + first)) {
			outgoing_release(&o[i - first]);
			flush_phases(node, o, i - first, res + first, rcs + first, errs + first,
				     torn);
			if (*torn)
				break;
			first = i;
			ready = bytes = ents = 0;
			att_err_clear(&errs[i]);
			rcs[i] = prepare(node, actor_ids[i], jsons[i], lens[i], false, &o[0], &wait,
					 &errs[i]);
		}
		if (rcs[i]) {
			outgoing_release(&o[i - first]);
		} else {
			ready++;
			bytes += lens[i];
			ents += o[i - first].nents;
		}
		if (i + 1 - first == cap || bytes >= PHASE_BYTES || ents >= PHASE_ENTS) {
			flush_phases(node, o, i + 1 - first, res + first, rcs + first, errs + first,
				     torn);
			first = i + 1;
			ready = bytes = ents = 0;
		}
	}
	if (!*torn && first < n)
		flush_phases(node, o, n - first, res + first, rcs + first, errs + first, torn);
	free(o);
	return ATT_OK;
}

/* Sends the messages of a batch in the open transaction one at a time, each
 * inside its own savepoint: a message that fails half-stored is undone
 * alone. */
static enum att_rc send_each(struct att_node *node, const char *const *actor_ids,
			     const char *const *jsons, const size_t *lens, size_t n,
			     struct att_send_result *res, enum att_rc *rcs, struct att_err *errs,
			     struct att_err *err)
{
	enum att_rc rc = ATT_OK;

	for (size_t i = 0; i < n; i++) {
		size_t mark = att_holdings_mark(node);
		struct att_audit_frontier saved = node->audit;
		uint64_t pending = node->audit_pending;
		struct outgoing o;
		bool wait;

		memset(&res[i], 0, sizeof(res[i]));
		att_err_clear(&errs[i]);
		rc = att_store_savepoint(node->store, err);
		if (rc)
			break;
		rcs[i] = prepare(node, actor_ids[i], jsons[i], lens[i], false, &o, &wait, &errs[i]);
		if (!rcs[i])
			rcs[i] = store(node, &o, &res[i], &errs[i]);
		outgoing_release(&o);
		if (rcs[i]) {
			att_store_rollback_to(node->store);
			att_holdings_undo(node, mark);
			node->audit = saved;
			node->audit_pending = pending;
			att_send_result_release(&res[i]);
		}
		rc = att_store_release_savepoint(node->store, err);
		if (rc)
			break;
	}
	return rc;
}

static enum att_rc batch_begin(struct att_node *node, struct att_err *err)
{
	enum att_rc rc = att_node_begin(node, err);

	if (!rc)
		rc = att_holdings_sync(node, err);
	if (rc)
		att_node_rollback(node);
	return rc;
}

enum att_rc att_msg_send_many(struct att_node *node, const char *const *actor_ids,
			      const char *const *jsons, const size_t *lens, size_t n,
			      struct att_send_result *res, enum att_rc *rcs,
			      struct att_err *errs, struct att_err *err)
{
	bool torn = false;
	enum att_rc rc = batch_begin(node, err);

	if (rc)
		return rc;
	rc = send_phased(node, actor_ids, jsons, lens, n, res, rcs, errs, &torn, err);
	if (!rc && torn) {
		/* A message failed half-stored: the batch again, each message
		 * inside a savepoint so that only it is undone. */
		att_node_rollback(node);
		for (size_t i = 0; i < n; i++)
			att_send_result_release(&res[i]);
		rc = batch_begin(node, err);
		if (rc)
			return rc;
		rc = send_each(node, actor_ids, jsons, lens, n, res, rcs, errs, err);
	}
	if (rc) {
		att_node_rollback(node);
		for (size_t i = 0; i < n; i++)
			att_send_result_release(&res[i]);
		return rc;
	}
	rc = att_node_commit(node, err);
	if (rc)
		for (size_t i = 0; i < n; i++)
			att_send_result_release(&res[i]);
	return rc;
}

void att_send_result_release(struct att_send_result *res)
{
	json_decref(res->reasons);
	res->reasons = NULL;
}
