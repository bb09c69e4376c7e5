/* Shared helpers of the cmocka unit tests: temporary directories and files. */
#ifndef ATT_TESTUTIL_H
#define ATT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh empty directory under $TMPDIR; removed (recursively) by
 * att_test_rmdir. Returns a malloc'd path. */
char *att_test_tmpdir(void);
void att_test_rmdir(const char *path);
/* path/name in a static buffer (valid until the next call). */
const char *att_test_path(const char *dir, const char *name);

#endif
