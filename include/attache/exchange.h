/* The exchange: cases, structured messages between headquarters desks,
 * representatives at posts and partner agencies, delivery with need-to-know,
 * handling codes, deadlines, hits from the matching engine, and the
 * safeguards (protected persons, neutrality screen) that hold a message for
 * review. Every function takes the acting user's id, authorizes first, writes
 * data and audit entry in one transaction, and writes nothing on refusal.
 * Results are JSON (json_t *, caller owns) through void **. Content is
 * encrypted at rest under the node's data key. */
#ifndef ATTACHE_EXCHANGE_H
#define ATTACHE_EXCHANGE_H

#include "attache/common.h"

struct att_node;

/* Largest canonical message accepted (bytes of JSON), nesting depth of it,
 * entities and recipients in one message, and attachment bytes. */
#define ATT_MSG_MAX (1024u * 1024u)
#define ATT_MSG_DEPTH_MAX 8
#define ATT_MSG_ENTITIES_MAX 200u
#define ATT_MSG_RECIPIENTS_MAX 32u
#define ATT_MSG_BODY_MAX (256u * 1024u)
#define ATT_ATTACH_MAX (16u * 1024u * 1024u)

/* Default deadlines by priority, in seconds. */
#define ATT_DEADLINE_IMMEDIATE (8 * 3600)
#define ATT_DEADLINE_URGENT (3 * 86400)
#define ATT_DEADLINE_ROUTINE (7 * 86400)
/* Budapest Convention art. 29(3): preservation for at least 60 days. */
#define ATT_PRESERVE_MIN_DAYS 60
#define ATT_PRESERVE_MAX_DAYS 365

struct att_case_spec {
	const char *field;
	const char *title;
	const char *purpose;
	const char *legal_basis;
	const char *subarea;     /* optional: money laundering, trafficking, ... */
	const char *review_date; /* optional YYYY-MM-DD; default one year on */
};

/* Opens a case owned by the actor's unit, in a field of the actor's
 * mandate; *id receives its number. */
enum att_rc att_case_open(struct att_node *node, const char *actor_id,
			  const struct att_case_spec *spec, int64_t *id,
			  struct att_err *err) ATT_WUR;
/* Cases the actor may see (owned by their unit, granted, or addressed). */
enum att_rc att_case_list(struct att_node *node, const char *actor_id, void **out_json,
			  struct att_err *err) ATT_WUR;
/* One case with the thread of messages the actor may read. */
enum att_rc att_case_show(struct att_node *node, const char *actor_id, int64_t id,
			  void **out_json, struct att_err *err) ATT_WUR;
/* Grants a user or unit read access to a case (owner unit only). */
enum att_rc att_case_grant(struct att_node *node, const char *actor_id, int64_t id,
			   const char *grantee, struct att_err *err) ATT_WUR;

/* What sending produced. */
struct att_send_result {
	int64_t id;
	bool held;       /* held for review: not delivered */
	void *reasons;   /* json_t * array of hold reasons (caller frees), or NULL */
	size_t hits;     /* hits recorded */
};

/* Sends one canonical message (JSON text json[0..len), see docs/exchange.md):
 * validates, applies the safeguards, stores it encrypted, delivers it (or
 * holds it), cross-matches its entities and records hits, and audits. */
enum att_rc att_msg_send(struct att_node *node, const char *actor_id, const char *json,
			 size_t len, struct att_send_result *res, struct att_err *err) ATT_WUR;

/* Group commit: sends n messages (each with its own actor and result) in one
 * transaction; each is validated and refused on its own (rcs[i], errs[i])
 * without affecting the others. Returns ATT_OK when the transaction
 * committed (whatever the individual results), or the commit's failure (then
 * none was stored). */
enum att_rc att_msg_send_many(struct att_node *node, const char *const *actor_ids,
			      const char *const *jsons, const size_t *lens, size_t n,
			      struct att_send_result *res, enum att_rc *rcs,
			      struct att_err *errs, struct att_err *err) ATT_WUR;

/* Frees what a result holds. */
void att_send_result_release(struct att_send_result *res);

/* The actor's inbox: messages they sent or that reached their unit, overdue
 * first, then newest first; at most limit (0: 50) older than before (0: the
 * newest). The page's "items" array may be shared with the node's page cache
 * and other callers: it is never changed; change only the top-level object. */
enum att_rc att_inbox(struct att_node *node, const char *actor_id, int64_t before,
		      size_t limit, void **out_json, struct att_err *err) ATT_WUR;
/* One message, if the actor may read it (the attempt is audited either way);
 * marks it read for the actor's unit. */
enum att_rc att_msg_show(struct att_node *node, const char *actor_id, int64_t id,
			 void **out_json, struct att_err *err) ATT_WUR;
/* Acknowledges receipt for the actor's unit. */
enum att_rc att_msg_ack(struct att_node *node, const char *actor_id, int64_t id,
			struct att_err *err) ATT_WUR;
/* Passes a message on to another unit (H2: only with the provider's
 * permission for that unit). */
enum att_rc att_msg_forward(struct att_node *node, const char *actor_id, int64_t id,
			    const char *unit, struct att_err *err) ATT_WUR;
/* The provider records permission to pass the message on to a unit, or
 * ("judicial") to use it in judicial proceedings. */
enum att_rc att_msg_permit(struct att_node *node, const char *actor_id, int64_t id,
			   const char *target, struct att_err *err) ATT_WUR;
/* Exports a message for judicial use (H1: only with the provider's
 * permission). */
enum att_rc att_msg_export(struct att_node *node, const char *actor_id, int64_t id,
			   void **out_json, struct att_err *err) ATT_WUR;

/* Attaches a file to a message: only its sender may, and not to a rejected
 * message; the content is sealed (bound to the message) and at most
 * ATT_ATTACH_MAX bytes; name is a plain file name, mime a media type.
 * *id receives the attachment's number. */
enum att_rc att_msg_attach(struct att_node *node, const char *actor_id, int64_t msg_id,
			   const char *name, const char *mime, const void *data, size_t len,
			   int64_t *id, struct att_err *err) ATT_WUR;
/* Reads an attachment of a message the actor may read (audited): *data is
 * malloc'd and owned by the caller, name and mime are copied into buffers of
 * 256 and 128 bytes. */
enum att_rc att_msg_attachment(struct att_node *node, const char *actor_id, int64_t msg_id,
			       int64_t att_id, char *name, char *mime, void **data, size_t *len,
			       struct att_err *err) ATT_WUR;

/* Hits the actor may see, hit/no-hit style: their own entity, that a match
 * exists, the other holder's unit and how to ask; the other content only when
 * the actor may read it anyway. */
enum att_rc att_hits(struct att_node *node, const char *actor_id, void **out_json,
		     struct att_err *err) ATT_WUR;
/* Requests past their deadline that the actor's unit must answer or awaits,
 * and preservation orders near expiry. */
enum att_rc att_overdue(struct att_node *node, const char *actor_id, void **out_json,
			struct att_err *err) ATT_WUR;

/* The overseer's register of protected persons. */
struct att_protect_spec {
	const char *name;
	const char *dob;      /* optional YYYY-MM-DD or YYYY */
	const char *category; /* refugee, journalist, human-rights-defender, emigrant */
	const char *reason;   /* optional */
};
/* What putting a person on the register did to what was already sent: the
 * delivered messages naming them, now held for review again (taken from
 * their recipients, their entities out of matching, until an overseer
 * releases them), and the messages already held with the person added to
 * their reasons. */
struct att_protect_result {
	int64_t *held;
	size_t nheld;
	int64_t *flagged;
	size_t nflagged;
};
/* Adds the person; res (may be NULL) receives what happened to the
 * messages already sent, released with att_protect_result_release. */
enum att_rc att_protect_add(struct att_node *node, const char *actor_id,
			    const struct att_protect_spec *spec, int64_t *id,
			    struct att_protect_result *res, struct att_err *err) ATT_WUR;
void att_protect_result_release(struct att_protect_result *res);
/* {"id", "held": [...], "flagged": [...]} (json_t *, caller owns; NULL
 * when out of memory). */
void *att_protect_result_json(int64_t id, const struct att_protect_result *res);
enum att_rc att_protect_list(struct att_node *node, const char *actor_id, void **out_json,
			     struct att_err *err) ATT_WUR;
/* The rescan: att_protect_add finds at once the messages that name the new
 * person in an entity (the match index has them), and leaves a job to read
 * the text of every message sent before (purpose, subject, body, handling
 * text, legal basis, a preservation request's elements, addresses), with
 * the check at sending narrowed to the new entry. The job runs in steps
 * (each its own transaction, bounded in messages, bytes and time), and
 * resumes where it stopped after a crash. A step holds again the delivered
 * messages found and adds the person to the reasons of those held (into
 * res, which may be NULL; ids appended), as actor_id (an overseer); a
 * message whose stored content cannot be opened is held as unreadable. A
 * step works on the oldest unfinished job whose entry is from or later
 * (0: any); *state is that job after the step (state->reg 0: no job). */
struct att_rescan_state {
	int64_t reg;          /* the register entry looked for */
	int64_t read, total;  /* messages read so far, of total */
	int64_t held, flagged;
	bool finished;
};
enum att_rc att_protect_rescan_step(struct att_node *node, const char *actor_id, int64_t from,
				    size_t step, struct att_rescan_state *state,
				    struct att_protect_result *res, struct att_err *err) ATT_WUR;
/* Every unfinished job step by step, to the end or, with budget_ms > 0,
 * until that many milliseconds have passed (checked after each step); a
 * job that fails is left and the others go on, its error returned at the
 * end. An actor who may not is refused at once. progress (may be NULL) is
 * called after each step; *finished (may be NULL) tells whether no job is
 * left. */
enum att_rc att_protect_rescan(struct att_node *node, const char *actor_id, int64_t budget_ms,
			       void (*progress)(const struct att_rescan_state *st, void *arg),
			       void *arg, struct att_protect_result *res, bool *finished,
			       struct att_err *err) ATT_WUR;
/* The oldest unfinished job whose entry is from or later, and who started
 * it (by: at least 65 bytes); ATT_ENOTFOUND when none. No authorization:
 * for the server's background runner. */
enum att_rc att_protect_rescan_pending(struct att_node *node, int64_t from, int64_t *reg,
				       char *by, struct att_err *err) ATT_WUR;

/* The review queue of held messages, and the overseer's decision. */
enum att_rc att_review_list(struct att_node *node, const char *actor_id, void **out_json,
			    struct att_err *err) ATT_WUR;
enum att_rc att_review_release(struct att_node *node, const char *actor_id, int64_t id,
			       const char *reason, struct att_err *err) ATT_WUR;
enum att_rc att_review_reject(struct att_node *node, const char *actor_id, int64_t id,
			      const char *reason, struct att_err *err) ATT_WUR;

/* Neutrality terms (data the overseer edits). */
enum att_rc att_neutrality_list(struct att_node *node, const char *actor_id,
				void **out_json, struct att_err *err) ATT_WUR;
enum att_rc att_neutrality_add(struct att_node *node, const char *actor_id, const char *term,
			       const char *lang, const char *category,
			       struct att_err *err) ATT_WUR;
enum att_rc att_neutrality_remove(struct att_node *node, const char *actor_id,
				  const char *term, struct att_err *err) ATT_WUR;

#endif
