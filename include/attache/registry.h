/* The registry of the decree: posts in foreign states and international
 * organizations, the service-wide approved staffing level, and appointments of
 * representatives: proposed (head) -> agreed by MFA -> agreed by the President
 * -> made (head) -> ended, or refused at an agreement step.
 * All functions take the acting user's id (NULL: the node operator), check
 * authorization first, write data and audit entry in one transaction, and
 * write nothing when they refuse. */
#ifndef ATTACHE_REGISTRY_H
#define ATTACHE_REGISTRY_H

#include "attache/common.h"

struct att_node;

/* Appointment statuses as stored and shown. */
#define ATT_APPT_PROPOSED "proposed"
#define ATT_APPT_MFA_AGREED "mfa-agreed"
#define ATT_APPT_PRES_AGREED "president-agreed"
#define ATT_APPT_APPOINTED "appointed"
#define ATT_APPT_ENDED "ended"
#define ATT_APPT_REFUSED "refused"

/* Largest staffing number of a post or of the service. */
#define ATT_STAFFING_MAX 100000ul

struct att_post_spec {
	const char *id;      /* identifier */
	const char *kind;    /* "state" or "org" */
	const char *host;    /* state: ISO 3166-1 alpha-2 code; org: its name */
	const char *city;
	const char *mission; /* optional: the diplomatic mission (state) */
	const char *fields;  /* comma-separated subset of the three fields */
	unsigned long staffing;
};

enum att_rc att_post_add(struct att_node *node, const char *actor_id,
			 const struct att_post_spec *spec, struct att_err *err) ATT_WUR;

/* Sets a post's approved staffing number; refused below the number of active
 * appointments at the post. */
enum att_rc att_post_set_staffing(struct att_node *node, const char *actor_id,
				  const char *post_id, unsigned long staffing,
				  struct att_err *err) ATT_WUR;

/* Posts as JSON (json_t *): list is an array, show one object with its
 * appointments. Each post carries id, kind, host, city, mission, fields,
 * staffing and used (active appointments). Every read of the registry is
 * audited (post.list, post.read, staffing.read, appointment.list,
 * appointment.read), in one read transaction with the read. */
enum att_rc att_post_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err) ATT_WUR;
enum att_rc att_post_show(struct att_node *node, const char *actor_id, const char *post_id,
			  void **out_json, struct att_err *err) ATT_WUR;

/* The service-wide approved staffing level: get returns {level, used}; set
 * refuses a level below the number of active appointments. */
enum att_rc att_staffing_get(struct att_node *node, const char *actor_id, void **out_json,
			     struct att_err *err) ATT_WUR;
enum att_rc att_staffing_set(struct att_node *node, const char *actor_id,
			     unsigned long level, struct att_err *err) ATT_WUR;

struct att_appt_spec {
	const char *person; /* user id of a rep */
	const char *post;
	const char *field;
	const char *start;  /* optional YYYY-MM-DD */
	const char *end;    /* optional YYYY-MM-DD, after start */
	const char *reason; /* optional */
};

/* Proposes an appointment; *id receives its number. */
enum att_rc att_appt_propose(struct att_node *node, const char *actor_id,
			     const struct att_appt_spec *spec, int64_t *id,
			     struct att_err *err) ATT_WUR;
/* The agreement step the actor's role is for (MFA, then the President). */
enum att_rc att_appt_agree(struct att_node *node, const char *actor_id, int64_t id,
			   const char *reason, struct att_err *err) ATT_WUR;
enum att_rc att_appt_refuse(struct att_node *node, const char *actor_id, int64_t id,
			    const char *reason, struct att_err *err) ATT_WUR;
/* Makes the appointment (after both agreements) within the post's and the
 * service's staffing; the start date defaults to today. */
enum att_rc att_appt_make(struct att_node *node, const char *actor_id, int64_t id,
			  struct att_err *err) ATT_WUR;
/* Ends an active appointment (recall or end of term). */
enum att_rc att_appt_end(struct att_node *node, const char *actor_id, int64_t id,
			 const char *reason, struct att_err *err) ATT_WUR;

/* Appointments as JSON: list (optionally filtered by post and status) is an
 * array; show one object. Objects carry id, person, person_name, post, field,
 * status, start, end, active and history (array of {step, actor, role, at,
 * reason}). */
enum att_rc att_appt_list(struct att_node *node, const char *actor_id, const char *post,
			  const char *status, void **out_json, struct att_err *err) ATT_WUR;
enum att_rc att_appt_show(struct att_node *node, const char *actor_id, int64_t id,
			  void **out_json, struct att_err *err) ATT_WUR;

/* The active appointment of a representative today, if any: fills post and
 * field (buffers of ATT_ID_MAX+1) and returns ATT_OK, or ATT_ENOTFOUND. Used by
 * the exchange to decide what a representative may see. */
enum att_rc att_appt_active_for(struct att_node *node, const char *person, char *post,
				char *field, struct att_err *err) ATT_WUR;

#endif
