/* Safeguards: the rules that keep the network to its mandate. The sender's
 * mandate (unit and fields), the neutrality screen, the protected-persons
 * check and the handling-code rules. Used by the exchange service only. */
#ifndef ATT_POLICY_H
#define ATT_POLICY_H

#include <stdint.h>

#include "attache/authz.h"
#include "node_int.h"

/* What an actor may exchange: their unit and fields (bit 0 terrorism, 1
 * organized-crime, 2 cybercrime). A representative's come from their active
 * appointment: without one they have none and are refused. */
struct att_mandate {
	char unit[2 * ATT_ID_MAX + 2];
	unsigned fields;
};

unsigned att_field_bit(const char *field);

/* The mandate of a traffic role (desk, rep, partner); ATT_EDENIED for a
 * representative without an active appointment. Other roles get an empty
 * mandate (no unit, no fields). */
enum att_rc att_policy_mandate(struct att_node *node, const struct att_actor *actor,
			       struct att_mandate *m, struct att_err *err) ATT_WUR;

/* Checks a unit can receive traffic of field: hq/<field> (that field),
 * post/<id> (the post has the field), partner/<id> (a partner unit exists). */
enum att_rc att_policy_addressable(struct att_node *node, const char *unit,
				   const char *field, struct att_err *err) ATT_WUR;

/* The neutrality screen over a text: appends {"kind":"neutrality",
 * "category","term","where"} to reasons (a json_t array) for each term found.
 * Terms are data (table neutrality_terms), cached per node. */
enum att_rc att_policy_neutrality(struct att_node *node, const char *text, const char *where,
				  void *reasons, struct att_err *err) ATT_WUR;

struct att_name;

/* The protected-persons check of one named entity, a person or an
 * organization (its name, normalised in norm when the caller has it, else
 * NULL; dob): appends
 * {"kind":"protected-person","entity":i,"register":id,"score"} for each
 * register entry it matches. */
enum att_rc att_policy_protected(struct att_node *node, const char *name,
				 const struct att_name *norm, const char *dob,
				 size_t entity_index, void *reasons, struct att_err *err) ATT_WUR;

/* The named entities already held (delivered messages) that a name newly
 * on the register (name, dob or NULL) matches: every one the index's keys
 * reach, none capped (an exhaustive query), in *ids (malloc'd), for
 * att_policy_protected to confirm one by one. */
enum att_rc att_policy_protected_holdings(struct att_node *node, const char *name,
					  const char *dob, int64_t **ids, size_t *n,
					  struct att_err *err) ATT_WUR;

/* The protected-persons check of free text (purpose, subject, body: where):
 * a name of the register written in the text, in any script or order, with
 * initials, with markup or numbers between its words, or written as one
 * word (#SahibNasirli), holds the message. Appends
 * {"kind":"protected-person","where","register","score"} once per register
 * entry found, or {"kind":"protected-unchecked","where"} when the text
 * would cost more queries than a field may. Costs nothing while the
 * register is empty. */
enum att_rc att_policy_protected_text(struct att_node *node, const char *text, const char *where,
				      void *reasons, struct att_err *err) ATT_WUR;
/* A free text read by both safeguards: the protected-persons check of its
 * names (att_policy_protected_text), then the neutrality screen. */
enum att_rc att_policy_screen_text(struct att_node *node, const char *text, const char *where,
				   void *reasons, struct att_err *err) ATT_WUR;

/* The protected-persons check of a name cut across two fields (the end of
 * texts[i] and the start of texts[j], i < j, read as one text, its where
 * "wheres[i]+wheres[j]"), for each pair of the n fields: appends the
 * register entries found that reasons does not name yet. */
enum att_rc att_policy_protected_seams(struct att_node *node, const char *const *texts,
				       const char *const *wheres, size_t n, void *reasons,
				       struct att_err *err) ATT_WUR;

/* The protected-persons check of the addresses among a message's entities
 * (e-mail, domain, URL values as sent): read as one text, where "entities",
 * as sent, percent-decoded and with IDN labels in their own script (a URL's
 * path or query, a sub-domain, a local part can name a person). Addresses
 * longer than 64 KiB together hold the message unchecked. */
enum att_rc att_policy_protected_addresses(struct att_node *node, const char *const *values,
					   size_t n, void *reasons, struct att_err *err) ATT_WUR;

/* Frees the node's cached neutrality terms (at close). */
void att_policy_cache_free(struct att_node *node);

/* Handling codes. */
bool att_handling_valid(const char *h);
/* H2: passing a message on needs the provider's permission for the unit
 * (the provider's own unit passes it freely). A grant on the message's
 * case passes it on too: att_policy_passes_on says whether a unit that is
 * not among its recipients may read it that way. */
bool att_policy_passes_on(const char *handling, bool is_provider, bool permitted);
enum att_rc att_policy_may_forward(const char *handling, bool is_provider, bool permitted,
				   int64_t msg_id, const char *unit, struct att_err *err) ATT_WUR;
/* H1: judicial use needs the provider's permission. */
enum att_rc att_policy_may_export(const char *handling, bool is_provider, bool permitted,
				  int64_t msg_id, struct att_err *err) ATT_WUR;

#endif
