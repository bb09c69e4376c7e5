/* Private view of a node for the service modules: the store, the keys, the
 * audit frontier, and the transaction helpers that keep data and audit entry
 * in one commit. */
#ifndef ATT_NODE_INT_H
#define ATT_NODE_INT_H

#include <jansson.h>

#include "attache/audit.h"
#include "attache/authz.h"
#include "attache/crypto.h"
#include "attache/node.h"
#include "attache/store.h"

#define ATT_AUDIT_LEVELS 64

/* The right edge of the audit Merkle tree: the roots of the perfect subtrees
 * whose sizes are the set bits of size. */
struct att_audit_frontier {
	uint64_t size;
	unsigned char hash[ATT_AUDIT_LEVELS][ATT_HASH_LEN];
};

struct att_node {
	char *db_path;
	struct att_store *store;
	struct att_keys *keys;
	struct att_audit_frontier audit;       /* committed + appended in this tx */
	struct att_audit_frontier audit_saved; /* as at begin, for rollback */
	uint64_t audit_pending;                /* entries appended in this tx */
	struct att_holdings *hold;             /* match indexes, shared by clones */
	/* references added to the indexes in the open transaction */
	uint64_t *tx_refs;
	size_t n_tx_refs, cap_tx_refs;
	bool tx_refs_protected_dirty;
	bool tx_wl_loaded; /* this transaction's sync loaded the watchlists */
	/* When set, the protected-persons checks of this node read this
	 * index (the entries a rescan looks for, see
	 * att_holdings_protected_scope_add) instead of the whole register. */
	struct att_match_index *prot_scope;
	void *policy_cache;                    /* neutrality terms, see policy.c */
	void *auth_cache;                      /* verified API tokens, see session.c */
	uint64_t tx_epoch;                     /* bumped by every att_node_begin */
	/* The last actor and mandate resolved in this transaction (group commit
	 * sends many messages of one sender). */
	uint64_t access_epoch;
	void *access_cache;
	uint64_t next_msg_epoch;               /* next_msg_id is valid in this tx */
	int64_t next_msg_id;
	uint64_t next_ent_epoch;               /* next_ent_id is valid in this tx */
	int64_t next_ent_id;
	void *case_memo;                       /* the case last sent to, see exchange.c */
	/* A read transaction: audit entries wait here and are made durable at
	 * its end, through the sink when there is one. */
	bool read_tx;
	struct att_audit_item *pend;
	size_t npend, cappend;
	att_audit_sink sink;
	void *sink_ctx;
};

/* Opens a transaction for one use case. */
enum att_rc att_node_begin(struct att_node *node, struct att_err *err) ATT_WUR;
/* Opens a read transaction (snapshot, no write lock); its audit entries are
 * made durable when it ends (att_node_commit / att_node_end_read). */
enum att_rc att_node_begin_read(struct att_node *node, struct att_err *err) ATT_WUR;
/* Ends a read transaction: rc is the read's outcome; the audit entries it
 * recorded (also of a refused read) are made durable whatever rc is. Returns
 * rc, or the audit failure when rc was ATT_OK. */
enum att_rc att_node_end_read(struct att_node *node, enum att_rc rc,
			      struct att_err *err) ATT_WUR;

/* Signs a new tree head over the entries appended in this transaction (if
 * any) and commits; on failure everything is rolled back. In a read
 * transaction: att_node_end_read(node, ATT_OK, err). */
enum att_rc att_node_commit(struct att_node *node, struct att_err *err) ATT_WUR;
/* Rolls back data and audit entries of this transaction. */
void att_node_rollback(struct att_node *node);

/* Appends an audit entry inside the open transaction: who (actor, or NULL
 * for the system), what (action name), which object ("appointment/3"), and
 * detail (a JSON object as text, or NULL). */
enum att_rc att_audit_append(struct att_node *node, const struct att_actor *actor,
			     const char *action, const char *object, const char *detail,
			     struct att_err *err) ATT_WUR;

/* att_audit_append with the detail as JSON (stolen; NULL for none). */
enum att_rc att_audit_json(struct att_node *node, const struct att_actor *actor,
			   const char *action, const char *object, json_t *detail,
			   struct att_err *err) ATT_WUR;
/* Ends the transaction, write or read: commits when rc is ATT_OK, else
 * rolls back. Returns the outcome. */
enum att_rc att_node_done(struct att_node *node, enum att_rc rc, struct att_err *err) ATT_WUR;
/* att_node_done, then hands v to *out_json, or frees it when rc or the end
 * failed. Returns the outcome. */
enum att_rc att_node_done_json(struct att_node *node, enum att_rc rc, json_t *v, void **out_json,
			       struct att_err *err) ATT_WUR;
/* Ends a list read: audits it (action on object, with the count), ends the
 * transaction, and hands arr to *out_json, or frees it when rc or the end
 * fails. Returns the outcome. */
enum att_rc att_node_list_done(struct att_node *node, const struct att_actor *actor,
			       const char *action, const char *object, enum att_rc rc,
			       json_t *arr, void **out_json, struct att_err *err) ATT_WUR;

/* A read use case in one read transaction: authorizes act for actor_id,
 * has make(node, actor, ctx, &v, err) make the JSON value v (checking its
 * input, and any further rule for the actor, itself: after the role), audits
 * the read (action on object) and hands v to *out_json. att_node_list: v
 * starts as an empty array for make to fill, and the audit entry has its
 * count; att_node_show: v starts as NULL for make to set. */
typedef enum att_rc (*att_make_fn)(struct att_node *node, const struct att_actor *actor,
				   void *ctx, json_t **v, struct att_err *err);
enum att_rc att_node_list(struct att_node *node, const char *actor_id, enum att_action act,
			  const char *action, const char *object, att_make_fn fill, void *ctx,
			  void **out_json, struct att_err *err) ATT_WUR;
enum att_rc att_node_show(struct att_node *node, const char *actor_id, enum att_action act,
			  const char *action, const char *object, att_make_fn make, void *ctx,
			  void **out_json, struct att_err *err) ATT_WUR;

/* Frees the node's cache of verified API tokens (session.c). */
void att_session_cache_free(struct att_node *node);
/* Loads the frontier of the committed log at open. */
enum att_rc att_audit_load(struct att_node *node, struct att_err *err) ATT_WUR;

/* Resolves a user id to an actor: the user must exist and be enabled. NULL or
 * "" gives the local operator. */
enum att_rc att_actor_load(struct att_node *node, const char *user_id,
			   struct att_actor *out, struct att_err *err) ATT_WUR;
/* att_actor_load, then att_authz of act without an object: what a service
 * function does first when its rule is the role table alone. */
enum att_rc att_actor_authz(struct att_node *node, const char *user_id, enum att_action act,
			    struct att_actor *out, struct att_err *err) ATT_WUR;



/* RFC 6962 Merkle tree hash over n leaves (data[i], lens[i]), computed the
 * way the log computes it; exposed for known-answer tests. */
void att_audit_mth(const void *const *data, const size_t *lens, size_t n,
		   unsigned char out[ATT_HASH_LEN]);
#endif
