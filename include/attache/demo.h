/* A ready demo node: a realistic network of posts, users of every role and
 * appointments in every state, made through the same service functions as
 * real use (so everything is validated and audited). */
#ifndef ATTACHE_DEMO_H
#define ATTACHE_DEMO_H

#include "attache/common.h"

/* The password every demo user gets (documented in the README). */
#define ATT_DEMO_PASSWORD "demo-pass-2026"

/* Creates the node at db_path (refused if it exists) and fills it. Each line
 * of what was made is passed to say (may be NULL). */
enum att_rc att_demo_create(const char *db_path, void (*say)(const char *line, void *arg),
			    void *arg, struct att_err *err) ATT_WUR;

#endif
