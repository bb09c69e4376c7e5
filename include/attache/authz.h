/* Roles, actors and the one authorization function that decides every
 * action. Service functions call att_authz() before any other work. */
#ifndef ATTACHE_AUTHZ_H
#define ATTACHE_AUTHZ_H

#include "attache/common.h"

enum att_role {
	ATT_ROLE_NONE = 0,
	ATT_ROLE_HEAD,
	ATT_ROLE_MFA,
	ATT_ROLE_PRESIDENT,
	ATT_ROLE_DESK,
	ATT_ROLE_REP,
	ATT_ROLE_PARTNER,
	ATT_ROLE_OVERSEER,
	ATT_ROLE_FINANCE,
	ATT_ROLE_ADMIN,
	ATT_ROLE_LOCAL, /* the node operator at the console (no user account) */
};

/* Every action a service function performs. */
enum att_action {
	ATT_ACT_USER_ADD,
	ATT_ACT_USER_LIST,
	ATT_ACT_POST_ADD,
	ATT_ACT_POST_READ,
	ATT_ACT_POST_STAFFING,
	ATT_ACT_STAFFING_SET,
	ATT_ACT_STAFFING_READ,
	ATT_ACT_APPT_PROPOSE,
	ATT_ACT_APPT_AGREE,
	ATT_ACT_APPT_REFUSE,
	ATT_ACT_APPT_MAKE,
	ATT_ACT_APPT_END,
	ATT_ACT_APPT_READ,
	ATT_ACT_AUDIT_READ,
	ATT_ACT_AUDIT_VERIFY,
	ATT_ACT_CASE_OPEN,
	ATT_ACT_CASE_READ,
	ATT_ACT_CASE_GRANT,
	ATT_ACT_MSG_SEND,
	ATT_ACT_MSG_READ,
	ATT_ACT_MSG_ACK,
	ATT_ACT_MSG_FORWARD,
	ATT_ACT_MSG_PERMIT,
	ATT_ACT_MSG_EXPORT,
	ATT_ACT_HITS_READ,
	ATT_ACT_OVERDUE_READ,
	ATT_ACT_SCREEN,
	ATT_ACT_PROTECT_ADD,
	ATT_ACT_PROTECT_READ,
	ATT_ACT_REVIEW_READ,
	ATT_ACT_REVIEW_DECIDE,
	ATT_ACT_NEUTRALITY_READ,
	ATT_ACT_NEUTRALITY_EDIT,
	ATT_ACT_WATCHLIST_IMPORT,
	ATT_ACT_WATCHLIST_READ,
	ATT_ACT_TOKEN_CREATE,
	ATT_ACT_TOKEN_REVOKE,
	ATT_ACT__COUNT
};

/* Who acts: a user of the node (or the local operator). */
struct att_actor {
	char id[ATT_ID_MAX + 1];
	char name[256];
	enum att_role role;
	char unit[2 * ATT_ID_MAX + 2];
};

/* The object an action touches, as far as the decision needs it. Fields not
 * relevant to an action are left zero/NULL. */
struct att_authz_ctx {
	const char *appt_status;   /* appointment actions: its current status */
	const char *appt_proposer; /* appointment actions: who proposed it */
	const char *appt_person;   /* appointment actions: the appointee */
};

/* Role names ("head", "mfa", ...) and back; ATT_ROLE_NONE if unknown. */
const char *att_role_name(enum att_role r);
enum att_role att_role_parse(const char *s);

/* Name of an action, as written to the audit log ("appointment.agree"). */
const char *att_action_name(enum att_action a);

/* Whether act reads what the exchange holds (a message, a case, hits, the
 * overdue list, a search, an export): a refused attempt at one is audited,
 * as every read is. */
bool att_action_reads_exchange(enum att_action a);

/* Decides whether actor may perform act on ctx. Returns ATT_OK, or
 * ATT_EDENIED with a message naming the rule. Pure: no I/O, thread-safe. */
enum att_rc att_authz(const struct att_actor *actor, enum att_action act,
		      const struct att_authz_ctx *ctx, struct att_err *err) ATT_WUR;

#endif
