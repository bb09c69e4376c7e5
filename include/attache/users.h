/* Users of a node: an id, a name, one role and a unit; passwords hashed with
 * Argon2id. */
#ifndef ATTACHE_USERS_H
#define ATTACHE_USERS_H

#include "attache/common.h"

struct att_node;

struct att_user_spec {
	const char *id;       /* identifier: [a-z0-9][a-z0-9._-]* */
	const char *name;     /* display name, UTF-8 */
	const char *role;     /* head, mfa, president, desk, rep, partner, overseer, finance, admin */
	const char *unit;     /* hq/<field> for desk (required), partner/<id> for partner
			       * (required), optional free identifier for others */
	const char *password; /* optional; at least 8 characters */
};

/* Adds a user, as actor_id (NULL: the node operator) who must be allowed
 * ATT_ACT_USER_ADD. Audited. Nothing is written on refusal. */
enum att_rc att_user_add(struct att_node *node, const char *actor_id,
			 const struct att_user_spec *spec, struct att_err *err) ATT_WUR;

/* Lists users as a JSON array (json_t *) of {id, name, role, unit}. */
enum att_rc att_user_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err) ATT_WUR;

/* Checks a password. ATT_OK when it matches an enabled user with a password;
 * ATT_EDENIED otherwise (the same message for every failure). Costs one
 * Argon2id verification: callers rate-limit before calling. */
enum att_rc att_user_authenticate(struct att_node *node, const char *user_id,
				  const char *password, struct att_err *err) ATT_WUR;

#endif
