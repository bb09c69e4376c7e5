/* Helpers shared by the files of the exchange (exchange.c: cases and
 * sending; delivery.c: reading and passing on; review.c: the register, the
 * review queue and the neutrality terms; hits.c: hits and screening). */
#ifndef ATT_EXCHANGE_INT_H
#define ATT_EXCHANGE_INT_H

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/match.h"
#include "node_int.h"
#include "policy.h"
#include "store_exchange.h"

/* Who is acting and with what mandate. A representative without an active
 * appointment has no access at all. */
struct access {
	struct att_actor actor;
	struct att_mandate m;
};

/* Loads the actor, authorizes act, and works out their mandate. */
enum att_rc att_x_access(struct att_node *node, const char *actor_id, enum att_action act,
			 struct access *a, struct att_err *err) ATT_WUR;
/* Need-to-know for one message. */
enum att_rc att_x_may_read(struct att_node *node, const struct access *a,
			   const struct att_msg_row *m, bool *yes, struct att_err *err) ATT_WUR;
/* Whether the actor is a party to a case (owner unit, addressed, granted). */
enum att_rc att_x_may_use_case(struct att_node *node, const struct access *a,
			       const struct att_case_row *c, bool *yes,
			       struct att_err *err) ATT_WUR;

/* Content at rest: JSON sealed under the data key, bound to ad. */
enum att_rc att_x_seal_json(struct att_node *node, const json_t *v, const char *ad,
			    unsigned char **out, size_t *len, struct att_err *err) ATT_WUR;
json_t *att_x_open_json(struct att_node *node, const unsigned char *blob, size_t len,
			const char *ad, struct att_err *err);
/* Seals a short text for an audit entry (base64, malloc'd; NULL with err
 * set on failure). att_audit_list opens members named *_sealed for the
 * overseer. */
/* text sealed with associated data ad, in base64 after prefix (malloc'd). */
char *att_x_seal_b64(struct att_node *node, const char *text, const char *ad, const char *prefix,
		     struct att_err *err);
char *att_x_seal_text(struct att_node *node, const char *text, struct att_err *err);

/* "what:id" associated data. */
void att_x_ad(char *ad, size_t n, const char *what, int64_t id);
/* What the protected-persons check at sending reads besides the names: a
 * message's free text (the fields as stored, a preservation request's
 * elements) and its addresses as sent (e-mail, domain and URL values). */
struct att_x_texts {
	const char *purpose, *subject, *body, *htext, *legal;
	const json_t *pres;
	/* the message's case: read with each of its messages */
	const char *case_title, *case_purpose;
	const char *addr[ATT_MSG_ENTITIES_MAX];
	size_t naddr;
};
/* Whether an identifier of type t is an address (read as text). */
bool att_x_is_address(enum att_id_type t);
/* The protected-persons check of t (see struct att_x_texts), one rule for
 * sending and for the rescan of what was sent before a person was
 * registered: reasons appended to reasons. */
enum att_rc att_x_protected_texts(struct att_node *node, const struct att_x_texts *t,
				  json_t *reasons, struct att_err *err) ATT_WUR;

/* Case id with its title, purpose and legal basis opened (ATT_ENOTFOUND
 * when there is none; ATT_ETAMPER/ATT_ECRYPTO when they cannot be). */
enum att_rc att_x_case_get(struct att_node *node, int64_t id, struct att_case_row *c,
			   struct att_err *err) ATT_WUR;
/* Opens c's sealed title, purpose and legal basis into its fields (a case
 * from before schema 10 not yet sealed has them in clear: kept). */
enum att_rc att_x_case_unseal(struct att_node *node, struct att_case_row *c,
			      struct att_err *err) ATT_WUR;

/* Seals the title, purpose and legal basis of the cases still in clear
 * (opened before schema 10), once: then node metadata "cases_sealed" says
 * so, and later opens read that key alone. */
enum att_rc att_x_cases_seal(struct att_node *node, struct att_err *err) ATT_WUR;

/* Holds message msg for reasons found after it was sent (an attachment
 * added later, unseen by the overseer): a delivered or released one is
 * taken back from its recipients, a held one's review gets them
 * (review.c). */
enum att_rc att_x_hold_again(struct att_node *node, const struct att_actor *actor, int64_t msg,
			     json_t *reasons, struct att_err *err) ATT_WUR;
/* The neutrality screen of case c's title and purpose, which travel with
 * each of its messages (the protected-persons check reads them among a
 * message's texts, struct att_x_texts). */
enum att_rc att_x_case_neutrality(struct att_node *node, const struct att_case_row *c,
				  json_t *reasons, struct att_err *err) ATT_WUR;

/* An ISO time string or JSON null for 0. */
json_t *att_x_time(int64_t t);
const char *att_x_jstr(const json_t *o, const char *key);
json_t *att_x_case_json(const struct att_case_row *c);

/* Cross-matches the entities of a delivered message and records hits; with
 * again (a message delivered before, held, now released) none it already
 * has. */
enum att_rc att_x_match_message(struct att_node *node, int64_t msg_id, bool again,
				size_t *hits, struct att_err *err) ATT_WUR;

#endif
