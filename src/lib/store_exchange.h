/* Store functions of the exchange area: cases, messages, recipients,
 * entities, attachments, hits, permissions, grants, the protected-persons
 * register, neutrality terms and watchlists. Content columns hold
 * ciphertext sealed by the service layer; the store never sees clear text of
 * message content. */
#ifndef ATT_STORE_EXCHANGE_H
#define ATT_STORE_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "attache/store.h"

/* The largest sealed title, purpose and legal basis (JSON, escaped). */
#define ATT_CASE_SEALED_MAX 6144

struct att_case_row {
	int64_t id;
	char field[32];
	char subarea[128];
	char title[512];
	char owner_unit[130];
	char owner_user[65];
	char status[16];
	char purpose[1024];
	char legal_basis[1024];
	char review_date[11];
	int64_t created;
	/* title, purpose and legal basis sealed (since schema 10; the three
	 * columns then empty): opened by att_x_case_get */
	unsigned char sealed[ATT_CASE_SEALED_MAX];
	size_t sealed_len;
};

struct att_msg_row {
	int64_t id;
	int64_t case_id;
	char type[16];
	char sender[65];
	char sender_unit[130];
	char field[32];
	char handling[4];
	char source[2];
	int information;
	char priority[12];
	int64_t deadline;        /* 0: none */
	int64_t in_reply_to;     /* 0: none */
	int64_t preserve_until;  /* 0: not a preservation request */
	char status[12];         /* delivered, held, rejected */
	int64_t created;
	const unsigned char *content; /* sealed JSON (subject, body, purpose, ...) */
	size_t content_len;
	const unsigned char *subject; /* the subject sealed alone, for lists */
	size_t subject_len;
	char my_state[16];            /* inbox rows: the reader's unit's state */
};

struct att_recip_row {
	int64_t msg_id;
	char unit[130];
	char state[16]; /* held, delivered, read, acknowledged, answered, rejected */
	int64_t updated;
	char via[65];   /* forwarded by, or "" */
};

struct att_entity_row {
	int64_t id;
	int64_t msg_id;
	int64_t case_id; /* the message's (read by the walks below, not written) */
	char type[16];
	const unsigned char *value; /* sealed JSON of the entity */
	size_t value_len;
};

struct att_hit_row {
	int64_t id;
	int64_t entity_id;  /* the new entity */
	int64_t other_ref;  /* entity id, or watchlist entry id */
	char other_kind[12]; /* entity, watchlist */
	double score;
	int64_t created;
	const unsigned char *expl; /* sealed explanation */
	size_t expl_len;
};

/* cases */
enum att_rc att_store_case_insert(struct att_store *s, const struct att_case_row *c,
				  int64_t *id, struct att_err *err) ATT_WUR;
/* *any: a case has its title in clear (from before schema 10). */
enum att_rc att_store_cases_in_clear(struct att_store *s, bool *any, struct att_err *err);
/* Seals case id: its title, purpose and legal basis cleared, sealed set. */
enum att_rc att_store_case_seal(struct att_store *s, int64_t id, const unsigned char *sealed,
				size_t len, struct att_err *err);
enum att_rc att_store_case_get(struct att_store *s, int64_t id, struct att_case_row *out,
			       struct att_err *err) ATT_WUR;
enum att_rc att_store_case_each(struct att_store *s,
				int (*fn)(const struct att_case_row *c, void *arg), void *arg,
				struct att_err *err) ATT_WUR;
enum att_rc att_store_case_grant(struct att_store *s, int64_t case_id, const char *grantee,
				 const char *by, int64_t at, struct att_err *err) ATT_WUR;
/* True when grantee (a user id or a unit) holds a grant on the case. */
enum att_rc att_store_case_granted(struct att_store *s, int64_t case_id, const char *user,
				   const char *unit, bool *yes, struct att_err *err) ATT_WUR;
/* True when unit is a recipient of some delivered message of the case. */
/* *yes: a recipient of message msg_id has not answered it yet. */
enum att_rc att_store_msg_unanswered(struct att_store *s, int64_t msg_id, bool *yes,
				     struct att_err *err);
enum att_rc att_store_case_has_recipient(struct att_store *s, int64_t case_id,
					 const char *unit, bool *yes,
					 struct att_err *err) ATT_WUR;

/* messages */
/* Inserts a message; m->id, when not 0, is the id to use (from
 * att_store_next_id). */
enum att_rc att_store_msg_insert(struct att_store *s, const struct att_msg_row *m,
				 int64_t *id, struct att_err *err) ATT_WUR;
/* The row's content is a malloc'd copy the caller frees. */
enum att_rc att_store_msg_get(struct att_store *s, int64_t id, struct att_msg_row *out,
			      struct att_err *err) ATT_WUR;
enum att_rc att_store_msg_set_status(struct att_store *s, int64_t id, const char *status,
				     struct att_err *err) ATT_WUR;
/* Messages of a case in order. */
enum att_rc att_store_msg_each_in_case(struct att_store *s, int64_t case_id,
				       int (*fn)(const struct att_msg_row *m, void *arg),
				       void *arg, struct att_err *err) ATT_WUR;
/* Messages with the given status (held for review), newest first. */
enum att_rc att_store_msg_each_status(struct att_store *s, const char *status,
				      int (*fn)(const struct att_msg_row *m, void *arg),
				      void *arg, struct att_err *err) ATT_WUR;
/* Messages sent by user, or addressed to unit (any state but held/rejected),
 * with id < before (0: all), newest first, at most limit. The rows carry no
 * content, only the sealed subject and the unit's delivery state. */
enum att_rc att_store_msg_each_for(struct att_store *s, const char *user, const char *unit,
				   int64_t before, size_t limit,
				   int (*fn)(const struct att_msg_row *m, void *arg), void *arg,
				   struct att_err *err) ATT_WUR;
/* Delivered requests with a deadline before `now` that some recipient has
 * not answered. */
/* Delivered preservation requests whose preservation ends in [from, to). */
enum att_rc att_store_msg_each_preserve_ending(struct att_store *s, int64_t from, int64_t to,
					       int (*fn)(const struct att_msg_row *m, void *arg),
					       void *arg, struct att_err *err) ATT_WUR;
enum att_rc att_store_msg_each_overdue(struct att_store *s, int64_t now,
				       int (*fn)(const struct att_msg_row *m, void *arg),
				       void *arg, struct att_err *err) ATT_WUR;

/* recipients */
enum att_rc att_store_recip_insert(struct att_store *s, const struct att_recip_row *r,
				   struct att_err *err) ATT_WUR;
enum att_rc att_store_recip_set(struct att_store *s, int64_t msg_id, const char *unit,
				const char *state, int64_t at, struct att_err *err) ATT_WUR;
/* All recipients of a message, or one (unit not NULL): *found. */
enum att_rc att_store_recip_each(struct att_store *s, int64_t msg_id,
				 int (*fn)(const struct att_recip_row *r, void *arg), void *arg,
				 struct att_err *err) ATT_WUR;
enum att_rc att_store_recip_get(struct att_store *s, int64_t msg_id, const char *unit,
				struct att_recip_row *out, struct att_err *err) ATT_WUR;
/* Sets every recipient of a message to state. */
enum att_rc att_store_recip_set_all(struct att_store *s, int64_t msg_id, const char *state,
				    int64_t at, struct att_err *err) ATT_WUR;
/* Holds a delivered message for its recipients, each keeping the state it
 * had; restore gives it back ('delivered' where there was none: a message
 * held when sent). */
enum att_rc att_store_recip_hold_all(struct att_store *s, int64_t msg_id, int64_t at,
				     struct att_err *err) ATT_WUR;
enum att_rc att_store_recip_restore_all(struct att_store *s, int64_t msg_id, int64_t at,
					struct att_err *err) ATT_WUR;

/* entities */
/* Inserts n entities with the ids they carry (from att_store_next_id and
 * on), in as few statements as it can. The only way entities are inserted:
 * the send path hands out ids from one read of the sequence per
 * transaction. */
enum att_rc att_store_entity_insert_many(struct att_store *s, const struct att_entity_row *e,
					 size_t n, struct att_err *err) ATT_WUR;
/* Entities of delivered messages with id > after, in id order (with their
 * message's case). */
enum att_rc att_store_entity_each_since(struct att_store *s, int64_t after,
					int (*fn)(const struct att_entity_row *e, void *arg),
					void *arg, struct att_err *err) ATT_WUR;
enum att_rc att_store_entity_each_of(struct att_store *s, int64_t msg_id,
				     int (*fn)(const struct att_entity_row *e, void *arg),
				     void *arg, struct att_err *err) ATT_WUR;
/* The entity row; its value is a malloc'd copy the caller frees. */
enum att_rc att_store_entity_get(struct att_store *s, int64_t id, struct att_entity_row *out,
				 struct att_err *err) ATT_WUR;
/* The message, case and type of an entity. */
enum att_rc att_store_entity_meta(struct att_store *s, int64_t id, int64_t *msg_id,
				  int64_t *case_id, char type[16], struct att_err *err) ATT_WUR;
/* Largest entity id (0 when none), and the newest release sequence number. */
enum att_rc att_store_entity_watermark(struct att_store *s, int64_t *max_id,
				       int64_t *releases, struct att_err *err) ATT_WUR;

/* Records the release of a held message (its entities come into view), or
 * with withdraw the hold of a delivered one (its entities leave the view);
 * read back in order by every process's match index. */
enum att_rc att_store_release_add(struct att_store *s, int64_t msg_id, bool withdraw,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_release_each_since(struct att_store *s, int64_t after,
					 int (*fn)(int64_t seq, int64_t msg_id, bool withdraw,
						   void *arg),
					 void *arg, struct att_err *err) ATT_WUR;
/* The next AUTOINCREMENT id of table (inside a write transaction, stable
 * until commit), so content can be sealed bound to its own id. */
enum att_rc att_store_next_id(struct att_store *s, const char *table, int64_t *id,
			      struct att_err *err) ATT_WUR;

/* attachments */
/* The room a stored attachment name or media type takes (sealed and in
 * base64: a name of up to 200 bytes, a type of up to 100); the buffers
 * att_store_attach_get fills are this large. */
#define ATT_ATTACH_NAME_STORED 512
enum att_rc att_store_attach_insert(struct att_store *s, int64_t msg_id, const char *name,
				    const char *mime, int64_t size, const unsigned char *sealed,
				    size_t sealed_len, int64_t *id, struct att_err *err) ATT_WUR;
/* One attachment with its sealed content (malloc'd, the caller frees). */
enum att_rc att_store_attach_get(struct att_store *s, int64_t msg_id, int64_t id, char *name,
				 char *mime, unsigned char **content, size_t *len,
				 struct att_err *err) ATT_WUR;
/* Attachment metadata of a message (no content). */
enum att_rc att_store_attach_each(struct att_store *s, int64_t msg_id,
				  int (*fn)(int64_t id, const char *name, const char *mime,
					    int64_t size, void *arg),
				  void *arg, struct att_err *err) ATT_WUR;

/* hits */
enum att_rc att_store_hit_insert(struct att_store *s, const struct att_hit_row *h,
				 struct att_err *err) ATT_WUR;
/* Hits with id < before (0: all), newest first, at most limit, where either
 * side's message was sent by user, reached unit, or is in a case granted to
 * either (user NULL: every hit). */
enum att_rc att_store_hit_each(struct att_store *s, const char *user, const char *unit,
			       int64_t before, size_t limit,
			       int (*fn)(const struct att_hit_row *h, void *arg), void *arg,
			       struct att_err *err) ATT_WUR;

/* Whether a hit of entity_id with (kind, other_ref) is recorded, in either
 * direction. */
enum att_rc att_store_hit_exists(struct att_store *s, int64_t entity_id, const char *kind,
				 int64_t other_ref, bool *yes, struct att_err *err) ATT_WUR;

/* handling permissions (H1 judicial use, H2 passing on) */
enum att_rc att_store_permit_insert(struct att_store *s, int64_t msg_id, const char *target,
				    const char *by, int64_t at, struct att_err *err) ATT_WUR;
enum att_rc att_store_permit_has(struct att_store *s, int64_t msg_id, const char *target,
				 bool *yes, struct att_err *err) ATT_WUR;

/* reviews of held messages: reasons are sealed by the service */
enum att_rc att_store_review_insert(struct att_store *s, int64_t msg_id,
				    const unsigned char *reasons, size_t len,
				    struct att_err *err) ATT_WUR;
/* Queues a review, or puts a decided one back in the queue with new reasons
 * (a released message held again), or replaces a pending one's reasons. */
enum att_rc att_store_review_hold(struct att_store *s, int64_t msg_id,
				  const unsigned char *reasons, size_t len,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_review_get(struct att_store *s, int64_t msg_id, char *state,
				 unsigned char **reasons, size_t *len, struct att_err *err) ATT_WUR;
enum att_rc att_store_review_decide(struct att_store *s, int64_t msg_id, const char *state,
				    const char *by, const unsigned char *reason, size_t len,
				    int64_t at, struct att_err *err) ATT_WUR;

/* protected persons: name and reason sealed */
enum att_rc att_store_protected_insert(struct att_store *s, const unsigned char *sealed,
				       size_t len, const char *by, int64_t at, int64_t *id,
				       struct att_err *err) ATT_WUR;
enum att_rc att_store_protected_each(struct att_store *s,
				     int (*fn)(int64_t id, const unsigned char *sealed,
					       size_t len, const char *by, int64_t at, void *arg),
				     void *arg, struct att_err *err) ATT_WUR;

/* The rescan of the text sent before a person was registered (entry reg):
 * messages with ids in (cursor, upto] are still to be read (done of total
 * are read); finished 0 while they are. */
struct att_rescan_row {
	int64_t reg, upto, cursor, held, flagged, started, finished, total, done;
	char by[65];
};
enum att_rc att_store_rescan_add(struct att_store *s, int64_t reg, int64_t upto,
				 const char *by, int64_t now, struct att_err *err) ATT_WUR;
/* The oldest rescan not finished whose entry is from or later
 * (ATT_ENOTFOUND: none). */
enum att_rc att_store_rescan_next(struct att_store *s, int64_t from, struct att_rescan_row *out,
				  struct att_err *err) ATT_WUR;
/* Moves a rescan's cursor, adds to its counts (messages read, held,
 * flagged), and with finished (a time) ends it. */
enum att_rc att_store_rescan_advance(struct att_store *s, int64_t reg, int64_t cursor,
				     int64_t done, int64_t held, int64_t flagged, int64_t finished,
				     struct att_err *err) ATT_WUR;
enum att_rc att_store_rescan_each(struct att_store *s,
				  int (*fn)(const struct att_rescan_row *r, void *arg), void *arg,
				  struct att_err *err) ATT_WUR;
/* The largest message id (0: none). */
enum att_rc att_store_msg_max_id(struct att_store *s, int64_t *max, struct att_err *err) ATT_WUR;
/* The messages with ids in (after, upto], in order, at most limit (content
 * valid during the call only). */
enum att_rc att_store_msg_each_range(struct att_store *s, int64_t after, int64_t upto,
				     size_t limit,
				     int (*fn)(const struct att_msg_row *m, void *arg),
				     void *arg, struct att_err *err) ATT_WUR;
enum att_rc att_store_protected_max(struct att_store *s, int64_t *max,
				    struct att_err *err) ATT_WUR;

/* neutrality terms */
enum att_rc att_store_term_insert(struct att_store *s, const char *term, const char *lang,
				  const char *category, struct att_err *err) ATT_WUR;
enum att_rc att_store_term_delete(struct att_store *s, const char *term, bool *found,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_term_each(struct att_store *s,
				int (*fn)(const char *term, const char *lang,
					  const char *category, void *arg),
				void *arg, struct att_err *err) ATT_WUR;

/* watchlists */
struct att_wl_row {
	char name[65];
	char format[16];
	int64_t version;
	int64_t entries;
	int64_t imported;
	char sha256[65];
	char imported_by[65];
};
/* Replaces the list's entries: deletes the old ones, bumps the version. */
enum att_rc att_store_wl_replace(struct att_store *s, const struct att_wl_row *w,
				 int64_t *version, struct att_err *err) ATT_WUR;
enum att_rc att_store_wl_entry_insert(struct att_store *s, const char *list,
				      const char *entry_id, const char *kind,
				      const char *data_json, int64_t *id,
				      struct att_err *err) ATT_WUR;
enum att_rc att_store_wl_finish(struct att_store *s, const char *list, int64_t entries,
				struct att_err *err) ATT_WUR;
enum att_rc att_store_wl_each(struct att_store *s,
			      int (*fn)(const struct att_wl_row *w, void *arg), void *arg,
			      struct att_err *err) ATT_WUR;
/* Entries of all lists (or one) in id order. */
enum att_rc att_store_wl_entry_each(struct att_store *s, const char *list, int64_t after,
				    int (*fn)(int64_t id, const char *list, const char *entry_id,
					      const char *kind, const char *data_json, void *arg),
				    void *arg, struct att_err *err) ATT_WUR;
enum att_rc att_store_wl_entry_get(struct att_store *s, int64_t id, char *list,
				   char *entry_id, char **data_json, struct att_err *err) ATT_WUR;
/* Named counters (terms_gen, wl_generation) that tell other processes a
 * cached thing changed. */
enum att_rc att_store_counter_get(struct att_store *s, const char *name, int64_t *value,
				  struct att_err *err) ATT_WUR;
enum att_rc att_store_counter_bump(struct att_store *s, const char *name,
				   struct att_err *err) ATT_WUR;
/* A counter bumped by every import, so other processes notice. */
enum att_rc att_store_wl_generation(struct att_store *s, int64_t *gen,
				    struct att_err *err) ATT_WUR;

#endif
