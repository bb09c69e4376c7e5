/* The routes of /api/v1: one table, one small handler per route that reads
 * its arguments and calls one library function. No rule of the decree or of
 * the exchange lives here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/audit.h"
#include "attache/authz.h"
#include "attache/exchange.h"
#include "attache/registry.h"
#include "attache/session.h"
#include "attache/users.h"
#include "attache/watchlist.h"
#include "server.h"
#include "util.h"
#include "banned.h"

/* --- reading arguments ------------------------------------------------------ */

/* A string member of the body: NULL when absent or null (refused when
 * required); refused when of another type or containing NUL. */
static enum att_rc jstr(struct srv_call *c, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(c->body, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return att_fail(&c->err, ATT_EINVAL, "'%s' is required", key);
		return ATT_OK;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return att_fail(&c->err, ATT_EINVAL, "'%s' must be a string", key);
	*out = json_string_value(v);
	return ATT_OK;
}

/* A non-negative integer member of the body, at most max. */
static enum att_rc juint(struct srv_call *c, const char *key, bool required,
			 unsigned long long max, unsigned long long *out)
{
	json_t *v = json_object_get(c->body, key);

	*out = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return att_fail(&c->err, ATT_EINVAL, "'%s' is required", key);
		return ATT_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long long)json_integer_value(v) > max)
		return att_fail(&c->err, ATT_EINVAL, "'%s' must be a whole number from 0 to %llu",
				key, max);
	*out = (unsigned long long)json_integer_value(v);
	return ATT_OK;
}

/* A numeric {id} segment; anything else names no object. */
static enum att_rc pid(struct srv_call *c, int64_t *id)
{
	const char *s = c->param[0];
	char *end = NULL;
	long long v;

	*id = 0;
	if (!s || !*s || *s < '0' || *s > '9')
		return att_fail(&c->err, ATT_ENOTFOUND, "no such object");
	v = strtoll(s, &end, 10);
	if (!end || *end || v <= 0)
		return att_fail(&c->err, ATT_ENOTFOUND, "no such object");
	*id = v;
	return ATT_OK;
}

static enum att_rc out_or_oom(struct srv_call *c, json_t *v)
{
	if (!v)
		return att_fail(&c->err, ATT_ENOMEM, "out of memory");
	c->out = v;
	return ATT_OK;
}

static json_t *principal_json(const struct att_principal *p, bool with_csrf)
{
	char exp[32];

	att_time_fmt(p->expires, exp);
	return json_pack("{s:{s:s,s:s,s:s,s:s?},s:s?,s:s,s:b}", "user", "id", p->user, "name",
			 p->name, "role", p->role, "unit", p->unit[0] ? p->unit : NULL, "csrf",
			 with_csrf ? p->csrf : NULL, "expires", exp, "token", p->is_token);
}

/* --- session ---------------------------------------------------------------- */

static enum att_rc h_login(struct srv_call *c)
{
	const char *user, *pw;
	struct att_login login;
	enum att_rc rc = jstr(c, "user", true, &user);

	if (!rc)
		rc = jstr(c, "password", true, &pw);
	if (rc)
		return rc;
	rc = att_session_login(c->node, user, pw, c->req->remote_ip, &login, &c->err);
	if (rc == ATT_ELIMIT)
		snprintf(c->resp->retry_after, sizeof(c->resp->retry_after), "%lld",
			 (long long)login.retry_after);
	if (rc)
		return rc;
	snprintf(c->resp->set_cookie, sizeof(c->resp->set_cookie),
		 "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", SRV_COOKIE,
		 login.session, ATT_SESSION_MAX, c->req->tls ? "; Secure" : "");
	sodium_memzero(login.session, sizeof(login.session));
	snprintf(c->resp->user, sizeof(c->resp->user), "%s", login.who.user);
	return out_or_oom(c, principal_json(&login.who, true));
}

static enum att_rc h_logout(struct srv_call *c)
{
	enum att_rc rc = ATT_OK;

	if (!c->who->is_token && c->req->cookie)
		rc = att_session_logout(c->node, c->req->cookie, &c->err);
	if (rc)
		return rc;
	snprintf(c->resp->set_cookie, sizeof(c->resp->set_cookie),
		 "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s", SRV_COOKIE,
		 c->req->tls ? "; Secure" : "");
	c->status = 204;
	return ATT_OK;
}

static enum att_rc h_whoami(struct srv_call *c)
{
	return out_or_oom(c, principal_json(c->who, !c->who->is_token));
}

/* --- registry ----------------------------------------------------------------- */

static enum att_rc h_posts(struct srv_call *c)
{
	return att_post_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_post(struct srv_call *c)
{
	return att_post_show(c->node, c->who->user, c->param[0], &c->out, &c->err);
}

/* fields may be given as an array of names or as "a,b". */
static enum att_rc fields_arg(struct srv_call *c, char *out, size_t outlen)
{
	json_t *v = json_object_get(c->body, "fields"), *f;
	size_t i, used = 0;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return ATT_OK;
	if (json_is_string(v)) {
		if (json_string_length(v) >= outlen ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return att_fail(&c->err, ATT_EINVAL, "'fields' is too long");
		snprintf(out, outlen, "%s", json_string_value(v));
		return ATT_OK;
	}
	if (!json_is_array(v))
		return att_fail(&c->err, ATT_EINVAL, "'fields' must be an array of field names");
	json_array_foreach(v, i, f) {
		int n;

		if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
			return att_fail(&c->err, ATT_EINVAL, "'fields' must hold strings");
		n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "",
			     json_string_value(f));
		if (n < 0 || (size_t)n >= outlen - used)
			return att_fail(&c->err, ATT_EINVAL, "'fields' is too long");
		used += (size_t)n;
	}
	return ATT_OK;
}

static enum att_rc h_post_add(struct srv_call *c)
{
	struct att_post_spec spec;
	unsigned long long staffing = 0;
	char fields[256];
	enum att_rc rc;

	memset(&spec, 0, sizeof(spec));
	rc = jstr(c, "id", true, &spec.id);
	if (!rc)
		rc = jstr(c, "kind", true, &spec.kind);
	if (!rc)
		rc = jstr(c, "host", true, &spec.host);
	if (!rc)
		rc = jstr(c, "city", true, &spec.city);
	if (!rc)
		rc = jstr(c, "mission", false, &spec.mission);
	if (!rc)
		rc = fields_arg(c, fields, sizeof(fields));
	if (!rc)
		rc = juint(c, "staffing", true, ATT_STAFFING_MAX, &staffing);
	if (rc)
		return rc;
	spec.fields = fields;
	spec.staffing = (unsigned long)staffing;
	rc = att_post_add(c->node, c->who->user, &spec, &c->err);
	if (rc)
		return rc;
	c->status = 201;
	return out_or_oom(c, json_pack("{s:s}", "id", spec.id));
}

static enum att_rc h_post_staffing(struct srv_call *c)
{
	unsigned long long n;
	enum att_rc rc = juint(c, "staffing", true, ATT_STAFFING_MAX, &n);

	if (!rc)
		rc = att_post_set_staffing(c->node, c->who->user, c->param[0], (unsigned long)n,
					   &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:s,s:I}", "post", c->param[0], "staffing",
				       (json_int_t)n));
}

static enum att_rc h_staffing(struct srv_call *c)
{
	return att_staffing_get(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_staffing_set(struct srv_call *c)
{
	unsigned long long n;
	enum att_rc rc = juint(c, "level", true, ATT_STAFFING_MAX, &n);

	if (!rc)
		rc = att_staffing_set(c->node, c->who->user, (unsigned long)n, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I}", "level", (json_int_t)n));
}

static enum att_rc h_appts(struct srv_call *c)
{
	return att_appt_list(c->node, c->who->user, srv_arg(c->req, "post"),
			     srv_arg(c->req, "status"), &c->out, &c->err);
}

static enum att_rc h_appt(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	return rc ? rc : att_appt_show(c->node, c->who->user, id, &c->out, &c->err);
}

static enum att_rc h_appt_propose(struct srv_call *c)
{
	struct att_appt_spec spec;
	int64_t id = 0;
	enum att_rc rc;

	memset(&spec, 0, sizeof(spec));
	rc = jstr(c, "person", true, &spec.person);
	if (!rc)
		rc = jstr(c, "post", true, &spec.post);
	if (!rc)
		rc = jstr(c, "field", true, &spec.field);
	if (!rc)
		rc = jstr(c, "start", false, &spec.start);
	if (!rc)
		rc = jstr(c, "end", false, &spec.end);
	if (!rc)
		rc = jstr(c, "reason", false, &spec.reason);
	if (!rc)
		rc = att_appt_propose(c->node, c->who->user, &spec, &id, &c->err);
	if (rc)
		return rc;
	c->status = 201;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "status",
				       ATT_APPT_PROPOSED));
}

/* The four steps share one shape: {reason} in, {id, step} out. */
enum step { STEP_AGREE, STEP_REFUSE, STEP_MAKE, STEP_END };

static enum att_rc appt_step(struct srv_call *c, enum step step)
{
	static const char *const names[] = {"agree", "refuse", "make", "end"};
	const char *reason = NULL;
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = jstr(c, "reason", step == STEP_REFUSE || step == STEP_END, &reason);
	if (rc)
		return rc;
	switch (step) {
	case STEP_AGREE:
		rc = att_appt_agree(c->node, c->who->user, id, reason, &c->err);
		break;
	case STEP_REFUSE:
		rc = att_appt_refuse(c->node, c->who->user, id, reason, &c->err);
		break;
	case STEP_MAKE:
		rc = att_appt_make(c->node, c->who->user, id, &c->err);
		break;
	case STEP_END:
		rc = att_appt_end(c->node, c->who->user, id, reason, &c->err);
		break;
	}
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "step", names[step]));
}

static enum att_rc h_appt_agree(struct srv_call *c) { return appt_step(c, STEP_AGREE); }
static enum att_rc h_appt_refuse(struct srv_call *c) { return appt_step(c, STEP_REFUSE); }
static enum att_rc h_appt_make(struct srv_call *c) { return appt_step(c, STEP_MAKE); }
static enum att_rc h_appt_end(struct srv_call *c) { return appt_step(c, STEP_END); }

/* --- audit -------------------------------------------------------------------- */

/* The audit list pages natively: the cursor is the sequence number below
 * which to continue (entries come newest first). */
static enum att_rc h_audit(struct srv_call *c)
{
	unsigned long long before = 0;
	json_t *arr = NULL, *page;
	size_t n;
	enum att_rc rc;

	if (c->cursor && *c->cursor) {
		char *end = NULL;

		before = strtoull(c->cursor, &end, 10);
		if (!end || *end || c->cursor[0] == '-' || before == 0)
			return att_fail(&c->err, ATT_EINVAL,
					"the cursor is not valid; start again without one");
	}
	rc = att_audit_list(c->node, c->who->user, (uint64_t)before, c->limit + 1,
			    (void **)&arr, &c->err);
	if (rc)
		return rc;
	n = json_array_size(arr);
	if (n > c->limit) {
		char next[32];
		json_t *last;

		json_array_remove(arr, n - 1);
		last = json_array_get(arr, c->limit - 1);
		snprintf(next, sizeof(next), "%" PRId64,
			 (int64_t)json_integer_value(json_object_get(last, "seq")));
		page = json_pack("{s:o,s:s}", "items", arr, "next_cursor", next);
	} else {
		page = json_pack("{s:o,s:n}", "items", arr, "next_cursor");
	}
	c->paged = true;
	/* The library's page cache shares the items and never changes them. */
	c->shared = json_object_get(page, "items");
	return out_or_oom(c, page);
}

/* att_audit_verify and att_audit_head take no actor (the CLI runs them as
 * the node operator); over the network the one authorization function
 * decides, with the caller's role, before the library call. */
static enum att_rc audit_allowed(struct srv_call *c, enum att_action act)
{
	struct att_actor a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", c->who->user);
	snprintf(a.unit, sizeof(a.unit), "%s", c->who->unit);
	a.role = att_role_parse(c->who->role);
	return att_authz(&a, act, NULL, &c->err);
}

static enum att_rc h_audit_verify(struct srv_call *c)
{
	struct att_audit_report rep;
	char root[2 * ATT_HASH_LEN + 1] = "";
	enum att_rc rc = audit_allowed(c, ATT_ACT_AUDIT_VERIFY);

	if (rc)
		return rc;
	memset(&rep, 0, sizeof(rep));
	rc = att_audit_verify(c->node, &rep, &c->err);
	if (rc && rc != ATT_ETAMPER)
		return rc;
	att_err_clear(&c->err);
	if (rep.ok)
		att_hex(rep.root, ATT_HASH_LEN, root);
	return out_or_oom(c, json_pack("{s:b,s:I,s:I,s:I,s:I,s:s?,s:s?}", "ok", rep.ok,
				       "entries", (json_int_t)rep.entries, "heads",
				       (json_int_t)rep.heads, "bad_entry",
				       (json_int_t)rep.bad_entry, "bad_head",
				       (json_int_t)rep.bad_head, "reason",
				       rep.ok ? NULL : rep.reason, "root", rep.ok ? root : NULL));
}

static enum att_rc h_audit_head(struct srv_call *c)
{
	enum att_rc rc = audit_allowed(c, ATT_ACT_AUDIT_READ);

	return rc ? rc : att_audit_head(c->node, &c->out, &c->err);
}

/* --- tokens and users ---------------------------------------------------------- */

static enum att_rc h_tokens(struct srv_call *c)
{
	return att_token_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_token_create(struct srv_call *c)
{
	const char *user, *label;
	unsigned long long ttl = 0;
	char secret[ATT_TOKEN_LEN];
	int64_t id = 0;
	enum att_rc rc = jstr(c, "user", true, &user);

	if (!rc)
		rc = jstr(c, "label", true, &label);
	if (!rc)
		rc = juint(c, "ttl", false, ATT_TOKEN_TTL_MAX, &ttl);
	if (!rc)
		rc = att_token_create(c->node, c->who->user, user, label, (int64_t)ttl, secret,
				      &id, &c->err);
	if (rc)
		return rc;
	c->status = 201;
	c->resp->cache_control = "no-store";
	rc = out_or_oom(c, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "token", secret,
				     "user", user, "label", label));
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

static enum att_rc h_token_revoke(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = att_token_revoke(c->node, c->who->user, id, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
}

static enum att_rc h_users(struct srv_call *c)
{
	return att_user_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_user_add(struct srv_call *c)
{
	struct att_user_spec spec;
	enum att_rc rc;

	memset(&spec, 0, sizeof(spec));
	rc = jstr(c, "id", true, &spec.id);
	if (!rc)
		rc = jstr(c, "name", true, &spec.name);
	if (!rc)
		rc = jstr(c, "role", true, &spec.role);
	if (!rc)
		rc = jstr(c, "unit", false, &spec.unit);
	if (!rc)
		rc = jstr(c, "password", false, &spec.password);
	if (!rc)
		rc = att_user_add(c->node, c->who->user, &spec, &c->err);
	if (rc)
		return rc;
	c->status = 201;
	return out_or_oom(c, json_pack("{s:s}", "id", spec.id));
}

/* --- the exchange --------------------------------------------------------------- */

static enum att_rc created_id(struct srv_call *c, int64_t id)
{
	c->status = 201;
	return out_or_oom(c, json_pack("{s:I}", "id", (json_int_t)id));
}

static enum att_rc h_cases(struct srv_call *c)
{
	return att_case_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_case_open(struct srv_call *c)
{
	struct att_case_spec spec;
	int64_t id = 0;
	enum att_rc rc;

	memset(&spec, 0, sizeof(spec));
	rc = jstr(c, "field", true, &spec.field);
	if (!rc)
		rc = jstr(c, "title", true, &spec.title);
	if (!rc)
		rc = jstr(c, "purpose", true, &spec.purpose);
	if (!rc)
		rc = jstr(c, "legal_basis", true, &spec.legal_basis);
	if (!rc)
		rc = jstr(c, "subarea", false, &spec.subarea);
	if (!rc)
		rc = jstr(c, "review_date", false, &spec.review_date);
	if (!rc)
		rc = att_case_open(c->node, c->who->user, &spec, &id, &c->err);
	return rc ? rc : created_id(c, id);
}

static enum att_rc h_case(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	return rc ? rc : att_case_show(c->node, c->who->user, id, &c->out, &c->err);
}

static enum att_rc h_case_grant(struct srv_call *c)
{
	const char *to = NULL;
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = jstr(c, "to", true, &to);
	if (!rc)
		rc = att_case_grant(c->node, c->who->user, id, to, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "granted", to));
}

static json_t *send_json(const struct att_send_result *res)
{
	json_t *reasons = res->reasons ? json_incref(res->reasons) : json_array();

	return json_pack("{s:I,s:b,s:o,s:I}", "id", (json_int_t)res->id, "held", res->held,
			 "reasons", reasons, "hits", (json_int_t)res->hits);
}

void srv_send_answer(struct srv_send *s, struct srv_response *resp)
{
	json_t *v;
	size_t len = 0;
	char *t;

	if (s->rc) {
		srv_fail(resp, s->rc, &s->err, SRV_BODY | SRV_SIZE);
		att_send_result_release(&s->res);
		return;
	}
	v = send_json(&s->res);
	att_send_result_release(&s->res);
	t = srv_json_text(v, &len);
	json_decref(v);
	if (!t) {
		srv_error(resp, 500, "internal", "out of memory");
		return;
	}
	free(resp->body);
	resp->static_body = NULL;
	resp->body = t;
	resp->body_len = len;
	resp->status = 201;
	resp->content_type = "application/json";
}

/* The body is the canonical message itself, passed to the library as the
 * bytes received (the library validates it again, to the byte). Under the
 * server, the send joins the group commit; without one (the fuzzer), it is
 * a transaction of its own. */
static enum att_rc h_msg_send(struct srv_call *c)
{
	struct att_send_result res;
	enum att_rc rc;
	json_t *v;

	if (!c->req->body_len)
		return att_fail(&c->err, ATT_EINVAL, "the body must be the message as JSON");
	if (c->req->defer_send) {
		if (!c->req->defer_send(c->req->defer_ctx, c->who->user, c->req->body,
					c->req->body_len))
			return att_fail(&c->err, ATT_ENOMEM, "out of memory");
		c->deferred = true;
		return ATT_OK;
	}
	memset(&res, 0, sizeof(res));
	rc = att_msg_send(c->node, c->who->user, c->req->body, c->req->body_len, &res,
			  &c->err);
	if (rc) {
		att_send_result_release(&res);
		return rc;
	}
	v = send_json(&res);
	att_send_result_release(&res);
	c->status = 201;
	return out_or_oom(c, v);
}

/* The inbox pages natively: the cursor is the message id below which to
 * continue, as att_inbox's next_cursor gives it. */
static enum att_rc h_inbox(struct srv_call *c)
{
	unsigned long long before = 0;
	json_t *page = NULL, *next;
	enum att_rc rc;

	if (c->cursor && *c->cursor) {
		char *end = NULL;

		before = strtoull(c->cursor, &end, 10);
		if (!end || *end || c->cursor[0] == '-' || before == 0 || before > INT64_MAX)
			return att_fail(&c->err, ATT_EINVAL,
					"the cursor is not valid; start again without one");
	}
	rc = att_inbox(c->node, c->who->user, (int64_t)before, c->limit, (void **)&page,
		       &c->err);
	if (rc)
		return rc;
	/* Cursors are opaque strings in every list of the API. */
	next = json_object_get(page, "next_cursor");
	if (json_is_integer(next)) {
		char s[32];

		snprintf(s, sizeof(s), "%" PRId64, (int64_t)json_integer_value(next));
		json_object_set_new(page, "next_cursor", json_string(s));
	}
	c->paged = true;
	/* The library's page cache shares the items and never changes them. */
	c->shared = json_object_get(page, "items");
	return out_or_oom(c, page);
}

static enum att_rc h_msg_show(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	return rc ? rc : att_msg_show(c->node, c->who->user, id, &c->out, &c->err);
}

static enum att_rc h_msg_ack(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = att_msg_ack(c->node, c->who->user, id, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state",
				       "acknowledged"));
}

enum msg_step { MSG_FORWARD, MSG_PERMIT };

static enum att_rc msg_to(struct srv_call *c, enum msg_step step)
{
	const char *to = NULL;
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = jstr(c, "to", true, &to);
	if (rc)
		return rc;
	if (step == MSG_FORWARD)
		rc = att_msg_forward(c->node, c->who->user, id, to, &c->err);
	else
		rc = att_msg_permit(c->node, c->who->user, id, to, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id,
				       step == MSG_FORWARD ? "forwarded" : "permitted", to));
}

static enum att_rc h_msg_forward(struct srv_call *c) { return msg_to(c, MSG_FORWARD); }
static enum att_rc h_msg_permit(struct srv_call *c) { return msg_to(c, MSG_PERMIT); }

static enum att_rc h_msg_export(struct srv_call *c)
{
	int64_t id;
	enum att_rc rc = pid(c, &id);

	return rc ? rc : att_msg_export(c->node, c->who->user, id, &c->out, &c->err);
}

/* POST /messages/{id}/attachments {"name","mime"?,"content_base64"}: the
 * sender attaches a file (att_msg_attach keeps its limit: 413). */
static enum att_rc h_msg_attach(struct srv_call *c)
{
	const char *name = NULL, *mime = NULL, *b64 = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	int64_t id, aid = 0;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = jstr(c, "name", true, &name);
	if (!rc)
		rc = jstr(c, "mime", false, &mime);
	if (!rc)
		rc = jstr(c, "content_base64", true, &b64);
	if (rc)
		return rc;
	/* the body's limit bounds this; line breaks are skipped */
	data = malloc(strlen(b64) / 4 * 3 + 3);
	if (!data)
		return att_fail(&c->err, ATT_ENOMEM, "out of memory");
	if (sodium_base642bin(data, strlen(b64) / 4 * 3 + 3, b64, strlen(b64), " \r\n", &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL)) {
		free(data);
		return att_fail(&c->err, ATT_EINVAL, "'content_base64' is not base64");
	}
	rc = att_msg_attach(c->node, c->who->user, id, name, mime, data, len, &aid, &c->err);
	sodium_memzero(data, len);
	free(data);
	if (rc)
		return rc;
	c->status = 201;
	return out_or_oom(c, json_pack("{s:I,s:I,s:I}", "id", (json_int_t)aid, "message",
				       (json_int_t)id, "size", (json_int_t)len));
}

/* GET /messages/{id}/attachments/{aid}: the file, its content in base64. */
static enum att_rc h_msg_attachment(struct srv_call *c)
{
	char name[256], mime[128], *b64;
	void *data = NULL;
	size_t len = 0, blen;
	long long aid = 0;
	char *end = NULL;
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc && (!c->param[1] || *c->param[1] < '0' || *c->param[1] > '9' ||
		    (aid = strtoll(c->param[1], &end, 10)) <= 0 || !end || *end))
		rc = att_fail(&c->err, ATT_ENOTFOUND, "no such attachment");
	if (!rc)
		rc = att_msg_attachment(c->node, c->who->user, id, aid, name, mime, &data, &len,
					&c->err);
	if (rc)
		return rc;
	blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(blen);
	if (!b64) {
		sodium_memzero(data, len);
		free(data);
		return att_fail(&c->err, ATT_ENOMEM, "out of memory");
	}
	sodium_bin2base64(b64, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(data, len);
	free(data);
	rc = out_or_oom(c, json_pack("{s:I,s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)aid, "message",
				     (json_int_t)id, "name", name, "mime", mime, "size",
				     (json_int_t)len, "content_base64", b64));
	free(b64);
	return rc;
}

static enum att_rc h_hits(struct srv_call *c)
{
	return att_hits(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_overdue(struct srv_call *c)
{
	return att_overdue(c->node, c->who->user, &c->out, &c->err);
}

/* GET /screen?name=…: one name; the page holds its hits, best first, and
 * ?limit= is how many (the screening's own limit, so there is no next page). */
static enum att_rc h_screen(struct srv_call *c)
{
	struct att_screen_opts opts;
	const char *name = srv_arg(c->req, "name");
	json_t *arr = NULL, *q, *hits;
	enum att_rc rc;

	if (!name || !*name)
		return att_fail(&c->err, ATT_EINVAL, "give the name to screen as ?name=");
	memset(&opts, 0, sizeof(opts));
	opts.list = srv_arg(c->req, "list");
	opts.dob = srv_arg(c->req, "dob");
	opts.nationality = srv_arg(c->req, "nationality");
	if (opts.list && !*opts.list)
		opts.list = NULL;
	if (opts.dob && !*opts.dob)
		opts.dob = NULL;
	if (opts.nationality && !*opts.nationality)
		opts.nationality = NULL;
	opts.limit = srv_arg(c->req, "limit") ? c->limit : 10;
	rc = att_screen(c->node, c->who->user, &name, 1, &opts, (void **)&arr, &c->err);
	if (rc)
		return rc;
	q = json_array_get(arr, 0);
	hits = json_object_get(q, "hits");
	c->paged = true;
	rc = out_or_oom(c, json_pack("{s:O?,s:o,s:n}", "query", json_object_get(q, "query"),
				     "items", json_is_array(hits) ? json_incref(hits) : json_array(),
				     "next_cursor"));
	json_decref(arr);
	return rc;
}

static enum att_rc h_watchlists(struct srv_call *c)
{
	return att_watchlist_list(c->node, c->who->user, &c->out, &c->err);
}

/* {"name", "format", "data": the file's text, "alt": an aliases file}. */
static enum att_rc h_watchlist_import(struct srv_call *c)
{
	const char *name, *format, *data, *alt = NULL;
	enum att_rc rc = jstr(c, "name", true, &name);

	if (!rc)
		rc = jstr(c, "format", true, &format);
	if (!rc)
		rc = jstr(c, "data", true, &data);
	if (!rc)
		rc = jstr(c, "alt", false, &alt);
	if (!rc)
		rc = att_watchlist_import(c->node, c->who->user, name, format, data, strlen(data),
					  alt, alt ? strlen(alt) : 0, &c->out, &c->err);
	if (!rc)
		c->status = 201;
	return rc;
}

static enum att_rc h_protected(struct srv_call *c)
{
	return att_protect_list(c->node, c->who->user, &c->out, &c->err);
}

/* How long a request reads the text sent before for a person put on the
 * register before it answers and leaves the rest to the rescan runner. */
#define RESCAN_INLINE_MS 2000

/* The rescan for up to RESCAN_INLINE_MS, the rest woken in the runner; the
 * answer (*out): res as att_protect_result_json has it (with id when
 * id > 0), with rescan_finished, and rescan_error when a job failed (what
 * was found stands). Only a refused actor fails the request. */
static enum att_rc rescan_some(struct srv_call *c, int64_t id, struct att_protect_result *res,
			       json_t **out)
{
	struct att_err err = {0};
	bool finished = false;
	enum att_rc rc = att_protect_rescan(c->node, c->who->user, RESCAN_INLINE_MS, NULL, NULL, res,
					    &finished, &err);
	json_t *o;

	*out = NULL;
	if (rc == ATT_EDENIED) {
		c->err = err;
		return rc;
	}
	if (!finished)
		srv_rescan_wake();
	o = att_protect_result_json(id, res);
	if (o && id <= 0)
		json_object_del(o, "id");
	if (o)
		json_object_set_new(o, "rescan_finished", json_boolean(finished));
	if (o && rc)
		json_object_set_new(o, "rescan_error", json_string(err.msg));
	*out = o;
	return ATT_OK;
}

static enum att_rc h_protect_add(struct srv_call *c)
{
	struct att_protect_spec spec;
	struct att_protect_result res;
	int64_t id = 0;
	enum att_rc rc;

	memset(&spec, 0, sizeof(spec));
	rc = jstr(c, "name", true, &spec.name);
	if (!rc)
		rc = jstr(c, "dob", false, &spec.dob);
	if (!rc)
		rc = jstr(c, "category", false, &spec.category);
	if (!rc)
		rc = jstr(c, "reason", false, &spec.reason);
	if (!rc)
		rc = att_protect_add(c->node, c->who->user, &spec, &id, &res, &c->err);
	if (!rc) {
		json_t *o;

		/* the entry is added: then the text of what was sent before */
		c->status = 201;
		rc = rescan_some(c, id, &res, &o);
		rc = rc ? rc : out_or_oom(c, o);
		att_protect_result_release(&res);
	}
	return rc;
}

static enum att_rc h_protect_rescan(struct srv_call *c)
{
	struct att_protect_result res = {NULL, 0, NULL, 0};
	json_t *o;
	enum att_rc rc = rescan_some(c, 0, &res, &o);

	rc = rc ? rc : out_or_oom(c, o);
	att_protect_result_release(&res);
	return rc;
}

static enum att_rc h_reviews(struct srv_call *c)
{
	return att_review_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc review_decide(struct srv_call *c, bool release)
{
	const char *reason = NULL;
	int64_t id;
	enum att_rc rc = pid(c, &id);

	if (!rc)
		rc = jstr(c, "reason", true, &reason);
	if (rc)
		return rc;
	rc = release ? att_review_release(c->node, c->who->user, id, reason, &c->err)
		     : att_review_reject(c->node, c->who->user, id, reason, &c->err);
	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:I,s:s}", "id", (json_int_t)id, "decision",
				       release ? "released" : "rejected"));
}

static enum att_rc h_review_release(struct srv_call *c) { return review_decide(c, true); }
static enum att_rc h_review_reject(struct srv_call *c) { return review_decide(c, false); }

static enum att_rc h_neutrality(struct srv_call *c)
{
	return att_neutrality_list(c->node, c->who->user, &c->out, &c->err);
}

static enum att_rc h_neutrality_add(struct srv_call *c)
{
	const char *term, *lang, *category;
	enum att_rc rc = jstr(c, "term", true, &term);

	if (!rc)
		rc = jstr(c, "lang", true, &lang);
	if (!rc)
		rc = jstr(c, "category", true, &category);
	if (!rc)
		rc = att_neutrality_add(c->node, c->who->user, term, lang, category, &c->err);
	if (rc)
		return rc;
	c->status = 201;
	return out_or_oom(c, json_pack("{s:s,s:s,s:s}", "term", term, "lang", lang, "category",
				       category));
}

static enum att_rc h_neutrality_remove(struct srv_call *c)
{
	enum att_rc rc = att_neutrality_remove(c->node, c->who->user, c->param[0], &c->err);

	if (rc)
		return rc;
	return out_or_oom(c, json_pack("{s:s,s:b}", "term", c->param[0], "removed", 1));
}

/* --- the table ------------------------------------------------------------------ */

#define B SRV_BODY
#define L SRV_LIST
#define S SRV_SIZE

/* Every route of the API. A NULL handler would mark a planned route whose
 * library function does not exist yet: it answers 501 until wired. */
const struct srv_route srv_routes[] = {
	{"POST", "/session", h_login, SRV_PUBLIC | SRV_AUTHN | B, "log in"},
	{"GET", "/session", h_whoami, 0, "who is logged in, with the CSRF token"},
	{"DELETE", "/session", h_logout, 0, "log out"},
	{"GET", "/posts", h_posts, L, "list posts"},
	{"POST", "/posts", h_post_add, B, "add a post"},
	{"GET", "/posts/{id}", h_post, 0, "show a post with its appointments"},
	{"POST", "/posts/{id}/staffing", h_post_staffing, B, "set a post's staffing number"},
	{"GET", "/staffing", h_staffing, 0, "the service-wide staffing level"},
	{"POST", "/staffing", h_staffing_set, B, "set the service-wide staffing level"},
	{"GET", "/appointments", h_appts, L, "list appointments"},
	{"POST", "/appointments", h_appt_propose, B, "propose an appointment"},
	{"GET", "/appointments/{id}", h_appt, 0, "show an appointment and its history"},
	{"POST", "/appointments/{id}/agree", h_appt_agree, B, "agree to a proposal"},
	{"POST", "/appointments/{id}/refuse", h_appt_refuse, B, "refuse a proposal"},
	{"POST", "/appointments/{id}/make", h_appt_make, B, "make the appointment"},
	{"POST", "/appointments/{id}/end", h_appt_end, B, "end an appointment"},
	{"GET", "/audit", h_audit, L, "the audit log, newest first"},
	{"POST", "/audit/verify", h_audit_verify, B, "verify the audit log"},
	{"GET", "/audit/head", h_audit_head, 0, "the signed tree head"},
	{"GET", "/tokens", h_tokens, L, "list API tokens"},
	{"POST", "/tokens", h_token_create, B, "create an API token"},
	{"DELETE", "/tokens/{id}", h_token_revoke, 0, "revoke an API token"},
	{"GET", "/users", h_users, L, "list users"},
	{"POST", "/users", h_user_add, B, "add a user"},
	/* The exchange (include/attache/exchange.h, watchlist.h). */
	{"GET", "/cases", h_cases, L, "list cases"},
	{"POST", "/cases", h_case_open, B, "open a case"},
	{"GET", "/cases/{id}", h_case, 0, "show a case with its thread"},
	{"POST", "/cases/{id}/grant", h_case_grant, B, "grant a user or unit access to a case"},
	{"POST", "/messages", h_msg_send, B | S, "send a message"},
	{"GET", "/inbox", h_inbox, L, "the inbox"},
	{"GET", "/messages/{id}", h_msg_show, 0, "show a message"},
	{"POST", "/messages/{id}/ack", h_msg_ack, B, "acknowledge a message"},
	{"POST", "/messages/{id}/forward", h_msg_forward, B, "forward a message"},
	{"POST", "/messages/{id}/permit", h_msg_permit, B, "permit a provider's restriction"},
	{"POST", "/messages/{id}/export", h_msg_export, B, "export a message for judicial use"},
	{"POST", "/messages/{id}/attachments", h_msg_attach, B | S,
	 "attach a file to one's own message (base64)"},
	{"GET", "/messages/{id}/attachments/{aid}", h_msg_attachment, 0,
	 "a message's attachment (base64)"},
	{"GET", "/hits", h_hits, L, "hits on the caller's holdings"},
	{"GET", "/overdue", h_overdue, L, "overdue requests"},
	{"GET", "/screen", h_screen, L, "screen a name"},
	{"GET", "/watchlists", h_watchlists, L, "list watchlists"},
	{"POST", "/watchlists", h_watchlist_import, B | S, "load a watchlist"},
	{"GET", "/protected", h_protected, L, "the protected-persons register"},
	{"POST", "/protected", h_protect_add, B, "register a protected person"},
	{"POST", "/protected/rescan", h_protect_rescan, B,
	 "read the text of what was sent before for the persons registered since"},
	{"GET", "/reviews", h_reviews, L, "the review queue"},
	{"POST", "/reviews/{id}/release", h_review_release, B, "release a held message"},
	{"POST", "/reviews/{id}/reject", h_review_reject, B, "reject a held message"},
	{"GET", "/neutrality", h_neutrality, L, "the neutrality screen's terms"},
	{"POST", "/neutrality", h_neutrality_add, B, "add a neutrality term"},
	{"DELETE", "/neutrality/{term}", h_neutrality_remove, 0, "remove a neutrality term"},
};

const size_t srv_nroutes = sizeof(srv_routes) / sizeof(srv_routes[0]);

#undef B
#undef L
#undef S
