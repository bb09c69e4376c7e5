/* The one authorization function: which role may do what. Every service
 * function calls att_authz() before doing anything else. */
#include <string.h>

#include "attache/authz.h"
#include "banned.h"

static const char *const role_names[] = {
	[ATT_ROLE_NONE] = "none",         [ATT_ROLE_HEAD] = "head",
	[ATT_ROLE_MFA] = "mfa",           [ATT_ROLE_PRESIDENT] = "president",
	[ATT_ROLE_DESK] = "desk",         [ATT_ROLE_REP] = "rep",
	[ATT_ROLE_PARTNER] = "partner",   [ATT_ROLE_OVERSEER] = "overseer",
	[ATT_ROLE_FINANCE] = "finance",   [ATT_ROLE_ADMIN] = "admin",
	[ATT_ROLE_LOCAL] = "local",
};

static const char *const action_names[ATT_ACT__COUNT] = {
	[ATT_ACT_USER_ADD] = "user.add",
	[ATT_ACT_USER_LIST] = "user.list",
	[ATT_ACT_POST_ADD] = "post.add",
	[ATT_ACT_POST_READ] = "post.read",
	[ATT_ACT_POST_STAFFING] = "post.staffing",
	[ATT_ACT_STAFFING_SET] = "staffing.set",
	[ATT_ACT_STAFFING_READ] = "staffing.read",
	[ATT_ACT_APPT_PROPOSE] = "appointment.propose",
	[ATT_ACT_APPT_AGREE] = "appointment.agree",
	[ATT_ACT_APPT_REFUSE] = "appointment.refuse",
	[ATT_ACT_APPT_MAKE] = "appointment.make",
	[ATT_ACT_APPT_END] = "appointment.end",
	[ATT_ACT_APPT_READ] = "appointment.read",
	[ATT_ACT_AUDIT_READ] = "audit.read",
	[ATT_ACT_AUDIT_VERIFY] = "audit.verify",
	[ATT_ACT_CASE_OPEN] = "case.open",
	[ATT_ACT_CASE_READ] = "case.read",
	[ATT_ACT_CASE_GRANT] = "case.grant",
	[ATT_ACT_MSG_SEND] = "message.send",
	[ATT_ACT_MSG_READ] = "message.read",
	[ATT_ACT_MSG_ACK] = "message.ack",
	[ATT_ACT_MSG_FORWARD] = "message.forward",
	[ATT_ACT_MSG_PERMIT] = "message.permit",
	[ATT_ACT_MSG_EXPORT] = "message.export",
	[ATT_ACT_HITS_READ] = "hits.read",
	[ATT_ACT_OVERDUE_READ] = "overdue.read",
	[ATT_ACT_SCREEN] = "screen",
	[ATT_ACT_PROTECT_ADD] = "protected.add",
	[ATT_ACT_PROTECT_READ] = "protected.read",
	[ATT_ACT_REVIEW_READ] = "review.read",
	[ATT_ACT_REVIEW_DECIDE] = "review.decide",
	[ATT_ACT_NEUTRALITY_READ] = "neutrality.read",
	[ATT_ACT_NEUTRALITY_EDIT] = "neutrality.edit",
	[ATT_ACT_WATCHLIST_IMPORT] = "watchlist.import",
	[ATT_ACT_WATCHLIST_READ] = "watchlist.read",
	[ATT_ACT_TOKEN_CREATE] = "token.create",
	[ATT_ACT_TOKEN_REVOKE] = "token.revoke",
};

#define R(x) (1u << (x))
#define ALL_USERS (R(ATT_ROLE_HEAD) | R(ATT_ROLE_MFA) | R(ATT_ROLE_PRESIDENT) | \
		   R(ATT_ROLE_DESK) | R(ATT_ROLE_REP) | R(ATT_ROLE_PARTNER) |      \
		   R(ATT_ROLE_OVERSEER) | R(ATT_ROLE_FINANCE) | R(ATT_ROLE_ADMIN))

#define TRAFFIC (R(ATT_ROLE_DESK) | R(ATT_ROLE_REP) | R(ATT_ROLE_PARTNER))

/* Who may do what, by role. Rules that depend on the object (self-approval,
 * step order) are below, in att_authz itself. */
static const unsigned allowed[ATT_ACT__COUNT] = {
	[ATT_ACT_USER_ADD] = R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_USER_LIST] = R(ATT_ROLE_ADMIN) | R(ATT_ROLE_HEAD) | R(ATT_ROLE_OVERSEER) |
			      R(ATT_ROLE_LOCAL),
	[ATT_ACT_POST_ADD] = R(ATT_ROLE_HEAD) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_POST_READ] = (ALL_USERS & ~R(ATT_ROLE_PARTNER)) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_POST_STAFFING] = R(ATT_ROLE_HEAD),
	[ATT_ACT_STAFFING_SET] = R(ATT_ROLE_HEAD),
	[ATT_ACT_STAFFING_READ] = (ALL_USERS & ~R(ATT_ROLE_PARTNER)) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_APPT_PROPOSE] = R(ATT_ROLE_HEAD),
	[ATT_ACT_APPT_AGREE] = R(ATT_ROLE_MFA) | R(ATT_ROLE_PRESIDENT),
	[ATT_ACT_APPT_REFUSE] = R(ATT_ROLE_MFA) | R(ATT_ROLE_PRESIDENT),
	[ATT_ACT_APPT_MAKE] = R(ATT_ROLE_HEAD),
	[ATT_ACT_APPT_END] = R(ATT_ROLE_HEAD),
	[ATT_ACT_APPT_READ] = (ALL_USERS & ~R(ATT_ROLE_PARTNER)) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_AUDIT_READ] = R(ATT_ROLE_OVERSEER) | R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_AUDIT_VERIFY] = R(ATT_ROLE_OVERSEER) | R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
	/* The exchange: only the traffic roles send and receive; the overseer
	 * reads (every read audited) but sends nothing; admin reads no content. */
	[ATT_ACT_CASE_OPEN] = TRAFFIC,
	[ATT_ACT_CASE_READ] = TRAFFIC | R(ATT_ROLE_OVERSEER),
	[ATT_ACT_CASE_GRANT] = TRAFFIC,
	[ATT_ACT_MSG_SEND] = TRAFFIC,
	[ATT_ACT_MSG_READ] = TRAFFIC | R(ATT_ROLE_OVERSEER),
	[ATT_ACT_MSG_ACK] = TRAFFIC,
	[ATT_ACT_MSG_FORWARD] = TRAFFIC,
	[ATT_ACT_MSG_PERMIT] = TRAFFIC,
	[ATT_ACT_MSG_EXPORT] = TRAFFIC,
	[ATT_ACT_HITS_READ] = TRAFFIC | R(ATT_ROLE_OVERSEER),
	[ATT_ACT_OVERDUE_READ] = TRAFFIC | R(ATT_ROLE_HEAD) | R(ATT_ROLE_OVERSEER),
	[ATT_ACT_SCREEN] = R(ATT_ROLE_DESK) | R(ATT_ROLE_REP) | R(ATT_ROLE_OVERSEER) |
			   R(ATT_ROLE_LOCAL),
	/* The register of protected persons is itself sensitive: a list of
	 * emigrants and journalists must not become a target list. */
	[ATT_ACT_PROTECT_ADD] = R(ATT_ROLE_OVERSEER),
	[ATT_ACT_PROTECT_READ] = R(ATT_ROLE_OVERSEER),
	[ATT_ACT_REVIEW_READ] = R(ATT_ROLE_OVERSEER),
	[ATT_ACT_REVIEW_DECIDE] = R(ATT_ROLE_OVERSEER),
	[ATT_ACT_NEUTRALITY_READ] = R(ATT_ROLE_OVERSEER) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_NEUTRALITY_EDIT] = R(ATT_ROLE_OVERSEER),
	[ATT_ACT_WATCHLIST_IMPORT] = R(ATT_ROLE_DESK) | R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_WATCHLIST_READ] = (ALL_USERS & ~R(ATT_ROLE_PARTNER)) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_TOKEN_CREATE] = R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
	[ATT_ACT_TOKEN_REVOKE] = R(ATT_ROLE_ADMIN) | R(ATT_ROLE_LOCAL),
};

const char *att_role_name(enum att_role r)
{
	if ((unsigned)r < sizeof(role_names) / sizeof(role_names[0]))
		return role_names[r];
	return "none";
}

enum att_role att_role_parse(const char *s)
{
	if (!s)
		return ATT_ROLE_NONE;
	/* The local operator is not a role a user account can have. */
	for (unsigned r = ATT_ROLE_HEAD; r <= ATT_ROLE_ADMIN; r++) {
		if (!strcmp(s, role_names[r]))
			return (enum att_role)r;
	}
	return ATT_ROLE_NONE;
}

const char *att_action_name(enum att_action a)
{
	if ((unsigned)a < ATT_ACT__COUNT && action_names[a])
		return action_names[a];
	return "unknown";
}

bool att_action_reads_exchange(enum att_action a)
{
	switch (a) {
	case ATT_ACT_CASE_READ:
	case ATT_ACT_MSG_READ:
	case ATT_ACT_MSG_EXPORT:
	case ATT_ACT_HITS_READ:
	case ATT_ACT_OVERDUE_READ:
	case ATT_ACT_SCREEN:
		return true;
	default:
		return false;
	}
}

static const char *who(const struct att_actor *a)
{
	return a->role == ATT_ROLE_LOCAL ? "the node operator (give --as USER)" : a->id;
}

enum att_rc att_authz(const struct att_actor *actor, enum att_action act,
		      const struct att_authz_ctx *ctx, struct att_err *err)
{
	if (!actor || (unsigned)act >= ATT_ACT__COUNT)
		return att_fail(err, ATT_EDENIED, "denied: no actor");
	/* Self-approval is checked before the role so that the reason given is
	 * the rule that matters. */
	if ((act == ATT_ACT_APPT_AGREE || act == ATT_ACT_APPT_REFUSE) && ctx) {
		if (ctx->appt_proposer && !strcmp(ctx->appt_proposer, actor->id))
			return att_fail(err, ATT_EDENIED,
					"denied: %s proposed this appointment and may not "
					"agree to or refuse their own proposal",
					actor->id);
	}
	if (ctx && ctx->appt_person && !strcmp(ctx->appt_person, actor->id) &&
	    act != ATT_ACT_APPT_READ)
		return att_fail(err, ATT_EDENIED,
				"denied: %s is the appointee and may take no step in their own "
				"appointment",
				actor->id);
	if (!(allowed[act] & R(actor->role)))
		return att_fail(err, ATT_EDENIED, "denied: %s (role %s) may not %s", who(actor),
				att_role_name(actor->role), action_names[act]);
	return ATT_OK;
}
