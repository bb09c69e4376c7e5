/* Result codes, error details and small shared types used by every module of
 * libattache. */
#ifndef ATTACHE_COMMON_H
#define ATTACHE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define ATT_WUR __attribute__((warn_unused_result))
#define ATT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ATT_WUR
#define ATT_PRINTF(f, a)
#endif

/* Every fallible function returns one of these. */
enum att_rc {
	ATT_OK = 0,
	ATT_EINVAL,   /* input malformed or out of range */
	ATT_ENOMEM,   /* allocation failed */
	ATT_EDENIED,  /* the actor may not do this */
	ATT_ELIMIT,   /* a limit (staffing, size, rate) would be exceeded */
	ATT_EDB,      /* the database failed */
	ATT_ECRYPTO,  /* a key, signature or ciphertext is bad */
	ATT_ENOTFOUND, /* the object does not exist */
	ATT_ECONFLICT, /* the object's state does not allow this step */
	ATT_EEXIST,   /* the object exists already */
	ATT_EIO,      /* a file could not be read or written */
	ATT_ETAMPER,  /* a stored record failed verification */
};

/* Details of a failure: a message a user can act on. Optional everywhere
 * (pass NULL). Filled by the first failing function only. */
struct att_err {
	enum att_rc rc;
	char msg[512];
};

/* Sets err (if not NULL) and returns rc, so callers can write
 * `return att_fail(err, ATT_EINVAL, "bad date '%s'", s);`. */
enum att_rc att_fail(struct att_err *err, enum att_rc rc, const char *fmt, ...)
	ATT_PRINTF(3, 4);

/* Resets err to "no error". */
void att_err_clear(struct att_err *err);

/* Short stable name of a result code ("einval", "edenied", ...). */
const char *att_rc_name(enum att_rc rc);

/* The three fields of the decree. */
#define ATT_FIELD_TERRORISM "terrorism"
#define ATT_FIELD_ORGCRIME "organized-crime"
#define ATT_FIELD_CYBER "cybercrime"

/* Largest length of a free-text string (reasons, titles, names) in bytes. */
#define ATT_TEXT_MAX 4000u
/* Largest length of an identifier (user id, post id, unit) in bytes. */
#define ATT_ID_MAX 64u

#endif
