/* The registry of the decree: posts, staffing levels and the appointment
 * procedure. Every rule of the decree lives here. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/registry.h"
#include "node_int.h"
#include "store_core.h"
#include "store_registry.h"
#include "util.h"
#include "banned.h"

/* Runs a write use case: begin, the body, the audit entry, commit; rolls
 * everything back if any part fails. */
struct audit_note {
	const char *action;
	char object[96];
	json_t *detail; /* stolen */
};

static enum att_rc finish(struct att_node *node, const struct att_actor *actor,
			  enum att_rc rc, struct audit_note *note, struct att_err *err)
{
	if (!rc) {
		char *ds = note->detail ? json_dumps(note->detail, JSON_COMPACT | JSON_SORT_KEYS)
					: NULL;

		if (note->detail && !ds)
			rc = att_fail(err, ATT_ENOMEM, "out of memory");
		else
			rc = att_audit_append(node, actor, note->action, note->object, ds, err);
		free(ds);
	}
	json_decref(note->detail);
	note->detail = NULL;
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
}

static enum att_rc begin_as(struct att_node *node, const char *actor_id,
			    struct att_actor *actor, struct att_err *err)
{
	enum att_rc rc = att_actor_load(node, actor_id, actor, err);

	return rc ? rc : att_node_begin(node, err);
}

/* --- posts --------------------------------------------------------------- */

/* Normalises a comma list of fields into canonical order; refuses unknown or
 * repeated ones. */
static enum att_rc parse_fields(const char *in, char out[64], struct att_err *err)
{
	static const char *const all[] = {ATT_FIELD_TERRORISM, ATT_FIELD_ORGCRIME, ATT_FIELD_CYBER};
	bool seen[3] = {false, false, false};
	const char *p = in;
	size_t used = 0;

	if (!in || !*in)
		return att_fail(err, ATT_EINVAL, "a post needs at least one field (--fields)");
	if (strlen(in) > 200)
		return att_fail(err, ATT_EINVAL, "fields list is too long");
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int which = -1;

		for (int i = 0; i < 3; i++) {
			if (strlen(all[i]) == n && !strncmp(all[i], p, n))
				which = i;
		}
		if (which < 0)
			return att_fail(err, ATT_EINVAL,
					"unknown field '%.*s' (terrorism, organized-crime, cybercrime)",
					(int)(n > 40 ? 40 : n),
					att_utf8_valid(p, n) ? p : "?");
		if (seen[which])
			return att_fail(err, ATT_EINVAL, "field '%s' given twice", all[which]);
		seen[which] = true;
		p += n;
		if (*p == ',') {
			p++;
			if (!*p)
				return att_fail(err, ATT_EINVAL, "fields list ends with a comma");
		}
	}
	out[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (seen[i])
			used += (size_t)snprintf(out + used, 64 - used, "%s%s", used ? "," : "", all[i]);
	}
	return ATT_OK;
}

static bool post_has_field(const struct att_post_row *p, const char *field)
{
	return att_list_has(p->fields, field);
}

static enum att_rc check_post_spec(const struct att_post_spec *spec, char fields[64],
				   struct att_err *err)
{
	enum att_rc rc = att_check_id(err, "post id", spec->id);

	if (rc)
		return rc;
	if (!spec->kind || (strcmp(spec->kind, "state") && strcmp(spec->kind, "org")))
		return att_fail(err, ATT_EINVAL, "post kind must be 'state' or 'org'");
	if (!strcmp(spec->kind, "state")) {
		const char *h = spec->host;

		if (!h || strlen(h) != 2 || !isupper((unsigned char)h[0]) ||
		    !isupper((unsigned char)h[1]))
			return att_fail(err, ATT_EINVAL,
					"the host of a post in a foreign state is its ISO 3166-1 "
					"alpha-2 code in capitals (e.g. FR), not '%.40s'",
					h && att_utf8_valid(h, strlen(h)) ? h : "");
		if (!strcmp(h, "AZ"))
			return att_fail(err, ATT_EINVAL,
					"a post is in a foreign state; AZ is the home state");
	} else {
		rc = att_check_text(err, "organization (--host)", spec->host, 200, false, false);
		if (rc)
			return rc;
	}
	rc = att_check_text(err, "city", spec->city, 200, false, false);
	if (!rc)
		rc = att_check_text(err, "mission", spec->mission, 1000, true, false);
	if (!rc)
		rc = parse_fields(spec->fields, fields, err);
	if (!rc && spec->staffing > ATT_STAFFING_MAX)
		rc = att_fail(err, ATT_EINVAL, "staffing %lu is out of range (0..%lu)",
			      spec->staffing, ATT_STAFFING_MAX);
	return rc;
}

enum att_rc att_post_add(struct att_node *node, const char *actor_id,
			 const struct att_post_spec *spec, struct att_err *err)
{
	struct audit_note note = {"post.add", "", NULL};
	struct att_actor actor;
	struct att_post_row p;
	char fields[64];
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_POST_ADD, &actor, err);
	if (!rc)
		rc = check_post_spec(spec, fields, err);
	if (rc)
		return rc;
	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", spec->id);
	snprintf(p.kind, sizeof(p.kind), "%s", spec->kind);
	snprintf(p.host, sizeof(p.host), "%s", spec->host);
	snprintf(p.city, sizeof(p.city), "%s", spec->city);
	snprintf(p.mission, sizeof(p.mission), "%s", spec->mission ? spec->mission : "");
	snprintf(p.fields, sizeof(p.fields), "%s", fields);
	p.staffing = (int64_t)spec->staffing;
	p.created = att_now();
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_post_insert(node->store, &p, err);
	snprintf(note.object, sizeof(note.object), "post/%s", p.id);
	note.detail = json_pack("{s:s,s:s,s:s,s:s,s:I}", "kind", p.kind, "host", p.host, "city",
				p.city, "fields", p.fields, "staffing", (json_int_t)p.staffing);
	return finish(node, &actor, rc, &note, err);
}

enum att_rc att_post_set_staffing(struct att_node *node, const char *actor_id,
				  const char *post_id, unsigned long staffing,
				  struct att_err *err)
{
	struct audit_note note = {"post.staffing", "", NULL};
	struct att_actor actor;
	struct att_post_row p;
	int64_t used = 0;
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_POST_STAFFING, &actor, err);
	if (!rc)
		rc = att_check_id(err, "post id", post_id);
	if (!rc && staffing > ATT_STAFFING_MAX)
		rc = att_fail(err, ATT_EINVAL, "staffing %lu is out of range (0..%lu)", staffing,
			      ATT_STAFFING_MAX);
	if (rc)
		return rc;
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_post_get(node->store, post_id, &p, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such post '%s'", post_id);
	if (!rc)
		rc = att_store_appt_count_active(node->store, post_id, &used, err);
	if (!rc && (int64_t)staffing < used)
		rc = att_fail(err, ATT_ELIMIT,
			      "cannot lower the staffing of post %s to %lu: it has %lld active "
			      "appointments",
			      post_id, staffing, (long long)used);
	if (!rc)
		rc = att_store_post_set_staffing(node->store, post_id, (int64_t)staffing, err);
	snprintf(note.object, sizeof(note.object), "post/%s", post_id);
	if (!rc)
		note.detail = json_pack("{s:I,s:I}", "from", (json_int_t)p.staffing, "to",
					(json_int_t)staffing);
	return finish(node, &actor, rc, &note, err);
}

static json_t *post_json(struct att_node *node, const struct att_post_row *p,
			 struct att_err *err)
{
	json_t *fields = json_array();
	int64_t used = 0;
	char t[32];

	for (const char *s = p->fields; *s;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		json_array_append_new(fields, json_stringn(s, len));
		s += len + (comma ? 1 : 0);
	}
	if (att_store_appt_count_active(node->store, p->id, &used, err)) {
		json_decref(fields);
		return NULL;
	}
	att_time_fmt(p->created, t);
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:I,s:I,s:s}", "id", p->id, "kind", p->kind,
			 "host", p->host, "city", p->city, "mission",
			 p->mission[0] ? p->mission : NULL, "fields", fields, "staffing",
			 (json_int_t)p->staffing, "used", (json_int_t)used, "created", t);
}

/* A listing's rows into arr (rc: the failure of one). */
struct list_ctx {
	struct att_node *node;
	json_t *arr;
	struct att_err *err;
	enum att_rc rc;
};

static int post_list_row(const struct att_post_row *p, void *arg)
{
	struct list_ctx *c = arg;
	json_t *o = post_json(c->node, p, c->err);

	if (!o) {
		c->rc = ATT_EDB;
		return 1;
	}
	json_array_append_new(c->arr, o);
	return 0;
}

static enum att_rc post_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **arr, struct att_err *err)
{
	struct list_ctx c = {node, *arr, err, ATT_OK};
	enum att_rc rc = att_store_post_each(node->store, post_list_row, &c, err);

	(void)actor;
	(void)ctx;
	return rc ? rc : c.rc;
}

enum att_rc att_post_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err)
{
	return att_node_list(node, actor_id, ATT_ACT_POST_READ, "post.list", "posts", post_fill,
			     NULL, out_json, err);
}

/* --- staffing ---------------------------------------------------------- */

static enum att_rc service_level(struct att_node *node, int64_t *level, struct att_err *err)
{
	char buf[32];
	enum att_rc rc = att_store_meta_get(node->store, "staffing", buf, sizeof(buf), err);

	if (rc == ATT_ENOTFOUND) {
		*level = 0;
		return ATT_OK;
	}
	if (!rc)
		*level = strtoll(buf, NULL, 10);
	return rc;
}

static enum att_rc staffing_make(struct att_node *node, const struct att_actor *actor,
				 void *ctx, json_t **v, struct att_err *err)
{
	int64_t level = 0, used = 0;
	enum att_rc rc = service_level(node, &level, err);

	(void)actor;
	(void)ctx;
	if (!rc)
		rc = att_store_appt_count_active(node->store, NULL, &used, err);
	if (rc)
		return rc;
	*v = json_pack("{s:I,s:I}", "level", (json_int_t)level, "used", (json_int_t)used);
	return *v ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
}

enum att_rc att_staffing_get(struct att_node *node, const char *actor_id, void **out_json,
			     struct att_err *err)
{
	return att_node_show(node, actor_id, ATT_ACT_STAFFING_READ, "staffing.read", "staffing",
			     staffing_make, NULL, out_json, err);
}

enum att_rc att_staffing_set(struct att_node *node, const char *actor_id,
			     unsigned long level, struct att_err *err)
{
	struct audit_note note = {"staffing.set", "staffing", NULL};
	struct att_actor actor;
	int64_t used = 0, old = 0;
	char buf[32];
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_STAFFING_SET, &actor, err);
	if (!rc && level > ATT_STAFFING_MAX)
		rc = att_fail(err, ATT_EINVAL, "staffing level %lu is out of range (0..%lu)", level,
			      ATT_STAFFING_MAX);
	if (rc)
		return rc;
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = service_level(node, &old, err);
	if (!rc)
		rc = att_store_appt_count_active(node->store, NULL, &used, err);
	if (!rc && (int64_t)level < used)
		rc = att_fail(err, ATT_ELIMIT,
			      "cannot lower the service-wide staffing level to %lu: there are %lld "
			      "active appointments",
			      level, (long long)used);
	snprintf(buf, sizeof(buf), "%lu", level);
	if (!rc)
		rc = att_store_meta_set(node->store, "staffing", buf, err);
	if (!rc)
		note.detail = json_pack("{s:I,s:I}", "from", (json_int_t)old, "to",
					(json_int_t)level);
	return finish(node, &actor, rc, &note, err);
}

/* --- appointments ---------------------------------------------------- */

static bool appt_active(const struct att_appt_row *a)
{
	int64_t today = att_today(), d;

	if (strcmp(a->status, ATT_APPT_APPOINTED))
		return false;
	if (a->start[0] && att_date_parse(a->start, &d) && d > today)
		return false;
	if (a->end[0] && att_date_parse(a->end, &d) && d < today)
		return false;
	return true;
}

static enum att_rc add_step(struct att_node *node, const struct att_actor *actor,
			    int64_t appt, const char *step, const char *reason,
			    struct att_err *err)
{
	struct att_step_row *r = calloc(1, sizeof(*r));
	enum att_rc rc;

	if (!r)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	r->appt = appt;
	snprintf(r->step, sizeof(r->step), "%s", step);
	snprintf(r->actor, sizeof(r->actor), "%s", actor->id);
	snprintf(r->role, sizeof(r->role), "%s", att_role_name(actor->role));
	r->at = att_now();
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	rc = att_store_appt_step_insert(node->store, r, err);
	free(r);
	return rc;
}

static json_t *step_detail(const struct att_appt_row *a, const char *reason)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s?}", "person", a->person, "post", a->post, "field",
			 a->field, "status", a->status, "reason",
			 reason && *reason ? reason : NULL);
}

enum att_rc att_appt_propose(struct att_node *node, const char *actor_id,
			     const struct att_appt_spec *spec, int64_t *id,
			     struct att_err *err)
{
	struct audit_note note = {"appointment.propose", "", NULL};
	struct att_actor actor;
	struct att_user_row person;
	struct att_post_row post;
	struct att_appt_row a;
	int64_t open_id = 0, ds = 0, de = 0;
	char open_status[32] = "";
	enum att_rc rc;

	*id = 0;
	rc = att_actor_authz(node, actor_id, ATT_ACT_APPT_PROPOSE, &actor, err);
	if (!rc)
		rc = att_check_id(err, "person", spec->person);
	if (!rc)
		rc = att_check_id(err, "post", spec->post);
	if (!rc && !att_field_valid(spec->field))
		rc = att_fail(err, ATT_EINVAL,
			      "unknown field '%.40s' (terrorism, organized-crime, cybercrime)",
			      spec->field && att_utf8_valid(spec->field, strlen(spec->field))
				      ? spec->field
				      : "");
	if (!rc)
		rc = att_check_date(err, "start date", spec->start);
	if (!rc)
		rc = att_check_date(err, "end date", spec->end);
	if (!rc)
		rc = att_check_text(err, "reason", spec->reason, ATT_TEXT_MAX, true, true);
	if (rc)
		return rc;
	if (spec->start && *spec->start && spec->end && *spec->end) {
		att_date_parse(spec->start, &ds);
		att_date_parse(spec->end, &de);
		if (de <= ds)
			return att_fail(err, ATT_EINVAL, "the end date %s is not after the start date %s",
					spec->end, spec->start);
	}
	rc = att_node_begin(node, err);
	if (rc)
		return rc;
	rc = att_store_user_get(node->store, spec->person, &person, err);
	if (rc == ATT_ENOTFOUND)
		rc = att_fail(err, ATT_ENOTFOUND, "no such user '%s'", spec->person);
	if (!rc && strcmp(person.role, "rep"))
		rc = att_fail(err, ATT_EINVAL,
			      "%s has role %s; only a user with role rep can be appointed",
			      spec->person, person.role);
	if (!rc && person.disabled)
		rc = att_fail(err, ATT_EINVAL, "user %s is disabled", spec->person);
	if (!rc) {
		rc = att_store_post_get(node->store, spec->post, &post, err);
		if (rc == ATT_ENOTFOUND)
			rc = att_fail(err, ATT_ENOTFOUND, "no such post '%s'", spec->post);
	}
	if (!rc && !post_has_field(&post, spec->field))
		rc = att_fail(err, ATT_EINVAL, "field %s is not one of post %s's fields (%s)",
			      spec->field, post.id, post.fields);
	if (!rc)
		rc = att_store_appt_open_for(node->store, spec->person, 0, &open_id, open_status,
					     err);
	if (!rc && open_id)
		rc = att_fail(err, ATT_ECONFLICT,
			      "%s already has appointment %lld (%s); a person holds at most one "
			      "active appointment",
			      spec->person, (long long)open_id, open_status);
	if (!rc) {
		memset(&a, 0, sizeof(a));
		snprintf(a.person, sizeof(a.person), "%s", spec->person);
		snprintf(a.post, sizeof(a.post), "%s", spec->post);
		snprintf(a.field, sizeof(a.field), "%s", spec->field);
		snprintf(a.status, sizeof(a.status), "%s", ATT_APPT_PROPOSED);
		snprintf(a.start, sizeof(a.start), "%s", spec->start ? spec->start : "");
		snprintf(a.end, sizeof(a.end), "%s", spec->end ? spec->end : "");
		snprintf(a.proposer, sizeof(a.proposer), "%s", actor.id);
		a.created = att_now();
		rc = att_store_appt_insert(node->store, &a, id, err);
	}
	if (!rc)
		rc = add_step(node, &actor, *id, "propose", spec->reason, err);
	if (!rc) {
		snprintf(note.object, sizeof(note.object), "appointment/%lld", (long long)*id);
		note.detail = step_detail(&a, spec->reason);
	}
	rc = finish(node, &actor, rc, &note, err);
	if (rc)
		*id = 0;
	return rc;
}

/* Loads an appointment inside the open transaction and checks the actor may
 * take a step on it. */
static enum att_rc load_for_step(struct att_node *node, const struct att_actor *actor,
				 enum att_action act, int64_t id, struct att_appt_row *a,
				 struct att_err *err)
{
	struct att_authz_ctx ctx;
	enum att_rc rc = att_store_appt_get(node->store, id, a, err);

	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_ENOTFOUND, "no such appointment %lld", (long long)id);
	if (rc)
		return rc;
	memset(&ctx, 0, sizeof(ctx));
	ctx.appt_status = a->status;
	ctx.appt_proposer = a->proposer;
	ctx.appt_person = a->person;
	return att_authz(actor, act, &ctx, err);
}

/* Which agreement is next, and whose it is. */
static enum att_rc agreement_step(const struct att_appt_row *a, const struct att_actor *actor,
				  const char *verb, const char **next, struct att_err *err)
{
	if (!strcmp(a->status, ATT_APPT_PROPOSED)) {
		if (actor->role != ATT_ROLE_MFA)
			return att_fail(err, ATT_ECONFLICT,
					"appointment %lld awaits the agreement of the Ministry of "
					"Foreign Affairs first; the President cannot %s it yet",
					(long long)a->id, verb);
		*next = ATT_APPT_MFA_AGREED;
		return ATT_OK;
	}
	if (!strcmp(a->status, ATT_APPT_MFA_AGREED)) {
		if (actor->role != ATT_ROLE_PRESIDENT)
			return att_fail(err, ATT_ECONFLICT,
					"appointment %lld was agreed by the Ministry of Foreign Affairs "
					"already and awaits the President",
					(long long)a->id);
		*next = ATT_APPT_PRES_AGREED;
		return ATT_OK;
	}
	return att_fail(err, ATT_ECONFLICT, "appointment %lld is %s; there is nothing to %s",
			(long long)a->id, a->status, verb);
}

/* One agreement step, for or against: MFA first, then the President. */
static enum att_rc agreement(struct att_node *node, const char *actor_id, int64_t id,
			     const char *reason, bool agree, struct att_err *err)
{
	struct audit_note note = {agree ? "appointment.agree" : "appointment.refuse", "", NULL};
	struct att_actor actor;
	struct att_appt_row a;
	const char *next = NULL;
	bool mfa;
	enum att_rc rc;

	/* A refusal must say why; an agreement may. */
	rc = att_check_text(err, "reason", reason, ATT_TEXT_MAX, agree, true);
	if (!rc)
		rc = begin_as(node, actor_id, &actor, err);
	if (rc)
		return rc;
	mfa = actor.role == ATT_ROLE_MFA;
	rc = load_for_step(node, &actor, agree ? ATT_ACT_APPT_AGREE : ATT_ACT_APPT_REFUSE, id, &a,
			   err);
	if (!rc)
		rc = agreement_step(&a, &actor, agree ? "agree to" : "refuse", &next, err);
	if (!rc) {
		snprintf(a.status, sizeof(a.status), "%s", agree ? next : ATT_APPT_REFUSED);
		rc = att_store_appt_update(node->store, &a, err);
	}
	if (!rc)
		rc = add_step(node, &actor, id,
			      agree ? (mfa ? "agree-mfa" : "agree-president")
				    : (mfa ? "refuse-mfa" : "refuse-president"),
			      reason, err);
	snprintf(note.object, sizeof(note.object), "appointment/%lld", (long long)id);
	if (!rc)
		note.detail = step_detail(&a, reason);
	return finish(node, &actor, rc, &note, err);
}

enum att_rc att_appt_agree(struct att_node *node, const char *actor_id, int64_t id,
			   const char *reason, struct att_err *err)
{
	return agreement(node, actor_id, id, reason, true, err);
}

enum att_rc att_appt_refuse(struct att_node *node, const char *actor_id, int64_t id,
			    const char *reason, struct att_err *err)
{
	return agreement(node, actor_id, id, reason, false, err);
}

enum att_rc att_appt_make(struct att_node *node, const char *actor_id, int64_t id,
			  struct att_err *err)
{
	struct audit_note note = {"appointment.make", "", NULL};
	struct att_actor actor;
	struct att_appt_row a;
	struct att_post_row post;
	struct att_user_row person;
	int64_t used_post = 0, used_all = 0, level = 0, other = 0, ds, de;
	char other_status[32];
	enum att_rc rc;

	rc = begin_as(node, actor_id, &actor, err);
	if (rc)
		return rc;
	rc = load_for_step(node, &actor, ATT_ACT_APPT_MAKE, id, &a, err);
	if (!rc && strcmp(a.status, ATT_APPT_PRES_AGREED))
		rc = att_fail(err, ATT_ECONFLICT,
			      !strcmp(a.status, ATT_APPT_PROPOSED) ||
					      !strcmp(a.status, ATT_APPT_MFA_AGREED)
				      ? "appointment %lld is %s; it needs the agreement of the "
					"Ministry of Foreign Affairs and then of the President first"
				      : "appointment %lld is %s; only an appointment agreed by the "
					"President can be made",
			      (long long)id, a.status);
	if (!rc)
		rc = att_store_user_get(node->store, a.person, &person, err);
	if (!rc && (person.disabled || strcmp(person.role, "rep")))
		rc = att_fail(err, ATT_ECONFLICT, "%s is no longer an enabled representative",
			      a.person);
	if (!rc)
		rc = att_store_appt_open_for(node->store, a.person, id, &other, other_status, err);
	if (!rc && other)
		rc = att_fail(err, ATT_ECONFLICT,
			      "%s already has appointment %lld (%s); a person holds at most one "
			      "active appointment",
			      a.person, (long long)other, other_status);
	if (!rc)
		rc = att_store_post_get(node->store, a.post, &post, err);
	if (!rc)
		rc = att_store_appt_count_active(node->store, a.post, &used_post, err);
	if (!rc && used_post + 1 > post.staffing)
		rc = att_fail(err, ATT_ELIMIT,
			      "post %s is at its approved staffing number: %lld of %lld active "
			      "appointments",
			      a.post, (long long)used_post, (long long)post.staffing);
	if (!rc)
		rc = service_level(node, &level, err);
	if (!rc)
		rc = att_store_appt_count_active(node->store, NULL, &used_all, err);
	if (!rc && used_all + 1 > level)
		rc = att_fail(err, ATT_ELIMIT,
			      "the service-wide approved staffing level is reached: %lld of %lld "
			      "active appointments",
			      (long long)used_all, (long long)level);
	if (!rc) {
		if (!a.start[0]) {
			char t[32];

			att_time_fmt(att_now(), t);
			snprintf(a.start, sizeof(a.start), "%.10s", t);
		}
		if (a.end[0] && att_date_parse(a.end, &de) && att_date_parse(a.start, &ds) &&
		    (de <= ds || de < att_today()))
			rc = att_fail(err, ATT_ECONFLICT,
				      "appointment %lld's term ends on %s, which has passed or is not "
				      "after its start %s",
				      (long long)id, a.end, a.start);
	}
	if (!rc) {
		snprintf(a.status, sizeof(a.status), "%s", ATT_APPT_APPOINTED);
		rc = att_store_appt_update(node->store, &a, err);
	}
	if (!rc)
		rc = add_step(node, &actor, id, "make", NULL, err);
	snprintf(note.object, sizeof(note.object), "appointment/%lld", (long long)id);
	if (!rc) {
		note.detail = step_detail(&a, NULL);
		json_object_set_new(note.detail, "start", json_string(a.start));
	}
	return finish(node, &actor, rc, &note, err);
}

enum att_rc att_appt_end(struct att_node *node, const char *actor_id, int64_t id,
			 const char *reason, struct att_err *err)
{
	struct audit_note note = {"appointment.end", "", NULL};
	struct att_actor actor;
	struct att_appt_row a;
	enum att_rc rc;

	rc = att_check_text(err, "reason", reason, ATT_TEXT_MAX, false, true);
	if (!rc)
		rc = begin_as(node, actor_id, &actor, err);
	if (rc)
		return rc;
	rc = load_for_step(node, &actor, ATT_ACT_APPT_END, id, &a, err);
	if (!rc && strcmp(a.status, ATT_APPT_APPOINTED))
		rc = att_fail(err, ATT_ECONFLICT,
			      "appointment %lld is %s; only an appointment that was made can be ended",
			      (long long)id, a.status);
	if (!rc) {
		char t[32];
		int64_t de;

		att_time_fmt(att_now(), t);
		/* Access ends today unless the term already ended earlier. */
		if (!a.end[0] || !att_date_parse(a.end, &de) || de > att_today())
			snprintf(a.end, sizeof(a.end), "%.10s", t);
		snprintf(a.status, sizeof(a.status), "%s", ATT_APPT_ENDED);
		rc = att_store_appt_update(node->store, &a, err);
	}
	if (!rc)
		rc = add_step(node, &actor, id, "end", reason, err);
	snprintf(note.object, sizeof(note.object), "appointment/%lld", (long long)id);
	if (!rc)
		note.detail = step_detail(&a, reason);
	return finish(node, &actor, rc, &note, err);
}

static int step_json(const struct att_step_row *r, void *arg)
{
	char t[32];

	att_time_fmt(r->at, t);
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:s?}", "step", r->step, "actor",
					     r->actor, "role", r->role, "at", t, "reason",
					     r->reason[0] ? r->reason : NULL));
	return 0;
}

static json_t *appt_json(struct att_node *node, const struct att_appt_row *a,
			 struct att_err *err)
{
	struct att_user_row u;
	json_t *hist = json_array();
	json_t *o;

	if (!hist)
		return NULL;
	if (att_store_appt_steps_each(node->store, a->id, step_json, hist, err)) {
		json_decref(hist);
		return NULL;
	}
	if (att_store_user_get(node->store, a->person, &u, NULL))
		u.name[0] = '\0';
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:b,s:s,s:o}", "id", (json_int_t)a->id,
		      "person", a->person, "person_name", u.name, "post", a->post, "field",
		      a->field, "status", a->status, "start", a->start[0] ? a->start : NULL, "end",
		      a->end[0] ? a->end : NULL, "active", appt_active(a), "proposer", a->proposer,
		      "history", hist);
	return o;
}

static int appt_list_row(const struct att_appt_row *a, void *arg)
{
	struct list_ctx *c = arg;
	json_t *o = appt_json(c->node, a, c->err);

	if (!o) {
		c->rc = ATT_EDB;
		return 1;
	}
	json_array_append_new(c->arr, o);
	return 0;
}

/* Which appointments a listing shows (NULL: all). */
struct appt_filter {
	const char *post, *status;
};

static enum att_rc appt_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **arr, struct att_err *err)
{
	const struct appt_filter *f = ctx;
	struct list_ctx c = {node, *arr, err, ATT_OK};
	enum att_rc rc;

	(void)actor;
	rc = att_store_appt_each(node->store, f->post, f->status, appt_list_row, &c, err);
	return rc ? rc : c.rc;
}

/* appt_fill after checking the filter (once the role is known to allow
 * the read: refusal comes first). */
static enum att_rc appt_list_make(struct att_node *node, const struct att_actor *actor,
				  void *ctx, json_t **arr, struct att_err *err)
{
	static const char *const statuses[] = {ATT_APPT_PROPOSED, ATT_APPT_MFA_AGREED,
					       ATT_APPT_PRES_AGREED, ATT_APPT_APPOINTED,
					       ATT_APPT_ENDED, ATT_APPT_REFUSED};
	const struct appt_filter *f = ctx;
	enum att_rc rc;

	if (f->post && (rc = att_check_id(err, "post", f->post)) != ATT_OK)
		return rc;
	if (f->status) {
		bool known = false;

		for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			known |= !strcmp(f->status, statuses[i]);
		if (!known)
			return att_fail(err, ATT_EINVAL,
					"unknown status '%.32s' (proposed, mfa-agreed, "
					"president-agreed, appointed, ended, refused)",
					att_utf8_valid(f->status, strlen(f->status)) ? f->status
										     : "?");
	}
	return appt_fill(node, actor, ctx, arr, err);
}

enum att_rc att_appt_list(struct att_node *node, const char *actor_id, const char *post,
			  const char *status, void **out_json, struct att_err *err)
{
	struct appt_filter f = {post, status};
	char obj[96] = "appointments";

	if (post)
		snprintf(obj, sizeof(obj), "post/%.80s", post);
	return att_node_list(node, actor_id, ATT_ACT_APPT_READ, "appointment.list", obj,
			     appt_list_make, &f, out_json, err);
}

static enum att_rc appt_make(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **v, struct att_err *err)
{
	int64_t id = *(const int64_t *)ctx;
	struct att_appt_row a;
	enum att_rc rc = att_store_appt_get(node->store, id, &a, err);

	(void)actor;
	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_ENOTFOUND, "no such appointment %lld", (long long)id);
	if (rc)
		return rc;
	*v = appt_json(node, &a, err);
	return *v ? ATT_OK : ATT_EDB;
}

enum att_rc att_appt_show(struct att_node *node, const char *actor_id, int64_t id,
			  void **out_json, struct att_err *err)
{
	char obj[48];

	snprintf(obj, sizeof(obj), "appointment/%lld", (long long)id);
	return att_node_show(node, actor_id, ATT_ACT_APPT_READ, "appointment.read", obj,
			     appt_make, &id, out_json, err);
}

/* A post with its appointments: those only for an actor who may also read
 * appointments. */
static enum att_rc post_make(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **v, struct att_err *err)
{
	const struct appt_filter *f = ctx; /* the post's */
	struct att_post_row p;
	json_t *appts;
	enum att_rc rc = att_check_id(err, "post id", f->post);

	if (!rc)
		rc = att_authz(actor, ATT_ACT_APPT_READ, NULL, err);
	if (!rc)
		rc = att_store_post_get(node->store, f->post, &p, err);
	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_ENOTFOUND, "no such post '%s'", f->post);
	if (rc)
		return rc;
	*v = post_json(node, &p, err);
	if (!*v)
		return ATT_EDB;
	appts = json_array();
	if (!appts)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = appt_fill(node, actor, ctx, &appts, err);
	if (!rc && json_object_set_new(*v, "appointments", appts))
		return att_fail(err, ATT_ENOMEM, "out of memory"); /* appts freed */
	if (rc)
		json_decref(appts);
	return rc;
}

enum att_rc att_post_show(struct att_node *node, const char *actor_id, const char *post_id,
			  void **out_json, struct att_err *err)
{
	struct appt_filter f = {post_id, NULL};
	char obj[96];

	snprintf(obj, sizeof(obj), "post/%.80s", post_id ? post_id : "");
	return att_node_show(node, actor_id, ATT_ACT_POST_READ, "post.read", obj, post_make, &f,
			     out_json, err);
}

enum att_rc att_appt_active_for(struct att_node *node, const char *person, char *post,
				char *field, struct att_err *err)
{
	struct att_appt_row a;
	int64_t id = 0;
	char status[32];
	enum att_rc rc;

	rc = att_store_appt_open_for(node->store, person, 0, &id, status, err);
	if (rc)
		return rc;
	if (!id)
		return ATT_ENOTFOUND;
	rc = att_store_appt_get(node->store, id, &a, err);
	if (rc)
		return rc;
	if (!appt_active(&a))
		return ATT_ENOTFOUND;
	snprintf(post, ATT_ID_MAX + 1, "%s", a.post);
	snprintf(field, ATT_ID_MAX + 1, "%s", a.field);
	return ATT_OK;
}
