/* Store functions of the core area: node metadata, users and the audit log. */
#ifndef ATT_STORE_CORE_H
#define ATT_STORE_CORE_H

#include <stdint.h>

#include "attache/crypto.h"
#include "attache/store.h"

/* Node metadata (key/value). get returns ATT_ENOTFOUND when absent. */
enum att_rc att_store_meta_get(struct att_store *s, const char *key, char *out,
			       size_t outlen, struct att_err *err) ATT_WUR;
enum att_rc att_store_meta_set(struct att_store *s, const char *key, const char *value,
			       struct att_err *err) ATT_WUR;

/* A user row. */
struct att_user_row {
	char id[65];
	char name[256];
	char role[16];
	char unit[130];
	char pw_hash[ATT_PWHASH_LEN];
	int64_t created;
	bool disabled;
};

enum att_rc att_store_user_insert(struct att_store *s, const struct att_user_row *u,
				  struct att_err *err) ATT_WUR;
/* ATT_ENOTFOUND when there is no such user. */
enum att_rc att_store_user_get(struct att_store *s, const char *id,
			       struct att_user_row *out, struct att_err *err) ATT_WUR;
/* Calls fn for every user ordered by id; stops when fn returns non-zero. */
enum att_rc att_store_user_each(struct att_store *s,
				int (*fn)(const struct att_user_row *u, void *arg), void *arg,
				struct att_err *err) ATT_WUR;

/* True when an enabled user holds the unit. */
enum att_rc att_store_unit_exists(struct att_store *s, const char *unit, bool *yes,
				  struct att_err *err) ATT_WUR;

/* Audit log rows: leaf index, serialized entry, leaf hash, interior nodes
 * completed by this leaf (levels 1..k, 32 bytes each). */
enum att_rc att_store_audit_insert(struct att_store *s, uint64_t idx, const char *data,
				   size_t len, const unsigned char leaf[ATT_HASH_LEN],
				   const unsigned char *nodes, size_t nnodes,
				   struct att_err *err) ATT_WUR;
enum att_rc att_store_audit_head_insert(struct att_store *s, uint64_t size, int64_t ts,
					const unsigned char root[ATT_HASH_LEN],
					const unsigned char sig[ATT_SIG_LEN],
					struct att_err *err) ATT_WUR;
/* Number of entries (max index + 1, 0 when empty). */
enum att_rc att_store_audit_count(struct att_store *s, uint64_t *n, struct att_err *err) ATT_WUR;
/* Reads the stored hash of the subtree at level (0 = leaf) that ends at
 * leaf idx. */
enum att_rc att_store_audit_node(struct att_store *s, uint64_t idx, unsigned level,
				 unsigned char out[ATT_HASH_LEN], struct att_err *err) ATT_WUR;

/* Iterates entries in index order: fn gets idx, data, leaf and nodes as
 * stored. Non-zero from fn stops the walk and is returned in *stopped. */
struct att_audit_row {
	uint64_t idx;
	const char *data;
	size_t len;
	const unsigned char *leaf;
	size_t leaflen;
	const unsigned char *nodes;
	size_t nodeslen;
};
enum att_rc att_store_audit_each(struct att_store *s, uint64_t from, uint64_t before,
				 bool newest_first, size_t limit,
				 int (*fn)(const struct att_audit_row *r, void *arg), void *arg,
				 struct att_err *err) ATT_WUR;

struct att_head_row {
	uint64_t size;
	int64_t ts;
	const unsigned char *root;
	size_t rootlen;
	const unsigned char *sig;
	size_t siglen;
};
/* Iterates signed heads in order of size. */
enum att_rc att_store_audit_heads_each(struct att_store *s,
				       int (*fn)(const struct att_head_row *h, void *arg),
				       void *arg, struct att_err *err) ATT_WUR;
/* The newest head; ATT_ENOTFOUND when none. */
enum att_rc att_store_audit_head_last(struct att_store *s, uint64_t *size, int64_t *ts,
				      unsigned char root[ATT_HASH_LEN],
				      unsigned char sig[ATT_SIG_LEN], struct att_err *err) ATT_WUR;

#endif
