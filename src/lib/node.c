/* Opening, creating and closing a node: database, key file and the state
 * derived from them; resolving actors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange_int.h"
#include "holdings.h"
#include "node_int.h"
#include "policy.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

char *att_node_key_path(const char *db_path)
{
	size_t n = strlen(db_path) + 5;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s.key", db_path);
	return p;
}

enum att_rc att_node_init(const char *db_path, unsigned long staffing, struct att_err *err)
{
	struct att_node *node = NULL;
	struct att_store *s = NULL;
	char *kpath = NULL, buf[32];
	enum att_rc rc;

	if (staffing > 100000)
		return att_fail(err, ATT_EINVAL, "staffing level %lu is out of range (0..100000)",
				staffing);
	kpath = att_node_key_path(db_path);
	if (!kpath)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	if (access(kpath, F_OK) == 0) {
		rc = att_fail(err, ATT_EEXIST, "%s exists already; refusing to overwrite it", kpath);
		free(kpath);
		return rc;
	}
	rc = att_store_open(db_path, true, &s, err);
	if (rc) {
		free(kpath);
		return rc;
	}
	att_store_close(s);
	rc = att_keys_create(kpath, err);
	if (rc)
		goto fail;
	rc = att_node_open(db_path, &node, err);
	if (rc)
		goto fail;
	rc = att_node_begin(node, err);
	if (rc)
		goto fail;
	snprintf(buf, sizeof(buf), "%lu", staffing);
	rc = att_store_meta_set(node->store, "staffing", buf, err);
	if (!rc) {
		char pk[2 * ATT_PK_LEN + 1], detail[160];

		att_hex(att_keys_public(node->keys), ATT_PK_LEN, pk);
		rc = att_store_meta_set(node->store, "node_key", pk, err);
		snprintf(detail, sizeof(detail), "{\"staffing\":%lu,\"key\":\"%s\"}", staffing, pk);
		if (!rc)
			rc = att_audit_append(node, NULL, "node.init", "node", detail, err);
	}
	if (rc) {
		att_node_rollback(node);
		goto fail;
	}
	rc = att_node_commit(node, err);
	if (rc)
		goto fail;
	att_node_close(node);
	free(kpath);
	return ATT_OK;
fail:
	att_node_close(node);
	unlink(kpath);
	unlink(db_path);
	{
		char side[4200];

		snprintf(side, sizeof(side), "%s-wal", db_path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db_path);
		unlink(side);
	}
	free(kpath);
	return rc;
}

enum att_rc att_node_open(const char *db_path, struct att_node **out, struct att_err *err)
{
	struct att_node *node;
	char *kpath;
	enum att_rc rc;

	*out = NULL;
	node = calloc(1, sizeof(*node));
	if (!node)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	node->db_path = strdup(db_path);
	kpath = att_node_key_path(db_path);
	if (!node->db_path || !kpath) {
		free(kpath);
		att_node_close(node);
		return att_fail(err, ATT_ENOMEM, "out of memory");
	}
	rc = att_store_open(db_path, false, &node->store, err);
	if (!rc)
		rc = att_keys_load(kpath, &node->keys, err);
	free(kpath);
	if (!rc) {
		/* The key file must belong to this database. */
		char pk[2 * ATT_PK_LEN + 1], stored[2 * ATT_PK_LEN + 1];

		att_hex(att_keys_public(node->keys), ATT_PK_LEN, pk);
		rc = att_store_meta_get(node->store, "node_key", stored, sizeof(stored), err);
		if (rc == ATT_ENOTFOUND)
			rc = ATT_OK; /* during init, before the key is recorded */
		else if (!rc && strcmp(pk, stored))
			rc = att_fail(err, ATT_ECRYPTO,
				      "the key file does not belong to the database %s", db_path);
	}
	if (!rc)
		rc = att_audit_load(node, err);
	if (!rc)
		rc = att_holdings_new(&node->hold, err);
	if (rc) {
		att_node_close(node);
		return rc;
	}
	{
		/* cases opened before their texts were sealed are sealed now
		 * (a busy or read-only file: at a later open) */
		struct att_err ignored = {0};

		(void)!att_x_cases_seal(node, &ignored);
	}
	*out = node;
	return ATT_OK;
}

enum att_rc att_node_clone(struct att_node *node, struct att_node **out, struct att_err *err)
{
	struct att_node *c;
	char *kpath;
	enum att_rc rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	c->db_path = strdup(node->db_path);
	kpath = att_node_key_path(node->db_path);
	rc = !c->db_path || !kpath ? att_fail(err, ATT_ENOMEM, "out of memory") : ATT_OK;
	if (!rc)
		rc = att_store_open(node->db_path, false, &c->store, err);
	if (!rc)
		rc = att_keys_load(kpath, &c->keys, err);
	free(kpath);
	if (!rc)
		rc = att_audit_load(c, err);
	if (rc) {
		att_node_close(c);
		return rc;
	}
	att_holdings_ref(node->hold);
	c->hold = node->hold;
	*out = c;
	return ATT_OK;
}

void att_node_close(struct att_node *node)
{
	if (!node)
		return;
	if (node->store && att_store_in_tx(node->store))
		att_node_rollback(node);
	att_store_close(node->store);
	att_keys_free(node->keys);
	att_holdings_protected_unscope(node);
	att_holdings_unref(node->hold);
	att_policy_cache_free(node);
	att_session_cache_free(node);
	free(node->access_cache);
	free(node->case_memo);
	free(node->pend);
	free(node->tx_refs);
	free(node->db_path);
	free(node);
}

enum att_rc att_node_schema(struct att_node *node, char *out, size_t outlen,
			    struct att_err *err)
{
	return att_store_schema(node->store, out, outlen, err);
}

enum att_rc att_actor_load(struct att_node *node, const char *user_id,
			   struct att_actor *out, struct att_err *err)
{
	struct att_user_row u;
	enum att_rc rc;

	memset(out, 0, sizeof(*out));
	if (!user_id || !*user_id) {
		const char *who = getenv("USER");

		snprintf(out->id, sizeof(out->id), "local:%.50s", who && *who ? who : "operator");
		snprintf(out->name, sizeof(out->name), "node operator");
		out->role = ATT_ROLE_LOCAL;
		return ATT_OK;
	}
	rc = att_check_id(err, "user", user_id);
	if (rc)
		return rc;
	rc = att_store_user_get(node->store, user_id, &u, err);
	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_EDENIED, "no such user '%s'", user_id);
	if (rc)
		return rc;
	if (u.disabled)
		return att_fail(err, ATT_EDENIED, "user '%s' is disabled", user_id);
	snprintf(out->id, sizeof(out->id), "%s", u.id);
	snprintf(out->name, sizeof(out->name), "%s", u.name);
	snprintf(out->unit, sizeof(out->unit), "%s", u.unit);
	out->role = att_role_parse(u.role);
	if (out->role == ATT_ROLE_NONE)
		return att_fail(err, ATT_EDENIED, "user '%s' has an unknown role", user_id);
	return ATT_OK;
}

enum att_rc att_actor_authz(struct att_node *node, const char *user_id, enum att_action act,
			    struct att_actor *out, struct att_err *err)
{
	enum att_rc rc = att_actor_load(node, user_id, out, err);

	return rc ? rc : att_authz(out, act, NULL, err);
}
