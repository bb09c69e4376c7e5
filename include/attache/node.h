/* A node: one database file, its key file and the in-memory state built from
 * them (audit tree frontier, later the match index). Every service function
 * takes the node it acts on. */
#ifndef ATTACHE_NODE_H
#define ATTACHE_NODE_H

#include "attache/common.h"

struct att_node;

/* Creates a new node: the database at db_path (refused if it exists), the
 * key file at db_path + ".key" (mode 0600), the schema, the service-wide
 * staffing level, and the first audit entry ("node.init"). */
enum att_rc att_node_init(const char *db_path, unsigned long staffing,
			  struct att_err *err) ATT_WUR;

/* Opens an existing node. *out is used by one thread at a time. */
enum att_rc att_node_open(const char *db_path, struct att_node **out,
			  struct att_err *err) ATT_WUR;

/* Opens another connection to the same node, for another thread: its own
 * SQLite connection, sharing the in-memory match indexes (which are
 * thread-safe). Each node is used by one thread at a time. */
enum att_rc att_node_clone(struct att_node *node, struct att_node **out,
			   struct att_err *err) ATT_WUR;

/* Closes the node; NULL is fine. */
void att_node_close(struct att_node *node);

/* The key file path that belongs to a database path (malloc'd). */
char *att_node_key_path(const char *db_path);

/* Database schema versions, "core=1 registry=1". */
enum att_rc att_node_schema(struct att_node *node, char *out, size_t outlen,
			    struct att_err *err) ATT_WUR;

#endif
