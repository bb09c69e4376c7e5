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

char *att_x_seal_text(struct att_node *node, const char *text, struct att_err *err)
{
	unsigned char *sealed = NULL;
	size_t len = 0, b64len;
	char *out;

	if (att_keys_seal(node->keys, (const unsigned char *)text, strlen(text), "audit", &sealed,
			  &len, err))
		return NULL;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	out = malloc(b64len);
	if (out)
		sodium_bin2base64(out, b64len, sealed, len, sodium_base64_VARIANT_ORIGINAL);
	else
		att_fail(err, ATT_ENOMEM, "out of memory");
	free(sealed);
	return out;
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

void att_x_ad(char *ad, size_t n, const char *what, int64_t id)
{
	snprintf(ad, n, "%s:%lld", what, (long long)id);
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

/* Appends an audit entry built from a JSON detail (stolen). */
enum att_rc att_x_audit(struct att_node *node, const struct att_actor *actor,
			      const char *action, const char *object, json_t *detail,
			      struct att_err *err)
{
	char *ds = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	enum att_rc rc;

	json_decref(detail);
	if (detail && !ds)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_audit_append(node, actor, action, object, ds, err);
	free(ds);
	return rc;
}

enum att_rc att_x_list_done(struct att_node *node, const struct att_actor *actor,
			    const char *action, const char *object, enum att_rc rc, json_t *arr,
			    void **out_json, struct att_err *err)
{
	if (!rc)
		rc = att_x_audit(node, actor, action, object,
				 json_pack("{s:I}", "count", (json_int_t)json_array_size(arr)), err);
	rc = att_x_done(node, rc, err);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out_json = arr;
	return ATT_OK;
}

enum att_rc att_x_done(struct att_node *node, enum att_rc rc, struct att_err *err)
{
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
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
	if (!rc)
		rc = att_authz(&a->actor, act, NULL, err);
	if (!rc)
		rc = att_policy_mandate(node, &a->actor, &a->m, err);
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
 * case, or the overseer. Held and rejected messages: sender and overseer. */
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
	return att_store_case_granted(node->store, m->case_id, a->actor.id, a->m.unit, yes, err);
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
	rc = att_store_case_insert(node->store, &c, id, err);
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "case/%lld", (long long)*id);
		rc = att_x_audit(node, &a.actor, "case.open", obj,
				json_pack("{s:s,s:s,s:s}", "field", c.field, "unit", c.owner_unit,
					  "review", c.review_date),
				err);
	}
	rc = att_x_done(node, rc, err);
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
	if (yes)
		json_array_append_new(x->arr, att_x_case_json(c));
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
	return att_x_list_done(node, &a.actor, "case.list", "cases", rc, x.arr, out_json, err);
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

/* Checks a JSON member is absent or a string. */
static enum att_rc opt_string(const json_t *o, const char *key, const char **out,
			      struct att_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return ATT_OK;
	if (!json_is_string(v))
		return att_fail(err, ATT_EINVAL, "'%s' must be a string", key);
	*out = json_string_value(v);
	return ATT_OK;
}

static int json_depth(const json_t *v)
{
	int d = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach((json_t *)v, k, x) {
			int c = json_depth(x);
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach(v, i, x) {
			int c = json_depth(x);
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	return 0;
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

/* One entity, validated and canonicalised into its stored JSON form. */
static enum att_rc check_entity(const json_t *e, size_t i, json_t **out, struct att_err *err)
{
	const char *type, *value;
	char what[64];

	*out = NULL;
	if (!json_is_object(e))
		return att_fail(err, ATT_EINVAL, "entity %zu must be an object", i + 1);
	type = att_x_jstr(e, "type");
	if (!type)
		return att_fail(err, ATT_EINVAL, "entity %zu has no type", i + 1);
	snprintf(what, sizeof(what), "entity %zu (%.20s)", i + 1, type);
	if (!strcmp(type, "person") || !strcmp(type, "organization")) {
		const char *name, *dob = NULL, *nat = NULL;
		struct att_name norm;
		uint32_t d;
		enum att_rc rc;

		name = att_x_jstr(e, "name");
		if (!name)
			return att_fail(err, ATT_EINVAL, "%s needs a name", what);
		rc = att_check_text(err, what, name, 300, false, false);
		if (rc)
			return rc;
		rc = att_name_normalize(name, strlen(name), &norm, err);
		if (rc)
			return rc == ATT_ELIMIT ? ATT_EINVAL : rc;
		if (opt_string(e, "dob", &dob, err) || opt_string(e, "nationality", &nat, err))
			return ATT_EINVAL;
		if (dob && *dob && !att_match_dob_parse(dob, &d))
			return att_fail(err, ATT_EINVAL, "%s: date of birth '%.20s' is not a date",
					what, att_utf8_valid(dob, strlen(dob)) ? dob : "?");
		if (nat && att_check_text(err, "nationality", nat, 64, true, false))
			return ATT_EINVAL;
		*out = json_pack("{s:s,s:s,s:s?,s:s?}", "type", type, "name", name, "dob",
				 dob && *dob ? dob : NULL, "nationality", nat && *nat ? nat : NULL);
		return *out ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	}
	value = att_x_jstr(e, "value");
	if (!value)
		return att_fail(err, ATT_EINVAL, "%s needs a value", what);
	{
		char canon[ATT_ID_CANON_MAX + 2];
		enum att_id_type t;
		struct att_err e2 = {0};
		bool vehicle = !strcmp(type, "vehicle");

		if (!vehicle && !att_id_type_parse(type, &t))
			return att_fail(err, ATT_EINVAL,
					"entity %zu has unknown type '%.20s' (person, organization, "
					"phone, iban, email, ip, cidr, domain, url, btc, eth, "
					"document, vehicle)",
					i + 1, att_utf8_valid(type, strlen(type)) ? type : "?");
		if (vehicle)
			t = ATT_ID_DOCUMENT;
		if (strlen(value) > ATT_ID_INPUT_MAX)
			return att_fail(err, ATT_EINVAL, "%s: value is too long", what);
		canon[0] = 'V';
		canon[1] = ':';
		if (att_id_canon(t, value, strlen(value), NULL, vehicle ? canon + 2 : canon,
				 ATT_ID_CANON_MAX, &e2))
			return att_fail(err, ATT_EINVAL, "%s: %s", what, e2.msg);
		*out = json_pack("{s:s,s:s,s:s}", "type", type, "value", value, "canon", canon);
		return *out ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
	}
}

static const char *const preservation_fields[] = {"authority", "offence", "facts", "data",
						  "custodian", "necessity"};

static enum att_rc check_preservation(const json_t *p, json_t **out, int64_t *days,
				      struct att_err *err)
{
	json_t *o, *v;

	*out = NULL;
	if (!json_is_object(p))
		return att_fail(err, ATT_EINVAL,
				"a preservation request needs 'preservation' with the elements of "
				"Budapest Convention art. 29(2): authority, offence, facts, data, "
				"custodian, necessity, mlat_intent");
	o = json_object();
	for (size_t i = 0; i < sizeof(preservation_fields) / sizeof(preservation_fields[0]); i++) {
		const char *s = att_x_jstr(p, preservation_fields[i]);
		char what[64];

		snprintf(what, sizeof(what), "preservation.%s", preservation_fields[i]);
		if (att_check_text(err, what, s, 4000, false, true)) {
			json_decref(o);
			return ATT_EINVAL;
		}
		json_object_set_new(o, preservation_fields[i], json_string(s));
	}
	v = json_object_get(p, "mlat_intent");
	if (!json_is_true(v)) {
		json_decref(o);
		return att_fail(err, ATT_EINVAL,
				"preservation.mlat_intent must be true: art. 29(2)(f) requires the "
				"intention to submit a request for mutual assistance");
	}
	json_object_set_new(o, "mlat_intent", json_true());
	v = json_object_get(p, "days");
	*days = 90;
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < ATT_PRESERVE_MIN_DAYS ||
		    json_integer_value(v) > ATT_PRESERVE_MAX_DAYS) {
			json_decref(o);
			return att_fail(err, ATT_EINVAL,
					"preservation.days must be a whole number from %d (art. 29(3)) "
					"to %d",
					ATT_PRESERVE_MIN_DAYS, ATT_PRESERVE_MAX_DAYS);
		}
		*days = (int64_t)json_integer_value(v);
	}
	json_object_set_new(o, "days", json_integer(*days));
	*out = o;
	return ATT_OK;
}

/* --- sending -------------------------------------------------------------------- */

struct hit_ctx {
	size_t hits;
};

/* Records the hits of one new entity against everything held, then adds it to
 * the index. Hits are stored for both holders; content is never copied. */
static enum att_rc match_entity(struct att_node *node, int64_t msg_id, int64_t case_id,
				int64_t entity_id, const json_t *value, struct hit_ctx *hc,
				struct att_err *err)
{
	struct att_match_index *ix = att_holdings_index(node);
	struct att_match_attrs attrs;
	enum att_id_type idt;
	const char *name, *canon;
	const char *type = att_x_jstr(value, "type");
	struct att_match_hit *hits = NULL;
	uint64_t refs[HITS_PER_ENTITY];
	size_t n = 0;
	enum att_rc rc = ATT_OK;

	if (!att_entity_index_form(value, &name, &attrs, &idt, &canon))
		return ATT_OK;
	if (name) {
		struct att_match_query q;

		hits = malloc(HITS_PER_ENTITY * sizeof(*hits));
		if (!hits)
			return att_fail(err, ATT_ENOMEM, "out of memory");
		memset(&q, 0, sizeof(q));
		q.name = name;
		q.len = strlen(name);
		q.attrs = attrs;
		q.explain = true;
		rc = att_match_index_query(ix, &q, hits, HITS_PER_ENTITY, &n, err);
		if (rc == ATT_EINVAL) {
			att_err_clear(err);
			rc = ATT_OK;
			n = 0;
		}
	} else {
		rc = att_match_index_query_id(ix, idt, canon, refs, HITS_PER_ENTITY, &n, err);
		if (n > HITS_PER_ENTITY)
			n = HITS_PER_ENTITY;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		uint64_t ref = name ? hits[i].ref : refs[i];
		struct att_hit_row h;
		json_t *expl;
		char ad[48];
		unsigned char *sealed = NULL;

		memset(&h, 0, sizeof(h));
		if (ref & ATT_REF_WL) {
			snprintf(h.other_kind, sizeof(h.other_kind), "watchlist");
			h.other_ref = (int64_t)(ref & ~ATT_REF_WL);
		} else {
			int64_t other_msg = 0, other_case = 0;
			char other_type[16];
			bool other_name, this_name;

			rc = att_store_entity_meta(node->store, (int64_t)ref, &other_msg, &other_case,
						   other_type, err);
			if (rc == ATT_ENOTFOUND) {
				att_err_clear(err);
				rc = ATT_OK;
				continue;
			}
			if (rc)
				break;
			/* Not a hit: the same case (its own thread), or a person
			 * against an organization. */
			other_name = !strcmp(other_type, "person") || !strcmp(other_type, "organization");
			this_name = !strcmp(type, "person") || !strcmp(type, "organization");
			if (other_msg == msg_id || other_case == case_id ||
			    ((other_name || this_name) && strcmp(other_type, type)))
				continue;
			snprintf(h.other_kind, sizeof(h.other_kind), "entity");
			h.other_ref = (int64_t)ref;
		}
		h.entity_id = entity_id;
		h.score = name ? hits[i].score : 1.0;
		h.created = att_now();
		expl = name ? att_match_expl_json(&hits[i].expl)
			    : json_pack("{s:s,s:s,s:f}", "rule", "exact", "type",
					att_id_type_name(idt), "score", 1.0);
		att_x_ad(ad, sizeof(ad), "hit", entity_id);
		rc = expl ? att_x_seal_json(node, expl, ad, &sealed, &h.expl_len, err)
			  : att_fail(err, ATT_ENOMEM, "out of memory");
		json_decref(expl);
		h.expl = sealed;
		if (!rc)
			rc = att_store_hit_insert(node->store, &h, err);
		free(sealed);
		if (!rc)
			hc->hits++;
	}
	free(hits);
	if (!rc)
		rc = att_holdings_add_entity(node, entity_id, value, err);
	return rc;
}

/* Stores and cross-matches the entities of a message. */
struct entity_ctx {
	struct att_node *node;
	int64_t case_id;
	struct hit_ctx hc;
	struct att_err *err;
	enum att_rc rc;
};

static int match_stored_entity(const struct att_entity_row *e, void *arg)
{
	struct entity_ctx *c = arg;
	char ad[48];
	json_t *v;

	att_x_ad(ad, sizeof(ad), "entity", e->msg_id);
	v = att_x_open_json(c->node, e->value, e->value_len, ad, c->err);
	if (!v) {
		c->rc = ATT_ETAMPER;
		return 1;
	}
	c->rc = match_entity(c->node, e->msg_id, c->case_id, e->id, v, &c->hc, c->err);
	json_decref(v);
	return c->rc != ATT_OK;
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

enum att_rc att_x_match_message(struct att_node *node, int64_t msg_id, size_t *hits,
				 struct att_err *err)
{
	struct entity_ctx c = {node, 0, {0}, err, ATT_OK};
	struct ent_list l = {NULL, 0, 0};
	struct att_msg_row m = {0};
	enum att_rc rc = att_store_msg_get(node->store, msg_id, &m, err);

	free((void *)m.content);
	c.case_id = m.case_id;
	if (!rc)
		rc = att_store_entity_each_of(node->store, msg_id, collect_entity, &l, err);

	for (size_t i = 0; !rc && i < l.n; i++) {
		if (match_stored_entity(&l.rows[i], &c))
			rc = c.rc ? c.rc : ATT_EDB;
	}
	ent_list_free(&l);
	*hits = c.hc.hits;
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

/* Validates and stores one message inside the open transaction. */
static enum att_rc send_one(struct att_node *node, const char *actor_id, const char *text,
			    size_t len, struct att_send_result *res, struct att_err *err)
{
	static const char *const priorities[] = {"immediate", "urgent", "routine"};
	static const char *const sources[] = {"A", "B", "C", "X"};
	struct access a;
	struct att_case_row c;
	struct att_msg_row m = {0};
	json_t *in = NULL, *to, *ents, *stored_ents = NULL, *content = NULL, *reasons = NULL;
	json_t *pres = NULL, *v;
	json_error_t jerr;
	const char *type, *field, *handling, *htext = NULL, *source, *priority, *purpose;
	const char *subject, *body, *deadline_s = NULL, *legal = NULL;
	unsigned char *sealed = NULL, *sealed_subject = NULL;
	int64_t *ent_ids = NULL;
	int64_t now = att_now(), pdays = 0, case_id, reply_to = 0, info;
	bool case_ok = false;
	enum att_rc rc;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	rc = att_x_access(node, actor_id, ATT_ACT_MSG_SEND, &a, err);
	if (rc)
		return rc;
	if (len > ATT_MSG_MAX)
		return att_fail(err, ATT_ELIMIT, "the message is too large (%zu bytes, at most %u)",
				len, ATT_MSG_MAX);
	if (!att_utf8_valid(text, len))
		return att_fail(err, ATT_EINVAL, "the message is not valid UTF-8");
	in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return att_fail(err, ATT_EINVAL, "the message is not valid JSON: %s (line %d)",
				jerr.text, jerr.line);
	rc = ATT_EINVAL;
	if (!json_is_object(in)) {
		att_fail(err, ATT_EINVAL, "the message must be a JSON object");
		goto out;
	}
	if (json_depth(in) > ATT_MSG_DEPTH_MAX) {
		att_fail(err, ATT_EINVAL, "the message is nested too deeply (at most %d levels)",
			 ATT_MSG_DEPTH_MAX);
		goto out;
	}
	/* required scalar members */
	type = att_x_jstr(in, "type");
	field = att_x_jstr(in, "field");
	handling = att_x_jstr(in, "handling");
	source = att_x_jstr(in, "source");
	priority = att_x_jstr(in, "priority");
	purpose = att_x_jstr(in, "purpose");
	subject = att_x_jstr(in, "subject");
	body = att_x_jstr(in, "body");
	v = json_object_get(in, "case");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		att_fail(err, ATT_EINVAL, "'case' must be the number of an open case");
		goto out;
	}
	case_id = (int64_t)json_integer_value(v);
	if (!in_list(type, msg_types, 5)) {
		att_fail(err, ATT_EINVAL,
			 "'type' must be request, reply, information, alert or preservation");
		goto out;
	}
	if (!att_field_valid(field)) {
		att_fail(err, ATT_EINVAL,
			 "'field' must be terrorism, organized-crime or cybercrime");
		goto out;
	}
	if (!(a.m.fields & att_field_bit(field))) {
		rc = att_fail(err, ATT_EDENIED, "denied: the field %s is outside the mandate of %s (%s)",
			      field, a.actor.id, a.m.unit);
		goto out;
	}
	if (!att_handling_valid(handling)) {
		att_fail(err, ATT_EINVAL, "'handling' must be H0, H1, H2 or H3");
		goto out;
	}
	if (opt_string(in, "handling_text", &htext, err) ||
	    att_check_text(err, "handling_text", htext, 1000, strcmp(handling, "H3") != 0, true))
		goto out;
	if (!in_list(source, sources, 4)) {
		att_fail(err, ATT_EINVAL, "'source' must be A, B, C or X");
		goto out;
	}
	v = json_object_get(in, "information");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4) {
		att_fail(err, ATT_EINVAL, "'information' must be 1, 2, 3 or 4");
		goto out;
	}
	info = (int64_t)json_integer_value(v);
	if (!priority)
		priority = "routine";
	if (!in_list(priority, priorities, 3)) {
		att_fail(err, ATT_EINVAL, "'priority' must be immediate, urgent or routine");
		goto out;
	}
	if (att_check_text(err, "purpose", purpose, 2000, false, true) ||
	    att_check_text(err, "subject", subject, 500, false, false) ||
	    att_check_text(err, "body", body, ATT_MSG_BODY_MAX, !strcmp(type, "preservation"), true))
		goto out;
	if (opt_string(in, "legal_basis", &legal, err) ||
	    att_check_text(err, "legal_basis", legal, 1000, true, true) ||
	    opt_string(in, "deadline", &deadline_s, err))
		goto out;
	if (deadline_s && *deadline_s) {
		if (!parse_deadline(deadline_s, &m.deadline)) {
			att_fail(err, ATT_EINVAL,
				 "'deadline' '%.32s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
				 att_utf8_valid(deadline_s, strlen(deadline_s)) ? deadline_s : "?");
			goto out;
		}
		if (m.deadline <= now) {
			att_fail(err, ATT_EINVAL, "'deadline' %s has passed", deadline_s);
			goto out;
		}
	} else if (!strcmp(type, "request") || !strcmp(type, "preservation")) {
		m.deadline = default_deadline(priority, now);
	}
	if (!strcmp(type, "preservation")) {
		if (strcmp(field, ATT_FIELD_CYBER)) {
			att_fail(err, ATT_EINVAL,
				 "a preservation request (Budapest Convention art. 29) is for stored "
				 "computer data: its field is cybercrime");
			goto out;
		}
		rc = check_preservation(json_object_get(in, "preservation"), &pres, &pdays, err);
		if (rc)
			goto out;
		rc = ATT_EINVAL;
		m.preserve_until = now + pdays * 86400;
	} else if (json_object_get(in, "preservation") &&
		   !json_is_null(json_object_get(in, "preservation"))) {
		att_fail(err, ATT_EINVAL, "'preservation' belongs only to a preservation request");
		goto out;
	}
	/* the case */
	rc = att_store_case_get(node->store, case_id, &c, err);
	if (rc == ATT_ENOTFOUND) {
		rc = att_fail(err, ATT_EINVAL, "no such case %lld", (long long)case_id);
		goto out;
	}
	if (rc)
		goto out;
	rc = ATT_EINVAL;
	if (strcmp(c.field, field)) {
		att_fail(err, ATT_EINVAL, "case %lld is in %s, not %s", (long long)case_id, c.field,
			 field);
		goto out;
	}
	if (strcmp(c.status, "open")) {
		att_fail(err, ATT_EINVAL, "case %lld is %s", (long long)case_id, c.status);
		goto out;
	}
	if (att_x_may_use_case(node, &a, &c, &case_ok, err)) {
		rc = ATT_EDB;
		goto out;
	}
	if (!case_ok) {
		rc = att_fail(err, ATT_EDENIED,
			      "denied: %s (%s) is not a party to case %lld", a.actor.id, a.m.unit,
			      (long long)case_id);
		goto out;
	}
	/* in reply to */
	v = json_object_get(in, "in_reply_to");
	if (v && !json_is_null(v)) {
		struct att_msg_row orig;
		bool readable = false;

		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			att_fail(err, ATT_EINVAL, "'in_reply_to' must be a message number");
			goto out;
		}
		reply_to = (int64_t)json_integer_value(v);
		rc = att_store_msg_get(node->store, reply_to, &orig, err);
		if (rc == ATT_ENOTFOUND) {
			rc = att_fail(err, ATT_EINVAL, "no such message %lld to reply to",
				      (long long)reply_to);
			goto out;
		}
		if (rc)
			goto out;
		free((void *)orig.content);
		rc = att_x_may_read(node, &a, &orig, &readable, err);
		if (rc)
			goto out;
		rc = ATT_EINVAL;
		if (!readable) {
			rc = att_fail(err, ATT_EDENIED, "denied: %s may not read message %lld",
				      a.actor.id, (long long)reply_to);
			goto out;
		}
		if (orig.case_id != case_id) {
			att_fail(err, ATT_EINVAL, "message %lld belongs to case %lld, not %lld",
				 (long long)reply_to, (long long)orig.case_id, (long long)case_id);
			goto out;
		}
	} else if (!strcmp(type, "reply")) {
		att_fail(err, ATT_EINVAL, "a reply needs 'in_reply_to'");
		goto out;
	}
	/* recipients */
	to = json_object_get(in, "to");
	if (!json_is_array(to) || json_array_size(to) == 0 ||
	    json_array_size(to) > ATT_MSG_RECIPIENTS_MAX) {
		att_fail(err, ATT_EINVAL, "'to' must be a list of 1 to %u units",
			 ATT_MSG_RECIPIENTS_MAX);
		goto out;
	}
	json_array_foreach(to, i, v) {
		const char *u = json_string_value(v);

		if (!u) {
			att_fail(err, ATT_EINVAL, "'to' must list units as strings");
			goto out;
		}
		if (!strcmp(u, a.m.unit)) {
			att_fail(err, ATT_EINVAL, "a message is not addressed to its sender's own unit");
			goto out;
		}
		if (att_policy_addressable(node, u, field, err))
			goto out;
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(u, json_string_value(json_array_get(to, k)))) {
				att_fail(err, ATT_EINVAL, "unit %s is listed twice", u);
				goto out;
			}
		}
	}
	/* entities */
	ents = json_object_get(in, "entities");
	if (ents && !json_is_null(ents) &&
	    (!json_is_array(ents) || json_array_size(ents) > ATT_MSG_ENTITIES_MAX)) {
		att_fail(err, ATT_EINVAL, "'entities' must be a list of at most %u entities",
			 ATT_MSG_ENTITIES_MAX);
		goto out;
	}
	stored_ents = json_array();
	reasons = json_array();
	if (!stored_ents || !reasons) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(ents, i, v) {
		json_t *se;

		rc = check_entity(v, i, &se, err);
		if (rc)
			goto out;
		json_array_append_new(stored_ents, se);
	}
	rc = ATT_OK;
	/* safeguards: protected persons, then the neutrality screen */
	json_array_foreach(stored_ents, i, v) {
		if (!strcmp(att_x_jstr(v, "type"), "person")) {
			rc = att_policy_protected(node, att_x_jstr(v, "name"), att_x_jstr(v, "dob"), i + 1,
						  reasons, err);
			if (rc)
				goto out;
		}
	}
	rc = att_policy_neutrality(node, purpose, "purpose", reasons, err);
	if (!rc)
		rc = att_policy_neutrality(node, subject, "subject", reasons, err);
	if (!rc)
		rc = att_policy_neutrality(node, body, "body", reasons, err);
	if (rc)
		goto out;
	res->held = json_array_size(reasons) > 0;
	/* store */
	content = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:o?}", "purpose", purpose, "subject", subject,
			    "body", body ? body : "", "handling_text", htext && *htext ? htext : NULL,
			    "legal_basis", legal && *legal ? legal : NULL, "preservation", pres);
	pres = NULL;
	if (!content) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
		goto out;
	}
	/* The next message id, read once per transaction (the write lock is
	 * held, so nobody else takes ids meanwhile; an id freed by a refused
	 * message in a batch is simply skipped). */
	if (node->next_msg_epoch != node->tx_epoch) {
		rc = att_store_next_id(node->store, "messages", &node->next_msg_id, err);
		if (rc)
			goto out;
		node->next_msg_epoch = node->tx_epoch;
	}
	m.id = node->next_msg_id++;
	{
		char ad[48];

		att_x_ad(ad, sizeof(ad), "message", m.id);
		rc = att_x_seal_json(node, content, ad, &sealed, &m.content_len, err);
		if (rc)
			goto out;
	}
	m.content = sealed;
	{
		char ad[48];

		att_x_ad(ad, sizeof(ad), "subject", m.id);
		rc = att_keys_seal(node->keys, (const unsigned char *)subject, strlen(subject), ad,
				   &sealed_subject, &m.subject_len, err);
		if (rc)
			goto out;
		m.subject = sealed_subject;
	}
	m.case_id = case_id;
	snprintf(m.type, sizeof(m.type), "%s", type);
	snprintf(m.sender, sizeof(m.sender), "%s", a.actor.id);
	snprintf(m.sender_unit, sizeof(m.sender_unit), "%s", a.m.unit);
	snprintf(m.field, sizeof(m.field), "%s", field);
	snprintf(m.handling, sizeof(m.handling), "%s", handling);
	snprintf(m.source, sizeof(m.source), "%s", source);
	m.information = (int)info;
	snprintf(m.priority, sizeof(m.priority), "%s", priority);
	m.in_reply_to = reply_to;
	snprintf(m.status, sizeof(m.status), "%s", res->held ? "held" : "delivered");
	m.created = now;
	rc = att_store_msg_insert(node->store, &m, &res->id, err);
	if (rc)
		goto out;
	json_array_foreach(to, i, v) {
		struct att_recip_row r;

		memset(&r, 0, sizeof(r));
		r.msg_id = res->id;
		snprintf(r.unit, sizeof(r.unit), "%s", json_string_value(v));
		snprintf(r.state, sizeof(r.state), "%s", res->held ? "held" : "delivered");
		r.updated = now;
		rc = att_store_recip_insert(node->store, &r, err);
		if (rc)
			goto out;
	}
	ent_ids = calloc(json_array_size(stored_ents) + 1, sizeof(*ent_ids));
	if (!ent_ids) {
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(stored_ents, i, v) {
		struct att_entity_row e;
		unsigned char *ev = NULL;
		char ad[48];

		memset(&e, 0, sizeof(e));
		att_x_ad(ad, sizeof(ad), "entity", res->id);
		rc = att_x_seal_json(node, v, ad, &ev, &e.value_len, err);
		if (rc)
			goto out;
		e.msg_id = res->id;
		snprintf(e.type, sizeof(e.type), "%s", att_x_jstr(v, "type"));
		e.value = ev;
		rc = att_store_entity_insert(node->store, &e, &ent_ids[i], err);
		free(ev);
		if (rc)
			goto out;
	}
	if (reply_to)
		rc = att_store_recip_set(node->store, reply_to, a.m.unit, "answered", now, err);
	if (rc)
		goto out;
	if (res->held) {
		unsigned char *sr = NULL;
		size_t srlen = 0;
		char ad[48];

		att_x_ad(ad, sizeof(ad), "review", res->id);
		rc = att_x_seal_json(node, reasons, ad, &sr, &srlen, err);
		if (!rc)
			rc = att_store_review_insert(node->store, res->id, sr, srlen, err);
		free(sr);
	} else {
		/* Cross-match what was just stored, from memory. */
		struct hit_ctx hc = {0};

		json_array_foreach(stored_ents, i, v) {
			rc = match_entity(node, res->id, case_id, ent_ids[i], v, &hc, err);
			if (rc)
				break;
		}
		res->hits = hc.hits;
	}
	if (!rc) {
		char obj[48];

		snprintf(obj, sizeof(obj), "message/%lld", (long long)res->id);
		rc = att_x_audit(node, &a.actor, "message.send", obj,
				json_pack("{s:I,s:s,s:s,s:s,s:O,s:I,s:b,s:I}", "case",
					  (json_int_t)case_id, "type", type, "field", field,
					  "handling", handling, "to", to, "entities",
					  (json_int_t)json_array_size(stored_ents), "held", res->held,
					  "hits", (json_int_t)res->hits),
				err);
	}
	if (!rc && res->held) {
		res->reasons = reasons;
		reasons = NULL;
	}
out:
	free(ent_ids);
	free(sealed_subject);
	if (sealed)
		free(sealed);
	json_decref(pres);
	json_decref(content);
	json_decref(stored_ents);
	json_decref(reasons);
	json_decref(in);
	if (rc)
		res->id = 0;
	return rc;
}

enum att_rc att_msg_send(struct att_node *node, const char *actor_id, const char *json,
			 size_t len, struct att_send_result *res, struct att_err *err)
{
	enum att_rc rc;

	memset(res, 0, sizeof(*res));
	rc = att_node_begin(node, err);
	if (!rc)
		rc = att_holdings_sync(node, err);
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	rc = send_one(node, actor_id, json, len, res, err);
	rc = att_x_done(node, rc, err);
	if (rc)
		att_send_result_release(res);
	return rc;
}

enum att_rc att_msg_send_many(struct att_node *node, const char *const *actor_ids,
			      const char *const *jsons, const size_t *lens, size_t n,
			      struct att_send_result *res, enum att_rc *rcs,
			      struct att_err *errs, struct att_err *err)
{
	enum att_rc rc = att_node_begin(node, err);

	if (!rc)
		rc = att_holdings_sync(node, err);
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = att_holdings_mark(node);
		struct att_audit_frontier saved = node->audit;
		uint64_t pending = node->audit_pending;

		att_err_clear(&errs[i]);
		rc = att_store_savepoint(node->store, err);
		if (rc)
			break;
		rcs[i] = send_one(node, actor_ids[i], jsons[i], lens[i], &res[i], &errs[i]);
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
