/* The node's holdings as the matching engine sees them: one in-memory index
 * of the entities of every delivered message and of every watchlist entry
 * (values, not pairs), and a second one of the protected-persons register.
 * Kept in step with the store: each use case syncs it inside its transaction
 * from what other processes committed, and adds its own entities at once
 * (undone if the transaction rolls back). Shared by the nodes of one process
 * (att_node_clone); thread-safe. */
#ifndef ATT_HOLDINGS_H
#define ATT_HOLDINGS_H

#include <stdint.h>

#include "attache/match.h"
#include "node_int.h"

/* References of watchlist entries carry this bit; entity ids do not. */
#define ATT_REF_WL (UINT64_C(1) << 62)

struct att_holdings;

/* Creates empty holdings (loaded lazily on first sync). */
enum att_rc att_holdings_new(struct att_holdings **out, struct att_err *err) ATT_WUR;
void att_holdings_ref(struct att_holdings *h);
void att_holdings_unref(struct att_holdings *h);

/* Brings the indexes up to date with the store (call inside a transaction). */
enum att_rc att_holdings_sync(struct att_node *node, struct att_err *err) ATT_WUR;

/* The index of entities and watchlist entries (after a sync). */
struct att_match_index *att_holdings_index(struct att_node *node);
/* Whether the protected-persons register has entries, and how a name
 * holding token t could match one of them (after a sync). */
bool att_holdings_protected_any(struct att_node *node);
enum att_token_level att_holdings_protected_token(struct att_node *node,
						  const struct att_name_token *t);
enum att_token_level att_holdings_protected_text(struct att_node *node, const char *t,
						 size_t len, bool near);
/* Narrows this node's protected-persons checks (the four functions around
 * this one, and so every att_policy_protected*) to the register entries
 * added (id with its decrypted JSON, one call each), until unscope: a
 * rescan looks for the persons newly registered alone. The index is the
 * node's own (not shared by clones). */
enum att_rc att_holdings_protected_scope_add(struct att_node *node, int64_t id,
					     const void *value_json, struct att_err *err) ATT_WUR;
void att_holdings_protected_unscope(struct att_node *node);
/* Queries the protected-persons register (after a sync). */
enum att_rc att_holdings_query_protected(struct att_node *node, const struct att_match_query *q,
					 struct att_match_hit *hits, size_t max, size_t *n,
					 struct att_err *err) ATT_WUR;

/* An entity as the index takes it: a person's or organization's name with
 * its attributes, or an identifier's type and canonical form. */
struct att_entity_form {
	const char *name;  /* NULL for an identifier */
	struct att_match_attrs attrs;
	enum att_id_type idtype;
	const char *canon; /* NULL for a name */
	const struct att_name *norm; /* name already normalised, or NULL */
};

/* What the hit filter needs of an entity: a name's type (a person is not
 * matched with an organization) or an identifier. */
enum att_entity_kind {
	ATT_EK_UNKNOWN = 0,
	ATT_EK_PERSON,
	ATT_EK_ORGANIZATION,
	ATT_EK_IDENTIFIER,
};
enum att_entity_kind att_entity_kind_of(const char *type);

/* Where an entity is held: its message and that message's case. */
struct att_entity_home {
	int64_t msg_id, case_id;
	enum att_entity_kind kind;
};

/* Adds one entity, in its indexed form, to the index within the open
 * transaction, and remembers its home (att_holdings_home); both undone if
 * the transaction rolls back. */
enum att_rc att_holdings_add_form(struct att_node *node, int64_t entity_id,
				  const struct att_entity_home *home,
				  const struct att_entity_form *f, struct att_err *err) ATT_WUR;
/* The home of an entity the index holds, from memory; false when it is not
 * known here (the caller asks the store). */
bool att_holdings_home(struct att_node *node, int64_t entity_id, struct att_entity_home *out);
/* Adds a protected person (decrypted JSON) within the open transaction. */
enum att_rc att_holdings_add_protected(struct att_node *node, int64_t id,
				       const void *value_json, struct att_err *err) ATT_WUR;

/* Rendered inbox pages, shared by the nodes of a process (keys of at most
 * 319 bytes; a longer one is not cached): a page is reused
 * while the store's inbox generation is the same and no deadline on it has
 * passed (valid_until). get returns a new reference to the page's items and
 * its next cursor, or false. The items are never modified once cached. */
bool att_holdings_inbox_get(struct att_node *node, const char *key, int64_t gen, int64_t now,
			    void **items, void **next);
void att_holdings_inbox_put(struct att_node *node, const char *key, int64_t gen,
			    int64_t valid_until, void *items, void *next);

/* Savepoints: a mark, and undoing what was added after it. */
size_t att_holdings_mark(struct att_node *node);
void att_holdings_undo(struct att_node *node, size_t mark);
/* Called by att_node_commit / att_node_rollback. */
void att_holdings_commit(struct att_node *node);
void att_holdings_rollback(struct att_node *node);

/* The name and identifier parts of an entity JSON value, as indexed: for a
 * person or organization the name and attributes, for an identifier its type
 * and canonical form. Returns false for an entity that is not indexed. */
bool att_entity_index_form(const void *value_json, const char **name,
			   struct att_match_attrs *attrs, enum att_id_type *idtype,
			   const char **canon);
/* The same into one struct (strings point into value_json). */
bool att_entity_form_of(const void *value_json, struct att_entity_form *f);

#endif
