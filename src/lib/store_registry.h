/* Store functions of the registry area: posts, appointments and their steps. */
#ifndef ATT_STORE_REGISTRY_H
#define ATT_STORE_REGISTRY_H

#include <stdint.h>

#include "attache/store.h"

struct att_post_row {
	char id[65];
	char kind[8];
	char host[256];
	char city[256];
	char mission[1024];
	char fields[64];
	int64_t staffing;
	int64_t created;
};

struct att_appt_row {
	int64_t id;
	char person[65];
	char post[65];
	char field[32];
	char status[32];
	char start[11];
	char end[11];
	char proposer[65];
	int64_t created;
};

struct att_step_row {
	int64_t appt;
	int seq;
	char step[32];
	char actor[65];
	char role[16];
	int64_t at;
	char reason[ATT_TEXT_MAX + 1];
};

enum att_rc att_store_post_insert(struct att_store *s, const struct att_post_row *p,
				  struct att_err *err) ATT_WUR;
/* ATT_ENOTFOUND when absent. */
enum att_rc att_store_post_get(struct att_store *s, const char *id, struct att_post_row *out,
			       struct att_err *err) ATT_WUR;
enum att_rc att_store_post_each(struct att_store *s,
				int (*fn)(const struct att_post_row *p, void *arg), void *arg,
				struct att_err *err) ATT_WUR;
enum att_rc att_store_post_set_staffing(struct att_store *s, const char *id, int64_t n,
					struct att_err *err) ATT_WUR;

enum att_rc att_store_appt_insert(struct att_store *s, const struct att_appt_row *a,
				  int64_t *id, struct att_err *err) ATT_WUR;
enum att_rc att_store_appt_get(struct att_store *s, int64_t id, struct att_appt_row *out,
			       struct att_err *err) ATT_WUR;
/* Updates status and dates of an appointment. */
enum att_rc att_store_appt_update(struct att_store *s, const struct att_appt_row *a,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_appt_step_insert(struct att_store *s, const struct att_step_row *r,
				       struct att_err *err) ATT_WUR;
enum att_rc att_store_appt_steps_each(struct att_store *s, int64_t appt,
				      int (*fn)(const struct att_step_row *r, void *arg),
				      void *arg, struct att_err *err) ATT_WUR;
/* Appointments filtered by post and status (NULL: any), ordered by id. */
enum att_rc att_store_appt_each(struct att_store *s, const char *post, const char *status,
				int (*fn)(const struct att_appt_row *a, void *arg), void *arg,
				struct att_err *err) ATT_WUR;
/* Number of appointments with status "appointed", at post (NULL: all). */
enum att_rc att_store_appt_count_active(struct att_store *s, const char *post, int64_t *n,
					struct att_err *err) ATT_WUR;
/* The person's appointment that is still in progress (proposed, agreed or
 * appointed), if any: *id = 0 when none. */
enum att_rc att_store_appt_open_for(struct att_store *s, const char *person, int64_t except,
				    int64_t *id, char *status, struct att_err *err) ATT_WUR;

#endif
