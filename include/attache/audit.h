/* The audit trail: an append-only Merkle-tree log (RFC 6962 hashing) whose
 * tree heads are signed with the node's Ed25519 key. Entries are appended by
 * the service layer inside the transaction of the change they record. */
#ifndef ATTACHE_AUDIT_H
#define ATTACHE_AUDIT_H

#include "attache/common.h"
#include "attache/crypto.h"

struct att_node;

/* Result of a verification. */
struct att_audit_report {
	uint64_t entries;     /* leaves checked */
	uint64_t heads;       /* signed heads checked */
	bool ok;
	int64_t bad_entry;    /* first bad entry index, or -1 */
	int64_t bad_head;     /* tree size of the first bad head, or -1 */
	char reason[256];     /* what is wrong, for a user */
	unsigned char root[ATT_HASH_LEN]; /* root over all entries when ok */
};

/* Recomputes every leaf hash and stored interior node from the entries,
 * checks that indices are contiguous and in order, recomputes the root at the
 * size of every signed tree head and verifies its signature with the public
 * key from the node's key file. Fills report; returns ATT_OK when the log is
 * intact, ATT_ETAMPER (with err naming the first bad entry) when not. */
enum att_rc att_audit_verify(struct att_node *node, struct att_audit_report *report,
			     struct att_err *err) ATT_WUR;

/* Lists entries as a JSON array (json_t *, caller owns) of objects {seq, ts,
 * actor, action, object, detail}, newest first, at most limit (0: 100), from
 * entries with seq < before (0: from the newest). The read is itself
 * audited. */
enum att_rc att_audit_list(struct att_node *node, const char *actor_id, uint64_t before,
			   size_t limit, void **out_json, struct att_err *err) ATT_WUR;

/* The current signed tree head as JSON {size, root, ts, signature, key}. */
enum att_rc att_audit_head(struct att_node *node, void **out_json,
			   struct att_err *err) ATT_WUR;

/* An audit entry made elsewhere, to be appended (group commit of the audit
 * entries of reads, see att_node_set_audit_sink). Strings are borrowed. */
struct att_audit_item {
	const char *actor;
	const char *role;
	const char *action;
	const char *object;
	const char *detail; /* JSON text or NULL */
};

/* Where a node sends the audit entries of its reads. Without a sink a read
 * appends them itself, in its own write transaction (one fsync per read).
 * With one, the entries are handed to fn (which must make them durable before
 * it returns, e.g. by queueing them to a writer that appends many in one
 * transaction with att_audit_append_items); the read returns only after. */
typedef enum att_rc (*att_audit_sink)(void *ctx, const struct att_audit_item *items, size_t n,
				      struct att_err *err);
void att_node_set_audit_sink(struct att_node *node, att_audit_sink fn, void *ctx);

/* Appends items in one transaction with one signed tree head. */
enum att_rc att_audit_append_items(struct att_node *node, const struct att_audit_item *items,
				   size_t n, struct att_err *err) ATT_WUR;

#endif
