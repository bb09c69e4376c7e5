/* Result codes and error details shared by every module. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attache/common.h"
#include "banned.h"

enum att_rc att_fail(struct att_err *err, enum att_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->rc != ATT_OK)
		return rc;
	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void att_err_clear(struct att_err *err)
{
	if (err) {
		err->rc = ATT_OK;
		err->msg[0] = '\0';
	}
}

const char *att_rc_name(enum att_rc rc)
{
	switch (rc) {
	case ATT_OK: return "ok";
	case ATT_EINVAL: return "invalid";
	case ATT_ENOMEM: return "no_memory";
	case ATT_EDENIED: return "denied";
	case ATT_ELIMIT: return "limit";
	case ATT_EDB: return "database";
	case ATT_ECRYPTO: return "crypto";
	case ATT_ENOTFOUND: return "not_found";
	case ATT_ECONFLICT: return "conflict";
	case ATT_EEXIST: return "exists";
	case ATT_EIO: return "io";
	case ATT_ETAMPER: return "tampered";
	}
	return "unknown";
}
