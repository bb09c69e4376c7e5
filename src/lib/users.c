/* Users of the node: adding, listing, authenticating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/users.h"
#include "node_int.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

/* Checks the unit a user of this role may have. */
static enum att_rc check_unit(enum att_role role, const char *unit, struct att_err *err)
{
	const char *slash;

	if (role == ATT_ROLE_DESK) {
		if (!unit || strncmp(unit, "hq/", 3) || !att_field_valid(unit + 3))
			return att_fail(err, ATT_EINVAL,
					"a desk officer needs --unit hq/<field> (terrorism, "
					"organized-crime or cybercrime)");
		return ATT_OK;
	}
	if (role == ATT_ROLE_PARTNER) {
		if (!unit || strncmp(unit, "partner/", 8))
			return att_fail(err, ATT_EINVAL, "a partner officer needs --unit partner/<id>");
		return att_check_id(err, "partner id", unit + 8);
	}
	if (!unit || !*unit)
		return ATT_OK;
	if (role == ATT_ROLE_REP)
		return att_fail(err, ATT_EINVAL,
				"a representative's unit is their post, given by their appointment; "
				"do not give --unit");
	slash = strchr(unit, '/');
	if (slash && (!strncmp(unit, "hq/", 3) || !strncmp(unit, "post/", 5) ||
		      !strncmp(unit, "partner/", 8)))
		return att_fail(err, ATT_EINVAL,
				"unit '%.64s' is an exchange unit, which a %s user cannot hold", unit,
				att_role_name(role));
	return att_check_id(err, "unit", unit);
}

enum att_rc att_user_add(struct att_node *node, const char *actor_id,
			 const struct att_user_spec *spec, struct att_err *err)
{
	struct att_actor actor;
	struct att_user_row u;
	enum att_role role;
	enum att_rc rc;

	rc = att_actor_authz(node, actor_id, ATT_ACT_USER_ADD, &actor, err);
	if (!rc)
		rc = att_check_id(err, "user id", spec->id);
	if (!rc)
		rc = att_check_text(err, "name", spec->name, 200, false, false);
	if (rc)
		return rc;
	role = att_role_parse(spec->role);
	if (role == ATT_ROLE_NONE)
		return att_fail(err, ATT_EINVAL,
				"unknown role '%.32s' (head, mfa, president, desk, rep, partner, "
				"overseer, finance, admin)",
				spec->role && att_utf8_valid(spec->role, strlen(spec->role))
					? spec->role
					: "?");
	rc = check_unit(role, spec->unit, err);
	if (rc)
		return rc;
	memset(&u, 0, sizeof(u));
	snprintf(u.id, sizeof(u.id), "%s", spec->id);
	snprintf(u.name, sizeof(u.name), "%s", spec->name);
	snprintf(u.role, sizeof(u.role), "%s", att_role_name(role));
	snprintf(u.unit, sizeof(u.unit), "%s", spec->unit ? spec->unit : "");
	u.created = att_now();
	if (spec->password) {
		rc = att_password_hash(spec->password, u.pw_hash, err);
		if (rc)
			return rc;
	}
	rc = att_node_begin(node, err);
	if (rc)
		goto out;
	rc = att_store_user_insert(node->store, &u, err);
	if (!rc) {
		json_t *d = json_pack("{s:s,s:s,s:s,s:b}", "name", u.name, "role", u.role, "unit",
				      u.unit, "password", spec->password != NULL);
		char *ds = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		char obj[80];

		snprintf(obj, sizeof(obj), "user/%s", u.id);
		rc = ds ? att_audit_append(node, &actor, "user.add", obj, ds, err)
			: att_fail(err, ATT_ENOMEM, "out of memory");
		free(ds);
		json_decref(d);
	}
	if (rc) {
		att_node_rollback(node);
		goto out;
	}
	rc = att_node_commit(node, err);
out:
	sodium_memzero(u.pw_hash, sizeof(u.pw_hash));
	return rc;
}

static int user_json(const struct att_user_row *u, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s?,s:b}", "id", u->id, "name",
					     u->name, "role", u->role, "unit",
					     u->unit[0] ? u->unit : NULL, "disabled", u->disabled));
	return 0;
}

static enum att_rc user_fill(struct att_node *node, const struct att_actor *actor, void *ctx,
			     json_t **arr, struct att_err *err)
{
	(void)actor;
	(void)ctx;
	return att_store_user_each(node->store, user_json, *arr, err);
}

enum att_rc att_user_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err)
{
	return att_node_list(node, actor_id, ATT_ACT_USER_LIST, "user.list", "users", user_fill,
			     NULL, out_json, err);
}

enum att_rc att_user_authenticate(struct att_node *node, const char *user_id,
				  const char *password, struct att_err *err)
{
	struct att_user_row u;
	enum att_rc rc;
	bool ok;

	if (!user_id || att_check_id(NULL, "user", user_id) != ATT_OK || !password)
		return att_fail(err, ATT_EDENIED, "wrong user or password");
	rc = att_store_user_get(node->store, user_id, &u, err);
	if (rc && rc != ATT_ENOTFOUND)
		return rc;
	ok = rc == ATT_OK && !u.disabled && att_password_verify(u.pw_hash, password);
	sodium_memzero(u.pw_hash, sizeof(u.pw_hash));
	if (!ok)
		return att_fail(err, ATT_EDENIED, "wrong user or password");
	return ATT_OK;
}
